package discount_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"pgregory.net/rapid"
)

// A Calculator reuses the scratch memory of finished evaluations: a result must share none
// of it, however many orders of whatever sizes are priced after it, and pricing the same
// order again must give the same result.
func TestApplyResultsAreIndependent(t *testing.T) {
	c := mustNew(t, benchPolicy())
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	sizes := []int{10, 1, 100, 3, 10, 57}
	first := make([]discount.Result, len(sizes))
	for i, n := range sizes {
		r, err := c.Apply(benchOrder(n), h)
		if err != nil {
			t.Fatal(err)
		}
		first[i] = r
	}
	for round := range 3 {
		for i, n := range sizes {
			// A fresh Calculator has never pooled anything: its result is the reference.
			want := apply(t, benchPolicy(), benchOrder(n), h)
			if d := cmp.Diff(want, first[i]); d != "" {
				t.Fatalf("round %d, order of %d lines: the first result changed (-want +got):\n%s", round, n, d)
			}
			got, err := c.Apply(benchOrder(n), h)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("round %d, order of %d lines (-want +got):\n%s", round, n, d)
			}
		}
	}
}

// ApplyInto gives exactly what Apply gives, into a Result reused for orders of every size,
// for policies whose discounts have notes on some orders and not on others; an error
// leaves the Result empty and the next call works again.
func TestApplyIntoReusesResult(t *testing.T) {
	c := mustNew(t, benchPolicy())
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	var res discount.Result
	for round, n := range []int{10, 1, 100, 3, 10, 57, 2, 100} {
		o := benchOrder(n)
		want, err := c.Apply(o, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ApplyInto(&res, o, h); err != nil {
			t.Fatalf("ApplyInto: %v", err)
		}
		if d := cmp.Diff(want, res); d != "" {
			t.Fatalf("round %d, order of %d lines (-Apply +ApplyInto):\n%s", round, n, d)
		}
		if round == 3 {
			bad := o
			bad.Currency = loyalty.MustCurrency("USD")
			_, wantErr := c.Apply(bad, h)
			err := c.ApplyInto(&res, bad, h)
			if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
				t.Fatalf("ApplyInto error %v, Apply error %v", err, wantErr)
			}
			if len(res.Lines) != 0 || len(res.Entries) != 0 || !res.Total.IsZero() {
				t.Fatalf("after an error the result holds %+v", res)
			}
		}
	}
}

// For any policy and any two orders, pricing the second into the Result of the first, with
// ApplyInto or with ApplyChecked (a valid order with its line totals, or nil totals), gives
// what Apply gives for it.
func TestPropPricingIntoAReusedResultMatchesApply(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, err := discount.New(genGroupedPolicy(t, rapid.IntRange(1, 5).Draw(t, "k")))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		var res discount.Result
		for i := range 2 {
			o := genOrder(t)
			want, err := c.Apply(o, discount.History{})
			if err != nil {
				t.Fatal(err)
			}
			how := rapid.SampledFrom([]string{"ApplyInto", "ApplyChecked"}).Draw(t, "how")
			if how == "ApplyInto" {
				err = c.ApplyInto(&res, o, discount.History{})
			} else {
				totals, terr := o.LineTotals()
				if terr != nil {
					t.Fatal(terr)
				}
				if rapid.Bool().Draw(t, "nilTotals") {
					totals = nil
				}
				err = c.ApplyChecked(&res, o, discount.History{}, totals)
			}
			if err != nil {
				t.Fatalf("%s: %v", how, err)
			}
			if d := cmp.Diff(want, res); d != "" {
				t.Fatalf("order %d (-Apply +%s):\n%s", i, how, d)
			}
		}
	})
}

