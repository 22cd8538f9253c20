package loyalty

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestLineValidateFastPathAgreesWithCheck checks that the few comparisons validate makes
// before its totals accept exactly the lines the full check accepts, with the same totals,
// and that a line either rejects is named by check's error. Each field of a drawn line is
// valid or, one time in four, bad in one of the ways check names (empty, zero, negative,
// another currency, unknown, out of range).
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
		total, cost, err := l.validate(cur)
		wantTotal, wantCost, wantErr := l.check(cur)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("validate: %v, check: %v", err, wantErr)
		}
		if total != wantTotal || cost != wantCost {
			t.Fatalf("validate: %v, %v; check: %v, %v", total, cost, wantTotal, wantCost)
		}
	})
}
