package campaign

import (
	"fmt"
	"testing"
	"time"

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
