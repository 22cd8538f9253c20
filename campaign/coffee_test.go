package campaign_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/promo"
)

// coffeeShop is the Capsboutique program: after a first purchase a permanent 15 % on beans
// and capsules (a cumulative discount from any spend at all), 500 off every coffee machine
// even on bundles already discounted (additive stacking), the bundle promotion R1 (10 % off
// bundles), the shareable code SKIDKA30 (30 % off from 10,000, not on promotional items, not
// with R1), friend codes (30 % off a first order) that customers pass around, and personal
// 30 % codes issued every two weeks to recent buyers.
func coffeeShop() campaign.Program {
	return campaign.Program{
		ID: "capsboutique", Currency: rub, TimeZone: "Europe/Moscow",
		Discounts: discount.Policy{Currency: rub, Stacking: discount.Additive, Discounts: []discount.Discount{
			{ID: "beans15", Kind: discount.Cumulative, Scope: discount.Scope{Categories: []loyalty.CategoryID{"beans", "capsules"}},
				Tiers: []discount.Tier{{From: m("0.01"), Percent: d("15")}}},
			{ID: "machines500", Kind: discount.AmountPerUnit, Amount: m("500"), Scope: discount.Scope{Categories: []loyalty.CategoryID{"machines"}}},
			{ID: "R1", Name: "bundle promotion", Kind: discount.Percent, Percent: d("10"), Scope: discount.Scope{Tags: []string{"bundle"}}},
		}},
		Codes: promo.Rules{Definitions: []promo.Definition{
			{ID: "SKIDKA30", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: d("30")},
				Conditions: promo.Conditions{MinOrder: m("10000"), ExcludePromotional: true, NotWith: []loyalty.CampaignID{"R1"}}},
			{ID: "FRIEND30", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: d("30")},
				Conditions: promo.Conditions{FirstOrderOnly: true}},
			// Every two weeks (mid-month and month end) recent buyers get a personal 30 %
			// code valid 2.5 months; buying once in 2 months keeps them coming.
			{ID: "BIWEEKLY", Kind: promo.Personal, Benefit: promo.Benefit{Percent: d("30")},
				Issuance: promo.Issuance{DaysOfMonth: []int{15, 31}, ValidMonths: 2, ValidDays: 15, ActiveMonths: 2}},
		}},
	}
}

