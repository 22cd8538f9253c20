package loyalty

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestPlainTotalsAgreesWithCheck checks that the few comparisons plainTotals makes accept
// exactly the orders' lines the full check accepts (every line valid, the subtotal in
// range), with the same totals and costs (Order.ValidateInto has check name the problems of
// the lines plainTotals rejects). Each field of a drawn line is valid or, one time in four,
// bad in one of the ways check names (empty, zero, negative, another currency, unknown, out
// of range); some lines are so large that two of them overflow the subtotal.
func TestPlainTotalsAgreesWithCheck(t *testing.T) {
	rub, usd := MustCurrency("RUB"), MustCurrency("USD")
	rapid.Check(t, func(t *rapid.T) {
		// Half the orders have only good fields, so that orders of many lines pass too.
		anyBad := rapid.Bool().Draw(t, "any_bad")
		bad := func(name string) bool { return anyBad && rapid.IntRange(0, 3).Draw(t, name+"_bad") == 0 }
		pick := func(name string, good, badOnes *rapid.Generator[int64]) int64 {
			if bad(name) {
				return badOnes.Draw(t, name)
			}
			return good.Draw(t, name)
		}
		amounts := rapid.Int64Range(0, 5_000_000_000)
		badAmounts := rapid.SampledFrom([]int64{0, -1, -4, -1_000_000, math.MinInt64, math.MaxInt64})
		currency := func(name string) Currency {
			if bad(name) {
				return rapid.SampledFrom([]Currency{{}, usd}).Draw(t, name+"_other")
			}
			return rub
		}
		lines := make([]Line, rapid.IntRange(1, 20).Draw(t, "lines"))
		for i := range lines {
			lines[i] = Line{
				SKU:       "drill",
				Quantity:  QuantityFromMicros(pick("quantity", rapid.Int64Range(1, 50_000_000), badAmounts)),
				UnitPrice: Price{micros: pick("price", rapid.Int64Range(1, 5_000_000_000), badAmounts), cur: currency("price_currency")},
				UnitCost:  Price{micros: pick("cost", amounts, badAmounts), cur: currency("cost_currency")},
				Tags:      rapid.SliceOfN(rapid.SampledFrom([]string{"promo", "gift"}), 0, 2).Draw(t, "tags"),
			}
			if bad("sku") {
				lines[i].SKU = ""
			}
			if bad("tag") {
				lines[i].Tags = append(lines[i].Tags, "")
			}
			if rapid.IntRange(0, 7).Draw(t, "huge") == 0 { // 10,000 units at up to 9.2·10¹² RUB
				lines[i].Quantity = QuantityFromMicros(10_000_000_000)
				lines[i].UnitPrice.micros = rapid.SampledFrom([]int64{1_000_000_000_000_000_000, 4_600_000_000_000_000_000,
					math.MaxInt64}).Draw(t, "huge_price")
			}
		}
		cur := rub
		if bad("order_currency") {
			cur = Currency{}
		}
		totals, costs := make([]Money, len(lines)), make([]Money, len(lines))
		ok := plainTotals(lines, cur, totals, costs)
		want := cur.idx != 0 // what check says: every line valid and the subtotal in range
		var sum int64
		for i := range lines {
			total, cost, err := lines[i].check(cur)
			if err != nil {
				want = false
				break
			}
			if sum += total.units; sum < 0 {
				want = false
				break
			}
			if ok && (totals[i] != total || costs[i] != cost) {
				t.Fatalf("lines[%d]: plainTotals %v, %v; check %v, %v", i, totals[i], costs[i], total, cost)
			}
		}
		if ok != want {
			t.Fatalf("plainTotals: %v; check and the subtotal: %v", ok, want)
		}
	})
}
