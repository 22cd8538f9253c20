package loyalty

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/shopspring/decimal"
)

// RoundingMode names how a result with a fraction of a minor unit is rounded to whole minor
// units. The zero value is [HalfUp], the library's default.
type RoundingMode uint8

// The rounding modes. "Away from zero" and "toward zero" are about magnitude: Up rounds
// -1.001 to -1.01, Ceiling rounds it to -1.00.
const (
	HalfUp   RoundingMode = iota // to nearest; halves away from zero (commercial rounding). Default.
	HalfEven                     // to nearest; halves to the even neighbour (banker's rounding)
	Up                           // away from zero
	Down                         // toward zero (truncation)
	Ceiling                      // toward +∞
	Floor                        // toward -∞
)

var roundingNames = [...]string{"half-up", "half-even", "up", "down", "ceiling", "floor"}

// String returns the mode's name: "half-up", "half-even", "up", "down", "ceiling" or "floor".
func (m RoundingMode) String() string {
	if int(m) < len(roundingNames) {
		return roundingNames[m]
	}
	return fmt.Sprintf("RoundingMode(%d)", uint8(m))
}

// Valid reports whether m is one of the named modes.
func (m RoundingMode) Valid() bool { return int(m) < len(roundingNames) }

// MarshalText encodes the mode by name.
func (m RoundingMode) MarshalText() ([]byte, error) {
	if !m.Valid() {
		return nil, Invalid("rounding", uint8(m), "unknown rounding mode")
	}
	return []byte(m.String()), nil
}

// UnmarshalText decodes a mode name; the empty text decodes to the default, [HalfUp].
func (m *RoundingMode) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*m = HalfUp
		return nil
	}
	for i, n := range roundingNames {
		if n == string(text) {
			*m = RoundingMode(i)
			return nil
		}
	}
	return Invalid("rounding", string(text), "must be one of half-up, half-even, up, down, ceiling, floor")
}

// RoundDecimal rounds d to an integer with mode: for counts that are not money, such as
// bonus points computed as a share of a price. It fails with [ErrOverflow] beyond int64.
func RoundDecimal(d decimal.Decimal, mode RoundingMode) (int64, error) {
	v, ok := scaleRound(d, 0, mode)
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrOverflow, d.String())
	}
	return v, nil
}

// roundsAway is the one rounding rule of the library. Given a truncated magnitude q, whether
// a remainder was dropped, how the remainder compares with half the divisor (-1, 0, +1), and
// the sign of the exact result, it reports whether the magnitude must grow by one.
func roundsAway(m RoundingMode, qOdd, inexact bool, half int, neg bool) bool {
	if !inexact {
		return false
	}
	switch m {
	case HalfEven:
		return half > 0 || (half == 0 && qOdd)
	case Up:
		return true
	case Down:
		return false
	case Ceiling:
		return !neg
	case Floor:
		return neg
	default: // HalfUp
		return half >= 0
	}
}

// divRound returns ±a·b/d rounded with mode, exactly, from magnitudes (the sign is neg);
// ok is false when the result does not fit in the symmetric int64 range [-MaxInt64,
// MaxInt64]. It does not allocate.
func divRound(a, b, d uint64, neg bool, mode RoundingMode) (v int64, ok bool) {
	if mode == HalfUp { // the default
		if v, ok = halfUp(a, b, d); !ok {
			return 0, false
		}
		if neg {
			v = -v
		}
		return v, true
	}
	hi, lo := bits.Mul64(a, b)
	if hi >= d {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, d)
	if q > math.MaxInt64 { // before rounding away, which would wrap 2⁶⁴-1 around to 0
		return 0, false
	}
	if roundsAway(mode, q&1 == 1, r != 0, cmpHalf(r, d), neg) {
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(q), true
	}
	return int64(q), true
}

// halfUp returns a·b/d rounded half up (d > 0), exactly: ⌊(a·b + ⌊d/2⌋)/d⌋ is the quotient
// plus one when the remainder r is at least d-r, as [roundsAway] rounds [HalfUp]. ok is false
// beyond MaxInt64. It is small enough to inline into the hot paths that round half up.
func halfUp(a, b, d uint64) (int64, bool) {
	hi, lo := bits.Mul64(a, b)
	lo, c := bits.Add64(lo, d>>1, 0)
	hi += c // a·b ≤ (2⁶⁴-1)² = 2¹²⁸-2⁶⁵+1 and ⌊d/2⌋ < 2⁶³: the sum fits 128 bits
	if hi >= d {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, d)
	return int64(q), q <= math.MaxInt64
}

// cmpHalf compares the remainder r of a division by d with half of d: -1, 0 or +1.
func cmpHalf(r, d uint64) int {
	switch {
	case r > d-r:
		return 1
	case r < d-r:
		return -1
	}
	return 0
}

// mulDivRound returns a·b/d rounded with mode, exactly, without allocating.
func mulDivRound(a, b int64, d uint64, mode RoundingMode) (int64, bool) {
	return divRound(absU(a), absU(b), d, a^b < 0, mode)
}

// absU returns |v| as an unsigned number; it is exact for math.MinInt64 too.
func absU(v int64) uint64 {
	m := uint64(v >> 63) // all ones when v is negative: (v^-1) - -1 is -v
	return uint64(v) ^ m - m
}

