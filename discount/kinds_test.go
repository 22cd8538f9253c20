package discount_test

import (
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
)

func single(d discount.Discount) discount.Policy {
	return discount.Policy{Currency: rub, Stacking: discount.Additive, Discounts: []discount.Discount{d},
		Floor: discount.Floor{Disabled: true}}
}

var all = discount.Scope{All: true}

// TestKinds checks every discount kind on a small order; the expected amounts are derived
// by hand in the comments.
func TestKinds(t *testing.T) {
	tests := []struct {
		name    string
		d       discount.Discount
		lines   []loyalty.Line
		want    []loyalty.Money // per line
		reasons discount.Reason
	}{
		{
			// 10 % of 1,999.99 = 199.999 → 200.00 (half-up). Split 200.00 by 1000.00 : 999.99:
			// 10000.05 and 9999.95 kopeks; the leftover kopek goes to the larger fraction (.95).
			name:  "percent allocated by largest remainder",
			d:     discount.Discount{ID: "p10", Kind: discount.Percent, Percent: dec("10"), Scope: all},
			lines: []loyalty.Line{line("A", "", "1", "1000", ""), line("B", "", "3", "333.33", "")},
			want:  ms("100.00", "100.00"),
		},
		{
			// Only the non-promotional beans (1,000.00) are eligible: 15 % = 150.00.
			name: "percent on a category, promotional items excluded",
			d: discount.Discount{ID: "beans15", Kind: discount.Percent, Percent: dec("15"),
				Scope: discount.Scope{Categories: []loyalty.CategoryID{"beans"}, ExcludePromotional: true}},
			lines: []loyalty.Line{line("B1", "beans", "2", "500", ""), promo(line("B2", "beans", "1", "400", "")),
				line("T1", "tea", "1", "300", "")},
			want:    ms("150.00", "0", "0"),
			reasons: discount.ReasonExcluded,
		},
		{
			// 500.00 split 1500 : 500 → 375.00 and 125.00.
			name:  "amount off the order",
			d:     discount.Discount{ID: "a500", Kind: discount.AmountOff, Amount: m("500"), Scope: all},
			lines: []loyalty.Line{line("A", "", "1", "1500", ""), line("B", "", "2", "250", "")},
			want:  ms("375.00", "125.00"),
		},
		{
			// 5,000.00 off a 2,000.00 order can only take 2,000.00.
			name:    "amount off larger than the order",
			d:       discount.Discount{ID: "a5000", Kind: discount.AmountOff, Amount: m("5000"), Scope: all},
			lines:   []loyalty.Line{line("A", "", "1", "1500", ""), line("B", "", "2", "250", "")},
			want:    ms("1500.00", "500.00"),
			reasons: discount.ReasonTrimmedByPrice,
		},
		{
			// 500 per machine: 2 machines → 1,000.00; the promotional bundle still gets 500.00.
			name: "amount per unit, bundles on promotion included",
			d: discount.Discount{ID: "m500", Kind: discount.AmountPerUnit, Amount: m("500"),
				Scope: discount.Scope{Categories: []loyalty.CategoryID{"machines"}}},
			lines: []loyalty.Line{line("M1", "machines", "2", "30000", ""), promo(line("M2", "machines", "1", "45000", ""))},
			want:  ms("1000.00", "500.00"),
		},
		{
			// 2 × 500 = 1,000 exceeds the 600.00 line: trimmed to the price.
			name:    "amount per unit larger than the price",
			d:       discount.Discount{ID: "u500", Kind: discount.AmountPerUnit, Amount: m("500"), Scope: all},
			lines:   []loyalty.Line{line("A", "", "2", "300", "")},
			want:    ms("600.00"),
			reasons: discount.ReasonTrimmedByPrice,
		},
		{
			// 3 × 120 = 360 at a fixed 99 each = 297 → 63.00; the 80.00 line is already cheaper.
			name:  "fixed price",
			d:     discount.Discount{ID: "fp", Kind: discount.FixedPrice, Price: loyalty.MustPrice("99", "RUB"), Scope: all},
			lines: []loyalty.Line{line("X", "", "3", "120", ""), line("Y", "", "1", "80", "")},
			want:  ms("63.00", "0"),
		},
		{
			// 6 units, buy 2 get 1: two groups, two free units, the cheapest: both B (50 each).
			name:  "buy 2 get 1",
			d:     discount.Discount{ID: "b2g1", Kind: discount.BuyXGetY, Buy: 2, Get: 1, Scope: all},
			lines: []loyalty.Line{line("A", "", "4", "100", ""), line("B", "", "2", "50", "")},
			want:  ms("0", "100.00"),
		},
		{
			// 5 units: one group of 3, one free unit: one of the two B units, 100 × 1/2 = 50.
			name:  "buy 2 get 1 with an incomplete group",
			d:     discount.Discount{ID: "b2g1", Kind: discount.BuyXGetY, Buy: 2, Get: 1, Scope: all},
			lines: []loyalty.Line{line("A", "", "3", "100", ""), line("B", "", "2", "50", "")},
			want:  ms("0", "50.00"),
		},
		{
			// 7 units, every 3rd free: 2 free units of 10.00.
			name:  "nth free",
			d:     discount.Discount{ID: "n3", Kind: discount.NthFree, N: 3, Scope: all},
			lines: []loyalty.Line{line("A", "", "7", "10", "")},
			want:  ms("20.00"),
		},
		{
			// 12.5 litres hold 12 whole units: every 5th free → 2 free, 625.00 × 2/12.5 = 100.00.
			name:  "nth free with a fractional quantity",
			d:     discount.Discount{ID: "n5", Kind: discount.NthFree, N: 5, Scope: all},
			lines: []loyalty.Line{line("FUEL", "", "12.5", "50", "")},
			want:  ms("100.00"),
		},
		{
			// 3 units, the cheapest (30.00) is free.
			name:  "cheapest free",
			d:     discount.Discount{ID: "c3", Kind: discount.CheapestFree, N: 3, Scope: all},
			lines: []loyalty.Line{line("A", "", "1", "100", ""), line("B", "", "1", "30", ""), line("C", "", "1", "60", "")},
			want:  ms("0", "30.00", "0"),
		},
		{
			name:    "cheapest free, too few units",
			d:       discount.Discount{ID: "c3", Kind: discount.CheapestFree, N: 3, Scope: all},
			lines:   []loyalty.Line{line("A", "", "1", "100", ""), line("B", "", "1", "30", "")},
			want:    ms("0", "0"),
			reasons: discount.ReasonThresholdNotMet,
		},
		{
			// 60 units reach the "from 50" tier: 10 % of 600.00 = 60.00.
			name: "volume by quantity",
			d: discount.Discount{ID: "vq", Kind: discount.Volume, Basis: discount.ByQuantity, Scope: all,
				Tiers: []discount.Tier{{FromQuantity: loyalty.MustQuantity("10"), Percent: dec("5")},
					{FromQuantity: loyalty.MustQuantity("50"), Percent: dec("10")}}},
			lines: []loyalty.Line{line("A", "", "60", "10", "")},
			want:  ms("60.00"),
		},
		{
			name: "volume by quantity below the first tier",
			d: discount.Discount{ID: "vq", Kind: discount.Volume, Basis: discount.ByQuantity, Scope: all,
				Tiers: []discount.Tier{{FromQuantity: loyalty.MustQuantity("10"), Percent: dec("5")}}},
			lines:   []loyalty.Line{line("A", "", "5", "10", "")},
			want:    ms("0"),
			reasons: discount.ReasonThresholdNotMet,
		},
		{
			// 12,000.00 reaches "from 10,000": 3 % = 360.00.
			name: "volume by amount",
			d: discount.Discount{ID: "va", Kind: discount.Volume, Basis: discount.ByAmount, Scope: all,
				Tiers: []discount.Tier{{From: m("10000"), Percent: dec("3")}, {From: m("50000"), Percent: dec("6")}}},
			lines: []loyalty.Line{line("A", "", "4", "3000", "")},
			want:  ms("360.00"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := order(tt.lines...)
			r := apply(t, single(tt.d), o, discount.History{})
			checkInvariants(t, o, r)
			diff(t, "line discounts", tt.want, lineDiscounts(r))
			e, _ := r.Entry(tt.d.ID)
			if e.Reasons != tt.reasons {
				t.Errorf("reasons = %q, want %q", e.Reasons, tt.reasons)
			}
		})
	}
}

