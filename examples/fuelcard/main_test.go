package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// want is the whole output. Every figure is worked out here from the card's rules, not
// copied from the program:
//
//  1. The first visit: the card 250.00 (excluded), AI-95 45.5 l × 56.20 = 2,557.10,
//     coffee 150.00, 2 snacks × 95 = 190.00; subtotal 3,147.10. Fuel: 255 full tens of
//     2,557.10 → 255 points. Shop: the rate's lines add up to 340.00, 34 full tens × 3 =
//     102 points, split by value 150:190 → 45 and 57 (exact). 357 in all. No line has a cost.
//  2. Diesel at 61.50: 400 l = 24,600.00 → 2,460; 355.8 l = 21,881.70 → 2,188;
//     512.25 l = 31,503.375 → 31,503.38 (half up) → 3,150; 298 l = 18,327.00 → 1,832.
//     Balances 357 + 2,460 = 2,817; 5,005; 8,155; 9,987. Weekly from 2 March: 9, 16, 23, 30.
//  3. The reward spends 3,999: 9,987 − 3,999 = 5,988. The card has no point value, so a
//     redemption on an order is refused and the coffee costs its 150.00.
//  4. 20 × 56.20 = 1,124.00 for 3,999 points: a point is 0.28107… → 0.28 RUB. Fuel returns
//     1/10 × 1,124/3,999 = 2.8107…% → 2.81%; shop goods 3 × that = 8.4321…% → 8.43%.
const want = `Fuel card: what each purchase earns
  fuel:                    1 point per full 10 (fuel)
  shop goods and services: 3 points per full 10
  the card itself (250):   nothing
  points buy: 20 litres of any fuel for 3999 points; they cannot pay for orders

1. The first visit
Order r-1 of account fleet-7: subtotal 3147.10 RUB, discounts 0.00 RUB, paid with points 0.00 RUB, to pay 3147.10 RUB.
Account fleet-7 earns 357 points (357 by the earning rules).
Gross profit unknown: no line has a known cost.
Points line by line:
   card (250.00 RUB): no points, excluded from earning
   ai95 (2557.10 RUB): 255 points at 1 point per full 10 (fuel)
   coffee (150.00 RUB): 45 points at 3 points per full 10
   snack (190.00 RUB): 57 points at 3 points per full 10
   total: 357 points

2. A month of diesel for the fleet
  date       order                    purchase  points  balance
  2026-03-09 r-2          400 l = 24600.00 RUB    2460     2817
  2026-03-16 r-3        355.8 l = 21881.70 RUB    2188     5005
  2026-03-23 r-4       512.25 l = 31503.38 RUB    3150     8155
  2026-03-30 r-5          298 l = 18327.00 RUB    1832     9987

3. Redemption
  20 litres of any fuel for 3999 points: 5988 points left.
  Paying a 150 RUB coffee with 150 points: refused (no-point-value), 150.00 RUB to pay.

4. Effective cashback of each earning path
  The reward is worth 20 × 56.20 RUB = 1124.00 RUB, so a point is worth 1124.00 RUB / 3999 ≈ 0.28 RUB.
  earning path             earning                 cashback
  fuel                     1 per full 10.00 RUB       2.81%
  shop goods and services  3 per full 10.00 RUB       8.43%
  the card fee             nothing                    0.00%
  Points come per full 10 RUB of each order's fuel or shop total, so these are the most a
  purchase gets: the 7.10 RUB above 2,550 in the first refuel earned nothing.
`

func TestFuelcardOutput(t *testing.T) {
	var out strings.Builder
	if err := run(&out, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestFuelcardRejectsArguments(t *testing.T) {
	var out strings.Builder
	if err := run(&out, []string{"extra"}); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("run with an argument: %v, want an unexpected-arguments error", err)
	}
}
