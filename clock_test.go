package loyalty_test

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // America/Sao_Paulo on any machine

	"github.com/loyaltykit/loyalty"
	"pgregory.net/rapid"
)

func TestAddMonthsClampsToMonthEnd(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	for _, tc := range []struct {
		from time.Time
		n    int
		want time.Time
	}{
		{time.Date(2026, 1, 31, 10, 0, 0, 0, msk), 1, time.Date(2026, 2, 28, 10, 0, 0, 0, msk)},
		{time.Date(2028, 1, 31, 10, 0, 0, 0, msk), 1, time.Date(2028, 2, 29, 10, 0, 0, 0, msk)},
		{time.Date(2026, 3, 31, 0, 0, 0, 0, msk), -1, time.Date(2026, 2, 28, 0, 0, 0, 0, msk)},
		{time.Date(2026, 8, 31, 0, 0, 0, 0, msk), 13, time.Date(2027, 9, 30, 0, 0, 0, 0, msk)},
		{time.Date(2026, 5, 15, 0, 0, 0, 0, msk), 0, time.Date(2026, 5, 15, 0, 0, 0, 0, msk)},
		{time.Date(2026, 12, 31, 0, 0, 0, 0, msk), 2, time.Date(2027, 2, 28, 0, 0, 0, 0, msk)},
	} {
		if got := loyalty.AddMonths(tc.from, tc.n); !got.Equal(tc.want) || got.Location() != msk {
			t.Errorf("AddMonths(%v, %d) = %v, want %v", tc.from, tc.n, got, tc.want)
		}
	}
}

func TestPeriodStartAndNextInLocalTime(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		msk = time.FixedZone("MSK", 3*3600)
	}
	// 21:30 UTC on 31 March is already 1 April in Moscow: the month is April there.
	at := time.Date(2026, 3, 31, 21, 30, 0, 0, time.UTC).In(msk)
	for _, tc := range []struct {
		p           loyalty.Period
		start, next time.Time
	}{
		{loyalty.Day, time.Date(2026, 4, 1, 0, 0, 0, 0, msk), time.Date(2026, 4, 2, 0, 0, 0, 0, msk)},
		{loyalty.Week, time.Date(2026, 3, 30, 0, 0, 0, 0, msk), time.Date(2026, 4, 6, 0, 0, 0, 0, msk)}, // Monday
		{loyalty.Month, time.Date(2026, 4, 1, 0, 0, 0, 0, msk), time.Date(2026, 5, 1, 0, 0, 0, 0, msk)},
		{loyalty.Quarter, time.Date(2026, 4, 1, 0, 0, 0, 0, msk), time.Date(2026, 7, 1, 0, 0, 0, 0, msk)},
		{loyalty.HalfYear, time.Date(2026, 1, 1, 0, 0, 0, 0, msk), time.Date(2026, 7, 1, 0, 0, 0, 0, msk)},
		{loyalty.Year, time.Date(2026, 1, 1, 0, 0, 0, 0, msk), time.Date(2027, 1, 1, 0, 0, 0, 0, msk)},
	} {
		if err := tc.p.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := tc.p.Start(at); !got.Equal(tc.start) {
			t.Errorf("%s.Start(%v) = %v, want %v", tc.p, at, got, tc.start)
		}
		if got := tc.p.Next(at); !got.Equal(tc.next) {
			t.Errorf("%s.Next(%v) = %v, want %v", tc.p, at, got, tc.next)
		}
	}
	if err := loyalty.Period("fortnight").Validate(); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Validate(fortnight) = %v", err)
	}
}

func TestManualClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := loyalty.NewManualClock(start)
	if got := c.Advance(36 * time.Hour); !got.Equal(start.Add(36*time.Hour)) || !c.Now().Equal(got) {
		t.Errorf("Advance = %v, Now = %v", got, c.Now())
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Errorf("Set: Now = %v", c.Now())
	}
	var clk loyalty.Clock = loyalty.SystemClock()
	if clk.Now().IsZero() {
		t.Error("SystemClock reads the zero time")
	}
}

