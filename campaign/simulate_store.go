package campaign

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
)

// simOrderStore is the OrderStore of a simulation: it keeps the journal of commits and
// returns and the order records itself, as plain values (the memory store keeps journal
// records JSON-encoded, which dominates the cost of a commit), and forgets those of orders
// past the return window (prune), so that they do not grow with the history. Everything
// else (the accounts' purchase records, and whatever the OrderStore interface holds besides)
// lives in the wrapped store. Updates are serialized and all-or-nothing: the journal writes
// of a transaction are applied only when the wrapped store's transaction succeeds.
type simOrderStore struct {
	OrderStore // the wrapped store

	mu      sync.Mutex
	commits map[loyalty.IdempotencyKey]CommitRecord
	orders  map[loyalty.OrderID]OrderRecord
	returns map[loyalty.IdempotencyKey]ReturnRecord
	// queue holds the keys of commits and returns in the order they were first written.
	queue []simKey
}

type simKey struct {
	key loyalty.IdempotencyKey
	ret bool
}

func newSimOrderStore(inner OrderStore) *simOrderStore {
	return &simOrderStore{OrderStore: inner,
		commits: map[loyalty.IdempotencyKey]CommitRecord{},
		orders:  map[loyalty.OrderID]OrderRecord{},
		returns: map[loyalty.IdempotencyKey]ReturnRecord{}}
}

// simTx overrides the journal and order methods of the wrapped transaction.
type simTx struct {
	OrderTx
	s       *simOrderStore
	commits map[loyalty.IdempotencyKey]CommitRecord
	orders  map[loyalty.OrderID]OrderRecord
	returns map[loyalty.IdempotencyKey]ReturnRecord
}

