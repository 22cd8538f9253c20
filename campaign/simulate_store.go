package campaign

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/internal/memtx"
	"github.com/loyaltykit/loyalty/tier"
)

// The default stores of a simulation forget what they keep only for retries and returns once
// it is older than the return window (a day of margin added), so that a simulation's memory
// does not grow with the length of its history. The points ledger's memory store does it by
// itself (points.MemoryOptions.Retention). The engine's journal and the tier service's
// receipts live in stores of other packages that keep everything, so the simulation wraps
// them: the wrapper keeps those records itself in memtx.Aged tables, as plain values, and
// forgets them on prune. The wrapper's transaction encloses the wrapped store's: when the
// wrapped transaction fails, memtx undoes the wrapper's writes with it.

// simOrderStore is the OrderStore of a simulation: it keeps the journal of commits and
// returns, the order records and the budget uses itself (the memory store keeps journal
// records JSON-encoded, which dominates the cost of a commit); accounts and budget counters,
// which are per-account state, live in the wrapped store.
type simOrderStore struct {
	OrderStore // the wrapped store
	clock      loyalty.Clock

	db      memtx.DB
	commits memtx.Aged[loyalty.IdempotencyKey, CommitRecord]
	orders  memtx.Aged[loyalty.OrderID, OrderRecord]
	returns memtx.Aged[loyalty.IdempotencyKey, ReturnRecord]
	uses    memtx.Aged[loyalty.IdempotencyKey, BudgetUse]
}

func newSimOrderStore(inner OrderStore, clock loyalty.Clock) *simOrderStore {
	return &simOrderStore{OrderStore: inner, clock: clock,
		orders: memtx.Aged[loyalty.OrderID, OrderRecord]{Clone: func(r OrderRecord) OrderRecord {
			r.Returned = slices.Clone(r.Returned)
			return r
		}},
		returns: memtx.Aged[loyalty.IdempotencyKey, ReturnRecord]{Clone: func(r ReturnRecord) ReturnRecord {
			r.Lines = slices.Clone(r.Lines)
			return r
		}},
		uses: memtx.Aged[loyalty.IdempotencyKey, BudgetUse]{Clone: func(u BudgetUse) BudgetUse {
			u.Items = slices.Clone(u.Items)
			return u
		}},
	}
}

// simTx is the wrapped transaction with the journal's reads and writes overridden.
type simTx struct {
	OrderTx
	s   *simOrderStore
	tx  *memtx.Tx
	now time.Time
}

// simReadTx is the read side of View.
type simReadTx struct {
	OrderReadTx
	s  *simOrderStore
	tx *memtx.Tx
}

func (s *simOrderStore) Update(ctx context.Context, fn func(tx OrderTx) error) error {
	return s.db.Update(ctx, func(mtx *memtx.Tx) error {
		now := s.clock.Now()
		return s.OrderStore.Update(ctx, func(tx OrderTx) error { return fn(&simTx{OrderTx: tx, s: s, tx: mtx, now: now}) })
	})
}

func (s *simOrderStore) View(ctx context.Context, fn func(tx OrderReadTx) error) error {
	return s.db.View(ctx, func(mtx *memtx.Tx) error {
		return s.OrderStore.View(ctx, func(tx OrderReadTx) error { return fn(simReadTx{OrderReadTx: tx, s: s, tx: mtx}) })
	})
}

// prune forgets the journal records, orders and budget uses last written before limit.
func (s *simOrderStore) prune(ctx context.Context, limit time.Time) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error {
		for _, forget := range []func(*memtx.Tx, time.Time) (int, error){s.commits.Forget, s.orders.Forget, s.returns.Forget, s.uses.Forget} {
			if _, err := forget(tx, limit); err != nil {
				return err
			}
		}
		return nil
	})
}

func notFound(what string, k any) error {
	return fmt.Errorf("campaign: %s %v: %w", what, k, loyalty.ErrNotFound)
}

func (s *simOrderStore) commit(tx *memtx.Tx, key loyalty.IdempotencyKey) (CommitRecord, error) {
	if r, ok := s.commits.Get(tx, key); ok {
		return r, nil
	}
	return CommitRecord{}, notFound("commit", key)
}

func (s *simOrderStore) order(tx *memtx.Tx, id loyalty.OrderID) (OrderRecord, error) {
	if r, ok := s.orders.Get(tx, id); ok {
		return r, nil
	}
	return OrderRecord{}, notFound("order", id)
}

func (s *simOrderStore) ret(tx *memtx.Tx, key loyalty.IdempotencyKey) (ReturnRecord, error) {
	if r, ok := s.returns.Get(tx, key); ok {
		return r, nil
	}
	return ReturnRecord{}, notFound("return", key)
}

func (s *simOrderStore) use(tx *memtx.Tx, key loyalty.IdempotencyKey) (BudgetUse, error) {
	if u, ok := s.uses.Get(tx, key); ok {
		return u, nil
	}
	return BudgetUse{}, notFound("budget use", key)
}

func (t simReadTx) Commit(key loyalty.IdempotencyKey) (CommitRecord, error) {
	return t.s.commit(t.tx, key)
}
func (t simReadTx) Order(id loyalty.OrderID) (OrderRecord, error) { return t.s.order(t.tx, id) }

