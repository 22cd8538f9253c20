package referral_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/shopspring/decimal"
)

// convertByEvent attributes and converts n referees of code with a custom event (final at once).
func convertByEvent(t *testing.T, svc *referral.Service, code string, from, n int) []referral.Result {
	t.Helper()
	var out []referral.Result
	for i := from; i < from+n; i++ {
		a := loyalty.AccountID(fmt.Sprintf("%s-ref-%d", strings.ToLower(code), i))
		attribute(t, svc, "att-"+string(a), code, a)
		res, err := svc.RecordEvent(ctx, referral.ConversionEvent{Key: loyalty.IdempotencyKey("ev-" + a), Account: a, Name: "signed"})
		if err != nil || res.Outcome != referral.OutcomeConverted {
			t.Fatalf("convert %s: %+v, %v", a, res, err)
		}
		out = append(out, res)
	}
	return out
}

func milestoneIDs(gs []referral.Grant) []string {
	var out []string
	for _, g := range gs {
		if strings.Contains(g.ID, "/milestone/") {
			out = append(out, g.ID+"="+g.Reward.String())
		}
	}
	return out
}

func TestMilestones(t *testing.T) {
	milestones := []referral.Milestone{
		{Every: 5, Rewards: []referral.Reward{referral.PointsReward(1000)}},
		{At: 10, Rewards: []referral.Reward{referral.CreditReward(rubs("5000")), referral.PromoReward("VIP")}},
	}
	tests := []struct {
		conversions int
		want        []string
	}{
		{4, nil},
		{5, []string{"account:acme/milestone/5/0=1000 points"}},
		{9, []string{"account:acme/milestone/5/0=1000 points"}},
		{10, []string{"account:acme/milestone/5/0=1000 points", "account:acme/milestone/10/0=1000 points",
			"account:acme/milestone/10/1=credit of 5000.00 RUB", "account:acme/milestone/10/2=promo code of family VIP"}},
		{15, []string{"account:acme/milestone/5/0=1000 points", "account:acme/milestone/10/0=1000 points",
			"account:acme/milestone/10/1=credit of 5000.00 RUB", "account:acme/milestone/10/2=promo code of family VIP",
			"account:acme/milestone/15/0=1000 points"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.conversions), func(t *testing.T) {
			svc, _ := setup(t, referral.Rules{ConversionEvents: []string{"signed"}, Milestones: milestones})
			register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
			var got []string
			for _, res := range convertByEvent(t, svc, "ACME", 0, tt.conversions) {
				got = append(got, milestoneIDs(res.Grants)...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("milestone grants (-want +got):\n%s", diff)
			}
			p, _ := svc.Profile(ctx, referral.AccountReferrer("acme"))
			if p.Finalized != tt.conversions {
				t.Errorf("profile: %d final conversions, want %d", p.Finalized, tt.conversions)
			}
			// Each milestone is kept on the referral whose conversion reached it.
			got = nil
			for i := range tt.conversions {
				r, err := svc.Referral(ctx, loyalty.AccountID(fmt.Sprintf("acme-ref-%d", i)))
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range r.Grants {
					if g.Milestone > 0 && (g.Milestone != i+1 || g.Referee != r.Referee) {
						t.Errorf("milestone grant %+v on the referral of conversion %d", g, i+1)
					}
				}
				got = append(got, milestoneIDs(r.Grants)...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stored milestone grants (-want +got):\n%s", diff)
			}
		})
	}
}

// A milestone counts final conversions only: a cancelled conversion never reaches one, and
// the milestone arrives when the fifth conversion settles, not when it is ordered.
func TestMilestoneWaitsForFinalConversions(t *testing.T) {
	rules := referral.Rules{ReturnDays: 10, Milestones: []referral.Milestone{{Every: 2, Rewards: []referral.Reward{referral.PointsReward(50)}}}}
	svc, clock := setup(t, rules)
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	for i, a := range []loyalty.AccountID{"r1", "r2", "r3"} {
		attribute(t, svc, "a"+string(a), "ACME", a)
		res := recordOrder(t, svc, "o"+string(a), mkOrder(loyalty.OrderID("o"+a), a, "100", t0.Add(time.Duration(i)*time.Hour)))
		if got := milestoneIDs(res.Grants); got != nil {
			t.Fatalf("milestone on a pending conversion: %v", got)
		}
	}
	clock.Set(t0.Add(days(2)))
	if _, err := svc.RecordReturn(ctx, referral.ReturnEvent{Key: "ret", Account: "r2", Order: "or2", Amount: rubs("100")}); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(days(11)))
	s, err := svc.Settle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]loyalty.AccountID{"r1", "r3"}, s.Finalized); diff != "" {
		t.Errorf("finalized (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"account:acme/milestone/2/0=50 points"}, milestoneIDs(s.Grants)); diff != "" {
		t.Errorf("milestones (-want +got):\n%s", diff)
	}
}

