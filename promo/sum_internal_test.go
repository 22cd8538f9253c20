package promo

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
)

// TestSumOf checks sumOf against adding the amounts one by one with Money.Add: the same
// sum, or the same error, naming the same line.
func TestSumOf(t *testing.T) {
	rub, usd := loyalty.MustCurrency("RUB"), loyalty.MustCurrency("USD")
	m := func(units int64, cur loyalty.Currency) loyalty.Money {
		t.Helper()
		a, err := loyalty.MoneyFromMinor(units, cur)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, amounts := range [][]loyalty.Money{
		nil,
		{m(12345, rub)},
		{m(12345, rub), m(0, rub), m(99, rub)},
		{m(math.MaxInt64, rub), m(1, rub)},   // beyond int64
		{m(math.MaxInt64-1, rub), m(1, rub)}, // at the edge
		{m(-math.MaxInt64, rub), m(-1, rub)}, // to math.MinInt64, out of Money's range
		{m(5, rub), m(7, usd)},               // another currency
		{m(5, rub), {}},                      // no currency, zero
		{m(1, rub), m(math.MaxInt64, rub), m(-5, rub), m(1, usd)}, // the first error counts
	} {
		want, wantErr := sumSlowly(amounts, rub)
		got, err := sumOf(amounts, rub)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("sumOf(%v) error %v, want %v", amounts, err, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("sumOf(%v) (-one by one +sumOf):\n%s", amounts, diff)
		}
	}
}
