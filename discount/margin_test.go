package discount_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/shopspring/decimal"
)

// TestWorkedCase is the DOMAIN.md case, derived from first principles:
//
//   - Price 9,000.00; the seller's profit is 30 % of the price: 9,000 × 0.30 = 2,700.00.
//   - As a 5 % discount the customer saves 9,000 × 0.05 = 450.00 on the sale, and the seller's
//     profit falls by the same 450.00: 450 / 2,700 = 1/6 = 16.67 % of the profit, far more
//     than "5 %".
//   - As a 5 % bonus the customer earns 450.00 in points on the first 9,000 purchase and spends
//     them on the second. The seller earns 2 × 2,700 = 5,400.00 profit on the two sales and
//     gives away 450.00: 450 / 5,400 = 1/12 = 8.33 %, half the discount's share.
//   - If only 60 % of the points are ever redeemed, the expected cost is 450 × 0.6 = 270.00:
//     270 / 5,400 = 5 %. If besides a quarter of those expire before the second purchase,
//     the points spent are 450 × 0.6 × 0.75 = 202.50: 202.5 / 5,400 = 3.75 %.
func TestWorkedCase(t *testing.T) {
	price := m("9000")
	bonus := discount.Bonus{Margin: dec("30"), Rate: dec("5"), Redemption: dec("100")}

	c, err := discount.CompareDiscountBonus(price, bonus)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "comparison", discount.Comparison{
		Price: price, Profit: m("2700"), DiscountCost: m("450"), DiscountShare: dec("16.6666666667"),
		BonusProfit: m("5400"), BonusCost: m("450"), BonusShare: dec("8.3333333333"),
	}, c)

	bonus.Redemption = dec("60")
	c, err = discount.CompareDiscountBonus(price, bonus)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "60 % redeemed", []any{m("270"), dec("5")}, []any{c.BonusCost, c.BonusShare})

	bonus.Expired = dec("25")
	c, err = discount.CompareDiscountBonus(price, bonus)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "60 % redeemed, 25 % of those expired", []any{m("202.50"), dec("3.75")}, []any{c.BonusCost, c.BonusShare})

	// The same through the price-free functions.
	s, _ := discount.ProfitShare(dec("30"), dec("5"))
	b, _ := discount.BonusProfitShare(discount.Bonus{Margin: dec("30"), Rate: dec("5"), Redemption: dec("100")})
	diff(t, "shares", []any{dec("16.6666666667"), dec("8.3333333333")}, []any{s, b})

	// And the discount priced by the calculator: 450.00 off the 9,000.00 item whose cost is
	// 6,300.00 (70 % of the price) leaves 2,250.00 profit: 2,700 − 450.
	o := order(line("ITEM", "", "1", "9000", "6300"))
	r := apply(t, discount.Policy{Currency: rub, Stacking: discount.Additive,
		Discounts: []discount.Discount{pct("five", "5", 0)}}, o, discount.History{})
	profit, _ := r.Lines[0].Total.Sub(m("6300"))
	diff(t, "profit after the discount", m("2250"), profit)
}

func TestBreakEvenUplift(t *testing.T) {
	tests := []struct {
		margin, disc, want string
	}{
		{"30", "5", "20"},             // 5 / 25
		{"30", "10", "50"},            // 10 / 20
		{"40", "30", "300"},           // 30 / 10
		{"40", "10", "33.3333333333"}, // 10 / 30
		{"30", "0", "0"},
		{"99.9", "0.1", "0.1002004008"}, // 0.1 / 99.8 = 0.001002004008…
	}
	for _, tt := range tests {
		got, err := discount.BreakEvenUplift(dec(tt.margin), dec(tt.disc))
		if err != nil {
			t.Fatalf("BreakEvenUplift(%s, %s): %v", tt.margin, tt.disc, err)
		}
		if !got.Equal(dec(tt.want)) {
			t.Errorf("BreakEvenUplift(%s, %s) = %s, want %s", tt.margin, tt.disc, got, tt.want)
		}
	}
	bad := []struct {
		margin, disc, field string
		atMargin            bool
	}{
		{"30", "30", "discount", true},
		{"30", "45", "discount", true},
		{"100", "5", "margin", false},
		{"120", "5", "margin", false},
		{"0", "5", "margin", false},
		{"-10", "5", "margin", false},
		{"30", "-1", "discount", false},
		{"30", "101", "discount", false},
	}
	for _, tt := range bad {
		_, err := discount.BreakEvenUplift(dec(tt.margin), dec(tt.disc))
		if !errors.Is(err, loyalty.ErrInvalid) || errors.Is(err, discount.ErrDiscountAtMargin) != tt.atMargin ||
			!strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("BreakEvenUplift(%s, %s) error = %v", tt.margin, tt.disc, err)
		}
	}
}

