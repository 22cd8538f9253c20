package tier_test

import (
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the zones of TestPropDayOfIsTheLocalDate on any machine

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
	"pgregory.net/rapid"
)

// genLadder draws an orders ladder with 1–6 levels, any window and any review policy.
func genLadder(t *rapid.T) tier.Ladder {
	n := rapid.IntRange(1, 6).Draw(t, "levels")
	thr := rapid.SliceOfNDistinct(rapid.Int64Range(1, 50), n-1, n-1, rapid.ID[int64]).Draw(t, "thresholds")
	slices.Sort(thr)
	l := tier.Ladder{Measure: tier.Orders, Levels: []tier.Level{{Name: "L0"}}}
	for i, v := range thr {
		l.Levels = append(l.Levels, tier.Level{Name: "L" + string(rune('1'+i)), Threshold: tier.Amount{Count: v}})
	}
	l.Window = rapid.SampledFrom([]tier.Window{
		{}, {Kind: tier.Calendar, Period: loyalty.Month}, {Kind: tier.Calendar, Period: loyalty.Quarter},
		{Kind: tier.Calendar, Period: loyalty.Year}, {Kind: tier.Rolling, Months: 1}, {Kind: tier.Rolling, Months: 12},
		{Kind: tier.Anniversary}, {Kind: tier.Anniversary, Months: 3},
	}).Draw(t, "window")
	periods := []loyalty.Period{"", loyalty.Month, loyalty.Quarter, loyalty.Year}
	l.Review = tier.ReviewPolicy{
		UpgradeEvery:   rapid.SampledFrom(periods).Draw(t, "upgrade"),
		DowngradeEvery: rapid.SampledFrom(periods).Draw(t, "downgrade"),
		Downgrade:      rapid.SampledFrom([]tier.DowngradeMode{tier.ToQualified, tier.OneLevel}).Draw(t, "mode"),
		GraceMonths:    rapid.IntRange(0, 3).Draw(t, "grace"),
	}
	if l.Review.DowngradeEvery == "" {
		l.Review.Downgrade = tier.ToQualified
	}
	if n > 1 && rapid.Bool().Draw(t, "commitment") {
		lv := rapid.IntRange(1, n-1).Draw(t, "committed-level")
		l.Levels[lv].Commitment = &tier.Commitment{
			Period:  rapid.SampledFrom([]loyalty.Period{loyalty.Month, loyalty.Quarter}).Draw(t, "commitment-period"),
			Minimum: tier.Amount{Count: rapid.Int64Range(1, 20).Draw(t, "commitment-min")},
			Enforce: rapid.Bool().Draw(t, "enforce"),
		}
	}
	return l
}

var propStart = date(2025, 1, 1)

// genHistory draws order counts on days within about two years of propStart.
func genHistory(t *rapid.T, label string) tier.History {
	days := rapid.SliceOfNDistinct(rapid.IntRange(0, 800), 0, 20, rapid.ID[int]).Draw(t, label+"-days")
	slices.Sort(days)
	var h tier.History
	for _, d := range days {
		h = append(h, tier.DayTotal{Day: tier.DayOf(propStart) + tier.Day(d), Units: rapid.Int64Range(1, 15).Draw(t, label+"-units")})
	}
	return h
}

func genTime(t *rapid.T, label string) time.Time {
	return propStart.Add(time.Duration(rapid.Int64Range(0, 900*24).Draw(t, label)) * time.Hour)
}

func TestPropLevelIsMonotone(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := mustEvaluator(genLadder(t))
		a := rapid.Int64Range(-10, 80).Draw(t, "a")
		b := rapid.Int64Range(a, 80).Draw(t, "b")
		la, _ := e.LevelFor(tier.Amount{Count: a})
		lb, _ := e.LevelFor(tier.Amount{Count: b})
		if la > lb {
			t.Fatalf("LevelFor(%d) = %d > LevelFor(%d) = %d", a, la, b, lb)
		}
		// and it is the highest level whose threshold is reached
		for i := 0; i < e.Levels(); i++ {
			reached := e.Level(i).Threshold.Count <= a || i == 0
			if reached != (i <= la) {
				t.Fatalf("LevelFor(%d) = %d, but level %d has threshold %d", a, la, i, e.Level(i).Threshold.Count)
			}
		}
	})
}