// pow10 holds 10⁰ … 10¹⁹, every power of ten that fits in a uint64.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// scaleRound returns d·10^scale rounded to an integer with mode. It is the slow, exact path for
// decimals whose digits do not fit the int64 fast paths.
func scaleRound(d decimal.Decimal, scale int, mode RoundingMode) (int64, bool) {
	num, den := d.Coefficient(), big.NewInt(1)
	if exp := int(d.Exponent()) + scale; exp >= 0 {
		num.Mul(num, bigPow10(exp))
	} else {
		den = bigPow10(-exp)
	}
	return bigDivRound(num, den, mode)
}

// bigPow10 returns 10^n as a big integer.
func bigPow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// bigDivRound returns num/den rounded with mode (den ≠ 0): the big-number twin of divRound,
// for the rare values beyond 128-bit arithmetic. It may modify num and den.
func bigDivRound(num, den *big.Int, mode RoundingMode) (int64, bool) {
	neg := num.Sign()*den.Sign() < 0
	num.Abs(num)
	den.Abs(den)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	half := r.Lsh(r, 1).Cmp(den)
	if roundsAway(mode, q.Bit(0) == 1, r.Sign() != 0, half, neg) {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, false
	}
	if neg {
		return -q.Int64(), true
	}
	return q.Int64(), true
}

// mulDecimalRound returns v·rate/10^shift rounded with mode: an integer count v at one scale
// multiplied by a decimal rate and brought to another scale, rounding once. The common case
// (a rate with at most 18 significant digits) runs in wide integer arithmetic without
// allocating; other rates take the exact big-number path.
func mulDecimalRound(v int64, rate decimal.Decimal, shift int, mode RoundingMode) (int64, bool) {
	if rate.NumDigits() <= 18 {
		return mulPow10Round(v, rate.CoefficientInt64(), int(rate.Exponent())-shift, mode)
	}
	return scaleRound(decimal.New(v, 0).Mul(rate), -shift, mode)
}

// MulRound returns v × c × 10^exp rounded once to an integer with mode, exactly: an integer
// count times a decimal given as its coefficient and exponent (0.05 is c 5, exp -2; a share
// of a price in minor units of a two-digit currency as points is v × 5 × 10^(-2-2)). It is
// the routine [Money.MulRate] rounds with: 128-bit integer arithmetic without allocating when
// 10^|exp| fits a uint64, the exact big-number path otherwise. It fails with [ErrOverflow]
// when the result is beyond int64.
func MulRound(v, c int64, exp int, mode RoundingMode) (int64, error) {
	var r int64
	var ok bool
	switch {
	case uint(-exp) >= uint(len(pow10)): // exp > 0 or 10^-exp beyond uint64
		r, ok = mulPow10Round(v, c, exp, mode)
	case mode == HalfUp: // the default, without a call
		if r, ok = halfUp(absU(v), absU(c), pow10[-exp]); v^c < 0 {
			r = -r
		}
	default: // mulPow10Round's common case, one call less
		r, ok = divRound(absU(v), absU(c), pow10[-exp], v^c < 0, mode)
	}
	if !ok {
		return 0, mulRoundError(v, c, exp)
	}
	return r, nil
}

func mulRoundError(v, c int64, exp int) error {
	return fmt.Errorf("%w: %d × %de%d", ErrOverflow, v, c, exp)
}

// mulPow10Round is [MulRound] reporting overflow as ok false.
func mulPow10Round(v, c int64, exp int, mode RoundingMode) (int64, bool) {
	switch {
	case exp <= 0 && -exp < len(pow10):
		return divRound(absU(v), absU(c), pow10[-exp], v^c < 0, mode)
	case exp > 0 && exp < len(pow10) && absU(c) <= math.MaxInt64/pow10[exp]:
		return mulDivRound(v, c*int64(pow10[exp]), 1, mode)
	}
	return scaleRound(decimal.New(v, 0).Mul(decimal.New(c, 0)), exp, mode)
}

// divDecimalRound returns v/rate rounded with mode, exactly. Rates of up to 18 significant
// digits run in wide integer arithmetic without allocating; others take the big-number path.
// ok is false for a zero rate or a result out of range.
func divDecimalRound(v int64, rate decimal.Decimal, mode RoundingMode) (int64, bool) {
	if rate.IsZero() {
		return 0, false
	}
	if rate.NumDigits() <= 18 {
		coef := rate.CoefficientInt64()
		exp := int(rate.Exponent())
		neg := (v < 0) != (coef < 0)
		switch {
		case exp <= 0 && -exp < len(pow10): // v·10^-exp / coef
			return divRound(absU(v), pow10[-exp], absU(coef), neg, mode)
		case exp > 0 && exp < len(pow10) && absU(coef) <= math.MaxUint64/pow10[exp]: // v / (coef·10^exp)
			return divRound(absU(v), 1, absU(coef)*pow10[exp], neg, mode)
		}
	}
	num, den := big.NewInt(v), rate.Coefficient()
	if exp := int(rate.Exponent()); exp < 0 {
		num.Mul(num, bigPow10(-exp))
	} else {
		den.Mul(den, bigPow10(exp))
	}
	return bigDivRound(num, den, mode)
}
