package campaign_test

import (
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/shopspring/decimal"
)

// The monthly newcomer contest: stores whose first purchase is in March, ranked by their
// first month's purchases. "south" and "east" both bought 40,000.00; "east" got there first.
// "old" bought before March and does not take part.
func ExampleContest_Rank() {
	at := func(mo time.Month, d int) time.Time { return time.Date(2026, mo, d, 12, 0, 0, 0, time.UTC) }
	sale := func(acct string, t time.Time, amount string) campaign.Sale {
		return campaign.Sale{Account: loyalty.AccountID(acct), At: t, Quantity: loyalty.MustQuantity("1"), Amount: loyalty.MustMoney(amount, "RUB")}
	}
	contest := campaign.Contest{ID: "newcomers-2026-03", Start: "2026-03-01", End: "2026-03-31",
		Measure: campaign.MeasureSpend, Newcomers: true,
		Prizes: []campaign.Prize{{Credit: loyalty.MustMoney("20000", "RUB")}, {Credit: loyalty.MustMoney("10000", "RUB")}, {Perk: "smart speaker"}}}
	standings, err := contest.Rank([]campaign.Sale{
		sale("old", at(2, 10), "500"), sale("old", at(3, 10), "90000"),
		sale("south", at(3, 20), "40000"),
		sale("east", at(3, 2), "15000"), sale("east", at(3, 12), "25000"),
		sale("north", at(3, 25), "30000"), sale("north", at(4, 20), "30000"), // 20 April is within its first month
		sale("west", at(3, 30), "1000"),
	}, nil)
	if err != nil {
		panic(err)
	}
	for _, s := range standings {
		prize := "no prize"
		if p := s.Prize; p != nil && p.Perk != "" {
			prize = p.Perk
		} else if p != nil {
			prize = p.Credit.String() + " credited"
		}
		spent, err := loyalty.MoneyFromMinor(s.Value, loyalty.MustCurrency("RUB")) // spend is measured in minor units
		if err != nil {
			panic(err)
		}
		fmt.Printf("%d. %s %s: %s\n", s.Place, s.Account, spent, prize)
	}
	// Output:
	// 1. north 60000.00 RUB: 20000.00 RUB credited
	// 2. east 40000.00 RUB: 10000.00 RUB credited
	// 3. south 40000.00 RUB: smart speaker
	// 4. west 1000.00 RUB: no prize
}

// BWT's co-op marketing: half of an advert showing only its products, a third of that half
// when two other manufacturers share the advert.
func ExampleCoMarketing_Reimburse() {
	rule := campaign.CoMarketing{Share: decimal.RequireFromString("0.5")}
	for _, others := range []int{0, 2} {
		r, err := rule.Reimburse(loyalty.MustMoney("120000", "RUB"), others)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%d other manufacturers: %s\n", others, r)
	}
	// Output:
	// 0 other manufacturers: 60000.00 RUB
	// 2 other manufacturers: 20000.00 RUB
}
