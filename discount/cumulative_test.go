package discount_test

import (
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
)

// ladder is the sales-dialogue ladder: from 10,000 accumulated → 5 %, from 20,000 → 10 %.
func ladder(acc discount.Accumulation, dec0 discount.Decay) discount.Discount {
	return discount.Discount{ID: "personal", Name: "personal discount", Kind: discount.Cumulative, Scope: all,
		Tiers:        []discount.Tier{{From: m("10000"), Percent: dec("5")}, {From: m("20000"), Percent: dec("10")}},
		Accumulation: acc, Decay: dec0}
}

func coat() loyalty.Order { return order(line("COAT", "coats", "1", "22000", "")) }

func bought(daysAgo int, amount string) discount.Purchase {
	return discount.Purchase{At: day.AddDate(0, 0, -daysAgo), Amount: m(amount)}
}

func TestPersonalLadderCoat(t *testing.T) {
	tests := []struct {
		name    string
		acc     discount.Accumulation
		h       discount.History
		want    loyalty.Money
		pct     string
		reasons discount.Reason
	}{
		// The coat itself takes a new customer past 20,000 when the current order counts:
		// 10 % of 22,000 = 2,200, the coat costs 19,800.
		{"coat counts toward the ladder", discount.Accumulation{IncludeCurrentOrder: true}, discount.History{},
			m("2200"), "10", 0},
		// Without counting the current order a new customer has nothing yet.
		{"new customer, coat not counted", discount.Accumulation{}, discount.History{}, m("0"), "0",
			discount.ReasonThresholdNotMet},
		// 12,000 bought before: the 5 % tier, 1,100 off the coat.
		{"12,000 bought before", discount.Accumulation{}, discount.History{Purchases: []discount.Purchase{
			bought(40, "7000"), bought(20, "5000")}}, m("1100"), "5", 0},
		// Exactly 20,000: thresholds are "at least", so 10 %.
		{"exactly 20,000", discount.Accumulation{}, discount.History{Carried: m("20000")}, m("2200"), "10", 0},
		// 19,999.99: still 5 %.
		{"one kopek short", discount.Accumulation{}, discount.History{Carried: m("19999.99")}, m("1100"), "5", 0},
		// A return (negative purchase) lowers the accumulated spend: 21,000 − 2,000 = 19,000 → 5 %.
		{"returns count against", discount.Accumulation{}, discount.History{Purchases: []discount.Purchase{
			bought(40, "21000"), bought(10, "-2000")}}, m("1100"), "5", 0},
		// Purchases at or after the order's time do not count.
		{"future purchases ignored", discount.Accumulation{}, discount.History{Purchases: []discount.Purchase{
			bought(0, "50000"), bought(-3, "50000")}}, m("0"), "0", discount.ReasonThresholdNotMet},
		// A 12-month window: 25,000 two years ago falls out, 8,000 this year is below 10,000.
		{"rolling 12 months", discount.Accumulation{Months: 12}, discount.History{Carried: m("100000"),
			Purchases: []discount.Purchase{bought(730, "25000"), bought(100, "8000")}}, m("0"), "0",
			discount.ReasonThresholdNotMet},
		// The same history over the lifetime: 100,000 carried + 33,000 → 10 %.
		{"lifetime", discount.Accumulation{}, discount.History{Carried: m("100000"),
			Purchases: []discount.Purchase{bought(730, "25000"), bought(100, "8000")}}, m("2200"), "10", 0},
		// A 30-day window with the current order: 5,000 in the window + 22,000 = 27,000 → 10 %.
		{"30 days plus the order", discount.Accumulation{Days: 30, IncludeCurrentOrder: true},
			discount.History{Purchases: []discount.Purchase{bought(31, "90000"), bought(29, "5000")}}, m("2200"), "10", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := coat()
			r := apply(t, single(ladder(tt.acc, discount.Decay{})), o, tt.h)
			checkInvariants(t, o, r)
			e, _ := r.Entry("personal")
			diff(t, "discount", tt.want, e.Amount)
			if !e.Percent.Equal(dec(tt.pct)) {
				t.Errorf("percent = %s, want %s", e.Percent, tt.pct)
			}
			if e.Reasons != tt.reasons {
				t.Errorf("reasons = %q, want %q", e.Reasons, tt.reasons)
			}
		})
	}
	// The explanation says how far the customer is from the first tier.
	r := apply(t, single(ladder(discount.Accumulation{}, discount.Decay{})), coat(),
		discount.History{Carried: m("4000")})
	contains(t, r.Explain(), "personal (personal discount): not applied: threshold not met (4000.00 RUB of the required 10000.00 RUB).")
}

