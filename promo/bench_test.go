package promo_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/shopspring/decimal"
)

// BenchmarkGenerate generates batches of unique codes of the pattern SALE-####-####-###?
// (31^11 codes). The million-code case is meant to run once: -bench 'Generate/codes=1000000'
// -benchtime 1x.
func BenchmarkGenerate(b *testing.B) {
	s := promo.MustScheme(promo.Format{Pattern: "SALE-####-####-###?"})
	for _, n := range []int{1000, 100000, 1000000} {
		b.Run(fmt.Sprintf("codes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				codes, err := s.Generate(n, nil)
				if err != nil || len(codes) != n {
					b.Fatal(len(codes), err)
				}
			}
		})
	}
}

// BenchmarkNormalize normalises a code and checks it against its format, as every request
// does before any lookup.
func BenchmarkNormalize(b *testing.B) {
	s := promo.MustScheme(promo.Format{Pattern: "SALE-####-###?"})
	codes, err := s.Generate(1, nil)
	if err != nil {
		b.Fatal(err)
	}
	canonical := codes[0]
	typed := " sale-" + canonical[4:8] + "-" + canonical[8:] + " "
	b.Run("canonical", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := promo.Normalize(canonical); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := promo.Normalize(typed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed+check", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := s.Parse(typed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mistyped", func(b *testing.B) {
		bad := []byte(canonical)
		bad[4] = nextInAlphabet(bad[4])
		b.ReportAllocs()
		for range b.N {
			if _, err := s.Parse(string(bad)); err == nil {
				b.Fatal("accepted a mistyped code")
			}
		}
	})
}

// BenchmarkRedeem redeems a shareable code (with total and per-account limits high enough
// never to refuse) through the service over the in-memory store, one checkout per
// iteration: sequentially (reserve then redeem, and both at once) and from parallel
// goroutines, which contend for the store's one lock.
func BenchmarkRedeem(b *testing.B) {
	setup := func(b *testing.B) *promo.Service {
		svc, err := promo.New(promo.Config{})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		err = svc.Define(ctx, promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: decimal.NewFromInt(30)},
			Conditions: promo.Conditions{MinOrder: rub("1000"), ExcludePromotional: true, NotWith: []loyalty.CampaignID{"R1"}},
			Limits:     promo.Limits{Total: 1 << 40, PerAccount: 1 << 40}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.AddCode(ctx, promo.Code{Code: "SKIDKA30", Definition: "d"}); err != nil {
			b.Fatal(err)
		}
		return svc
	}
	co := req("k", "", "acme", line("beans", "beans", "4000", false), line("bundle", "machines", "9000", true)).Checkout
	b.Run("memory/reserve+redeem", func(b *testing.B) {
		svc := setup(b)
		ctx := context.Background()
		b.ReportAllocs()
		for i := range b.N {
			key := loyalty.IdempotencyKey(strconv.Itoa(i))
			if _, err := svc.Reserve(ctx, promo.Request{Key: key, Code: "skidka30", Checkout: co}); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Redeem(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memory/redeem-now", func(b *testing.B) {
		svc := setup(b)
		ctx := context.Background()
		b.ReportAllocs()
		for i := range b.N {
			if _, err := svc.RedeemNow(ctx, promo.Request{Key: loyalty.IdempotencyKey(strconv.Itoa(i)), Code: "skidka30", Checkout: co}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memory/parallel", func(b *testing.B) {
		svc := setup(b)
		ctx := context.Background()
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				key := loyalty.IdempotencyKey(strconv.FormatInt(n.Add(1), 10))
				if _, err := svc.RedeemNow(ctx, promo.Request{Key: key, Code: "skidka30", Checkout: co}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkValidateChecked validates a shareable 10 % code with a total limit on a 10-line
// order whose line totals are known, through the service over the in-memory store, as
// campaign's Evaluate does for every code entered: one read-only view, nothing written.
func BenchmarkValidateChecked(b *testing.B) {
	ctx := context.Background()
	svc, err := promo.New(promo.Config{Location: moscow})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Define(ctx, promo.Definition{ID: "SAVE10", Kind: promo.Shareable,
		Benefit: promo.Benefit{Percent: decimal.NewFromInt(10)}, Limits: promo.Limits{Total: 3}}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.AddCode(ctx, promo.Code{Code: "SAVE10", Definition: "SAVE10"}); err != nil {
		b.Fatal(err)
	}
	var lines []loyalty.Line
	for i := range 10 {
		cat := "tools"
		if i%3 == 0 {
			cat = "misc"
		}
		lines = append(lines, line(fmt.Sprintf("sku-%d", i), cat, "123.45", false))
	}
	co := promo.Checkout{Order: order("acme", lines...), PriorOrders: 5, Tier: "Silver", Promotions: []loyalty.CampaignID{"cumulative"}}
	totals, err := co.Order.LineTotals()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			g, err := svc.ValidateChecked(ctx, "SAVE10", co, totals)
			if err != nil || len(g.Lines) != 10 {
				b.Fatal(g, err)
			}
		}
	})
	// The grant's lines in memory the caller reuses, as an engine's evaluation can.
	b.Run("into", func(b *testing.B) {
		lines := make([]int, len(co.Order.Lines))
		b.ReportAllocs()
		for range b.N {
			g, err := svc.ValidateCheckedInto(ctx, lines, "SAVE10", co, totals)
			if err != nil || len(g.Lines) != 10 {
				b.Fatal(g, err)
			}
		}
	})
}
