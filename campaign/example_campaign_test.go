package campaign_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// A supplier switches on 10 % off decorations from 7 days before each holiday of its
// calendar, within a budget of 1,000.00 and 2 orders per store, and gives a dessert to 1
// order in 4. On 24 December the store's first two orders get 300.00 off their 3,000.00 of
// garlands; the third is over the per-store budget. Which orders win the dessert is a
// pure function of the seed and the order ID: every run draws the same winners.
func ExampleCampaign() {
	ctx := context.Background()
	rub := loyalty.MustCurrency("RUB")
	dec := decimal.RequireFromString
	prog := campaign.Program{
		ID: "supplier", Currency: rub, TimeZone: "Europe/Moscow",
		Earning: points.Rules{Rates: []points.Rate{{Points: 1, Per: dec("100")}}},
		Campaigns: []campaign.Campaign{{
			ID: "holidays", Name: "holiday decorations",
			Schedule:   campaign.Schedule{Holidays: []campaign.Date{"2026-12-31", "2027-03-08"}, DaysBefore: 7},
			Conditions: campaign.Conditions{Categories: []loyalty.CategoryID{"decor"}},
			Actions:    []campaign.Action{{Kind: campaign.ActionDiscount, Percent: dec("10")}},
			Budget:     campaign.Budget{Money: loyalty.MustMoney("1000", "RUB"), PerAccount: 2},
		}, {
			ID: "dessert", Schedule: campaign.Schedule{Start: "2026-12-01", End: "2027-12-31"},
			Chance:  &campaign.Chance{Wins: 1, OutOf: 4, Seed: 2026},
			Actions: []campaign.Action{{Kind: campaign.ActionPerk, Perk: "a dessert"}},
		}},
	}
	moscow, _ := time.LoadLocation("Europe/Moscow")
	clock := loyalty.NewManualClock(time.Date(2026, 12, 24, 9, 0, 0, 0, moscow))
	eng, err := campaign.New(prog, campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		panic(err)
	}
	for _, id := range []loyalty.OrderID{"o-1", "o-2", "o-3"} {
		order := loyalty.Order{ID: id, Account: "store-7", Currency: rub, PlacedAt: clock.Now(),
			Lines: []loyalty.Line{
				{SKU: "garland", Category: "decor", Quantity: loyalty.MustQuantity("10"), UnitPrice: loyalty.MustPrice("300", "RUB")},
				{SKU: "cable", Category: "misc", Quantity: loyalty.MustQuantity("2"), UnitPrice: loyalty.MustPrice("500", "RUB")},
			}}
		q, err := eng.Evaluate(ctx, order, campaign.EvaluateOptions{})
		if err != nil {
			panic(err)
		}
		if _, err := eng.Commit(ctx, q, loyalty.IdempotencyKey(id)); err != nil {
			panic(err)
		}
		fmt.Printf("%s: to pay %s\n", id, q.Totals.ToPay)
		for _, c := range q.Campaigns {
			switch {
			case c.Applied && len(c.Perks) > 0:
				fmt.Printf("  %s applies: %v\n", c.ID, c.Perks)
			case c.Applied:
				fmt.Printf("  %s applies: %s off\n", c.ID, c.Discount)
			default:
				fmt.Printf("  %s does not apply: %s\n", c.ID, c.Message)
			}
		}
		clock.Advance(time.Hour)
	}
	b, err := eng.Budget(ctx, "holidays", "")
	if err != nil {
		panic(err)
	}
	fmt.Printf("holidays budget: %d uses, %s spent\n", b.Uses, b.Spent)
	// Output:
	// o-1: to pay 3700.00 RUB
	//   dessert does not apply: the order did not win the draw (1 in 4)
	//   holidays applies: 300.00 RUB off
	// o-2: to pay 3700.00 RUB
	//   dessert applies: [a dessert]
	//   holidays applies: 300.00 RUB off
	// o-3: to pay 4000.00 RUB
	//   dessert applies: [a dessert]
	//   holidays does not apply: the campaign's budget of 2 uses per account is used up
	// holidays budget: 2 uses, 600.00 RUB spent
}
