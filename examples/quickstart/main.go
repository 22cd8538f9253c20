// Command quickstart is the smallest real integration of loyaltykit, short enough to copy
// into a shop's checkout: one declared campaign.Program, an engine over in-memory stores,
// and the three calls every integration makes.
//
//  1. Evaluate an order: a dry run that writes nothing and says what the order gets (here a
//     5% personal discount once the customer's purchases reach 10,000 RUB, and 1 bonus point
//     per full 100 RUB paid);
//  2. print the quote's plain-language explanation (what a shop shows a customer or a
//     support desk);
//  3. Commit it exactly once under an idempotency key (sending it again changes nothing);
//  4. Return part of the order: the points it earned on the returned goods are taken back
//     and the returned amount no longer counts towards the personal discount;
//  5. read the balances afterwards.
//
// Run it from the repository root:
//
//	go run ./examples/quickstart
//
// The clock is fixed, so the output is the same on every run. In a shop, leave
// campaign.Config empty (the system clock) and replace campaign.MemoryStores with stores from
// the sqlstore module.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
)

func main() {
	err := run(os.Stdout, os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// program is the shop's whole loyalty program as one value. It could equally be read from
// JSON with campaign.LoadProgram.
func program() campaign.Program {
	rub := loyalty.MustCurrency("RUB")
	return campaign.Program{
		ID: "shop", Currency: rub, TimeZone: "Europe/Moscow",
		// A personal discount: 5% once the customer's purchases, this order included,
		// reach 10,000 RUB.
		Discounts: discount.Policy{Currency: rub, Stacking: discount.Additive, Discounts: []discount.Discount{{
			ID: "personal", Name: "personal discount", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
			Accumulation: discount.Accumulation{IncludeCurrentOrder: true},
			Tiers:        []discount.Tier{{From: loyalty.MustMoney("10000", "RUB"), Percent: decimal.NewFromInt(5)}},
		}}},
		// 1 point per full 100 RUB paid after discounts.
		Earning: points.Rules{Rates: []points.Rate{{Points: 1, Per: decimal.NewFromInt(100)}}},
		// A point pays 1 RUB, at most 20% of an order.
		Redemption: points.Redemption{Currency: rub, PointValue: decimal.NewFromInt(1), MaxShare: decimal.RequireFromString("0.2")},
	}
}

// run tells the story on w. args are the command-line arguments without the program name;
// quickstart takes none.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	eng, err := campaign.New(program(), campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		return err
	}

	// 1. An order arrives from the checkout.
	order := loyalty.Order{
		ID: "order-42", Account: "acme", Currency: loyalty.MustCurrency("RUB"), PlacedAt: clock.Now(),
		Lines: []loyalty.Line{
			{SKU: "drill", Category: "tools", Quantity: loyalty.MustQuantity("2"),
				UnitPrice: loyalty.MustPrice("12500", "RUB"), UnitCost: loyalty.MustPrice("9000", "RUB")},
			{SKU: "bits", Category: "tools", Quantity: loyalty.MustQuantity("10"),
				UnitPrice: loyalty.MustPrice("99.90", "RUB"), UnitCost: loyalty.MustPrice("60", "RUB")},
		},
	}
	q, err := eng.Evaluate(ctx, order, campaign.EvaluateOptions{})
	if err != nil {
		return err
	}

	// 2. What the order gets, in plain words.
	fmt.Fprintln(w, "1. Evaluate (a dry run, nothing written):")
	fmt.Fprint(w, q.Explain())

	// 3. The customer pays: commit the quote under a key the ERP can retry with.
	r, err := eng.Commit(ctx, q, "commit-order-42")
	if err != nil {
		return err
	}
	acme := points.ForAccount("acme")
	fmt.Fprintf(w, "\n2. Commit: %d points credited to acme.\n", r.Earned(acme))
	again, err := eng.Commit(ctx, q, "commit-order-42")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   The same commit sent again: replayed=%t, still %d points.\n", again.Replayed, again.Earned(acme))
	clock.Advance(time.Hour)
	if err := balances(ctx, w, eng, "acme"); err != nil {
		return err
	}

	// 4. A week later one drill comes back.
	clock.Advance(7 * 24 * time.Hour)
	ret, err := eng.Return(ctx, "order-42", []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}, "return-order-42-1")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n3. Return of 1 drill: %s paid back, %d points taken back.\n",
		ret.Plan.Paid, ret.Points[0].Points(points.KindReverse))

	// 5. The balances afterwards.
	return balances(ctx, w, eng, "acme")
}

// balances prints the account's points and what its personal discount counts.
func balances(ctx context.Context, w io.Writer, eng *campaign.Engine, account loyalty.AccountID) error {
	holder := points.ForAccount(account)
	b, err := eng.Points().Balance(ctx, holder)
	if err != nil {
		return err
	}
	acct, err := eng.Account(ctx, account)
	if err != nil {
		return err
	}
	spend, _, err := acct.History.Accumulated(discount.Accumulation{}, eng.Clock().Now(), eng.Program().Currency)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   Balance: %d points available (%d earned, %d taken back by returns); purchases counted for the personal discount: %s.\n",
		b.Available, b.Earned, b.Reversed, spend)
	return nil
}
