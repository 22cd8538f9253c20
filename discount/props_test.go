package discount_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

var cats = []loyalty.CategoryID{"a", "b", "c"}

func genOrder(t *rapid.T) loyalty.Order {
	n := rapid.IntRange(1, 8).Draw(t, "lines")
	o := loyalty.Order{ID: "o", Account: "acme", Currency: rub, PlacedAt: day}
	for range n {
		qty := loyalty.QuantityFromMicros(rapid.Int64Range(1, 20).Draw(t, "qty") * 1_000_000)
		if rapid.Bool().Draw(t, "fractional") {
			qty = loyalty.QuantityFromMicros(rapid.Int64Range(1, 20_000_000).Draw(t, "qtyMicros"))
		}
		priceMicros := rapid.Int64Range(10_000, 100_000_000_000).Draw(t, "price") // 0.01 … 100,000
		l := loyalty.Line{
			SKU:         loyalty.SKU(fmt.Sprintf("S%d", rapid.IntRange(0, 5).Draw(t, "sku"))),
			Category:    rapid.SampledFrom(cats).Draw(t, "cat"),
			Quantity:    qty,
			UnitPrice:   loyalty.MustPrice(decimal.New(priceMicros, -6).String(), "RUB"),
			OnPromotion: rapid.Bool().Draw(t, "promo"),
		}
		if rapid.Bool().Draw(t, "hasCost") {
			cost := rapid.Int64Range(0, priceMicros*6/5).Draw(t, "cost")
			l.UnitCost = loyalty.MustPrice(decimal.New(cost, -6).String(), "RUB")
		}
		o.Lines = append(o.Lines, l)
	}
	return o
}

func genPercent(t *rapid.T, label string) decimal.Decimal {
	return decimal.New(rapid.Int64Range(0, 10_000).Draw(t, label), -2) // 0.00 … 100.00
}

func genMoney(t *rapid.T, label string, maxUnits int64) loyalty.Money {
	v, _ := loyalty.MoneyFromMinor(rapid.Int64Range(1, maxUnits).Draw(t, label), rub)
	return v
}

func genDiscount(t *rapid.T, id string) discount.Discount {
	d := discount.Discount{ID: id, Kind: discount.Kind(rapid.IntRange(1, 9).Draw(t, "kind")),
		Priority: rapid.IntRange(0, 3).Draw(t, "priority")}
	switch d.Kind {
	case discount.Percent:
		d.Percent = genPercent(t, "percent")
	case discount.AmountOff, discount.AmountPerUnit:
		d.Amount = genMoney(t, "amount", 5_000_000)
	case discount.FixedPrice:
		d.Price = loyalty.MustPrice(decimal.New(rapid.Int64Range(0, 50_000_000_000).Draw(t, "fixed"), -6).String(), "RUB")
	case discount.BuyXGetY:
		d.Buy, d.Get = rapid.Int64Range(1, 4).Draw(t, "buy"), rapid.Int64Range(1, 3).Draw(t, "get")
	case discount.NthFree:
		d.N = rapid.Int64Range(2, 6).Draw(t, "n")
	case discount.CheapestFree:
		d.N = rapid.Int64Range(1, 6).Draw(t, "n")
	case discount.Volume:
		d.Basis = discount.ByAmount
		f1 := genMoney(t, "from", 1_000_000)
		f2, _ := f1.Add(genMoney(t, "step", 1_000_000))
		d.Tiers = []discount.Tier{{From: f1, Percent: genPercent(t, "t1")}, {From: f2, Percent: genPercent(t, "t2")}}
	case discount.Cumulative:
		d.Tiers = []discount.Tier{{Percent: genPercent(t, "c0")}, {From: genMoney(t, "cfrom", 10_000_000), Percent: genPercent(t, "c1")}}
		d.Accumulation.IncludeCurrentOrder = true
	}
	if rapid.Bool().Draw(t, "scoped") {
		d.Scope = discount.Scope{Categories: []loyalty.CategoryID{rapid.SampledFrom(cats).Draw(t, "scopeCat")}}
	} else {
		d.Scope = discount.Scope{All: true}
	}
	d.Scope.ExcludePromotional = rapid.Bool().Draw(t, "exclPromo")
	if rapid.IntRange(0, 4).Draw(t, "max") == 0 {
		d.MaxAmount = genMoney(t, "maxAmount", 1_000_000)
	}
	if rapid.IntRange(0, 4).Draw(t, "minSub") == 0 {
		d.Condition.MinSubtotal = genMoney(t, "minSubtotal", 10_000_000)
	}
	return d
}

