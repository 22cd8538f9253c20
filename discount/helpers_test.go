package discount_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/shopspring/decimal"
)

var (
	rub = loyalty.MustCurrency("RUB")
	day = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
)

func m(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// line builds an order line: "sku", category, quantity, unit price, unit cost ("" unknown).
func line(sku, cat, qty, price, cost string, tags ...string) loyalty.Line {
	l := loyalty.Line{SKU: loyalty.SKU(sku), Category: loyalty.CategoryID(cat), Tags: tags,
		Quantity: loyalty.MustQuantity(qty), UnitPrice: loyalty.MustPrice(price, "RUB")}
	if cost != "" {
		l.UnitCost = loyalty.MustPrice(cost, "RUB")
	}
	return l
}

func order(lines ...loyalty.Line) loyalty.Order {
	return loyalty.Order{ID: "o-1", Account: "acme", Currency: rub, PlacedAt: day, Lines: lines}
}

func mustNew(t testing.TB, p discount.Policy) *discount.Calculator {
	t.Helper()
	c, err := discount.New(p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func apply(t testing.TB, p discount.Policy, o loyalty.Order, h discount.History) discount.Result {
	t.Helper()
	r, err := mustNew(t, p).Apply(o, h)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return r
}

// lineDiscounts lists the discount of every line of r.
func lineDiscounts(r discount.Result) []loyalty.Money {
	out := make([]loyalty.Money, len(r.Lines))
	for i, l := range r.Lines {
		out[i] = l.Discount
	}
	return out
}

func ms(ss ...string) []loyalty.Money {
	out := make([]loyalty.Money, len(ss))
	for i, s := range ss {
		out[i] = m(s)
	}
	return out
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// checkInvariants verifies what every result must satisfy: entries' lines sum to their
// amounts, line discounts are the sum of the applied entries, nothing goes negative, floors
// hold, and the totals add up.
// fataler is what checkInvariants needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func checkInvariants(t fataler, o loyalty.Order, r discount.Result) {
	t.Helper()
	n := len(o.Lines)
	perLine := make([]int64, n)
	var total int64
	for _, e := range r.Entries {
		if len(e.Lines) != n {
			t.Fatalf("%s: %d line amounts for %d lines", e.Discount, len(e.Lines), n)
		}
		var sum int64
		for i, a := range e.Lines {
			if a.IsNegative() {
				t.Fatalf("%s: negative amount %s on line %d", e.Discount, a, i)
			}
			sum += a.MinorUnits()
			perLine[i] += a.MinorUnits()
		}
		if sum != e.Amount.MinorUnits() {
			t.Fatalf("%s: lines sum to %d, amount is %s", e.Discount, sum, e.Amount)
		}
		if e.Applied != e.Amount.IsPositive() {
			t.Fatalf("%s: applied=%v with amount %s", e.Discount, e.Applied, e.Amount)
		}
		total += sum
	}
	var sub, tot int64
	for i, l := range r.Lines {
		want, _ := o.Lines[i].Total()
		if !l.Base.Equal(want) {
			t.Fatalf("line %d: base %s, want %s", i, l.Base, want)
		}
		if l.Discount.MinorUnits() != perLine[i] {
			t.Fatalf("line %d: discount %s, entries give %d", i, l.Discount, perLine[i])
		}
		if l.Total.IsNegative() || l.Discount.MinorUnits() > l.Base.MinorUnits() {
			t.Fatalf("line %d: discount %s exceeds base %s", i, l.Discount, l.Base)
		}
		if l.Base.MinorUnits()+0 != l.Discount.MinorUnits()+l.Total.MinorUnits() {
			t.Fatalf("line %d: %s − %s ≠ %s", i, l.Base, l.Discount, l.Total)
		}
		if l.Floor.IsPositive() {
			if l.Base.MinorUnits() >= l.Floor.MinorUnits() && l.Total.MinorUnits() < l.Floor.MinorUnits() {
				t.Fatalf("line %d: total %s below floor %s", i, l.Total, l.Floor)
			}
			if l.Base.MinorUnits() < l.Floor.MinorUnits() && l.Discount.IsPositive() {
				t.Fatalf("line %d: discounted %s although its price %s is below the floor %s", i, l.Discount, l.Base, l.Floor)
			}
		}
		sub += l.Base.MinorUnits()
		tot += l.Total.MinorUnits()
	}
	if r.Subtotal.MinorUnits() != sub || r.Total.MinorUnits() != tot || r.Discount.MinorUnits() != total ||
		sub-total != tot {
		t.Fatalf("totals: subtotal %s discount %s total %s; lines %d − %d = %d", r.Subtotal, r.Discount, r.Total, sub, total, tot)
	}
	if !r.Cap.IsZero() && r.Discount.MinorUnits() > r.Cap.MinorUnits() {
		t.Fatalf("discount %s exceeds the cap %s", r.Discount, r.Cap)
	}
}

func contains(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("text does not contain %q:\n%s", p, text)
		}
	}
}
