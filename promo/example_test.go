package promo_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/shopspring/decimal"
)

// Generate a batch of codes for printing on flyers. The codes are random, so the example
// prints what every one of them satisfies.
func ExampleScheme_Generate() {
	s, err := promo.NewScheme(promo.Format{Pattern: "SALE-####-###?"})
	if err != nil {
		panic(err)
	}
	codes, err := s.Generate(1000, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(codes), "codes of", len(s.Display(codes[0])), "characters as printed")
	valid := 0
	for _, c := range codes {
		if _, err := s.Parse(s.Display(c)); err == nil {
			valid++
		}
	}
	fmt.Println(valid, "of them parse back")
	fmt.Printf("space: %d codes; a guess hits one of ours with odds 1 in %d\n", s.Space(), s.Space()/uint64(len(codes)))

	// A mistyped code is refused without any lookup.
	_, err = s.Parse("SALE-2345-6789")
	fmt.Println(err)
	_, err = s.Parse("SALE-0000-0000")
	fmt.Println(errors.Is(err, promo.ErrCodeCharset))
	// Output:
	// 1000 codes of 14 characters as printed
	// 1000 of them parse back
	// space: 27512614111 codes; a guess hits one of ours with odds 1 in 27512614
	// promo: code is mistyped
	// true
}

// The coffee shop's SKIDKA30: 30 % off everything when the order is at least 10,000, not on
// promotional offers, not with promotion "R1"; reserved at checkout, redeemed on payment.
func ExampleService_Reserve() {
	ctx := context.Background()
	msk := time.FixedZone("MSK", 3*60*60)
	clock := loyalty.NewManualClock(time.Date(2026, 11, 20, 12, 0, 0, 0, msk))
	svc, _ := promo.New(promo.Config{Clock: clock, Location: msk})

	err := svc.Define(ctx, promo.Definition{
		ID:      "skidka30",
		Kind:    promo.Shareable,
		Benefit: promo.Benefit{Percent: decimal.NewFromInt(30)},
		Conditions: promo.Conditions{
			MinOrder:           loyalty.MustMoney("10000", "RUB"),
			ExcludePromotional: true,
			NotWith:            []loyalty.CampaignID{"R1"},
		},
		Limits: promo.Limits{PerAccount: 1},
	})
	if err != nil {
		panic(err)
	}
	if _, err := svc.AddCode(ctx, promo.Code{Code: "SKIDKA30", Definition: "skidka30"}); err != nil {
		panic(err)
	}

	order := loyalty.Order{ID: "order-42", Account: "cafe-on-the-corner", Currency: loyalty.MustCurrency("RUB"),
		PlacedAt: clock.Now(), Lines: []loyalty.Line{
			{SKU: "beans-1kg", Quantity: loyalty.MustQuantity("4"), UnitPrice: loyalty.MustPrice("2500", "RUB")},
			{SKU: "machine-bundle", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("30000", "RUB"), OnPromotion: true},
		}}
	r, err := svc.Reserve(ctx, promo.Request{Key: "order-42/skidka30", Code: " skidka-30", Checkout: promo.Checkout{Order: order}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s reserved until %s: %s%% off lines %v (%s)\n", r.Grant.Code, r.ExpiresAt.Format("15:04"),
		r.Grant.Benefit.Percent, r.Grant.Lines, r.Grant.Eligible)

	r, _ = svc.Redeem(ctx, "order-42/skidka30")
	fmt.Println(r.State)

	// The same account again, and another account with promotion R1 on the order.
	again := order
	again.ID = "order-43"
	_, err = svc.Validate(ctx, "SKIDKA30", promo.Checkout{Order: again})
	fmt.Println(err)
	again.Account = "bakery"
	_, err = svc.Validate(ctx, "SKIDKA30", promo.Checkout{Order: again, Promotions: []loyalty.CampaignID{"R1"}})
	fmt.Println(err)
	// Output:
	// SKIDKA30 reserved until 12:15: 30% off lines [0] (10000.00 RUB)
	// redeemed
	// promo: code has already been used the allowed number of times by this account
	// promo: code cannot be combined with another promotion on the order: not with promotion "R1"
}
