package campaign_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/tier"
)

// wholesaler is a discount program: a three-level tier ladder on lifetime spend (Silver
// from 100,000 gives 2 %, Gold from 500,000 gives 5 % and perks), a cumulative discount that
// counts the current order (over 10,000: 5 %, over 20,000: 10 %), additive stacking, a margin
// floor of a 10 % markup on cost, and a personal term: account "vip" always gets 12 % as its
// cumulative rate.
func wholesaler() campaign.Program {
	return campaign.Program{
		ID: "wholesale", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers: &tier.Ladder{Currency: rub, Levels: []tier.Level{
			{Name: "Bronze"},
			{Name: "Silver", Threshold: tier.Amount{Spend: m("100000")}, Benefits: tier.Benefits{DiscountRate: d("0.02")}},
			{Name: "Gold", Threshold: tier.Amount{Spend: m("500000")}, Benefits: tier.Benefits{DiscountRate: d("0.05"),
				Perks: []string{"personal manager", "deferred payment"}}},
		}},
		Discounts: discount.Policy{
			Currency: rub, Stacking: discount.Additive,
			Discounts: []discount.Discount{{
				ID: "cumulative", Name: "personal discount", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
				Accumulation: discount.Accumulation{IncludeCurrentOrder: true},
				Tiers:        []discount.Tier{{From: m("10000"), Percent: d("5")}, {From: m("20000"), Percent: d("10")}},
			}},
			Terms: []discount.Term{{Account: "vip", Discount: "cumulative", Mode: discount.Override, Percent: d("12")}},
			Floor: discount.Floor{MinMarkup: d("10")},
		},
	}
}

