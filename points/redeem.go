package points

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Redemption are a program's rules for spending points: what a point is worth, how much of
// an order points may pay, the minimum redemption, and the reward catalogue. Redemption is a
// plain value, checked with [Redemption.Validate]; it is safe for concurrent use as long as
// nobody modifies it.
//
// Conversion from points to money is exact and rounds once, with Rounding: the value of
// p points is p × PointValue rounded to the currency's minor units ([Redemption.Value]);
// [Redemption.PointsFor] converts back, to the fewest points whose value covers an amount. The largest redemption
// an order allows is the largest whole number of points whose exact value does not exceed
// MaxShare of the order total (the share itself rounded down to minor units), so the
// converted value never exceeds the cap whatever the rounding mode.
type Redemption struct {
	// Currency is the currency points are valued in. Required when PointValue is set.
	Currency loyalty.Currency `json:"currency"`
	// PointValue is the money value of one point, in major units ("1": a point pays
	// 1.00 RUB; "0.5": half a ruble). Zero means points cannot pay for orders (a
	// catalogue-only program).
	PointValue decimal.Decimal `json:"point_value"`
	// MaxShare is the largest share of an order that points may pay ("0.2": 20%). Zero means
	// the whole order.
	MaxShare decimal.Decimal `json:"max_share,omitempty"`
	// MinPoints is the smallest redemption. Zero means no minimum.
	MinPoints Points `json:"min_points,omitempty"`
	// Rounding rounds the money value of points to minor units. The zero value is
	// [loyalty.HalfUp].
	Rounding loyalty.RoundingMode `json:"rounding,omitempty"`
	// Rewards is the reward catalogue: items bought whole with points.
	Rewards []Reward `json:"rewards,omitempty"`
}

// Reward is an item of the reward catalogue: 20 litres of fuel for 3,999 points.
//
// Reward values are plain data, safe for concurrent use when not modified.
type Reward struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Cost Points `json:"cost"`
}

// Validate checks r and reports every problem as a [*loyalty.FieldError] naming the field.
func (r Redemption) Validate() error {
	var errs []error
	if r.PointValue.Sign() < 0 {
		errs = append(errs, loyalty.Invalid("point_value", r.PointValue, "must not be negative"))
	}
	if r.PointValue.Sign() > 0 && r.Currency.IsZero() {
		errs = append(errs, loyalty.Invalid("currency", nil, "is required with point_value"))
	}
	if r.MaxShare.Sign() < 0 || r.MaxShare.GreaterThan(decimal.New(1, 0)) {
		errs = append(errs, loyalty.Invalid("max_share", r.MaxShare, "must be between 0 and 1"))
	}
	if r.MinPoints < 0 {
		errs = append(errs, loyalty.Invalid("min_points", r.MinPoints, "must not be negative"))
	}
	if !r.Rounding.Valid() {
		errs = append(errs, loyalty.Invalid("rounding", r.Rounding, "unknown rounding mode"))
	}
	seen := map[string]bool{}
	for i, w := range r.Rewards {
		f := fmt.Sprintf("rewards[%d]", i)
		switch {
		case w.ID == "":
			errs = append(errs, loyalty.Invalid(f+".id", nil, "is required"))
		case seen[w.ID]:
			errs = append(errs, loyalty.Invalid(f+".id", w.ID, "is listed twice"))
		}
		seen[w.ID] = true
		if w.Cost <= 0 {
			errs = append(errs, loyalty.Invalid(f+".cost", w.Cost, "must be positive"))
		}
	}
	return errors.Join(errs...)
}

// Reward returns the catalogue item with the given id.
func (r Redemption) Reward(id string) (Reward, error) {
	for _, w := range r.Rewards {
		if w.ID == id {
			return w, nil
		}
	}
	return Reward{}, fmt.Errorf("points: reward %q: %w", id, loyalty.ErrNotFound)
}

