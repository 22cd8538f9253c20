// Command coffeeshop runs a coffee shop's promo-code program (the Capsboutique case in
// DOMAIN.md) with the campaign package, over five months of orders:
//
//   - after a first purchase, a permanent 15% on beans and capsules;
//   - 500 RUB off every coffee machine, even in bundles that are already discounted by the
//     bundle promotion "R1" (the discounts stack);
//   - the shareable code SKIDKA30: 30% off everything from 10,000 RUB, but not on promotional
//     offers and not together with "R1";
//   - every two weeks (mid-month and month end) each recent buyer receives a personal code
//     for 30%, valid 2.5 months; a purchase every two months keeps the codes coming;
//   - a customer shares a code with a friend, who gets 30% off a first purchase, becomes a
//     customer with codes of his own, and passes his own code on in turn; each referrer is
//     thanked with 1,000 RUB off once the friend's order can no longer be returned.
//
// It prints, for each order, what it cost and why (the plain-language explanation of the
// interesting ones), the recipients of every periodic issue, and the referrers' rewards.
//
// Run it from the repository root:
//
//	go run ./examples/coffeeshop
//
// The clock is fixed, so the output is the same on every run. Periodic codes are random;
// the output shows who received them, not the codes.
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
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/referral"
)

func main() {
	err := run(os.Stdout, os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "coffeeshop:", err)
		os.Exit(1)
	}
}

var rub = loyalty.MustCurrency("RUB")

func money(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

// program is the coffee shop's whole program.
func program() campaign.Program {
	pct := decimal.RequireFromString
	categories := func(c ...loyalty.CategoryID) discount.Scope { return discount.Scope{Categories: c} }
	return campaign.Program{
		ID: "capsboutique", Currency: rub, TimeZone: "Europe/Moscow",
		Discounts: discount.Policy{Currency: rub, Stacking: discount.Additive, Discounts: []discount.Discount{
			// From any earlier purchase at all: a cumulative discount whose only step is 0.01.
			{ID: "beans15", Name: "15% for customers", Kind: discount.Cumulative, Scope: categories("beans", "capsules"),
				Tiers: []discount.Tier{{From: money("0.01"), Percent: pct("15")}}},
			{ID: "machines500", Name: "500 off machines", Kind: discount.AmountPerUnit, Amount: money("500"), Scope: categories("machines")},
			{ID: "R1", Name: "bundle promotion", Kind: discount.Percent, Percent: pct("10"), Scope: discount.Scope{Tags: []string{"bundle"}}},
		}},
		Codes: promo.Rules{Definitions: []promo.Definition{
			{ID: "SKIDKA30", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: pct("30")},
				Conditions: promo.Conditions{MinOrder: money("10000"), ExcludePromotional: true, NotWith: []loyalty.CampaignID{"R1"}}},
			// Mid-month and month end, 30% codes valid 2 months and 15 days, to whoever
			// bought within the last 2 months.
			{ID: "BIWEEKLY", Kind: promo.Personal, Benefit: promo.Benefit{Percent: pct("30")},
				Issuance: promo.Issuance{DaysOfMonth: []int{15, 31}, ValidMonths: 2, ValidDays: 15, ActiveMonths: 2}},
			// The thank-you of a referrer.
			{ID: "THANKS", Kind: promo.Personal, Benefit: promo.Benefit{Amount: money("1000")}},
		}},
		// A friend's code gives 30% off the first purchase; the friend's purchase, once it
		// can no longer be returned, earns the referrer a THANKS code.
		Referral: &referral.Rules{ReturnDays: 14,
			WelcomeRewards:  []referral.Reward{referral.DiscountReward(pct("0.30"))},
			ReferrerRewards: []referral.Reward{referral.PromoReward("THANKS")}},
	}
}

func item(sku, category, qty, price string) loyalty.Line {
	return loyalty.Line{SKU: loyalty.SKU(sku), Category: loyalty.CategoryID(category),
		Quantity: loyalty.MustQuantity(qty), UnitPrice: loyalty.MustPrice(price, "RUB")}
}

// bundle is a coffee machine sold with accessories, already on promotion R1.
func bundle(price string) loyalty.Line {
	l := item("machine-bundle", "machines", "1", price)
	l.Tags, l.OnPromotion = []string{"bundle"}, true
	return l
}

// shop is the running story: the engine, its clock and the codes each account holds.
type shop struct {
	ctx   context.Context
	w     io.Writer
	eng   *campaign.Engine
	clock *loyalty.ManualClock
	loc   *time.Location
	codes map[loyalty.AccountID][]string // personal 30% codes received, oldest first

	subtotal, discount loyalty.Money // summed over the committed orders
}

