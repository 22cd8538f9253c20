package loyalty_test

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/loyaltykit/loyalty"
)

// TestPropAddSubMatchBigIntegers checks Money.Add and Money.Sub against big-integer sums over
// the whole int64 range, with the zero Money and mismatched currencies mixed in: the sum in
// the currency the operands share (a zero amount without a currency adopts the other's), a
// *CurrencyMismatchError naming both currencies, or ErrOverflow outside the symmetric range.
func TestPropAddSubMatchBigIntegers(t *testing.T) {
	curs := []loyalty.Currency{{}, rub, usd}
	rapid.Check(t, func(t *rapid.T) {
		units := func(label string) int64 {
			return rapid.OneOf(rapid.Int64Range(-math.MaxInt64, math.MaxInt64), rapid.Int64Range(-3, 3),
				rapid.SampledFrom([]int64{math.MaxInt64, -math.MaxInt64, 1 << 62, -(1 << 62)})).Draw(t, label)
		}
		money := func(label string) loyalty.Money {
			cur := rapid.SampledFrom(curs).Draw(t, label+".cur")
			u := units(label)
			if cur.IsZero() {
				return loyalty.Money{} // the only Money without a currency is zero
			}
			return minor(u, cur)
		}
		a, b := money("a"), money("b")
		sub := rapid.Bool().Draw(t, "sub")
		op, got, err := "add", loyalty.Money{}, error(nil)
		exact := new(big.Int).SetInt64(a.MinorUnits())
		if sub {
			op = "subtract"
			got, err = a.Sub(b)
			exact.Sub(exact, big.NewInt(b.MinorUnits()))
		} else {
			got, err = a.Add(b)
			exact.Add(exact, big.NewInt(b.MinorUnits()))
		}
		cur, compatible := a.Currency(), true
		switch {
		case a.Currency() == b.Currency():
		case a.Currency().IsZero() && a.IsZero():
			cur = b.Currency()
		case b.Currency().IsZero() && b.IsZero():
		default:
			compatible = false
		}
		if !compatible {
			var mm *loyalty.CurrencyMismatchError
			if !errors.As(err, &mm) || !errors.Is(err, loyalty.ErrCurrencyMismatch) || errors.Is(err, loyalty.ErrOverflow) ||
				mm.Op != op || mm.A != a.Currency() || mm.B != b.Currency() || err.Error() != mm.Error() {
				t.Fatalf("%v %s %v: got %v, %v; want a currency mismatch", a, op, b, got, err)
			}
			return
		}
		if !exact.IsInt64() || exact.Int64() == math.MinInt64 {
			want := fmt.Sprintf("%v: %s %v and %v", loyalty.ErrOverflow, op, a, b)
			if !errors.Is(err, loyalty.ErrOverflow) || err.Error() != want || got != (loyalty.Money{}) {
				t.Fatalf("%v %s %v: got %v, %v; want the overflow error %q", a, op, b, got, err, want)
			}
			return
		}
		if err != nil || got.MinorUnits() != exact.Int64() || got.Currency() != cur {
			t.Fatalf("%v %s %v = %v, %v; want %s minor units of %v", a, op, b, got, err, exact, cur)
		}
	})
}

// TestQuantityAddOverflow checks the error of a quantity sum beyond the range.
func TestQuantityAddOverflow(t *testing.T) {
	big := loyalty.QuantityFromMicros(math.MaxInt64 - 1)
	_, err := big.Add(loyalty.QuantityFromMicros(2))
	want := fmt.Sprintf("%v: quantity %v + 0.000002", loyalty.ErrOverflow, big)
	if !errors.Is(err, loyalty.ErrOverflow) || err.Error() != want {
		t.Errorf("Add beyond the range: %v, want %q", err, want)
	}
	if _, err := loyalty.QuantityFromMicros(-math.MaxInt64).Sub(loyalty.QuantityFromMicros(1)); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("Sub to math.MinInt64: %v, want ErrOverflow", err)
	}
	if s, err := big.Add(loyalty.QuantityFromMicros(1)); err != nil || s.Micros() != math.MaxInt64 {
		t.Errorf("Add to the edge of the range: %v, %v", s, err)
	}
}

