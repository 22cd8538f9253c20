package points

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// NewMemoryStore returns an in-memory [Store], the embedded default. It is built on one
// serializable transaction mechanism: a failed Update leaves it exactly as it was. Values
// are copied in and out. It is safe for concurrent use.
//
// Reading a balance row, earning, and appending entries take constant time however long
// the history. OpenLots reads a holder's lots from the oldest one still open, so it grows
// with the lots a holder has open (and closed lots interleaved with them), not with all
// the lots ever earned.
func NewMemoryStore() Store {
	return &memStore{
		entries:   memtx.Log[int, *Entry]{}, // copied by AppendEntry and the readers
		purchases: memtx.Table[purchaseKey, Purchase]{Clone: clonePurchase},
		records:   memtx.Table[loyalty.IdempotencyKey, Record]{Clone: cloneRecord},
	}
}

type purchaseKey struct {
	h Holder
	o loyalty.OrderID
}

type memLot struct {
	lot Lot
	pos int // position in the holder's lot log
}

type memStore struct {
	db         memtx.DB
	accounts   memtx.Table[Holder, Account]
	lots       memtx.Table[LotID, memLot]
	holderLots memtx.Log[Holder, LotID]
	cursor     memtx.Table[Holder, int] // no lot before this position of holderLots is open
	entries    memtx.Log[int, *Entry]   // every entry, under key 0; ID = position + 1; never modified
	holderLog  memtx.Log[Holder, int]   // positions in entries, per holder
	purchases  memtx.Table[purchaseKey, Purchase]
	records    memtx.Table[loyalty.IdempotencyKey, Record]
	seq        memtx.Table[string, int64]
}

func cloneEntry(e Entry) Entry {
	e.Lots = slices.Clone(e.Lots)
	e.Lines = slices.Clone(e.Lines)
	return e
}

func clonePurchase(p Purchase) Purchase {
	p.Lines = slices.Clone(p.Lines)
	p.Redeemed = slices.Clone(p.Redeemed)
	return p
}

func cloneRecord(r Record) Record {
	r.Entries = slices.Clone(r.Entries)
	return r
}

func (s *memStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error { return fn(memTx{s, tx}) })
}

func (s *memStore) View(ctx context.Context, fn func(tx ReadTx) error) error {
	return s.db.View(ctx, func(tx *memtx.Tx) error { return fn(memTx{s, tx}) })
}

type memTx struct {
	s  *memStore
	tx *memtx.Tx
}

// Not-found errors are preallocated: a miss (a new idempotency key, a new order) is the
// common case of every posting and must not allocate.
var (
	errNoAccount  = fmt.Errorf("points: account: %w", loyalty.ErrNotFound)
	errNoLot      = fmt.Errorf("points: lot: %w", loyalty.ErrNotFound)
	errNoPurchase = fmt.Errorf("points: purchase: %w", loyalty.ErrNotFound)
	errNoRecord   = fmt.Errorf("points: idempotency record: %w", loyalty.ErrNotFound)
)

func (t memTx) Account(h Holder) (Account, error) {
	a, ok := t.s.accounts.Get(t.tx, h)
	if !ok {
		return Account{}, errNoAccount
	}
	return a, nil
}

func (t memTx) Accounts(fn func(Account) bool) error {
	t.s.accounts.Range(t.tx, func(_ Holder, a Account) bool { return fn(a) })
	return nil
}

func (t memTx) Lot(id LotID) (Lot, error) {
	m, ok := t.s.lots.Get(t.tx, id)
	if !ok {
		return Lot{}, errNoLot
	}
	return m.lot, nil
}

func (t memTx) OpenLots(h Holder) ([]Lot, error) {
	from, _ := t.s.cursor.Get(t.tx, h)
	var out []Lot
	var err error
	t.s.holderLots.Range(t.tx, h, from, func(_ int, id LotID) bool {
		m, ok := t.s.lots.Get(t.tx, id)
		if !ok {
			err = errNoLot
			return false
		}
		if m.lot.Open() {
			out = append(out, m.lot)
		}
		return true
	})
	slices.SortFunc(out, func(a, b Lot) int {
		switch {
		case a.SpendsBefore(b):
			return -1
		case b.SpendsBefore(a):
			return 1
		}
		return 0
	})
	return out, err
}

func (t memTx) AllOpenLots(fn func(Lot) bool) error {
	t.s.lots.Range(t.tx, func(_ LotID, m memLot) bool {
		if m.lot.Open() {
			return fn(m.lot)
		}
		return true
	})
	return nil
}

