// Command wholesale runs a B2B wholesaler's discount program with the campaign package, the
// way a B2B portal would: company accounts whose employees order on the company's behalf,
// and a program that rewards the company, not the person.
//
// It teaches:
//
//   - company accounts with several buyers: every buyer's order counts towards the company's
//     tier and personal discount;
//   - a three-level tier ladder on lifetime spend (Bronze; Silver from 100,000 RUB: 2% and
//     free delivery; Gold from 500,000 RUB: 5%, a personal manager and deferred payment),
//     where the perks are data the portal reads;
//   - a cumulative personal discount that grows with the company's purchases, this order
//     included (from 10,000 RUB: 5%; from 20,000 RUB: 10%), stacking with the tier's rate;
//   - personal terms: one dealer negotiated a flat 12% instead of the ladder;
//   - a margin floor (never below cost + 10%) trimming a discount on a thin-margin line;
//   - the plain-language explanation of an order, as a portal would show it.
//
// Run it from the repository root:
//
//	go run ./examples/wholesale
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
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/tier"
)

func main() {
	err := run(os.Stdout, os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wholesale:", err)
		os.Exit(1)
	}
}

var rub = loyalty.MustCurrency("RUB")

func money(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

// program is the wholesaler's program as one value.
func program() campaign.Program {
	pct := decimal.RequireFromString
	return campaign.Program{
		ID: "wholesale", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers: &tier.Ladder{Currency: rub, Levels: []tier.Level{
			{Name: "Bronze"},
			{Name: "Silver", Threshold: tier.Amount{Spend: money("100000")},
				Benefits: tier.Benefits{DiscountRate: pct("0.02"), Perks: []string{"free delivery"}}},
			{Name: "Gold", Threshold: tier.Amount{Spend: money("500000")},
				Benefits: tier.Benefits{DiscountRate: pct("0.05"), Perks: []string{"free delivery", "personal manager", "deferred payment"}}},
		}},
		Discounts: discount.Policy{
			Currency: rub, Stacking: discount.Additive,
			Discounts: []discount.Discount{{
				ID: "cumulative", Name: "personal discount", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
				Accumulation: discount.Accumulation{IncludeCurrentOrder: true},
				Tiers:        []discount.Tier{{From: money("10000"), Percent: pct("5")}, {From: money("20000"), Percent: pct("10")}},
			}},
			// The dealer "kraft" negotiated 12% whatever it has bought.
			Terms: []discount.Term{{Account: "kraft", Discount: "cumulative", Mode: discount.Override, Percent: pct("12")}},
			// No line is ever sold below its cost plus 10%.
			Floor: discount.Floor{MinMarkup: pct("10")},
		},
	}
}

// item is an order line in RUB; cost "" means unknown.
func item(sku, category, qty, price, cost string) loyalty.Line {
	l := loyalty.Line{SKU: loyalty.SKU(sku), Category: loyalty.CategoryID(category),
		Quantity: loyalty.MustQuantity(qty), UnitPrice: loyalty.MustPrice(price, "RUB")}
	if cost != "" {
		l.UnitCost = loyalty.MustPrice(cost, "RUB")
	}
	return l
}

// step is one order of the story.
type step struct {
	after   time.Duration // since the previous order
	id      loyalty.OrderID
	account loyalty.AccountID
	buyer   loyalty.BuyerID
	lines   []loyalty.Line
	explain bool // print the whole explanation
	note    string
}

// run tells the story on w. args are the command-line arguments without the program name;
// wholesale takes none.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("wholesale", flag.ContinueOnError)
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	eng, err := campaign.New(program(), campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		return err
	}

	fmt.Fprintln(w, "A wholesaler's program")
	for i, l := range eng.Program().Tiers.Levels {
		from := "from the first order"
		if i > 0 {
			from = "from " + l.Threshold.Spend.String()
		}
		fmt.Fprintf(w, "  %-7s %-21s %s\n", l.Name, from, benefits(l.Benefits))
	}
	fmt.Fprintln(w, "  personal discount on the company's purchases, this order included: 5% from 10000.00 RUB, 10% from 20000.00 RUB")
	fmt.Fprintln(w, "  the tier's rate and the personal discount add up; dealer kraft has a flat 12% instead of the ladder")
	fmt.Fprintln(w, "  margin floor: no line below its cost + 10%")

	day := 24 * time.Hour
	steps := []step{
		{0, "o-1", "stroymir", "stroymir/petrova", []loyalty.Line{item("cement-m500", "building", "40", "550", "400")}, false,
			"a first order of 22,000 already reaches the 10% step"},
		{2 * day, "o-2", "stroymir", "stroymir/ivanov", []loyalty.Line{item("bolt-m8", "fasteners", "300000", "0.3555", "0.30")}, true,
			"a thin-margin line: the floor trims the discount"},
		{3 * day, "o-3", "stroymir", "stroymir/petrova", []loyalty.Line{item("pump-q2", "equipment", "1", "50000", "38000")}, false,
			"Silver now: 2% + 10%"},
		{7 * day, "o-4", "kraft", "kraft/orlov", []loyalty.Line{item("cement-m500", "building", "40", "550", "400")}, false,
			"personal terms: 12% from the first order"},
		{10 * day, "o-5", "stroymir", "stroymir/sidorov", []loyalty.Line{item("rebar-12", "building", "32", "12500", "10000")}, false,
			"a big order lifts the company to Gold"},
		{day, "o-6", "stroymir", "stroymir/petrova", []loyalty.Line{
			item("pump-q2", "equipment", "2", "50000", "38000"), item("hose-50", "equipment", "10", "1290", ""),
		}, true, "Gold: 5% + 10%, and the perks"},
	}

	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-10s %-5s %-17s %14s %13s %14s  %s\n", "date", "order", "buyer", "subtotal", "discount", "paid", "tier")
	byBuyer := map[loyalty.BuyerID]loyalty.Money{}
	var buyers []loyalty.BuyerID
	var explained []campaign.Quote
	var last campaign.Quote
	sum := struct{ subtotal, discount, before, after loyalty.Money }{loyalty.Zero(rub), loyalty.Zero(rub), loyalty.Zero(rub), loyalty.Zero(rub)}
	for _, s := range steps {
		clock.Advance(s.after)
		o := loyalty.Order{ID: s.id, Account: s.account, Buyer: s.buyer, Currency: rub, PlacedAt: clock.Now(), Lines: s.lines}
		q, err := eng.Evaluate(ctx, o, campaign.EvaluateOptions{})
		if err != nil {
			return err
		}
		if _, err := eng.Commit(ctx, q, loyalty.IdempotencyKey("commit-"+string(s.id))); err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-10s %-5s %-17s %14s %13s %14s  %-7s %s\n", clock.Now().Format("2006-01-02"), s.id, s.buyer,
			q.Totals.Subtotal, q.Totals.Discount, q.Totals.ToPay, q.Tier.Name, s.note)
		if s.explain {
			explained = append(explained, q)
		}
		last = q
		for _, p := range []struct {
			to  *loyalty.Money
			add loyalty.Money
		}{
			{&sum.subtotal, q.Totals.Subtotal}, {&sum.discount, q.Totals.Discount},
			{&sum.before, q.Margin.Before}, {&sum.after, q.Margin.AfterDiscounts},
		} {
			if *p.to, err = p.to.Add(p.add); err != nil {
				return err
			}
		}
		if s.account == "stroymir" {
			if _, ok := byBuyer[s.buyer]; !ok {
				buyers = append(buyers, s.buyer)
				byBuyer[s.buyer] = loyalty.Zero(rub)
			}
			if byBuyer[s.buyer], err = byBuyer[s.buyer].Add(q.Totals.ToPay); err != nil {
				return err
			}
		}
	}

	// What the program cost the seller, measured against profit rather than price.
	given, err := sum.before.Sub(sum.after)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nWhat it cost the seller: %s of discounts on %s of sales (%s%%).\n",
		sum.discount, sum.subtotal, percent(sum.discount, sum.subtotal))
	fmt.Fprintf(w, "On the lines with a known cost the gross profit fell from %s to %s:\n", sum.before, sum.after)
	fmt.Fprintf(w, "the discounts gave away %s, %s%% of the profit.\n", given, percent(given, sum.before))

	fmt.Fprintln(w, "\nOne company, several buyers: what each bought for stroymir")
	for _, b := range buyers {
		fmt.Fprintf(w, "  %-17s %14s\n", b, byBuyer[b])
	}
	st, err := eng.Tiers().Account(ctx, "stroymir")
	if err != nil {
		return err
	}
	benefit := eng.Program().Tiers.Levels[st.Status.Level]
	fmt.Fprintf(w, "  the company's tier: %s (%s)\n", benefit.Name, benefits(benefit.Benefits))

	for _, q := range explained {
		fmt.Fprintf(w, "\nOrder %s explained, as the portal shows it:\n", q.Order.ID)
		fmt.Fprint(w, q.Explain())
	}

	// The perks are data: the portal reads them from the quote to offer its services.
	fmt.Fprintf(w, "\nAt the checkout of order %s the portal offers deferred payment: %t; a personal manager: %t.\n",
		last.Order.ID, last.Tier.Benefits.HasPerk("deferred payment"), last.Tier.Benefits.HasPerk("personal manager"))
	return nil
}

// percent returns part/whole in percent, rounded half-up to two decimals.
func percent(part, whole loyalty.Money) string {
	return part.Decimal().DivRound(whole.Decimal(), 4).Shift(2).StringFixed(2)
}

// benefits says what a level gives in words.
func benefits(b tier.Benefits) string {
	var parts []string
	if !b.DiscountRate.IsZero() {
		parts = append(parts, b.DiscountRate.Shift(2).String()+"% off")
	}
	parts = append(parts, b.Perks...)
	if len(parts) == 0 {
		return "no benefits"
	}
	return strings.Join(parts, ", ")
}
