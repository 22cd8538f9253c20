package campaign_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
)

// codesShop has one code family per kind of benefit: an amount off tools, bonus points, and
// a reference to a policy discount that needs the code.
func codesShop() campaign.Program {
	return campaign.Program{
		ID: "codes", Currency: rub,
		Discounts: discount.Policy{Currency: rub, Stacking: discount.Additive, Discounts: []discount.Discount{{
			ID: "vip-free-bits", Kind: discount.CheapestFree, N: 1, Scope: discount.Scope{Categories: []loyalty.CategoryID{"bits"}},
			Condition: discount.Condition{Code: "VIP"},
		}}},
		Earning:    points.Rules{Rates: []points.Rate{{Points: 1, Per: d("100")}}},
		Redemption: points.Redemption{Currency: rub, PointValue: d("1")},
		Codes: promo.Rules{Definitions: []promo.Definition{
			{ID: "TOOLS300", Kind: promo.Shareable, Benefit: promo.Benefit{Amount: m("300")},
				Conditions: promo.Conditions{Include: promo.Scope{Categories: []loyalty.CategoryID{"tools"}}}},
			{ID: "BONUS", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 250}},
			{ID: "VIP", Kind: promo.Shareable, Benefit: promo.Benefit{Ref: "discount:vip-free-bits"}},
		}},
	}
}

func TestCodeBenefits(t *testing.T) {
	e, _ := newEngine(t, codesShop())
	for _, c := range []promo.Code{{Code: "TOOLS300", Definition: "TOOLS300"}, {Code: "BONUS", Definition: "BONUS"}, {Code: "VIP", Definition: "VIP"}} {
		if _, err := e.Codes().AddCode(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	o := order("o1", "acme", t0, line("drill", "tools", "1", "3000", ""), line("bit", "bits", "3", "100", ""), line("case", "misc", "1", "700", ""))
	o.Codes = []string{"tools300", "bonus", "vip", "Bonus"}
	q := evaluate(t, e, o, campaign.EvaluateOptions{})
	// 300 off the drill only; the cheapest bit free by the VIP code's discount.
	if diff := cmp.Diff(ms("2700", "200", "700"), lineTotals(q)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	got := make([]string, len(q.Codes))
	for i, c := range q.Codes {
		got[i] = c.Discount
		if i < 3 && !c.Accepted {
			t.Errorf("code %s refused: %s", c.Typed, c.Message)
		}
	}
	if diff := cmp.Diff([]string{"code:TOOLS300", "", "vip-free-bits", ""}, got); diff != "" {
		t.Errorf("discounts enabled (-want +got):\n%s", diff)
	}
	if !errors.Is(q.Codes[3].Err(), campaign.ErrDuplicateCode) {
		t.Errorf("the repeated code: %+v, want refused as a duplicate", q.Codes[3])
	}
	// 3,600 paid: 36 points, plus 250 bonus points spread over the lines by value
	// (3,000 : 300 : 700 → 187.5, 18.75, 43.75 → 188, 19, 43 by largest remainder).
	er := q.Earnings[0]
	if er.Base != 36 || er.Bonus != 250 || er.Plan.Total != 286 {
		t.Errorf("earning = base %d, bonus %d, total %d; want 36, 250, 286", er.Base, er.Bonus, er.Plan.Total)
	}
	r := commit(t, e, q)
	if r.Earned(points.ForAccount("acme")) != 286 || len(r.Codes) != 3 {
		t.Errorf("receipt: earned %d, %d code uses; want 286 and 3", r.Earned(points.ForAccount("acme")), len(r.Codes))
	}
}

// An ERP may keep the quote as JSON and commit it later.
func TestCommitQuoteFromJSON(t *testing.T) {
	e, clock := newEngine(t, airline())
	o := order("t1", "acme", t0.In(e.Location()), line("ticket", "flight", "1", "100000", ""))
	o.Buyer = "ivanov"
	b, err := json.Marshal(evaluate(t, e, o, campaign.EvaluateOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	var q campaign.Quote
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	r, err := e.Commit(ctx, q, "k")
	if err != nil {
		t.Fatal(err)
	}
	if r.Earned(points.ForAccount("acme")) != 5000 {
		t.Errorf("earned %d, want 5000", r.Earned(points.ForAccount("acme")))
	}
}

// A tier upgrade between the quote and the commit makes the quote stale.
func TestStaleAfterTierChange(t *testing.T) {
	e, clock := newEngine(t, wholesaler())
	if _, err := e.Tiers().Enroll(ctx, "acme", t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	q := evaluate(t, e, order("o1", "acme", t0, line("pump", "hardware", "1", "5000", "")), campaign.EvaluateOptions{})
	if _, err := e.Tiers().SetOverride(ctx, "acme", tierOverride(2, clock.Now()), "ovr"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if _, err := e.Commit(ctx, q, "k"); !errors.Is(err, campaign.ErrStaleQuote) {
		t.Errorf("commit after a tier change: %v, want ErrStaleQuote", err)
	}
	// Re-evaluated at Gold, it commits with the 5 % discount.
	q = evaluate(t, e, q.Order, q.Options)
	if _, err := e.Commit(ctx, q, "k"); err != nil || !q.Totals.Discount.Equal(m("250")) {
		t.Errorf("commit of the fresh quote: %v, discount %s (want 250.00 RUB)", err, q.Totals.Discount)
	}
}

// A promo code that looks like one of the engine's internal codes enables nothing.
func TestTypedCodeCannotPassAsInternal(t *testing.T) {
	p := wholesaler()
	p.Codes.Definitions = []promo.Definition{{ID: "ODD", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 1}}}
	e, _ := newEngine(t, p)
	if _, err := e.Codes().AddCode(ctx, promo.Code{Code: "LKCAMPAIGNT2", Definition: "ODD"}); err != nil {
		t.Fatal(err)
	}
	o := order("o1", "acme", t0, line("pump", "hardware", "1", "5000", ""))
	o.Codes = []string{"lkcampaign-t2"}
	q := evaluate(t, e, o, campaign.EvaluateOptions{})
	if !q.Codes[0].Accepted {
		t.Fatalf("code refused: %s", q.Codes[0].Message)
	}
	if en, _ := q.Discount.Entry("tier:Gold"); en.Applied || !q.Totals.Discount.IsZero() {
		t.Errorf("the typed code enabled the Gold discount: %+v", q.Totals)
	}
}

// Two codes of one promotion: the second is refused instead of being used up for nothing.
func TestTwoCodesOfOneFamily(t *testing.T) {
	e, _ := newEngine(t, codesShop())
	for _, c := range []string{"TOOLS300", "TOOLS300B"} {
		if _, err := e.Codes().AddCode(ctx, promo.Code{Code: c, Definition: "TOOLS300"}); err != nil {
			t.Fatal(err)
		}
	}
	o := order("o1", "acme", t0, line("drill", "tools", "1", "3000", ""))
	o.Codes = []string{"TOOLS300", "TOOLS300B"}
	q := evaluate(t, e, o, campaign.EvaluateOptions{})
	if !q.Codes[0].Accepted || !errors.Is(q.Codes[1].Err(), campaign.ErrDuplicateCode) {
		t.Errorf("codes = %+v, want the first accepted and the second refused", q.Codes)
	}
	if r := commit(t, e, q); len(r.Codes) != 1 {
		t.Errorf("%d code uses, want 1", len(r.Codes))
	}
}
