package referral

import (
	"context"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Store keeps referrers, referrals and idempotency receipts. Implementations: the in-memory
// [NewMemoryStore], and the SQL stores of the sqlstore module. Every implementation must pass
// the conformance suite in package referraltest. Implementations are safe for concurrent use.
//
// All writes happen inside Update, atomically: either every write of fn is applied or, when
// fn returns an error, none is. Transactions are serializable. SQL stores may run fn more
// than once (on serialization failures), so fn must have no effect outside tx. Values are
// copied in and out: nothing read from or written to a Tx aliases stored data.
type Store interface {
	// Update runs fn in a read-write transaction.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction that sees a consistent state.
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// ReadTx is the reads of a transaction. Reads of missing records return an error that wraps
// [loyalty.ErrNotFound].
type ReadTx interface {
	// Profile returns the referrer with the given ID.
	Profile(id ReferrerID) (Profile, error)
	// ProfileByCode returns the referrer holding the canonical code.
	ProfileByCode(code string) (Profile, error)
	// Referral returns the current referral of the referee account.
	Referral(referee loyalty.AccountID) (Referral, error)
	// RefereeWith returns the referee account whose referral's Identity holds the
	// normalised identifier value of kind (the first one stored, should several).
	RefereeWith(kind IdentifierKind, value string) (loyalty.AccountID, error)
	// ReferralsBy returns the referrals currently attributed to the referrer (taken-over
	// referrals belong to their new referrer), ordered by AttributedAt, then Referee. A
	// referrer without referrals has none; that is not an error.
	ReferralsBy(referrer ReferrerID) ([]Referral, error)
	// Due returns up to limit referees whose referral is StatusPending with FinalAt at or
	// before now, ordered by FinalAt, then Referee.
	Due(now time.Time, limit int) ([]loyalty.AccountID, error)
	// Receipt returns the receipt stored under key.
	Receipt(key loyalty.IdempotencyKey) (Receipt, error)
}

// Tx is a read-write transaction.
type Tx interface {
	ReadTx
	// PutProfile inserts or replaces the referrer with p.Referrer.ID(). It fails with an
	// error wrapping [loyalty.ErrConflict] when p.Code is held by another referrer, or when
	// it would change the code of an existing referrer (codes are stable).
	PutProfile(p Profile) error
	// PutReferral inserts or replaces the referral of r.Referee, and indexes the
	// identifiers of r.Identity for RefereeWith.
	PutReferral(r Referral) error
	// PutReceipt inserts r. It fails with an error wrapping [loyalty.ErrConflict] when a
	// receipt with r.Key exists.
	PutReceipt(r Receipt) error
}