// TestDecay: the rate halves after 60 days without a purchase and returns with the next one.
func TestDecay(t *testing.T) {
	p := single(ladder(discount.Accumulation{}, discount.Decay{AfterDays: 60, Keep: dec("50")}))
	c := mustNew(t, p)
	h := discount.History{Purchases: []discount.Purchase{bought(200, "15000"), bought(90, "10000")}}

	// 25,000 accumulated → 10 %, but the last purchase was 90 days ago: 10 % × 50 % = 5 %.
	o := coat()
	r, err := c.Apply(o, h)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := r.Entry("personal")
	diff(t, "decayed discount", m("1100"), e.Amount)
	if !e.Percent.Equal(dec("5")) || !e.Reasons.Has(discount.ReasonDecayed) || e.Tier != 1 {
		t.Errorf("entry = %+v, want 5 %% decayed from tier 1", e)
	}
	contains(t, r.Explain(), "the full rate returns with the next purchase")

	// The coat is bought; a week later the account is active again: full 10 %.
	h.Purchases = append(h.Purchases, discount.Purchase{At: o.PlacedAt, Amount: r.Total})
	next := coat()
	next.PlacedAt = o.PlacedAt.AddDate(0, 0, 7)
	r, err = c.Apply(next, h)
	if err != nil {
		t.Fatal(err)
	}
	e, _ = r.Entry("personal")
	diff(t, "restored discount", m("2200"), e.Amount)
	if e.Reasons.Has(discount.ReasonDecayed) {
		t.Error("still decayed after a purchase")
	}

	// Exactly 60 days is not "more than 60": no decay.
	h = discount.History{Purchases: []discount.Purchase{bought(60, "25000")}}
	r = apply(t, p, coat(), h)
	e, _ = r.Entry("personal")
	diff(t, "60 days", m("2200"), e.Amount)

	// A return is not a purchase: it does not restore the rate.
	h = discount.History{Purchases: []discount.Purchase{bought(90, "30000"), bought(5, "-1000")}}
	r = apply(t, p, coat(), h)
	e, _ = r.Entry("personal")
	diff(t, "return does not restore", m("1100"), e.Amount)

	// Keep 0 drops the discount entirely while decayed.
	p0 := single(ladder(discount.Accumulation{}, discount.Decay{AfterDays: 60}))
	r = apply(t, p0, coat(), discount.History{Purchases: []discount.Purchase{bought(90, "30000")}})
	e, _ = r.Entry("personal")
	if e.Applied || !e.Reasons.Has(discount.ReasonDecayed|discount.ReasonNoEffect) {
		t.Errorf("keep 0: %+v", e)
	}
}

