package promo

import (
	"errors"
)

// Refusals: why a code was not accepted. Each is a sentinel a shop branches on with
// [errors.Is] to show the right message; the errors actually returned are [*RefusalError]
// values that wrap one of them with details about the typed code and the order only, never
// about any other code.
var (
	// ErrCodeEmpty reports a code with no letters or digits. It also matches
	// [loyalty.ErrCodeEmpty].
	ErrCodeEmpty = errors.New("promo: code is empty")
	// ErrCodeTooLong reports a code longer than the longest possible code. It also matches
	// [loyalty.ErrCodeTooLong].
	ErrCodeTooLong = errors.New("promo: code is too long")
	// ErrCodeCharset reports a character that cannot occur in the code: not a letter, digit
	// or separator at all, or, for a code of a known [Format], a character outside the
	// format's alphabet.
	ErrCodeCharset = errors.New("promo: code contains a character that is not allowed")
	// ErrCheckCharacter reports a code of a known [Format] whose check character does not
	// match: the code was mistyped. It is detected without any store lookup.
	ErrCheckCharacter = errors.New("promo: code is mistyped")
	// ErrUnknownCode reports a well-formed code that does not exist.
	ErrUnknownCode = errors.New("promo: code does not exist")
	// ErrNotYetValid reports a code whose validity window has not started.
	ErrNotYetValid = errors.New("promo: code is not valid yet")
	// ErrCodeExpired reports a code whose validity window has ended.
	ErrCodeExpired = errors.New("promo: code has expired")
	// ErrExhausted reports a code that has been used the allowed number of times in total
	// (its own limit or its promotion's total budget).
	ErrExhausted = errors.New("promo: code has been used up")
	// ErrAccountLimit reports an account that has already used the code's promotion the
	// allowed number of times.
	ErrAccountLimit = errors.New("promo: code has already been used the allowed number of times by this account")
	// ErrPeriodLimit reports a per-period limit (all accounts, or this account) that is
	// reached for the current period; the code works again in the next period.
	ErrPeriodLimit = errors.New("promo: code's limit for this period has been reached")
	// ErrForeignAccount reports a personal code used by an account it was not issued to.
	ErrForeignAccount = errors.New("promo: code belongs to another account")
	// ErrNotEligible reports an account, tier or segment the code is not meant for.
	ErrNotEligible = errors.New("promo: code is not available to this account")
	// ErrFirstOrderOnly reports a first-order code used on a later order.
	ErrFirstOrderOnly = errors.New("promo: code is valid on a first order only")
	// ErrNotCombinable reports a code that cannot be combined with another promotion applied
	// to the order.
	ErrNotCombinable = errors.New("promo: code cannot be combined with another promotion on the order")
	// ErrMinimumOrder reports an order (or its eligible part) below the code's minimum.
	ErrMinimumOrder = errors.New("promo: order is below the code's minimum amount")
	// ErrNotApplicable reports an order with no line the code applies to (every line is out
	// of scope, excluded or already on promotion).
	ErrNotApplicable = errors.New("promo: code does not apply to any item in the order")
	// ErrRevoked reports a code that was withdrawn ([Service.Revoke]), for instance because
	// the order that earned it was returned. The refusal's detail gives the code, when and
	// why.
	ErrRevoked = errors.New("promo: code has been revoked")
)

// Errors of the reservation lifecycle and of generation.
var (
	// ErrReservationExpired reports a reservation whose time-to-live ran out before it was
	// redeemed; its use has been freed. Reserve again.
	ErrReservationExpired = errors.New("promo: reservation has expired")
	// ErrPatternSpace reports a [Format] whose pattern cannot hold the requested number of
	// codes with enough headroom (at most half of its code space may be issued), or a store
	// already so full of codes of that shape that no free code was found.
	ErrPatternSpace = errors.New("promo: pattern cannot hold the requested number of codes")
	// ErrCodeInUse reports a code that cannot be revoked because a use of it holds: it was
	// redeemed (and not rolled back) or is reserved for a checkout. What the use granted is
	// the business of the order's return, not of the code's revocation.
	ErrCodeInUse = errors.New("promo: code has been used and cannot be revoked")
)

// RefusalError is the error returned when a code is refused. It matches its Reason (one of
// the refusal sentinels such as [ErrCodeExpired]) and, for normalisation errors, the
// underlying [loyalty] error. Detail speaks only of the typed code and the order.
type RefusalError struct {
	Reason error  // the sentinel, such as ErrCodeExpired
	Detail string // more about this refusal, such as "ended 2026-03-01 00:00 MSK"; may be empty
	cause  error
}

// Error implements the error interface: the reason, then the detail.
func (e *RefusalError) Error() string {
	if e.Detail == "" {
		return e.Reason.Error()
	}
	return e.Reason.Error() + ": " + e.Detail
}

// Unwrap returns the reason and, when there is one, the underlying cause.
func (e *RefusalError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Reason, e.cause}
	}
	return []error{e.Reason}
}

func refuse(reason error, detail string) error {
	return &RefusalError{Reason: reason, Detail: detail}
}

// IsRefusal reports whether err is a refusal of a code (a [*RefusalError]) rather than bad
// input or a store failure.
func IsRefusal(err error) bool {
	var r *RefusalError
	return errors.As(err, &r)
}
