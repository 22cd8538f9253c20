package campaign_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
)

// An ERP team keeps its program as JSON; LoadProgram reads it strictly and validates it.
func ExampleLoadProgram() {
	const program = `{
	  "id": "fuel-card", "currency": "RUB", "time_zone": "Europe/Moscow",
	  "earning": {"rates": [
	    {"categories": ["fuel"], "points": 1, "per": "10"},
	    {"points": 3, "per": "10"}
	  ]},
	  "redemption": {"currency": "RUB", "point_value": "0.5", "max_share": "0.2"},
	  "codes": {"definitions": []}
	}`
	p, err := campaign.LoadProgram(strings.NewReader(program))
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	eng, err := campaign.New(p, campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	// 40 litres at 56.20 = 2,248.00: 224 points; a coffee of 150: 15 × 3 = 45 points.
	q, err := eng.Evaluate(context.Background(), loyalty.Order{ID: "r-1", Account: "fleet-7", Currency: p.Currency,
		PlacedAt: clock.Now(), Lines: []loyalty.Line{
			{SKU: "ai95", Category: "fuel", Quantity: loyalty.MustQuantity("40"), UnitPrice: loyalty.MustPrice("56.20", "RUB")},
			{SKU: "coffee", Category: "shop", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("150", "RUB")},
		}}, campaign.EvaluateOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.Earnings[0].Plan.Total, "points worth", q.Earnings[0].Value)

	// A typo in a field name is an error, not a silently ignored rule.
	_, err = campaign.LoadProgram(strings.NewReader(strings.Replace(program, `"per": "10"}`, `"pre": "10"}`, 1)))
	fmt.Println(err != nil && strings.Contains(err.Error(), `unknown field "pre"`))
	// Output:
	// 269 points worth 134.50 RUB
	// true
}
