package points_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// The fuel-station card: fuel earns 1 point per full 10 RUB, shop goods and services 3 points
// per full 10 RUB. What a point is worth depends on what it buys: spent on the top reward,
// 20 litres of fuel for 3,999 points, it is worth 1,108.00 / 3,999 RUB, and that gives each
// earning path its effective cashback rate.
//
// Shop goods and services share one rate, so their value is added up before flooring to
// full blocks (499.00 RUB: 49 blocks, 147 points) and the points are split back over the two
// lines by value, so a return of the coffee reverses exactly its 44 points.
func ExampleRules_Plan_fuelCard() {
	rules := points.Rules{Rates: []points.Rate{
		{Categories: []loyalty.CategoryID{"fuel"}, Points: 1, Per: decimal.NewFromInt(10)},
		{Categories: []loyalty.CategoryID{"shop", "services"}, Points: 3, Per: decimal.NewFromInt(10)},
	}}
	rub := loyalty.MustCurrency("RUB")
	o := loyalty.Order{ID: "receipt-1", Account: "taxi-park", Currency: rub, PlacedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Lines: []loyalty.Line{
			{SKU: "ai95", Category: "fuel", Quantity: loyalty.MustQuantity("40"), UnitPrice: loyalty.MustPrice("55.40", "RUB")},
			{SKU: "coffee", Category: "shop", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("149.00", "RUB")},
			{SKU: "car-wash", Category: "services", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("350.00", "RUB")},
		}}
	plan, err := rules.Plan(o, decimal.Zero)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, l := range plan.Lines {
		total, _ := o.Lines[i].Total()
		fmt.Printf("%-8s %12s  %3d points\n", o.Lines[i].SKU, total, l.Points)
	}
	fmt.Printf("total                  %4d points\n", plan.Total)

	litres, _ := loyalty.MustMoney("55.40", "RUB").MulInt(20)
	perPoint := litres.Decimal().DivRound(decimal.NewFromInt(3999), 6)
	fmt.Printf("a point spent on 20 litres is worth %s RUB\n", perPoint)
	for _, r := range rules.Rates {
		cashback, _ := r.Cashback(perPoint, 4)
		fmt.Printf("%v: %d per full %s RUB = %s%% cashback\n", r.Categories, r.Points, r.Per, cashback.Shift(2).StringFixed(2))
	}
	// Output:
	// ai95      2216.00 RUB  221 points
	// coffee     149.00 RUB   44 points
	// car-wash   350.00 RUB  103 points
	// total                   368 points
	// a point spent on 20 litres is worth 0.277069 RUB
	// [fuel]: 1 per full 10 RUB = 2.77% cashback
	// [shop services]: 3 per full 10 RUB = 8.31% cashback
}

