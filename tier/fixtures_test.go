package tier_test

import (
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

// msk is Moscow time: UTC+3 all year since 2014.
var msk = time.FixedZone("MSK", 3*60*60)

func rub(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, msk) }

// airlineLadder is the airline corporate program of DOMAIN.md: points worth 5% of ticket
// spend up to 3,000,000; 6% from 3,000,000 to 5,000,000; 7% above 5,000,000. "Up to" and
// "above" are read as: a level is reached once spend exceeds the bound, so the thresholds are
// one kopek above it. Qualifying spend is summed per calendar year; upgrades monthly,
// downgrades yearly.
func airlineLadder() tier.Ladder {
	return tier.Ladder{
		Measure:  tier.Spend,
		Currency: loyalty.MustCurrency("RUB"),
		Levels: []tier.Level{
			{Name: "5%", Benefits: tier.Benefits{EarnRate: dec("0.05")}},
			{Name: "6%", Threshold: tier.Amount{Spend: rub("3000000.01")}, Benefits: tier.Benefits{EarnRate: dec("0.06")}},
			{Name: "7%", Threshold: tier.Amount{Spend: rub("5000000.01")}, Benefits: tier.Benefits{EarnRate: dec("0.07")}},
		},
		Window: tier.Window{Kind: tier.Calendar, Period: loyalty.Year},
		Review: tier.ReviewPolicy{UpgradeEvery: loyalty.Month, DowngradeEvery: loyalty.Year},
	}
}

// milesLadder is a three-level airline miles ladder: Red, Silver (+50% on flights, priority
// check-in), Gold (double miles, lounge access), on tier points earned in a rolling 12
// months; upgrades immediately, downgrades one level at a monthly review.
func milesLadder() tier.Ladder {
	return tier.Ladder{
		Measure: tier.PointsEarned,
		Levels: []tier.Level{
			{Name: "Red", Benefits: tier.Benefits{Perks: []string{"spend miles on car rental, parking, hotels"}}},
			{Name: "Silver", Threshold: tier.Amount{Count: 400}, Benefits: tier.Benefits{EarnMultiplier: dec("1.5"), Perks: []string{"priority check-in"}}},
			{Name: "Gold", Threshold: tier.Amount{Count: 1000}, Benefits: tier.Benefits{EarnMultiplier: dec("2"), Perks: []string{"priority check-in", "lounge access"}}},
		},
		Window: tier.Window{Kind: tier.Rolling, Months: 12},
		Review: tier.ReviewPolicy{DowngradeEvery: loyalty.Month, Downgrade: tier.OneLevel},
	}
}

func mustEvaluator(l tier.Ladder) *tier.Evaluator {
	e, err := tier.NewEvaluator(l, msk)
	if err != nil {
		panic(err)
	}
	return e
}

// spendHistory builds a history of spend in RUB from (date, amount) pairs, in date order.
func spendHistory(entries ...any) tier.History {
	var h tier.History
	for i := 0; i < len(entries); i += 2 {
		h = append(h, tier.DayTotal{Day: tier.DayOf(entries[i].(time.Time)), Units: rub(entries[i+1].(string)).MinorUnits()})
	}
	return h
}
