package campaign_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
)

// A level's multiplier combines with each set of applied multiplier campaigns: accounts at
// different levels, with and without a second multiplier campaign, evaluated in turn on one
// engine (which reuses its evaluations' memory), get the quotes of engines that evaluated
// nothing else.
func TestEvaluateMultipliersOfLevelsAndCampaigns(t *testing.T) {
	p := referenceCampaigns()
	p.Campaigns[1].Audience = campaign.Audience{} // points ×2 for every level
	p.Campaigns = append(p.Campaigns, campaign.Campaign{ID: "big-tools", Schedule: p.Campaigns[0].Schedule,
		Conditions: campaign.Conditions{MinAmount: m("1000")},
		Actions:    []campaign.Action{{Kind: campaign.ActionMultiplier, Multiplier: d("1.5")}}})
	s := campaign.MemoryStores()
	clock := loyalty.NewManualClock(t0)
	e, err := campaign.New(p, s, campaign.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ { // acme reaches Silver; bob stays at the first level
		clock.Advance(time.Hour)
		commit(t, e, evaluate(t, e, order(fmt.Sprintf("h%d", i), "acme", clock.Now(), line("drill", "tools", "1", "5000", "3000")), campaign.EvaluateOptions{}))
	}
	clock.Advance(time.Hour)
	var orders []loyalty.Order
	for i, acct := range []string{"acme", "bob", "acme", "bob"} {
		price := "123.45" // below big-tools' minimum: ×2 only
		if i >= 2 {
			price = "2000" // ×2 and ×1.5 add up to ×2.5
		}
		orders = append(orders, order(fmt.Sprintf("o%d", i), acct, clock.Now(), line("saw", "tools", "3", price, "")))
	}
	var want []campaign.Quote
	for _, o := range orders {
		fresh, err := campaign.New(p, s, campaign.Config{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, evaluate(t, fresh, o, campaign.EvaluateOptions{}))
	}
	mults := map[string]bool{}
	for round := 0; round < 2; round++ {
		for i, o := range orders {
			q := evaluate(t, e, o, campaign.EvaluateOptions{})
			if d := cmp.Diff(want[i], q); d != "" {
				t.Fatalf("round %d, order %s (-want +got):\n%s", round, o.ID, d)
			}
			mults[q.Earnings[0].Multiplier.String()] = true
		}
	}
	// The first level earns ×1 and Silver ×1.5 in the reference program; the campaigns add
	// their extras (×2, or ×2 and ×1.5 make ×2.5): 2, 2.5, 3 and 3.75.
	if d := cmp.Diff(map[string]bool{"2": true, "2.5": true, "3": true, "3.75": true}, mults); d != "" {
		t.Errorf("multipliers (-want +got):\n%s", d)
	}
}