func TestPropPurchaseNeverLowersLevelBeforeDowngradeReview(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := genLadder(t)
		l.Review.DowngradeEvery = loyalty.Year // no downgrade review before 2026-01-01
		e := mustEvaluator(l)
		a := tier.Account{ID: "a", Enrolled: propStart, History: genHistory(t, "h")}
		at := propStart.Add(time.Duration(rapid.Int64Range(1, 364*24).Draw(t, "at")) * time.Hour)
		extraDay := tier.DayOf(propStart) + tier.Day(rapid.IntRange(0, 364).Draw(t, "extra-day"))
		b := a.Clone()
		b.History = addDay(b.History, extraDay, rapid.Int64Range(1, 30).Draw(t, "extra"))
		a2, _, _ := e.Advance(a, at)
		b2, _, _ := e.Advance(b, at)
		if b2.Status.Level < a2.Status.Level {
			t.Fatalf("a purchase lowered the level at %v: %d -> %d", at, a2.Status.Level, b2.Status.Level)
		}
		// and no account was downgraded at all before the downgrade review
		if a2.Status.Level < 0 || a2.Status.Grace != nil {
			t.Fatalf("downgrade activity before the first downgrade review: %+v", a2.Status)
		}
	})
}

func TestPropAdvanceInStepsEqualsAtOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := mustEvaluator(genLadder(t))
		a := tier.Account{ID: "a", Enrolled: propStart, History: genHistory(t, "h")}
		if rapid.Bool().Draw(t, "override") {
			from := genTime(t, "override-from")
			a.Status.Override = &tier.Override{Level: rapid.IntRange(0, e.Levels()-1).Draw(t, "override-level"), From: from,
				Until: from.Add(time.Duration(rapid.Int64Range(1, 400*24).Draw(t, "override-hours")) * time.Hour)}
		}
		if rapid.Bool().Draw(t, "membership") {
			from := genTime(t, "membership-from")
			a.Status.Membership = &tier.Membership{Level: rapid.IntRange(0, e.Levels()-1).Draw(t, "membership-level"), From: from,
				Until: loyalty.AddMonths(from, rapid.IntRange(1, 12).Draw(t, "membership-months"))}
		}
		ts := rapid.SliceOfN(rapid.Int64Range(1, 900*24), 1, 5).Draw(t, "steps")
		slices.Sort(ts)
		stepped := a
		var chs []tier.Change
		for _, h := range ts {
			var ch []tier.Change
			stepped, ch, _ = e.Advance(stepped, propStart.Add(time.Duration(h)*time.Hour))
			chs = append(chs, ch...)
		}
		once, ch, err := e.Advance(a, propStart.Add(time.Duration(ts[len(ts)-1])*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(once, stepped); diff != "" {
			t.Fatalf("(-once +stepped):\n%s", diff)
		}
		if diff := cmp.Diff(ch, chs); diff != "" {
			t.Fatalf("changes (-once +stepped):\n%s", diff)
		}
	})
}

func TestPropNeededForNextReachesExactlyNext(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := mustEvaluator(genLadder(t))
		a := tier.Account{ID: "a", Enrolled: propStart, History: genHistory(t, "h")}
		now := genTime(t, "now")
		p := e.Project(a, now)
		if p.Next < 0 {
			if lv := max(p.Level, mustLevel(t, e, p.Qualifying)); lv != e.Levels()-1 {
				t.Fatalf("no next level, but the account is at %d of %d", lv, e.Levels())
			}
			return
		}
		if p.NeededForNext.Count <= 0 {
			t.Fatalf("needed for next = %d, want positive", p.NeededForNext.Count)
		}
		b := a.Clone()
		b.History = addDay(b.History, tier.DayOf(now.In(msk)), p.NeededForNext.Count)
		q := e.Qualifying(b, now)
		if got := mustLevel(t, e, q); got != p.Next {
			t.Fatalf("with %d more the measure %d supports level %d, want exactly %d", p.NeededForNext.Count, q.Count, got, p.Next)
		}
		// one less is not enough
		c := a.Clone()
		c.History = addDay(c.History, tier.DayOf(now.In(msk)), p.NeededForNext.Count-1)
		if got := mustLevel(t, e, e.Qualifying(c, now)); got >= p.Next {
			t.Fatalf("%d less than needed already supports level %d", 1, got)
		}
	})
}

