package tier_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
)

func TestOrderAmount(t *testing.T) {
	order := loyalty.Order{
		ID: "o-1", Account: "acme", Currency: loyalty.MustCurrency("RUB"), PlacedAt: date(2025, 3, 1),
		Lines: []loyalty.Line{
			{SKU: "bolt", Quantity: loyalty.MustQuantity("1000"), UnitPrice: loyalty.MustPrice("0.3555", "RUB")}, // 355.50
			{SKU: "fuel", Quantity: loyalty.MustQuantity("12.5"), UnitPrice: loyalty.MustPrice("56.10", "RUB")},  // 701.25
		},
	}
	volume := tier.Ladder{Measure: tier.Volume, Levels: []tier.Level{{Name: "v"}}}
	orders := tier.Ladder{Measure: tier.Orders, Levels: []tier.Level{{Name: "o"}}}
	for _, tt := range []struct {
		name string
		l    tier.Ladder
		want tier.Amount
	}{
		{"spend", airlineLadder(), tier.Amount{Spend: rub("1056.75")}},
		{"volume", volume, tier.Amount{Volume: loyalty.MustQuantity("1012.5")}},
		{"orders", orders, tier.Amount{Count: 1}},
	} {
		got, err := mustEvaluator(tt.l).OrderAmount(order)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	usd := order
	usd.Currency = loyalty.MustCurrency("USD")
	usd.Lines = []loyalty.Line{{SKU: "x", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("5", "USD")}}
	if _, err := mustEvaluator(airlineLadder()).OrderAmount(usd); !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "currency: must be RUB like the ladder") {
		t.Errorf("USD order on a RUB ladder: %v", err)
	}
	bad := order
	bad.Lines = nil
	if _, err := mustEvaluator(airlineLadder()).OrderAmount(bad); !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "lines: must not be empty") {
		t.Errorf("order without lines: %v", err)
	}
	if _, err := mustEvaluator(milesLadder()).OrderAmount(order); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("order on a points ladder: %v", err)
	}
}
