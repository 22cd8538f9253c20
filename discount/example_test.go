package discount_test

import (
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/shopspring/decimal"
)

// coffeeShop is the Capsboutique policy: after a first purchase a permanent 15 % on beans
// and capsules and 500 off every coffee machine, bundles included (the "permanent" group,
// additive); promotion R1 (10 % off capsules in its campaign weeks); and code SKIDKA30: 30 %
// off everything from 10,000, not on promotional offers and not combinable with R1. The
// groups apply one after the other (sequential), the permanent benefits first.
func coffeeShop() discount.Policy {
	d := decimal.RequireFromString
	rub := loyalty.MustCurrency("RUB")
	return discount.Policy{
		Currency: rub,
		Stacking: discount.Sequential,
		Groups: []discount.Group{
			{ID: "permanent", Stacking: discount.Additive, Priority: 1},
		},
		Discounts: []discount.Discount{
			{ID: "beans15", Name: "permanent 15% on beans and capsules", Kind: discount.Percent, Percent: d("15"),
				Scope: discount.Scope{Categories: []loyalty.CategoryID{"beans", "capsules"}}, Group: "permanent"},
			{ID: "machines500", Name: "500 off every coffee machine", Kind: discount.AmountPerUnit,
				Amount: loyalty.MustMoney("500", "RUB"),
				Scope:  discount.Scope{Categories: []loyalty.CategoryID{"machines"}}, Group: "permanent"},
			{ID: "R1", Name: "promotion R1", Kind: discount.Percent, Percent: d("10"), Priority: 2,
				Scope: discount.Scope{Categories: []loyalty.CategoryID{"capsules"}},
				Condition: discount.Condition{
					From:  time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
					Until: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)}},
			{ID: "SKIDKA30", Name: "code SKIDKA30", Kind: discount.Percent, Percent: d("30"), Priority: 3,
				Scope:     discount.Scope{All: true, ExcludePromotional: true},
				Condition: discount.Condition{Code: "SKIDKA30", MinSubtotal: loyalty.MustMoney("10000", "RUB")},
				NotWith:   []string{"R1"}},
		},
	}
}

// coffeeOrder: beans 2 × 1,500; capsules 1 × 2,000; a machine 30,000; a machine bundle already
// on promotion 40,000 (subtotal 75,000).
func coffeeOrder(at time.Time, codes ...string) loyalty.Order {
	p := func(s string) loyalty.Price { return loyalty.MustPrice(s, "RUB") }
	q := loyalty.MustQuantity
	return loyalty.Order{ID: "cb-1", Account: "cafe-on-the-corner", Currency: loyalty.MustCurrency("RUB"),
		PlacedAt: at, Codes: codes, Lines: []loyalty.Line{
			{SKU: "BEANS-1KG", Category: "beans", Quantity: q("2"), UnitPrice: p("1500")},
			{SKU: "CAPS-100", Category: "capsules", Quantity: q("1"), UnitPrice: p("2000")},
			{SKU: "MACHINE-X", Category: "machines", Quantity: q("1"), UnitPrice: p("30000")},
			{SKU: "BUNDLE-X", Category: "machines", Quantity: q("1"), UnitPrice: p("40000"), OnPromotion: true, Tags: []string{"bundle"}},
		}}
}

// A stacked order and its explanation. Permanent benefits first, on the original prices:
// 15 % of the 5,000 of beans and capsules = 750 (450 + 300); 500 off each of the two
// machines, the promotional bundle included. Then the code, 30 % of what is left on the
// non-promotional lines: (2,550 + 1,700 + 29,500) × 0.3 = 10,125. R1 is outside its weeks.
func ExampleCalculator_Apply() {
	calc, err := discount.New(coffeeShop())
	if err != nil {
		panic(err)
	}
	o := coffeeOrder(time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC), "skidka 30")
	res, err := calc.Apply(o, discount.History{})
	if err != nil {
		panic(err)
	}
	fmt.Print(res.Explain())
	// Output:
	// Subtotal 75000.00 RUB, discount 11875.00 RUB, total 63125.00 RUB.
	// - beans15 (permanent 15% on beans and capsules), 15%: applied, 750.00 RUB (line 1 450.00, line 2 300.00).
	// - machines500 (500 off every coffee machine): applied, 1000.00 RUB (line 3 500.00, line 4 500.00).
	// - R1 (promotion R1), 10%: not applied: the order is outside its validity period.
	// - SKIDKA30 (code SKIDKA30), 30%: applied, 10125.00 RUB (line 1 765.00, line 2 510.00, line 3 8850.00). Line 4 is excluded.
}

// A checkout that prices order after order and only reads the totals reuses one Result:
// after the first orders it allocates nothing. On 20 March without the code only the
// permanent benefits apply (750 + 1,000); with it SKIDKA30 adds 10,125 (as in the Apply
// example); on 5 March promotion R1 runs: 10 % of the 1,700 left on the capsules, and the
// code, not combinable with R1, gives nothing.
func ExampleCalculator_ApplyInto() {
	calc, err := discount.New(coffeeShop())
	if err != nil {
		panic(err)
	}
	var res discount.Result
	for _, o := range []loyalty.Order{
		coffeeOrder(time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)),
		coffeeOrder(time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC), "SKIDKA30"),
		coffeeOrder(time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC), "SKIDKA30"),
	} {
		if err := calc.ApplyInto(&res, o, discount.History{}); err != nil {
			panic(err)
		}
		fmt.Printf("discount %s, total %s\n", res.Discount, res.Total)
	}
	// Output:
	// discount 1750.00 RUB, total 73250.00 RUB
	// discount 11875.00 RUB, total 63125.00 RUB
	// discount 1920.00 RUB, total 73080.00 RUB
}

