package campaign_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
)

// BenchmarkEvaluate evaluates an order of the reference program (3 tiers, a cumulative
// discount ladder, one promo code, category earn rates) for an account at Silver with a
// purchase history, with the code entered and points to redeem.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			e, clock, _ := newHooked(b, reference())
			credit(b, e, "acme", 5000)
			for i := 0; i < 5; i++ {
				clock.Advance(time.Hour)
				commit(b, e, evaluate(b, e, order(fmt.Sprintf("h%d", i), "acme", clock.Now(), line("drill", "tools", "1", "5000", "3000")), campaign.EvaluateOptions{}))
			}
			clock.Advance(time.Hour)
			o := order("o", "acme", clock.Now())
			for i := 0; i < n; i++ {
				cat, cost := "tools", "80.50"
				if i%3 == 0 {
					cat, cost = "misc", ""
				}
				o.Lines = append(o.Lines, line(fmt.Sprintf("sku-%d", i), cat, fmt.Sprint(1+i%7), "123.45", cost))
			}
			o.Codes = []string{"SAVE10"}
			opt := campaign.EvaluateOptions{RedeemPoints: 100}
			q := evaluate(b, e, o, opt)
			if q.Tier.Name != "Silver" || !q.Codes[0].Accepted || q.Redemption.Applied != 100 {
				b.Fatalf("unexpected quote: tier %s, code %+v, redemption %+v", q.Tier.Name, q.Codes[0], q.Redemption)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Evaluate(ctx, o, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCommit commits a new 10-line order of the reference program per iteration (the
// evaluation, the re-evaluation that detects staleness, and every store step), with the
// promo code and a redemption.
func BenchmarkCommit(b *testing.B) {
	e, clock, _ := newHooked(b, reference())
	credit(b, e, "acme", 1_000_000_000)
	lines := make([]loyalty.Line, 10)
	for i := range lines {
		lines[i] = line(fmt.Sprintf("sku-%d", i), "tools", "2", "123.45", "80.50")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clock.Advance(time.Second)
		o := order(fmt.Sprintf("o%d", i), "acme", clock.Now(), lines...)
		q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{RedeemPoints: 10})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Commit(ctx, q, loyalty.IdempotencyKey(o.ID)); err != nil {
			b.Fatal(err)
		}
	}
}