func mustLevel(t *rapid.T, e *tier.Evaluator, a tier.Amount) int {
	lv, err := e.LevelFor(a)
	if err != nil {
		t.Fatal(err)
	}
	return lv
}

// addDay adds units on day to a copy of h, keeping it sorted.
func addDay(h tier.History, day tier.Day, units int64) tier.History {
	h = slices.Clone(h)
	for i := range h {
		if h[i].Day == day {
			h[i].Units += units
			return h
		}
	}
	h = append(h, tier.DayTotal{Day: day, Units: units})
	slices.SortFunc(h, func(a, b tier.DayTotal) int { return int(a.Day) - int(b.Day) })
	return h
}

func TestPropCompactChangesNothingLater(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := mustEvaluator(genLadder(t))
		a := tier.Account{ID: "a", Enrolled: propStart, History: genHistory(t, "h")}
		t1 := genTime(t, "t1")
		t2 := t1.Add(time.Duration(rapid.Int64Range(0, 500*24).Draw(t, "later")) * time.Hour)
		a1, _, err := e.Advance(a, t1)
		if err != nil {
			t.Fatal(err)
		}
		c := e.Compact(a1)
		if len(c.History) > len(a1.History) {
			t.Fatalf("compaction grew the history: %d -> %d", len(a1.History), len(c.History))
		}
		want, wantCh, _ := e.Advance(a1, t2)
		got, gotCh, _ := e.Advance(c, t2)
		if diff := cmp.Diff(want.Status, got.Status); diff != "" {
			t.Fatalf("status after compaction (-plain +compacted):\n%s", diff)
		}
		if diff := cmp.Diff(wantCh, gotCh); diff != "" {
			t.Fatalf("changes after compaction (-plain +compacted):\n%s", diff)
		}
		if diff := cmp.Diff(e.Project(a1, t2), e.Project(c, t2)); diff != "" {
			t.Fatalf("projection after compaction (-plain +compacted):\n%s", diff)
		}
	})
}

var keepChecked int

// NeededToKeep is exact: recording it on the last day the next downgrade review judges keeps
// the earned level; one unit less does not.
func TestPropNeededToKeepIsExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := genLadder(t)
		l.Window = rapid.SampledFrom([]tier.Window{{Kind: tier.Calendar, Period: loyalty.Year},
			{Kind: tier.Calendar, Period: loyalty.Quarter}, {Kind: tier.Anniversary}}).Draw(t, "window")
		l.Review.DowngradeEvery = l.Window.Period
		if l.Window.Kind == tier.Anniversary {
			l.Review.DowngradeEvery = loyalty.Month
		}
		l.Review.GraceMonths = 0
		l.Review.Downgrade = tier.ToQualified
		for i := range l.Levels {
			l.Levels[i].Commitment = nil
		}
		e := mustEvaluator(l)
		// denser activity than genHistory, so that many accounts hold a level worth keeping
		days := rapid.SliceOfNDistinct(rapid.IntRange(0, 800), 0, 60, rapid.ID[int]).Draw(t, "days")
		slices.Sort(days)
		var h tier.History
		for _, d := range days {
			h = append(h, tier.DayTotal{Day: tier.DayOf(propStart) + tier.Day(d), Units: rapid.Int64Range(1, 8).Draw(t, "units")})
		}
		a := tier.Account{ID: "a", Enrolled: propStart, History: h}
		for k := 0; k < 20; k++ {
			checkKeep(t, e, a, genTime(t, "now"))
		}
	})
	t.Logf("%d of the cases needed something to keep their level", keepChecked)
}

