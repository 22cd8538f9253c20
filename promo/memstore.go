package promo

import (
	"context"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// MemoryStore is the in-memory [Store], built on one serializable transaction mechanism: a
// failed operation leaves it exactly as it was. It copies data in and out and is safe for
// concurrent use.
type MemoryStore struct {
	db           memtx.DB
	defs         memtx.Table[DefinitionID, *Definition] // copies of their own, never modified: replaced whole
	codes        memtx.Table[string, *Code]             // copies of their own, never modified: replaced whole
	usage        memtx.Table[Counter, int]
	reservations memtx.Table[loyalty.IdempotencyKey, Reservation]
	held         memtx.Table[heldKey, time.Time] // reservations in state Reserved, by definition
	batches      memtx.Table[loyalty.IdempotencyKey, Batch]
	revocations  memtx.Table[loyalty.IdempotencyKey, Revocation]

	ro *memTx // the read transaction of every view (over memtx.ReadOnly)
	w  memTx  // the transaction of the update running, which holds the database
}

// Not-found errors are built once: a new reservation looks its key up on every checkout.
var (
	errDefinitionNotFound  = fmt.Errorf("promo: definition: %w", loyalty.ErrNotFound)
	errCodeNotFound        = fmt.Errorf("promo: code: %w", loyalty.ErrNotFound)
	errReservationNotFound = fmt.Errorf("promo: reservation: %w", loyalty.ErrNotFound)
	errBatchNotFound       = fmt.Errorf("promo: batch: %w", loyalty.ErrNotFound)
	errRevocationNotFound  = fmt.Errorf("promo: revocation: %w", loyalty.ErrNotFound)
)

type heldKey struct {
	def DefinitionID
	key loyalty.IdempotencyKey
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.reservations.Clone = cloneReservation
	s.batches.Clone = cloneBatch
	s.ro = &memTx{s, memtx.ReadOnly()}
	s.w.s = s
	return s
}

// Update implements [Store].
func (s *MemoryStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error {
		// One writer at a time holds the database: its transaction can be the store's.
		s.w.tx = tx
		defer func() { s.w.tx = nil }()
		return fn(&s.w)
	})
}

// View implements [Store].
func (s *MemoryStore) View(ctx context.Context, fn func(tx ReadTx) error) error {
	return memtx.ViewWith(ctx, &s.db, ReadTx(s.ro), fn)
}

type memTx struct {
	s  *MemoryStore
	tx *memtx.Tx
}

func (t *memTx) Definition(id DefinitionID) (Definition, error) {
	d, ok := t.s.defs.Get(t.tx, id)
	if !ok {
		return Definition{}, errDefinitionNotFound
	}
	return cloneDefinition(*d), nil
}

// lookup returns the code, and the definition it belongs to, as stored: neither may be
// modified (see Service.find). A missing code or definition is an error wrapping
// loyalty.ErrNotFound.
func (t *memTx) lookup(code string) (*Definition, *Code, error) {
	c, ok := t.s.codes.Get(t.tx, code)
	if !ok {
		return nil, nil, errCodeNotFound
	}
	d, ok := t.s.defs.Get(t.tx, c.Definition)
	if !ok {
		return nil, nil, errDefinitionNotFound
	}
	return d, c, nil
}

func (t *memTx) Code(code string) (Code, error) {
	c, ok := t.s.codes.Get(t.tx, code)
	if !ok {
		return Code{}, errCodeNotFound
	}
	return *c, nil // a Code holds no slices: the copy is whole
}

func (t *memTx) Usage(c Counter) (int, error) {
	n, _ := t.s.usage.Get(t.tx, c)
	return n, nil
}

func (t *memTx) Reservation(key loyalty.IdempotencyKey) (Reservation, error) {
	r, ok := t.s.reservations.Get(t.tx, key)
	if !ok {
		return Reservation{}, errReservationNotFound
	}
	return r, nil
}

func (t *memTx) ExpiredReservations(def DefinitionID, now time.Time) ([]Reservation, error) {
	var keys []loyalty.IdempotencyKey
	t.s.held.Range(t.tx, func(k heldKey, exp time.Time) bool {
		if k.def == def && !exp.After(now) {
			keys = append(keys, k.key)
		}
		return true
	})
	out := make([]Reservation, 0, len(keys))
	for _, k := range keys {
		r, ok := t.s.reservations.Get(t.tx, k)
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func (t *memTx) Batch(key loyalty.IdempotencyKey) (Batch, error) {
	b, ok := t.s.batches.Get(t.tx, key)
	if !ok {
		return Batch{}, errBatchNotFound
	}
	return b, nil
}

func (t *memTx) PutDefinition(d Definition) error {
	stored := cloneDefinition(d)
	return t.s.defs.Put(t.tx, d.ID, &stored)
}

func (t *memTx) InsertCode(c Code) error {
	if _, ok := t.s.codes.Get(t.tx, c.Code); ok {
		return fmt.Errorf("promo: code already exists: %w", loyalty.ErrConflict)
	}
	return t.s.codes.Put(t.tx, c.Code, &c)
}

func (t *memTx) AddUsage(c Counter, delta int) error {
	n, _ := t.s.usage.Get(t.tx, c)
	n += delta
	switch {
	case n < 0:
		return fmt.Errorf("promo: usage count would become negative: %w", loyalty.ErrConflict)
	case n == 0:
		return t.s.usage.Delete(t.tx, c)
	}
	return t.s.usage.Put(t.tx, c, n)
}

func (t *memTx) PutReservation(r Reservation) error {
	old, had := t.s.reservations.Get(t.tx, r.Key)
	if had && old.Grant.Definition != r.Grant.Definition {
		if err := t.s.held.Delete(t.tx, heldKey{old.Grant.Definition, r.Key}); err != nil {
			return err
		}
	}
	hk := heldKey{r.Grant.Definition, r.Key}
	if r.State == Reserved {
		if err := t.s.held.Put(t.tx, hk, r.ExpiresAt); err != nil {
			return err
		}
	} else if err := t.s.held.Delete(t.tx, hk); err != nil {
		return err
	}
	return t.s.reservations.Put(t.tx, r.Key, r)
}

func (t *memTx) InsertBatch(b Batch) error {
	if _, ok := t.s.batches.Get(t.tx, b.Key); ok {
		return fmt.Errorf("promo: batch %q already exists: %w", b.Key, loyalty.ErrConflict)
	}
	return t.s.batches.Put(t.tx, b.Key, b)
}

func (t *memTx) Revocation(key loyalty.IdempotencyKey) (Revocation, error) {
	r, ok := t.s.revocations.Get(t.tx, key)
	if !ok {
		return Revocation{}, errRevocationNotFound
	}
	return r, nil
}

func (t *memTx) UpdateCode(c Code) error {
	if _, ok := t.s.codes.Get(t.tx, c.Code); !ok {
		return fmt.Errorf("promo: code %s: %w", c.Code, loyalty.ErrNotFound)
	}
	return t.s.codes.Put(t.tx, c.Code, &c)
}

func (t *memTx) InsertRevocation(r Revocation) error {
	if _, ok := t.s.revocations.Get(t.tx, r.Key); ok {
		return fmt.Errorf("promo: revocation %q already exists: %w", r.Key, loyalty.ErrConflict)
	}
	return t.s.revocations.Put(t.tx, r.Key, r)
}
