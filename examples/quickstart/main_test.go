package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQuickstartOutput(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	// Line totals: 1000 × 0.3555 = 355.50; 40.25 × 52.99 = 2132.8475 → 2132.85;
	// 2 × 8999.90 = 17999.80. Subtotal 20488.15; 5% of it is 1024.4075 → 1024.41.
	// Costs: 210.00 + 1895.775 → 1895.78 + 12200.00 = 14305.78; profit 6182.37 before and
	// 5157.96 after; 1024.41 / 6182.37 = 16.57% of the profit.
	want := `Order order-42 for acme-logistics, 3 lines:
  bolt-m8       1000 × 0.3555 RUB   = 355.50 RUB
  diesel       40.25 × 52.99 RUB    = 2132.85 RUB
  drill-x2         2 × 8999.90 RUB  = 17999.80 RUB
Subtotal: 20488.15 RUB
5% discount: 1024.41 RUB, per line [17.78 RUB 106.64 RUB 899.99 RUB]
Gross profit: 6182.37 RUB before, 5157.96 RUB after: the 5% discount gives away 16.57% of the profit.
A bad order is refused:
lines[0].quantity: must be positive (got -5)
lines[0].unit_price: must be in the order currency RUB (got "52.99 USD")
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
