package campaign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// jsonSameOutcome is the comparison Commit used before sameOutcome: the quotes' JSON
// encodings, without the time of evaluation, the dates that follow from it and the balance
// read for the redemption. sameOutcome must agree with it on every pair of quotes.
func jsonSameOutcome(a, b Quote) (bool, error) {
	ja, err := json.Marshal(jsonOutcome(a))
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal(jsonOutcome(b))
	if err != nil {
		return false, err
	}
	return bytes.Equal(ja, jb), nil
}

func jsonOutcome(q Quote) Quote {
	q.At = time.Time{}
	q.Earnings = append([]Earning(nil), q.Earnings...)
	for i := range q.Earnings {
		q.Earnings[i].ActivatesAt, q.Earnings[i].ExpiresAt = time.Time{}, time.Time{}
	}
	if q.Redemption != nil {
		r := *q.Redemption
		r.Available = 0
		if r.Reason == "insufficient-points" {
			r.Message = ""
		}
		q.Redemption = &r
	}
	return q
}

// The values a leaf of a quote takes in these tests: few, so that random quotes often agree,
// and with distinct representations of one JSON text (1.5 and 1.50, one instant in two
// zones with the same offset, the zero amount with and without a currency).
var (
	rubC, usdC = loyalty.MustCurrency("RUB"), loyalty.MustCurrency("USD")
	instant    = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	leafSets   = map[reflect.Type][]any{
		reflect.TypeFor[loyalty.Money](): {loyalty.Money{}, loyalty.Zero(rubC), loyalty.Zero(usdC),
			mustMinor(150, rubC), mustMinor(150, usdC), mustMinor(-1, rubC)},
		reflect.TypeFor[loyalty.Price](): {loyalty.Price{}, mustPrice(1_500_000, rubC), mustPrice(1_500_000, usdC),
			mustPrice(1, rubC)},
		reflect.TypeFor[loyalty.Quantity](): {loyalty.Quantity{}, loyalty.QuantityFromMicros(1_000_000),
			loyalty.QuantityFromMicros(2_500_000)},
		reflect.TypeFor[loyalty.Currency](): {loyalty.Currency{}, rubC, usdC},
		reflect.TypeFor[decimal.Decimal](): {decimal.Decimal{}, decimal.Zero, decimal.New(15, -1), decimal.New(150, -2),
			decimal.New(2, 0), decimal.New(-1, 0)},
		reflect.TypeFor[time.Time](): {time.Time{}, instant, instant.In(time.FixedZone("MSK", 3*3600)),
			instant.In(time.FixedZone("Z0", 0)), instant.Add(time.Nanosecond), instant.Add(3 * time.Hour).In(time.FixedZone("X", 3*3600)),
			instant.In(time.FixedZone("LMT", 3*3600+17))},
		reflect.TypeFor[discount.Kind](): {discount.Percent, discount.AmountOff, discount.Cumulative},
		reflect.TypeFor[discount.Reason](): {discount.Reason(0), discount.ReasonCodeMissing,
			discount.ReasonExcluded | discount.ReasonTrimmedByCap},
	}
	strings_ = []string{"", "a", "b", "insufficient-points"}
	ints     = []int64{-1, 0, 1, 2}
)

func mustMinor(units int64, cur loyalty.Currency) loyalty.Money {
	m, err := loyalty.MoneyFromMinor(units, cur)
	if err != nil {
		panic(err)
	}
	return m
}

func mustPrice(micros int64, cur loyalty.Currency) loyalty.Price {
	p, err := loyalty.PriceFromMicros(micros, cur)
	if err != nil {
		panic(err)
	}
	return p
}

