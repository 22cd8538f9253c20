package referral_test

import (
	"fmt"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
)

func benchService(b *testing.B, referrers int) (*referral.Service, *loyalty.ManualClock, []string) {
	rules := twoSided()
	rules.Caps = []referral.Cap{{Period: loyalty.Month, MaxConversions: 1000, MaxPoints: 1_000_000}}
	rules.Milestones = []referral.Milestone{{Every: 5, Rewards: []referral.Reward{referral.PointsReward(1000)}}}
	rules.Velocity = []referral.VelocityLimit{{Max: 1 << 30, Within: days(1)}}
	svc, clock := setup(b, rules)
	codes := make([]string, referrers)
	for i := range codes {
		codes[i] = register(b, svc, referral.AccountReferrer(loyalty.AccountID(fmt.Sprintf("ref-%d", i))), "", referral.Identity{}).Code
	}
	return svc, clock, codes
}

// BenchmarkAttribute attributes new referees to 1,000 referrers, with every guard on.
func BenchmarkAttribute(b *testing.B) {
	svc, _, codes := benchService(b, 1000)
	keys := make([]loyalty.IdempotencyKey, b.N)
	referees := make([]loyalty.AccountID, b.N)
	for i := range keys {
		keys[i] = loyalty.IdempotencyKey(fmt.Sprintf("att-%d", i))
		referees[i] = loyalty.AccountID(fmt.Sprintf("new-%d", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := svc.Attribute(ctx, referral.Attribution{Key: keys[i], Code: codes[i%len(codes)], Referee: referees[i]}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvert records the converting first order of attributed referees (two-sided
// rewards, caps and milestones on).
func BenchmarkConvert(b *testing.B) {
	svc, _, codes := benchService(b, 1000)
	events := make([]referral.OrderEvent, b.N)
	for i := range events {
		a := loyalty.AccountID(fmt.Sprintf("new-%d", i))
		attribute(b, svc, fmt.Sprintf("att-%d", i), codes[i%len(codes)], a)
		events[i] = referral.OrderEvent{Key: loyalty.IdempotencyKey(fmt.Sprintf("ord-%d", i)), Order: mkOrder(loyalty.OrderID("o-"+a), a, "12000", t0)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res, err := svc.RecordOrder(ctx, events[i])
		if err != nil || res.Outcome != referral.OutcomeConverted {
			b.Fatal(res.Outcome, err)
		}
	}
}

// BenchmarkSettle finalises converted referrals whose return window has closed; the time
// is per referral, in batches of 100 per transaction.
func BenchmarkSettle(b *testing.B) {
	svc, clock, codes := benchService(b, 1000)
	for i := range b.N {
		a := loyalty.AccountID(fmt.Sprintf("new-%d", i))
		attribute(b, svc, fmt.Sprintf("att-%d", i), codes[i%len(codes)], a)
		recordOrder(b, svc, fmt.Sprintf("ord-%d", i), mkOrder(loyalty.OrderID("o-"+a), a, "12000", t0))
	}
	clock.Set(t0.Add(days(15)))
	b.ReportAllocs()
	b.ResetTimer()
	res, err := svc.Settle(ctx)
	if err != nil || len(res.Finalized) != b.N {
		b.Fatalf("settled %d of %d: %v", len(res.Finalized), b.N, err)
	}
}