func (t memTx) Entry(id EntryID) (Entry, error) {
	e, ok := t.s.entries.At(t.tx, 0, int(id)-1)
	if !ok {
		return Entry{}, fmt.Errorf("points: entry %d: %w", id, loyalty.ErrNotFound)
	}
	return cloneEntry(*e), nil
}

func (t memTx) Entries(h Holder, from, limit int) ([]Entry, error) {
	var out []Entry
	t.s.holderLog.Range(t.tx, h, from, func(_ int, pos int) bool {
		if len(out) >= limit {
			return false
		}
		e, _ := t.s.entries.At(t.tx, 0, pos)
		out = append(out, cloneEntry(*e))
		return true
	})
	return out, nil
}

func (t memTx) EntriesBetween(from, to time.Time, fn func(Entry) bool) error {
	t.s.entries.Range(t.tx, 0, 0, func(_ int, e *Entry) bool {
		if e.At.Before(from) || !e.At.Before(to) {
			return true
		}
		return fn(cloneEntry(*e))
	})
	return nil
}

func (t memTx) Purchase(h Holder, order loyalty.OrderID) (Purchase, error) {
	p, ok := t.s.purchases.Get(t.tx, purchaseKey{h, order})
	if !ok {
		return Purchase{}, errNoPurchase
	}
	return p, nil
}

func (t memTx) Record(key loyalty.IdempotencyKey) (Record, error) {
	r, ok := t.s.records.Get(t.tx, key)
	if !ok {
		return Record{}, errNoRecord
	}
	return r, nil
}

func (t memTx) PutAccount(a Account) error { return t.s.accounts.Put(t.tx, a.Holder, a) }

func (t memTx) next(name string) (int64, error) {
	n, _ := t.s.seq.Get(t.tx, name)
	n++
	return n, t.s.seq.Put(t.tx, name, n)
}

func (t memTx) InsertLot(l Lot) (Lot, error) {
	id, err := t.next("lot")
	if err != nil {
		return Lot{}, err
	}
	l.ID = LotID(id)
	pos, err := t.s.holderLots.Append(t.tx, l.Holder, l.ID)
	if err != nil {
		return Lot{}, err
	}
	return l, t.s.lots.Put(t.tx, l.ID, memLot{lot: l, pos: pos})
}

func (t memTx) UpdateLot(l Lot) error {
	m, ok := t.s.lots.Get(t.tx, l.ID)
	if !ok {
		return fmt.Errorf("points: lot %d: %w", l.ID, loyalty.ErrNotFound)
	}
	if m.lot.Holder != l.Holder {
		return fmt.Errorf("points: lot %d belongs to %s, not %s: %w", l.ID, m.lot.Holder, l.Holder, loyalty.ErrConflict)
	}
	if err := t.s.lots.Put(t.tx, l.ID, memLot{lot: l, pos: m.pos}); err != nil {
		return err
	}
	cur, _ := t.s.cursor.Get(t.tx, l.Holder)
	switch {
	case l.Open() && m.pos < cur: // reopened behind the cursor
		return t.s.cursor.Put(t.tx, l.Holder, m.pos)
	case !l.Open() && m.pos == cur: // the oldest open lot closed: skip the closed prefix
		n := t.s.holderLots.Len(t.tx, l.Holder)
		for cur < n {
			id, _ := t.s.holderLots.At(t.tx, l.Holder, cur)
			x, _ := t.s.lots.Get(t.tx, id)
			if x.lot.Open() {
				break
			}
			cur++
		}
		return t.s.cursor.Put(t.tx, l.Holder, cur)
	}
	return nil
}

func (t memTx) AppendEntry(e Entry) (Entry, error) {
	pos := t.s.entries.Len(t.tx, 0)
	e.ID = EntryID(pos + 1)
	stored := cloneEntry(e) // e's slices stay with the caller
	if _, err := t.s.entries.Append(t.tx, 0, &stored); err != nil {
		return Entry{}, err
	}
	if _, err := t.s.holderLog.Append(t.tx, e.Holder, pos); err != nil {
		return Entry{}, err
	}
	return e, nil
}

func (t memTx) PutPurchase(p Purchase) error {
	return t.s.purchases.Put(t.tx, purchaseKey{p.Holder, p.Order}, p)
}

func (t memTx) PutRecord(r Record) error {
	if _, ok := t.s.records.Get(t.tx, r.Key); ok {
		return fmt.Errorf("points: idempotency key %q exists: %w", r.Key, loyalty.ErrConflict)
	}
	return t.s.records.Put(t.tx, r.Key, r)
}
