package promo

import (
	"context"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Store holds definitions, codes, usage counters, reservations and generated batches. The
// [Service] runs every operation as one call of Update (or View), so an implementation only
// has to provide serializable transactions; a SQL store maps Update onto one transaction.
//
// Contract, checked by promo/promotest:
//   - Update runs fn in one serializable, all-or-nothing transaction: if fn returns an error
//     nothing it wrote is kept. It may run fn more than once (on a serialization failure),
//     so fn has no effect outside tx. View runs fn read-only on a consistent snapshot.
//   - Reads of a missing record return an error wrapping [loyalty.ErrNotFound].
//   - Values are copied in and out: callers never alias stored data.
//   - Stores are safe for concurrent use.
type Store interface {
	Update(ctx context.Context, fn func(tx Tx) error) error
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// ReadTx is the read side of a transaction. It is valid only inside the function it was
// given to.
type ReadTx interface {
	// Definition returns the definition id, or an error wrapping loyalty.ErrNotFound.
	Definition(id DefinitionID) (Definition, error)
	// Code returns the code with canonical text code, or an error wrapping
	// loyalty.ErrNotFound.
	Code(code string) (Code, error)
	// Usage returns the current count of c; zero when it was never counted.
	Usage(c Counter) (int, error)
	// Reservation returns the use recorded under key, or an error wrapping
	// loyalty.ErrNotFound.
	Reservation(key loyalty.IdempotencyKey) (Reservation, error)
	// ExpiredReservations returns the reservations of definition def still in state
	// [Reserved] whose ExpiresAt is not after now, in any order.
	ExpiredReservations(def DefinitionID, now time.Time) ([]Reservation, error)
	// Batch returns the batch generated under key, or an error wrapping
	// loyalty.ErrNotFound.
	Batch(key loyalty.IdempotencyKey) (Batch, error)
	// Revocation returns the revocation recorded under key, or an error wrapping
	// loyalty.ErrNotFound.
	Revocation(key loyalty.IdempotencyKey) (Revocation, error)
}

// Tx is a read-write transaction. It is valid only inside the function it was given to.
type Tx interface {
	ReadTx
	// PutDefinition creates or replaces a definition.
	PutDefinition(d Definition) error
	// InsertCode adds a code; a code with the same text already stored is an error
	// wrapping loyalty.ErrConflict.
	InsertCode(c Code) error
	// AddUsage adds delta (positive or negative) to the count of c. A count that would
	// become negative is an error wrapping loyalty.ErrConflict.
	AddUsage(c Counter, delta int) error
	// PutReservation creates or replaces the use recorded under r.Key.
	PutReservation(r Reservation) error
	// InsertBatch records a generated batch; a batch with the same key already stored is
	// an error wrapping loyalty.ErrConflict.
	InsertBatch(b Batch) error
	// UpdateCode replaces the stored code with the text c.Code by c (the service uses it
	// to revoke a code); a code not stored is an error wrapping loyalty.ErrNotFound.
	UpdateCode(c Code) error
	// InsertRevocation records a revocation under r.Key; a revocation with the same key
	// already stored is an error wrapping loyalty.ErrConflict.
	InsertRevocation(r Revocation) error
}

// Counter names one usage count: the uses of a definition in total, of one code, by one
// account, in one period, or by one account in one period. Fields that do not apply are
// empty.
type Counter struct {
	Definition DefinitionID      `json:"definition"`
	Code       string            `json:"code,omitempty"`
	Account    loyalty.AccountID `json:"account,omitempty"`
	Period     string            `json:"period,omitempty"` // "month/2026-11-01": the period and its first day in the program's time zone
}

// State is the state of a [Reservation].
type State string

// The states of a use of a code. A use counts against the limits while [Reserved] (and not
// expired) or [Redeemed].
const (
	Reserved   State = "reserved"    // held for a checkout until ExpiresAt
	Redeemed   State = "redeemed"    // used on an order
	Released   State = "released"    // the checkout was cancelled
	Expired    State = "expired"     // the reservation's time-to-live ran out
	RolledBack State = "rolled-back" // the redemption was reversed on a return
)

// Reservation is one use of a code, identified by the caller's idempotency key, from its
// reservation to its redemption and possibly its rollback.
type Reservation struct {
	Key        loyalty.IdempotencyKey `json:"key"`
	State      State                  `json:"state"`
	Grant      Grant                  `json:"grant"` // what the code grants this order
	Account    loyalty.AccountID      `json:"account"`
	Order      loyalty.OrderID        `json:"order"`
	Counters   []Counter              `json:"counters"` // the usage counts this use holds
	ReservedAt time.Time              `json:"reserved_at"`
	ExpiresAt  time.Time              `json:"expires_at"`
	RedeemedAt time.Time              `json:"redeemed_at,omitzero"`
	EndedAt    time.Time              `json:"ended_at,omitzero"` // when released, expired or rolled back
}

// Holds reports whether the use counts against the limits at now.
func (r Reservation) Holds(now time.Time) bool {
	return r.State == Redeemed || r.State == Reserved && now.Before(r.ExpiresAt)
}

// Batch is a set of codes generated under one idempotency key, so that a retried request
// returns the same codes.
type Batch struct {
	Key        loyalty.IdempotencyKey `json:"key"`
	Definition DefinitionID           `json:"definition"`
	Request    string                 `json:"request"` // a fingerprint of the request, to detect a reused key
	Codes      []string               `json:"codes"`
	IssuedTo   []loyalty.AccountID    `json:"issued_to"` // for issued batches, the recipient of each code; empty strings otherwise
}

// Revocation is the answer to one request to withdraw a code ([Service.Revoke]), recorded
// under the request's idempotency key so that a retry returns it again.
type Revocation struct {
	Key        loyalty.IdempotencyKey `json:"key"`
	Code       string                 `json:"code"` // canonical
	Definition DefinitionID           `json:"definition"`
	Reason     string                 `json:"reason"` // the request's reason
	// At is when the code was revoked: by this request, or by the earlier one when Earlier
	// is set.
	At time.Time `json:"at"`
	// Earlier is set when the code had already been revoked by another request: this one
	// changed nothing (the code keeps the earlier reason).
	Earlier bool `json:"earlier,omitempty"`
}

func cloneReservation(r Reservation) Reservation {
	r.Grant.Lines = slices.Clone(r.Grant.Lines)
	r.Counters = slices.Clone(r.Counters)
	return r
}

func cloneBatch(b Batch) Batch {
	b.Codes = slices.Clone(b.Codes)
	b.IssuedTo = slices.Clone(b.IssuedTo)
	return b
}
