package tier_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

// The airline corporate program: points worth 5% of ticket spend up to 3,000,000 RUB a
// year, 6% up to 5,000,000, 7% above; upgrades at monthly reviews, downgrades only at the
// yearly review.
func Example_airlineCorporate() {
	ctx := context.Background()
	moscow := time.FixedZone("MSK", 3*60*60)
	rub := func(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }
	ladder := tier.Ladder{
		Measure:  tier.Spend,
		Currency: loyalty.MustCurrency("RUB"),
		Levels: []tier.Level{
			{Name: "5%", Benefits: tier.Benefits{EarnRate: decimal.RequireFromString("0.05")}},
			{Name: "6%", Threshold: tier.Amount{Spend: rub("3000000.01")}, Benefits: tier.Benefits{EarnRate: decimal.RequireFromString("0.06")}},
			{Name: "7%", Threshold: tier.Amount{Spend: rub("5000000.01")}, Benefits: tier.Benefits{EarnRate: decimal.RequireFromString("0.07")}},
		},
		Window: tier.Window{Kind: tier.Calendar, Period: loyalty.Year},
		Review: tier.ReviewPolicy{UpgradeEvery: loyalty.Month, DowngradeEvery: loyalty.Year},
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, moscow) }
	clock := loyalty.NewManualClock(day(2025, 1, 10))
	svc, err := tier.NewService(tier.NewMemoryStore(), tier.Config{Ladder: ladder, Location: moscow, Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	svc.Enroll(ctx, "acme", day(2025, 1, 10))
	flights := map[time.Month]string{time.February: "1800000", time.March: "1500000", time.June: "2000000"}

	// A year and a half of monthly reviews.
	for m := day(2025, 2, 1); !m.After(day(2026, 7, 1)); m = loyalty.AddMonths(m, 1) {
		if spend, ok := flights[m.Month()]; ok && m.Year() == 2025 {
			clock.Set(m.AddDate(0, 0, 14))
			svc.Record(ctx, "acme", clock.Now(), tier.Amount{Spend: rub(spend)}, loyalty.IdempotencyKey("tickets-"+m.Format("2006-01")))
		}
		clock.Set(loyalty.AddMonths(m, 1))
		rep, _ := svc.ReviewAll(ctx, clock.Now())
		for _, c := range rep.Changes {
			fmt.Println(svc.Evaluator().ExplainChange(c))
		}
	}
	p, _ := svc.Project(ctx, "acme")
	fmt.Print(p.Explain())
	// Output:
	// On 2025-04-01 account acme was upgraded from 5% to 6% (qualifying spend 3300000.00 RUB).
	// On 2025-07-01 account acme was upgraded from 6% to 7% (qualifying spend 5300000.00 RUB).
	// Account acme is at level 7% since 2025-07-01.
	// Qualifying spend from 2026-01-01 to 2026-12-31: 0.00 RUB.
	// It is at the top level.
	// To keep the earned level at the review on 2027-01-01: 5000000.01 RUB more; projected level then: 5%.
}

// A three-level miles program: Red, Silver (+50% miles, priority check-in) and Gold (double
// miles, lounge access) on tier points of a rolling 12 months. Upgrades are immediate; an
// account that no longer qualifies drops one level at a monthly review.
func Example_milesLadder() {
	ladder := tier.Ladder{
		Measure: tier.PointsEarned,
		Levels: []tier.Level{
			{Name: "Red", Benefits: tier.Benefits{Perks: []string{"spend miles on car rental, parking, hotels"}}},
			{Name: "Silver", Threshold: tier.Amount{Count: 400}, Benefits: tier.Benefits{EarnMultiplier: decimal.RequireFromString("1.5"), Perks: []string{"priority check-in"}}},
			{Name: "Gold", Threshold: tier.Amount{Count: 1000}, Benefits: tier.Benefits{EarnMultiplier: decimal.NewFromInt(2), Perks: []string{"priority check-in", "lounge access"}}},
		},
		Window: tier.Window{Kind: tier.Rolling, Months: 12},
		Review: tier.ReviewPolicy{DowngradeEvery: loyalty.Month, Downgrade: tier.OneLevel},
	}
	e, err := tier.NewEvaluator(ladder, time.UTC)
	if err != nil {
		fmt.Println(err)
		return
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	a := tier.Account{ID: "flyer", Enrolled: day(2025, 1, 1), History: tier.History{
		{Day: tier.DayOf(day(2025, 1, 15)), Units: 500},
		{Day: tier.DayOf(day(2025, 3, 10)), Units: 600},
	}}
	a, changes, _ := e.Advance(a, day(2026, 5, 1))
	for _, c := range changes {
		b := e.Level(c.To).Benefits
		fmt.Printf("%s %-9s to %-6s (%d tier points): miles x%s, %v\n",
			c.At.Format("2006-01-02"), c.Kind, e.Level(c.To).Name, c.Qualifying.Count, b.Multiplier(), b.Perks)
	}
	// Output:
	// 2025-01-15 upgrade   to Silver (500 tier points): miles x1.5, [priority check-in]
	// 2025-03-10 upgrade   to Gold   (1100 tier points): miles x2, [priority check-in lounge access]
	// 2026-02-01 downgrade to Silver (600 tier points): miles x1.5, [priority check-in]
	// 2026-04-01 downgrade to Red    (0 tier points): miles x1, [spend miles on car rental, parking, hotels]
}

// The older airline corporate program required a contract with a minimum of 1,000,000 RUB a
// quarter. The projection reports the shortfall against the minimum and what keeping the
// level takes at the quarterly review.
func Example_contractMinimum() {
	moscow := time.FixedZone("MSK", 3*60*60)
	rub := func(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }
	ladder := tier.Ladder{
		Currency: loyalty.MustCurrency("RUB"),
		Levels: []tier.Level{
			{Name: "base"},
			{
				Name:       "contract",
				Threshold:  tier.Amount{Spend: rub("1000000")},
				Benefits:   tier.Benefits{DiscountRate: decimal.RequireFromString("0.03"), Perks: []string{"personal manager", "deferred payment"}},
				Commitment: &tier.Commitment{Period: loyalty.Quarter, Minimum: tier.Amount{Spend: rub("1000000")}, Enforce: true},
			},
		},
		Window: tier.Window{Kind: tier.Calendar, Period: loyalty.Quarter},
		Review: tier.ReviewPolicy{UpgradeEvery: loyalty.Month, DowngradeEvery: loyalty.Quarter},
	}
	e, err := tier.NewEvaluator(ladder, moscow)
	if err != nil {
		fmt.Println(err)
		return
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, moscow) }
	a := tier.Account{ID: "dealer-7", Enrolled: day(2025, 1, 1), History: tier.History{
		{Day: tier.DayOf(day(2025, 1, 10)), Units: rub("1200000").MinorUnits()},
		{Day: tier.DayOf(day(2025, 4, 20)), Units: rub("400000").MinorUnits()},
	}}
	fmt.Print(e.Project(a, day(2025, 5, 15)).Explain())
	// Output:
	// Account dealer-7 is at level contract since 2025-02-01.
	// Qualifying spend from 2025-04-01 to 2025-06-30: 400000.00 RUB.
	// It is at the top level.
	// To keep the earned level at the review on 2025-07-01: 600000.00 RUB more; projected level then: base.
	// Contract minimum 1000000.00 RUB for 2025-04-01 to 2025-06-30: 400000.00 RUB achieved, shortfall 600000.00 RUB.
}

// A dropshipping supplier lets a store use "fast transfer" (payment before the end customer
// pays) after 6 months as a customer: a tenure ladder.
func Example_tenurePerk() {
	e, err := tier.NewEvaluator(tier.Ladder{
		Measure: tier.Tenure,
		Levels: []tier.Level{
			{Name: "newcomer"},
			{Name: "regular", Threshold: tier.Amount{Count: 6}, Benefits: tier.Benefits{Perks: []string{"fast transfer"}}},
		},
	}, time.UTC)
	if err != nil {
		fmt.Println(err)
		return
	}
	store := tier.Account{ID: "store-12", Enrolled: time.Date(2025, 3, 15, 9, 30, 0, 0, time.UTC)}
	for _, at := range []time.Time{time.Date(2025, 9, 14, 18, 0, 0, 0, time.UTC), time.Date(2025, 9, 15, 8, 0, 0, 0, time.UTC)} {
		p := e.Project(store, at)
		fmt.Printf("%s: %s, fast transfer: %v", at.Format("2006-01-02"), p.LevelName, e.Level(p.Level).Benefits.HasPerk("fast transfer"))
		if p.Next >= 0 {
			fmt.Printf(", %s to %s", e.Format(p.NeededForNext), p.NextName)
		}
		fmt.Println()
	}
	// Output:
	// 2025-09-14: newcomer, fast transfer: false, 1 month to regular
	// 2025-09-15: regular, fast transfer: true
}

// A hypermarket sells a cheap club card: 250 RUB buys a year of member prices. Spending
// 100,000 RUB in a calendar year earns the same level.
func Example_paidCard() {
	ctx := context.Background()
	rub := func(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }
	ladder := tier.Ladder{
		Currency: loyalty.MustCurrency("RUB"),
		Levels: []tier.Level{
			{Name: "guest"},
			{
				Name:       "club",
				Threshold:  tier.Amount{Spend: rub("100000")},
				Benefits:   tier.Benefits{DiscountRate: decimal.RequireFromString("0.07")},
				Membership: &tier.MembershipTerms{Fee: rub("250"), Months: 12},
			},
		},
		Window: tier.Window{Kind: tier.Calendar, Period: loyalty.Year},
	}
	clock := loyalty.NewManualClock(time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC))
	svc, err := tier.NewService(tier.NewMemoryStore(), tier.Config{Ladder: ladder, Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	svc.Enroll(ctx, "shopper", time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC))
	m, err := svc.BuyMembership(ctx, "shopper", 1, time.Time{}, "card-sale-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("paid %s for club from %s to %s\n", m.Fee, m.From.Format("2006-01-02"), m.Until.Format("2006-01-02"))
	for _, at := range []time.Time{clock.Now(), m.Until} {
		clock.Set(at)
		p, _ := svc.Project(ctx, "shopper")
		fmt.Printf("%s: %s (%s), member discount %s%%\n", at.Format("2006-01-02"), p.LevelName, p.Source,
			svc.Evaluator().Level(p.Level).Benefits.DiscountRate.Shift(2))
	}
	// Output:
	// paid 250.00 RUB for club from 2025-05-20 to 2026-05-20
	// 2025-05-20: club (membership), member discount 7%
	// 2026-05-20: guest (earned), member discount 0%
}
