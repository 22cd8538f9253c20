package loyalty

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestLineValidateFastPathAgreesWithCheck checks that the few comparisons plainTotals
// makes before its totals accept exactly the lines the full check accepts, with the same
// totals (Order.ValidateInto has check name the problems of the lines plainTotals rejects).
// Each field of a drawn line is valid or, one time in four, bad in one of the ways check
// names (empty, zero, negative, another currency, unknown, out of range).
func TestLineValidateFastPathAgreesWithCheck(t *testing.T) {
	rub, usd := MustCurrency("RUB"), MustCurrency("USD")
	rapid.Check(t, func(t *rapid.T) {
		pick := func(name string, good, bad *rapid.Generator[int64]) int64 {
			if rapid.IntRange(0, 3).Draw(t, name+"_bad") == 0 {
				return bad.Draw(t, name)
			}
			return good.Draw(t, name)
		}
		amounts := rapid.Int64Range(0, 5_000_000_000)
		badAmounts := rapid.SampledFrom([]int64{-1, -4, -1_000_000, math.MinInt64, math.MaxInt64})
		currency := func(name string) Currency {
			if rapid.IntRange(0, 3).Draw(t, name) == 0 {
				return rapid.SampledFrom([]Currency{{}, usd}).Draw(t, name+"_other")
			}
			return rub
		}
		l := Line{
			SKU:       rapid.SampledFrom([]SKU{"drill", "drill", "drill", ""}).Draw(t, "sku"),
			Quantity:  QuantityFromMicros(pick("quantity", rapid.Int64Range(1, 50_000_000), badAmounts)),
			UnitPrice: Price{micros: pick("price", rapid.Int64Range(1, 5_000_000_000), badAmounts), cur: currency("price_currency")},
			UnitCost:  Price{micros: pick("cost", amounts, badAmounts), cur: currency("cost_currency")},
			Tags:      rapid.SliceOfN(rapid.SampledFrom([]string{"promo", "promo", "promo", ""}), 0, 2).Draw(t, "tags"),
		}
		cur := rub
		if rapid.IntRange(0, 7).Draw(t, "order_currency_bad") == 0 {
			cur = Currency{}
		}
		totals, costs := make([]Money, 1), make([]Money, 1)
		ok := plainTotals([]Line{l}, cur, totals, costs)
		wantTotal, wantCost, wantErr := l.check(cur)
		if ok != (wantErr == nil) {
			t.Fatalf("plainTotals: %v, check: %v", ok, wantErr)
		}
		if ok && (totals[0] != wantTotal || costs[0] != wantCost) {
			t.Fatalf("plainTotals: %v, %v; check: %v, %v", totals[0], costs[0], wantTotal, wantCost)
		}
	})
}