func referrerGrants(gs []referral.Grant) []string {
	var out []string
	for _, g := range gs {
		if g.Side == referral.SideReferrer {
			out = append(out, fmt.Sprintf("%s %s %s", g.Reward, g.Status, g.Note))
		}
	}
	return out
}

func TestCaps(t *testing.T) {
	t.Run("conversions per month", func(t *testing.T) {
		rules := referral.Rules{
			ConversionEvents: []string{"signed"},
			ReferrerRewards:  []referral.Reward{referral.PromoReward("THANKS")},
			RefereeRewards:   []referral.Reward{referral.PointsReward(10)},
			Caps:             []referral.Cap{{Period: loyalty.Month, MaxConversions: 2}},
		}
		svc, clock := setup(t, rules)
		register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
		res := convertByEvent(t, svc, "ACME", 0, 3)
		var got []string
		for _, r := range res {
			got = append(got, referrerGrants(r.Grants)...)
		}
		want := []string{
			"promo code of family THANKS final ",
			"promo code of family THANKS final ",
			"promo code of family THANKS withheld withheld: the cap of 2 rewarded conversions per month is reached",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("January (-want +got):\n%s", diff)
		}
		if g := res[2].Grants[1]; g.Side != referral.SideReferee || g.Status != referral.GrantFinal {
			t.Errorf("referee grant under a referrer cap = %+v, want final", g)
		}
		clock.Set(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
		res = convertByEvent(t, svc, "ACME", 3, 1)
		if diff := cmp.Diff([]string{"promo code of family THANKS final "}, referrerGrants(res[0].Grants)); diff != "" {
			t.Errorf("February (-want +got):\n%s", diff)
		}
		rep, _ := svc.Report(ctx, referral.AccountReferrer("acme"))
		if rep.Withheld != 1 || rep.Granted.Promos != 3 || rep.RefereeGranted.Points != 40 {
			t.Errorf("report = %+v", rep)
		}
	})
	t.Run("points and credit cut down, given back on cancel", func(t *testing.T) {
		rules := referral.Rules{
			ReferrerRewards: []referral.Reward{referral.PointsReward(500), referral.CreditReward(rubs("300"))},
			Caps: []referral.Cap{
				{Period: loyalty.Month, MaxPoints: 1200},
				{Period: loyalty.Year, MaxPoints: 5000, MaxCredit: rubs("700")},
			},
		}
		svc, clock := setup(t, rules)
		register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
		var got []string
		for _, a := range []loyalty.AccountID{"r1", "r2", "r3", "r4"} {
			attribute(t, svc, "a"+string(a), "ACME", a)
			got = append(got, referrerGrants(recordOrder(t, svc, "o"+string(a), mkOrder(loyalty.OrderID("o"+a), a, "100", t0)).Grants)...)
		}
		want := []string{
			"500 points pending ", "credit of 300.00 RUB pending ",
			"500 points pending ", "credit of 300.00 RUB pending ",
			"200 points pending cut from 500 to 200 points by the cap of 1200 points per month",
			"credit of 100.00 RUB pending cut from 300.00 RUB to 100.00 RUB by the cap of 700.00 RUB credit per year",
			"500 points withheld withheld: the cap of 1200 points per month is reached",
			"credit of 300.00 RUB withheld withheld: the cap of 700.00 RUB credit per year is reached",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("grants (-want +got):\n%s", diff)
		}
		// r1 returns everything: its 500 points and 300 credit come back to the caps.
		if _, err := svc.RecordReturn(ctx, referral.ReturnEvent{Key: "ret", Account: "r1", Order: "or1", Amount: rubs("100")}); err != nil {
			t.Fatal(err)
		}
		attribute(t, svc, "a5", "ACME", "r5")
		got = referrerGrants(recordOrder(t, svc, "o5", mkOrder("o5", "r5", "100", t0)).Grants)
		want = []string{"500 points pending ", "credit of 300.00 RUB pending "}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after a cancellation (-want +got):\n%s", diff)
		}
		// Next month: the monthly points cap resets, the yearly credit cap does not.
		clock.Set(time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC))
		attribute(t, svc, "a6", "ACME", "r6")
		got = referrerGrants(recordOrder(t, svc, "o6", mkOrder("o6", "r6", "100", clock.Now())).Grants)
		want = []string{"500 points pending ", "credit of 300.00 RUB withheld withheld: the cap of 700.00 RUB credit per year is reached"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("February (-want +got):\n%s", diff)
		}
	})
}

