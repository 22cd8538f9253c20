package promo

import (
	"fmt"
	"math"
	"testing"

	"github.com/loyaltykit/loyalty"
	"pgregory.net/rapid"
)

// TestPropSumOfIsMoneyAdd checks that sumOf's integer loop returns what adding the amounts
// with loyalty.Money.Add returns, errors included: sums out of range, amounts in another
// currency, zero amounts without one; and that it numbers the lines.
func TestPropSumOfIsMoneyAdd(t *testing.T) {
	rub, usd := loyalty.MustCurrency("RUB"), loyalty.MustCurrency("USD")
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 20).Draw(t, "n")
		amounts := make([]loyalty.Money, n)
		for i := range amounts {
			u := rapid.OneOf(rapid.Int64Range(-1000, 1_000_000), rapid.Int64Range(math.MaxInt64/3, math.MaxInt64),
				rapid.Int64Range(math.MinInt64+1, math.MinInt64/3)).Draw(t, "units")
			switch rapid.IntRange(0, 9).Draw(t, "kind") {
			case 0:
				amounts[i] = loyalty.Money{} // zero, no currency
			case 1:
				amounts[i], _ = loyalty.MoneyFromMinor(u, usd)
			default:
				amounts[i], _ = loyalty.MoneyFromMinor(u, rub)
			}
		}
		want, wantErr := sumOfAdd(amounts, rub)
		lines := make([]int, n)
		for i := range lines {
			lines[i] = -1
		}
		got, err := sumOf(amounts, rub, lines)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !got.Equal(want) || got.Currency() != want.Currency() {
			t.Fatalf("sumOf = %v, %v; Money.Add gives %v, %v", got, err, want, wantErr)
		}
		if err == nil {
			for i, l := range lines {
				if l != i {
					t.Fatalf("lines = %v, want 0 to %d", lines, n-1)
				}
			}
		}
	})
}
