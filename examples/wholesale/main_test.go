package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// want is the whole output. Every figure is worked out here from the program's rules, not
// copied from the program. Costs are per unit; the floor is cost × 1.10.
//
//   - o-1 (2 March): 40 × 550 = 22,000, cost 16,000. The personal discount counts this
//     order: 22,000 ≥ 20,000 → 10% = 2,200; 19,800 ≥ the floor 17,600. Bronze: no tier rate.
//   - o-2 (4 March): 300,000 bolts × 0.3555 = 106,650, cost 90,000. 19,800 + 106,650 ≥ 20,000
//     → 10% = 10,665, but the floor is 99,000: the discount is trimmed by 3,015 to 7,650.
//     Profit 16,650 before, 9,000 after. The tier counts spend before discounts:
//     22,000 + 106,650 = 128,650 ≥ 100,000 → Silver from now on.
//   - o-3 (7 March): 50,000, cost 38,000, at Silver: 2% = 1,000 plus 10% = 5,000, each on the
//     price (additive): 6,000; 44,000 ≥ 41,800.
//   - o-4 (14 March): kraft's first order, 22,000: its personal 12% = 2,640 → 19,360.
//   - o-5 (24 March): 32 × 12,500 = 400,000, cost 320,000: 2% + 10% = 48,000 → 352,000, exactly
//     the floor 320,000 × 1.1 = 352,000, so nothing is trimmed. Qualifying spend 128,650 +
//     50,000 + 400,000 = 578,650 ≥ 500,000 → Gold.
//   - o-6 (25 March): pumps 2 × 50,000 = 100,000 (cost 76,000) and hoses 10 × 1,290 = 12,900
//     (no cost): 112,900. Cumulative 10% = 10,000 + 1,290 = 11,290; Gold 5% = 5,000 + 645 =
//     5,645; 16,935 off, 95,965 to pay. The pumps' floor 83,600 is below 85,000. Profit over
//     the pumps: 24,000 before, 24,000 − 15,000 = 9,000 after; the hoses' is unknown.
//   - In all: list prices 22,000 + 106,650 + 50,000 + 22,000 + 400,000 + 112,900 = 713,550;
//     discounts 2,200 + 7,650 + 6,000 + 2,640 + 48,000 + 16,935 = 83,425 = 11.6915…% → 11.69%.
//     Gross profit over the costed lines: 6,000 + 16,650 + 12,000 + 6,000 + 80,000 + 24,000 =
//     144,650 before; 3,800 + 9,000 + 6,000 + 3,360 + 32,000 + 9,000 = 63,160 after; the
//     81,490 given away is 56.336…% → 56.34% of it.
//   - Buyers of stroymir: petrova 19,800 + 44,000 + 95,965 = 159,765; ivanov 99,000; sidorov
//     352,000.
const want = `A wholesaler's program
  Bronze  from the first order  no benefits
  Silver  from 100000.00 RUB    2% off, free delivery
  Gold    from 500000.00 RUB    5% off, free delivery, personal manager, deferred payment
  personal discount on the company's purchases, this order included: 5% from 10000.00 RUB, 10% from 20000.00 RUB
  the tier's rate and the personal discount add up; dealer kraft has a flat 12% instead of the ladder
  margin floor: no line below its cost + 10%

  date       order buyer                   subtotal      discount           paid  tier
  2026-03-02 o-1   stroymir/petrova    22000.00 RUB   2200.00 RUB   19800.00 RUB  Bronze  a first order of 22,000 already reaches the 10% step
  2026-03-04 o-2   stroymir/ivanov    106650.00 RUB   7650.00 RUB   99000.00 RUB  Bronze  a thin-margin line: the floor trims the discount
  2026-03-07 o-3   stroymir/petrova    50000.00 RUB   6000.00 RUB   44000.00 RUB  Silver  Silver now: 2% + 10%
  2026-03-14 o-4   kraft/orlov         22000.00 RUB   2640.00 RUB   19360.00 RUB  Bronze  personal terms: 12% from the first order
  2026-03-24 o-5   stroymir/sidorov   400000.00 RUB  48000.00 RUB  352000.00 RUB  Silver  a big order lifts the company to Gold
  2026-03-25 o-6   stroymir/petrova   112900.00 RUB  16935.00 RUB   95965.00 RUB  Gold    Gold: 5% + 10%, and the perks

What it cost the seller: 83425.00 RUB of discounts on 713550.00 RUB of sales (11.69%).
On the lines with a known cost the gross profit fell from 144650.00 RUB to 63160.00 RUB:
the discounts gave away 81490.00 RUB, 56.34% of the profit.

One company, several buyers: what each bought for stroymir
  stroymir/petrova   159765.00 RUB
  stroymir/ivanov     99000.00 RUB
  stroymir/sidorov   352000.00 RUB
  the company's tier: Gold (5% off, free delivery, personal manager, deferred payment)

Order o-2 explained, as the portal shows it:
Order o-2 of account stroymir: subtotal 106650.00 RUB, discounts 7650.00 RUB, paid with points 0.00 RUB, to pay 99000.00 RUB.
Tier Bronze: no benefits.
Subtotal 106650.00 RUB, discount 7650.00 RUB, total 99000.00 RUB.
- cumulative (personal discount), 10%: applied, 7650.00 RUB (line 1 7650.00). Line 1 trimmed by 3015.00 to keep the margin floor.
Gross profit 16650.00 RUB before discounts, 9000.00 RUB after discounts, 9000.00 RUB after points (costs known for every line).

Order o-6 explained, as the portal shows it:
Order o-6 of account stroymir: subtotal 112900.00 RUB, discounts 16935.00 RUB, paid with points 0.00 RUB, to pay 95965.00 RUB.
Tier Gold: a 5% discount, free delivery, personal manager, deferred payment.
Subtotal 112900.00 RUB, discount 16935.00 RUB, total 95965.00 RUB.
- cumulative (personal discount), 10%: applied, 11290.00 RUB (line 1 10000.00, line 2 1290.00).
- tier:Gold (tier Gold discount), 5%: applied, 5645.00 RUB (line 1 5000.00, line 2 645.00).
Gross profit 24000.00 RUB before discounts, 9000.00 RUB after discounts, 9000.00 RUB after points (over the lines with a known cost; unknown for lines [1]).

At the checkout of order o-6 the portal offers deferred payment: true; a personal manager: true.
`

func TestWholesaleOutput(t *testing.T) {
	var out strings.Builder
	if err := run(&out, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestWholesaleRejectsArguments(t *testing.T) {
	var out strings.Builder
	if err := run(&out, []string{"extra"}); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("run with an argument: %v, want an unexpected-arguments error", err)
	}
}
