package referral_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
)

// A supplier's two-sided program for companies and their buyers: the referring buyer earns
// points and a credit for its company once the new client's first order of at least
// 50,000 can no longer be returned; the new client gets a promo code. Every second final
// conversion earns a milestone bonus, and a referrer earns at most 1,500 points a month.
func Example_twoSidedB2B() {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC))
	svc, err := referral.New(referral.Config{
		Store: referral.NewMemoryStore(),
		Clock: clock,
		Rules: referral.Rules{
			MinOrder:          loyalty.MustMoney("50000", "RUB"),
			ConvertWithinDays: 60,
			ReturnDays:        14,
			ReferrerRewards:   []referral.Reward{referral.PointsReward(1000)},
			RefereeRewards:    []referral.Reward{referral.PromoReward("NEWCLIENT")},
			Milestones:        []referral.Milestone{{Every: 2, Rewards: []referral.Reward{referral.CreditReward(loyalty.MustMoney("5000", "RUB"))}}},
			Caps:              []referral.Cap{{Period: loyalty.Month, MaxPoints: 1500}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	engineer := referral.BuyerReferrer("stroymash", "engineer-petrov")
	p, _ := svc.Register(ctx, referral.Registration{Referrer: engineer, Code: "PETROV"})

	order := func(id loyalty.OrderID, account loyalty.AccountID, amount string) referral.Result {
		res, err := svc.RecordOrder(ctx, referral.OrderEvent{Key: loyalty.IdempotencyKey(id), Order: loyalty.Order{
			ID: id, Account: account, Currency: loyalty.MustCurrency("RUB"), PlacedAt: clock.Now(),
			Lines: []loyalty.Line{{SKU: "pump", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice(amount, "RUB")}},
		}})
		if err != nil {
			fmt.Println(err)
		}
		return res
	}
	for _, a := range []loyalty.AccountID{"alfa", "beta", "gamma"} {
		svc.Attribute(ctx, referral.Attribution{Key: loyalty.IdempotencyKey("signup-" + a), Code: p.Code, Referee: a})
	}
	fmt.Println("alfa:", order("A-1", "alfa", "30000").Reason)
	fmt.Println("alfa:", order("A-2", "alfa", "80000").Reason)
	fmt.Println("beta:", order("B-1", "beta", "60000").Grants[0].Note)
	fmt.Println("gamma:", order("G-1", "gamma", "70000").Grants[0].Note)

	clock.Advance(3 * 24 * time.Hour)
	ret, _ := svc.RecordReturn(ctx, referral.ReturnEvent{Key: "R-1", Account: "gamma", Order: "G-1", Amount: loyalty.MustMoney("70000", "RUB")})
	fmt.Println("gamma:", ret.Outcome, "-", ret.Reason)

	clock.Advance(14 * 24 * time.Hour)
	settled, _ := svc.Settle(ctx)
	for _, g := range settled.Grants {
		fmt.Printf("final: %s to the %s (%s)\n", g.Reward, g.Side, g.ID)
	}
	rep, _ := svc.Report(ctx, engineer)
	fmt.Printf("%s: %d attributed, %d converted, %d cancelled; granted %d points and %s\n",
		engineer, rep.Attributed, rep.Converted, rep.Cancelled, rep.Granted.Points, rep.Granted.Credit)
	// Output:
	// alfa: order A-1: 30000.00 RUB is below the minimum of 50000.00 RUB
	// alfa: order A-2 of 80000.00 RUB converted the referral; rewards are final after 2026-04-15
	// beta: cut from 1000 to 500 points by the cap of 1500 points per month
	// gamma: withheld: the cap of 1500 points per month is reached
	// gamma: cancelled - order G-1 was returned inside its return window (0.00 RUB kept)
	// final: 1000 points to the referrer (alfa/referrer/1)
	// final: promo code of family NEWCLIENT to the referee (alfa/referee/2)
	// final: 500 points to the referrer (beta/referrer/1)
	// final: promo code of family NEWCLIENT to the referee (beta/referee/2)
	// final: credit of 5000.00 RUB to the referrer (buyer:engineer-petrov/milestone/2/0)
	// buyer engineer-petrov of account stroymash: 3 attributed, 2 converted, 1 cancelled; granted 1500 points and 5000.00 RUB
}

// A referral explains itself.
func ExampleReferral_Explain() {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC))
	svc, _ := referral.New(referral.Config{
		Store: referral.NewMemoryStore(),
		Clock: clock,
		Rules: referral.Rules{
			ReferrerRewards: []referral.Reward{referral.PointsReward(700)},
			WelcomeRewards:  []referral.Reward{referral.PromoReward("WELCOME")},
			Caps:            []referral.Cap{{Period: loyalty.Month, MaxPoints: 500}},
		},
	})
	svc.Register(ctx, referral.Registration{Referrer: referral.PartnerReferrer("dealer-7", ""), Code: "DEALER7"})
	svc.Attribute(ctx, referral.Attribution{Key: "s1", Code: "dealer7", Referee: "omega"})
	res, _ := svc.RecordOrder(ctx, referral.OrderEvent{Key: "o1", Order: loyalty.Order{
		ID: "OM-1", Account: "omega", Currency: loyalty.MustCurrency("RUB"), PlacedAt: clock.Now(),
		Lines: []loyalty.Line{{SKU: "filter", Quantity: loyalty.MustQuantity("2"), UnitPrice: loyalty.MustPrice("4500", "RUB")}},
	}})
	fmt.Println(res.Referral.Explain())
	// Output:
	// Account omega was referred by partner dealer-7 with code DEALER7 on 2026-05-04.
	// It converted by order OM-1 of 9000.00 RUB on 2026-05-04.
	// The rewards become final on 2026-05-18 unless the order is returned.
	// - promo code of family WELCOME to the referee: final (welcome)
	// - 500 points to the referrer: pending (cut from 700 to 500 points by the cap of 500 points per month)
}