func checkKeep(t *rapid.T, e *tier.Evaluator, a tier.Account, now time.Time) {
	p := e.Project(a, now)
	if p.KeepBy.IsZero() {
		t.Fatalf("no KeepBy with a downgrade schedule: %+v", p)
	}
	if p.NeededToKeep.Count == 0 {
		return
	}
	keepChecked++
	lastDay := tier.DayOf(p.KeepBy.Add(-time.Nanosecond))
	with := a.Clone()
	with.History = addDay(with.History, lastDay, p.NeededToKeep.Count)
	got, _, _ := e.Advance(with, p.KeepBy)
	if got.Status.Level < p.Earned {
		t.Fatalf("with %d more the account fell from %d to %d at %v", p.NeededToKeep.Count, p.Earned, got.Status.Level, p.KeepBy)
	}
	short := a.Clone()
	short.History = addDay(short.History, lastDay, p.NeededToKeep.Count-1)
	got, _, _ = e.Advance(short, p.KeepBy)
	if got.Status.Level >= p.Earned {
		t.Fatalf("with %d more (one short) the account kept level %d at %v", p.NeededToKeep.Count-1, got.Status.Level, p.KeepBy)
	}
}

func TestPropDayOfMatchesTheCalendar(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sec := rapid.Int64Range(-80000*86400, 80000*86400).Draw(t, "sec")
		at := time.Unix(sec, 0).In(msk)
		y, m, d := at.Date()
		want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
		if got := tier.DayOf(at); int64(got) != want {
			t.Fatalf("DayOf(%v) = %d, want %d", at, got, want)
		}
		if back := tier.DayOf(at).Start(msk); !back.Equal(time.Date(y, m, d, 0, 0, 0, 0, msk)) {
			t.Fatalf("Start = %v", back)
		}
	})
}

// EffectiveAt is Effective on the status Advance returns, and leaves the account as it was.
func TestPropEffectiveAtEqualsAdvanceThenEffective(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := mustEvaluator(genLadder(t))
		a := tier.Account{ID: "a", Enrolled: propStart, History: genHistory(t, "h")}
		if rapid.Bool().Draw(t, "override") {
			from := genTime(t, "override-from")
			a.Status.Override = &tier.Override{Level: rapid.IntRange(0, e.Levels()-1).Draw(t, "override-level"), From: from,
				Until: from.Add(time.Duration(rapid.Int64Range(1, 400*24).Draw(t, "override-hours")) * time.Hour)}
		}
		if rapid.Bool().Draw(t, "reviewed") {
			a, _, _ = e.Advance(a, genTime(t, "reviewed-at"))
		}
		before := a.Clone()
		at := genTime(t, "at")
		checkEffectiveAt(t, e, a, at)
		if diff := cmp.Diff(before, a); diff != "" {
			t.Fatalf("EffectiveAt changed the account (-before +after):\n%s", diff)
		}
	})
}

// EffectiveAt is Effective on the status Advance returns for ladders whose level follows
// the measure at once (immediate upgrades and downgrades, no grace, commitments not
// enforced), whatever the window or measure, over histories with returns, from any stored
// level (one beyond the ladder too) and with overrides.
func TestPropEffectiveAtFollowsTheMeasure(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := genLadder(t)
		l.Review = tier.ReviewPolicy{}
		for i := range l.Levels {
			if c := l.Levels[i].Commitment; c != nil {
				c.Enforce = false
			}
		}
		if rapid.Bool().Draw(t, "tenure") {
			l.Measure, l.Window = tier.Tenure, tier.Window{}
			months := int64(0)
			for i := range l.Levels {
				if i > 0 {
					months += rapid.Int64Range(1, 4).Draw(t, "months")
				}
				l.Levels[i].Threshold = tier.Amount{Count: months}
				l.Levels[i].Commitment = nil
			}
		}
		e := mustEvaluator(l)
		a := tier.Account{ID: "a", Enrolled: propStart, History: genHistory(t, "h")}
		for i := range a.History {
			if rapid.IntRange(0, 4).Draw(t, "return") == 0 {
				a.History[i].Units = -a.History[i].Units
			}
		}
		a.Status.Level = rapid.IntRange(0, e.Levels()).Draw(t, "stored-level")
		if rapid.Bool().Draw(t, "override") {
			from := genTime(t, "override-from")
			a.Status.Override = &tier.Override{Level: rapid.IntRange(0, e.Levels()).Draw(t, "override-level"), From: from,
				Until: from.Add(time.Duration(rapid.Int64Range(1, 400*24).Draw(t, "override-hours")) * time.Hour)}
		}
		if rapid.Bool().Draw(t, "reviewed") {
			a.Status.Reviewed = genTime(t, "reviewed-at")
		}
		at := genTime(t, "at")
		if len(a.History) > 0 && rapid.Bool().Draw(t, "at-midnight") {
			// the first instant of a day with activity, which counts only from then on
			at = a.History[rapid.IntRange(0, len(a.History)-1).Draw(t, "day")].Day.Start(msk)
		}
		checkEffectiveAt(t, e, a, at)
	})
}

