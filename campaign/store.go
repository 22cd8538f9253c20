package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// OrderStore is the engine's own state: the journal of commits and returns (one record per
// idempotency key), the committed orders with what has been returned from them, and per
// account the purchase history that cumulative discounts read and the count of orders that
// first-order conditions read. It is separate from the stores of the domain packages, which
// keep their own state.
//
// Contract, which [github.com/loyaltykit/loyalty/campaign/campaigntest.Run] checks:
//   - Update runs fn in one serializable, all-or-nothing transaction: if fn returns an error
//     (or panics) nothing it wrote is kept. fn may be run more than once (SQL stores retry
//     serialization failures), so it has no effect outside tx.
//   - View runs fn in a read-only transaction that sees one consistent state.
//   - Reads of absent records return an error wrapping loyalty.ErrNotFound.
//   - Put methods insert or replace the record under its key; the engine decides what may be
//     replaced, inside one transaction.
//   - Values are copied in and out: callers never alias stored data.
//   - Implementations are safe for concurrent use.
type OrderStore interface {
	Update(ctx context.Context, fn func(tx OrderTx) error) error
	View(ctx context.Context, fn func(tx OrderReadTx) error) error
}

// OrderReadTx is the read side of an [OrderStore] transaction. It is valid only inside the
// function it was passed to; do not share it between goroutines.
type OrderReadTx interface {
	// Commit returns the journal record of a commit key, or an error wrapping
	// loyalty.ErrNotFound.
	Commit(key loyalty.IdempotencyKey) (CommitRecord, error)
	// Order returns the record of an order claimed by a commit, or an error wrapping
	// loyalty.ErrNotFound.
	Order(id loyalty.OrderID) (OrderRecord, error)
	// Account returns an account's purchase record, or an error wrapping loyalty.ErrNotFound.
	Account(id loyalty.AccountID) (AccountRecord, error)
	// Accounts returns up to limit account records whose IDs are greater than after (the
	// empty ID starts from the beginning), in increasing byte-wise order of ID.
	Accounts(after loyalty.AccountID, limit int) ([]AccountRecord, error)
	// Return returns the journal record of a return key, or an error wrapping
	// loyalty.ErrNotFound.
	Return(key loyalty.IdempotencyKey) (ReturnRecord, error)
	// Budget returns a campaign's budget counter: its total when account is empty, the
	// account's share otherwise; or an error wrapping loyalty.ErrNotFound.
	Budget(id loyalty.CampaignID, account loyalty.AccountID) (BudgetRecord, error)
	// BudgetUse returns the record of one change of budget counters by its key, or an error
	// wrapping loyalty.ErrNotFound.
	BudgetUse(key loyalty.IdempotencyKey) (BudgetUse, error)
}

// OrderTx is a read-write [OrderStore] transaction. It is valid only inside the function it
// was passed to; do not share it between goroutines.
type OrderTx interface {
	OrderReadTx
	// PutCommit inserts or replaces the record under r.Key.
	PutCommit(r CommitRecord) error
	// PutOrder inserts or replaces the record under r.ID.
	PutOrder(r OrderRecord) error
	// PutAccount inserts or replaces the record under r.Account.
	PutAccount(r AccountRecord) error
	// PutReturn inserts or replaces the record under r.Key.
	PutReturn(r ReturnRecord) error
	// PutBudget inserts or replaces the counter under (r.Campaign, r.Account).
	PutBudget(r BudgetRecord) error
	// PutBudgetUse inserts or replaces the record under u.Key.
	PutBudgetUse(u BudgetUse) error
}

// State is the state of a journal record: a commit or a return. It is a plain string value,
// safe for concurrent use.
type State string

// The journal states. An attempt starts Pending; it ends Done, or Failed when a step refused
// on business grounds and the steps before it were compensated. A Pending record found by a
// later call with the same key is resumed: its steps are idempotent by their sub-keys.
const (
	Pending State = "pending"
	Done    State = "done"
	Failed  State = "failed"
)

// CommitRecord is the journal record of one commit key: the request it answers, the state
// and number of its current attempt, the quote that attempt applies, and the receipt once
// done. It is plain data, safe for concurrent use when not modified.
type CommitRecord struct {
	Key     loyalty.IdempotencyKey `json:"key"`
	Order   loyalty.OrderID        `json:"order"`
	Account loyalty.AccountID      `json:"account"`
	Request string                 `json:"request"` // fingerprint of the order and options
	State   State                  `json:"state"`
	Attempt int                    `json:"attempt"`
	Quote   Quote                  `json:"quote"`
	Receipt *Receipt               `json:"receipt,omitempty"`
	Error   string                 `json:"error,omitempty"` // why the last attempt failed
	At      time.Time              `json:"at"`              // when the record last changed
}

// OrderRecord is an order claimed by a commit key, and what has been returned from it
// (returns still pending included, so that concurrent returns never exceed the order).
// It is plain data, safe for concurrent use when not modified.
type OrderRecord struct {
	ID        loyalty.OrderID        `json:"id"`
	Account   loyalty.AccountID      `json:"account"`
	Key       loyalty.IdempotencyKey `json:"key"`
	Committed bool                   `json:"committed"`
	Returned  []loyalty.ReturnLine   `json:"returned,omitempty"`
	Full      bool                   `json:"full,omitempty"` // every line fully returned
}

