package campaign_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

// shop is a small program: Silver (from 50,000 spent) takes 5 % off and doubles points;
// 1 point per full 100 spent; a point pays 1 RUB, at most 20 % of an order; the shareable
// code WELCOME10 takes 10 % off a first order.
func shop() campaign.Program {
	rub := loyalty.MustCurrency("RUB")
	dec := decimal.RequireFromString
	return campaign.Program{
		ID: "shop", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers: &tier.Ladder{Currency: rub, Levels: []tier.Level{
			{Name: "Member"},
			{Name: "Silver", Threshold: tier.Amount{Spend: loyalty.MustMoney("50000", "RUB")},
				Benefits: tier.Benefits{DiscountRate: dec("0.05"), EarnMultiplier: dec("2"), Perks: []string{"free delivery"}}},
		}},
		Earning:    points.Rules{Rates: []points.Rate{{Points: 1, Per: dec("100")}}},
		Redemption: points.Redemption{Currency: rub, PointValue: dec("1"), MaxShare: dec("0.2")},
		Codes: promo.Rules{Definitions: []promo.Definition{{ID: "WELCOME10", Kind: promo.Shareable,
			Benefit: promo.Benefit{Percent: dec("10")}, Conditions: promo.Conditions{FirstOrderOnly: true}}}},
	}
}

func Example() {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	eng, err := campaign.New(shop(), campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		panic(err)
	}
	if _, err := eng.Codes().AddCode(ctx, promo.Code{Code: "WELCOME10", Definition: "WELCOME10"}); err != nil {
		panic(err)
	}
	order := loyalty.Order{ID: "o-1", Account: "acme", Currency: loyalty.MustCurrency("RUB"), PlacedAt: clock.Now(),
		Lines: []loyalty.Line{
			{SKU: "drill", Quantity: loyalty.MustQuantity("2"), UnitPrice: loyalty.MustPrice("12500", "RUB"), UnitCost: loyalty.MustPrice("9000", "RUB")},
			{SKU: "bits", Quantity: loyalty.MustQuantity("10"), UnitPrice: loyalty.MustPrice("99.90", "RUB")},
		},
		Codes: []string{"welcome-10", "SPRING"},
	}
	q, err := eng.Evaluate(ctx, order, campaign.EvaluateOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Print(q.Explain())
	// Output:
	// Order o-1 of account acme: subtotal 25999.00 RUB, discounts 2599.90 RUB, paid with points 0.00 RUB, to pay 23399.10 RUB.
	// Tier Member: no benefits.
	// Code welcome-10 accepted, enabling discount code:WELCOME10.
	// Code SPRING refused: promo: code does not exist.
	// Subtotal 25999.00 RUB, discount 2599.90 RUB, total 23399.10 RUB.
	// - code:WELCOME10 (promo code WELCOME10), 10%: applied, 2599.90 RUB (line 1 2500.00, line 2 99.90).
	// Account acme earns 233 points (233 by the earning rules).
	// Gross profit 7000.00 RUB before discounts, 4500.00 RUB after discounts, 4500.00 RUB after points (over the lines with a known cost; unknown for lines [1]).
}

func ExampleEngine_Commit() {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	eng, err := campaign.New(shop(), campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		panic(err)
	}
	acme := points.ForAccount("acme")
	order := func(id string, price string) loyalty.Order {
		return loyalty.Order{ID: loyalty.OrderID(id), Account: "acme", Currency: loyalty.MustCurrency("RUB"), PlacedAt: clock.Now(),
			Lines: []loyalty.Line{{SKU: "drill", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice(price, "RUB")}}}
	}

	// A first order of 60,000 earns 600 points and lifts acme to Silver.
	q, _ := eng.Evaluate(ctx, order("o-1", "60000"), campaign.EvaluateOptions{})
	r, err := eng.Commit(ctx, q, "order-o-1")
	if err != nil {
		panic(err)
	}
	fmt.Println("earned:", r.Earned(acme), "tier level:", r.Tier.Level)
	again, _ := eng.Commit(ctx, q, "order-o-1")
	fmt.Println("replayed:", again.Replayed)

	// The next day, at Silver: 5 % off 10,000, 500 points pay 500 of the 9,500, and the
	// 9,500 paid after discounts earns 95 points, doubled: 190.
	clock.Advance(24 * time.Hour)
	q, _ = eng.Evaluate(ctx, order("o-2", "10000"), campaign.EvaluateOptions{RedeemPoints: 500})
	fmt.Println("to pay:", q.Totals.ToPay, "points:", q.Earnings[0].Plan.Total)
	if _, err := eng.Commit(ctx, q, "order-o-2"); err != nil {
		panic(err)
	}
	b, _ := eng.Points().Balance(ctx, acme)
	fmt.Println("balance:", b.Available)

	// Returning order 2 takes back its 190 points and gives back the 500 it spent.
	if _, err := eng.Return(ctx, "o-2", []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}, "return-o-2"); err != nil {
		panic(err)
	}
	b, _ = eng.Points().Balance(ctx, acme)
	fmt.Println("balance after the return:", b.Available)
	// Output:
	// earned: 600 tier level: 1
	// replayed: true
	// to pay: 9000.00 RUB points: 190
	// balance: 290
	// balance after the return: 600
}

// A cart service prices a cart each time it changes and needs each price only until the
// next: it evaluates into one buffer per worker, which allocates nothing once warm.
func ExampleEngine_EvaluateInto() {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	eng, err := campaign.New(shop(), campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		panic(err)
	}
	var buf campaign.QuoteBuffer
	cart := loyalty.Order{ID: "cart-7", Account: "acme", Currency: loyalty.MustCurrency("RUB"), PlacedAt: clock.Now()}
	for _, qty := range []string{"1", "3", "40"} {
		cart.Lines = []loyalty.Line{{SKU: "drill", Quantity: loyalty.MustQuantity(qty), UnitPrice: loyalty.MustPrice("1500", "RUB")}}
		q, err := eng.EvaluateInto(ctx, &buf, cart, campaign.EvaluateOptions{})
		if err != nil {
			panic(err)
		}
		// q is valid until the next EvaluateInto with buf: use it now.
		fmt.Printf("%s drills: to pay %s, %d points\n", qty, q.Totals.ToPay, q.Earnings[0].Plan.Total)
	}
	// Output:
	// 1 drills: to pay 1500.00 RUB, 15 points
	// 3 drills: to pay 4500.00 RUB, 45 points
	// 40 drills: to pay 60000.00 RUB, 600 points
}
