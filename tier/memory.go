package tier

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// MemoryStore is the in-memory [Store], built on internal/memtx: transactions are
// serializable and all-or-nothing, and values are copied in and out. Rows are kept compact
// (about 200 bytes per account with a few days of history); times come back in UTC, the same
// instants that were stored. It is safe for concurrent use.
type MemoryStore struct {
	db       memtx.DB
	accounts memtx.Table[loyalty.AccountID, row] // rows of their own, replaced whole, never modified
	changes  memtx.Log[loyalty.AccountID, Change]
	receipts memtx.Table[loyalty.IdempotencyKey, Receipt]
	meta     memtx.Table[string, time.Time]

	// idx orders account IDs for Accounts. It may hold IDs of accounts whose creation was
	// rolled back; Accounts skips them.
	idxMu   sync.Mutex
	ids     []loyalty.AccountID // sorted, unique
	pending []loyalty.AccountID // added since the last sort

	ro *memTx // the read transaction of every view (over memtx.ReadOnly)
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.receipts.Clone = func(r Receipt) Receipt { r.Status = r.Status.Clone(); return r }
	s.ro = &memTx{s, memtx.ReadOnly()}
	return s
}

// Update implements [Store].
func (s *MemoryStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error { return fn(memTx{s, tx}) })
}

// View implements [Store].
func (s *MemoryStore) View(ctx context.Context, fn func(tx ReadTx) error) error {
	return memtx.ViewWith(ctx, &s.db, ReadTx(s.ro), fn)
}

type memTx struct {
	s  *MemoryStore
	tx *memtx.Tx
}

func (t memTx) Account(id loyalty.AccountID) (Account, error) {
	var a Account
	if err := t.lendAccount(id, &a); err != nil {
		return Account{}, err
	}
	return a.Clone(), nil
}

// lendAccount writes the account id to *a as stored, instead of a copy: its history and
// status pointers are shared with the store's row and must not be modified. A missing
// account is an error wrapping loyalty.ErrNotFound (*a is then left as it was). Its
// receiver is a pointer, the views' transaction (EffectiveAt asserts it), so that no copy
// of the transaction is made.
func (t *memTx) lendAccount(id loyalty.AccountID, a *Account) error {
	r, ok := t.s.accounts.Get(t.tx, id)
	if !ok {
		return fmt.Errorf("tier: account %q: %w", id, loyalty.ErrNotFound)
	}
	r.accountInto(id, a)
	return nil
}

func (t memTx) Accounts(after loyalty.AccountID, limit int) ([]Account, error) {
	if limit <= 0 {
		return nil, nil
	}
	s := t.s
	s.idxMu.Lock()
	if len(s.pending) > 0 {
		slices.Sort(s.pending)
		merged := make([]loyalty.AccountID, 0, len(s.ids)+len(s.pending))
		i, j := 0, 0
		for i < len(s.ids) || j < len(s.pending) {
			var next loyalty.AccountID
			if j == len(s.pending) || (i < len(s.ids) && s.ids[i] <= s.pending[j]) {
				next = s.ids[i]
				i++
			} else {
				next = s.pending[j]
				j++
			}
			if n := len(merged); n == 0 || merged[n-1] != next {
				merged = append(merged, next)
			}
		}
		s.ids, s.pending = merged, nil
	}
	ids := s.ids
	s.idxMu.Unlock()
	start, _ := slices.BinarySearch(ids, after)
	if start < len(ids) && ids[start] == after {
		start++
	}
	out := make([]Account, 0, min(limit, len(ids)-start))
	for _, id := range ids[start:] {
		if r, ok := s.accounts.Get(t.tx, id); ok {
			out = append(out, r.account(id).Clone())
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (t memTx) Changes(id loyalty.AccountID) ([]Change, error) {
	var out []Change
	t.s.changes.Range(t.tx, id, 0, func(_ int, c Change) bool {
		out = append(out, c)
		return true
	})
	return out, nil
}

func (t memTx) Receipt(key loyalty.IdempotencyKey) (Receipt, bool, error) {
	r, ok := t.s.receipts.Get(t.tx, key)
	return r, ok, nil
}

func (t memTx) LastBatchReview() (time.Time, error) {
	v, _ := t.s.meta.Get(t.tx, "last-batch-review")
	return v, nil
}

func (t memTx) PutAccount(a Account) error {
	if a.ID == "" {
		return loyalty.Invalid("account", nil, "is required")
	}
	n := t.s.accounts.Len(t.tx)
	if err := t.s.accounts.Put(t.tx, a.ID, toRow(a.Clone())); err != nil {
		return err
	}
	if t.s.accounts.Len(t.tx) > n { // a new account
		t.s.idxMu.Lock()
		t.s.pending = append(t.s.pending, a.ID)
		t.s.idxMu.Unlock()
	}
	return nil
}

func (t memTx) AppendChanges(changes ...Change) error {
	for _, c := range changes {
		if _, err := t.s.changes.Append(t.tx, c.Account, c); err != nil {
			return err
		}
	}
	return nil
}

func (t memTx) PutReceipt(key loyalty.IdempotencyKey, r Receipt) error {
	if _, ok := t.s.receipts.Get(t.tx, key); ok {
		return fmt.Errorf("tier: idempotency key %q: %w", key, loyalty.ErrConflict)
	}
	return t.s.receipts.Put(t.tx, key, r)
}

func (t memTx) SetLastBatchReview(at time.Time) error {
	return t.s.meta.Put(t.tx, "last-batch-review", at)
}

// row is the stored form of an Account: times as Unix seconds and nanoseconds (no location
// pointer), the rarely set parts of the status behind one pointer, so that a million rows
// hold few pointers for the garbage collector to scan. Times come back in UTC.
type row struct {
	enrolled, since, reviewed instant
	level                     int
	history                   History
	extra                     *rowExtra // nil when the status has no grace, override or membership
}

type rowExtra struct {
	grace      *Grace
	override   *Override
	membership *Membership
}

// instant is a time without its location; the zero instant is the zero time.
type instant struct {
	sec  int64
	nsec int32
	set  bool
}

func toInstant(t time.Time) instant {
	if t.IsZero() {
		return instant{}
	}
	return instant{sec: t.Unix(), nsec: int32(t.Nanosecond()), set: true}
}

func (i instant) time() time.Time {
	if !i.set {
		return time.Time{}
	}
	return time.Unix(i.sec, int64(i.nsec)).UTC()
}

// toRow converts a for storing, sharing its history and status pointers.
func toRow(a Account) row {
	r := row{
		enrolled: toInstant(a.Enrolled), since: toInstant(a.Status.Since), reviewed: toInstant(a.Status.Reviewed),
		level: a.Status.Level, history: a.History,
	}
	if st := a.Status; st.Grace != nil || st.Override != nil || st.Membership != nil {
		r.extra = &rowExtra{grace: st.Grace, override: st.Override, membership: st.Membership}
	}
	return r
}

// account rebuilds the Account of a row, sharing its history and status pointers.
func (r row) account(id loyalty.AccountID) Account {
	var a Account
	r.accountInto(id, &a)
	return a
}

// accountInto is account written to *a.
func (r *row) accountInto(id loyalty.AccountID, a *Account) {
	*a = Account{
		ID: id, Enrolled: r.enrolled.time(), History: r.history,
		Status: Status{Level: r.level, Since: r.since.time(), Reviewed: r.reviewed.time()},
	}
	if x := r.extra; x != nil {
		a.Status.Grace, a.Status.Override, a.Status.Membership = x.grace, x.override, x.membership
	}
}