// TestPropMulRoundMatchesDecimalOracle checks MulRound against decimal's own multiplication
// and rounding, over coefficients of up to 18 digits and exponents beyond the 128-bit path.
func TestPropMulRoundMatchesDecimalOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.OneOf(rapid.Int64Range(-1e12, 1e12), rapid.Int64Range(-math.MaxInt64, math.MaxInt64)).Draw(t, "v")
		rate := genDecimal.Draw(t, "rate")
		c, exp := rate.CoefficientInt64(), int(rate.Exponent())-rapid.IntRange(0, 8).Draw(t, "shift")
		mode := genMode.Draw(t, "mode")
		got, err := loyalty.MulRound(v, c, exp, mode)
		want := roundRef(decimal.New(v, 0).Mul(decimal.New(c, int32(exp))), 0, mode)
		if !want.Abs().LessThanOrEqual(decimal.NewFromInt(math.MaxInt64)) {
			if !errors.Is(err, loyalty.ErrOverflow) {
				t.Fatalf("%d × %de%d (%v) = %d, %v; want ErrOverflow (exact %s)", v, c, exp, mode, got, err, want)
			}
			return
		}
		if err != nil || !decimal.NewFromInt(got).Equal(want) {
			t.Fatalf("%d × %de%d (%v) = %d, %v; want %s", v, c, exp, mode, got, err, want)
		}
	})
}

func TestMulRound(t *testing.T) {
	for _, tc := range []struct {
		v, c int64
		exp  int
		mode loyalty.RoundingMode
		want int64
	}{
		{900000, 5, -4, loyalty.HalfUp, 450},     // 5% of 9,000.00 as points
		{12345, 15, -1, loyalty.HalfUp, 18518},   // 12,345 × 1.5 ÷ 1 = 18,517.5 → 18,518
		{12345, 15, -1, loyalty.HalfEven, 18518}, // 18,517.5: 18,518 is even
		{12355, 15, -1, loyalty.HalfEven, 18532}, // 18,532.5: 18,532 is even
		{12345, 15, -1, loyalty.Down, 18517},
		{-12345, 15, -1, loyalty.Floor, -18518},
		{7, 3, 2, loyalty.HalfUp, 2100},                             // a positive exponent
		{1, 1, -30, loyalty.Up, 1},                                  // beyond 10^19: the big-number path
		{math.MaxInt64, 2, -1, loyalty.HalfUp, 1844674407370955161}, // a 128-bit product: …807 × 0.2 = …161.4
	} {
		got, err := loyalty.MulRound(tc.v, tc.c, tc.exp, tc.mode)
		if err != nil || got != tc.want {
			t.Errorf("MulRound(%d, %d, %d, %v) = %d, %v; want %d", tc.v, tc.c, tc.exp, tc.mode, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		v, c int64
		exp  int
		mode loyalty.RoundingMode
	}{
		{math.MaxInt64, 2, 0, loyalty.HalfUp},
		{math.MaxInt64, 1, 1, loyalty.HalfUp},
		{1, 1, 40, loyalty.HalfUp},
		// (2⁶⁴-1)·10 + 1 tenths: rounded up, 2⁶⁴ (it once wrapped around to 0)
		{4985606506407986923, 37, -1, loyalty.Up},
		{4985606506407986923, 37, -1, loyalty.Ceiling},
	} {
		if got, err := loyalty.MulRound(tc.v, tc.c, tc.exp, tc.mode); !errors.Is(err, loyalty.ErrOverflow) {
			t.Errorf("MulRound(%d, %d, %d, %v) = %d, %v; want ErrOverflow", tc.v, tc.c, tc.exp, tc.mode, got, err)
		}
	}
}
