package campaign_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
)

// The purchase history stays bounded while the spend cumulative discounts read stays exact:
// a lifetime ladder keeps only a running total and the latest purchase; a one-month rolling
// window keeps the purchases it (and a month of slack) can still see.
func TestHistoryStaysBounded(t *testing.T) {
	for _, months := range []int{0, 1} {
		t.Run(fmt.Sprintf("months=%d", months), func(t *testing.T) {
			p := wholesaler()
			p.Discounts.Discounts[0].Accumulation = discount.Accumulation{Months: months}
			e, clock := newEngine(t, p)
			full := discount.History{} // the model: every purchase, never compacted
			for i := 0; i < 60; i++ {
				clock.Advance(36 * time.Hour)
				q := evaluate(t, e, order(fmt.Sprintf("o%d", i), "acme", clock.Now(), line("pump", "hardware", "1", fmt.Sprint(1000+i*37), "")), campaign.EvaluateOptions{})
				commit(t, e, q)
				full.Purchases = append(full.Purchases, discount.Purchase{At: q.Order.PlacedAt, Amount: q.Discount.Total})
			}
			rec, err := e.Account(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			limit := 1
			if months == 1 {
				limit = 62*24/36 + 2 // a month's window and a month of slack, a purchase every 36 hours
			}
			if n := len(rec.History.Purchases); n > limit {
				t.Errorf("history holds %d purchases, want at most %d", n, limit)
			}
			acc := p.Discounts.Discounts[0].Accumulation
			for _, at := range []time.Time{clock.Now().Add(time.Hour), clock.Now().Add(10 * 24 * time.Hour)} {
				want, wantLast, err1 := full.Accumulated(acc, at, rub)
				got, gotLast, err2 := rec.History.Accumulated(acc, at, rub)
				if err1 != nil || err2 != nil || !got.Equal(want) || !gotLast.Equal(wantLast) {
					t.Errorf("at %s: accumulated %s (last %s), want %s (last %s); %v %v", at, got, gotLast, want, wantLast, err1, err2)
				}
			}
		})
	}
}