// Points pay part of an order: at most 20% of it, at 1 RUB per point, at least 100 points.
func ExampleLedger_Redeem() {
	ctx := context.Background()
	rub := loyalty.MustCurrency("RUB")
	ledger, err := points.New(points.NewMemoryStore(), points.Config{
		Redemption: points.Redemption{Currency: rub, PointValue: decimal.NewFromInt(1), MaxShare: decimal.RequireFromString("0.2"), MinPoints: 100},
		Clock:      loyalty.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	buyer := points.ForAccount("stroy-market")
	if _, err := ledger.Adjust(ctx, points.Adjustment{Key: "welcome", Holder: buyer, Points: 5000, Reason: "welcome bonus", Actor: "manager-12"}); err != nil {
		fmt.Println(err)
		return
	}
	o := loyalty.Order{ID: "order-42", Account: "stroy-market", Currency: rub, PlacedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Lines: []loyalty.Line{{SKU: "pump", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("12000.00", "RUB")}}}
	total, _ := o.Subtotal()
	most, _ := ledger.Config().Redemption.MaxPoints(total)
	fmt.Printf("at most %d points on %s\n", most, total)

	_, err = ledger.Redeem(ctx, points.RedeemRequest{Key: "order-42/points", Holder: buyer, Order: o, Points: 3000})
	fmt.Println(err)

	p, err := ledger.Redeem(ctx, points.RedeemRequest{Key: "order-42/points", Holder: buyer, Order: o, Points: most})
	if err != nil {
		fmt.Println(err)
		return
	}
	spend, _ := p.Entry(points.KindSpend)
	rest, _ := total.Sub(spend.Value)
	fmt.Printf("points pay %s, the buyer pays %s\n", spend.Value, rest)
	b, _ := ledger.Balance(ctx, buyer)
	fmt.Printf("balance: %d points\n", b.Available)
	// Output:
	// at most 2400 points on 12000.00 RUB
	// points: redemption of 3000 points is above the share of the order points may pay (allowed 100 to 2400)
	// points pay 2400.00 RUB, the buyer pays 9600.00 RUB
	// balance: 2600 points
}

// Points earned on 31 January with a one-month term stay usable through the end of
// February, in the program's time zone.
func ExampleExpiry_Until() {
	moscow := time.FixedZone("MSK", 3*3600)
	earned := time.Date(2026, 1, 31, 15, 0, 0, 0, moscow)
	fmt.Println(points.Expiry{Months: 1}.Until(earned, moscow))
	fmt.Println(points.Expiry{Months: 1}.Until(earned.AddDate(4, 0, 0), moscow)) // 2030: not a leap year
	fmt.Println(points.Expiry{Months: 3, RoundTo: loyalty.Quarter}.Until(earned, moscow))
	// Output:
	// 2026-03-01 00:00:00 +0300 MSK
	// 2030-03-01 00:00:00 +0300 MSK
	// 2026-07-01 00:00:00 +0300 MSK
}

// One corporate order credits the company and the travelling employee at once; each holder
// has its own key, balance and returns.
func ExampleLedger_EarnOrder_dual() {
	ctx := context.Background()
	ledger, _ := points.New(points.NewMemoryStore(), points.Config{
		Rules: points.Rules{Rates: []points.Rate{{ShareOfPrice: decimal.RequireFromString("0.05")}}},
		Clock: loyalty.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
	})
	flight := loyalty.Order{ID: "ticket-7", Account: "acme", Buyer: "ivanova", Currency: loyalty.MustCurrency("RUB"),
		PlacedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Lines:    []loyalty.Line{{SKU: "SVO-LED", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("9000.00", "RUB")}}}
	company, employee := points.ForAccount(flight.Account), points.ForBuyer(flight.Buyer)
	ledger.EarnOrder(ctx, "ticket-7/company", company, flight, decimal.Zero)
	ledger.EarnOrder(ctx, "ticket-7/miles", employee, flight, decimal.RequireFromString("1.5")) // her Silver tier
	for _, h := range []points.Holder{company, employee} {
		b, _ := ledger.Balance(ctx, h)
		fmt.Println(h, b.Available)
	}
	// Output:
	// account:acme 450
	// buyer:ivanova 675
}

// Explain puts a plan into words, line by line.
func ExampleRules_Explain() {
	rules := points.Rules{
		Rates: []points.Rate{
			{Categories: []loyalty.CategoryID{"fuel"}, Points: 1, Per: decimal.NewFromInt(10)},
			{Tags: []string{"business"}, ShareOfPrice: decimal.RequireFromString("0.05")},
		},
		Exclude: points.Exclusions{Tags: []string{"gift-card"}},
	}
	o := loyalty.Order{ID: "o-1", Account: "acme", Currency: loyalty.MustCurrency("RUB"), PlacedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Lines: []loyalty.Line{
			{SKU: "ai95", Category: "fuel", Quantity: loyalty.MustQuantity("40"), UnitPrice: loyalty.MustPrice("55.40", "RUB")},
			{SKU: "lounge", Tags: []string{"business"}, Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("3000", "RUB")},
			{SKU: "gift", Tags: []string{"gift-card"}, Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("1000", "RUB")},
			{SKU: "bolt", Quantity: loyalty.MustQuantity("10"), UnitPrice: loyalty.MustPrice("3.50", "RUB")},
		}}
	plan, err := rules.Plan(o, decimal.Zero)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range rules.Explain(o, plan) {
		fmt.Println(s)
	}
	// Output:
	// ai95 (2216.00 RUB): 221 points at 1 point per full 10 (fuel)
	// lounge (3000.00 RUB): 150 points at 5% of the price (tag business)
	// gift (1000.00 RUB): no points, excluded from earning
	// bolt (35.00 RUB): no points, no earning rate applies
	// total: 371 points
}