func (s *simOrderStore) Update(ctx context.Context, fn func(tx OrderTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var done *simTx
	err := s.OrderStore.Update(ctx, func(tx OrderTx) error {
		t := &simTx{OrderTx: tx, s: s}
		if err := fn(t); err != nil {
			return err
		}
		done = t
		return nil
	})
	if err != nil || done == nil {
		return err
	}
	for k, v := range done.commits {
		if _, ok := s.commits[k]; !ok {
			s.queue = append(s.queue, simKey{key: k})
		}
		s.commits[k] = v
	}
	for k, v := range done.orders {
		s.orders[k] = v
	}
	for k, v := range done.returns {
		if _, ok := s.returns[k]; !ok {
			s.queue = append(s.queue, simKey{key: k, ret: true})
		}
		s.returns[k] = v
	}
	return nil
}

func (s *simOrderStore) View(ctx context.Context, fn func(tx OrderReadTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.OrderStore.View(ctx, func(tx OrderReadTx) error {
		return fn(simReadTx{OrderReadTx: tx, s: s})
	})
}

// prune forgets the commits and returns no longer pending recorded before limit, and their orders,
// oldest first; it stops at the first record still pending.
func (s *simOrderStore) prune(limit time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 {
		k := s.queue[0]
		if k.ret {
			if r, ok := s.returns[k.key]; ok {
				if r.State == Pending || !r.At.Before(limit) {
					return
				}
				delete(s.returns, k.key)
			}
		} else if r, ok := s.commits[k.key]; ok {
			if r.State == Pending || !r.At.Before(limit) {
				return
			}
			delete(s.orders, r.Order)
			delete(s.commits, k.key)
		}
		s.queue[0] = simKey{}
		s.queue = s.queue[1:]
	}
}

func notFound(what string, k any) error {
	return fmt.Errorf("campaign: %s %v: %w", what, k, loyalty.ErrNotFound)
}

// simReadTx is the read side of View.
type simReadTx struct {
	OrderReadTx
	s *simOrderStore
}

func (t simReadTx) Commit(key loyalty.IdempotencyKey) (CommitRecord, error) {
	if r, ok := t.s.commits[key]; ok {
		return r, nil
	}
	return CommitRecord{}, notFound("commit", key)
}

func (t simReadTx) Order(id loyalty.OrderID) (OrderRecord, error) {
	if r, ok := t.s.orders[id]; ok {
		r.Returned = slices.Clone(r.Returned)
		return r, nil
	}
	return OrderRecord{}, notFound("order", id)
}

func (t simReadTx) Return(key loyalty.IdempotencyKey) (ReturnRecord, error) {
	if r, ok := t.s.returns[key]; ok {
		r.Lines = slices.Clone(r.Lines)
		return r, nil
	}
	return ReturnRecord{}, notFound("return", key)
}

func (t *simTx) Commit(key loyalty.IdempotencyKey) (CommitRecord, error) {
	if r, ok := t.commits[key]; ok {
		return r, nil
	}
	return simReadTx{s: t.s}.Commit(key)
}

func (t *simTx) Order(id loyalty.OrderID) (OrderRecord, error) {
	if r, ok := t.orders[id]; ok {
		r.Returned = slices.Clone(r.Returned)
		return r, nil
	}
	return simReadTx{s: t.s}.Order(id)
}

func (t *simTx) Return(key loyalty.IdempotencyKey) (ReturnRecord, error) {
	if r, ok := t.returns[key]; ok {
		r.Lines = slices.Clone(r.Lines)
		return r, nil
	}
	return simReadTx{s: t.s}.Return(key)
}

func (t *simTx) PutCommit(r CommitRecord) error {
	if r.Key == "" {
		return loyalty.Invalid("commit", nil, "has no key")
	}
	if t.commits == nil {
		t.commits = map[loyalty.IdempotencyKey]CommitRecord{}
	}
	t.commits[r.Key] = r
	return nil
}

func (t *simTx) PutOrder(r OrderRecord) error {
	if r.ID == "" {
		return loyalty.Invalid("order", nil, "has no key")
	}
	if t.orders == nil {
		t.orders = map[loyalty.OrderID]OrderRecord{}
	}
	r.Returned = slices.Clone(r.Returned)
	t.orders[r.ID] = r
	return nil
}

func (t *simTx) PutReturn(r ReturnRecord) error {
	if r.Key == "" {
		return loyalty.Invalid("return", nil, "has no key")
	}
	if t.returns == nil {
		t.returns = map[loyalty.IdempotencyKey]ReturnRecord{}
	}
	r.Lines = slices.Clone(r.Lines)
	t.returns[r.Key] = r
	return nil
}

// simKeep is a record kept for a while: its key in a queue with the time it was first
// written, so that the records older than a limit are forgotten oldest first.
type simKeep[K comparable] struct {
	key K
	at  time.Time
}

// simRetained is a map of records forgotten once older than the limit given to prune, with
// the writes of a transaction buffered until it succeeds.
type simRetained[K comparable, V any] struct {
	m     map[K]V
	queue []simKeep[K]
}

func (r *simRetained[K, V]) get(pending map[K]V, k K) (V, bool) {
	if v, ok := pending[k]; ok {
		return v, true
	}
	v, ok := r.m[k]
	return v, ok
}

func (r *simRetained[K, V]) apply(pending map[K]V, at time.Time) {
	if r.m == nil {
		r.m = map[K]V{}
	}
	for k, v := range pending {
		if _, ok := r.m[k]; !ok {
			r.queue = append(r.queue, simKeep[K]{k, at})
		}
		r.m[k] = v
	}
}

func (r *simRetained[K, V]) prune(limit time.Time) {
	for len(r.queue) > 0 && r.queue[0].at.Before(limit) {
		delete(r.m, r.queue[0].key)
		r.queue[0] = simKeep[K]{}
		r.queue = r.queue[1:]
	}
}

// simPointsStore wraps the points store of a simulation: it keeps the ledger's idempotency
// records and its per-order purchase records itself, and forgets them once older than the
// return window (prune); the lots, entries and balances stay in the wrapped store. Updates
// are serialized; the records a transaction writes are kept only when it succeeds.
type simPointsStore struct {
	points.Store
	clock     loyalty.Clock
	mu        sync.Mutex
	records   simRetained[loyalty.IdempotencyKey, points.Record]
	purchases simRetained[simPurchaseKey, points.Purchase]
}

type simPurchaseKey struct {
	holder points.Holder
	order  loyalty.OrderID
}

type simPointsTx struct {
	points.Tx
	s         *simPointsStore
	records   map[loyalty.IdempotencyKey]points.Record
	purchases map[simPurchaseKey]points.Purchase
}

type simPointsReadTx struct {
	points.ReadTx
	s *simPointsStore
}

func clonePurchase(p points.Purchase) points.Purchase {
	p.Lines = slices.Clone(p.Lines)
	p.Redeemed = slices.Clone(p.Redeemed)
	return p
}

func (s *simPointsStore) Update(ctx context.Context, fn func(tx points.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var done *simPointsTx
	err := s.Store.Update(ctx, func(tx points.Tx) error {
		t := &simPointsTx{Tx: tx, s: s}
		if err := fn(t); err != nil {
			return err
		}
		done = t
		return nil
	})
	if err != nil || done == nil {
		return err
	}
	now := s.clock.Now()
	s.records.apply(done.records, now)
	s.purchases.apply(done.purchases, now)
	return nil
}

func (s *simPointsStore) View(ctx context.Context, fn func(tx points.ReadTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Store.View(ctx, func(tx points.ReadTx) error { return fn(simPointsReadTx{tx, s}) })
}

func (s *simPointsStore) prune(limit time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records.prune(limit)
	s.purchases.prune(limit)
}

func (t simPointsReadTx) Record(key loyalty.IdempotencyKey) (points.Record, error) {
	if r, ok := t.s.records.get(nil, key); ok {
		r.Entries = slices.Clone(r.Entries)
		return r, nil
	}
	return points.Record{}, notFound("points record", key)
}

func (t simPointsReadTx) Purchase(h points.Holder, order loyalty.OrderID) (points.Purchase, error) {
	if p, ok := t.s.purchases.get(nil, simPurchaseKey{h, order}); ok {
		return clonePurchase(p), nil
	}
	return points.Purchase{}, notFound("points purchase", order)
}

func (t *simPointsTx) Record(key loyalty.IdempotencyKey) (points.Record, error) {
	if r, ok := t.s.records.get(t.records, key); ok {
		r.Entries = slices.Clone(r.Entries)
		return r, nil
	}
	return points.Record{}, notFound("points record", key)
}

func (t *simPointsTx) Purchase(h points.Holder, order loyalty.OrderID) (points.Purchase, error) {
	if p, ok := t.s.purchases.get(t.purchases, simPurchaseKey{h, order}); ok {
		return clonePurchase(p), nil
	}
	return points.Purchase{}, notFound("points purchase", order)
}

func (t *simPointsTx) PutRecord(r points.Record) error {
	if _, ok := t.s.records.get(t.records, r.Key); ok {
		return fmt.Errorf("campaign: points record %s: %w", r.Key, loyalty.ErrConflict)
	}
	if t.records == nil {
		t.records = map[loyalty.IdempotencyKey]points.Record{}
	}
	r.Entries = slices.Clone(r.Entries)
	t.records[r.Key] = r
	return nil
}

func (t *simPointsTx) PutPurchase(p points.Purchase) error {
	if t.purchases == nil {
		t.purchases = map[simPurchaseKey]points.Purchase{}
	}
	t.purchases[simPurchaseKey{p.Holder, p.Order}] = clonePurchase(p)
	return nil
}

// simTierStore wraps the tier store of a simulation: it keeps the idempotency receipts
// itself and forgets them once older than the return window.
type simTierStore struct {
	tier.Store
	clock    loyalty.Clock
	mu       sync.Mutex
	receipts simRetained[loyalty.IdempotencyKey, tier.Receipt]
}

type simTierTx struct {
	tier.Tx
	s        *simTierStore
	receipts map[loyalty.IdempotencyKey]tier.Receipt
}

type simTierReadTx struct {
	tier.ReadTx
	s *simTierStore
}

func (s *simTierStore) Update(ctx context.Context, fn func(tx tier.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var done *simTierTx
	err := s.Store.Update(ctx, func(tx tier.Tx) error {
		t := &simTierTx{Tx: tx, s: s}
		if err := fn(t); err != nil {
			return err
		}
		done = t
		return nil
	})
	if err != nil || done == nil {
		return err
	}
	s.receipts.apply(done.receipts, s.clock.Now())
	return nil
}

func (s *simTierStore) View(ctx context.Context, fn func(tx tier.ReadTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Store.View(ctx, func(tx tier.ReadTx) error { return fn(simTierReadTx{tx, s}) })
}

func (s *simTierStore) prune(limit time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.receipts.prune(limit)
}

func (t simTierReadTx) Receipt(key loyalty.IdempotencyKey) (tier.Receipt, bool, error) {
	r, ok := t.s.receipts.get(nil, key)
	r.Status = r.Status.Clone()
	return r, ok, nil
}

func (t *simTierTx) Receipt(key loyalty.IdempotencyKey) (tier.Receipt, bool, error) {
	r, ok := t.s.receipts.get(t.receipts, key)
	r.Status = r.Status.Clone()
	return r, ok, nil
}

func (t *simTierTx) PutReceipt(key loyalty.IdempotencyKey, r tier.Receipt) error {
	if _, ok := t.s.receipts.get(t.receipts, key); ok {
		return fmt.Errorf("campaign: tier receipt %s: %w", key, loyalty.ErrConflict)
	}
	if t.receipts == nil {
		t.receipts = map[loyalty.IdempotencyKey]tier.Receipt{}
	}
	r.Status = r.Status.Clone()
	t.receipts[key] = r
	return nil
}
