package campaign

import (
	"errors"
	"fmt"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/referral"
)

var (
	// ErrStaleQuote reports a quote whose outcome no longer holds when it is committed: the
	// account's state changed since it was evaluated (a tier change, a code used up, points
	// spent, a new purchase moving a cumulative discount). Evaluate again.
	ErrStaleQuote = errors.New("campaign: the quote is stale; evaluate the order again")
	// ErrBufferBusy refuses an [Engine.EvaluateInto] into a [QuoteBuffer] that another
	// evaluation is writing into at the same moment: the buffer serves one at a time.
	ErrBufferBusy = errors.New("campaign: quote buffer in use by another evaluation")
	// ErrDuplicateCode refuses a code entered twice on one order, or a second code of a
	// promotion the order already has a code of.
	ErrDuplicateCode = errors.New("campaign: code entered twice")
	// ErrNotReferralOrder refuses a referral code on an order of an account that has bought
	// before: a referral code works on a first order only.
	ErrNotReferralOrder = errors.New("campaign: referral code is valid on a first order only")
)

// reasons maps the stable names of code refusals to their sentinels.
var reasons = map[string]error{
	"empty":              promo.ErrCodeEmpty,
	"too-long":           promo.ErrCodeTooLong,
	"charset":            promo.ErrCodeCharset,
	"mistyped":           promo.ErrCheckCharacter,
	"unknown":            promo.ErrUnknownCode,
	"not-yet-valid":      promo.ErrNotYetValid,
	"expired":            promo.ErrCodeExpired,
	"exhausted":          promo.ErrExhausted,
	"revoked":            promo.ErrRevoked,
	"account-limit":      promo.ErrAccountLimit,
	"period-limit":       promo.ErrPeriodLimit,
	"foreign-account":    promo.ErrForeignAccount,
	"not-eligible":       promo.ErrNotEligible,
	"first-order-only":   promo.ErrFirstOrderOnly,
	"not-combinable":     promo.ErrNotCombinable,
	"minimum-order":      promo.ErrMinimumOrder,
	"not-applicable":     promo.ErrNotApplicable,
	"self-referral":      referral.ErrSelfReferral,
	"already-customer":   referral.ErrAlreadyCustomer,
	"already-attributed": referral.ErrAlreadyAttributed,
	"cycle":              referral.ErrCycle,
	"velocity":           referral.ErrVelocity,
	"duplicate":          ErrDuplicateCode,
	"not-first-order":    ErrNotReferralOrder,
}

// also lists further sentinels a reason matches.
var also = map[string]error{
	"empty":    loyalty.ErrCodeEmpty,
	"too-long": loyalty.ErrCodeTooLong,
	"charset":  loyalty.ErrCodeCharset,
}

// reasonOf returns the stable name of the refusal err, or "" when it is none of the known
// refusals.
func reasonOf(err error) string {
	for name, s := range reasons {
		if errors.Is(err, s) {
			return name
		}
	}
	return ""
}

// CodeError is the refusal of one entered code, as kept in a [Quote]: it matches the
// sentinel of its Reason with errors.Is (promo.ErrCodeExpired for "expired", and so on).
// It is plain data, safe for concurrent use.
type CodeError struct {
	Code    string // as typed
	Reason  string // the stable name of the refusal
	Message string // the refusal in words
}

// Error implements the error interface.
func (e *CodeError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("campaign: code %q refused: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("campaign: code %q refused: %s", e.Code, e.Reason)
}

// Is reports whether target is the sentinel of e's reason.
func (e *CodeError) Is(target error) bool {
	if s, ok := reasons[e.Reason]; ok && s == target {
		return true
	}
	if s, ok := also[e.Reason]; ok && s == target {
		return true
	}
	return false
}
