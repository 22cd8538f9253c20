package loyalty_test

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
)

var sinkMoney loyalty.Money

func BenchmarkMoneyAdd(b *testing.B) {
	a, c := loyalty.MustMoney("1234.56", "RUB"), loyalty.MustMoney("0.01", "RUB")
	b.ReportAllocs()
	for b.Loop() {
		a, _ = a.Add(c)
	}
	sinkMoney = a
}

func BenchmarkMoneyMulRate(b *testing.B) {
	m := loyalty.MustMoney("9000", "RUB")
	for _, rate := range []string{"0.05", "1.5", "0.333333333333333333"} {
		r := decimal.RequireFromString(rate)
		b.Run("rate="+rate, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkMoney, _ = m.MulRate(r, loyalty.HalfUp)
			}
		})
	}
}

func BenchmarkLineTotal(b *testing.B) {
	l := loyalty.Line{SKU: "diesel", Quantity: loyalty.MustQuantity("40.25"), UnitPrice: loyalty.MustPrice("52.99", "RUB")}
	b.ReportAllocs()
	for b.Loop() {
		sinkMoney, _ = l.Total()
	}
}

func BenchmarkAllocate(b *testing.B) {
	for _, n := range []int{10, 1000} {
		weights := make([]int64, n)
		for i := range weights {
			weights[i] = int64(1000 + i*37%991) // uneven, so leftover units must be placed
		}
		dst := make([]loyalty.Money, n)
		total := loyalty.MustMoney("12345.67", "RUB")
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := total.AllocateInto(dst, weights); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNormalizeCode(b *testing.B) {
	for _, code := range []string{"SKIDKA30", "skidka-30"} {
		b.Run(code, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				loyalty.NormalizeCode(code)
			}
		})
	}
}

func BenchmarkMoneyDivRate(b *testing.B) {
	m, r := loyalty.MustMoney("1234.56", "RUB"), decimal.RequireFromString("0.8")
	b.ReportAllocs()
	for b.Loop() {
		sinkMoney, _ = m.DivRate(r, loyalty.Ceiling)
	}
}
