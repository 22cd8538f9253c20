package campaign

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
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
