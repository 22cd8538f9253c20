package referral_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/shopspring/decimal"
)

// The coffee-shop story (Capsboutique): a customer shares her code with a friend; the
// friend gets 30% off his first order; once the order can no longer be returned, the
// customer's reward is final; the friend becomes a referrer in turn.
func Example_coffeeShop() {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	welcome := referral.DiscountReward(decimal.RequireFromString("0.30"))
	welcome.Label = "30% off the first order"
	svc, err := referral.New(referral.Config{
		Store: referral.NewMemoryStore(),
		Clock: clock,
		Rules: referral.Rules{
			WelcomeRewards:  []referral.Reward{welcome},
			ReferrerRewards: []referral.Reward{referral.PointsReward(500)},
			ReturnDays:      14,
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	anna, _ := svc.Register(ctx, referral.Registration{
		Referrer: referral.AccountReferrer("anna-cafe"),
		Code:     "ANNA-30",
	})
	fmt.Println("Anna shares her code", anna.Code)

	// Boris types the code in lower case with a space; it is the same code.
	att, err := svc.Attribute(ctx, referral.Attribution{Key: "signup-boris", Code: "anna 30", Referee: "boris-bistro"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("Boris is referred by %s and gets %s\n", att.Referral.Referrer, att.Grants[0].Reward)

	order := loyalty.Order{
		ID: "B-1", Account: "boris-bistro", Currency: loyalty.MustCurrency("RUB"),
		PlacedAt: clock.Now(),
		Lines: []loyalty.Line{{
			SKU: "beans-1kg", Quantity: loyalty.MustQuantity("4"),
			UnitPrice: loyalty.MustPrice("1750", "RUB"),
		}},
	}
	res, _ := svc.RecordOrder(ctx, referral.OrderEvent{Key: "order-B-1", Order: order})
	fmt.Println("First order:", res.Outcome, "-", res.Grants[0].Reward, "for Anna,", res.Grants[0].Status)

	// The ERP sends the same order again: nothing is rewarded twice.
	again, _ := svc.RecordOrder(ctx, referral.OrderEvent{Key: "order-B-1", Order: order})
	fmt.Println("Retry replayed:", again.Replayed)

	clock.Advance(15 * 24 * time.Hour)
	settled, _ := svc.Settle(ctx)
	fmt.Println("After the return window:", settled.Grants[0].Reward, "for Anna,", settled.Grants[0].Status)

	// Boris becomes a referrer in turn and brings Vera.
	boris, _ := svc.Register(ctx, referral.Registration{Referrer: referral.AccountReferrer("boris-bistro"), Code: "BORIS"})
	vera, _ := svc.Attribute(ctx, referral.Attribution{Key: "signup-vera", Code: boris.Code, Referee: "vera-coffee"})
	fmt.Printf("Vera is referred by %s and gets %s\n", vera.Referral.Referrer, vera.Grants[0].Reward)

	// Anna cannot be referred back by Boris: that would close a cycle.
	_, err = svc.Attribute(ctx, referral.Attribution{Key: "signup-anna", Code: "BORIS", Referee: "anna-cafe"})
	fmt.Println(errors.Is(err, referral.ErrCycle), err)

	rep, _ := svc.Report(ctx, referral.AccountReferrer("anna-cafe"))
	fmt.Printf("Anna: %d attributed, %d converted, %d points granted\n", rep.Attributed, rep.Converted, rep.Granted.Points)
	// Output:
	// Anna shares her code ANNA30
	// Boris is referred by account anna-cafe and gets 30% off the first order
	// First order: converted - 500 points for Anna, pending
	// Retry replayed: true
	// After the return window: 500 points for Anna, final
	// Vera is referred by account boris-bistro and gets 30% off the first order
	// true referral: referral cycle: account boris-bistro was itself referred through account anna-cafe: anna-cafe → boris-bistro → anna-cafe (each referred by the next)
	// Anna: 1 attributed, 1 converted, 500 points granted
}

// Every refusal says why, as a sentinel to branch on, a stable reason and a sentence.
func ExampleRefusalError() {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	svc, _ := referral.New(referral.Config{Store: referral.NewMemoryStore(), Clock: clock})
	svc.Register(ctx, referral.Registration{
		Referrer: referral.BuyerReferrer("acme", "ivan"),
		Code:     "IVAN",
		Identity: referral.Identity{TaxIDs: []string{"7707083893"}, Phones: []string{"+7 (495) 123-45-67"}},
	})
	for _, a := range []referral.Attribution{
		{Key: "1", Code: "ivan", Referee: "acme"},
		{Key: "2", Code: "ivan", Referee: "shell-co", Identity: referral.Identity{TaxIDs: []string{"7707 083 893"}}},
		{Key: "3", Code: "ivan", Referee: "shell-co", Identity: referral.Identity{Phones: []string{"74951234567"}}},
		{Key: "4", Code: "ivan", Referee: "old-client", Customer: true},
		{Key: "5", Code: "ivan", Referee: "new-co"},
		{Key: "6", Code: "ivan", Referee: "new-co"},
	} {
		_, err := svc.Attribute(ctx, a)
		var re *referral.RefusalError
		if errors.As(err, &re) {
			fmt.Printf("%s: %v\n", re.Reason, err)
		} else {
			fmt.Println("attributed", a.Referee, err)
		}
	}
	// Output:
	// same-company: referral: self-referral: buyer ivan of account acme cannot refer its own company acme
	// matching-tax-id: referral: self-referral: account shell-co has the tax identifier 7707083893 of buyer ivan of account acme
	// matching-contact: referral: self-referral: account shell-co has the phone 74951234567 of buyer ivan of account acme
	// already-customer: referral: referee is already a customer: account old-client has bought before and cannot be referred
	// attributed new-co <nil>
	// already-attributed: referral: referee is already attributed: account new-co is already attributed to buyer ivan of account acme since 2026-03-02T10:00:00Z
}