func genPolicy(t *rapid.T, stacking discount.Stacking, k int) discount.Policy {
	p := discount.Policy{Currency: rub, Stacking: stacking}
	for i := range k {
		p.Discounts = append(p.Discounts, genDiscount(t, fmt.Sprintf("d%d", i)))
	}
	p.Discounts[0].NotWith = nil
	if k > 1 && rapid.IntRange(0, 3).Draw(t, "notWith") == 0 {
		p.Discounts[0].NotWith = []string{p.Discounts[k-1].ID}
	}
	if k > 1 && rapid.IntRange(0, 3).Draw(t, "stopAfter") == 0 {
		p.Discounts[rapid.IntRange(0, k-1).Draw(t, "stopper")].StopAfter = true
	}
	genLimits(t, &p)
	return p
}

// genGroupedPolicy is genPolicy with some discounts in up to two groups.
func genGroupedPolicy(t *rapid.T, k int) discount.Policy {
	p := genPolicy(t, genStacking(t), k)
	used := map[string]bool{}
	for i := range p.Discounts {
		if g := rapid.IntRange(0, 2).Draw(t, "group"); g > 0 {
			p.Discounts[i].Group = fmt.Sprintf("g%d", g)
			used[p.Discounts[i].Group] = true
		}
	}
	for _, g := range []string{"g1", "g2"} {
		if used[g] {
			p.Groups = append(p.Groups, discount.Group{ID: g, Stacking: genStacking(t),
				Priority: rapid.IntRange(0, 3).Draw(t, "groupPriority"), StopAfter: rapid.Bool().Draw(t, "groupStop")})
		}
	}
	return p
}

func genLimits(t *rapid.T, p *discount.Policy) {
	switch rapid.IntRange(0, 3).Draw(t, "floor") {
	case 0:
		p.Floor.Disabled = true
	case 1:
		p.Floor.MinMarkup = genPercent(t, "markup")
	case 2:
		p.Floor.MinMargin = decimal.New(rapid.Int64Range(0, 9_000).Draw(t, "margin"), -2)
	}
	if rapid.IntRange(0, 3).Draw(t, "cap") == 0 {
		p.Cap.MaxAmount = genMoney(t, "capAmount", 10_000_000)
	}
	if rapid.IntRange(0, 3).Draw(t, "capPct") == 0 {
		p.Cap.MaxPercent = genPercent(t, "capPercent")
	}
}

func genStacking(t *rapid.T) discount.Stacking {
	return discount.Stacking(rapid.IntRange(1, 4).Draw(t, "stacking"))
}

// TestPropInvariants: for any policy and order, every entry's lines sum exactly to its
// amount, no discount exceeds the price left, totals add up, and the floor and cap hold.
// Lines outside a discount's scope never receive any of it.
func TestPropInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genGroupedPolicy(t, rapid.IntRange(1, 5).Draw(t, "k"))
		o := genOrder(t)
		c, err := discount.New(p)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		r, err := c.Apply(o, discount.History{})
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		checkInvariants(t, o, r)
		byID := map[string]discount.Discount{}
		for _, d := range p.Discounts {
			byID[d.ID] = d
		}
		for _, e := range r.Entries {
			s := byID[e.Discount].Scope
			for i, a := range e.Lines {
				l := o.Lines[i]
				in := s.All || len(s.Categories) > 0 && s.Categories[0] == l.Category
				if a.IsPositive() && (!in || s.ExcludePromotional && l.OnPromotion) {
					t.Fatalf("%s gave %s to line %d outside its scope", e.Discount, a, i)
				}
			}
		}
	})
}

// TestPropOrderIndependent: permuting the list of discounts never changes the result,
// whatever the stacking: evaluation follows the declared priority (then ID) only.
func TestPropOrderIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genGroupedPolicy(t, rapid.IntRange(2, 5).Draw(t, "k"))
		o := genOrder(t)
		r1, err := discount.Evaluate(p, o, discount.History{})
		if err != nil {
			t.Fatal(err)
		}
		perm := rapid.Permutation(p.Discounts).Draw(t, "perm")
		q := p
		q.Discounts = perm
		r2, err := discount.Evaluate(q, o, discount.History{})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(r1, r2); d != "" {
			t.Fatalf("result depends on listing order (-first +permuted):\n%s", d)
		}
		// Entries are in declared priority order: units by (priority, ID), where a group's
		// are its own, and members of a group by (priority, ID) inside it.
		gprio := map[string]int{}
		for _, g := range p.Groups {
			gprio[g.ID] = g.Priority
		}
		type key struct {
			up      int
			uid     string
			mp      int
			mid, id string
		}
		keys := map[string]key{}
		for _, d := range p.Discounts {
			k := key{up: d.Priority, uid: d.ID, id: d.ID}
			if d.Group != "" {
				k = key{up: gprio[d.Group], uid: d.Group, mp: d.Priority, mid: d.ID, id: d.ID}
			}
			keys[d.ID] = k
		}
		less := func(a, b key) bool {
			if a.up != b.up {
				return a.up < b.up
			}
			if a.uid != b.uid {
				return a.uid < b.uid
			}
			if a.mp != b.mp {
				return a.mp < b.mp
			}
			return a.mid < b.mid
		}
		for i := 1; i < len(r1.Entries); i++ {
			a, b := keys[r1.Entries[i-1].Discount], keys[r1.Entries[i].Discount]
			if !less(a, b) {
				t.Fatalf("entries out of priority order: %+v before %+v", a, b)
			}
		}
	})
}