func promo(l loyalty.Line) loyalty.Line {
	l.OnPromotion = true
	return l
}

func TestExcludedNotes(t *testing.T) {
	d := discount.Discount{ID: "x", Kind: discount.Percent, Percent: dec("10"),
		Scope: discount.Scope{All: true, ExcludeSKUs: []loyalty.SKU{"GIFT"}, ExcludeTags: []string{"bundle"},
			ExcludeCategories: []loyalty.CategoryID{"tobacco"}}}
	o := order(line("GIFT", "", "1", "100", ""), line("A", "", "1", "100", "", "bundle"),
		line("C", "tobacco", "1", "100", ""), line("OK", "food", "1", "100", ""))
	r := apply(t, single(d), o, discount.History{})
	e, _ := r.Entry("x")
	diff(t, "lines", ms("0", "0", "0", "10.00"), e.Lines)
	diff(t, "notes", []discount.LineNote{{Line: 0, Reason: discount.ReasonExcluded},
		{Line: 1, Reason: discount.ReasonExcluded}, {Line: 2, Reason: discount.ReasonExcluded}}, e.Notes)

	// Every line excluded: nothing eligible.
	o = order(line("GIFT", "", "1", "100", ""))
	r = apply(t, single(d), o, discount.History{})
	e, _ = r.Entry("x")
	if e.Applied || !e.Reasons.Has(discount.ReasonNoEligibleLines) || !e.Reasons.Has(discount.ReasonExcluded) {
		t.Errorf("entry = %+v, want not applied, no-eligible-lines and excluded", e)
	}
}