// EffectiveAt is Effective on the status Advance returns for ladders with periodic reviews
// both ways and a grace period, around the end of a pending grace (which lowers the level
// between reviews).
func TestPropEffectiveAtThroughGrace(t *testing.T) {
	graces := 0
	rapid.Check(t, func(t *rapid.T) {
		l := genLadder(t)
		periods := []loyalty.Period{loyalty.Month, loyalty.Quarter, loyalty.Year}
		// Upgrades reviewed less often than a grace lasts, so that graces end between
		// reviews.
		l.Review.UpgradeEvery = rapid.SampledFrom(periods[1:]).Draw(t, "upgrade-every")
		l.Review.DowngradeEvery = rapid.SampledFrom(periods).Draw(t, "downgrade-every")
		l.Review.GraceMonths = rapid.IntRange(1, 2).Draw(t, "grace-months")
		e := mustEvaluator(l)
		a := tier.Account{ID: "a", Enrolled: propStart, History: genHistory(t, "h")}
		for m := 1; m <= 30 && a.Status.Grace == nil; m++ { // advance until a grace is pending
			var err error
			if a, _, err = e.Advance(a, propStart.AddDate(0, m, rapid.IntRange(0, 27).Draw(t, "day"))); err != nil {
				t.Fatal(err)
			}
		}
		at := a.Status.Reviewed.Add(time.Duration(rapid.Int64Range(0, 200*24).Draw(t, "hours-after")) * time.Hour)
		if g := a.Status.Grace; g != nil {
			graces++
			at = g.Until.Add(time.Duration(rapid.Int64Range(-10*24, 120*24).Draw(t, "hours-from-grace-end")) * time.Hour)
			if at.Before(a.Status.Reviewed) {
				at = a.Status.Reviewed
			}
		}
		checkEffectiveAt(t, e, a, at) // at is not before the review
	})
	if graces == 0 {
		t.Error("no account had a pending grace: the property tested nothing of graces")
	}
}

// checkEffectiveAt fails t unless e.EffectiveAt(a, at) is Effective on the status Advance
// returns at at (on a's own status for an at before its last review, which Advance refuses).
func checkEffectiveAt(t *rapid.T, e *tier.Evaluator, a tier.Account, at time.Time) {
	status := a.Status
	if !at.Before(a.Status.Reviewed) {
		adv, _, err := e.Advance(a, at)
		if err != nil {
			t.Fatal(err)
		}
		status = adv.Status
	}
	wantLevel, wantSource := e.Effective(status, at)
	if level, source := e.EffectiveAt(a, at); level != wantLevel || source != wantSource {
		t.Fatalf("EffectiveAt = %d, %s; want %d, %s", level, source, wantLevel, wantSource)
	}
}

// TestPropDayOfIsTheLocalDate checks DayOf against the calendar: the day of t is the number
// of days from 1970-01-01 to t's date in t's location, for instants from year 1 to 9999 in
// zones with and without daylight saving and offsets of either sign.
func TestPropDayOfIsTheLocalDate(t *testing.T) {
	var locs []*time.Location
	for _, name := range []string{"UTC", "Europe/Moscow", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, loc)
	}
	locs = append(locs, time.FixedZone("minus", -11*3600-1), time.FixedZone("plus", 14*3600+1))
	rapid.Check(t, func(t *rapid.T) {
		lo, hi := time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC).Unix(), time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC).Unix()
		sec := rapid.OneOf(rapid.Int64Range(lo, hi), rapid.Int64Range(-3*86400, 3*86400)).Draw(t, "sec")
		at := time.Unix(sec, rapid.Int64Range(0, 999_999_999).Draw(t, "nsec")).In(rapid.SampledFrom(locs).Draw(t, "loc"))
		y, m, d := at.Date()
		want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400 // whole days: never negative remainders here
		if y < 1970 {
			want = -((time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()) / 86400)
		}
		if got := tier.DayOf(at); int64(got) != want {
			t.Fatalf("DayOf(%v) = %d (%s), want %d", at, got, got, want)
		}
	})
}
