package loyalty_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
)

func ExampleParseMoney() {
	price, err := loyalty.ParseMoney("9000", "RUB")
	fmt.Println(price, err)

	_, err = loyalty.ParseMoney("1,5", "RUB")
	fmt.Println(err)
	_, err = loyalty.ParseMoney("10.005", "RUB")
	fmt.Println(err)
	// Output:
	// 9000.00 RUB <nil>
	// amount: must be a plain decimal number such as 1234.56 (got 1,5)
	// amount: has more than 2 decimal places (got 10.005)
}

func ExampleMoney_MulRate() {
	price := loyalty.MustMoney("9000", "RUB")
	benefit, _ := price.MulRate(decimal.RequireFromString("0.05"), loyalty.HalfUp)
	fmt.Println("5% of", price, "is", benefit)

	// A tier multiplier on top of a base rate: combine the rates, then round once.
	rate := decimal.RequireFromString("0.033").Mul(decimal.RequireFromString("1.5"))
	cashback, _ := loyalty.MustMoney("1234.56", "RUB").MulRate(rate, loyalty.HalfEven)
	fmt.Println(cashback)

	_, err := price.Add(loyalty.MustMoney("1", "USD"))
	fmt.Println(errors.Is(err, loyalty.ErrCurrencyMismatch), err)
	// Output:
	// 5% of 9000.00 RUB is 450.00 RUB
	// 61.11 RUB
	// true loyalty: cannot add RUB and USD amounts
}

func ExampleMoney_Allocate() {
	// A 500-ruble order discount spread over three lines by their value: the parts always add
	// up to exactly 500.00, and the leftover kopek goes to the largest dropped fraction.
	lineTotals := []int64{3333_33, 3333_33, 3333_34} // minor units
	parts, _ := loyalty.MustMoney("500", "RUB").Allocate(lineTotals)
	fmt.Println(parts)

	thirds, _ := loyalty.MustMoney("100", "RUB").Split(3)
	fmt.Println(thirds)
	// Output:
	// [166.67 RUB 166.66 RUB 166.67 RUB]
	// [33.34 RUB 33.33 RUB 33.33 RUB]
}

func ExampleLine_Total() {
	// Price lists may quote more digits than the currency has; the line total is rounded once.
	bolts := loyalty.Line{SKU: "bolt-m8", Quantity: loyalty.MustQuantity("3"), UnitPrice: loyalty.MustPrice("0.3555", "RUB")}
	fuel := loyalty.Line{SKU: "diesel", Quantity: loyalty.MustQuantity("40.25"), UnitPrice: loyalty.MustPrice("52.99", "RUB")}
	b, _ := bolts.Total()
	f, _ := fuel.Total()
	fmt.Println(b, f)
	// Output: 1.07 RUB 2132.85 RUB
}

func ExampleOrder_Validate() {
	order := loyalty.Order{
		ID: "order-42", Account: "acme", Currency: loyalty.MustCurrency("RUB"),
		PlacedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC),
		Lines: []loyalty.Line{
			{SKU: "coat", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("22000", "RUB")},
			{SKU: "belt", Quantity: loyalty.MustQuantity("-1"), UnitPrice: loyalty.MustPrice("10", "USD")},
		},
	}
	fmt.Println(order.Validate())
	// Output:
	// lines[1].quantity: must be positive (got -1)
	// lines[1].unit_price: must be in the order currency RUB (got "10.00 USD")
}

func ExampleNormalizeCode() {
	for _, typed := range []string{"skidka-30", "ＳＫＩＤＫＡ３０", "SKIDKA 30", "SKIDKA30!"} {
		code, err := loyalty.NormalizeCode(typed)
		fmt.Printf("%q → %q %v\n", typed, code, err)
	}
	// Output:
	// "skidka-30" → "SKIDKA30" <nil>
	// "ＳＫＩＤＫＡ３０" → "SKIDKA30" <nil>
	// "SKIDKA 30" → "SKIDKA30" <nil>
	// "SKIDKA30!" → "" loyalty: code contains a character that is not allowed: '!' at byte 8
}

func ExampleAddMonths() {
	earned := time.Date(2026, 1, 31, 15, 0, 0, 0, time.UTC)
	fmt.Println(loyalty.AddMonths(earned, 1).Format(time.DateOnly))
	fmt.Println(earned.AddDate(0, 1, 0).Format(time.DateOnly), "(time.AddDate overflows)")
	// Output:
	// 2026-02-28
	// 2026-03-03 (time.AddDate overflows)
}
