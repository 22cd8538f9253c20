// Command margin teaches what a loyalty benefit costs a seller, measured against profit
// rather than price, with the exact margin-impact functions of the discount package:
//
//  1. the 9,000 case: a 5% benefit on a 9,000 RUB sale with a 30% margin, given as a
//     discount and as bonus points (earned on one purchase, spent on the next), then with
//     only part of the points redeemed and part of them expiring;
//  2. the break-even uplift table: how many more sales a discount needs to keep gross
//     profit unchanged, over margins × discounts ("impossible" where the discount eats the
//     whole margin);
//  3. the largest discount each margin allows for the sales uplift one can expect;
//  4. markup ↔ margin;
//  5. the effective cashback of a points scheme (a fuel-station card);
//
// and it draws the break-even uplift curves, one per margin, as an SVG chart.
//
// Run it from the repository root:
//
//	go run ./examples/margin                 # writes margin.svg in the current directory
//	go run ./examples/margin -svg chart.svg  # writes the chart elsewhere
//	go run ./examples/margin -svg ""         # tables only, no chart
//
// Every figure is computed exactly with decimals; the tables round only when printing, to two
// decimals.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
)

func main() {
	err := run(os.Stdout, os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "margin:", err)
		os.Exit(1)
	}
}

// run prints the tables to w and, unless -svg is empty, writes the chart. args are the
// command-line arguments without the program name.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("margin", flag.ContinueOnError)
	fs.SetOutput(w)
	svgPath := fs.String("svg", "margin.svg", `write the break-even uplift chart (SVG) to this file; "" for none`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	margins := pcts("20", "25", "30", "40", "50")
	discounts := pcts("2", "5", "10", "15", "20", "25")
	uplifts := pcts("10", "20", "50")

	fmt.Fprintln(w, "What a loyalty benefit costs, measured against profit")
	fmt.Fprintln(w, "(exact decimal arithmetic; percentages printed rounded to 2 decimals)")
	steps := []func(io.Writer) error{
		nineThousandCase,
		func(w io.Writer) error { return upliftTable(w, margins, discounts) },
		func(w io.Writer) error { return maxDiscountTable(w, margins, uplifts) },
		markupMargin,
		cashback,
	}
	for _, step := range steps {
		fmt.Fprintln(w)
		if err := step(w); err != nil {
			return err
		}
	}
	if *svgPath == "" {
		return nil
	}
	// The chart's x axis runs to the largest discount of the table, its y axis to 200%.
	svg, err := chartSVG(margins, discounts[len(discounts)-1], pct("200"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(*svgPath, svg, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nChart of the break-even uplift curves written to %s\n", *svgPath)
	return nil
}

// nineThousandCase prints the central comparison: one benefit, given as a discount and as
// bonus points, as a share of the profit that pays for it.
func nineThousandCase(w io.Writer) error {
	price := loyalty.MustMoney("9000", "RUB")
	margin, rate := pct("30"), pct("5")
	redeemed, expired := pct("60"), pct("25")

	scenarios := []discount.Bonus{
		{Margin: margin, Rate: rate, Redemption: pct("100"), Expired: pct("0")},
		{Margin: margin, Rate: rate, Redemption: redeemed, Expired: pct("0")},
		{Margin: margin, Rate: rate, Redemption: redeemed, Expired: expired},
	}
	var cs []discount.Comparison
	for _, b := range scenarios {
		c, err := discount.CompareDiscountBonus(price, b)
		if err != nil {
			return err
		}
		cs = append(cs, c)
	}
	all, some, expiring := cs[0], cs[1], cs[2]
	bothSales, err := all.DiscountCost.MulInt(2)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "1. Discount versus bonus: a %s sale, profit %s of the price, benefit %s\n\n",
		price, pctIn(margin), pctIn(rate))
	rows := []struct {
		key, what      string
		cost, profit   loyalty.Money
		share          decimal.Decimal
		explain        string
		explainAmounts []any
	}{
		{"a", "discount, one sale", all.DiscountCost, all.Profit, all.DiscountShare,
			"A discount is paid on every sale: %s off a sale that makes %s of profit; on two sales it is %s of %s, the same share.",
			[]any{all.DiscountCost, all.Profit, bothSales, all.BonusProfit}},
		{"b", "bonus, earned on sale 1, spent on sale 2", all.BonusCost, all.BonusProfit, all.BonusShare,
			"A bonus is paid once for two sales: the %s of points earned on the first is spent on the second, and the profit of both, %s, carries it.",
			[]any{all.BonusCost, all.BonusProfit}},
		{"c", "bonus, " + pctIn(redeemed) + " of the points redeemed", some.BonusCost, some.BonusProfit, some.BonusShare,
			"Not every customer comes back: if only %s of the points are redeemed, the expected cost falls to %s.",
			[]any{pctIn(redeemed), some.BonusCost}},
		{"d", "bonus, " + pctIn(redeemed) + " redeemed, " + pctIn(expired) + " of that expires", expiring.BonusCost, expiring.BonusProfit, expiring.BonusShare,
			"Points expire too: if %s of the points that would be redeemed expire first, only %s of that %s is spent, which costs %s.",
			[]any{pctIn(expired), pctIn(hundred.Sub(expired)), pctIn(redeemed), expiring.BonusCost}},
	}
	fmt.Fprintf(w, "     %-44s %11s %12s %16s\n", "benefit of "+pctIn(rate), "cost", "profit", "share of profit")
	for _, r := range rows {
		fmt.Fprintf(w, "  %s) %-44s %11s %12s %16s\n", r.key, r.what, r.cost, r.profit, pctOut(r.share))
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		wrap(w, r.key+") ", fmt.Sprintf(r.explain, r.explainAmounts...))
	}
	return nil
}

// upliftTable prints the sales-volume increase each discount needs, at each margin, to keep
// gross profit unchanged.
func upliftTable(w io.Writer, margins, discounts []decimal.Decimal) error {
	fmt.Fprintln(w, "2. Break-even uplift: how many more sales keep the gross profit unchanged?")
	fmt.Fprintln(w, "   uplift = discount / (margin − discount)")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-18s", "margin \\ discount")
	for _, d := range discounts {
		fmt.Fprintf(w, " %11s", pctIn(d))
	}
	fmt.Fprintln(w)
	for _, m := range margins {
		fmt.Fprintf(w, "  %-18s", pctIn(m))
		for _, d := range discounts {
			cell := "impossible"
			u, err := discount.BreakEvenUplift(m, d)
			switch {
			case errors.Is(err, discount.ErrDiscountAtMargin):
				// The discount takes the whole margin: no volume can make up for it.
			case err != nil:
				return err
			default:
				cell = "+" + pctOut(u)
			}
			fmt.Fprintf(w, " %11s", cell)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	m, d := pct("30"), pct("5")
	u, err := discount.BreakEvenUplift(m, d)
	if err != nil {
		return err
	}
	wrap(w, "", fmt.Sprintf("Read: at a %s margin a %s discount needs %s more sales just to earn the same gross profit. "+
		"\"impossible\": the discount is at or above the margin, so every extra sale adds a loss.", pctIn(m), pctIn(d), pctOut(u)))
	return nil
}

// maxDiscountTable prints the largest discount each margin can afford for an expected uplift.
func maxDiscountTable(w io.Writer, margins, uplifts []decimal.Decimal) error {
	fmt.Fprintln(w, "3. The largest discount a margin allows for the sales uplift you expect")
	fmt.Fprintln(w, "   discount = margin × uplift / (100% + uplift)")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-18s", "margin \\ uplift")
	for _, u := range uplifts {
		fmt.Fprintf(w, " %9s", "+"+pctIn(u))
	}
	fmt.Fprintln(w)
	for _, m := range margins {
		fmt.Fprintf(w, "  %-18s", pctIn(m))
		for _, u := range uplifts {
			d, err := discount.MaxDiscountForUplift(m, u)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, " %9s", pctOut(d))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	m, u := pct("30"), pct("20")
	d, err := discount.MaxDiscountForUplift(m, u)
	if err != nil {
		return err
	}
	wrap(w, "", fmt.Sprintf("Read: if you can only expect +%s volume, a %s margin affords at most a %s discount.",
		pctIn(u), pctIn(m), pctOut(d)))
	return nil
}

// markupMargin prints markup ↔ margin conversions: the same profit as a share of the cost
// and as a share of the price.
func markupMargin(w io.Writer) error {
	fmt.Fprintln(w, "4. Markup and margin: the same profit as a share of the cost or of the price")
	fmt.Fprintln(w, "   margin = markup / (100% + markup);  markup = margin / (100% − margin)")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-9s %12s %12s\n", "given", "margin", "markup")
	for _, m := range pcts("20", "30") {
		k, err := discount.MarginToMarkup(m)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-9s %12s %12s\n", "margin", pctOut(m), pctOut(k))
	}
	for _, k := range pcts("50", "100") {
		m, err := discount.MarkupToMargin(k)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-9s %12s %12s\n", "markup", pctOut(m), pctOut(k))
	}
	fmt.Fprintln(w)
	k := pct("50")
	m, err := discount.MarkupToMargin(k)
	if err != nil {
		return err
	}
	wrap(w, "", fmt.Sprintf("Read: a %s markup is only a %s margin: a discount above %s of the price sells below cost.",
		pctIn(k), pctOut(m), pctOut(m)))
	return nil
}

// cashback prints the effective cashback of the fuel-station card's two earning paths.
func cashback(w io.Writer) error {
	litre := loyalty.MustMoney("55", "RUB")
	const litres, rewardPoints = 20, 3999
	reward, err := litre.MulInt(litres)
	if err != nil {
		return err
	}
	per := loyalty.MustMoney("10", "RUB")
	oneRuble := loyalty.MustMoney("1", "RUB")

	fmt.Fprintln(w, "5. Effective cashback of a points scheme: a fuel-station card")
	fmt.Fprintf(w, "   top reward: %d litres of fuel at %s = %s for %d points\n", litres, litre, reward, rewardPoints)
	fmt.Fprintln(w, "   cashback = points / spend × reward value / reward points")
	fmt.Fprintln(w)
	rows := []struct {
		path   string
		scheme discount.Scheme
		value  string
	}{
		{"fuel", discount.Scheme{Points: 1, Per: per, RewardPoints: rewardPoints, RewardValue: reward}, "at the top reward"},
		{"shop goods and services", discount.Scheme{Points: 3, Per: per, RewardPoints: rewardPoints, RewardValue: reward}, "at the top reward"},
		{"fuel", discount.Scheme{Points: 1, Per: per, RewardPoints: 1, RewardValue: oneRuble}, "if 1 point = " + oneRuble.String()},
		{"shop goods and services", discount.Scheme{Points: 3, Per: per, RewardPoints: 1, RewardValue: oneRuble}, "if 1 point = " + oneRuble.String()},
	}
	fmt.Fprintf(w, "  %-24s %-22s %-21s %8s\n", "earning path", "earning", "points valued", "cashback")
	for _, r := range rows {
		c, err := discount.EffectiveCashback(r.scheme)
		if err != nil {
			return err
		}
		earn := fmt.Sprintf("%d per full %s", r.scheme.Points, r.scheme.Per)
		fmt.Fprintf(w, "  %-24s %-22s %-21s %8s\n", r.path, earn, r.value, pctOut(c))
	}
	fmt.Fprintln(w)
	point, err := reward.DivRate(decimal.NewFromInt(rewardPoints), loyalty.HalfUp)
	if err != nil {
		return err
	}
	wrap(w, "", fmt.Sprintf("Read: \"3 points per %s\" sounds like 30%%, but the top reward values a point at only %s / %d = %s. "+
		"Points come per full %s, so these rates are the most a purchase gets.", per, reward, rewardPoints, point, per))
	return nil
}

var hundred = decimal.NewFromInt(100)

// lineWidth is the width to which wrap fills the explanations.
const lineWidth = 94

// wrap writes text as a paragraph indented by two spaces, starting with label (such as
// "a) "), filled to lineWidth columns; continuation lines are indented under the text.
func wrap(w io.Writer, label, text string) {
	indent := "  " + strings.Repeat(" ", utf8.RuneCountInString(label))
	line := "  " + label
	col := utf8.RuneCountInString(line)
	first := true
	for _, word := range strings.Fields(text) {
		n := utf8.RuneCountInString(word)
		if !first && col+1+n > lineWidth {
			fmt.Fprintln(w, line)
			line, col, first = indent, len(indent), true
		}
		if !first {
			line += " "
			col++
		}
		line += word
		col += n
		first = false
	}
	fmt.Fprintln(w, line)
}

// pct parses a percentage written in the source; a typo is a programming error.
func pct(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func pcts(ss ...string) []decimal.Decimal {
	ds := make([]decimal.Decimal, len(ss))
	for i, s := range ss {
		ds[i] = pct(s)
	}
	return ds
}

// pctIn formats a percentage the example chose ("30%"): exact, as written.
func pctIn(d decimal.Decimal) string { return d.String() + "%" }

// pctOut formats a computed percentage rounded to 2 decimals ("16.67%"). The rounding is
// presentation only: the library's value carries 10 decimals.
func pctOut(d decimal.Decimal) string { return d.StringFixed(2) + "%" }
