package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// want is the whole output. Every figure is worked out here from the program's rules, not
// copied from the program. All discounts are additive: each is computed on the list price.
//
//   - a1 (Anna's first order): beans 2 × 1,500 = 3,000, the bundle 20,000 (tagged "bundle", on
//     promotion), capsules 10 × 50 = 500: 23,500. R1 takes 10% of the bundle, 2,000, and the
//     machine still gets its 500: 2,500 off, 21,000 to pay. SKIDKA30 is refused (not with R1);
//     the 15% needs an earlier purchase, and there is none (0.00 of the 0.01 step).
//   - a2: beans 4 × 1,500 = 6,000 and a machine 8,000: 14,000 ≥ 10,000, no R1, so SKIDKA30
//     applies: 30% = 1,800 + 2,400 = 4,200; the 15% on the beans 900; the machine's 500:
//     5,600 off, 8,400 to pay.
//   - b1: Boris's first order with Anna's code: beans 1,500 + capsules 20 × 50 = 1,000 = 2,500;
//     the welcome 30% = 450 + 300 = 750; 1,750 to pay.
//   - 15 March: Anna and Boris bought within two months: each gets a personal code.
//   - b2: Boris's own code: beans 3,000, 15% = 450 and 30% = 900: 1,350 off, 1,650 to pay.
//   - v1: Vera, with Boris's code: capsules 40 × 50 = 2,000, 30% = 600: 1,400 to pay.
//   - 25 March: 14 days after Boris's first order (10 March) its return window has closed:
//     Anna's referral is final and she gets THANKS-BORIS (canonical THANKSBORIS). Vera's
//     (21 March) closes on 4 April, so it is settled on 6 April: THANKSVERA to Boris.
//   - a3: beans 4,500: 15% = 675, 30% = 1,350, the 1,000 thank-you: 3,025 off, 1,475 to pay.
//   - Issues: a code goes to whoever bought within the two calendar months before the issue
//     day. 31 March to 15 May: Anna, Boris (20 March) and Vera (21 March) all qualify.
//   - a4 (20 May): capsules 3,000 + beans 3,000 = 6,000 < 10,000, so SKIDKA30 is refused; 15%
//     = 900 and 30% = 1,800: 2,700 off, 3,300 to pay.
//   - 31 May: the window starts 31 March: Boris and Vera lapse; Anna (20 May) keeps her codes
//     on 15 June, 30 June and 15 July (window from 15 May), and loses them on 31 July (from
//     31 May).
//   - In all: list prices 23,500 + 14,000 + 2,500 + 3,000 + 2,000 + 4,500 + 6,000 = 55,500;
//     discounts 2,500 + 5,600 + 750 + 1,350 + 600 + 3,025 + 2,700 = 16,525, i.e.
//     16,525 / 55,500 = 29.774…% → 29.77%; paid 38,975.
const want = `A coffee shop's promo-code program, March to July 2026
date    ord buyer       subtotal     discount        to pay
02 Mar  a1  anna    23500.00 RUB  2500.00 RUB  21000.00 RUB  first purchase: R1 and 500 stack, SKIDKA30 refused
      | Order a1 of account anna: subtotal 23500.00 RUB, discounts 2500.00 RUB, paid with points 0.00 RUB, to pay 21000.00 RUB.
      | Code SKIDKA30 refused: promo: code cannot be combined with another promotion on the order: not with promotion "R1".
      | Subtotal 23500.00 RUB, discount 2500.00 RUB, total 21000.00 RUB.
      | - R1 (bundle promotion), 10%: applied, 2000.00 RUB (line 2 2000.00).
      | - beans15 (15% for customers): not applied: threshold not met (0.00 RUB of the required 0.01 RUB).
      | - machines500 (500 off machines): applied, 500.00 RUB (line 2 500.00).
      | Gross profit unknown: no line has a known cost.
09 Mar  a2  anna    14000.00 RUB  5600.00 RUB   8400.00 RUB  a customer: 15%, 500 and SKIDKA30 stack
      | Order a2 of account anna: subtotal 14000.00 RUB, discounts 5600.00 RUB, paid with points 0.00 RUB, to pay 8400.00 RUB.
      | Code skidka-30 accepted, enabling discount code:SKIDKA30.
      | Subtotal 14000.00 RUB, discount 5600.00 RUB, total 8400.00 RUB.
      | - R1 (bundle promotion), 10%: not applied: no line of the order is in its scope.
      | - beans15 (15% for customers), 15%: applied, 900.00 RUB (line 1 900.00).
      | - code:SKIDKA30 (promo code SKIDKA30), 30%: applied, 4200.00 RUB (line 1 1800.00, line 2 2400.00).
      | - machines500 (500 off machines): applied, 500.00 RUB (line 2 500.00).
      | Gross profit unknown: no line has a known cost.
10 Mar  b1  boris    2500.00 RUB   750.00 RUB   1750.00 RUB  Anna's code shared: 30% off a first purchase
      | Order b1 of account boris: subtotal 2500.00 RUB, discounts 750.00 RUB, paid with points 0.00 RUB, to pay 1750.00 RUB.
      | Referral code anna 2026 of account anna accepted: the account will be referred by it.
      | Subtotal 2500.00 RUB, discount 750.00 RUB, total 1750.00 RUB.
      | - R1 (bundle promotion), 10%: not applied: no line of the order is in its scope.
      | - beans15 (15% for customers): not applied: threshold not met (0.00 RUB of the required 0.01 RUB).
      | - machines500 (500 off machines): not applied: no line of the order is in its scope.
      | - referral:welcome (referral welcome discount), 30%: applied, 750.00 RUB (line 1 450.00, line 2 300.00).
      | The order converts the referral by account anna; the rewards are final after the return window.
      | Gross profit unknown: no line has a known cost.
15 Mar  periodic 30% codes issued to: anna, boris
20 Mar  b2  boris    3000.00 RUB  1350.00 RUB   1650.00 RUB  his own 30% code and the 15% of a customer
21 Mar  v1  vera     2000.00 RUB   600.00 RUB   1400.00 RUB  Boris's code: 30% off her first purchase
25 Mar  anna's friend boris can no longer return the first order: anna receives THANKSBORIS (1000.00 RUB off)
31 Mar  periodic 30% codes issued to: anna, boris, vera
06 Apr  boris's friend vera can no longer return the first order: boris receives THANKSVERA (1000.00 RUB off)
10 Apr  a3  anna     4500.00 RUB  3025.00 RUB   1475.00 RUB  15% + 30% + her 1,000 thank-you
15 Apr  periodic 30% codes issued to: anna, boris, vera
30 Apr  periodic 30% codes issued to: anna, boris, vera
15 May  periodic 30% codes issued to: anna, boris, vera
20 May  a4  anna     6000.00 RUB  2700.00 RUB   3300.00 RUB  15% + 30%; SKIDKA30 needs 10,000
      | Code SKIDKA30 refused: promo: order is below the code's minimum amount: order subtotal 6000.00 RUB is below 10000.00 RUB
31 May  periodic 30% codes issued to: anna
15 Jun  periodic 30% codes issued to: anna
30 Jun  periodic 30% codes issued to: anna
15 Jul  periodic 30% codes issued to: anna
31 Jul  periodic 30% codes issued to: nobody: no purchase in the last two months

All orders: 55500.00 RUB at list prices, 16525.00 RUB of discounts (29.77% of the list price), 38975.00 RUB paid.
`

func TestCoffeeshopOutput(t *testing.T) {
	var out strings.Builder
	if err := run(&out, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestCoffeeshopRejectsArguments(t *testing.T) {
	var out strings.Builder
	if err := run(&out, []string{"extra"}); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("run with an argument: %v, want an unexpected-arguments error", err)
	}
}