// The break-even uplift: after a 5 % discount at a 30 % margin, sales must grow by 20 % to
// keep the same gross profit, and the discount gives away a sixth of the profit.
func ExampleBreakEvenUplift() {
	margin, disc := decimal.NewFromInt(30), decimal.NewFromInt(5)
	up, _ := discount.BreakEvenUplift(margin, disc)
	share, _ := discount.ProfitShare(margin, disc)
	fmt.Printf("a %s%% discount at a %s%% margin needs %s%% more sales and gives away %s%% of the profit\n",
		disc, margin, up.StringFixed(2), share.StringFixed(2))

	_, err := discount.BreakEvenUplift(margin, decimal.NewFromInt(30))
	fmt.Println(err)
	// Output:
	// a 5% discount at a 30% margin needs 20.00% more sales and gives away 16.67% of the profit
	// discount: the discount is at or above the margin: discount: must be below the margin 30 (got 30)
}

// Discount versus bonus on a 9,000 sale at a 30 % margin: 5 % off gives away 16.67 % of the
// sale's profit; 5 % in points spent on a second purchase gives away 8.33 % of the two
// sales' profit, and less when not every point is redeemed.
func ExampleCompareDiscountBonus() {
	d := decimal.RequireFromString
	price := loyalty.MustMoney("9000", "RUB")
	for _, redeemed := range []string{"100", "60"} {
		c, err := discount.CompareDiscountBonus(price, discount.Bonus{Margin: d("30"), Rate: d("5"), Redemption: d(redeemed)})
		if err != nil {
			panic(err)
		}
		fmt.Printf("redeemed %s%%: discount %s of %s profit = %s%%; bonus %s of %s profit = %s%%\n", redeemed,
			c.DiscountCost, c.Profit, c.DiscountShare.StringFixed(2), c.BonusCost, c.BonusProfit, c.BonusShare.StringFixed(2))
	}
	// Output:
	// redeemed 100%: discount 450.00 RUB of 2700.00 RUB profit = 16.67%; bonus 450.00 RUB of 5400.00 RUB profit = 8.33%
	// redeemed 60%: discount 450.00 RUB of 2700.00 RUB profit = 16.67%; bonus 270.00 RUB of 5400.00 RUB profit = 5.00%
}

// A teaching table: the share of profit a discount gives away and the sales uplift that
// pays for it, for a few margins.
func ExampleTeachingTable() {
	d := decimal.RequireFromString
	t, err := discount.TeachingTable([]decimal.Decimal{d("10"), d("30"), d("50")}, []decimal.Decimal{d("5"), d("10"), d("20")})
	if err != nil {
		panic(err)
	}
	fmt.Print(t)
	// Output:
	// margin \ discount |           5% |          10% |          20%
	//               10% |   50% / 100% |     100% / — |     200% / —
	//               30% |    17% / 20% |    33% / 50% |   67% / 200%
	//               50% |    10% / 11% |    20% / 25% |    40% / 67%
}

// Why a 5 % discount costs far more than 5 %: at a 30 % margin it gives away a sixth of the
// profit.
func ExampleProfitShare() {
	share, _ := discount.ProfitShare(decimal.NewFromInt(30), decimal.NewFromInt(5))
	fmt.Printf("a 5%% discount at a 30%% margin gives away %s%% of the profit\n", share.StringFixed(2))
	// Output: a 5% discount at a 30% margin gives away 16.67% of the profit
}

// The effective cashback of a fuel card: 1 point per full 10 spent on fuel, 3 per 10 in the
// shop; 3,999 points buy 20 litres, worth 1,100 at 55 a litre.
func ExampleEffectiveCashback() {
	reward := loyalty.MustMoney("1100", "RUB")
	per := loyalty.MustMoney("10", "RUB")
	for _, path := range []struct {
		name   string
		points int64
	}{{"fuel", 1}, {"shop", 3}} {
		c, err := discount.EffectiveCashback(discount.Scheme{Points: path.points, Per: per, RewardPoints: 3999, RewardValue: reward})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %s%%\n", path.name, c.StringFixed(2))
	}
	// Output:
	// fuel: 2.75%
	// shop: 8.25%
}

// A personal discount that grows with purchases: from 10,000 accumulated 5 %, from 20,000
// 10 %. Counting the current order, a 22,000 coat takes a new customer straight to 10 %.
func ExampleCalculator_Apply_cumulative() {
	d := decimal.RequireFromString
	rub := loyalty.MustCurrency("RUB")
	calc, err := discount.New(discount.Policy{
		Currency: rub,
		Stacking: discount.Exclusive,
		Discounts: []discount.Discount{{
			ID: "personal", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
			Tiers: []discount.Tier{
				{From: loyalty.MustMoney("10000", "RUB"), Percent: d("5")},
				{From: loyalty.MustMoney("20000", "RUB"), Percent: d("10")},
			},
			Accumulation: discount.Accumulation{IncludeCurrentOrder: true},
		}},
	})
	if err != nil {
		panic(err)
	}
	coat := loyalty.Order{ID: "coat", Account: "new-customer", Currency: rub,
		PlacedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Lines:    []loyalty.Line{{SKU: "COAT", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("22000", "RUB")}}}
	res, err := calc.Apply(coat, discount.History{})
	if err != nil {
		panic(err)
	}
	fmt.Print(res.Explain())
	// Output:
	// Subtotal 22000.00 RUB, discount 2200.00 RUB, total 19800.00 RUB.
	// - personal, 10%: applied, 2200.00 RUB (line 1 2200.00).
}