func TestConditions(t *testing.T) {
	base := discount.Discount{ID: "c", Kind: discount.Percent, Percent: dec("10"), Scope: all}
	o := order(line("A", "", "1", "1000", ""))
	tests := []struct {
		name string
		cond discount.Condition
		edit func(*loyalty.Order)
		want discount.Reason
	}{
		{"min subtotal met", discount.Condition{MinSubtotal: m("1000")}, nil, 0},
		{"min subtotal not met", discount.Condition{MinSubtotal: m("1000.01")}, nil, discount.ReasonThresholdNotMet},
		{"code present in another form", discount.Condition{Code: "SKIDKA30"},
			func(o *loyalty.Order) { o.Codes = []string{"skidka-30"} }, 0},
		{"code missing", discount.Condition{Code: "SKIDKA30"}, nil, discount.ReasonCodeMissing},
		{"account allowed", discount.Condition{Accounts: []loyalty.AccountID{"acme"}}, nil, 0},
		{"account not allowed", discount.Condition{Accounts: []loyalty.AccountID{"other"}}, nil, discount.ReasonNotForAccount},
		{"inside window", discount.Condition{From: day.AddDate(0, 0, -7), Until: day.AddDate(0, 0, 1)}, nil, 0},
		{"window ends at until", discount.Condition{Until: day}, nil, discount.ReasonInactive},
		{"window not started", discount.Condition{From: day.Add(1)}, nil, discount.ReasonInactive},
		{"several reasons at once", discount.Condition{Code: "X", MinSubtotal: m("5000")}, nil,
			discount.ReasonCodeMissing | discount.ReasonThresholdNotMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base
			d.Condition = tt.cond
			oo := o
			if tt.edit != nil {
				tt.edit(&oo)
			}
			r := apply(t, single(d), oo, discount.History{})
			e, _ := r.Entry("c")
			if e.Reasons != tt.want {
				t.Errorf("reasons = %q, want %q", e.Reasons, tt.want)
			}
			if e.Applied != (tt.want == 0) {
				t.Errorf("applied = %v", e.Applied)
			}
		})
	}
}
