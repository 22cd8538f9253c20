package campaign_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/referral"
)

// referralShop rewards referrers with 500 points once a referred company's first order of
// at least 1,000 can no longer be returned (14 days); the new company gets 10 % off that
// first order at once and 200 points when the referral is final.
func referralShop() campaign.Program {
	return campaign.Program{
		ID: "referrals", Currency: rub, TimeZone: "Europe/Moscow",
		Earning:    points.Rules{Rates: []points.Rate{{Points: 1, Per: d("100")}}},
		Redemption: points.Redemption{Currency: rub, PointValue: d("1")},
		Referral: &referral.Rules{MinOrder: m("1000"), ReturnDays: 14,
			ReferrerRewards: []referral.Reward{referral.PointsReward(500)},
			RefereeRewards:  []referral.Reward{referral.PointsReward(200)},
			WelcomeRewards:  []referral.Reward{referral.DiscountReward(d("0.10"))}},
	}
}

func TestReferral(t *testing.T) {
	e, clock := newEngine(t, referralShop())
	if _, err := e.Referrals().Register(ctx, referral.Registration{Referrer: referral.AccountReferrer("anna"), Code: "ANNA-1"}); err != nil {
		t.Fatal(err)
	}
	// Anna cannot refer herself.
	own := order("a1", "anna", t0, line("beans", "beans", "1", "5000", ""))
	own.Codes = []string{"anna 1"}
	if q := evaluate(t, e, own, campaign.EvaluateOptions{}); !errors.Is(q.Codes[0].Err(), referral.ErrSelfReferral) {
		t.Errorf("self-referral: %+v, want refused", q.Codes[0])
	}

	// Boris's first order with Anna's code: the welcome 10 % (500) at once; 45 points.
	o := order("b1", "boris", t0, line("beans", "beans", "1", "5000", ""))
	o.Codes = []string{"anna-1"}
	q := evaluate(t, e, o, campaign.EvaluateOptions{})
	c := q.Codes[0]
	if !c.Accepted || c.Kind != campaign.ReferralCode || c.Discount != "referral:welcome" {
		t.Fatalf("referral code = %+v", c)
	}
	if diff := cmp.Diff(ms("4500"), lineTotals(q)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if q.Referral == nil || !q.Referral.New || q.Referral.Outcome != referral.OutcomeConverted {
		t.Errorf("referral effect = %+v, want a new referral converted", q.Referral)
	}
	r := commit(t, e, q)
	if r.Attribution == nil || r.Conversion == nil || r.Conversion.Outcome != referral.OutcomeConverted {
		t.Fatalf("receipt: attribution %+v, conversion %+v", r.Attribution, r.Conversion)
	}

	// A second order cannot use a referral code.
	clock.Advance(time.Hour)
	o2 := order("b2", "boris", clock.Now(), line("beans", "beans", "1", "5000", ""))
	o2.Codes = []string{"ANNA1"}
	q2 := evaluate(t, e, o2, campaign.EvaluateOptions{})
	if !errors.Is(q2.Codes[0].Err(), campaign.ErrNotReferralOrder) {
		t.Errorf("second order: %+v, want refused", q2.Codes[0])
	}
	if q2.Referral == nil || q2.Referral.Outcome != referral.OutcomeAlreadyConverted {
		t.Errorf("second order's referral effect = %+v, want already converted", q2.Referral)
	}

	// After the return window both sides get their points, once.
	clock.Advance(15 * 24 * time.Hour)
	_, posts, err := e.SettleReferrals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 {
		t.Errorf("settlement credited %d grants, want 2", len(posts))
	}
	if _, posts, err := e.SettleReferrals(ctx); err != nil || len(posts) != 0 {
		t.Errorf("second settlement: %d postings, %v; want none", len(posts), err)
	}
	for holder, want := range map[points.Holder]points.Points{points.ForAccount("anna"): 500, points.ForAccount("boris"): 45 + 200} {
		b, err := e.Points().Balance(ctx, holder)
		if err != nil || b.Available != want {
			t.Errorf("%s: balance %d, %v; want %d", holder, b.Available, err, want)
		}
	}
}
