package tier

import (
	"context"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Store keeps the state of a tiered program: one [Account] per account (enrolment, status,
// day totals of qualifying activity), the [Change] events of each account, idempotency
// receipts, and the time of the last batch review.
//
// Contract, for every implementation:
//   - Update runs fn in one atomic, serializable read-write transaction: either every write
//     of fn is applied or none is. If fn returns an error, nothing it wrote is kept and Update
//     returns that error. An implementation may run fn more than once (a SQL store retrying
//     a serialization failure), so fn must have no effect outside tx.
//   - View runs fn in a read-only transaction that sees one consistent state.
//   - Reads of a missing account report an error wrapping [loyalty.ErrNotFound].
//   - Values are copied in and out: callers never alias stored data. Times are kept as
//     instants: they may come back in another location (the service converts them).
//   - Implementations are safe for concurrent use.
type Store interface {
	// Update runs fn in one atomic read-write transaction (see above).
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in one consistent read-only transaction.
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// ReadTx is the read side of a transaction. It is valid only inside the function it was
// given to and must not be used from several goroutines.
type ReadTx interface {
	// Account returns the account, or an error wrapping [loyalty.ErrNotFound].
	Account(id loyalty.AccountID) (Account, error)
	// Accounts returns up to limit accounts whose IDs are greater than after (the empty
	// ID starts from the beginning), in increasing order of ID (byte-wise string order).
	Accounts(after loyalty.AccountID, limit int) ([]Account, error)
	// Changes returns the change events of the account in the order they were appended
	// (empty, not an error, for an account without changes).
	Changes(id loyalty.AccountID) ([]Change, error)
	// Receipt returns the receipt stored under key; ok is false when there is none.
	Receipt(key loyalty.IdempotencyKey) (r Receipt, ok bool, err error)
	// LastBatchReview returns the time of the last completed batch review, or the zero time.
	LastBatchReview() (time.Time, error)
}

// Tx is a read-write transaction. It is valid only inside the function it was given to and
// must not be used from several goroutines.
type Tx interface {
	ReadTx
	// PutAccount creates or replaces the account with ID a.ID.
	PutAccount(a Account) error
	// AppendChanges appends events to the change log of each event's account.
	AppendChanges(changes ...Change) error
	// PutReceipt stores r under key; a key that already has a receipt is an error wrapping
	// [loyalty.ErrConflict].
	PutReceipt(key loyalty.IdempotencyKey, r Receipt) error
	// SetLastBatchReview records the time of the last completed batch review.
	SetLastBatchReview(t time.Time) error
}

// Receipt is the stored outcome of an idempotent mutation: the request (as a canonical
// payload string, to detect a key reused for another request) and its first result. It is a
// plain value (use [Status.Clone] before modifying a shared copy).
type Receipt struct {
	Payload string            `json:"payload"`
	Account loyalty.AccountID `json:"account"`
	Status  Status            `json:"status"`
}