// TestAddMonthsAgainstTimeDate checks AddMonths, which counts months and days itself, against
// a reference written with time.Date alone: the first of the target month, clamped to the
// days time.Date says that month has.
func TestAddMonthsAgainstTimeDate(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("MSK", 3*3600), time.FixedZone("NST", -(3*3600 + 1800))}
	rapid.Check(t, func(t *rapid.T) {
		loc := zones[rapid.IntRange(0, len(zones)-1).Draw(t, "zone")]
		from := time.Unix(rapid.Int64Range(-5e10, 5e10).Draw(t, "unix"), 0).In(loc)
		n := rapid.IntRange(-2400, 2400).Draw(t, "n")

		y, m, d := from.Date()
		first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, loc)
		if last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, loc).Day(); d > last {
			d = last
		}
		hh, mi, ss := from.Clock()
		want := time.Date(first.Year(), first.Month(), d, hh, mi, ss, 0, loc)
		if got := loyalty.AddMonths(from, n); !got.Equal(want) || got.Location() != loc {
			t.Fatalf("AddMonths(%v, %d) = %v, want %v", from, n, got, want)
		}
	})
}

// TestPeriodNextIsTheNextStart checks that Next is the Start of the period that follows and
// that Start is the first instant of t's period, in fixed zones and in zones whose clocks
// change at midnight.
func TestPeriodNextIsTheNextStart(t *testing.T) {
	periods := []loyalty.Period{loyalty.Day, loyalty.Week, loyalty.Month, loyalty.Quarter, loyalty.HalfYear, loyalty.Year}
	zones := []*time.Location{time.UTC, time.FixedZone("MSK", 3*3600)}
	for _, name := range []string{"America/Sao_Paulo", "America/Havana", "Asia/Beirut", "America/Santiago", "Europe/Berlin", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("time zone data (the test binary embeds time/tzdata): %v", err)
		}
		zones = append(zones, loc)
	}
	rapid.Check(t, func(t *rapid.T) {
		p := periods[rapid.IntRange(0, len(periods)-1).Draw(t, "period")]
		loc := zones[rapid.IntRange(0, len(zones)-1).Draw(t, "zone")]
		at := time.Unix(rapid.Int64Range(0, 2e9).Draw(t, "unix"), 0).In(loc)
		start, next := p.Start(at), p.Next(at)
		if start.After(at) || !next.After(at) {
			t.Fatalf("%s of %v: start %v, next %v do not surround it", p, at, start, next)
		}
		if !p.Start(next).Equal(next) || !p.Start(next.Add(-time.Nanosecond)).Equal(start) {
			t.Fatalf("%s.Next(%v) = %v: not the start of the following period (start of at: %v)", p, at, next, start)
		}
		if before := start.Add(-time.Nanosecond); p.Start(before).Equal(start) {
			t.Fatalf("%s.Start(%v) = %v: the instant before it is in the same period", p, at, start)
		}
		if y, m, d := start.Date(); p == loyalty.Day {
			if ay, am, ad := at.Date(); y != ay || m != am || d != ad {
				t.Fatalf("Day.Start(%v) = %v, another day", at, start)
			}
		}
	})
}

// TestPeriodStartWhenMidnightIsSkipped: in São Paulo, clocks went from 00:00 to 01:00 on
// 4 November 2018, so that day began at 01:00 local time (time.Date alone gives 23:00 on
// 3 November for its midnight); the day after it began at midnight.
func TestPeriodStartWhenMidnightIsSkipped(t *testing.T) {
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatalf("time zone data (the test binary embeds time/tzdata): %v", err)
	}
	day4 := time.Date(2018, 11, 4, 1, 0, 0, 0, sp)
	if day4.Hour() != 1 || day4.Day() != 4 {
		t.Fatalf("the test's own day start is %v", day4)
	}
	at := time.Date(2018, 11, 4, 12, 0, 0, 0, sp)
	before := time.Date(2018, 11, 3, 12, 0, 0, 0, sp)
	for _, tc := range []struct {
		what      string
		got, want time.Time
	}{
		{"Day.Start(4 November)", loyalty.Day.Start(at), day4},
		{"Day.Next(3 November)", loyalty.Day.Next(before), day4},
		{"Day.Next(4 November)", loyalty.Day.Next(at), time.Date(2018, 11, 5, 0, 0, 0, 0, sp)},
		{"Week.Start(4 November, a Sunday)", loyalty.Week.Start(at), time.Date(2018, 10, 29, 0, 0, 0, 0, sp)},
		{"Week.Next(3 November)", loyalty.Week.Next(before), time.Date(2018, 11, 5, 0, 0, 0, 0, sp)},
	} {
		if !tc.got.Equal(tc.want) {
			t.Errorf("%s = %v, want %v", tc.what, tc.got, tc.want)
		}
	}
}