// at sets the clock to a local date and time in the shop's time zone.
func (s *shop) at(month time.Month, day, hour int) {
	s.clock.Set(time.Date(2026, month, day, hour, 0, 0, 0, s.loc))
}

// order evaluates and commits one order, prints a row (and the explanation when asked),
// and returns the quote.
func (s *shop) order(id loyalty.OrderID, account loyalty.AccountID, codes []string, explain bool, note string, lines ...loyalty.Line) (campaign.Quote, error) {
	o := loyalty.Order{ID: id, Account: account, Currency: rub, PlacedAt: s.clock.Now(), Lines: lines, Codes: codes}
	q, err := s.eng.Evaluate(s.ctx, o, campaign.EvaluateOptions{})
	if err != nil {
		return q, err
	}
	if _, err := s.eng.Commit(s.ctx, q, loyalty.IdempotencyKey("commit-"+string(id))); err != nil {
		return q, err
	}
	if s.subtotal, err = s.subtotal.Add(q.Totals.Subtotal); err != nil {
		return q, err
	}
	if s.discount, err = s.discount.Add(q.Totals.Discount); err != nil {
		return q, err
	}
	fmt.Fprintf(s.w, "%s  %-3s %-6s %13s %12s %13s  %s\n", s.clock.Now().In(s.loc).Format("02 Jan"), id, account,
		q.Totals.Subtotal, q.Totals.Discount, q.Totals.ToPay, note)
	if explain {
		for _, l := range strings.SplitAfter(strings.TrimSuffix(q.Explain(), "\n"), "\n") {
			fmt.Fprint(s.w, "      | ", l)
		}
		fmt.Fprintln(s.w)
		return q, nil
	}
	for _, c := range q.Codes {
		if !c.Accepted {
			fmt.Fprintf(s.w, "      | Code %s refused: %s\n", c.Typed, c.Message)
		}
	}
	return q, nil
}

// issue runs the periodic issue of a local date and prints who received a code.
func (s *shop) issue(month time.Month, day int) error {
	at := time.Date(2026, month, day, 0, 0, 0, 0, s.loc)
	s.clock.Set(at.Add(9 * time.Hour))
	b, err := s.eng.IssueCodes(s.ctx, promo.IssueRequest{Key: loyalty.IdempotencyKey("issue-" + at.Format("2006-01-02")),
		Definition: "BIWEEKLY", Format: promo.Format{Pattern: "CB-####-###?"}, At: at})
	if err != nil {
		return err
	}
	names := make([]string, len(b.IssuedTo))
	for i, a := range b.IssuedTo {
		s.codes[a] = append(s.codes[a], b.Codes[i])
		names[i] = string(a)
	}
	who := strings.Join(names, ", ")
	if who == "" {
		who = "nobody: no purchase in the last two months"
	}
	fmt.Fprintf(s.w, "%s  periodic 30%% codes issued to: %s\n", at.Format("02 Jan"), who)
	return nil
}

// settle makes final the referrals whose return window has closed and thanks each referrer
// with a personal THANKS code.
func (s *shop) settle() error {
	res, _, err := s.eng.SettleReferrals(s.ctx)
	if err != nil {
		return err
	}
	for _, g := range res.Grants {
		if g.Side != referral.SideReferrer || g.Reward.Kind != referral.RewardPromo {
			continue
		}
		referrer := loyalty.AccountID(strings.TrimPrefix(string(g.Referrer), "account:"))
		code, err := loyalty.NormalizeCode("THANKS-" + string(g.Referee))
		if err != nil {
			return err
		}
		if _, err := s.eng.Codes().AddCode(s.ctx, promo.Code{Code: code, Definition: promo.DefinitionID(g.Reward.Family),
			Account: referrer, IssuedTo: referrer}); err != nil {
			return err
		}
		fmt.Fprintf(s.w, "%s  %s's friend %s can no longer return the first order: %s receives %s (1000.00 RUB off)\n",
			s.clock.Now().In(s.loc).Format("02 Jan"), referrer, g.Referee, referrer, code)
	}
	return nil
}