func TestPersonalTerms(t *testing.T) {
	code := withCode(pct("code", "30", 5), "SKIDKA30")
	code.Condition.MinSubtotal = m("10000")
	base := policy(discount.Additive, ladder(discount.Accumulation{}, discount.Decay{}), code)
	h := discount.History{Carried: m("12000")} // the 5 % tier

	tests := []struct {
		name    string
		terms   []discount.Term
		account loyalty.AccountID
		codes   []string
		lines   []loyalty.Line
		want    map[string]loyalty.Money
	}{
		{"program terms", nil, "acme", nil, coat().Lines,
			map[string]loyalty.Money{"personal": m("1100"), "code": m("0")}},
		// Override: 12 % whatever the tier.
		{"override", []discount.Term{{Account: "acme", Discount: "personal", Mode: discount.Override, Percent: dec("12")}},
			"acme", nil, coat().Lines, map[string]loyalty.Money{"personal": m("2640"), "code": m("0")}},
		// Add: 5 % + 2 points = 7 % of 22,000 = 1,540.
		{"add", []discount.Term{{Account: "acme", Discount: "personal", Mode: discount.Add, Percent: dec("2")}},
			"acme", nil, coat().Lines, map[string]loyalty.Money{"personal": m("1540"), "code": m("0")}},
		// Terms of another account change nothing for acme.
		{"other account", []discount.Term{{Account: "other", Discount: "personal", Mode: discount.Add, Percent: dec("2")}},
			"acme", nil, coat().Lines, map[string]loyalty.Money{"personal": m("1100"), "code": m("0")}},
		// A personal condition: acme may use the code on any order (no 10,000 minimum).
		// 5,000: the ladder gives 5 % = 250, the code 30 % = 1,500 on the original price.
		{"personal condition", []discount.Term{{Account: "acme", Discount: "code", Mode: discount.Add,
			Percent: dec("0"), Condition: &discount.Condition{Code: "SKIDKA30"}}},
			"acme", []string{"skidka30"}, []loyalty.Line{line("A", "", "1", "5000", "")},
			map[string]loyalty.Money{"personal": m("250"), "code": m("1500")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			p.Terms = tt.terms
			o := order(tt.lines...)
			o.Account, o.Codes = tt.account, tt.codes
			r := apply(t, p, o, h)
			checkInvariants(t, o, r)
			got := map[string]loyalty.Money{}
			for _, e := range r.Entries {
				got[e.Discount] = e.Amount
				if tt.terms != nil && tt.terms[0].Account == o.Account && e.Discount == tt.terms[0].Discount &&
					!e.Reasons.Has(discount.ReasonPersonal) {
					t.Errorf("%s: personal reason missing: %q", e.Discount, e.Reasons)
				}
			}
			diff(t, "amounts", tt.want, got)
		})
	}
}

func TestHistoryAccumulated(t *testing.T) {
	h := discount.History{Carried: m("1000"), Purchases: []discount.Purchase{
		bought(400, "300"), bought(100, "200"), bought(10, "50"), bought(5, "-20"), bought(0, "999")}}
	tests := []struct {
		acc  discount.Accumulation
		want loyalty.Money
	}{
		{discount.Accumulation{}, m("1530")},          // 1000 + 300 + 200 + 50 − 20; the order-time purchase is excluded
		{discount.Accumulation{Months: 12}, m("230")}, // 200 + 50 − 20
		{discount.Accumulation{Days: 30}, m("30")},    // 50 − 20
		{discount.Accumulation{Months: 3, Days: 10}, m("230")},
	}
	for _, tt := range tests {
		got, last, err := h.Accumulated(tt.acc, day, rub)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "accumulated", tt.want, got)
		diff(t, "last", day.AddDate(0, 0, -10), last)
	}
}

// TestPersonalTermsAndDecay: an added rate decays with the ladder; an overridden one is a
// negotiated rate and does not.
func TestPersonalTermsAndDecay(t *testing.T) {
	h := discount.History{Purchases: []discount.Purchase{bought(90, "25000")}} // 10 % tier, 90 days idle
	tests := []struct {
		name    string
		term    discount.Term
		want    loyalty.Money
		pct     string
		decayed bool
	}{
		// (10 + 2) % × 50 % = 6 % of 22,000 = 1,320.
		{"add decays", discount.Term{Account: "acme", Discount: "personal", Mode: discount.Add, Percent: dec("2")},
			m("1320"), "6", true},
		// 8 % negotiated, no decay: 1,760.
		{"override does not decay", discount.Term{Account: "acme", Discount: "personal", Mode: discount.Override, Percent: dec("8")},
			m("1760"), "8", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := single(ladder(discount.Accumulation{}, discount.Decay{AfterDays: 60, Keep: dec("50")}))
			p.Terms = []discount.Term{tt.term}
			r := apply(t, p, coat(), h)
			e, _ := r.Entry("personal")
			diff(t, "amount", tt.want, e.Amount)
			if !e.Percent.Equal(dec(tt.pct)) || e.Reasons.Has(discount.ReasonDecayed) != tt.decayed ||
				!e.Reasons.Has(discount.ReasonPersonal) {
				t.Errorf("percent %s reasons %q", e.Percent, e.Reasons)
			}
		})
	}
}
