package discount_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
)

func pct(id string, p string, prio int) discount.Discount {
	return discount.Discount{ID: id, Kind: discount.Percent, Percent: dec(p), Scope: all, Priority: prio}
}

func off(id string, a string, prio int) discount.Discount {
	return discount.Discount{ID: id, Kind: discount.AmountOff, Amount: m(a), Scope: all, Priority: prio}
}

func policy(s discount.Stacking, ds ...discount.Discount) discount.Policy {
	return discount.Policy{Currency: rub, Stacking: s, Discounts: ds, Floor: discount.Floor{Disabled: true}}
}

type outcome struct {
	Amount  loyalty.Money
	Reasons discount.Reason
	By      string
}

func outcomes(r discount.Result) map[string]outcome {
	out := map[string]outcome{}
	for _, e := range r.Entries {
		out[e.Discount] = outcome{e.Amount, e.Reasons, e.By}
	}
	return out
}

func TestStacking(t *testing.T) {
	o := order(line("A", "", "1", "1000", ""))
	tests := []struct {
		name  string
		p     discount.Policy
		total loyalty.Money
		want  map[string]outcome
	}{
		{
			// Both 10 % of the original 1,000: 100 + 100.
			name:  "additive",
			p:     policy(discount.Additive, pct("a", "10", 1), pct("b", "10", 2)),
			total: m("200"),
			want:  map[string]outcome{"a": {m("100"), 0, ""}, "b": {m("100"), 0, ""}},
		},
		{
			// 10 % of 1,000 = 100, then 10 % of the 900 left = 90.
			name:  "sequential",
			p:     policy(discount.Sequential, pct("a", "10", 1), pct("b", "10", 2)),
			total: m("190"),
			want:  map[string]outcome{"a": {m("100"), 0, ""}, "b": {m("90"), 0, ""}},
		},
		{
			// Sequential order follows priority: 150 off first, then 10 % of 850 = 85.
			name:  "sequential by priority, not by listing",
			p:     policy(discount.Sequential, pct("a", "10", 2), off("b", "150", 1)),
			total: m("235"),
			want:  map[string]outcome{"a": {m("85"), 0, ""}, "b": {m("150"), 0, ""}},
		},
		{
			// 10 % = 100 loses to 150 off.
			name:  "best-of",
			p:     policy(discount.BestOf, pct("a", "10", 1), off("b", "150", 2)),
			total: m("150"),
			want:  map[string]outcome{"a": {m("0"), discount.ReasonLostToBetter, "b"}, "b": {m("150"), 0, ""}},
		},
		{
			// A tie goes to the earlier priority.
			name:  "best-of tie",
			p:     policy(discount.BestOf, off("x", "100", 2), pct("y", "10", 1)),
			total: m("100"),
			want:  map[string]outcome{"x": {m("0"), discount.ReasonLostToBetter, "y"}, "y": {m("100"), 0, ""}},
		},
		{
			// Exclusive takes the first applicable by priority even when a later one is larger.
			name:  "exclusive",
			p:     policy(discount.Exclusive, pct("a", "5", 1), off("b", "150", 2)),
			total: m("50"),
			want:  map[string]outcome{"a": {m("50"), 0, ""}, "b": {m("0"), discount.ReasonOutranked, "a"}},
		},
		{
			// The first by priority does not apply (code missing): the next one is exclusive.
			name: "exclusive skips what does not apply",
			p: policy(discount.Exclusive, withCode(pct("a", "5", 1), "CODE"), off("b", "150", 2),
				pct("c", "1", 3)),
			total: m("150"),
			want: map[string]outcome{"a": {m("0"), discount.ReasonCodeMissing, ""}, "b": {m("150"), 0, ""},
				"c": {m("0"), discount.ReasonOutranked, "b"}},
		},
		{
			name:  "stop after",
			p:     policy(discount.Sequential, stop(pct("a", "10", 1)), pct("b", "10", 2)),
			total: m("100"),
			want:  map[string]outcome{"a": {m("100"), 0, ""}, "b": {m("0"), discount.ReasonStopped, "a"}},
		},
		{
			// b is declared not combinable with a; a applies first, so b does not.
			name:  "not combinable",
			p:     policy(discount.Additive, pct("a", "10", 1), notWith(pct("b", "20", 2), "a"), pct("c", "1", 3)),
			total: m("110"),
			want: map[string]outcome{"a": {m("100"), 0, ""}, "b": {m("0"), discount.ReasonNotCombinable, "a"},
				"c": {m("10"), 0, ""}},
		},
		{
			// The conflict is symmetric: declared on b, it also stops a when b comes first.
			name:  "not combinable, declared on the other side",
			p:     policy(discount.Additive, pct("a", "10", 2), notWith(pct("b", "20", 1), "a")),
			total: m("200"),
			want:  map[string]outcome{"a": {m("0"), discount.ReasonNotCombinable, "b"}, "b": {m("200"), 0, ""}},
		},
		{
			// Additive 70 % + 50 % of 1,000 would be 1,200: the second is trimmed to the 300 left.
			name:  "additive never exceeds the price",
			p:     policy(discount.Additive, pct("a", "70", 1), pct("b", "50", 2)),
			total: m("1000"),
			want:  map[string]outcome{"a": {m("700"), 0, ""}, "b": {m("300"), discount.ReasonTrimmedByPrice, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := apply(t, tt.p, o, discount.History{})
			checkInvariants(t, o, r)
			diff(t, "outcomes", tt.want, outcomes(r))
			diff(t, "total discount", tt.total, r.Discount)
		})
	}
}

func withCode(d discount.Discount, code string) discount.Discount {
	d.Condition.Code = code
	return d
}

func stop(d discount.Discount) discount.Discount {
	d.StopAfter = true
	return d
}

func notWith(d discount.Discount, ids ...string) discount.Discount {
	d.NotWith = ids
	return d
}

func inGroup(d discount.Discount, g string) discount.Discount {
	d.Group = g
	return d
}

// TestGroups checks groups as units of the top-level stacking.
func TestGroups(t *testing.T) {
	o := order(line("A", "", "1", "1000", ""))
	// Top level best-of between group g1 (additive 10 % + 5 % = 150) and a single 120 off.
	p := policy(discount.BestOf, inGroup(pct("a", "10", 1), "g1"), inGroup(pct("b", "5", 2), "g1"), off("c", "120", 0))
	p.Groups = []discount.Group{{ID: "g1", Stacking: discount.Additive, Priority: 1}}
	r := apply(t, p, o, discount.History{})
	checkInvariants(t, o, r)
	diff(t, "group wins", map[string]outcome{"a": {m("100"), 0, ""}, "b": {m("50"), 0, ""},
		"c": {m("0"), discount.ReasonLostToBetter, "g1"}}, outcomes(r))

	// A single discount of 200 beats the group; both members lose to it.
	p.Discounts[2] = off("c", "200", 0)
	r = apply(t, p, o, discount.History{})
	checkInvariants(t, o, r)
	diff(t, "group loses", map[string]outcome{"a": {m("0"), discount.ReasonLostToBetter, "c"},
		"b": {m("0"), discount.ReasonLostToBetter, "c"}, "c": {m("200"), 0, ""}}, outcomes(r))
	e, _ := r.Entry("a")
	diff(t, "forgone", m("100"), e.Forgone)

	// Sequential top level with a stop-after group: the later unit is stopped.
	p = policy(discount.Sequential, inGroup(pct("a", "10", 1), "g1"), off("c", "100", 5))
	p.Groups = []discount.Group{{ID: "g1", Stacking: discount.BestOf, Priority: 1, StopAfter: true}}
	r = apply(t, p, o, discount.History{})
	diff(t, "stop-after group", map[string]outcome{"a": {m("100"), 0, ""}, "c": {m("0"), discount.ReasonStopped, "g1"}}, outcomes(r))

	// Entries come in evaluation order: by unit priority, members inside their group.
	p = policy(discount.Additive, pct("z", "1", 0), inGroup(pct("m2", "1", 2), "g"), inGroup(pct("m1", "1", 1), "g"),
		pct("a", "1", 9))
	p.Groups = []discount.Group{{ID: "g", Stacking: discount.Additive, Priority: 5}}
	r = apply(t, p, o, discount.History{})
	var ids []string
	for _, e := range r.Entries {
		ids = append(ids, e.Discount)
	}
	diff(t, "evaluation order", []string{"z", "m1", "m2", "a"}, ids)
}

func TestCaps(t *testing.T) {
	o := order(line("A", "", "1", "600", ""), line("B", "", "1", "400", ""))
	// Cap 10 % of 1,000 = 100: a (10 % = 100) keeps it all, b is trimmed to nothing.
	p := policy(discount.Additive, pct("a", "10", 1), pct("b", "5", 2))
	p.Cap = discount.Cap{MaxPercent: dec("10")}
	r := apply(t, p, o, discount.History{})
	checkInvariants(t, o, r)
	diff(t, "cap by percent", map[string]outcome{"a": {m("100"), 0, ""},
		"b": {m("0"), discount.ReasonTrimmedByCap, "cap"}}, outcomes(r))
	diff(t, "cap", m("100"), r.Cap)

	// Cap 120 by amount: b keeps 20 of its 50, re-allocated 600:400 of its lines (30:20) →
	// 20 × 30/50 = 12, 20 × 20/50 = 8.
	p.Cap = discount.Cap{MaxAmount: m("120"), MaxPercent: dec("50")}
	r = apply(t, p, o, discount.History{})
	checkInvariants(t, o, r)
	e, _ := r.Entry("b")
	diff(t, "b lines", ms("12", "8"), e.Lines)

	// The discount's own maximum: 30 % of 1,000 = 300 capped at 250 → 150 and 100.
	d := pct("c", "30", 1)
	d.MaxAmount = m("250")
	r = apply(t, single(d), o, discount.History{})
	checkInvariants(t, o, r)
	e, _ = r.Entry("c")
	diff(t, "own max", ms("150", "100"), e.Lines)
	if !e.Reasons.Has(discount.ReasonTrimmedByCap) || e.By != "" {
		t.Errorf("reasons %q by %q, want trimmed-by-cap by its own maximum", e.Reasons, e.By)
	}
}

func TestFloor(t *testing.T) {
	tests := []struct {
		name    string
		floor   discount.Floor
		cost    string
		want    loyalty.Money
		floorAt loyalty.Money
		reasons discount.Reason
	}{
		// 50 % of 1,000 is 500; cost 800 + 10 % markup = 880 floor → only 120 off.
		{"markup", discount.Floor{MinMarkup: dec("10")}, "800", m("120"), m("880"), discount.ReasonTrimmedByFloor},
		// margin 20 % of the price: 800 / 0.8 = 1,000 floor → nothing off.
		{"margin share", discount.Floor{MinMargin: dec("20")}, "800", m("0"), m("1000"),
			discount.ReasonTrimmedByFloor},
		// Default floor is the cost: 900 → 100 off.
		{"default at cost", discount.Floor{}, "900", m("100"), m("900"), discount.ReasonTrimmedByFloor},
		// Cost above the price already: no discount at all.
		{"cost above price", discount.Floor{}, "1100", m("0"), m("1100"), discount.ReasonTrimmedByFloor},
		// Disabled floor: the full 500.
		{"disabled", discount.Floor{Disabled: true}, "900", m("500"), m("0"), 0},
		// Unknown cost: no floor.
		{"unknown cost", discount.Floor{MinMarkup: dec("10")}, "", m("500"), m("0"), 0},
		// margin 30 %: 700 / 0.7 = 1000 exactly; cost 350 → floor 500, nothing trimmed.
		{"margin share not binding", discount.Floor{MinMargin: dec("30")}, "350", m("500"), m("500"), 0},
		// margin 33.33 %: 200 / 0.6667 = 299.98500074… rounded up to the kopek: 299.99.
		{"margin share rounds up", discount.Floor{MinMargin: dec("33.33")}, "200", m("500"), m("299.99"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := order(line("A", "", "1", "1000", tt.cost))
			p := single(pct("half", "50", 0))
			p.Floor = tt.floor
			r := apply(t, p, o, discount.History{})
			checkInvariants(t, o, r)
			diff(t, "discount", tt.want, r.Discount)
			diff(t, "floor", tt.floorAt, r.Lines[0].Floor)
			e, _ := r.Entry("half")
			if e.Reasons != tt.reasons {
				t.Errorf("reasons = %q, want %q", e.Reasons, tt.reasons)
			}
		})
	}
}

// TestFloorTrimsLaterDiscounts checks that in a sequential stack the floor trims only the
// discount that reaches it.
func TestFloorTrimsLaterDiscounts(t *testing.T) {
	o := order(line("A", "", "1", "1000", "700"), line("B", "", "1", "1000", ""))
	p := policy(discount.Sequential, pct("a", "20", 1), pct("b", "20", 2))
	p.Floor = discount.Floor{}
	r := apply(t, p, o, discount.History{})
	checkInvariants(t, o, r)
	// a: 20 % of 2,000 = 400, 200 per line (A: 1,000 → 800, floor 700 not reached).
	// b: 20 % of 1,600 = 320, 160 per line; on A only 100 fits above the 700 floor.
	a, _ := r.Entry("a")
	b, _ := r.Entry("b")
	diff(t, "a", ms("200", "200"), a.Lines)
	diff(t, "b", ms("100", "160"), b.Lines)
	diff(t, "b notes", []discount.LineNote{{Line: 0, Reason: discount.ReasonTrimmedByFloor, Amount: m("60")}}, b.Notes)
	diff(t, "totals", ms("700", "640"), []loyalty.Money{r.Lines[0].Total, r.Lines[1].Total})
}

func TestExplain(t *testing.T) {
	o := order(line("A", "", "1", "1000", "900"), line("B", "", "1", "500", ""))
	o.Codes = []string{"wrong"}
	p := policy(discount.BestOf, pct("a", "10", 1), off("b", "100", 2), withCode(pct("code", "50", 3), "SALE"))
	p.Floor = discount.Floor{}
	r := apply(t, p, o, discount.History{})
	text := r.Explain()
	contains(t, text,
		"Subtotal 1500.00 RUB, discount 150.00 RUB, total 1350.00 RUB.",
		"- a, 10%: applied, 150.00 RUB (line 1 100.00, line 2 50.00).",
		"- b: not applied: lost to the better a (it would have given 100.00 RUB).",
		"- code, 50%: not applied: the order does not carry its code.")
	if n := strings.Count(text, "\n"); n != 4 {
		t.Errorf("%d lines, want 4:\n%s", n, text)
	}
}

func TestApplyErrors(t *testing.T) {
	c := mustNew(t, single(pct("a", "10", 0)))
	good := order(line("A", "", "1", "1000", ""))

	bad := good
	bad.Lines = nil
	if _, err := c.Apply(bad, discount.History{}); !errors.Is(err, loyalty.ErrInvalid) ||
		!strings.Contains(err.Error(), "lines: must not be empty") {
		t.Errorf("empty order: %v", err)
	}
	usd := good
	usd.Currency = loyalty.MustCurrency("USD")
	usd.Lines = []loyalty.Line{{SKU: "A", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("1", "USD")}}
	if _, err := c.Apply(usd, discount.History{}); !errors.Is(err, loyalty.ErrCurrencyMismatch) {
		t.Errorf("USD order: %v", err)
	}
	h := discount.History{Purchases: []discount.Purchase{{At: day, Amount: loyalty.MustMoney("1", "USD")}}}
	if _, err := c.Apply(good, h); !errors.Is(err, loyalty.ErrInvalid) ||
		!strings.Contains(err.Error(), "purchases[0].amount") {
		t.Errorf("USD history: %v", err)
	}
	h = discount.History{Purchases: []discount.Purchase{{Amount: m("1")}}}
	if _, err := c.Apply(good, h); !errors.Is(err, loyalty.ErrInvalid) ||
		!strings.Contains(err.Error(), "purchases[0].at: is required") {
		t.Errorf("history without time: %v", err)
	}
}

// TestExplainReasons renders every kind of reason as a sentence.
func TestExplainReasons(t *testing.T) {
	o := order(line("A", "", "1", "1000", "900"), line("B", "", "1", "500", ""))
	big := off("big", "5000", 1)     // trimmed to the price of B and to the floor of A
	capped := pct("capped", "50", 2) // trimmed by its maximum amount
	capped.MaxAmount = m("10")
	p := policy(discount.Sequential, big)
	p.Floor = discount.Floor{}
	text := apply(t, p, o, discount.History{}).Explain()
	// 5,000 off is first cut to the 1,500 of the order (1,000 : 500), then line 1 keeps its
	// 900 cost: 1,000 − 100 = 900 trimmed.
	contains(t, text,
		"- big: applied, 600.00 RUB (line 1 100.00, line 2 500.00). Line 1 trimmed by 900.00 to keep the margin floor. Trimmed to the value of its lines.")

	// 50 % of 1,500 capped at 10; then 1 % of the 1,490 left = 14.90, which stops the rest.
	p = policy(discount.Sequential, capped, stop(pct("stopper", "1", 3)), pct("after", "1", 4))
	text = apply(t, p, o, discount.History{}).Explain()
	contains(t, text,
		"- capped, 50%: applied, 10.00 RUB (line 1 6.67, line 2 3.33). Trimmed by its maximum amount.",
		"- stopper, 1%: applied, 14.90 RUB",
		"- after, 1%: not applied: stopper applied and stops further discounts.")

	p = policy(discount.Exclusive, pct("first", "10", 1), pct("second", "20", 2))
	p.Cap = discount.Cap{MaxAmount: m("50")}
	text = apply(t, p, o, discount.History{}).Explain()
	contains(t, text,
		"- first, 10%: applied, 50.00 RUB (line 1 33.33, line 2 16.67). Trimmed by the order's cap.",
		"- second, 20%: not applied: first applied first and is exclusive.",
		"The order's discounts are capped at 50.00 RUB.")

	p = policy(discount.Additive, pct("x", "10", 1))
	p.Discounts[0].Condition = discount.Condition{Accounts: []loyalty.AccountID{"other"}, Until: day}
	p.Discounts = append(p.Discounts, discount.Discount{ID: "fp", Kind: discount.FixedPrice,
		Price: loyalty.MustPrice("5000", "RUB"), Scope: all})
	p.Discounts = append(p.Discounts, discount.Discount{ID: "none", Kind: discount.Percent, Percent: dec("5"),
		Scope: discount.Scope{Tags: []string{"nothing"}}})
	text = apply(t, p, o, discount.History{}).Explain()
	contains(t, text,
		"- x, 10%: not applied: the order is outside its validity period; it is reserved for other accounts.",
		"- fp: not applied: it comes to nothing on this order.",
		"- none, 5%: not applied: no line of the order is in its scope.")
}

// TestNestedBases: a group computes on the prices its parent hands it: the original prices
// under an additive parent, the prices left so far under a sequential one.
func TestNestedBases(t *testing.T) {
	o := order(line("A", "", "1", "1000", ""))
	tests := []struct {
		name       string
		top, inner discount.Stacking
		want       map[string]loyalty.Money
	}{
		// Additive parent: the group's chain starts at the original 1,000: 100, then 90.
		{"additive over sequential", discount.Additive, discount.Sequential,
			map[string]loyalty.Money{"u": m("100"), "m1": m("100"), "m2": m("90")}},
		// Sequential parent: the group starts at the 900 left: 90 and 90 (additive inside).
		{"sequential over additive", discount.Sequential, discount.Additive,
			map[string]loyalty.Money{"u": m("100"), "m1": m("90"), "m2": m("90")}},
		// Sequential in sequential: 100, 90, 81.
		{"sequential over sequential", discount.Sequential, discount.Sequential,
			map[string]loyalty.Money{"u": m("100"), "m1": m("90"), "m2": m("81")}},
		// Additive in additive: everything on the original price.
		{"additive over additive", discount.Additive, discount.Additive,
			map[string]loyalty.Money{"u": m("100"), "m1": m("100"), "m2": m("100")}},
		// Additive parent, best-of group: the better member on the original price.
		{"additive over best-of", discount.Additive, discount.BestOf,
			map[string]loyalty.Money{"u": m("100"), "m1": m("100"), "m2": m("0")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy(tt.top, pct("u", "10", 0), inGroup(pct("m1", "10", 1), "g"), inGroup(pct("m2", "10", 2), "g"))
			p.Groups = []discount.Group{{ID: "g", Stacking: tt.inner, Priority: 1}}
			r := apply(t, p, o, discount.History{})
			checkInvariants(t, o, r)
			got := map[string]loyalty.Money{}
			for _, e := range r.Entries {
				got[e.Discount] = e.Amount
			}
			diff(t, "amounts", tt.want, got)
		})
	}
}

// TestVolumeMeasuresOrderSize: a volume tier depends on the order's size, not on what
// earlier discounts left: 50 % first, then 10 % from 1,000 of the 500 left = 50. A fully
// discounted line leaves later discounts nothing to do.
func TestVolumeMeasuresOrderSize(t *testing.T) {
	o := order(line("A", "", "1", "1000", ""))
	vol := discount.Discount{ID: "vol", Kind: discount.Volume, Basis: discount.ByAmount, Scope: all, Priority: 2,
		Tiers: []discount.Tier{{From: m("1000"), Percent: dec("10")}}}
	r := apply(t, policy(discount.Sequential, pct("half", "50", 1), vol), o, discount.History{})
	diff(t, "outcomes", map[string]outcome{"half": {m("500"), 0, ""}, "vol": {m("50"), 0, ""}}, outcomes(r))

	r = apply(t, policy(discount.Sequential, pct("all", "100", 1), vol), o, discount.History{})
	diff(t, "outcomes", map[string]outcome{"all": {m("1000"), 0, ""}, "vol": {m("0"), discount.ReasonNoEffect, ""}}, outcomes(r))
}

// An order's codes enable exactly the discounts that require them, in whatever form they
// are typed, among few required codes and among more than 64 (which are looked up
// differently), codes sharing their last character included.
func TestRequiredCodesAmongMany(t *testing.T) {
	for _, k := range []int{1, 3, 64, 65, 100} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			var ds []discount.Discount
			for i := range k {
				ds = append(ds, withCode(pct(fmt.Sprintf("d%03d", i), "1", 0), fmt.Sprintf("CODE%03d", i)))
			}
			o := order(line("a", "x", "1", "1000", ""))
			// The first code in another form, the last one canonical, a code ending like
			// the first but not required, longer and shorter ones, an invalid one, and the
			// second one in full-width characters (more bytes than its canonical form).
			o.Codes = []string{"code-000", fmt.Sprintf("CODE%03d", k-1), "CODE999", "CODE0000", "ä!", "CODE", "ＣＯＤＥ００１"}
			r := apply(t, policy(discount.Additive, ds...), o, discount.History{})
			got := map[string]bool{}
			for _, e := range r.Entries {
				if e.Applied {
					got[e.Discount] = true
				} else if e.Reasons != discount.ReasonCodeMissing {
					t.Errorf("%s: reasons %v, want code-missing", e.Discount, e.Reasons)
				}
			}
			want := map[string]bool{"d000": true, fmt.Sprintf("d%03d", k-1): true}
			if k > 1 {
				want["d001"] = true // full-width
			}
			diff(t, "applied", want, got)
		})
	}
}

