package campaign_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
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

// A manufacturer's dealer program: "sell 100 filters in the first quarter, get 5,000
// points". Once the quarter is over the target is settled exactly once: the dealers that
// reached it are credited, and settling again with the same key changes nothing.
func ExampleEngine_SettleSalesTarget() {
	ctx := context.Background()
	rub := loyalty.MustCurrency("RUB")
	prog := campaign.Program{ID: "dealers", Currency: rub, TimeZone: "Europe/Moscow",
		SalesTargets: []campaign.SalesTarget{{ID: "filters-q1", Start: "2026-01-01", End: "2026-03-31",
			Categories: []loyalty.CategoryID{"filters"}, Units: loyalty.MustQuantity("100"), Points: 5000}}}
	clock := loyalty.NewManualClock(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)) // the quarter is over in Moscow
	eng, err := campaign.New(prog, campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		panic(err)
	}
	filters := func(dealer string, month time.Month, units string) campaign.Sale {
		return campaign.Sale{Account: loyalty.AccountID(dealer), At: time.Date(2026, month, 15, 12, 0, 0, 0, time.UTC),
			Category: "filters", Quantity: loyalty.MustQuantity(units), Amount: loyalty.Zero(rub)}
	}
	sales := []campaign.Sale{filters("alfa", 1, "60"), filters("beta", 2, "90"), filters("alfa", 3, "45")}
	for range 2 {
		s, err := eng.SettleSalesTarget(ctx, "filters-q1", sales, "settle-filters-q1")
		if err != nil {
			panic(err)
		}
		fmt.Printf("replayed: %v\n", s.Replayed)
		for _, r := range s.Results {
			fmt.Printf("  %s sold %s: %d points\n", r.Account, r.Units, r.Points)
		}
	}
	b, err := eng.Points().Balance(ctx, points.ForAccount("alfa"))
	if err != nil {
		panic(err)
	}
	fmt.Println("alfa's balance:", b.Available)
	// Output:
	// replayed: false
	//   alfa sold 105: 5000 points
	//   beta sold 90: 0 points
	// replayed: true
	//   alfa sold 105: 5000 points
	//   beta sold 90: 0 points
	// alfa's balance: 5000
}

// A monthly newcomer contest with points for the winner, money for the runner-up and a
// smart speaker for the third: the engine credits the points and returns the rest for the
// shop to pay and deliver.
func ExampleEngine_AwardContest() {
	ctx := context.Background()
	rub := loyalty.MustCurrency("RUB")
	prog := campaign.Program{ID: "dropship", Currency: rub,
		Contests: []campaign.Contest{{ID: "newcomers-2026-03", Start: "2026-03-01", End: "2026-03-31",
			Measure: campaign.MeasureSpend, Newcomers: true,
			Prizes: []campaign.Prize{{Points: 20000}, {Credit: loyalty.MustMoney("10000", "RUB")}, {Perk: "smart speaker"}}}}}
	clock := loyalty.NewManualClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) // the last newcomer's first month is over
	eng, err := campaign.New(prog, campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		panic(err)
	}
	sale := func(store string, day int, amount string) campaign.Sale {
		return campaign.Sale{Account: loyalty.AccountID(store), At: time.Date(2026, 3, day, 12, 0, 0, 0, time.UTC),
			Quantity: loyalty.MustQuantity("1"), Amount: loyalty.MustMoney(amount, "RUB")}
	}
	a, err := eng.AwardContest(ctx, "newcomers-2026-03", []campaign.Sale{
		sale("south", 20, "40000"), sale("east", 2, "15000"), sale("east", 12, "25000"), sale("north", 25, "60000"),
	}, "award-newcomers-2026-03")
	if err != nil {
		panic(err)
	}
	for _, s := range a.Standings {
		switch p := s.Prize; {
		case p.Points > 0:
			fmt.Printf("%d. %s: %d points credited\n", s.Place, s.Account, p.Points)
		case p.Credit.IsPositive():
			fmt.Printf("%d. %s: %s to pay\n", s.Place, s.Account, p.Credit)
		default:
			fmt.Printf("%d. %s: %s to deliver\n", s.Place, s.Account, p.Perk)
		}
	}
	// Output:
	// 1. north: 20000 points credited
	// 2. east: 10000.00 RUB to pay
	// 3. south: smart speaker to deliver
}

// The program's co-marketing rule, applied by the engine: a dealer's advert in roubles,
// alone or with two other manufacturers, reimbursed at most 50,000.00.
func ExampleEngine_Reimburse() {
	prog := campaign.Program{ID: "bwt", Currency: loyalty.MustCurrency("RUB"),
		CoMarketing: &campaign.CoMarketing{Share: decimal.RequireFromString("0.5"), Max: loyalty.MustMoney("50000", "RUB")}}
	eng, err := campaign.New(prog, campaign.MemoryStores(), campaign.Config{})
	if err != nil {
		panic(err)
	}
	for _, ad := range []struct {
		cost   string
		others int
	}{{"80000", 0}, {"80000", 2}, {"300000", 0}} {
		r, err := eng.Reimburse(loyalty.MustMoney(ad.cost, "RUB"), ad.others)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s with %d others: %s\n", ad.cost, ad.others, r)
	}
	// Output:
	// 80000 with 0 others: 40000.00 RUB
	// 80000 with 2 others: 13333.33 RUB
	// 300000 with 0 others: 50000.00 RUB
}
