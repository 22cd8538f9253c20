package points_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

func benchLedger(b *testing.B) *points.Ledger {
	b.Helper()
	l, err := points.New(points.NewMemoryStore(), points.Config{
		Rules:      fuelCardRules(),
		Redemption: points.Redemption{Currency: rub, PointValue: decimal.NewFromInt(1), MaxShare: decimal.RequireFromString("0.2")},
		Clock:      loyalty.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
	})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkEarn plans and posts one two-line order (fuel and shop goods) per iteration.
// The memory store keeps every order's lot, entry, purchase and idempotency record, so the
// cost per earn grows slowly with b.N (map growth, marking a larger heap): compare runs of
// the same -benchtime.
func BenchmarkEarn(b *testing.B) {
	ctx := context.Background()
	l := benchLedger(b)
	h := points.ForAccount("acme")
	o := fuelOrder("o")
	keys := make([]loyalty.IdempotencyKey, b.N)
	ids := make([]loyalty.OrderID, b.N)
	for i := range keys {
		keys[i] = loyalty.IdempotencyKey(fmt.Sprintf("k%d", i))
		ids[i] = loyalty.OrderID(fmt.Sprintf("o%d", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.ID = ids[i]
		if _, err := l.EarnOrder(ctx, keys[i], h, o, decimal.Zero); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpend spends 10 points per iteration from a holder with a large balance.
func BenchmarkSpend(b *testing.B) {
	ctx := context.Background()
	l := benchLedger(b)
	h := points.ForAccount("acme")
	if _, err := l.Adjust(ctx, points.Adjustment{Key: "seed", Holder: h, Points: 1 << 40, Reason: "bench", Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	keys := make([]loyalty.IdempotencyKey, b.N)
	for i := range keys {
		keys[i] = loyalty.IdempotencyKey(fmt.Sprintf("k%d", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Spend(ctx, points.SpendRequest{Key: keys[i], Holder: h, Points: 10}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBalance reads the balance of a holder with 10 and with 100,000 open lots: the
// cost must not grow with history.
func BenchmarkBalance(b *testing.B) {
	for _, n := range []int{10, 100000} {
		b.Run(fmt.Sprintf("lots=%d", n), func(b *testing.B) {
			ctx := context.Background()
			l := benchLedger(b)
			h := points.ForAccount("acme")
			for i := range n {
				if _, err := l.Adjust(ctx, points.Adjustment{Key: loyalty.IdempotencyKey(fmt.Sprintf("seed%d", i)), Holder: h, Points: 5, Reason: "bench", Actor: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bal, err := l.Balance(ctx, h)
				if err != nil || bal.Active != points.Points(5*n) {
					b.Fatalf("balance %+v, %v", bal, err)
				}
			}
		})
	}
}

// BenchmarkPlan computes what a two-line order earns (pure, no store).
func BenchmarkPlan(b *testing.B) {
	rules := fuelCardRules()
	o := fuelOrder("o")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := rules.Plan(o, decimal.Zero); err != nil {
			b.Fatal(err)
		}
	}
}
