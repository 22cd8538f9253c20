package points

import (
	"errors"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// TestPropRedemptionIntegerPathsMatchDecimal checks the integer arithmetic of MaxPoints and
// Value against decimal's exact division and multiplication, MaxPoints with the whole
// minor units of a point included.
func TestPropRedemptionIntegerPathsMatchDecimal(t *testing.T) {
	curs := []loyalty.Currency{loyalty.MustCurrency("RUB"), loyalty.MustCurrency("JPY"), loyalty.MustCurrency("KWD")}
	rapid.Check(t, func(t *rapid.T) {
		cur := rapid.SampledFrom(curs).Draw(t, "cur")
		value := rapid.OneOf(genPositiveDecimal, rapid.SampledFrom([]decimal.Decimal{
			decimal.RequireFromString("0.5"), decimal.RequireFromString("1"), decimal.RequireFromString("0.333"),
			decimal.RequireFromString("1.00"), decimal.New(5, 3)})).Draw(t, "value")
		limit := rapid.OneOf(rapid.Int64Range(0, 1e9), rapid.Int64Range(0, 1<<62)).Draw(t, "limit")
		q, ok := wholePoints(limit, value, cur.Digits())
		want, _ := decimal.New(limit, 0).QuoRem(value.Shift(int32(cur.Digits())), 0)
		if ok && !decimal.New(int64(q), 0).Equal(want) {
			t.Fatalf("wholePoints(%d, %s, %d) = %d, want %s", limit, value, cur.Digits(), q, want)
		}

		r := Redemption{Currency: cur, PointValue: value, Rounding: genMode.Draw(t, "mode")}
		total, err := loyalty.MoneyFromMinor(limit, cur) // no MaxShare: the limit is the total
		if err != nil {
			t.Fatal(err)
		}
		mp, err := r.MaxPoints(total)
		switch {
		case want.GreaterThan(decimal.New(1<<62, 0)):
			if !errors.Is(err, loyalty.ErrOverflow) {
				t.Fatalf("MaxPoints(%v) at %s = %d, %v; want an overflow (%s)", total, value, mp, err, want)
			}
		case err != nil || !decimal.New(int64(mp), 0).Equal(want):
			t.Fatalf("MaxPoints(%v) at %s = %d, %v; want %s", total, value, mp, err, want)
		}
		p := Points(rapid.OneOf(rapid.Int64Range(0, 1e9), rapid.Int64Range(0, 1<<62)).Draw(t, "points"))
		got, err := r.Value(p)
		exp, expErr := loyalty.MoneyFromDecimal(decimal.New(int64(p), 0).Mul(value), cur, r.Rounding)
		if (err != nil) != (expErr != nil) || err != nil && errors.Is(err, loyalty.ErrOverflow) != errors.Is(expErr, loyalty.ErrOverflow) {
			t.Fatalf("Value(%d) at %s: error %v, want %v", p, value, err, expErr)
		}
		if err == nil && !got.Equal(exp) {
			t.Fatalf("Value(%d) at %s (%v) = %v, want %v", p, value, r.Rounding, got, exp)
		}
	})
}

// TestRedemptionNeedsNoDecimals checks that MaxPoints and Value of a point worth half a
// minor unit do not allocate.
func TestRedemptionNeedsNoDecimals(t *testing.T) {
	rub := loyalty.MustCurrency("RUB")
	r := Redemption{Currency: rub, PointValue: decimal.RequireFromString("0.005"), MaxShare: decimal.RequireFromString("0.3")}
	total := loyalty.MustMoney("1234.56", "RUB")
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = r.MaxPoints(total)
		_, _ = r.Value(333)
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want none", allocs)
	}
	// 30% of 1,234.56 is 370.36 (down): 37,036 kopeks at half a kopek a point is 74,072.
	if got, err := r.MaxPoints(total); err != nil || got != 74072 {
		t.Errorf("MaxPoints = %d, %v; want 74072", got, err)
	}
	if got, err := r.Value(333); err != nil || !got.Equal(loyalty.MustMoney("1.67", "RUB")) { // 1.665 half-up
		t.Errorf("Value(333) = %v, %v; want 1.67 RUB", got, err)
	}
}
