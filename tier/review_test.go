package tier_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
)

// step is one point of a scenario: advance to at, then expect the earned level.
type step struct {
	at   time.Time
	want string
}

func runSteps(t *testing.T, e *tier.Evaluator, a tier.Account, steps []step) (tier.Account, []tier.Change) {
	t.Helper()
	var all []tier.Change
	for _, s := range steps {
		var ch []tier.Change
		var err error
		a, ch, err = e.Advance(a, s.at)
		if err != nil {
			t.Fatalf("Advance(%v): %v", s.at, err)
		}
		all = append(all, ch...)
		if got := e.Level(a.Status.Level).Name; got != s.want {
			t.Errorf("at %v: level %s, want %s", s.at, got, s.want)
		}
	}
	return a, all
}

func TestAirlineMonthlyUpgradesYearlyDowngrades(t *testing.T) {
	e := mustEvaluator(airlineLadder())
	a := tier.Account{
		ID:       "acme",
		Enrolled: time.Date(2025, 1, 10, 10, 0, 0, 0, msk),
		History: spendHistory(
			date(2025, 1, 20), "2000000",
			date(2025, 2, 15), "1500000",
			date(2025, 6, 10), "2000000",
			date(2026, 3, 3), "3200000",
		),
	}
	a, changes := runSteps(t, e, a, []step{
		{time.Date(2025, 1, 31, 12, 0, 0, 0, msk), "5%"},
		{date(2025, 2, 1), "5%"},  // January: 2,000,000
		{date(2025, 2, 20), "5%"}, // 3,500,000 since 15 February, but upgrades wait for the monthly review
		{date(2025, 3, 1), "6%"},  // the March review sees 3,500,000
		{date(2025, 6, 30), "6%"},
		{date(2025, 7, 1), "7%"}, // 5,500,000
		{date(2026, 1, 1), "7%"}, // the yearly downgrade review judges 2025: 5,500,000 keeps 7%
		{date(2026, 6, 1), "7%"}, // 2026 so far: 3,200,000, but downgrades wait for the year end
		{date(2026, 12, 31), "7%"},
		{date(2027, 1, 1), "6%"}, // 2026: 3,200,000 supports 6%
	})
	want := []tier.Change{
		{Account: "acme", At: date(2025, 3, 1), Kind: tier.Upgraded, From: 0, To: 1, Earned: 1, Qualifying: tier.Amount{Spend: rub("3500000")}},
		{Account: "acme", At: date(2025, 7, 1), Kind: tier.Upgraded, From: 1, To: 2, Earned: 2, Qualifying: tier.Amount{Spend: rub("5500000")}},
		{Account: "acme", At: date(2027, 1, 1), Kind: tier.Downgraded, From: 2, To: 1, Earned: 1, Qualifying: tier.Amount{Spend: rub("3200000")}},
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if !a.Status.Since.Equal(date(2027, 1, 1)) {
		t.Errorf("Since = %v, want 2027-01-01", a.Status.Since)
	}
	if got := e.Benefits(a.Status, date(2027, 1, 2)).EarnRate; !got.Equal(dec("0.06")) {
		t.Errorf("earn rate = %s, want 0.06", got)
	}
}

func TestAirlineAdvanceAtOnceEqualsStepwise(t *testing.T) {
	e := mustEvaluator(airlineLadder())
	a := tier.Account{ID: "acme", Enrolled: date(2025, 1, 1), History: spendHistory(
		date(2025, 12, 20), "5000000.01", // crosses 7% in December: upgraded at the 1 January review
	)}
	once, ch1, err := e.Advance(a, date(2028, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	stepped, ch2 := runSteps(t, e, a, []step{
		{date(2025, 12, 31), "5%"}, {date(2026, 1, 1), "7%"}, {date(2026, 12, 31), "7%"}, {date(2027, 1, 1), "5%"}, {date(2028, 2, 1), "5%"},
	})
	if diff := cmp.Diff(once, stepped); diff != "" {
		t.Errorf("account advanced at once differs from stepwise (-once +stepped):\n%s", diff)
	}
	if diff := cmp.Diff(ch1, ch2); diff != "" {
		t.Errorf("changes differ (-once +stepped):\n%s", diff)
	}
	if _, _, err := e.Advance(once, date(2028, 1, 31)); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Advance into the past: error = %v, want ErrInvalid", err)
	}
}

func TestMilesLadder(t *testing.T) {
	e := mustEvaluator(milesLadder())
	a := tier.Account{ID: "flyer", Enrolled: date(2025, 1, 1), History: tier.History{
		{Day: tier.DayOf(date(2025, 1, 15)), Units: 500},
		{Day: tier.DayOf(date(2025, 3, 10)), Units: 600},
	}}
	a, changes := runSteps(t, e, a, []step{
		{time.Date(2025, 1, 15, 9, 0, 0, 0, msk), "Silver"}, // upgrades are immediate
		{time.Date(2025, 3, 10, 23, 0, 0, 0, msk), "Gold"},
		{date(2026, 1, 1), "Gold"},   // 12 months to 31 Dec 2025: 1,100
		{date(2026, 2, 1), "Silver"}, // 1 Feb 2025 – 31 Jan 2026: 600; one level down
		{date(2026, 3, 1), "Silver"}, // 1 Mar 2025 – 28 Feb 2026: 600 still supports Silver
		{date(2026, 4, 1), "Red"},    // nothing left in the window
	})
	kinds := []tier.ChangeKind{}
	for _, c := range changes {
		kinds = append(kinds, c.Kind)
	}
	if diff := cmp.Diff([]tier.ChangeKind{tier.Upgraded, tier.Upgraded, tier.Downgraded, tier.Downgraded}, kinds); diff != "" {
		t.Errorf("change kinds (-want +got):\n%s", diff)
	}
	b := e.Level(2).Benefits
	if !b.Multiplier().Equal(dec("2")) || !b.HasPerk("lounge access") {
		t.Errorf("Gold benefits = %+v", b)
	}
	if got := e.Level(0).Benefits.Multiplier(); !got.Equal(dec("1")) {
		t.Errorf("Red multiplier = %s, want the default 1", got)
	}
	_ = a
}

func TestDowngradeToQualifiedSkipsLevels(t *testing.T) {
	l := milesLadder()
	l.Review.Downgrade = tier.ToQualified
	e := mustEvaluator(l)
	a := tier.Account{ID: "x", Enrolled: date(2025, 1, 1), History: tier.History{{Day: tier.DayOf(date(2025, 1, 15)), Units: 1000}}}
	runSteps(t, e, a, []step{{date(2025, 1, 16), "Gold"}, {date(2026, 1, 1), "Gold"}, {date(2026, 2, 1), "Red"}})
}

func TestGracePeriod(t *testing.T) {
	l := milesLadder()
	l.Review.GraceMonths = 2
	l.Review.Downgrade = tier.ToQualified
	e := mustEvaluator(l)
	base := tier.Account{ID: "x", Enrolled: date(2025, 1, 1), History: tier.History{{Day: tier.DayOf(date(2025, 1, 15)), Units: 1000}}}

	t.Run("expires", func(t *testing.T) {
		a, changes := runSteps(t, e, base, []step{
			{date(2026, 2, 1), "Gold"}, // failed the review: grace until 1 April
			{date(2026, 3, 31), "Gold"},
			{date(2026, 4, 1), "Red"},
		})
		if a.Status.Grace != nil {
			t.Errorf("grace still pending: %+v", a.Status.Grace)
		}
		var kinds []tier.ChangeKind
		for _, c := range changes {
			kinds = append(kinds, c.Kind)
		}
		if diff := cmp.Diff([]tier.ChangeKind{tier.Upgraded, tier.GraceStarted, tier.Downgraded}, kinds); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if got := changes[1]; got.From != 2 || got.To != 2 || !got.At.Equal(date(2026, 2, 1)) {
			t.Errorf("grace event = %+v", got)
		}
	})
	t.Run("requalified", func(t *testing.T) {
		a := base.Clone()
		a.History = append(a.History, tier.DayTotal{Day: tier.DayOf(date(2026, 2, 10)), Units: 1000})
		a, changes := runSteps(t, e, a, []step{{date(2026, 2, 1), "Gold"}, {date(2026, 3, 1), "Gold"}, {date(2026, 4, 1), "Gold"}})
		if a.Status.Grace != nil {
			t.Errorf("grace still pending after requalifying: %+v", a.Status.Grace)
		}
		if got := changes[len(changes)-1].Kind; got != tier.Requalified {
			t.Errorf("last change = %s, want requalified", got)
		}
	})
}

func TestOverrideAndMembership(t *testing.T) {
	e := mustEvaluator(milesLadder())
	st := tier.Status{
		Level:      1,
		Override:   &tier.Override{Level: 2, From: date(2026, 1, 1), Until: date(2026, 7, 1), Reason: "negotiated"},
		Membership: &tier.Membership{Level: 0, From: date(2026, 1, 1), Until: date(2027, 1, 1)},
	}
	for _, tt := range []struct {
		at   time.Time
		lv   int
		from tier.Source
	}{
		{date(2025, 12, 31), 1, tier.Earned},
		{date(2026, 1, 1), 2, tier.Overridden},
		{date(2026, 6, 30), 2, tier.Overridden},
		{date(2026, 7, 1), 1, tier.Earned},
	} {
		lv, src := e.Effective(st, tt.at)
		if lv != tt.lv || src != tt.from {
			t.Errorf("Effective at %v = %d, %s; want %d, %s", tt.at, lv, src, tt.lv, tt.from)
		}
	}
	// an override never lowers an earned level
	st.Level = 2
	st.Override.Level = 0
	if lv, src := e.Effective(st, date(2026, 2, 1)); lv != 2 || src != tier.Earned {
		t.Errorf("a lower override changed the level: %d, %s", lv, src)
	}
	// a paid membership raises it while it lasts; its expiry is an event
	a := tier.Account{ID: "m", Enrolled: date(2025, 1, 1), Status: tier.Status{Reviewed: date(2025, 1, 1),
		Membership: &tier.Membership{Level: 1, From: date(2025, 1, 1), Until: date(2025, 4, 1), Fee: rub("250")}}}
	a, ch, err := e.Advance(a, date(2025, 5, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := []tier.Change{{Account: "m", At: date(2025, 4, 1), Kind: tier.MembershipExpired, From: 1, To: 0, Earned: 0}}
	if diff := cmp.Diff(want, ch); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if lv, _ := e.Effective(a.Status, date(2025, 5, 1)); lv != 0 {
		t.Errorf("level after the membership ended = %d", lv)
	}
}

func TestTenureLadder(t *testing.T) {
	e := mustEvaluator(tier.Ladder{Measure: tier.Tenure, Levels: []tier.Level{{Name: "new"},
		{Name: "regular", Threshold: tier.Amount{Count: 6}, Benefits: tier.Benefits{Perks: []string{"deferred payment"}}}}})
	a := tier.Account{ID: "t", Enrolled: time.Date(2025, 8, 31, 18, 0, 0, 0, msk)}
	// six months after 31 August is 28 February (month-end clamping)
	runSteps(t, e, a, []step{{time.Date(2026, 2, 27, 23, 0, 0, 0, msk), "new"}, {time.Date(2026, 2, 28, 1, 0, 0, 0, msk), "regular"}})
	// the same, evaluated long after: the upgrade is dated the (clamped) anniversary day
	_, ch, _ := e.Advance(a, date(2026, 6, 1))
	if len(ch) != 1 || !ch[0].At.Equal(date(2026, 2, 28)) || ch[0].Qualifying.Count != 6 {
		t.Errorf("changes = %+v", ch)
	}
}

func TestEnforcedCommitment(t *testing.T) {
	l := tier.Ladder{
		Currency: loyalty.MustCurrency("RUB"),
		Levels: []tier.Level{
			{Name: "open"},
			{Name: "contract", Threshold: tier.Amount{Spend: rub("1")},
				Commitment: &tier.Commitment{Period: loyalty.Quarter, Minimum: tier.Amount{Spend: rub("1000000")}, Enforce: true}},
		},
		Window: tier.Window{Kind: tier.Calendar, Period: loyalty.Year},
		Review: tier.ReviewPolicy{DowngradeEvery: loyalty.Quarter},
	}
	e := mustEvaluator(l)
	a := tier.Account{ID: "c", Enrolled: date(2025, 1, 1), History: spendHistory(
		date(2025, 1, 10), "1200000", // Q1 met
		date(2025, 4, 10), "400000", // Q2 missed by 600,000
	)}
	runSteps(t, e, a, []step{{date(2025, 1, 11), "contract"}, {date(2025, 4, 1), "contract"}, {date(2025, 7, 1), "open"}})

	p := e.Project(a, date(2025, 5, 15))
	want := &tier.CommitmentStatus{PeriodStart: date(2025, 4, 1), PeriodEnd: date(2025, 7, 1),
		Minimum: tier.Amount{Spend: rub("1000000")}, Achieved: tier.Amount{Spend: rub("400000")}, Shortfall: tier.Amount{Spend: rub("600000")}, Enforced: true}
	if diff := cmp.Diff(want, p.Commitment); diff != "" {
		t.Errorf("commitment (-want +got):\n%s", diff)
	}
	if p.ProjectedName != "open" {
		t.Errorf("projected = %s, want open", p.ProjectedName)
	}
}

func TestExplainChange(t *testing.T) {
	e := mustEvaluator(airlineLadder())
	at := date(2025, 4, 1)
	q := tier.Amount{Spend: rub("3300000")}
	for _, tt := range []struct {
		c    tier.Change
		want string
	}{
		{tier.Change{Account: "acme", At: at, Kind: tier.Upgraded, From: 0, To: 1, Earned: 1, Qualifying: q},
			"On 2025-04-01 account acme was upgraded from 5% to 6% (qualifying spend 3300000.00 RUB)."},
		{tier.Change{Account: "acme", At: at, Kind: tier.Downgraded, From: 2, To: 1, Earned: 1, Qualifying: q},
			"On 2025-04-01 account acme was downgraded from 7% to 6% (qualifying spend 3300000.00 RUB)."},
		{tier.Change{Account: "acme", At: at, Kind: tier.GraceStarted, From: 2, To: 2, Earned: 2, Qualifying: q},
			"On 2025-04-01 account acme no longer qualified for 7% (qualifying spend 3300000.00 RUB) and keeps it for a grace period."},
		{tier.Change{Account: "acme", At: at, Kind: tier.Requalified, From: 2, To: 2, Earned: 2, Qualifying: q},
			"On 2025-04-01 account acme qualified again for 7% (qualifying spend 3300000.00 RUB): the grace period is over."},
		{tier.Change{Account: "acme", At: at, Kind: tier.OverrideSet, From: 0, To: 2},
			"On 2025-04-01 account acme was given a manual override: level 7% (was 5%)."},
		{tier.Change{Account: "acme", At: at, Kind: tier.OverrideExpired, From: 2, To: 0},
			"On 2025-04-01 account acme lost its manual override: level 5% (was 7%)."},
		{tier.Change{Account: "acme", At: at, Kind: tier.MembershipBought, From: 0, To: 1},
			"On 2025-04-01 account acme bought a membership: level 6% (was 5%)."},
		{tier.Change{Account: "acme", At: at, Kind: tier.MembershipExpired, From: 1, To: 0},
			"On 2025-04-01 account acme's membership ended: level 5% (was 6%)."},
		{tier.Change{Account: "acme", At: at.Add(-time.Hour), Kind: "renamed", From: 9, To: 1}, // clamped, in the program's zone
			"On 2025-03-31 account acme changed (renamed): level 6% (was 7%)."},
	} {
		if got := e.ExplainChange(tt.c); got != tt.want {
			t.Errorf("ExplainChange(%s) =\n%s\nwant\n%s", tt.c.Kind, got, tt.want)
		}
	}
}
