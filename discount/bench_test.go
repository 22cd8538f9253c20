package discount_test

import (
	"fmt"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
)

// benchPolicy has 5 candidates: a best-of group of three (10 % on category a, 500 off the
// order, a volume ladder) followed sequentially by a cumulative ladder and a promo code.
// The margin floor is on.
func benchPolicy() discount.Policy {
	return discount.Policy{
		Currency: rub,
		Stacking: discount.Sequential,
		Groups:   []discount.Group{{ID: "promos", Stacking: discount.BestOf, Priority: 1}},
		Discounts: []discount.Discount{
			{ID: "cat-a", Kind: discount.Percent, Percent: dec("10"), Group: "promos",
				Scope: discount.Scope{Categories: []loyalty.CategoryID{"a"}, ExcludePromotional: true}},
			{ID: "off500", Kind: discount.AmountOff, Amount: m("500"), Group: "promos", Scope: all},
			{ID: "volume", Kind: discount.Volume, Basis: discount.ByQuantity, Group: "promos", Scope: all,
				Tiers: []discount.Tier{{FromQuantity: loyalty.MustQuantity("10"), Percent: dec("3")},
					{FromQuantity: loyalty.MustQuantity("100"), Percent: dec("7")}}},
			{ID: "ladder", Kind: discount.Cumulative, Priority: 2, Scope: all,
				Tiers: []discount.Tier{{From: m("10000"), Percent: dec("5")}, {From: m("20000"), Percent: dec("10")}},
				Decay: discount.Decay{AfterDays: 60, Keep: dec("50")}},
			{ID: "code", Kind: discount.Percent, Percent: dec("30"), Priority: 3,
				Scope:     discount.Scope{All: true, ExcludePromotional: true},
				Condition: discount.Condition{Code: "SKIDKA30", MinSubtotal: m("5000")}},
		},
		Floor: discount.Floor{MinMarkup: dec("5")},
		Cap:   discount.Cap{MaxPercent: dec("40")},
	}
}

func benchOrder(n int) loyalty.Order {
	o := loyalty.Order{ID: "bench", Account: "acme", Currency: rub, PlacedAt: day, Codes: []string{"SKIDKA30"}}
	for i := range n {
		l := line(fmt.Sprintf("SKU-%d", i), string(cats[i%3]), fmt.Sprint(1+i%7), fmt.Sprintf("%d.%02d", 100+i*37%900, i%100), "")
		if i%2 == 0 {
			l.UnitCost = loyalty.MustPrice(fmt.Sprint(50+i*37%400), "RUB")
		}
		l.OnPromotion = i%5 == 0
		o.Lines = append(o.Lines, l)
	}
	return o
}