// Value returns the money value of p points: p × PointValue, rounded once with Rounding.
func (r Redemption) Value(p Points) (loyalty.Money, error) {
	per, ok := r.perPoint()
	return r.value(p, per, ok)
}

// perPoint returns the value of a point in minor units of the currency, when it is a
// whole number of them.
func (r *Redemption) perPoint() (int64, bool) {
	return minorUnits(r.PointValue, int32(r.Currency.Digits()))
}

// value is Value with the point's value in minor units, as perPoint returns it.
func (r *Redemption) value(p Points, per int64, perOK bool) (loyalty.Money, error) {
	if r.Currency.IsZero() {
		return loyalty.Money{}, loyalty.Invalid("currency", nil, "is required to value points")
	}
	if perOK {
		// A point worth whole minor units: exact integer arithmetic, nothing to round.
		if v := int64(p) * per; p == 0 || v/int64(p) == per {
			return loyalty.MoneyFromMinor(v, r.Currency)
		}
	}
	if c, exp, ok := scaledOf(r.PointValue); ok {
		// p × c·10^exp major units in minor units, rounded once, exactly.
		if v, err := loyalty.MulRound(int64(p), c, exp+r.Currency.Digits(), r.Rounding); err == nil {
			if m, err := loyalty.MoneyFromMinor(v, r.Currency); err == nil {
				return m, nil
			}
		}
	}
	return loyalty.MoneyFromDecimal(decimal.New(int64(p), 0).Mul(r.PointValue), r.Currency, r.Rounding)
}