// TestPropBestOfNeverWorse: best-of gives at least what any single candidate gives alone.
func TestPropBestOfNeverWorse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPolicy(t, discount.BestOf, rapid.IntRange(1, 5).Draw(t, "k"))
		o := genOrder(t)
		best, err := discount.Evaluate(p, o, discount.History{})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, o, best)
		applied := 0
		for _, d := range p.Discounts {
			q := p
			d.NotWith = nil
			q.Discounts = []discount.Discount{d}
			alone, err := discount.Evaluate(q, o, discount.History{})
			if err != nil {
				t.Fatal(err)
			}
			if alone.Discount.MinorUnits() > best.Discount.MinorUnits() {
				t.Fatalf("%s alone gives %s, best-of only %s", d.ID, alone.Discount, best.Discount)
			}
		}
		for _, e := range best.Entries {
			if e.Applied {
				applied++
			}
		}
		if applied > 1 {
			t.Fatalf("best-of applied %d discounts", applied)
		}
	})
}

// TestPropSequentialChain: a sequential stack of percentage discounts on one line equals the
// chain of single discounts, each applied to the price the previous one left, in priority
// order.
func TestPropSequentialChain(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := rapid.IntRange(1, 4).Draw(t, "k")
		var ds []discount.Discount
		for i := range k {
			ds = append(ds, pct(fmt.Sprintf("d%d", i), genPercent(t, "p").String(), rapid.IntRange(0, 9).Draw(t, "prio")))
		}
		units := rapid.Int64Range(1, 10_000_000).Draw(t, "units")
		price, _ := loyalty.MoneyFromMinor(units, rub)
		o := order(line("A", "", "1", price.Amount(), ""))
		r, err := discount.Evaluate(policy(discount.Sequential, ds...), o, discount.History{})
		if err != nil {
			t.Fatal(err)
		}
		// The chain, by hand: sort by (priority, ID), apply one at a time.
		left := price
		for _, e := range r.Entries {
			var d discount.Discount
			for _, x := range ds {
				if x.ID == e.Discount {
					d = x
				}
			}
			cut, _ := left.MulRate(d.Percent.Shift(-2), loyalty.HalfUp)
			if !cut.Equal(e.Amount) {
				t.Fatalf("%s: %s of %s is %s, the stack gave %s", d.ID, d.Percent, left, cut, e.Amount)
			}
			left, _ = left.Sub(cut)
		}
		if !left.Equal(r.Total) {
			t.Fatalf("chain leaves %s, the stack %s", left, r.Total)
		}
	})
}

// TestPropMarginMath: the maths is consistent: the largest discount for the break-even
// uplift of d is d again; markup and margin convert back and forth.
func TestPropMarginMath(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := decimal.New(rapid.Int64Range(1, 9_999).Draw(t, "margin"), -2)
		d := decimal.New(rapid.Int64Range(0, 9_998).Draw(t, "disc"), -2)
		tol := decimal.New(1, -6)
		if d.GreaterThanOrEqual(m) {
			if _, err := discount.BreakEvenUplift(m, d); err == nil {
				t.Fatalf("BreakEvenUplift(%s, %s) accepted", m, d)
			}
			return
		}
		u, err := discount.BreakEvenUplift(m, d)
		if err != nil {
			t.Fatal(err)
		}
		back, err := discount.MaxDiscountForUplift(m, u)
		if err != nil {
			t.Fatal(err)
		}
		if back.Sub(d).Abs().GreaterThan(tol) {
			t.Fatalf("MaxDiscountForUplift(%s, %s) = %s, want %s", m, u, back, d)
		}
		k, err := discount.MarginToMarkup(m)
		if err != nil {
			t.Fatal(err)
		}
		mm, err := discount.MarkupToMargin(k)
		if err != nil {
			t.Fatal(err)
		}
		if mm.Sub(m).Abs().GreaterThan(tol) {
			t.Fatalf("margin %s → markup %s → margin %s", m, k, mm)
		}
	})
}
