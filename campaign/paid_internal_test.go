package campaign

import (
	"testing"

	"github.com/loyaltykit/loyalty"
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
