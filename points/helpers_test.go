package points_test

import (
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

var rub = loyalty.MustCurrency("RUB")

// fuelCardRules are the fuel-station card of the domain: fuel earns 1 point per full
// 10 RUB, shop goods and services 3 points per full 10 RUB; points expire after 12 months.
func fuelCardRules() points.Rules {
	return points.Rules{
		Rates: []points.Rate{
			{Categories: []loyalty.CategoryID{"fuel"}, Points: 1, Per: decimal.NewFromInt(10)},
			{Categories: []loyalty.CategoryID{"shop", "services"}, Points: 3, Per: decimal.NewFromInt(10)},
		},
		Expiry: points.Expiry{Months: 12},
	}
}

func line(sku, cat, qty, price string) loyalty.Line {
	return loyalty.Line{SKU: loyalty.SKU(sku), Category: loyalty.CategoryID(cat), Quantity: loyalty.MustQuantity(qty), UnitPrice: loyalty.MustPrice(price, "RUB")}
}

// fuelOrder is 40 litres of fuel at 55.40 (2,216.00) and a coffee at 149.00.
func fuelOrder(id loyalty.OrderID) loyalty.Order {
	return loyalty.Order{ID: id, Account: "acme", Buyer: "driver-7", Currency: rub, PlacedAt: t0,
		Lines: []loyalty.Line{line("ai95", "fuel", "40", "55.40"), line("coffee", "shop", "1", "149.00")}}
}

var t0 = mustTime("2026-01-31T12:00:00Z")

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
