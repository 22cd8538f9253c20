package points

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Points is a whole number of bonus points. Points are an integer count: they are never
// rounded by a currency's minor units, and every computation that produces a fraction of a
// point rounds it once, with a named [loyalty.RoundingMode].
//
// Points values are plain data, safe for concurrent use when not modified.
type Points int64

// String returns p as a plain integer, "3999".
func (p Points) String() string { return strconv.FormatInt(int64(p), 10) }

// HolderKind says what kind of party holds points.
//
// HolderKind values are plain data, safe for concurrent use when not modified.
type HolderKind string

// The holder kinds.
const (
	// AccountHolder is a company account (a [loyalty.AccountID]).
	AccountHolder HolderKind = "account"
	// BuyerHolder is an individual buyer (a [loyalty.BuyerID]), such as the travelling
	// employee who collects personal miles on a corporate order.
	BuyerHolder HolderKind = "buyer"
)

// Holder is the party points belong to: a company account or an individual buyer. One order
// can credit both. Holder is a comparable value, safe for concurrent use.
type Holder struct {
	Kind HolderKind `json:"kind"`
	ID   string     `json:"id"`
}

// ForAccount returns the holder for company account id.
func ForAccount(id loyalty.AccountID) Holder { return Holder{Kind: AccountHolder, ID: string(id)} }

// ForBuyer returns the holder for individual buyer id.
func ForBuyer(id loyalty.BuyerID) Holder { return Holder{Kind: BuyerHolder, ID: string(id)} }

// String returns "account:ACME" or "buyer:ivanov".
func (h Holder) String() string { return string(h.Kind) + ":" + h.ID }

// IsZero reports whether h is the zero Holder.
func (h Holder) IsZero() bool { return h == Holder{} }

// Compare orders holders by kind, then ID, byte by byte: -1, 0 or +1. It is the one order
// in which the ledger reads a transfer's two holders and visits holders with due work, so
// a store that locks balance rows in it too (as the SQL stores do) never deadlocks two
// transfers between the same holders.
func (h Holder) Compare(o Holder) int {
	if c := strings.Compare(string(h.Kind), string(o.Kind)); c != 0 {
		return c
	}
	return strings.Compare(h.ID, o.ID)
}

// Validate checks that h has a known kind and an ID.
func (h Holder) Validate() error {
	var errs []error
	switch h.Kind {
	case AccountHolder, BuyerHolder:
	case "":
		errs = append(errs, loyalty.Invalid("kind", nil, "is required"))
	default:
		errs = append(errs, loyalty.Invalid("kind", string(h.Kind), "must be account or buyer"))
	}
	if h.ID == "" {
		errs = append(errs, loyalty.Invalid("id", nil, "is required"))
	}
	return errors.Join(errs...)
}

// Sentinel errors of the package. The errors returned wrap them with details; branch with
// [errors.Is].
var (
	// ErrInsufficientPoints reports a spend, transfer or debit larger than the holder's
	// available balance. The error is an [*InsufficientPointsError] carrying have and need.
	ErrInsufficientPoints = errors.New("points: insufficient points")
	// ErrRedemptionLimit reports a redemption outside the program's limits: below the
	// minimum, above the share of the order that points may pay, or for an order too small.
	// The error is a [*RedemptionLimitError].
	ErrRedemptionLimit = errors.New("points: redemption limit")
)

// InsufficientPointsError reports that a holder has fewer available points than an
// operation needs. It matches [ErrInsufficientPoints]. Pending points are not available;
// Pending says how many there are, so that a caller can explain "300 more activate later".
//
// InsufficientPointsError values are plain data, safe for concurrent use when not modified.
type InsufficientPointsError struct {
	Holder  Holder
	Have    Points // available: active points less any negative balance
	Need    Points // what the operation asked for
	Pending Points // points earned but not yet active
}

// Error implements the error interface.
func (e *InsufficientPointsError) Error() string {
	s := fmt.Sprintf("points: %s has %d available points, needs %d", e.Holder, e.Have, e.Need)
	if e.Pending > 0 {
		s += fmt.Sprintf(" (%d pending)", e.Pending)
	}
	return s
}

// Is reports whether target is [ErrInsufficientPoints].
func (e *InsufficientPointsError) Is(target error) bool { return target == ErrInsufficientPoints }

// RedemptionLimitError reports a redemption outside the limits of [Redemption]. It matches
// [ErrRedemptionLimit].
//
// RedemptionLimitError values are plain data, safe for concurrent use when not modified.
type RedemptionLimitError struct {
	Requested Points
	Min       Points // the minimum redemption (0 when none)
	Max       Points // the most the order allows
	Reason    string // "below the minimum", "above the share of the order points may pay"
}

// Error implements the error interface.
func (e *RedemptionLimitError) Error() string {
	return fmt.Sprintf("points: redemption of %d points is %s (allowed %d to %d)", e.Requested, e.Reason, e.Min, e.Max)
}

// Is reports whether target is [ErrRedemptionLimit].
func (e *RedemptionLimitError) Is(target error) bool { return target == ErrRedemptionLimit }

// roundPoints rounds d to whole points once, with mode.
func roundPoints(d decimal.Decimal, mode loyalty.RoundingMode) (Points, error) {
	v, err := loyalty.RoundDecimal(d, mode)
	if err != nil {
		return 0, fmt.Errorf("points: %w", err)
	}
	return Points(v), nil
}

// allocatePoints splits p by largest remainder in proportion to weights: the parts sum
// exactly to p (see [loyalty.AllocateInts]).
func allocatePoints(p Points, weights []int64) ([]Points, error) {
	out := make([]Points, len(weights))
	if err := loyalty.AllocateInts(out, p, weights); err != nil {
		return nil, fmt.Errorf("points: %w", err)
	}
	return out, nil
}

// shareOf returns the part of total that corresponds to done out of all, by largest
// remainder: shareOf(10, 1, 3) is 3, shareOf(10, 2, 3) is 7 and shareOf(10, 3, 3) is 10.
// It is monotonic in done, so the differences between successive calls (a line returned in
// several parts) are never negative and always sum exactly to total.
func shareOf(total Points, done, all int64) (Points, error) {
	if done >= all {
		return total, nil
	}
	if done <= 0 || total == 0 {
		return 0, nil
	}
	parts, err := allocatePoints(total, []int64{done, all - done})
	if err != nil {
		return 0, err
	}
	return parts[0], nil
}

// addPoints returns a+b or an overflow error.
func addPoints(a, b Points) (Points, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, fmt.Errorf("points: %w: %d + %d", loyalty.ErrOverflow, a, b)
	}
	return s, nil
}
