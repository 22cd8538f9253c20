package campaign_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
)

// BenchmarkEvaluate evaluates an order of the reference program (3 tiers, a cumulative
// discount ladder, 5 campaigns, one promo code, category earn rates) for an account at
// Silver with a purchase history, with the code entered and points to redeem: a new quote
// every time.
func BenchmarkEvaluate(b *testing.B) { benchEvaluate(b, false, false) }

// BenchmarkEvaluateParallel is BenchmarkEvaluate with an evaluation on every core at once
// (GOMAXPROCS goroutines sharing one engine): ns/op is the time per evaluation of the whole
// machine, its throughput, not the time one evaluation takes.
func BenchmarkEvaluateParallel(b *testing.B) { benchEvaluate(b, false, true) }

// BenchmarkEvaluateInto is BenchmarkEvaluate into one QuoteBuffer, as a server pricing
// request after request reuses the memory of the last quote.
func BenchmarkEvaluateInto(b *testing.B) { benchEvaluate(b, true, false) }

// BenchmarkEvaluateIntoParallel is BenchmarkEvaluateInto on every core at once, each
// goroutine with its own buffer: ns/op is the machine's time per evaluation.
func BenchmarkEvaluateIntoParallel(b *testing.B) { benchEvaluate(b, true, true) }

// benchEvaluate runs the reference evaluation of 10 and of 100 lines: into a buffer of each
// goroutine's own when into, else with Evaluate; on every core at once when parallel.
func benchEvaluate(b *testing.B, into, parallel bool) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			e, o, opt := referenceEvaluation(b, n)
			loop := func(next func() bool) {
				var buf campaign.QuoteBuffer
				for next() {
					var err error
					if into {
						_, err = e.EvaluateInto(ctx, &buf, o, opt)
					} else {
						_, err = e.Evaluate(ctx, o, opt)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			if parallel {
				b.RunParallel(func(pb *testing.PB) { loop(pb.Next) })
				return
			}
			i := 0
			loop(func() bool { i++; return i <= b.N })
		})
	}
}

// referenceEvaluation returns an engine of the reference program with five campaigns, an
// order of n lines for its account (at Silver, with a purchase history and points) and the
// options of the benchmarks: the code SAVE10 entered and 100 points to redeem. It checks
// that the order's quote is the one the benchmarks mean to measure.
func referenceEvaluation(b tb, n int) (*campaign.Engine, loyalty.Order, campaign.EvaluateOptions) {
	b.Helper()
	e, clock, _ := newHooked(b, referenceCampaigns())
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
	applied := map[loyalty.CampaignID]bool{}
	for _, c := range q.Campaigns {
		applied[c.ID] = c.Applied
	}
	// Every campaign is scheduled; the tools discount, the multiplier and the gift apply to
	// every order, the others depend on the order's amount and the draw.
	if q.Tier.Name != "Silver" || !q.Codes[0].Accepted || q.Redemption.Applied != 100 || len(q.Campaigns) != 5 ||
		!applied["tools-week"] || !applied["double-points"] || !applied["womens-day"] {
		b.Fatalf("unexpected quote: tier %s, code %+v, redemption %+v, campaigns %v", q.Tier.Name, q.Codes[0], q.Redemption, applied)
	}
	return e, o, opt
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

// referenceCampaigns is the reference program with five campaigns running on t0 (2 March
// 2026): 3 % off tools (a money budget), points ×2 for Silver and Gold (uses budgets), 100
// points on orders from 5,000, a gift in the week before 8 March, and a 1-in-4 instant win
// of 50 points.
func referenceCampaigns() campaign.Program {
	p := reference()
	spring := campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"}
	p.Campaigns = []campaign.Campaign{
		{ID: "tools-week", Priority: 2, Schedule: spring, Conditions: campaign.Conditions{Categories: []loyalty.CategoryID{"tools"}},
			Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Percent: d("3")}}, Budget: campaign.Budget{Money: m("1000000")}},
		{ID: "double-points", Priority: 1, Schedule: spring, Audience: campaign.Audience{Tiers: []string{"Silver", "Gold"}},
			Actions: []campaign.Action{{Kind: campaign.ActionMultiplier, Multiplier: d("2")}}, Budget: campaign.Budget{Uses: 100000, PerAccount: 1000}},
		{ID: "big-order", Schedule: spring, Conditions: campaign.Conditions{MinAmount: m("5000")},
			Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 100}}},
		{ID: "womens-day", Schedule: campaign.Schedule{Holidays: []campaign.Date{"2026-03-08"}, DaysBefore: 7},
			Actions: []campaign.Action{{Kind: campaign.ActionPerk, Perk: "flowers", Value: m("100")}}},
		{ID: "lucky", Schedule: spring, Chance: &campaign.Chance{Wins: 1, OutOf: 4, Seed: 1},
			Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 50}}},
	}
	return p
}
