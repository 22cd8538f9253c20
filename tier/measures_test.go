package tier_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
)

// A cumulative discount that lapses when the customer stops buying and comes back with the
// next purchase: one order in a rolling two months keeps the "regular" rate.
func TestRollingWindowLapsesAndRestores(t *testing.T) {
	l := tier.Ladder{
		Measure: tier.Orders,
		Levels: []tier.Level{
			{Name: "base"},
			{Name: "regular", Threshold: tier.Amount{Count: 1}, Benefits: tier.Benefits{DiscountRate: dec("0.05")}},
		},
		Window: tier.Window{Kind: tier.Rolling, Months: 2},
	}
	clock := loyalty.NewManualClock(date(2025, 1, 10).Add(15 * time.Hour))
	svc, _ := newSvc(t, l, clock)
	svc.Enroll(ctx, "shop", date(2025, 1, 1))
	if st, err := svc.Record(ctx, "shop", clock.Now(), tier.Amount{Count: 1}, "o1"); err != nil || st.Level != 1 {
		t.Fatalf("after the first order: %+v, %v", st, err)
	}
	clock.Set(date(2025, 5, 5).Add(11 * time.Hour))
	if st, err := svc.Record(ctx, "shop", clock.Now(), tier.Amount{Count: 1}, "o2"); err != nil || st.Level != 1 {
		t.Fatalf("after the second order: %+v, %v", st, err)
	}
	got, _ := svc.Changes(ctx, "shop")
	// the stored history was compacted: the January order can no longer matter
	if a, _ := svc.Account(ctx, "shop"); len(a.History) != 1 {
		t.Errorf("stored history = %+v, want only the May order", a.History)
	}
	// the January order leaves the window (10 March − 2 months = 10 January) on 10 March
	want := []tier.Change{
		{Account: "shop", At: date(2025, 1, 10), Kind: tier.Upgraded, From: 0, To: 1, Earned: 1, Qualifying: tier.Amount{Count: 1}},
		{Account: "shop", At: date(2025, 3, 10), Kind: tier.Downgraded, From: 1, To: 0, Earned: 0, Qualifying: tier.Amount{Count: 0}},
		{Account: "shop", At: date(2025, 5, 5), Kind: tier.Upgraded, From: 0, To: 1, Earned: 1, Qualifying: tier.Amount{Count: 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// the pure evaluation, all at once, agrees
	fresh := tier.Account{ID: "shop", Enrolled: date(2025, 1, 1), History: tier.History{
		{Day: tier.DayOf(date(2025, 1, 10)), Units: 1}, {Day: tier.DayOf(date(2025, 5, 5)), Units: 1}}}
	_, ch, _ := svc.Evaluator().Advance(fresh, clock.Now())
	if diff := cmp.Diff(want, ch); diff != "" {
		t.Errorf("Advance at once (-want +got):\n%s", diff)
	}
}

// A fuel distributor ranks stations by litres bought in their membership year.
func TestVolumeLadderOnAnniversaryYear(t *testing.T) {
	l := tier.Ladder{
		Measure: tier.Volume,
		Levels: []tier.Level{
			{Name: "station"},
			{Name: "partner", Threshold: tier.Amount{Volume: loyalty.MustQuantity("50000")}, Benefits: tier.Benefits{Perks: []string{"free delivery"}}},
		},
		Window: tier.Window{Kind: tier.Anniversary},
		Review: tier.ReviewPolicy{UpgradeEvery: loyalty.Month, DowngradeEvery: loyalty.Month},
	}
	clock := loyalty.NewManualClock(date(2025, 4, 20))
	svc, _ := newSvc(t, l, clock)
	svc.Enroll(ctx, "azs-1", date(2024, 6, 15))
	if _, err := svc.Record(ctx, "azs-1", date(2025, 4, 20), tier.Amount{Volume: loyalty.MustQuantity("50000.5")}, "d1"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{date(2025, 5, 1), "partner"}, // the May review sees 50,000.5 litres in the year from 15 June 2024
		{date(2025, 6, 1), "partner"}, // still inside that year
		{date(2025, 7, 1), "station"}, // the year from 15 June 2025 has nothing yet
	} {
		clock.Set(tt.at)
		st, _, err := svc.Review(ctx, "azs-1", tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := svc.Evaluator().Level(st.Level).Name; got != tt.want {
			t.Errorf("at %v: %s, want %s", tt.at, got, tt.want)
		}
	}
	p, _ := svc.Project(ctx, "azs-1")
	if p.NeededForNext.Volume.String() != "50000" || !p.WindowStart.Equal(date(2025, 6, 15)) || !p.WindowEnd.Equal(date(2026, 6, 15)) {
		t.Errorf("projection: needed %s, window [%v, %v)", p.NeededForNext.Volume, p.WindowStart, p.WindowEnd)
	}
	// amounts of another measure are refused, naming the field
	_, err := svc.Record(ctx, "azs-1", date(2025, 7, 1), tier.Amount{Spend: rub("10")}, "d2")
	if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "amount.spend: must be zero unless the measure is spend") {
		t.Errorf("recording spend on a volume ladder: %v", err)
	}
}

func TestRecordOnTenureLadderIsRefused(t *testing.T) {
	l := tier.Ladder{Measure: tier.Tenure, Levels: []tier.Level{{Name: "new"}, {Name: "old", Threshold: tier.Amount{Count: 12}}}}
	svc, _ := newSvc(t, l, loyalty.NewManualClock(date(2025, 6, 1)))
	svc.Enroll(ctx, "t", date(2025, 1, 1))
	_, err := svc.Record(ctx, "t", date(2025, 5, 1), tier.Amount{Count: 1}, "k")
	if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "amount: cannot be recorded on a tenure ladder") {
		t.Errorf("Record on a tenure ladder: %v", err)
	}
}

func TestRecordOverflowIsAnError(t *testing.T) {
	svc, _ := newSvc(t, milesLadder(), loyalty.NewManualClock(date(2025, 6, 1)))
	svc.Enroll(ctx, "x", date(2025, 1, 1))
	if _, err := svc.Record(ctx, "x", date(2025, 5, 1), tier.Amount{Count: 1<<63 - 1}, "k1"); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Record(ctx, "x", date(2025, 5, 1), tier.Amount{Count: 1}, "k2")
	if !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("overflowing a day total: %v, want ErrOverflow", err)
	}
	a, _ := svc.Account(ctx, "x")
	if len(a.History) != 1 || a.History[0].Units != 1<<63-1 {
		t.Errorf("history after the failed record: %+v", a.History)
	}
}

// A purchase at 22:00 UTC on 31 December is 01:00 on 1 January in Moscow: it counts for the
// new year of a Moscow program, and the program's reviews happen at Moscow midnight.
func TestWindowsFollowTheProgramTimeZone(t *testing.T) {
	e := mustEvaluator(airlineLadder()) // Moscow
	lateUTC := time.Date(2025, 12, 31, 22, 0, 0, 0, time.UTC)
	a := tier.Account{ID: "tz", Enrolled: date(2025, 1, 1), History: tier.History{
		{Day: tier.DayOf(lateUTC.In(msk)), Units: rub("3500000").MinorUnits()},
	}}
	if got := tier.DayOf(lateUTC.In(msk)).String(); got != "2026-01-01" {
		t.Fatalf("local day = %s, want 2026-01-01", got)
	}
	if q := e.Qualifying(a, lateUTC); q.Spend.Amount() != "3500000.00" {
		t.Errorf("2026 spend seen at the purchase = %s", q.Spend)
	}
	if q := e.Qualifying(a, time.Date(2025, 12, 31, 20, 59, 0, 0, time.UTC)); !q.Spend.IsZero() {
		t.Errorf("2025 spend = %s, want 0: the purchase belongs to 2026 in Moscow", q.Spend)
	}
	// the February review happens at Moscow midnight: 31 January 21:00 UTC
	b, _, _ := e.Advance(a, time.Date(2026, 1, 31, 20, 59, 0, 0, time.UTC))
	if b.Status.Level != 0 {
		t.Errorf("upgraded before the Moscow review: %d", b.Status.Level)
	}
	b, ch, _ := e.Advance(b, time.Date(2026, 1, 31, 21, 0, 0, 0, time.UTC))
	if b.Status.Level != 1 || len(ch) != 1 || !ch[0].At.Equal(date(2026, 2, 1)) {
		t.Errorf("at the Moscow review: level %d, changes %+v", b.Status.Level, ch)
	}
}