// PointsFor returns the fewest points whose value ([Redemption.Value]) covers amount: the
// points a buyer needs to pay amount with points. amount must be positive and in the
// program's currency.
func (r Redemption) PointsFor(amount loyalty.Money) (Points, error) {
	if r.PointValue.Sign() <= 0 {
		return 0, loyalty.Invalid("point_value", r.PointValue, "must be positive to convert money to points")
	}
	if amount.Currency() != r.Currency {
		return 0, &loyalty.CurrencyMismatchError{Op: "convert", A: amount.Currency(), B: r.Currency}
	}
	if amount.Sign() <= 0 {
		return 0, loyalty.Invalid("amount", amount, "must be positive")
	}
	perPoint := r.PointValue.Shift(int32(r.Currency.Digits()))
	q, rem := decimal.New(amount.MinorUnits(), 0).QuoRem(perPoint, 0)
	if rem.Sign() > 0 {
		q = q.Add(decimal.New(1, 0))
	}
	if q.GreaterThan(decimal.New(1<<62, 0)) {
		return 0, fmt.Errorf("points: %w: points for %s", loyalty.ErrOverflow, amount)
	}
	// q points cover amount exactly; rounding the value up (half-up, up, ceiling) may let
	// fewer cover it. Value is monotonic in the points, so search [1, q] for the fewest.
	lo, hi := Points(1), Points(q.IntPart())
	for lo < hi {
		mid := lo + (hi-lo)/2
		v, err := r.Value(mid)
		if err != nil {
			return 0, err
		}
		if c, _ := v.Cmp(amount); c >= 0 {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi, nil
}

// MaxPoints returns the most points that may pay for an order of the given total: the largest
// whole number of points whose exact value is at most MaxShare of the total.
func (r Redemption) MaxPoints(total loyalty.Money) (Points, error) {
	per, ok := r.perPoint()
	return r.maxPoints(total, per, ok)
}

// maxPoints is MaxPoints with the point's value in minor units, as perPoint returns it.
func (r *Redemption) maxPoints(total loyalty.Money, per int64, perOK bool) (Points, error) {
	if r.PointValue.Sign() <= 0 {
		return 0, nil
	}
	if total.Currency() != r.Currency {
		return 0, &loyalty.CurrencyMismatchError{Op: "redeem", A: total.Currency(), B: r.Currency}
	}
	if total.Sign() <= 0 {
		return 0, nil
	}
	limit := total
	if !r.MaxShare.IsZero() {
		var err error
		if limit, err = total.MulRate(r.MaxShare, loyalty.Down); err != nil {
			return 0, err
		}
	}
	// Whole points: floor(cap in minor units / value of a point in minor units), exactly:
	// by the whole minor units of a point when it is worth some (as wholePoints divides
	// then), else by its value's digits.
	if lim := limit.MinorUnits(); perOK && lim >= 0 && lim/per <= 1<<62 {
		return Points(lim / per), nil
	}
	if q, ok := wholePoints(limit.MinorUnits(), r.PointValue, r.Currency.Digits()); ok {
		return q, nil
	}
	perPoint := r.PointValue.Shift(int32(r.Currency.Digits()))
	q, _ := decimal.New(limit.MinorUnits(), 0).QuoRem(perPoint, 0)
	if !q.IsInteger() || q.GreaterThan(decimal.New(1<<62, 0)) {
		return 0, fmt.Errorf("points: %w: max points of %s", loyalty.ErrOverflow, total)
	}
	return Points(q.IntPart()), nil
}

// Quote is a checked redemption of points against an order: the points, their money value,
// and the most the order allows.
//
// Quote values are plain data, safe for concurrent use when not modified.
type Quote struct {
	Points Points        `json:"points"`
	Value  loyalty.Money `json:"value"`
	Max    Points        `json:"max"`
}

// Quote checks that want points may pay for an order of the given total and returns their
// value. It fails with a [*RedemptionLimitError] below the minimum or above the maximum, and
// with a [*loyalty.FieldError] when want is not positive. It does not look at any balance.
func (r Redemption) Quote(total loyalty.Money, want Points) (Quote, error) {
	if want <= 0 {
		return Quote{}, loyalty.Invalid("points", want, "must be positive")
	}
	if r.PointValue.Sign() <= 0 {
		return Quote{}, &RedemptionLimitError{Requested: want, Min: r.MinPoints, Reason: "not possible: points have no money value in this program"}
	}
	per, perOK := r.perPoint() // converted once for the maximum and the value
	max, err := r.maxPoints(total, per, perOK)
	if err != nil {
		return Quote{}, err
	}
	switch {
	case want < r.MinPoints:
		return Quote{}, &RedemptionLimitError{Requested: want, Min: r.MinPoints, Max: max, Reason: "below the minimum"}
	case want > max:
		return Quote{}, &RedemptionLimitError{Requested: want, Min: r.MinPoints, Max: max, Reason: "above the share of the order points may pay"}
	}
	v, err := r.value(want, per, perOK)
	if err != nil {
		return Quote{}, err
	}
	return Quote{Points: want, Value: v, Max: max}, nil
}

// wholePoints returns floor(limit / (value × 10^digits)) for a non-negative limit in minor
// units and a positive point value in major units, in integer arithmetic: ok is false when
// the value has more than 18 digits or the result is not below 2⁶² (the decimal path
// decides those).
func wholePoints(limit int64, value decimal.Decimal, digits int) (Points, bool) {
	c, exp, ok := scaledOf(value)
	if !ok || c <= 0 || limit < 0 {
		return 0, false
	}
	var q uint64
	switch k := exp + digits; {
	case k >= 0 && k < len(pow10):
		hi, den := bits.Mul64(uint64(c), pow10[k])
		if hi != 0 {
			return 0, false
		}
		q = uint64(limit) / den
	case k < 0 && -k < len(pow10):
		hi, lo := bits.Mul64(uint64(limit), pow10[-k])
		if hi >= uint64(c) {
			return 0, false
		}
		q, _ = bits.Div64(hi, lo, uint64(c))
	default:
		return 0, false
	}
	if q > 1<<62 {
		return 0, false
	}
	return Points(q), true
}

// pow10 holds 10⁰ … 10¹⁹, every power of ten that fits in a uint64.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()
