package campaign_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
)

// simDiscount is a cumulative discount program: 5 % on every order (the ladder's first step
// is reached by any order, which counts), 7 % once the account's lifetime purchases reach
// 200,000, and a three-level tier ladder on spend in a rolling 3 months, reviewed monthly,
// whose levels give no benefits of their own (they show the distribution).
func simDiscount() campaign.Program {
	return campaign.Program{
		ID: "cumulative-5", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers: simLadder(),
		Discounts: discount.Policy{
			Currency: rub, Stacking: discount.Additive,
			Discounts: []discount.Discount{{
				ID: "cumulative", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
				Accumulation: discount.Accumulation{IncludeCurrentOrder: true},
				Tiers:        []discount.Tier{{From: m("0.01"), Percent: d("5")}, {From: m("200000"), Percent: d("7")}},
			}},
		},
	}
}

// simBonus is the bonus program of the same nominal rate: 5 % of the price paid as points
// worth 1 RUB each, active after 14 days, expiring 6 months after they were earned; points
// may pay up to half of an order. Same tier ladder.
func simBonus() campaign.Program {
	return campaign.Program{
		ID: "bonus-5", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers:      simLadder(),
		Earning:    points.Rules{Rates: []points.Rate{{ShareOfPrice: d("0.05")}}, PendingDays: 14, Expiry: points.Expiry{Months: 6}},
		Redemption: points.Redemption{Currency: rub, PointValue: d("1"), MaxShare: d("0.5")},
	}
}

func simLadder() *tier.Ladder {
	return &tier.Ladder{
		Currency: rub,
		Levels: []tier.Level{
			{Name: "Base"},
			{Name: "Silver", Threshold: tier.Amount{Spend: m("50000")}},
			{Name: "Gold", Threshold: tier.Amount{Spend: m("150000")}},
		},
		Window: tier.Window{Kind: tier.Rolling, Months: 3},
		Review: tier.ReviewPolicy{UpgradeEvery: "month", DowngradeEvery: "month"},
	}
}

func generate(t testing.TB, opt campaign.GenerateOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := campaign.GenerateHistory(&b, opt); err != nil {
		t.Fatalf("GenerateHistory: %v", err)
	}
	return b.Bytes()
}

// BenchmarkSimulate replays a generated history of 5,000 accounts (20 % of them buy once, 5 %
// of the orders see a return) through the cumulative discount and the bonus program, in one
// report. The accounts are fixed so that more orders make a longer history (10,000 orders
// span about two months, 1,000,000 about fourteen years), which shows how memory grows with
// the length of the history rather than with the number of accounts.
// The history is generated on the fly into a pipe, so that it never sits in memory: the
// benchmark measures the generator too (a small part). It reports the throughput in orders
// per second, the live heap (after a garbage collection) sampled ten times during the run:
// its maximum, that maximum per order replayed, and the last sample less the first (what the
// second half of the history added: zero when memory does not grow with the history), and
// the peak of the memory the process obtained from the OS for its heap (HeapSys).
func BenchmarkSimulate(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var peak, sys uint64
			var samples []uint64
			for i := 0; i < b.N; i++ {
				samples = samples[:0]
				pr, pw := io.Pipe()
				go func() {
					pw.CloseWithError(campaign.GenerateHistory(pw, campaign.GenerateOptions{Seed: 7, Orders: n, Accounts: 5000, ReturnPercent: 5, OneTimePercent: 20}))
				}()
				rep, err := campaign.Simulate(ctx, pr, campaign.CSV, campaign.SimulateOptions{
					ProgressEvery: n / 4, // about ten samples: a history has about 2.5 rows per order
					Progress: func(int) {
						var ms runtime.MemStats
						runtime.GC()
						runtime.ReadMemStats(&ms)
						peak, sys = max(peak, ms.HeapAlloc), max(sys, ms.HeapSys)
						samples = append(samples, ms.HeapAlloc)
					},
				}, simDiscount(), simBonus())
				if err != nil {
					b.Fatal(err)
				}
				if rep.Orders != n {
					b.Fatalf("%d orders replayed, want %d", rep.Orders, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "orders/s")
			b.ReportMetric(float64(peak)/(1<<20), "live-MB")
			b.ReportMetric(float64(peak)/float64(n), "live-B/order")
			if len(samples) >= 2 {
				mid := samples[len(samples)/2]
				b.ReportMetric((float64(samples[len(samples)-1])-float64(mid))/(1<<20), "2nd-half-growth-MB")
			}
			b.ReportMetric(float64(sys)/(1<<20), "heap-sys-MB")
		})
	}
}
