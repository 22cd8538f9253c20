package campaign

import (
	"math"
	"testing"

	"github.com/loyaltykit/loyalty"
	"pgregory.net/rapid"
)

// TestSumLinesIsMoneyAndQuantityAdd checks sumLines, which campaigns' minimum amounts and
// quantities read, against the sums Money.Add and Quantity.Add make line by line: the same
// sums when every addition succeeds, a negative out as soon as one fails. Terms are drawn
// small, near the limits and negative, so that the fast loop and the exact one both run.
func TestSumLinesIsMoneyAndQuantityAdd(t *testing.T) {
	rub := loyalty.MustCurrency("RUB")
	unsigned := rapid.OneOf(rapid.Int64Range(0, 1000), rapid.Int64Range(math.MaxInt64/3, math.MaxInt64))
	signed := rapid.OneOf(unsigned, rapid.Int64Range(-1000, 1000), rapid.Int64Range(math.MinInt64+1, math.MinInt64/3))
	// Sums reaching exactly the minimum int64, which Add refuses though no addition
	// overflows.
	for _, c := range []struct{ amounts, quantities []int64 }{
		{[]int64{math.MinInt64 + 1, -1}, []int64{1, 1}},
		{[]int64{1, 1}, []int64{math.MinInt64 + 1, -1}},
		{[]int64{math.MaxInt64, 1}, []int64{1, 1}},
	} {
		base := make([]loyalty.Money, len(c.amounts))
		ol := make([]loyalty.Line, len(c.amounts))
		for i := range base {
			base[i], _ = loyalty.MoneyFromMinor(c.amounts[i], rub)
			ol[i].Quantity = loyalty.QuantityFromMicros(c.quantities[i])
		}
		every := make([]int, len(base))
		for i := range every {
			every[i] = i
		}
		if got := sumLines(base, ol, every); got.out >= 0 {
			t.Errorf("sumLines(%v, %v) = %+v, want out of range", c.amounts, c.quantities, got)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 20).Draw(t, "lines")
		term := unsigned // the usual lines, and those with negative terms
		if rapid.Bool().Draw(t, "signed") {
			term = signed
		}
		base := make([]loyalty.Money, n)
		ol := make([]loyalty.Line, n)
		for i := range base {
			var err error
			if base[i], err = loyalty.MoneyFromMinor(term.Draw(t, "amount"), rub); err != nil {
				t.Fatal(err)
			}
			ol[i].Quantity = loyalty.QuantityFromMicros(term.Draw(t, "quantity"))
		}
		all := rapid.Bool().Draw(t, "every line")
		var lines []int
		for i := range n {
			if all || rapid.Bool().Draw(t, "selected") {
				lines = append(lines, i)
			}
		}
		// What Money.Add and Quantity.Add make of the lines, in order.
		amount, qty, ok := loyalty.Zero(rub), loyalty.Quantity{}, true
		add := func(i int) {
			var err error
			if ok {
				if amount, err = amount.Add(base[i]); err == nil {
					qty, err = qty.Add(ol[i].Quantity)
				}
				ok = err == nil
			}
		}
		for _, i := range lines {
			add(i)
		}
		got := sumLines(base, ol, lines)
		if (got.out >= 0) != ok {
			t.Fatalf("out %d, want in range %v (amount %v, quantity %v)", got.out, ok, amount, qty)
		}
		if ok && (got.amount != amount.MinorUnits() || got.qty != qty.Micros()) {
			t.Fatalf("sums %d, %d; want %d, %d", got.amount, got.qty, amount.MinorUnits(), qty.Micros())
		}
	})
}