// run tells the story on w. args are the command-line arguments without the program name;
// coffeeshop takes none.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("coffeeshop", flag.ContinueOnError)
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	prog := program()
	loc, err := prog.Location()
	if err != nil {
		return err
	}
	s := &shop{ctx: context.Background(), w: w, loc: loc, codes: map[loyalty.AccountID][]string{},
		subtotal: loyalty.Zero(rub), discount: loyalty.Zero(rub)}
	s.clock = loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, loc))
	if s.eng, err = campaign.New(prog, campaign.MemoryStores(), campaign.Config{Clock: s.clock}); err != nil {
		return err
	}
	if _, err := s.eng.Codes().AddCode(s.ctx, promo.Code{Code: "SKIDKA30", Definition: "SKIDKA30"}); err != nil {
		return err
	}

	fmt.Fprintln(w, "A coffee shop's promo-code program, March to July 2026")
	fmt.Fprintf(w, "%-6s  %-3s %-6s %13s %12s %13s\n", "date", "ord", "buyer", "subtotal", "discount", "to pay")

	// Anna's first purchase: a machine bundle already 10% off (R1) still gets the 500; her
	// SKIDKA30 is refused because R1 is on the order; no 15% yet.
	s.at(time.March, 2, 10)
	if _, err := s.order("a1", "anna", []string{"SKIDKA30"}, true, "first purchase: R1 and 500 stack, SKIDKA30 refused",
		item("beans", "beans", "2", "1500"), bundle("20000"), item("caps", "capsules", "10", "50")); err != nil {
		return err
	}
	// A week later: a customer now, 15% on beans, and SKIDKA30 on an order of 14,000.
	s.at(time.March, 9, 10)
	if _, err := s.order("a2", "anna", []string{"skidka-30"}, true, "a customer: 15%, 500 and SKIDKA30 stack",
		item("beans", "beans", "4", "1500"), item("machine", "machines", "1", "8000")); err != nil {
		return err
	}
	// Anna shares her code with Boris: 30% off his first purchase.
	if _, err := s.eng.Referrals().Register(s.ctx, referral.Registration{Referrer: referral.AccountReferrer("anna"), Code: "ANNA2026"}); err != nil {
		return err
	}
	s.at(time.March, 10, 18)
	if _, err := s.order("b1", "boris", []string{"anna 2026"}, true, "Anna's code shared: 30% off a first purchase",
		item("beans", "beans", "1", "1500"), item("caps", "capsules", "20", "50")); err != nil {
		return err
	}

	if err := s.issue(time.March, 15); err != nil {
		return err
	}
	// Boris is a customer now: his own personal code and the 15%, and he passes a code of
	// his own to Vera.
	s.at(time.March, 20, 12)
	if _, err := s.order("b2", "boris", []string{s.codes["boris"][0]}, false, "his own 30% code and the 15% of a customer",
		item("beans", "beans", "2", "1500")); err != nil {
		return err
	}
	if _, err := s.eng.Referrals().Register(s.ctx, referral.Registration{Referrer: referral.AccountReferrer("boris"), Code: "BORIS2026"}); err != nil {
		return err
	}
	s.at(time.March, 21, 11)
	if _, err := s.order("v1", "vera", []string{"BORIS2026"}, false, "Boris's code: 30% off her first purchase",
		item("caps", "capsules", "40", "50")); err != nil {
		return err
	}
	s.at(time.March, 25, 10)
	if err := s.settle(); err != nil {
		return err
	}
	if err := s.issue(time.March, 31); err != nil {
		return err
	}
	s.at(time.April, 6, 10)
	if err := s.settle(); err != nil {
		return err
	}
	// Anna spends her thank-you with her latest 30% code; the purchase keeps her codes coming.
	s.at(time.April, 10, 10)
	if _, err := s.order("a3", "anna", []string{"THANKS-BORIS", s.codes["anna"][1]}, false, "15% + 30% + her 1,000 thank-you",
		item("beans", "beans", "3", "1500")); err != nil {
		return err
	}
	for _, d := range []int{15, 30} {
		if err := s.issue(time.April, d); err != nil {
			return err
		}
	}
	if err := s.issue(time.May, 15); err != nil {
		return err
	}
	// Anna buys again within two months of her last purchase; Boris and Vera do not. Her
	// SKIDKA30 is refused: the order is below 10,000.
	s.at(time.May, 20, 10)
	latest := s.codes["anna"][len(s.codes["anna"])-1]
	if _, err := s.order("a4", "anna", []string{"SKIDKA30", latest}, false, "15% + 30%; SKIDKA30 needs 10,000",
		item("caps", "capsules", "60", "50"), item("beans", "beans", "2", "1500")); err != nil {
		return err
	}
	for _, d := range []struct {
		m time.Month
		d int
	}{{time.May, 31}, {time.June, 15}, {time.June, 30}, {time.July, 15}, {time.July, 31}} {
		if err := s.issue(d.m, d.d); err != nil {
			return err
		}
	}

	// What the program cost the shop, in price given away.
	paid, err := s.subtotal.Sub(s.discount)
	if err != nil {
		return err
	}
	share := s.discount.Decimal().DivRound(s.subtotal.Decimal(), 4).Shift(2)
	fmt.Fprintf(w, "\nAll orders: %s at list prices, %s of discounts (%s%% of the list price), %s paid.\n",
		s.subtotal, s.discount, share.StringFixed(2), paid)
	return nil
}
