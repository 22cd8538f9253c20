package campaign

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"pgregory.net/rapid"
)

// A schedule compiled with its instants in a zone is active exactly when the schedule
// computing them at every call is, in that zone and in others.
func TestPropCompiledScheduleIsActiveAsComputed(t *testing.T) {
	zone := func(name string, offset int) *time.Location {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
		return time.FixedZone(name, offset) // without time zone data: the zone's offset alone
	}
	moscow, newYork := zone("Europe/Moscow", 3*60*60), zone("America/New_York", -5*60*60)
	zones := []*time.Location{nil, time.UTC, moscow, newYork}
	date := func(t *rapid.T, label string) Date {
		if rapid.IntRange(0, 9).Draw(t, label+"-bad") == 0 {
			return "2026-02-30x"
		}
		d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rapid.IntRange(0, 400).Draw(t, label))
		return Date(d.Format(time.DateOnly))
	}
	rapid.Check(t, func(t *rapid.T) {
		var s Schedule
		if rapid.Bool().Draw(t, "start") {
			s.Start = date(t, "start-date")
		}
		if rapid.Bool().Draw(t, "end") {
			s.End = date(t, "end-date")
		}
		for i := range rapid.IntRange(0, 3).Draw(t, "holidays") {
			s.Holidays = append(s.Holidays, date(t, fmt.Sprintf("holiday%d", i)))
		}
		s.DaysBefore, s.DaysAfter = rapid.IntRange(0, 10).Draw(t, "before"), rapid.IntRange(0, 10).Draw(t, "after")
		in := rapid.SampledFrom(zones).Draw(t, "compiled-in")
		at := rapid.SampledFrom(zones).Draw(t, "active-in")
		c := s.compileIn(in)
		plain := s.compile()
		for range 20 {
			instant := time.Date(2025, 12, 25, 0, 0, 0, 0, time.UTC).Add(time.Duration(rapid.Int64Range(0, 420*24*60).Draw(t, "minute")) * time.Minute)
			if got, want := c.active(instant, at), plain.active(instant, at); got != want {
				t.Fatalf("%+v compiled in %v, at %v in %v: active %v, want %v", s, in, instant, at, got, want)
			}
		}
	})
}

// An engine's timeline lists at every instant exactly the campaigns whose compiled
// schedules are active then, in the engine's order, and those of them with a budget.
func TestPropTimelineListsTheActiveCampaigns(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*60*60)
	day := func(t *rapid.T, label string) Date {
		d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rapid.IntRange(0, 60).Draw(t, label))
		return Date(d.Format(time.DateOnly))
	}
	rapid.Check(t, func(t *rapid.T) {
		var p Program
		for i := range rapid.IntRange(0, 6).Draw(t, "campaigns") {
			c := Campaign{ID: loyalty.CampaignID(fmt.Sprint("c", i)), Priority: rapid.IntRange(0, 2).Draw(t, "priority")}
			if rapid.Bool().Draw(t, "start") {
				c.Schedule.Start = day(t, "start-date")
			}
			if rapid.Bool().Draw(t, "end") {
				c.Schedule.End = day(t, "end-date")
			}
			for j := range rapid.IntRange(0, 3).Draw(t, "holidays") {
				c.Schedule.Holidays = append(c.Schedule.Holidays, day(t, fmt.Sprint("holiday", j)))
			}
			c.Schedule.DaysBefore, c.Schedule.DaysAfter = rapid.IntRange(0, 5).Draw(t, "before"), rapid.IntRange(0, 5).Draw(t, "after")
			if rapid.Bool().Draw(t, "budget") {
				c.Budget.Uses = 1
			}
			p.Campaigns = append(p.Campaigns, c)
		}
		camps, _ := compileCampaigns(p, moscow)
		tl := newTimeline(camps)
		if tl == nil {
			t.Fatal("no timeline for a few campaigns")
		}
		// Instants around every bound, and others.
		var secs []int64
		for _, b := range tl.bounds {
			secs = append(secs, b-1, b, b+1)
		}
		for range 20 {
			secs = append(secs, time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC).Unix()+rapid.Int64Range(0, 80*24*60*60).Draw(t, "second"))
		}
		for _, sec := range secs {
			var sched, budgeted []int
			for i := range camps {
				if camps[i].sched.activeAt(sec) {
					sched = append(sched, i)
					if !camps[i].Budget.IsZero() {
						budgeted = append(budgeted, i)
					}
				}
			}
			st := tl.at(sec)
			if !slices.Equal(st.sched, sched) || !slices.Equal(st.budgeted, budgeted) {
				t.Fatalf("at %d: timeline lists %v (budgeted %v), want %v (%v)", sec, st.sched, st.budgeted, sched, budgeted)
			}
		}
	})
}

// An engine whose schedules would make too long a timeline has none, and its evaluations
// test every schedule: the quote is the one a small engine gives.
func TestTimelineTooLargeFallsBack(t *testing.T) {
	var p Program
	holidays := make([]Date, 400)
	for i := range holidays {
		holidays[i] = Date(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly))
	}
	for i := range 60 {
		p.Campaigns = append(p.Campaigns, Campaign{ID: loyalty.CampaignID(fmt.Sprint("c", i)),
			Schedule: Schedule{Holidays: holidays[i%7:], DaysAfter: i % 3}})
	}
	camps, _ := compileCampaigns(p, time.UTC)
	if tl := newTimeline(camps); tl != nil {
		t.Fatalf("timeline of %d stretches, want none", len(tl.spans))
	}
	ev := &evaluation{}
	ev.e = &Engine{camps: camps}
	ev.order.PlacedAt = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if n := ev.scheduled(); n != 0 || len(ev.sched) != len(camps) {
		t.Fatalf("scheduled: %d budgeted, %d campaigns; want 0, %d", n, len(ev.sched), len(camps))
	}
}
