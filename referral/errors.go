package referral

import (
	"errors"
	"fmt"

	"github.com/loyaltykit/loyalty"
)

// Sentinel errors of the package. Callers branch on them with [errors.Is]; the errors actually
// returned wrap them with details, usually as a [*RefusalError].
var (
	// ErrUnknownCode reports a referral code that no referrer holds. It matches
	// [loyalty.ErrNotFound].
	ErrUnknownCode = fmt.Errorf("referral: unknown referral code: %w", loyalty.ErrNotFound)
	// ErrUnknownReferrer reports a referrer that was never registered. It matches
	// [loyalty.ErrNotFound].
	ErrUnknownReferrer = fmt.Errorf("referral: unknown referrer: %w", loyalty.ErrNotFound)
	// ErrUnknownReferee reports an event (an order, a return, a custom event) for an account
	// that no referral is attributed to. It matches [loyalty.ErrNotFound].
	ErrUnknownReferee = fmt.Errorf("referral: account was not referred: %w", loyalty.ErrNotFound)
	// ErrCodeTaken reports a requested referral code that another referrer already holds, or a
	// referrer registered again with a different code. It matches [loyalty.ErrConflict].
	ErrCodeTaken = fmt.Errorf("referral: referral code is taken: %w", loyalty.ErrConflict)
	// ErrKeyReused reports an idempotency key used again with a different payload or for a
	// different operation. It matches [loyalty.ErrConflict].
	ErrKeyReused = fmt.Errorf("referral: idempotency key reused with a different payload: %w", loyalty.ErrConflict)

	// ErrSelfReferral refuses a referral of the referrer by itself: the same account, the
	// same buyer, a buyer of the same company, or matching contact or tax identifiers.
	ErrSelfReferral = errors.New("referral: self-referral")
	// ErrAlreadyCustomer refuses a referee that was already a customer.
	ErrAlreadyCustomer = errors.New("referral: referee is already a customer")
	// ErrAlreadyAttributed refuses a second attribution of a referee that is already
	// attributed to a referrer (and cannot be re-attributed under the rules). It matches
	// [loyalty.ErrConflict].
	ErrAlreadyAttributed = fmt.Errorf("referral: referee is already attributed: %w", loyalty.ErrConflict)
	// ErrCycle refuses a referral that would close a cycle (A refers B, B refers A).
	ErrCycle = errors.New("referral: referral cycle")
	// ErrVelocity refuses a referral over one of the referrer's velocity limits.
	ErrVelocity = errors.New("referral: velocity limit reached")
)

// Reason names why a referral was refused. Every [*RefusalError] carries one.
type Reason string

// The refusal reasons. Each belongs to one sentinel error: [RefusalError.Unwrap] returns it.
const (
	ReasonSameAccount     Reason = "same-account"       // ErrSelfReferral: the referee is the referrer's account
	ReasonSameBuyer       Reason = "same-buyer"         // ErrSelfReferral: the referee's buyer is the referring buyer
	ReasonSameCompany     Reason = "same-company"       // ErrSelfReferral: a buyer refers its own company, or a colleague
	ReasonMatchingContact Reason = "matching-contact"   // ErrSelfReferral: an e-mail or phone of the referee is the referrer's
	ReasonMatchingTaxID   Reason = "matching-tax-id"    // ErrSelfReferral: a tax identifier of the referee is the referrer's
	ReasonCustomer        Reason = "already-customer"   // ErrAlreadyCustomer: the caller says the referee has bought before
	ReasonHasOrdered      Reason = "has-ordered"        // ErrAlreadyCustomer: the referee has ordered since its attribution
	ReasonKnownIdentity   Reason = "known-identity"     // ErrAlreadyCustomer: an identifier of the referee belongs to another referee
	ReasonAttributed      Reason = "already-attributed" // ErrAlreadyAttributed: first attribution wins
	ReasonConverted       Reason = "already-converted"  // ErrAlreadyAttributed: the referral converted (or was cancelled)
	ReasonWindowClosed    Reason = "window-closed"      // ErrAlreadyAttributed: the re-attribution window has closed
	ReasonCycle           Reason = "cycle"              // ErrCycle
	ReasonVelocity        Reason = "velocity"           // ErrVelocity
)

// RefusalError explains why the service refused a referral. It matches the sentinel of its
// [Reason] ([ErrSelfReferral], [ErrAlreadyCustomer], [ErrAlreadyAttributed], [ErrCycle] or
// [ErrVelocity]) through [errors.Is], and reads as a sentence:
// "referral: self-referral: buyer b-1 of account acme cannot refer its own company acme".
// A RefusalError is a plain value, safe for concurrent use when not modified.
type RefusalError struct {
	Reason   Reason            // why, as a stable name
	Referee  loyalty.AccountID // the account that was to be attributed
	Referrer ReferrerID        // the referrer that was refused
	Detail   string            // the explanation in words, naming the values involved
}

// Error implements the error interface.
func (e *RefusalError) Error() string {
	var what string
	switch e.Unwrap() {
	case ErrSelfReferral:
		what = "self-referral"
	case ErrAlreadyCustomer:
		what = "referee is already a customer"
	case ErrAlreadyAttributed:
		what = "referee is already attributed"
	case ErrCycle:
		what = "referral cycle"
	case ErrVelocity:
		what = "velocity limit reached"
	default:
		what = "refused"
	}
	return "referral: " + what + ": " + e.Detail
}

// Unwrap returns the sentinel error of e's reason.
func (e *RefusalError) Unwrap() error {
	switch e.Reason {
	case ReasonSameAccount, ReasonSameBuyer, ReasonSameCompany, ReasonMatchingContact, ReasonMatchingTaxID:
		return ErrSelfReferral
	case ReasonCustomer, ReasonHasOrdered, ReasonKnownIdentity:
		return ErrAlreadyCustomer
	case ReasonAttributed, ReasonConverted, ReasonWindowClosed:
		return ErrAlreadyAttributed
	case ReasonCycle:
		return ErrCycle
	case ReasonVelocity:
		return ErrVelocity
	}
	return errors.New("referral: refused")
}

func refuse(reason Reason, referee loyalty.AccountID, referrer ReferrerID, format string, args ...any) error {
	return &RefusalError{Reason: reason, Referee: referee, Referrer: referrer, Detail: fmt.Sprintf(format, args...)}
}