// AccountRecord is what the engine knows of an account's purchases: the number of its
// committed orders that were not fully returned (first-order conditions read it) and its
// purchase history (cumulative discounts read it): the amount paid after discounts of every
// committed order, and every return as a negative purchase. The history is kept bounded:
// purchases that no rolling window of the policy can read any more are folded into
// History.Carried, which keeps the lifetime sum, and only the latest positive purchase (which
// decaying discounts read) stays listed beside them. It is plain data, safe for concurrent
// use when not modified.
type AccountRecord struct {
	Account loyalty.AccountID `json:"account"`
	Orders  int               `json:"orders"`
	History discount.History  `json:"history"`
	// Since is when the account's earliest committed order was placed (zero before its
	// first commit; returns do not change it); campaigns' tenure conditions read it.
	Since time.Time `json:"since,omitzero"`
}

// ReturnRecord is the journal record of one return key. It is plain data, safe for
// concurrent use when not modified.
type ReturnRecord struct {
	Key     loyalty.IdempotencyKey `json:"key"`
	Order   loyalty.OrderID        `json:"order"`
	Lines   []loyalty.ReturnLine   `json:"lines"`
	Request string                 `json:"request"`
	State   State                  `json:"state"`
	Plan    ReturnPlan             `json:"plan"`
	Receipt *ReturnReceipt         `json:"receipt,omitempty"`
	At      time.Time              `json:"at"`
}

// NewMemoryStore returns an in-memory [OrderStore], the embedded default. It is built on
// internal/memtx: a failed Update leaves it exactly as it was. Orders and accounts, read on
// every evaluation, are kept as deep-copied values; journal records, which hold whole quotes
// and receipts, are kept JSON-encoded, as a SQL store would keep them. Nothing is aliased.
// It is safe for concurrent use.
func NewMemoryStore() OrderStore {
	clone := func(b []byte) []byte { return append([]byte(nil), b...) }
	s := &memStore{
		commits: memtx.Table[loyalty.IdempotencyKey, []byte]{Clone: clone},
		orders: memtx.Table[loyalty.OrderID, OrderRecord]{Clone: func(r OrderRecord) OrderRecord {
			r.Returned = append([]loyalty.ReturnLine(nil), r.Returned...)
			return r
		}},
		// Accounts are copied in and out by memTx (Account, PutAccount), so that an
		// evaluation can copy a history into memory of its own (accountInto).
		accounts: memtx.Table[loyalty.AccountID, AccountRecord]{},
		returns:  memtx.Table[loyalty.IdempotencyKey, []byte]{Clone: clone},
		budgets:  memtx.Table[budgetKey, counter]{},
		totals:   memtx.Table[loyalty.CampaignID, counter]{},
		uses: memtx.Table[loyalty.IdempotencyKey, BudgetUse]{Clone: func(u BudgetUse) BudgetUse {
			u.Items = append([]BudgetItem(nil), u.Items...)
			return u
		}},
	}
	s.ro = &memTx{s, memtx.ReadOnly()}
	return s
}

type budgetKey struct {
	id      loyalty.CampaignID
	account loyalty.AccountID
}

// counter is a stored budget counter: a [BudgetRecord] without the campaign and account,
// which are its key.
type counter struct {
	uses  int64
	spent loyalty.Money
}

type memStore struct {
	db       memtx.DB
	commits  memtx.Table[loyalty.IdempotencyKey, []byte]
	orders   memtx.Table[loyalty.OrderID, OrderRecord]
	accounts memtx.Table[loyalty.AccountID, AccountRecord]
	returns  memtx.Table[loyalty.IdempotencyKey, []byte]
	budgets  memtx.Table[budgetKey, counter] // the accounts' counters
	// totals are the campaigns' counters in all (Account ""), apart from the accounts': a
	// table of few rows by a string key, which an evaluation reads with no hashing.
	totals memtx.Table[loyalty.CampaignID, counter]
	uses   memtx.Table[loyalty.IdempotencyKey, BudgetUse]

	ro *memTx // the read transaction of every view (over memtx.ReadOnly)
}

type memTx struct {
	s  *memStore
	tx *memtx.Tx
}

func (s *memStore) Update(ctx context.Context, fn func(tx OrderTx) error) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error { return fn(memTx{s, tx}) })
}

func (s *memStore) View(ctx context.Context, fn func(tx OrderReadTx) error) error {
	return s.db.View(ctx, func(*memtx.Tx) error { return fn(s.ro) })
}

func get[K comparable, V any](tx *memtx.Tx, t *memtx.Table[K, []byte], k K, what string) (V, error) {
	var v V
	b, ok := t.Get(tx, k)
	if !ok {
		return v, fmt.Errorf("campaign: %s %v: %w", what, k, loyalty.ErrNotFound)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("campaign: %s %v: %w", what, k, err)
	}
	return v, nil
}