func TestMarginFunctions(t *testing.T) {
	check := func(name string, got decimal.Decimal, err error, want string) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if !got.Equal(dec(want)) {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	v, err := discount.MaxDiscountForUplift(dec("30"), dec("20")) // 30 × 20 / 120
	check("MaxDiscountForUplift(30, 20)", v, err, "5")
	v, err = discount.MaxDiscountForUplift(dec("30"), dec("50")) // 30 × 50 / 150
	check("MaxDiscountForUplift(30, 50)", v, err, "10")
	v, err = discount.MaxDiscountForUplift(dec("25"), dec("0"))
	check("MaxDiscountForUplift(25, 0)", v, err, "0")
	v, err = discount.MarkupToMargin(dec("50")) // 50 / 150
	check("MarkupToMargin(50)", v, err, "33.3333333333")
	v, err = discount.MarkupToMargin(dec("100")) // 100 / 200
	check("MarkupToMargin(100)", v, err, "50")
	v, err = discount.MarginToMarkup(dec("30")) // 30 / 70
	check("MarginToMarkup(30)", v, err, "42.8571428571")
	v, err = discount.MarginToMarkup(dec("50")) // 50 / 50
	check("MarginToMarkup(50)", v, err, "100")
	v, err = discount.ProfitShare(dec("20"), dec("25")) // more than the margin: a loss
	check("ProfitShare(20, 25)", v, err, "125")

	for name, err := range map[string]error{
		"MaxDiscountForUplift negative uplift": second(discount.MaxDiscountForUplift(dec("30"), dec("-1"))),
		"MaxDiscountForUplift margin 100":      second(discount.MaxDiscountForUplift(dec("100"), dec("1"))),
		"MarkupToMargin negative":              second(discount.MarkupToMargin(dec("-1"))),
		"MarginToMarkup 100":                   second(discount.MarginToMarkup(dec("100"))),
		"MarginToMarkup negative":              second(discount.MarginToMarkup(dec("-5"))),
		"ProfitShare margin 0":                 second(discount.ProfitShare(dec("0"), dec("5"))),
		"BonusProfitShare redemption 120": second(discount.BonusProfitShare(discount.Bonus{
			Margin: dec("30"), Rate: dec("5"), Redemption: dec("120")})),
		"BonusProfitShare purchases -1": second(discount.BonusProfitShare(discount.Bonus{
			Margin: dec("30"), Rate: dec("5"), Redemption: dec("100"), Purchases: -1})),
	} {
		if !errors.Is(err, loyalty.ErrInvalid) || !strings.HasPrefix(err.Error(), "discount: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if _, err := discount.CompareDiscountBonus(m("0"), discount.Bonus{Margin: dec("30"), Rate: dec("5"),
		Redemption: dec("100")}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("CompareDiscountBonus(0): %v", err)
	}
	// Three purchases carry the cost: 5 / (3 × 30) = 5.5555555556 %.
	v, err = discount.BonusProfitShare(discount.Bonus{Margin: dec("30"), Rate: dec("5"), Redemption: dec("100"), Purchases: 3})
	check("BonusProfitShare over 3 purchases", v, err, "5.5555555556")
}

func second[T any](_ T, err error) error { return err }

func TestEffectiveCashback(t *testing.T) {
	// Rosneft: 3,999 points buy 20 litres, at 55.00 a litre 1,100.00.
	// Fuel: 1 point per full 10 → 1/10 × 1100/3999 = 2.7506876719… %.
	// Shop goods: 3 points per full 10 → 8.2520630158 %.
	// Boloco: 1 free 8 USD burrito per 50 USD → 8/50 = 16 %.
	tests := []struct {
		name string
		s    discount.Scheme
		want string
	}{
		{"fuel", discount.Scheme{Points: 1, Per: m("10"), RewardPoints: 3999, RewardValue: m("1100")}, "2.7506876719"},
		{"shop", discount.Scheme{Points: 3, Per: m("10"), RewardPoints: 3999, RewardValue: m("1100")}, "8.2520630158"},
		{"burrito", discount.Scheme{Points: 1, Per: loyalty.MustMoney("50", "USD"), RewardPoints: 1,
			RewardValue: loyalty.MustMoney("8", "USD")}, "16"},
	}
	for _, tt := range tests {
		got, err := discount.EffectiveCashback(tt.s)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !got.Equal(dec(tt.want)) {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	_, err := discount.EffectiveCashback(discount.Scheme{Points: 1, Per: m("10"), RewardPoints: 1,
		RewardValue: loyalty.MustMoney("1", "USD")})
	if !errors.Is(err, loyalty.ErrCurrencyMismatch) {
		t.Errorf("mixed currencies: %v", err)
	}
	_, err = discount.EffectiveCashback(discount.Scheme{})
	for _, f := range []string{"points:", "per:", "reward_points:", "reward_value:"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("zero scheme: error %v does not name %s", err, f)
		}
	}
}

func TestTeachingTable(t *testing.T) {
	tab, err := discount.TeachingTable([]decimal.Decimal{dec("20"), dec("40")}, []decimal.Decimal{dec("5"), dec("20")})
	if err != nil {
		t.Fatal(err)
	}
	// 20 % margin: 5 % → 25 % of profit, uplift 5/15 = 33.33 %; 20 % → 100 %, no break-even.
	// 40 % margin: 5 % → 12.5 %, uplift 5/35 = 14.29 %; 20 % → 50 %, uplift 20/20 = 100 %.
	want := [][]discount.Cell{
		{{Margin: dec("20"), Discount: dec("5"), ProfitShare: dec("25"), Uplift: dec("33.3333333333")},
			{Margin: dec("20"), Discount: dec("20"), ProfitShare: dec("100"), NoBreakEven: true}},
		{{Margin: dec("40"), Discount: dec("5"), ProfitShare: dec("12.5"), Uplift: dec("14.2857142857")},
			{Margin: dec("40"), Discount: dec("20"), ProfitShare: dec("50"), Uplift: dec("100")}},
	}
	diff(t, "cells", want, tab.Cells)
	contains(t, tab.String(), "25% / 33%", "100% / —", "13% / 14%", "50% / 100%")

	if _, err := discount.TeachingTable([]decimal.Decimal{dec("100")}, []decimal.Decimal{dec("-1")}); err == nil ||
		!strings.Contains(err.Error(), "margins[0]:") || !strings.Contains(err.Error(), "discounts[0]:") {
		t.Errorf("bad table: %v", err)
	}
	if _, err := discount.TeachingTable(nil, nil); err == nil {
		t.Error("empty table accepted")
	}
}