// ApplyChecked refuses totals that do not match the lines, and on orders that are not valid
// (which it does not check) or totals that are not the lines' it returns whatever it
// returns, but never panics.
func TestApplyCheckedBadInput(t *testing.T) {
	c := mustNew(t, benchPolicy())
	o := benchOrder(3)
	res := discount.Result{Lines: make([]discount.LineResult, 5)}
	err := c.ApplyChecked(&res, o, discount.History{}, make([]loyalty.Money, 2))
	if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "totals") {
		t.Fatalf("2 totals for 3 lines: %v", err)
	}
	if len(res.Lines) != 0 {
		t.Fatalf("after an error the result holds %d lines", len(res.Lines))
	}
	rapid.Check(t, func(t *rapid.T) {
		c, err := discount.New(genGroupedPolicy(t, rapid.IntRange(1, 5).Draw(t, "k")))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		o := genOrder(t)
		o.Lines = o.Lines[:rapid.IntRange(0, len(o.Lines)).Draw(t, "keep")]
		totals := make([]loyalty.Money, len(o.Lines))
		for i := range o.Lines {
			l := &o.Lines[i]
			l.Quantity = loyalty.QuantityFromMicros(rapid.Int64Range(-5_000_000, 5_000_000).Draw(t, "qty"))
			if rapid.Bool().Draw(t, "badPrice") {
				l.UnitPrice = loyalty.Price{}
			}
			totals[i], _ = loyalty.MoneyFromMinor(rapid.Int64Range(-1_000_000, 1_000_000_000).Draw(t, "total"), rub)
		}
		var res discount.Result
		_ = c.ApplyChecked(&res, o, discount.History{}, totals)
		_ = c.ApplyChecked(&res, o, discount.History{}, nil)
	})
}

// Nothing of what a reused Result held leaks into the next result, whatever it held: every
// field of every entry and line is written again.
func TestApplyIntoOverwritesEverything(t *testing.T) {
	c := mustNew(t, benchPolicy())
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	for _, n := range []int{1, 10, 30} {
		o := benchOrder(n)
		want, err := c.Apply(o, h)
		if err != nil {
			t.Fatal(err)
		}
		junk := discount.Entry{Discount: "junk", Name: "junk", Kind: discount.FixedPrice, Group: "junk",
			Applied: true, Amount: m("1"), Lines: make([]loyalty.Money, 40), Reasons: discount.ReasonStopped | discount.ReasonPersonal,
			By: "junk", Forgone: m("2"), Percent: dec("99"), Tier: 7,
			Have: discount.Measure{Amount: m("3")}, Need: discount.Measure{Quantity: loyalty.MustQuantity("4")},
			Notes: []discount.LineNote{{Line: 9, Reason: discount.ReasonExcluded, Amount: m("5")}}}
		for i := range junk.Lines {
			junk.Lines[i] = m("6")
		}
		res := discount.Result{Order: "junk", Subtotal: m("7"), Discount: m("8"), Total: m("9"), Cap: m("10")}
		for range 8 {
			e := junk
			e.Lines = append([]loyalty.Money(nil), junk.Lines...)
			e.Notes = append(make([]discount.LineNote, 0, 40), junk.Notes...)
			res.Entries = append(res.Entries, e)
			res.Lines = append(res.Lines, discount.LineResult{Base: m("1"), Discount: m("2"), Total: m("3"), Floor: m("4")})
		}
		if err := c.ApplyInto(&res, o, h); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, res); d != "" {
			t.Fatalf("order of %d lines (-Apply +ApplyInto over junk):\n%s", n, d)
		}
	}
}

