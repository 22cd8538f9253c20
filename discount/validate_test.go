package discount_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
)

func TestValidate(t *testing.T) {
	usd := loyalty.MustMoney("5", "USD")
	tests := []struct {
		name string
		edit func(*discount.Policy)
		want []string // substrings of the error, each naming a field
	}{
		{"no currency", func(p *discount.Policy) { p.Currency = loyalty.Currency{} }, []string{"currency: is required"}},
		{"implicit stacking", func(p *discount.Policy) { p.Stacking = 0 }, []string{"stacking: must be declared"}},
		{"no discounts", func(p *discount.Policy) { p.Discounts = nil }, []string{"discounts: must not be empty"}},
		{"percent above 100", func(p *discount.Policy) { p.Discounts[0].Percent = dec("120") },
			[]string{"discounts[0].percent: must be a percentage from 0 to 100 (got 120)"}},
		{"negative percent", func(p *discount.Policy) { p.Discounts[0].Percent = dec("-1") },
			[]string{"discounts[0].percent: must be a percentage from 0 to 100 (got -1)"}},
		{"missing id", func(p *discount.Policy) { p.Discounts[0].ID = "" }, []string{"discounts[0].id: is required"}},
		{"duplicate id", func(p *discount.Policy) { p.Discounts = append(p.Discounts, p.Discounts[0]) },
			[]string{"discounts[1].id: is used twice (got p)"}},
		{"unknown kind", func(p *discount.Policy) { p.Discounts[0].Kind = 0; p.Discounts[0].Percent = dec("0") },
			[]string{"discounts[0].kind: unknown discount kind"}},
		{"empty scope", func(p *discount.Policy) { p.Discounts[0].Scope = discount.Scope{} },
			[]string{"discounts[0].scope: is empty"}},
		{"empty category in scope", func(p *discount.Policy) {
			p.Discounts[0].Scope = discount.Scope{Categories: []loyalty.CategoryID{""}}
		}, []string{"discounts[0].scope.categories[0]: must not be empty"}},
		{"negative amount", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "a", Kind: discount.AmountOff, Amount: m("-5"), Scope: all}
		}, []string{"discounts[0].amount: must not be negative (got \"-5.00 RUB\")"}},
		{"zero amount", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "a", Kind: discount.AmountPerUnit, Scope: all}
		}, []string{"discounts[0].amount: must be positive"}},
		{"amount in another currency", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "a", Kind: discount.AmountOff, Amount: usd, Scope: all}
		}, []string{"discounts[0].amount: must be in the policy currency RUB (got \"5.00 USD\")"}},
		{"parameter of another kind", func(p *discount.Policy) { p.Discounts[0].Amount = m("5") },
			[]string{"discounts[0].amount: is not used by a percent discount"}},
		{"tiers out of order", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "c", Kind: discount.Cumulative, Scope: all, Tiers: []discount.Tier{
				{From: m("20000"), Percent: dec("10")}, {From: m("10000"), Percent: dec("5")}}}
		}, []string{"discounts[0].tiers[1].from: must be greater than the previous tier's 20000.00: thresholds must increase (got \"10000.00 RUB\")"}},
		{"no tiers", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "v", Kind: discount.Volume, Basis: discount.ByAmount, Scope: all}
		}, []string{"discounts[0].tiers: must not be empty"}},
		{"volume without basis", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "v", Kind: discount.Volume, Scope: all,
				Tiers: []discount.Tier{{From: m("1"), Percent: dec("1")}}}
		}, []string{"discounts[0].basis: must be quantity or amount"}},
		{"quantity tier with an amount", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "v", Kind: discount.Volume, Basis: discount.ByQuantity, Scope: all,
				Tiers: []discount.Tier{{From: m("1"), Percent: dec("1")}}}
		}, []string{"discounts[0].tiers[0].from: is not used by a quantity ladder"}},
		{"buy x get y zero", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "b", Kind: discount.BuyXGetY, Scope: all}
		}, []string{"discounts[0].buy: must be at least 1 (got 0)", "discounts[0].get: must be at least 1 (got 0)"}},
		{"nth free one", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "n", Kind: discount.NthFree, N: 1, Scope: all}
		}, []string{"discounts[0].n: must be from 2"}},
		{"negative fixed price", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "f", Kind: discount.FixedPrice, Price: loyalty.MustPrice("-1", "RUB"), Scope: all}
		}, []string{"discounts[0].price: must not be negative"}},
		{"negative decay", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "c", Kind: discount.Cumulative, Scope: all,
				Tiers: []discount.Tier{{From: m("1"), Percent: dec("1")}}, Decay: discount.Decay{AfterDays: -1, Keep: dec("101")},
				Accumulation: discount.Accumulation{Months: -1}}
		}, []string{"discounts[0].decay.after_days: must not be negative", "discounts[0].decay.keep: must be a percentage",
			"discounts[0].accumulation.months: must not be negative"}},
		{"decay keep without days", func(p *discount.Policy) {
			p.Discounts[0] = discount.Discount{ID: "c", Kind: discount.Cumulative, Scope: all,
				Tiers: []discount.Tier{{From: m("1"), Percent: dec("1")}}, Decay: discount.Decay{Keep: dec("50")}}
		}, []string{"discounts[0].decay.after_days: is required when decay.keep is set"}},
		{"negative cap", func(p *discount.Policy) { p.Cap.MaxAmount = m("-1") },
			[]string{"cap.max_amount: must not be negative (got \"-1.00 RUB\")"}},
		{"cap percent", func(p *discount.Policy) { p.Cap.MaxPercent = dec("101") }, []string{"cap.max_percent"}},
		{"negative own max", func(p *discount.Policy) { p.Discounts[0].MaxAmount = m("-1") },
			[]string{"discounts[0].max_amount: must not be negative"}},
		{"floor margin 100", func(p *discount.Policy) { p.Floor.MinMargin = dec("100") },
			[]string{"floor.min_margin: must be a percentage from 0 to below 100 (got 100)"}},
		{"two floors", func(p *discount.Policy) { p.Floor.MinMargin = dec("10"); p.Floor.MinMarkup = dec("10") },
			[]string{"floor: must set at most one of min_markup and min_margin"}},
		{"unknown group", func(p *discount.Policy) { p.Discounts[0].Group = "nope" },
			[]string{"discounts[0].group: names no group of the policy (got nope)"}},
		{"group without stacking", func(p *discount.Policy) { p.Groups = []discount.Group{{ID: "g"}} },
			[]string{"groups[0].stacking: must be declared", "groups[0]: has no discounts (got g)"}},
		{"group id used by a discount", func(p *discount.Policy) {
			p.Groups = []discount.Group{{ID: "p", Stacking: discount.BestOf}}
			p.Discounts[0].Group = "p"
		}, []string{"discounts[0].id: is used twice (got p)"}},
		{"not with unknown", func(p *discount.Policy) { p.Discounts[0].NotWith = []string{"R1"} },
			[]string{"discounts[0].not_with[0]: must name another discount of the policy (got R1)"}},
		{"bad code", func(p *discount.Policy) { p.Discounts[0].Condition.Code = "---" },
			[]string{"discounts[0].condition.code:"}},
		{"window reversed", func(p *discount.Policy) {
			p.Discounts[0].Condition.From, p.Discounts[0].Condition.Until = day, day
		}, []string{"discounts[0].condition.until: must be after from"}},
		{"min subtotal negative", func(p *discount.Policy) { p.Discounts[0].Condition.MinSubtotal = m("-1") },
			[]string{"discounts[0].condition.min_subtotal: must not be negative"}},
		{"term on unknown discount", func(p *discount.Policy) {
			p.Terms = []discount.Term{{Account: "a", Discount: "zz", Mode: discount.Override, Percent: dec("5")}}
		}, []string{"terms[0].discount: must name a discount of the policy (got zz)"}},
		{"term adds beyond 100", func(p *discount.Policy) {
			p.Terms = []discount.Term{{Account: "a", Discount: "p", Mode: discount.Add, Percent: dec("95")}}
		}, []string{"terms[0].percent: added to the discount's rate 10 makes more than 100 (got 95)"}},
		{"term without account or mode", func(p *discount.Policy) {
			p.Terms = []discount.Term{{Discount: "p", Percent: dec("5")}}
		}, []string{"terms[0].account: is required", "terms[0].mode: must be override or add"}},
		{"term on a non-rate discount", func(p *discount.Policy) {
			p.Discounts = append(p.Discounts, off("o", "5", 0))
			p.Terms = []discount.Term{{Account: "a", Discount: "o", Mode: discount.Add, Percent: dec("5")}}
		}, []string{"terms[0].discount: must name a percent, volume or cumulative discount (got o)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy(discount.Additive, pct("p", "10", 0))
			tt.edit(&p)
			err := p.Validate()
			if err == nil {
				t.Fatal("Validate accepted the policy")
			}
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("error %v does not match loyalty.ErrInvalid", err)
			}
			if !strings.HasPrefix(err.Error(), "discount: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if _, nerr := discount.New(p); nerr == nil || nerr.Error() != err.Error() {
				t.Errorf("New error %v, want the Validate error", nerr)
			}
		})
	}
	if err := policy(discount.Additive, pct("p", "10", 0)).Validate(); err != nil {
		t.Errorf("the base policy is invalid: %v", err)
	}
}
