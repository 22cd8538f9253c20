package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// want is the whole output. Every figure is worked out here from the program's rules, not
// copied from the program:
//
//   - Lines: 2 drills × 12,500 = 25,000.00 (cost 2 × 9,000 = 18,000); 10 bits × 99.90 =
//     999.00 (cost 600). Subtotal 25,999.00, cost 18,600, profit 7,399.00 before discounts.
//   - The personal discount counts this order: 25,999 ≥ 10,000 gives 5%: 1,250.00 on the
//     drills and 49.95 on the bits, 1,299.95 in all; to pay 24,699.05; profit
//     7,399.00 − 1,299.95 = 6,099.05. No points pay for the order, so "after points" is the same.
//   - Points: 1 per full 100 of 24,699.05 paid: 246 points. Split by value: the drills'
//     23,750.00 / 24,699.05 × 246 = 236.55, the bits' 949.05 / 24,699.05 × 246 = 9.45; floors
//     236 + 9 = 245, the larger remainder (0.55) gets the last point: 237 and 9.
//   - Commit credits the 246 points; the same key again replays the receipt.
//   - An hour later the purchases counted for the discount are the 24,699.05 paid.
//   - Returning 1 of the 2 drills pays back half of 23,750.00 = 11,875.00, and takes back
//     half of the drills' 237 points: 118.5 by largest remainder over the halves [1, 1], the
//     tie going to the first part, the returned one: 119. Balance 246 − 119 = 127; counted
//     purchases 24,699.05 − 11,875.00 = 12,824.05.
const want = `1. Evaluate (a dry run, nothing written):
Order order-42 of account acme: subtotal 25999.00 RUB, discounts 1299.95 RUB, paid with points 0.00 RUB, to pay 24699.05 RUB.
Subtotal 25999.00 RUB, discount 1299.95 RUB, total 24699.05 RUB.
- personal (personal discount), 5%: applied, 1299.95 RUB (line 1 1250.00, line 2 49.95).
Account acme earns 246 points (246 by the earning rules).
Gross profit 7399.00 RUB before discounts, 6099.05 RUB after discounts, 6099.05 RUB after points (costs known for every line).

2. Commit: 246 points credited to acme.
   The same commit sent again: replayed=true, still 246 points.
   Balance: 246 points available (246 earned, 0 taken back by returns); purchases counted for the personal discount: 24699.05 RUB.

3. Return of 1 drill: 11875.00 RUB paid back, 119 points taken back.
   Balance: 127 points available (246 earned, 119 taken back by returns); purchases counted for the personal discount: 12824.05 RUB.
`

func TestQuickstartOutput(t *testing.T) {
	var out strings.Builder
	if err := run(&out, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// The program is deterministic: a second run in the same process prints the same text.
func TestQuickstartRepeatable(t *testing.T) {
	var a, b strings.Builder
	if err := run(&a, nil); err != nil {
		t.Fatal(err)
	}
	if err := run(&b, nil); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("two runs printed different output")
	}
}

func TestQuickstartRejectsArguments(t *testing.T) {
	var out strings.Builder
	if err := run(&out, []string{"extra"}); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("run with an argument: %v, want an unexpected-arguments error", err)
	}
}