// leafValues returns the values a leaf of type t takes, or nil when t is not a leaf.
func leafValues(t reflect.Type) []reflect.Value {
	var out []reflect.Value
	if set, ok := leafSets[t]; ok {
		for _, v := range set {
			out = append(out, reflect.ValueOf(v))
		}
		return out
	}
	switch t.Kind() {
	case reflect.String:
		for _, s := range strings_ {
			out = append(out, reflect.ValueOf(s).Convert(t))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		for _, n := range ints {
			out = append(out, reflect.ValueOf(n).Convert(t))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		for _, n := range ints[1:] {
			out = append(out, reflect.ValueOf(uint64(n)).Convert(t))
		}
	case reflect.Bool:
		out = []reflect.Value{reflect.ValueOf(false), reflect.ValueOf(true)}
	}
	return out
}

// fill sets v (settable) to a value chosen by pick(n, what), which returns an index below n
// (what is reflect.Pointer or reflect.Slice when it chooses a pointer or a slice length):
// leaves from their sets, slices of 0–2 elements (nil or empty when 0), pointers nil or set.
func fill(v reflect.Value, pick func(n int, what reflect.Kind) int) {
	t := v.Type()
	if vals := leafValues(t); vals != nil {
		v.Set(vals[pick(len(vals), 0)])
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if t.Field(i).IsExported() {
				fill(v.Field(i), pick)
			}
		}
	case reflect.Pointer:
		if pick(3, reflect.Pointer) == 0 {
			v.Set(reflect.Zero(t))
			return
		}
		p := reflect.New(t.Elem())
		fill(p.Elem(), pick)
		v.Set(p)
	case reflect.Slice:
		n := pick(4, reflect.Slice) - 1 // -1: nil
		if n < 0 {
			v.Set(reflect.Zero(t))
			return
		}
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			fill(s.Index(i), pick)
		}
		v.Set(s)
	default:
		panic(fmt.Sprintf("no values for %v", t))
	}
}

// deepCopy returns a copy of v sharing no slice or pointer with it.
func deepCopy(v reflect.Value) reflect.Value {
	t := v.Type()
	out := reflect.New(t).Elem()
	if leafValues(t) != nil {
		out.Set(v)
		return out
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if t.Field(i).IsExported() {
				out.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			p := reflect.New(t.Elem())
			p.Elem().Set(deepCopy(v.Elem()))
			out.Set(p)
		}
	case reflect.Slice:
		if !v.IsNil() {
			s := reflect.MakeSlice(t, v.Len(), v.Len())
			for i := range v.Len() {
				s.Index(i).Set(deepCopy(v.Index(i)))
			}
			out.Set(s)
		}
	}
	return out
}

// site is a place in a quote where a mutation applies: a leaf, a slice or a pointer, with
// the path that names it in failures.
type site struct {
	v    reflect.Value
	path string
}