// An order whose quantities sum beyond range is priced as long as no discount adds up the
// quantities that overflow: a discount over the lines whose quantities overflow together
// fails with ErrOverflow, one over a single such line applies.
func TestOrderQuantityOverflow(t *testing.T) {
	huge := loyalty.QuantityFromMicros(5_000_000_000_000_000_000) // 5·10¹² units: two overflow
	l1, l2 := line("a", "x", "1", "0.01", "0.01"), line("b", "y", "1", "0.01", "")
	l1.Quantity, l2.Quantity = huge, huge
	o := order(l1, l2, line("c", "y", "2", "10", ""))
	if err := o.Validate(); err != nil {
		t.Fatalf("the order must be valid: %v", err)
	}
	_, err := mustNew(t, policy(discount.Sequential, pct("all", "10", 0))).Apply(o, discount.History{})
	if !errors.Is(err, loyalty.ErrOverflow) {
		t.Fatalf("a discount over every line: error %v, want ErrOverflow", err)
	}
	cat := discount.Discount{ID: "x", Kind: discount.Percent, Percent: dec("10"),
		Scope: discount.Scope{Categories: []loyalty.CategoryID{"x"}}}
	r := apply(t, policy(discount.Sequential, cat), o, discount.History{})
	diff(t, "discount of the line of category x", m("5000000000"), r.Discount)
	// Quantities within range, however large, overflow nothing.
	l2.Quantity = loyalty.QuantityFromMicros(4_000_000_000_000_000_000)
	r = apply(t, policy(discount.Sequential, pct("all", "10", 0)), order(l1, l2), discount.History{})
	diff(t, "discount of both lines", m("9000000000"), r.Discount)
}
