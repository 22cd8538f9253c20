package campaign

import (
	"slices"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"pgregory.net/rapid"
)

// priceFor reprices a line exactly: for any quantity below 10,000 units (5,000 for a free
// line) and any total up to the line's value before discounts, the six-decimal unit price
// it finds gives that total back.
func TestPriceForIsExact(t *testing.T) {
	rub := loyalty.MustCurrency("RUB")
	rapid.Check(t, func(t *rapid.T) {
		q := loyalty.QuantityFromMicros(rapid.Int64Range(1, 9_999_999_999).Draw(t, "quantity"))
		unit, err := loyalty.PriceFromMicros(rapid.Int64Range(1, 10_000_000_000_000).Draw(t, "unit price"), loyalty.MustCurrency("RUB"))
		if err != nil {
			t.Fatal(err)
		}
		base, err := unit.Times(q, loyalty.HalfUp)
		if err != nil {
			t.Fatal(err) // at most 10,000,000 × 10,000: in range
		}
		minor := rapid.Int64Range(0, base.MinorUnits()).Draw(t, "total")
		if minor == 0 && q.Micros() >= 5_000_000_000 {
			minor = 1
		}
		total, err := loyalty.MoneyFromMinor(minor, rub)
		if err != nil {
			t.Fatal(err)
		}
		p, pt, exact, err := priceFor(total, q)
		if err != nil {
			t.Fatal(err)
		}
		if !exact || !pt.Equal(total) {
			t.Fatalf("priceFor(%s, %s) = %s, total %s, exact %v; want the total back, exact", total, q, p, pt, exact)
		}
		got, err := p.Times(q, loyalty.HalfUp)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(total) {
			t.Fatalf("%s × %s = %s, want %s", p, q, got, total)
		}
	})
}

// exactBounds never claim more than priceFor finds: whenever it reports a line's total as
// exact, priceFor returns that total, exactly, in every currency's digits and at the edges
// of its bounds (quantities of one minor unit's worth of micro-units, totals near the limit).
func TestExactBoundsAgreeWithPriceFor(t *testing.T) {
	curs := []loyalty.Currency{loyalty.MustCurrency("JPY"), loyalty.MustCurrency("RUB"), loyalty.MustCurrency("KWD"), loyalty.MustCurrency("CLF")}
	rapid.Check(t, func(t *rapid.T) {
		cur := rapid.SampledFrom(curs).Draw(t, "currency")
		scale := microScale[cur.Digits()]
		qm := rapid.OneOf(rapid.Int64Range(-1, 20_000_000_000), rapid.Int64Range(1_000_000*scale-2, 1_000_000*scale+2)).Draw(t, "quantity")
		limit := int64(1<<63-1) / 1_000_000 / scale
		minor := rapid.OneOf(rapid.Int64Range(-1, 1_000_000_000), rapid.Int64Range(limit-2, limit+2)).Draw(t, "total")
		total, err := loyalty.MoneyFromMinor(minor, cur)
		if err != nil {
			t.Fatal(err)
		}
		q := loyalty.QuantityFromMicros(qm)
		if x := newExactBounds(total.Currency()); !x.exact(total, q) {
			return
		}
		_, pt, exact, err := priceFor(total, q)
		if err != nil || !exact || !pt.Equal(total) {
			t.Fatalf("exactBounds.exact(%s, %s), but priceFor gives %s, exact %v, %v", total, q, pt, exact, err)
		}
	})
}

// paidTotalsInto gives the line totals of the order paidOrder reprices.
func TestPaidTotalsAreThoseOfThePaidOrder(t *testing.T) {
	rub := loyalty.MustCurrency("RUB")
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "lines")
		o := loyalty.Order{ID: "o", Currency: rub}
		var lines []discount.LineResult
		for i := 0; i < n; i++ {
			q := loyalty.QuantityFromMicros(rapid.OneOf(rapid.Int64Range(1, 50_000_000_000), rapid.Int64Range(9_999_000_000, 10_001_000_000)).Draw(t, "quantity"))
			unit, err := loyalty.PriceFromMicros(rapid.Int64Range(1, 10_000_000_000).Draw(t, "unit price"), rub)
			if err != nil {
				t.Fatal(err)
			}
			base, err := unit.Times(q, loyalty.HalfUp)
			if err != nil {
				t.Fatal(err)
			}
			o.Lines = append(o.Lines, loyalty.Line{SKU: "s", Quantity: q, UnitPrice: unit})
			total := base
			if rapid.Bool().Draw(t, "discounted") {
				total, _ = loyalty.MoneyFromMinor(rapid.Int64Range(0, base.MinorUnits()).Draw(t, "total"), rub)
			}
			disc, _ := base.Sub(total)
			lines = append(lines, discount.LineResult{Base: base, Discount: disc, Total: total})
		}
		base, err := o.LineTotals()
		if err != nil {
			t.Fatal(err)
		}
		paid, err := paidOrder(o, lines)
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := paid.LineTotals()
		got := make([]loyalty.Money, n)
		ok, err := paidTotalsInto(got, base, o.Lines, lines)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (wantErr == nil) {
			t.Fatalf("paidTotalsInto ok %v, the paid order's totals: %v", ok, wantErr)
		}
		if ok && !slices.Equal(got, want) {
			t.Fatalf("paid totals %v, want %v", got, want)
		}
	})
}