func newCoffeeShop(t *testing.T) (*campaign.Engine, *loyalty.ManualClock) {
	e, clock := newEngine(t, coffeeShop())
	for _, c := range []promo.Code{{Code: "SKIDKA30", Definition: "SKIDKA30"}, {Code: "ANNA2026", Definition: "FRIEND30", IssuedTo: "cafe"}} {
		if _, err := e.Codes().AddCode(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return e, clock
}

func TestCoffeeShop(t *testing.T) {
	e, clock := newCoffeeShop(t)

	// A. First purchase with a bundle: R1 applies (10 % of 20,000 = 2,000) and so does the
	// machine's 500 (additive); SKIDKA30 is refused because R1 applies; no 15 % yet.
	bundle := line("machine-bundle", "machines", "1", "20000", "")
	bundle.Tags, bundle.OnPromotion = []string{"bundle"}, true
	oa := order("a", "cafe", t0, line("beans", "beans", "2", "1500", ""), bundle, line("caps", "capsules", "10", "50", ""))
	oa.Codes = []string{"SKIDKA30"}
	qa := evaluate(t, e, oa, campaign.EvaluateOptions{})
	if diff := cmp.Diff(ms("3000", "17500", "500"), lineTotals(qa)); diff != "" {
		t.Errorf("order A lines (-want +got):\n%s", diff)
	}
	if len(qa.Codes) != 1 || qa.Codes[0].Accepted || !errors.Is(qa.Codes[0].Err(), promo.ErrNotCombinable) {
		t.Errorf("order A code = %+v, want refused as not combinable", qa.Codes)
	}
	commit(t, e, qa)

	// B. Second purchase, no bundle, 14,000: the 15 % on beans (900), 500 off the machine,
	// and SKIDKA30's 30 % of 14,000 = 4,200 (1,800 + 2,400), all on the original prices.
	clock.Advance(time.Hour)
	ob := order("b", "cafe", clock.Now(), line("beans", "beans", "4", "1500", ""), line("machine", "machines", "1", "8000", ""))
	ob.Codes = []string{"skidka-30"}
	qb := evaluate(t, e, ob, campaign.EvaluateOptions{})
	if diff := cmp.Diff(ms("3300", "5100"), lineTotals(qb)); diff != "" {
		t.Errorf("order B lines (-want +got):\n%s", diff)
	}
	if !qb.Codes[0].Accepted || qb.Codes[0].Discount != "code:SKIDKA30" {
		t.Errorf("order B code = %+v, want accepted, enabling code:SKIDKA30", qb.Codes[0])
	}
	commit(t, e, qb)
	if n, err := e.Codes().Usage(ctx, promo.Counter{Definition: "SKIDKA30"}); err != nil || n != 1 {
		t.Errorf("SKIDKA30 uses = %d, %v; want 1", n, err)
	}

	// C. The customer shares its friend code: a friend's first order gets 30 % (450).
	of := order("f1", "boris", clock.Now(), line("beans", "beans", "1", "1500", ""))
	of.Codes = []string{"anna 2026"}
	qf := evaluate(t, e, of, campaign.EvaluateOptions{})
	if diff := cmp.Diff(ms("1050"), lineTotals(qf)); diff != "" {
		t.Errorf("friend's first order (-want +got):\n%s", diff)
	}
	commit(t, e, qf)

	// D. On the friend's second order the code is refused, and the friend now has the
	// permanent 15 % of a customer (225).
	clock.Advance(time.Hour)
	of2 := order("f2", "boris", clock.Now(), line("beans", "beans", "1", "1500", ""))
	of2.Codes = []string{"ANNA2026"}
	qf2 := evaluate(t, e, of2, campaign.EvaluateOptions{})
	if !errors.Is(qf2.Codes[0].Err(), promo.ErrFirstOrderOnly) {
		t.Errorf("friend's second order code = %+v, want first-order-only", qf2.Codes[0])
	}
	if diff := cmp.Diff(ms("1275"), lineTotals(qf2)); diff != "" {
		t.Errorf("friend's second order (-want +got):\n%s", diff)
	}

	// E. Returning all of order B gives the SKIDKA30 use back.
	if _, err := e.Return(ctx, "b", []loyalty.ReturnLine{{Line: 0, Quantity: qty("4")}, {Line: 1, Quantity: qty("1")}}, "ret-b"); err != nil {
		t.Fatal(err)
	}
	if n, err := e.Codes().Usage(ctx, promo.Counter{Definition: "SKIDKA30"}); err != nil || n != 0 {
		t.Errorf("SKIDKA30 uses after the return = %d, %v; want 0", n, err)
	}
}

func TestCoffeeShopPeriodicCodes(t *testing.T) {
	e, clock := newCoffeeShop(t)
	commit(t, e, evaluate(t, e, order("a", "cafe", t0, line("beans", "beans", "2", "1500", "")), campaign.EvaluateOptions{}))
	clock.Advance(time.Hour)
	commit(t, e, evaluate(t, e, order("b", "bistro", clock.Now(), line("caps", "capsules", "10", "50", "")), campaign.EvaluateOptions{}))

	// 15 March, Moscow: both bought within two months and each gets a personal code.
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	issueAt := time.Date(2026, 3, 15, 0, 0, 0, 0, msk)
	clock.Set(issueAt.Add(9 * time.Hour))
	batch, err := e.IssueCodes(ctx, promo.IssueRequest{Key: "issue-03-15", Definition: "BIWEEKLY",
		Format: promo.Format{Pattern: "CB-####-###?"}, At: issueAt})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]loyalty.AccountID{"bistro", "cafe"}, batch.IssuedTo); diff != "" {
		t.Fatalf("recipients (-want +got):\n%s", diff)
	}
	cafeCode := batch.Codes[1]

	// The cafe's code takes 30 % off its order; the bistro cannot use it.
	o := order("c", "cafe", clock.Now(), line("beans", "beans", "2", "1500", ""))
	o.Codes = []string{cafeCode}
	q := evaluate(t, e, o, campaign.EvaluateOptions{})
	// 15 % (a customer since order a) and 30 %, additive: 450 + 900 off 3,000.
	if diff := cmp.Diff(ms("1650"), lineTotals(q)); diff != "" {
		t.Errorf("cafe's order (-want +got):\n%s", diff)
	}
	ob := order("d", "bistro", clock.Now(), line("beans", "beans", "2", "1500", ""))
	ob.Codes = []string{cafeCode}
	if qb := evaluate(t, e, ob, campaign.EvaluateOptions{}); !errors.Is(qb.Codes[0].Err(), promo.ErrForeignAccount) {
		t.Errorf("bistro with the cafe's code: %+v, want foreign-account", qb.Codes[0])
	}

	// Three months later nobody has bought since: the next issue reaches no one.
	late := time.Date(2026, 6, 15, 0, 0, 0, 0, msk)
	clock.Set(late.Add(time.Hour))
	batch, err = e.IssueCodes(ctx, promo.IssueRequest{Key: "issue-06-15", Definition: "BIWEEKLY",
		Format: promo.Format{Pattern: "CB-####-###?"}, At: late})
	if err != nil || len(batch.Codes) != 0 {
		t.Errorf("June issue: %d codes, %v; want none", len(batch.Codes), err)
	}
}
