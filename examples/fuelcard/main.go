// Command fuelcard models a fuel-station loyalty card (the Rosneft case in DOMAIN.md) with
// the campaign package, and shows what such a card really gives back:
//
//  1. the program: the card itself is bought (250 RUB) and earns nothing; fuel earns 1 point
//     per full 10 RUB, shop goods and services 3 points per full 10 RUB; points buy rewards
//     from a catalogue only (20 litres of any fuel for 3,999 points) and cannot pay for
//     orders;
//  2. a first visit: the card, a refuel and a coffee with snacks, explained line by line;
//  3. a fleet's fuel over a month, the balance growing order by order;
//  4. the redemption: 20 litres for 3,999 points, and an attempt to pay an order with
//     points, which this card refuses;
//  5. the effective cashback rate of each earning path: a point is worth what the reward
//     it buys is worth, so "3 points per 10 RUB" is not 30% back.
//
// Run it from the repository root:
//
//	go run ./examples/fuelcard
//
// The clock is fixed, so the output is the same on every run.
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
		fmt.Fprintln(os.Stderr, "fuelcard:", err)
		os.Exit(1)
	}
}

var rub = loyalty.MustCurrency("RUB")

// The price of a litre of AI-95, which values the top reward.
var litre = loyalty.MustPrice("56.20", "RUB")

const (
	rewardID     = "fuel-20l"
	rewardLitres = 20
	rewardCost   = 3999
)

// program is the fuel card. Rates are tried in order: the first whose scope matches a line
// decides what it earns, so the unscoped shop rate comes last.
func program() campaign.Program {
	ten := decimal.NewFromInt(10)
	return campaign.Program{
		ID: "fuel-card", Currency: rub, TimeZone: "Europe/Moscow",
		Earning: points.Rules{
			Rates: []points.Rate{
				{Categories: []loyalty.CategoryID{"fuel"}, Points: 1, Per: ten},
				{Points: 3, Per: ten},
			},
			Exclude: points.Exclusions{Tags: []string{"card-fee"}},
		},
		// No PointValue: points cannot pay for orders, they buy catalogue rewards.
		Redemption: points.Redemption{Rewards: []points.Reward{
			{ID: rewardID, Name: fmt.Sprintf("%d litres of any fuel", rewardLitres), Cost: rewardCost},
		}},
	}
}

// line is an order line in RUB.
func line(sku, category, qty, price string) loyalty.Line {
	return loyalty.Line{SKU: loyalty.SKU(sku), Category: loyalty.CategoryID(category),
		Quantity: loyalty.MustQuantity(qty), UnitPrice: loyalty.MustPrice(price, "RUB")}
}