func TestRulesValidate(t *testing.T) {
	tests := []struct {
		name  string
		rules referral.Rules
		want  []string // substrings of the joined error; none for valid rules
	}{
		{"zero rules are valid", referral.Rules{}, nil},
		{"full rules are valid", twoSided(), nil},
		{"attribution mode", referral.Rules{Attribution: "random"}, []string{`attribution: must be first or last (got random)`}},
		{"negative days", referral.Rules{ReturnDays: -1, ConvertWithinDays: -2, AttributionWindowDays: -3},
			[]string{"return_days: must not be negative (got -1)", "convert_within_days: must not be negative (got -2)", "attribution_window_days: must not be negative (got -3)"}},
		{"code length", referral.Rules{CodeLength: 4}, []string{"code_length: must be from 6 to 32 (got 4)"}},
		{"negative minimum", referral.Rules{MinOrder: rubs("-1")}, []string{`min_order: must not be negative (got "-1.00 RUB")`}},
		{"rewards", referral.Rules{
			ReferrerRewards: []referral.Reward{{Kind: referral.RewardPoints}, {Kind: "cash"}},
			RefereeRewards:  []referral.Reward{{Kind: referral.RewardDiscount, Rate: decimal.RequireFromString("1.5")}, {Kind: referral.RewardPromo}},
			WelcomeRewards:  []referral.Reward{{Kind: referral.RewardCredit, Credit: rubs("-5")}, {Kind: referral.RewardPoints, Points: 5, Family: "X"}},
		}, []string{
			"referrer_rewards[0].points: must be positive (got 0)",
			"referrer_rewards[1].kind: must be points, discount, promo or credit (got cash)",
			"referee_rewards[0].rate: must be greater than 0 and at most 1",
			"referee_rewards[1].family: is required",
			"welcome_rewards[0].credit: must be a positive amount",
			"welcome_rewards[1].family: must be empty for a points reward (got X)",
		}},
		{"mixed currencies", referral.Rules{MinOrder: rubs("100"), ReferrerRewards: []referral.Reward{referral.CreditReward(loyalty.MustMoney("5", "EUR"))}},
			[]string{`referrer_rewards[0].credit: must be in the program currency RUB (got "5.00 EUR")`}},
		{"milestones", referral.Rules{Milestones: []referral.Milestone{{Every: -5, Rewards: []referral.Reward{referral.PointsReward(1)}}, {}, {Every: 5, At: 10, Rewards: []referral.Reward{{Kind: referral.RewardPoints}}}}},
			[]string{"milestones[0].every: must be positive (got -5)", "milestones[1]: must set every or at", "milestones[1].rewards: must not be empty",
				"milestones[2].at: must be empty when every is set (got 10)", "milestones[2].rewards[0].points: must be positive"}},
		{"caps", referral.Rules{Caps: []referral.Cap{{Period: "fortnight", MaxPoints: 1}, {Period: loyalty.Month}, {Period: loyalty.Month, MaxConversions: -1, MaxPoints: -2}}},
			[]string{"caps[0].period: must be one of", "caps[1]: must set max_conversions, max_points or max_credit", "caps[2].max_conversions: must not be negative (got -1)", "caps[2].max_points: must not be negative (got -2)"}},
		{"velocity", referral.Rules{Velocity: []referral.VelocityLimit{{Max: 0, Within: -time.Second}}},
			[]string{"velocity[0].max: must be positive (got 0)", "velocity[0].within: must be positive (got -1s)"}},
		{"empty conversion event", referral.Rules{ConversionEvents: []string{""}}, []string{"conversion_events[0]: must not be empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) {
				t.Errorf("%d errors, want %d:\n%v", n, len(tt.want), err)
			}
			if _, err := referral.New(referral.Config{Rules: tt.rules, Store: referral.NewMemoryStore()}); !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("New accepted invalid rules: %v", err)
			}
		})
	}
	if _, err := referral.New(referral.Config{}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("New without a store = %v", err)
	}
}