func put[K comparable, V any](tx *memtx.Tx, t *memtx.Table[K, []byte], k K, v V, what string) error {
	if k == *new(K) {
		return loyalty.Invalid(what, nil, "has no key")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("campaign: %s %v: %w", what, k, err)
	}
	return t.Put(tx, k, b)
}

func (t memTx) Commit(key loyalty.IdempotencyKey) (CommitRecord, error) {
	return get[loyalty.IdempotencyKey, CommitRecord](t.tx, &t.s.commits, key, "commit")
}
func (t memTx) Order(id loyalty.OrderID) (OrderRecord, error) {
	r, ok := t.s.orders.Get(t.tx, id)
	if !ok {
		return OrderRecord{}, fmt.Errorf("campaign: order %s: %w", id, loyalty.ErrNotFound)
	}
	return r, nil
}
func (t memTx) Account(id loyalty.AccountID) (AccountRecord, error) {
	return t.accountInto(id, nil)
}

// accountInto is Account with the history's purchases copied into buf's memory (from its
// start) when it has room.
func (t memTx) accountInto(id loyalty.AccountID, buf []discount.Purchase) (AccountRecord, error) {
	r, ok := t.s.accounts.Get(t.tx, id)
	if !ok {
		return AccountRecord{}, fmt.Errorf("campaign: account %s: %w", id, loyalty.ErrNotFound)
	}
	r.History.Purchases = append(buf[:0], r.History.Purchases...) // nil for none without buf
	return r, nil
}
func (t memTx) Return(key loyalty.IdempotencyKey) (ReturnRecord, error) {
	return get[loyalty.IdempotencyKey, ReturnRecord](t.tx, &t.s.returns, key, "return")
}
func (t memTx) PutCommit(r CommitRecord) error { return put(t.tx, &t.s.commits, r.Key, r, "commit") }
func (t memTx) Accounts(after loyalty.AccountID, limit int) ([]AccountRecord, error) {
	if limit <= 0 {
		return nil, loyalty.Invalid("limit", limit, "must be positive")
	}
	var ids []loyalty.AccountID
	t.s.accounts.Range(t.tx, func(k loyalty.AccountID, _ AccountRecord) bool {
		if k > after {
			ids = append(ids, k)
		}
		return true
	})
	slices.Sort(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]AccountRecord, len(ids))
	for i, id := range ids {
		out[i], _ = t.Account(id)
	}
	return out, nil
}

func (t memTx) PutOrder(r OrderRecord) error {
	if r.ID == "" {
		return loyalty.Invalid("order", nil, "has no key")
	}
	return t.s.orders.Put(t.tx, r.ID, r)
}
func (t memTx) PutAccount(r AccountRecord) error {
	if r.Account == "" {
		return loyalty.Invalid("account", nil, "has no key")
	}
	r.History.Purchases = append([]discount.Purchase(nil), r.History.Purchases...)
	return t.s.accounts.Put(t.tx, r.Account, r)
}
func (t memTx) PutReturn(r ReturnRecord) error { return put(t.tx, &t.s.returns, r.Key, r, "return") }

func (t memTx) Budget(id loyalty.CampaignID, account loyalty.AccountID) (BudgetRecord, error) {
	c, ok := t.budget(id, account)
	if !ok {
		return BudgetRecord{}, fmt.Errorf("campaign: budget of %s %s: %w", id, account, loyalty.ErrNotFound)
	}
	return BudgetRecord{Campaign: id, Account: account, Uses: c.uses, Spent: c.spent}, nil
}

// budgetCounter returns the uses and money spent of the counter of (id, account), zero for
// one not stored (memReader).
func (t memTx) budgetCounter(id loyalty.CampaignID, account loyalty.AccountID) (int64, loyalty.Money, error) {
	c, _ := t.budget(id, account)
	return c.uses, c.spent, nil
}

// budget returns the counter of (id, account) and whether it is stored.
func (t memTx) budget(id loyalty.CampaignID, account loyalty.AccountID) (counter, bool) {
	if account == "" {
		return t.s.totals.Get(t.tx, id)
	}
	return t.s.budgets.Get(t.tx, budgetKey{id, account})
}

func (t memTx) BudgetUse(key loyalty.IdempotencyKey) (BudgetUse, error) {
	u, ok := t.s.uses.Get(t.tx, key)
	if !ok {
		return BudgetUse{}, fmt.Errorf("campaign: budget use %s: %w", key, loyalty.ErrNotFound)
	}
	return u, nil
}
func (t memTx) PutBudget(r BudgetRecord) error {
	if r.Campaign == "" {
		return loyalty.Invalid("budget", nil, "has no campaign")
	}
	c := counter{uses: r.Uses, spent: r.Spent}
	if r.Account == "" {
		return t.s.totals.Put(t.tx, r.Campaign, c)
	}
	return t.s.budgets.Put(t.tx, budgetKey{r.Campaign, r.Account}, c)
}
func (t memTx) PutBudgetUse(u BudgetUse) error {
	if u.Key == "" {
		return loyalty.Invalid("budget use", nil, "has no key")
	}
	return t.s.uses.Put(t.tx, u.Key, u)
}