// run tells the story on w. args are the command-line arguments without the program name;
// fuelcard takes none.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("fuelcard", flag.ContinueOnError)
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	prog := program()
	eng, err := campaign.New(prog, campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		return err
	}
	fleet := points.ForAccount("fleet-7")

	fmt.Fprintln(w, "Fuel card: what each purchase earns")
	fmt.Fprintf(w, "  fuel:                    %s\n", prog.Earning.Rates[0])
	fmt.Fprintf(w, "  shop goods and services: %s\n", prog.Earning.Rates[1])
	fmt.Fprintln(w, "  the card itself (250):   nothing")
	fmt.Fprintf(w, "  points buy: %s for %d points; they cannot pay for orders\n", prog.Redemption.Rewards[0].Name, rewardCost)

	// 1. The first visit: the card, a refuel, a coffee and two snacks.
	fee := line("card", "services", "1", "250")
	fee.Tags = []string{"card-fee"}
	first := loyalty.Order{ID: "r-1", Account: "fleet-7", Currency: rub, PlacedAt: clock.Now(), Lines: []loyalty.Line{
		fee, line("ai95", "fuel", "45.5", "56.20"), line("coffee", "shop", "1", "150"), line("snack", "shop", "2", "95"),
	}}
	q, err := eng.Evaluate(ctx, first, campaign.EvaluateOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\n1. The first visit")
	fmt.Fprint(w, q.Explain())
	fmt.Fprintln(w, "Points line by line:")
	for _, s := range prog.Earning.Explain(first, q.Earnings[0].Plan) {
		fmt.Fprintf(w, "   %s\n", s)
	}
	if _, err := eng.Commit(ctx, q, "commit-r-1"); err != nil {
		return err
	}

	// 2. A month of the fleet's refuels: one tanker load of diesel a week.
	fmt.Fprintln(w, "\n2. A month of diesel for the fleet")
	fmt.Fprintf(w, "  %-10s %-6s %26s %7s %8s\n", "date", "order", "purchase", "points", "balance")
	week := 7 * 24 * time.Hour
	for i, litres := range []string{"400", "355.8", "512.25", "298"} {
		clock.Advance(week)
		id := loyalty.OrderID(fmt.Sprintf("r-%d", i+2))
		o := loyalty.Order{ID: id, Account: "fleet-7", Currency: rub, PlacedAt: clock.Now(),
			Lines: []loyalty.Line{line("dt", "fuel", litres, "61.50")}}
		q, err := eng.Evaluate(ctx, o, campaign.EvaluateOptions{})
		if err != nil {
			return err
		}
		r, err := eng.Commit(ctx, q, loyalty.IdempotencyKey("commit-"+string(id)))
		if err != nil {
			return err
		}
		b, err := eng.Points().Balance(ctx, fleet)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("%s l = %s", litres, q.Totals.Subtotal)
		fmt.Fprintf(w, "  %-10s %-6s %26s %7d %8d\n", clock.Now().Format("2006-01-02"), id, what, r.Earned(fleet), b.Available)
	}

	// 3. Spending: points buy the catalogue reward; they cannot pay for an order.
	fmt.Fprintln(w, "\n3. Redemption")
	clock.Advance(24 * time.Hour)
	p, err := eng.Points().RedeemReward(ctx, "reward-1", fleet, rewardID, "")
	if err != nil {
		return err
	}
	b, err := eng.Points().Balance(ctx, fleet)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %s for %d points: %d points left.\n", prog.Redemption.Rewards[0].Name, p.Points(points.KindSpend), b.Available)
	pay := loyalty.Order{ID: "r-6", Account: "fleet-7", Currency: rub, PlacedAt: clock.Now(),
		Lines: []loyalty.Line{line("coffee", "shop", "1", "150")}}
	q, err = eng.Evaluate(ctx, pay, campaign.EvaluateOptions{RedeemPoints: 150})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  Paying a 150 RUB coffee with 150 points: refused (%s), %s to pay.\n", q.Redemption.Reason, q.Totals.ToPay)

	// 4. The effective cashback of each earning path.
	return cashback(w, prog)
}

// cashback prints the share of spend each earning path gives back, valuing a point at what
// the top reward is worth: 20 litres at the litre price for 3,999 points.
func cashback(w io.Writer, prog campaign.Program) error {
	reward, err := litre.Times(loyalty.MustQuantity(fmt.Sprint(rewardLitres)), loyalty.HalfUp)
	if err != nil {
		return err
	}
	point, err := reward.DivRate(decimal.NewFromInt(rewardCost), loyalty.HalfUp)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\n4. Effective cashback of each earning path")
	fmt.Fprintf(w, "  The reward is worth %d × %s = %s, so a point is worth %s / %d ≈ %s.\n",
		rewardLitres, litre, reward, reward, rewardCost, point)
	fmt.Fprintf(w, "  %-24s %-22s %9s\n", "earning path", "earning", "cashback")
	paths := []struct {
		name string
		rate points.Rate
	}{
		{"fuel", prog.Earning.Rates[0]},
		{"shop goods and services", prog.Earning.Rates[1]},
	}
	for _, p := range paths {
		per, err := loyalty.MoneyFromDecimal(p.rate.Per, rub, loyalty.HalfUp)
		if err != nil {
			return err
		}
		c, err := discount.EffectiveCashback(discount.Scheme{Points: int64(p.rate.Points), Per: per,
			RewardPoints: rewardCost, RewardValue: reward})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-24s %-22s %8s%%\n", p.name, fmt.Sprintf("%d per full %s", p.rate.Points, per), c.StringFixed(2))
	}
	fmt.Fprintf(w, "  %-24s %-22s %8s%%\n", "the card fee", "nothing", "0.00")
	fmt.Fprintln(w, "  Points come per full 10 RUB of each order's fuel or shop total, so these are the most a")
	fmt.Fprintln(w, "  purchase gets: the 7.10 RUB above 2,550 in the first refuel earned nothing.")
	return nil
}
