package campaign_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
)

// fuelCard is the Rosneft card: fuel earns 1 point per full 10 spent, shop goods and
// services 3 per full 10, the card's own fee earns nothing, and points buy rewards from a
// catalogue only (20 litres of fuel for 3,999 points).
func fuelCard() campaign.Program {
	return campaign.Program{
		ID: "fuel-card", Currency: rub, TimeZone: "Europe/Moscow",
		Earning: points.Rules{Rates: []points.Rate{
			{Categories: []loyalty.CategoryID{"fuel"}, Points: 1, Per: d("10")},
			{Points: 3, Per: d("10")},
		}, Exclude: points.Exclusions{Tags: []string{"card-fee"}}},
		Redemption: points.Redemption{Rewards: []points.Reward{{ID: "fuel-20l", Name: "20 litres of any fuel", Cost: 3999}}},
	}
}

func TestFuelCard(t *testing.T) {
	e, clock := newEngine(t, fuelCard())
	fee := line("card", "services", "1", "250", "")
	fee.Tags = []string{"card-fee"}
	// Fuel 45.5 l × 56.20 = 2,557.10: 255 full tens, 255 points. Shop: 150 + 2 × 95 = 340:
	// 34 full tens × 3 = 102 points. The card fee earns nothing: 357 in all.
	o := order("o1", "fleet", t0, line("ai95", "fuel", "45.5", "56.20", ""), line("coffee", "shop", "1", "150", ""),
		line("snack", "shop", "2", "95", ""), fee)
	q := evaluate(t, e, o, campaign.EvaluateOptions{RedeemPoints: 100})
	if q.Earnings[0].Plan.Total != 357 {
		t.Errorf("points = %d, want 357", q.Earnings[0].Plan.Total)
	}
	if got := []points.Points{q.Lines[0].Points, q.Lines[1].Points + q.Lines[2].Points, q.Lines[3].Points}; !cmp.Equal(got, []points.Points{255, 102, 0}) {
		t.Errorf("points by line group = %v, want [255 102 0]", got)
	}
	// Points cannot pay for orders on this card: the redemption is refused, not the order.
	if q.Redemption == nil || q.Redemption.Applied != 0 || q.Redemption.Reason != "no-point-value" {
		t.Errorf("redemption = %+v, want refused with no-point-value", q.Redemption)
	}
	if !q.Totals.ToPay.Equal(m("3147.10")) {
		t.Errorf("to pay = %s, want 3147.10 RUB (2,557.10 + 150 + 190 + 250)", q.Totals.ToPay)
	}
	commit(t, e, q)

	// A fleet's monthly fuel: 5,000 l × 56.20 = 281,000: 28,100 points; then the reward.
	clock.Advance(time.Hour)
	commit(t, e, evaluate(t, e, order("o2", "fleet", clock.Now(), line("dt", "fuel", "5000", "56.20", "")), campaign.EvaluateOptions{}))
	if _, err := e.Points().RedeemReward(ctx, "reward-1", points.ForAccount("fleet"), "fuel-20l", ""); err != nil {
		t.Fatal(err)
	}
	b, err := e.Points().Balance(ctx, points.ForAccount("fleet"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Available != 357+28100-3999 {
		t.Errorf("balance = %d, want %d", b.Available, 357+28100-3999)
	}
}

// airline is the S7 Profi corporate program: the company earns points worth 5 % of the
// ticket price, 6 % once its ticket spend in the calendar year reaches 3,000,000 and 7 %
// from 5,000,000, with monthly upgrades and yearly downgrades; the travelling employee earns
// personal miles on the same flight (5 miles per full 100).
func airline() campaign.Program {
	return campaign.Program{
		ID: "s7-profi", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers: &tier.Ladder{Currency: rub, Window: tier.Window{Kind: tier.Calendar, Period: loyalty.Year},
			Review: tier.ReviewPolicy{UpgradeEvery: loyalty.Month, DowngradeEvery: loyalty.Year},
			Levels: []tier.Level{
				{Name: "Profi 5", Benefits: tier.Benefits{EarnRate: d("0.05")}},
				{Name: "Profi 6", Threshold: tier.Amount{Spend: m("3000000")}, Benefits: tier.Benefits{EarnRate: d("0.06")}},
				{Name: "Profi 7", Threshold: tier.Amount{Spend: m("5000000")}, Benefits: tier.Benefits{EarnRate: d("0.07")}},
			}},
		Redemption:   points.Redemption{Currency: rub, PointValue: d("1"), MaxShare: d("1")},
		BuyerEarning: &points.Rules{Rates: []points.Rate{{Points: 5, Per: d("100")}}},
	}
}

func TestAirline(t *testing.T) {
	e, clock := newEngine(t, airline())
	company, ivanov := points.ForAccount("acme"), points.ForBuyer("ivanov")

	// A ticket of 100,000: 5 % = 5,000 points (a point is worth 1 ruble) to the company and
	// 5 × 1,000 = 5,000 miles to the employee.
	o1 := order("t1", "acme", t0, line("ticket", "flight", "1", "100000", ""))
	o1.Buyer = "ivanov"
	q1 := evaluate(t, e, o1, campaign.EvaluateOptions{})
	if len(q1.Earnings) != 2 || q1.Earnings[0].Plan.Total != 5000 || q1.Earnings[0].TierRate != 5000 ||
		q1.Earnings[1].Holder != ivanov || q1.Earnings[1].Plan.Total != 5000 {
		t.Fatalf("earnings = %+v, want 5,000 points and 5,000 miles", q1.Earnings)
	}
	r1 := commit(t, e, q1)
	if r1.Earned(company) != 5000 || r1.Earned(ivanov) != 5000 {
		t.Errorf("credited %d points and %d miles, want 5,000 each", r1.Earned(company), r1.Earned(ivanov))
	}

	// A group booking of 3,500,000 the same month still earns 5 %: upgrades are monthly.
	clock.Advance(time.Hour)
	q2 := evaluate(t, e, order("t2", "acme", clock.Now(), line("tickets", "flight", "35", "100000", "")), campaign.EvaluateOptions{})
	if q2.Earnings[0].Plan.Total != 175000 || q2.Tier.Name != "Profi 5" {
		t.Errorf("group booking: %d points at %s, want 175,000 at Profi 5", q2.Earnings[0].Plan.Total, q2.Tier.Name)
	}
	commit(t, e, q2)

	// After the 1 April review the company is at 6 %: 6,000 on a 100,000 ticket, and its
	// points pay for part of it.
	clock.Set(time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC))
	q3 := evaluate(t, e, order("t3", "acme", clock.Now(), line("ticket", "flight", "1", "100000", "")), campaign.EvaluateOptions{RedeemPoints: 30000})
	if q3.Tier.Name != "Profi 6" {
		t.Errorf("tier in April = %s, want Profi 6", q3.Tier.Name)
	}
	if q3.Redemption.Applied != 30000 || !q3.Totals.ToPay.Equal(m("70000")) {
		t.Errorf("redemption = %+v, to pay %s", q3.Redemption, q3.Totals.ToPay)
	}
	// Points are earned on the price after discounts, before points pay: 6 % of 100,000.
	if q3.Earnings[0].Plan.Total != 6000 {
		t.Errorf("April ticket earns %d, want 6,000", q3.Earnings[0].Plan.Total)
	}
	commit(t, e, q3)
	b, err := e.Points().Balance(ctx, company)
	if err != nil {
		t.Fatal(err)
	}
	if b.Available != 5000+175000-30000+6000 {
		t.Errorf("company balance = %d, want %d", b.Available, 5000+175000-30000+6000)
	}

	// Returning the first ticket takes back the company's points and the employee's miles.
	ret, err := e.Return(ctx, "t1", []loyalty.ReturnLine{{Line: 0, Quantity: qty("1")}}, "ret-t1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ret.Points) != 2 || ret.Points[0].Points(points.KindReverse) != 5000 || ret.Points[1].Points(points.KindReverse) != 5000 {
		t.Errorf("return postings = %+v", ret.Points)
	}
	mb, err := e.BuyerPoints().Balance(ctx, ivanov)
	if err != nil || mb.Available != 0 {
		t.Errorf("miles after the return = %+v, %v; want 0", mb, err)
	}
}
