package discount_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty/discount"
)

// A Calculator reuses the scratch memory of finished evaluations: a result must share none
// of it, however many orders of whatever sizes are priced after it, and pricing the same
// order again must give the same result.
func TestApplyResultsAreIndependent(t *testing.T) {
	c := mustNew(t, benchPolicy())
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	sizes := []int{10, 1, 100, 3, 10, 57}
	first := make([]discount.Result, len(sizes))
	for i, n := range sizes {
		r, err := c.Apply(benchOrder(n), h)
		if err != nil {
			t.Fatal(err)
		}
		first[i] = r
	}
	for round := range 3 {
		for i, n := range sizes {
			// A fresh Calculator has never pooled anything: its result is the reference.
			want := apply(t, benchPolicy(), benchOrder(n), h)
			if d := cmp.Diff(want, first[i]); d != "" {
				t.Fatalf("round %d, order of %d lines: the first result changed (-want +got):\n%s", round, n, d)
			}
			got, err := c.Apply(benchOrder(n), h)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("round %d, order of %d lines (-want +got):\n%s", round, n, d)
			}
		}
	}
}
