package campaign

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// The campaigns value their points with the redemption rules of the engine's points ledger
// (compileCampaigns computes them as New gives them to the ledger, without copying the
// ledger's configuration per evaluation); campaigns without points have none.
func TestCampaignsValuePointsAsTheLedger(t *testing.T) {
	rub := loyalty.MustCurrency("RUB")
	mult := decimal.RequireFromString("2")
	for _, tc := range []struct {
		name string
		red  points.Redemption
	}{
		{"currency given", points.Redemption{Currency: rub, PointValue: decimal.RequireFromString("0.5"), Rounding: loyalty.Down}},
		{"a share and a minimum", points.Redemption{Currency: rub, PointValue: decimal.RequireFromString("1"),
			MaxShare: decimal.RequireFromString("0.5"), MinPoints: 10}},
		{"no point value", points.Redemption{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Program{ID: "p", Currency: rub, TimeZone: "UTC", Redemption: tc.red,
				Earning: points.Rules{Rates: []points.Rate{{Points: 1, Per: decimal.RequireFromString("100")}}},
				Campaigns: []Campaign{
					{ID: "bonus", Schedule: Schedule{End: "2026-12-31"}, Actions: []Action{{Kind: ActionPoints, Points: 5}}},
					{ID: "double", Schedule: Schedule{End: "2026-12-31"}, Actions: []Action{{Kind: ActionMultiplier, Multiplier: mult}}},
					{ID: "gift", Schedule: Schedule{End: "2026-12-31"}, Actions: []Action{{Kind: ActionPerk, Perk: "mug"}}},
				}}
			e, err := New(p, MemoryStores(), Config{})
			if err != nil {
				t.Fatal(err)
			}
			want := e.ledger.Config().Redemption
			for _, c := range e.camps {
				switch {
				case c.ID == "gift" && c.red != nil:
					t.Errorf("campaign %s without points has redemption rules %+v", c.ID, *c.red)
				case c.ID != "gift" && c.red == nil:
					t.Errorf("campaign %s has no redemption rules", c.ID)
				case c.red != nil:
					if diff := cmp.Diff(want, *c.red); diff != "" {
						t.Errorf("campaign %s: redemption (-ledger +campaign):\n%s", c.ID, diff)
					}
				}
			}
		})
	}
}