func TestReport(t *testing.T) {
	rules := twoSided()
	svc, clock := setup(t, rules)
	acme := referral.AccountReferrer("acme")
	register(t, svc, acme, "ACME", referral.Identity{})
	for _, a := range []loyalty.AccountID{"open", "expired", "pending", "final", "cancelled"} {
		attribute(t, svc, "a-"+string(a), "ACME", a)
	}
	clock.Set(t0.Add(days(1)))
	for _, a := range []loyalty.AccountID{"pending", "final", "cancelled"} {
		recordOrder(t, svc, "o-"+string(a), mkOrder(loyalty.OrderID("o-"+a), a, "10000", t0.Add(days(map[loyalty.AccountID]int{"final": 0, "pending": 10, "cancelled": 1}[a]))))
	}
	if _, err := svc.RecordReturn(ctx, referral.ReturnEvent{Key: "r", Account: "cancelled", Order: "o-cancelled", Amount: rubs("1")}); err != nil {
		t.Fatal(err)
	}
	// 20 days on: "final" settled (ordered on day 0), "pending" has not (ordered on day 10).
	clock.Set(t0.Add(days(20)))
	if _, err := svc.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Report(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	want := referral.Report{
		Referrer: acme, Code: "ACME", Attributed: 5, Open: 2, Pending: 1, Converted: 1, Cancelled: 1,
		Granted:        referral.RewardTotals{Grants: 2, Points: 500, Credit: rubs("1000")},
		PendingRewards: referral.RewardTotals{Grants: 2, Points: 500, Credit: rubs("1000")},
		RefereeGranted: referral.RewardTotals{Grants: 6, Discounts: 5, Promos: 1},
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	clock.Set(t0.Add(days(30)))
	rep, _ = svc.Report(ctx, acme)
	if rep.Open != 0 || rep.Expired != 2 {
		t.Errorf("after the conversion window: open %d, expired %d; want 0, 2", rep.Open, rep.Expired)
	}
	if _, err := svc.Report(ctx, referral.AccountReferrer("nobody")); !errors.Is(err, referral.ErrUnknownReferrer) {
		t.Errorf("report of an unknown referrer = %v", err)
	}
}

// Rules are data: they survive a JSON round trip unchanged (Location aside, which the
// program carries as its time zone).
func TestRulesJSONRoundTrip(t *testing.T) {
	in := twoSided()
	in.Attribution = referral.LastWithinWindow
	in.Milestones = []referral.Milestone{{Every: 5, Rewards: []referral.Reward{referral.PointsReward(1000)}}, {At: 10, Rewards: []referral.Reward{referral.CreditReward(rubs("5000"))}}}
	in.Caps = []referral.Cap{{Period: loyalty.Quarter, MaxConversions: 10, MaxPoints: 5000, MaxCredit: rubs("20000")}}
	in.Velocity = []referral.VelocityLimit{{Max: 5, Within: 24 * time.Hour}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out referral.Rules
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s\n%s", diff, b)
	}
	if err := out.Validate(); err != nil {
		t.Errorf("decoded rules invalid: %v", err)
	}
}