func sites(v reflect.Value, path string, out *[]site) {
	t := v.Type()
	*out = append(*out, site{v, path})
	if leafValues(t) != nil {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := t.Field(i); f.IsExported() {
				sites(v.Field(i), path+"."+f.Name, out)
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			sites(v.Elem(), path, out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			sites(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

// mutations are the changes a site allows: every other leaf value; for a slice nil, empty,
// one element fewer or one more; for a pointer nil; for a struct nothing of its own.
func mutations(v reflect.Value) []func() {
	t := v.Type()
	var out []func()
	if vals := leafValues(t); vals != nil {
		for _, x := range vals {
			out = append(out, func() { v.Set(x) })
		}
		return out
	}
	switch t.Kind() {
	case reflect.Pointer:
		out = append(out, func() { v.Set(reflect.Zero(t)) })
	case reflect.Slice:
		out = append(out,
			func() { v.Set(reflect.Zero(t)) },
			func() { v.Set(reflect.MakeSlice(t, 0, 0)) })
		if n := v.Len(); n > 0 {
			out = append(out,
				func() { v.Set(v.Slice(0, n-1)) },
				func() { v.Set(reflect.Append(v, deepCopy(v.Index(0)))) })
		}
	}
	return out
}

// check compares the two comparisons on a and b, both ways.
func checkSame(t interface{ Fatalf(string, ...any) }, a, b Quote, what string) bool {
	want, err := jsonSameOutcome(a, b)
	if err != nil {
		t.Fatalf("%s: JSON: %v", what, err)
	}
	if got := sameOutcome(&a, &b); got != want {
		t.Fatalf("%s: sameOutcome = %v, the JSON comparison says %v", what, got, want)
	}
	if got := sameOutcome(&b, &a); got != want {
		t.Fatalf("%s: sameOutcome reversed = %v, the JSON comparison says %v", what, got, want)
	}
	return want
}

// fullQuote is a quote with every pointer set, every slice of two elements and every leaf
// at its value of index leaf (0 is the zero value).
func fullQuote(leaf int) Quote {
	var q Quote
	fill(reflect.ValueOf(&q).Elem(), func(n int, what reflect.Kind) int {
		switch what {
		case reflect.Slice:
			return 3 // two elements
		case reflect.Pointer:
			return 1 // set
		}
		return min(leaf, n-1)
	})
	return q
}

// Every place of a quote is mutated in every pair of ways the tests know, one place at a
// time, from a quote of zero leaves and from one of non-zero leaves: sameOutcome must agree
// with the JSON comparison each time, and every field but the ones the outcome leaves out
// must make a difference for some mutation.
func TestSameOutcomeEveryField(t *testing.T) {
	checked := 0
	for leaf := range 2 {
		base := fullQuote(leaf)
		var all []site
		sites(reflect.ValueOf(&base).Elem(), "quote", &all)
		ignored := map[string]bool{"quote.At": true, "quote.Redemption.Available": true}
		for i := range base.Earnings {
			ignored[fmt.Sprintf("quote.Earnings[%d].ActivatesAt", i)] = true
			ignored[fmt.Sprintf("quote.Earnings[%d].ExpiresAt", i)] = true
		}
		// variants are base (first) and base with each mutation of one site, with the JSON
		// of their outcomes.
		var variants []Quote
		var texts [][]byte
		for k, s := range all {
			n := len(mutations(s.v))
			variants, texts = variants[:0], texts[:0]
			for j := -1; j < n; j++ {
				b := deepCopy(reflect.ValueOf(base)).Interface().(Quote)
				if j >= 0 {
					var bs []site
					sites(reflect.ValueOf(&b).Elem(), "quote", &bs)
					mutations(bs[k].v)[j]()
				}
				text, err := json.Marshal(jsonOutcome(b))
				if err != nil {
					t.Fatalf("leaves %d, %s, mutation %d: JSON: %v", leaf, s.path, j, err)
				}
				variants, texts = append(variants, b), append(texts, text)
			}
			differs := false
			for i := range variants {
				for j := i + 1; j < len(variants); j++ {
					want := bytes.Equal(texts[i], texts[j])
					if got := sameOutcome(&variants[i], &variants[j]); got != want {
						t.Fatalf("leaves %d, %s, mutations %d and %d: sameOutcome = %v, the JSON comparison says %v",
							leaf, s.path, i-1, j-1, got, want)
					}
					if got := sameOutcome(&variants[j], &variants[i]); got != want {
						t.Fatalf("leaves %d, %s, mutations %d and %d: sameOutcome reversed = %v, the JSON comparison says %v",
							leaf, s.path, j-1, i-1, got, want)
					}
					differs = differs || !want
					checked++
				}
			}
			if n > 0 && !differs && !ignored[s.path] {
				t.Errorf("leaves %d, %s: no mutation changes the outcome", leaf, s.path)
			}
			if differs && ignored[s.path] {
				t.Errorf("leaves %d, %s: a mutation changes the outcome, which must leave it out", leaf, s.path)
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d mutations checked", checked)
	}
}

// On random quotes and random mutations of them, sameOutcome agrees with the JSON
// comparison.
func TestSameOutcomeMatchesJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var a Quote
		fill(reflect.ValueOf(&a).Elem(), func(n int, _ reflect.Kind) int { return rapid.IntRange(0, n-1).Draw(t, "pick") })
		b := deepCopy(reflect.ValueOf(a)).Interface().(Quote)
		for range rapid.IntRange(0, 3).Draw(t, "mutations") {
			var bs []site
			sites(reflect.ValueOf(&b).Elem(), "quote", &bs)
			s := bs[rapid.IntRange(0, len(bs)-1).Draw(t, "site")]
			if ms := mutations(s.v); len(ms) > 0 {
				ms[rapid.IntRange(0, len(ms)-1).Draw(t, "mutation")]()
			}
		}
		checkSame(t, a, b, "random quotes")
	})
}