func TestWholesaler(t *testing.T) {
	e, clock := newEngine(t, wholesaler())

	// 1. A first purchase: a coat of 22,000 (cost 15,000). The cumulative discount counts
	// the current order: 22,000 ≥ 20,000 gives 10 % = 2,200. No tier discount at Bronze.
	// The floor, 15,000 × 1.1 = 16,500, is below 19,800.
	q1 := evaluate(t, e, order("o1", "acme", t0, line("coat", "clothes", "1", "22000", "15000")), campaign.EvaluateOptions{})
	want := campaign.Totals{Subtotal: m("22000"), Discount: m("2200"), PointsValue: m("0"), ToPay: m("19800")}
	if diff := cmp.Diff(want, q1.Totals); diff != "" {
		t.Errorf("order 1 totals (-want +got):\n%s", diff)
	}
	if q1.Tier == nil || q1.Tier.Name != "Bronze" || q1.Tier.Enrolled {
		t.Errorf("order 1 tier = %+v, want Bronze, not enrolled", q1.Tier)
	}
	// Profit 7,000 before, 4,800 after.
	wantMargin := campaign.Margin{Known: true, Revenue: m("22000"), Cost: m("15000"), Before: m("7000"),
		AfterDiscounts: m("4800"), After: m("4800")}
	if diff := cmp.Diff(wantMargin, q1.Margin); diff != "" {
		t.Errorf("order 1 margin (-want +got):\n%s", diff)
	}
	r1 := commit(t, e, q1)
	if r1.Tier == nil || r1.Tier.Level != 0 {
		t.Errorf("after order 1 tier status = %+v, want level 0", r1.Tier)
	}

	// 2. Bolts at 0.3555 × 300,000 = 106,650 (cost 0.30 a bolt: 90,000). Accumulated 19,800
	// paid + 106,650 ≥ 20,000: 10 % = 10,665, but the floor 90,000 × 1.1 = 99,000 trims it
	// to 7,650.
	clock.Advance(time.Hour)
	q2 := evaluate(t, e, order("o2", "acme", clock.Now(), line("bolt", "hardware", "300000", "0.3555", "0.30")), campaign.EvaluateOptions{})
	if diff := cmp.Diff(ms("99000"), lineTotals(q2)); diff != "" {
		t.Errorf("order 2 lines (-want +got):\n%s", diff)
	}
	en, _ := q2.Discount.Entry("cumulative")
	if !en.Reasons.Has(discount.ReasonTrimmedByFloor) {
		t.Errorf("order 2: cumulative reasons = %v, want trimmed-by-floor", en.Reasons)
	}
	r2 := commit(t, e, q2)
	// Qualifying spend is the subtotal before discounts: 22,000 + 106,650 = 128,650 → Silver.
	if r2.Tier == nil || r2.Tier.Level != 1 {
		t.Fatalf("after order 2 tier status = %+v, want level 1 (Silver)", r2.Tier)
	}

	// 3. Next day: 50,000 of an item without a known cost. Silver 2 % and the cumulative
	// 10 %, additive, each on the original price: 1,000 + 5,000.
	clock.Advance(24 * time.Hour)
	q3 := evaluate(t, e, order("o3", "acme", clock.Now(), line("pump", "hardware", "1", "50000", "")), campaign.EvaluateOptions{})
	if diff := cmp.Diff(ms("44000"), lineTotals(q3)); diff != "" {
		t.Errorf("order 3 lines (-want +got):\n%s", diff)
	}
	if q3.Tier.Name != "Silver" {
		t.Errorf("order 3 tier = %s, want Silver", q3.Tier.Name)
	}
	if q3.Margin.Known || !cmp.Equal(q3.Margin.Unknown, []int{0}) {
		t.Errorf("order 3 margin = %+v, want unknown for line 0", q3.Margin)
	}
	if q3.PriorOrders != 2 {
		t.Errorf("order 3 prior orders = %d, want 2", q3.PriorOrders)
	}

	// 4. Personal terms: vip's cumulative rate is 12 % whatever it has bought.
	qv := evaluate(t, e, order("v1", "vip", clock.Now(), line("coat", "clothes", "1", "22000", "15000")), campaign.EvaluateOptions{})
	if diff := cmp.Diff(ms("19360"), lineTotals(qv)); diff != "" {
		t.Errorf("vip lines (-want +got):\n%s", diff)
	}

	// 5. Gold by a negotiated override: 5 % and the perks, explained.
	if _, err := e.Tiers().SetOverride(ctx, "acme", tier.Override{Level: 2, Until: clock.Now().AddDate(1, 0, 0), Reason: "contract"}, "ovr-1"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	q4 := evaluate(t, e, order("o4", "acme", clock.Now(), line("pump", "hardware", "1", "50000", "")), campaign.EvaluateOptions{})
	if q4.Tier.Name != "Gold" || q4.Tier.Source != tier.Overridden || !q4.Tier.Benefits.HasPerk("deferred payment") {
		t.Errorf("order 4 tier = %+v, want Gold by override with perks", q4.Tier)
	}
	// 2,500 + 5,000.
	if diff := cmp.Diff(ms("42500"), lineTotals(q4)); diff != "" {
		t.Errorf("order 4 lines (-want +got):\n%s", diff)
	}
	text := q4.Explain()
	for _, s := range []string{"Tier Gold (by override): a 5% discount, personal manager, deferred payment.",
		"tier:Gold", "cumulative", "Gross profit unknown: no line has a known cost."} {
		if !strings.Contains(text, s) {
			t.Errorf("explanation lacks %q:\n%s", s, text)
		}
	}

	// 6. A full return of order 2 takes its 99,000 back out of the accumulated spend and
	// its 106,650 out of the tier's qualifying spend: acme falls back to Bronze (its override
	// aside) and the cumulative rate of a 5,000 order counts 19,800 + 5,000 ≥ 20,000 still.
	ret, err := e.Return(ctx, "o2", []loyalty.ReturnLine{{Line: 0, Quantity: qty("300000")}}, "ret-o2")
	if err != nil {
		t.Fatal(err)
	}
	if !ret.Plan.Full || !ret.Plan.Paid.Equal(m("99000")) || !ret.Plan.Base.Equal(m("106650")) {
		t.Errorf("return plan = %+v", ret.Plan)
	}
	if ret.Tier == nil || ret.Tier.Level != 0 {
		t.Errorf("tier after return = %+v, want earned level 0", ret.Tier)
	}
	acct, err := e.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if acct.Orders != 1 {
		t.Errorf("orders after the full return = %d, want 1", acct.Orders)
	}
	spend, _, err := acct.History.Accumulated(discount.Accumulation{}, clock.Now().Add(time.Hour), rub)
	if err != nil || !spend.Equal(m("19800")) {
		t.Errorf("accumulated after return = %v, %v; want 19800.00 RUB", spend, err)
	}
}

func tierOverride(level int, from time.Time) tier.Override {
	return tier.Override{Level: level, From: from, Until: from.AddDate(1, 0, 0), Reason: "test"}
}
