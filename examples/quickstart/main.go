// Command quickstart is the smallest tour of loyaltykit's vocabulary: an order with a
// fractional quantity and a price with more digits than the currency, its exact totals, a
// 5% discount spread over the lines so that the parts add up to the kopek, and the errors a
// bad order gets.
//
// Run it from the repository root:
//
//	go run ./examples/quickstart
//
// It will grow into the full evaluate → commit → return integration once the campaign
// package lands.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	order := loyalty.Order{
		ID:       "order-42",
		Account:  "acme-logistics",
		Buyer:    "acme-logistics/petrova",
		Currency: loyalty.MustCurrency("RUB"),
		PlacedAt: time.Date(2026, 11, 2, 10, 30, 0, 0, time.UTC),
		Lines: []loyalty.Line{
			{SKU: "bolt-m8", Category: "fasteners", Quantity: loyalty.MustQuantity("1000"),
				UnitPrice: loyalty.MustPrice("0.3555", "RUB"), UnitCost: loyalty.MustPrice("0.21", "RUB")},
			{SKU: "diesel", Category: "fuel", Quantity: loyalty.MustQuantity("40.25"),
				UnitPrice: loyalty.MustPrice("52.99", "RUB"), UnitCost: loyalty.MustPrice("47.10", "RUB")},
			{SKU: "drill-x2", Category: "tools", Quantity: loyalty.MustQuantity("2"),
				UnitPrice: loyalty.MustPrice("8999.90", "RUB"), UnitCost: loyalty.MustPrice("6100", "RUB")},
		},
	}
	if err := order.Validate(); err != nil {
		return err
	}
	totals, err := order.LineTotals()
	if err != nil {
		return err
	}
	subtotal, err := order.Subtotal()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Order %s for %s, %d lines:\n", order.ID, order.Account, len(order.Lines))
	for i, l := range order.Lines {
		fmt.Fprintf(w, "  %-9s %8s × %-12s = %s\n", l.SKU, l.Quantity, l.UnitPrice, totals[i])
	}
	fmt.Fprintf(w, "Subtotal: %s\n", subtotal)

	// A 5% order discount, rounded once, then spread over the lines by their value.
	discount, err := subtotal.MulRate(decimal.RequireFromString("0.05"), loyalty.HalfUp)
	if err != nil {
		return err
	}
	weights := make([]int64, len(totals))
	for i, t := range totals {
		weights[i] = t.MinorUnits()
	}
	parts, err := discount.Allocate(weights)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "5%% discount: %s, per line %v\n", discount, parts)

	// Margin before and after the discount.
	cost := loyalty.Zero(order.Currency)
	for _, l := range order.Lines {
		c, err := l.TotalCost()
		if err != nil {
			return err
		}
		if cost, err = cost.Add(c); err != nil {
			return err
		}
	}
	before, _ := subtotal.Sub(cost)
	netRevenue, _ := subtotal.Sub(discount)
	after, _ := netRevenue.Sub(cost)
	given := discount.Decimal().DivRound(before.Decimal(), 4).Shift(2)
	fmt.Fprintf(w, "Gross profit: %s before, %s after: the 5%% discount gives away %s%% of the profit.\n",
		before, after, given.StringFixed(2))

	// Bad input is an error naming the field, never a panic.
	bad := order
	bad.Lines = []loyalty.Line{{SKU: "diesel", Quantity: loyalty.MustQuantity("-5"), UnitPrice: loyalty.MustPrice("52.99", "USD")}}
	fmt.Fprintf(w, "A bad order is refused:\n%v\n", bad.Validate())
	return nil
}