func BenchmarkApply(b *testing.B) {
	c := mustNew(b, benchPolicy())
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	for _, n := range []int{10, 100} {
		o := benchOrder(n)
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Apply(o, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApplyInto is BenchmarkApply pricing into one reused Result: the steady state of
// a caller that reads every result and then discards it.
func BenchmarkApplyInto(b *testing.B) {
	c := mustNew(b, benchPolicy())
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	for _, n := range []int{10, 100} {
		o := benchOrder(n)
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var res discount.Result
			for b.Loop() {
				if err := c.ApplyInto(&res, o, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApplyChecked is BenchmarkApplyInto for an order its caller has validated, with
// its line totals: what an orchestrator that validated the order once pays.
func BenchmarkApplyChecked(b *testing.B) {
	c := mustNew(b, benchPolicy())
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	for _, n := range []int{10, 100} {
		o := benchOrder(n)
		totals, err := o.LineTotals()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var res discount.Result
			for b.Loop() {
				if err := c.ApplyChecked(&res, o, h, totals); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBenchPolicy makes sure the benchmark exercises what it claims: every candidate is
// evaluated, the best-of group picks one, the sequential ones apply.
func TestBenchPolicy(t *testing.T) {
	o := benchOrder(10)
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	r := apply(t, benchPolicy(), o, h)
	checkInvariants(t, o, r)
	applied := map[string]bool{}
	for _, e := range r.Entries {
		applied[e.Discount] = e.Applied
	}
	diff(t, "applied", map[string]bool{"cat-a": false, "off500": true, "volume": false, "ladder": true, "code": true}, applied)
}

// enginePolicy is the policy the campaign engine prices its reference program with (see
// campaign's BenchmarkEvaluate): a cumulative ladder, a discount per tier, the promo code's
// and a campaign's, stacked sequentially, each but the ladder enabled by an internal code,
// with the default margin floor (the cost).
func enginePolicy() discount.Policy {
	return discount.Policy{
		Currency: rub,
		Stacking: discount.Sequential,
		Discounts: []discount.Discount{
			{ID: "cumulative", Kind: discount.Cumulative, Scope: all,
				Tiers: []discount.Tier{{From: m("10000"), Percent: dec("2")}, {From: m("30000"), Percent: dec("4")}}},
			{ID: "tier:Silver", Kind: discount.Percent, Percent: dec("3"), Scope: all,
				Condition: discount.Condition{Code: "LKCAMPAIGNT1"}},
			{ID: "tier:Gold", Kind: discount.Percent, Percent: dec("5"), Scope: all,
				Condition: discount.Condition{Code: "LKCAMPAIGNT2"}},
			{ID: "code:SAVE10", Kind: discount.Percent, Percent: dec("10"), Scope: all,
				Condition: discount.Condition{Code: "LKCAMPAIGND0"}},
			{ID: "campaign:tools-week", Kind: discount.Percent, Percent: dec("3"),
				Scope:     discount.Scope{Categories: []loyalty.CategoryID{"tools"}},
				Condition: discount.Condition{Code: "LKCAMPAIGNC0"}},
		},
	}
}

// engineOrder is the order of campaign's BenchmarkEvaluate with n lines, as the engine
// prices it (its internal codes: the Silver tier, the promo code, the campaign).
func engineOrder(n int) loyalty.Order {
	o := loyalty.Order{ID: "o", Account: "acme", Currency: rub, PlacedAt: day,
		Codes: []string{"LKCAMPAIGNT1", "LKCAMPAIGND0", "LKCAMPAIGNC0"}}
	for i := range n {
		cat, cost := "tools", "80.50"
		if i%3 == 0 {
			cat, cost = "misc", ""
		}
		o.Lines = append(o.Lines, line(fmt.Sprintf("sku-%d", i), cat, fmt.Sprint(1+i%7), "123.45", cost))
	}
	return o
}

// BenchmarkApplyEngine is BenchmarkApplyChecked with the campaign engine's policy and order,
// each evaluation into a new Result as the engine's quotes need.
func BenchmarkApplyEngine(b *testing.B) {
	c := mustNew(b, enginePolicy())
	h := discount.History{Purchases: []discount.Purchase{bought(5, "5000"), bought(4, "5000"), bought(3, "5000"),
		bought(2, "5000"), bought(1, "5000")}}
	for _, n := range []int{10, 100} {
		o := engineOrder(n)
		totals, err := o.LineTotals()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var res discount.Result
				if err := c.ApplyChecked(&res, o, h, totals); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestEnginePolicy makes sure BenchmarkApplyEngine exercises what it claims: the ladder's
// first tier, the Silver discount, the code's and the campaign's apply, Gold's does not.
func TestEnginePolicy(t *testing.T) {
	o := engineOrder(10)
	h := discount.History{Purchases: []discount.Purchase{bought(5, "5000"), bought(4, "5000"), bought(3, "5000"),
		bought(2, "5000"), bought(1, "5000")}}
	r := apply(t, enginePolicy(), o, h)
	checkInvariants(t, o, r)
	applied := map[string]bool{}
	for _, e := range r.Entries {
		applied[e.Discount] = e.Applied
	}
	diff(t, "applied", map[string]bool{"cumulative": true, "tier:Silver": true, "tier:Gold": false,
		"code:SAVE10": true, "campaign:tools-week": true}, applied)
}