// One Calculator prices orders of different sizes from many goroutines at once, by Apply and
// by ApplyInto into a Result per goroutine (run with -race): the pooled scratch memory of
// one evaluation never shows in another's result.
func TestConcurrentApplyInto(t *testing.T) {
	c := mustNew(t, benchPolicy())
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	sizes := []int{1, 3, 10, 17}
	want := make([]discount.Result, len(sizes))
	for i, n := range sizes {
		want[i] = apply(t, benchPolicy(), benchOrder(n), h)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res discount.Result
			for k := range 12 {
				i := (g + k) % len(sizes)
				var err error
				if k%2 == 0 {
					err = c.ApplyInto(&res, benchOrder(sizes[i]), h)
				} else {
					res, err = c.Apply(benchOrder(sizes[i]), h)
				}
				if err != nil {
					errs <- err.Error()
					return
				}
				if d := cmp.Diff(want[i], res); d != "" {
					errs <- fmt.Sprintf("order of %d lines (-want +got):\n%s", sizes[i], d)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// UseMemory places a pricing in memory the caller provides: the result is Apply's, its
// Lines, Entries and entries' Lines are the memory given (the arena holds them all), and
// the pricing allocates nothing. Memory too small for the order is replaced by new memory,
// with the same result. (The race detector's sync.Pool drops the scratch memory of finished
// evaluations at random: the allocations are counted without it.)
func TestUseMemory(t *testing.T) {
	h := discount.History{Carried: m("15000"), Purchases: []discount.Purchase{bought(30, "6000"), bought(10, "2000")}}
	for _, p := range []discount.Policy{benchPolicy(), enginePolicy()} {
		c := mustNew(t, p)
		k := c.Candidates()
		if k != len(p.Discounts) {
			t.Fatalf("Candidates() = %d, want %d", k, len(p.Discounts))
		}
		for _, n := range []int{1, 10, 30} {
			o := engineOrder(n)
			totals, err := o.LineTotals()
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.Apply(o, h)
			if err != nil {
				t.Fatal(err)
			}
			// One arena for two results, as a caller keeping several would lay it out.
			lines := make([]discount.LineResult, 2*n)
			entries := make([]discount.Entry, 2*k)
			amounts := make([]loyalty.Money, 2*k*n)
			var res discount.Result
			allocs := testing.AllocsPerRun(10, func() {
				res.UseMemory(lines[n:], entries[k:], amounts[k*n:])
				if err := c.ApplyChecked(&res, o, h, totals); err != nil {
					t.Fatal(err)
				}
			})
			if d := cmp.Diff(want, res); d != "" {
				t.Fatalf("order of %d lines (-Apply +into the arena):\n%s", n, d)
			}
			if allocs != 0 && !raceEnabled {
				t.Errorf("order of %d lines: %v allocations into the arena, want 0", n, allocs)
			}
			if &res.Lines[0] != &lines[n] || &res.Entries[0] != &entries[k] {
				t.Errorf("order of %d lines: the result's lines or entries are not the arena's", n)
			}
			for i, e := range res.Entries {
				if &e.Lines[0] != &amounts[(k+i)*n] {
					t.Errorf("order of %d lines: entry %d's lines are not the arena's", n, i)
				}
			}
			// Too little memory: new memory where it is missing, the same result.
			for _, small := range []struct {
				lines   []discount.LineResult
				entries []discount.Entry
				amounts []loyalty.Money
			}{
				{nil, nil, nil},
				{lines[:n-1], entries[:k], amounts[:k*n-1]},
				{lines[:n], entries[:k-1], amounts[:(k-1)*n]},
				{lines[:n], entries[:k], nil},
			} {
				var r discount.Result
				r.UseMemory(small.lines, small.entries, small.amounts)
				if err := c.ApplyInto(&r, o, h); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, r); d != "" {
					t.Fatalf("order of %d lines, small memory (-Apply +ApplyInto):\n%s", n, d)
				}
			}
		}
	}
}

// TestPropCalculatorReuseLeavesNoTrace checks that a Calculator that priced other orders
// before (its pooled scratch memory reused without being cleared) prices an order exactly as
// a new Calculator of the same policy does: several orders in a row, of 1 to about 30 lines,
// across the 16 lines the stack buffers hold.
func TestPropCalculatorReuseLeavesNoTrace(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genGroupedPolicy(t, rapid.IntRange(1, 5).Draw(t, "k"))
		c, err := discount.New(p)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		var h discount.History
		if rapid.Bool().Draw(t, "carried") {
			h.Carried = genMoney(t, "carriedAmount", 10_000_000)
		}
		for i := range rapid.IntRange(2, 5).Draw(t, "orders") {
			o := genOrder(t)
			for len(o.Lines) <= 24 && rapid.Bool().Draw(t, "more") {
				o.Lines = append(o.Lines, genOrder(t).Lines...)
			}
			fresh, err := discount.New(p)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			want, werr := fresh.Apply(o, h)
			got, gerr := c.Apply(o, h)
			if fmt.Sprint(werr) != fmt.Sprint(gerr) {
				t.Fatalf("order %d: error %v, a new Calculator's %v", i, gerr, werr)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("order %d of %d lines (-new Calculator +reused):\n%s", i, len(o.Lines), d)
			}
		}
	})
}