// accountInto and budgetCounter are the inner store's (memReader), when it has them.
func (t simReadTx) accountInto(id loyalty.AccountID, buf []discount.Purchase) (AccountRecord, error) {
	if r, ok := t.OrderReadTx.(memReader); ok {
		return r.accountInto(id, buf)
	}
	return t.OrderReadTx.Account(id)
}
func (t simReadTx) budgetCounter(id loyalty.CampaignID, account loyalty.AccountID) (int64, loyalty.Money, error) {
	return budgetCounterOf(t.OrderReadTx, id, account)
}
func (t simReadTx) Return(key loyalty.IdempotencyKey) (ReturnRecord, error) {
	return t.s.ret(t.tx, key)
}
func (t simReadTx) BudgetUse(key loyalty.IdempotencyKey) (BudgetUse, error) {
	return t.s.use(t.tx, key)
}

func (t *simTx) Commit(key loyalty.IdempotencyKey) (CommitRecord, error) {
	return t.s.commit(t.tx, key)
}
func (t *simTx) Order(id loyalty.OrderID) (OrderRecord, error) { return t.s.order(t.tx, id) }
func (t *simTx) Return(key loyalty.IdempotencyKey) (ReturnRecord, error) {
	return t.s.ret(t.tx, key)
}
func (t *simTx) BudgetUse(key loyalty.IdempotencyKey) (BudgetUse, error) {
	return t.s.use(t.tx, key)
}

func (t *simTx) PutCommit(r CommitRecord) error {
	if r.Key == "" {
		return loyalty.Invalid("commit", nil, "has no key")
	}
	return t.s.commits.Put(t.tx, r.Key, r, t.now)
}

func (t *simTx) PutOrder(r OrderRecord) error {
	if r.ID == "" {
		return loyalty.Invalid("order", nil, "has no key")
	}
	return t.s.orders.Put(t.tx, r.ID, r, t.now)
}

func (t *simTx) PutReturn(r ReturnRecord) error {
	if r.Key == "" {
		return loyalty.Invalid("return", nil, "has no key")
	}
	return t.s.returns.Put(t.tx, r.Key, r, t.now)
}

func (t *simTx) PutBudgetUse(u BudgetUse) error {
	if u.Key == "" {
		return loyalty.Invalid("budget use", nil, "has no key")
	}
	return t.s.uses.Put(t.tx, u.Key, u, t.now)
}

// simTierStore is the tier store of a simulation: it keeps the idempotency receipts itself
// and forgets them on prune.
type simTierStore struct {
	tier.Store
	clock    loyalty.Clock
	db       memtx.DB
	receipts memtx.Aged[loyalty.IdempotencyKey, tier.Receipt]
}

func newSimTierStore(inner tier.Store, clock loyalty.Clock) *simTierStore {
	return &simTierStore{Store: inner, clock: clock, receipts: memtx.Aged[loyalty.IdempotencyKey, tier.Receipt]{
		Clone: func(r tier.Receipt) tier.Receipt {
			r.Status = r.Status.Clone()
			return r
		}}}
}

type simTierTx struct {
	tier.Tx
	s   *simTierStore
	tx  *memtx.Tx
	now time.Time
}

type simTierReadTx struct {
	tier.ReadTx
	s  *simTierStore
	tx *memtx.Tx
}

func (s *simTierStore) Update(ctx context.Context, fn func(tx tier.Tx) error) error {
	return s.db.Update(ctx, func(mtx *memtx.Tx) error {
		now := s.clock.Now()
		return s.Store.Update(ctx, func(tx tier.Tx) error { return fn(&simTierTx{Tx: tx, s: s, tx: mtx, now: now}) })
	})
}

func (s *simTierStore) View(ctx context.Context, fn func(tx tier.ReadTx) error) error {
	return s.db.View(ctx, func(mtx *memtx.Tx) error {
		return s.Store.View(ctx, func(tx tier.ReadTx) error { return fn(simTierReadTx{ReadTx: tx, s: s, tx: mtx}) })
	})
}

// prune forgets the receipts written before limit.
func (s *simTierStore) prune(ctx context.Context, limit time.Time) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error {
		_, err := s.receipts.Forget(tx, limit)
		return err
	})
}

func (t simTierReadTx) Receipt(key loyalty.IdempotencyKey) (tier.Receipt, bool, error) {
	r, ok := t.s.receipts.Get(t.tx, key)
	return r, ok, nil
}

func (t *simTierTx) Receipt(key loyalty.IdempotencyKey) (tier.Receipt, bool, error) {
	r, ok := t.s.receipts.Get(t.tx, key)
	return r, ok, nil
}

func (t *simTierTx) PutReceipt(key loyalty.IdempotencyKey, r tier.Receipt) error {
	if _, ok := t.s.receipts.Get(t.tx, key); ok {
		return fmt.Errorf("campaign: tier receipt %s: %w", key, loyalty.ErrConflict)
	}
	return t.s.receipts.Put(t.tx, key, r, t.now)
}
