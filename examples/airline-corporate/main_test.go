package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// want is the whole output. Every figure is worked out here from the program's rules, not
// copied from the program. Every ticket price is a multiple of 100, so 5%, 6% and 7% of it
// are whole points (a point is worth 1 RUB) and no rounding happens.
//
//   - Levels: the monthly review on the 1st judges the calendar year up to the day before.
//     acme's spend reaches 400 + 450 + 600 + 900 + 700 = 3,050 thousand in May, so it earns
//     6% from the review of 1 June; 3,550 + 800 + 750 = 5,100 thousand in August, so 7% from
//     1 September. baltic's 3,200,000 of December 2025 gives it 6% from 1 January 2026; it
//     keeps it through 2026 although it flies 1,200,000 (downgrades are yearly) and the
//     yearly review of 1 January 2027, judging 2026, takes it down to 5%. acme keeps 7% in
//     January 2027 because its 2026 spend, 6,650,000, still supports it.
//   - acme's points: 400,000 × 5% = 20,000; 22,500; 30,000; 45,000; 35,000; then at 6%
//     500,000 → 30,000, 48,000, 45,000; then at 7% 400,000 → 28,000, 21,000, 35,000, 24,500,
//     and January 2027 28,000. In October Ivanov's 38,400 ticket is paid with 38,400 points
//     and still earns (points that pay do not reduce earning): balance 303,500 + 21,000 −
//     38,400 = 286,100; 373,600 at the end.
//   - Miles, 5 per full 100 of the employee's own ticket: 38,400 → 1,920; 52,100 → 2,605;
//     41,300 → 2,065; 61,200 → 3,060; 29,900 → 1,495; 45,500 → 2,275; 67,800 → 3,390.
//     Ivanov's running total: 1,920, 4,525, 6,590, 8,510, 11,570, 13,065, 14,985, 17,260,
//     19,865, 21,785, 23,850, 27,240, 29,160. Petrova flies 24,600 (1,230 miles) in February,
//     May, August and November: 1,230, 2,460, 3,690, 4,920.
//   - baltic: 3,200,000 × 5% = 160,000 in December 2025; 2026 at 6%: 100,000 → 6,000 and so
//     on, 1,200,000 × 6% = 72,000 in the year: 232,000; January 2027 at 5%: 5,000 → 237,000.
//   - Owed: 373,600 + 237,000 = 610,600 points = 610,600.00 RUB; 70% of it 427,420.00 RUB.
//     Miles 29,160 + 4,920 = 34,080.
const want = `An airline's corporate program: 5% of ticket spend as points, 6% from 3,000,000 a year, 7% from 5,000,000;
upgrades at the monthly review, downgrades at the yearly one; employees earn 5 miles per full 100.

December 2025: baltic books 3200000.00 RUB of flights at Profi 5% and earns 160000 points.

acme: a growing company; Ivanov and Petrova are registered frequent flyers
month      ticket spend    year to date level       points    spent   balance  Ivanov miles  Petrova miles
2026-01   400000.00 RUB   400000.00 RUB Profi 5%     20000        0     20000          1920              0
2026-02   450000.00 RUB   850000.00 RUB Profi 5%     22500        0     42500          4525           1230
2026-03   600000.00 RUB  1450000.00 RUB Profi 5%     30000        0     72500          6590           1230
2026-04   900000.00 RUB  2350000.00 RUB Profi 5%     45000        0    117500          8510           1230
2026-05   700000.00 RUB  3050000.00 RUB Profi 5%     35000        0    152500         11570           2460
2026-06   500000.00 RUB  3550000.00 RUB Profi 6%     30000        0    182500         13065           2460
2026-07   800000.00 RUB  4350000.00 RUB Profi 6%     48000        0    230500         14985           2460
2026-08   750000.00 RUB  5100000.00 RUB Profi 6%     45000        0    275500         17260           3690
2026-09   400000.00 RUB  5500000.00 RUB Profi 7%     28000        0    303500         19865           3690
2026-10   300000.00 RUB  5800000.00 RUB Profi 7%     21000    38400    286100         21785           3690
2026-11   500000.00 RUB  6300000.00 RUB Profi 7%     35000        0    321100         23850           4920
2026-12   350000.00 RUB  6650000.00 RUB Profi 7%     24500        0    345600         27240           4920
2027-01   400000.00 RUB   400000.00 RUB Profi 7%     28000        0    373600         29160           4920

baltic: flew 3,200,000 in 2025, little in 2026
month      ticket spend    year to date level       points   balance
2026-01   100000.00 RUB   100000.00 RUB Profi 6%      6000    166000
2026-02    80000.00 RUB   180000.00 RUB Profi 6%      4800    170800
2026-03   120000.00 RUB   300000.00 RUB Profi 6%      7200    178000
2026-04    90000.00 RUB   390000.00 RUB Profi 6%      5400    183400
2026-05   100000.00 RUB   490000.00 RUB Profi 6%      6000    189400
2026-06    60000.00 RUB   550000.00 RUB Profi 6%      3600    193000
2026-07   110000.00 RUB   660000.00 RUB Profi 6%      6600    199600
2026-08    70000.00 RUB   730000.00 RUB Profi 6%      4200    203800
2026-09   100000.00 RUB   830000.00 RUB Profi 6%      6000    209800
2026-10    90000.00 RUB   920000.00 RUB Profi 6%      5400    215200
2026-11   130000.00 RUB  1050000.00 RUB Profi 6%      7800    223000
2026-12   150000.00 RUB  1200000.00 RUB Profi 6%      9000    232000
2027-01   100000.00 RUB   100000.00 RUB Profi 5%      5000    237000

Changes of level:
  On 2026-06-01 account acme was upgraded from Profi 5% to Profi 6% (qualifying spend 3050000.00 RUB).
  On 2026-09-01 account acme was upgraded from Profi 6% to Profi 7% (qualifying spend 5100000.00 RUB).
  On 2026-01-01 account baltic was upgraded from Profi 5% to Profi 6% (qualifying spend 3200000.00 RUB).
  On 2027-01-01 account baltic was downgraded from Profi 6% to Profi 5% (qualifying spend 1200000.00 RUB).

Owed to the companies at the end: 610600 points worth 610600.00 RUB; if 70% of them are redeemed, 427420.00 RUB.
The employees hold 34080 miles besides, from the same flights.
`

func TestAirlineCorporateOutput(t *testing.T) {
	var out strings.Builder
	if err := run(&out, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestAirlineCorporateRejectsArguments(t *testing.T) {
	var out strings.Builder
	if err := run(&out, []string{"extra"}); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("run with an argument: %v, want an unexpected-arguments error", err)
	}
}
