package tier

import (
	"errors"
	"time"

	"github.com/loyaltykit/loyalty"
)

// WindowKind names a kind of qualification window. It is a plain string value, safe for
// concurrent use.
type WindowKind string

// The kinds of qualification window.
const (
	// Lifetime sums everything since enrolment. It is the default.
	Lifetime WindowKind = "lifetime"
	// Calendar sums the calendar period (month, quarter, half-year, year) containing the
	// evaluation time, in the program's time zone.
	Calendar WindowKind = "calendar"
	// Rolling sums the last N months up to and including the evaluation day.
	Rolling WindowKind = "rolling"
	// Anniversary sums the membership year (or N months) that started on the most recent
	// anniversary of enrolment.
	Anniversary WindowKind = "anniversary"
)

// Window is the period a qualifying measure is summed over. Windows are made of whole local
// days in the location of the time they are applied to (the program's location: the
// [Evaluator] converts every time first). The zero Window is the lifetime window.
//
// Window is a plain value, safe for concurrent use.
type Window struct {
	// Kind is the kind of window. Defaults to [Lifetime].
	Kind WindowKind `json:"kind,omitempty"`
	// Period is the calendar period of a [Calendar] window: month, quarter, half-year or
	// year. Unused by other kinds.
	Period loyalty.Period `json:"period,omitempty"`
	// Months is the length of a [Rolling] window (required, at least 1) or of an
	// [Anniversary] window (defaults to 12). Unused by other kinds.
	Months int `json:"months,omitempty"`
}

// Validate checks w. Errors name the field: "months: must be at least 1 (got 0)".
func (w Window) Validate() error {
	var errs []error
	switch w.Kind {
	case "", Lifetime:
		if w.Period != "" {
			errs = append(errs, loyalty.Invalid("period", string(w.Period), "must be empty for a lifetime window"))
		}
		if w.Months != 0 {
			errs = append(errs, loyalty.Invalid("months", w.Months, "must be zero for a lifetime window"))
		}
	case Calendar:
		switch w.Period {
		case loyalty.Month, loyalty.Quarter, loyalty.HalfYear, loyalty.Year:
		default:
			errs = append(errs, loyalty.Invalid("period", string(w.Period), "must be one of month, quarter, half-year, year"))
		}
		if w.Months != 0 {
			errs = append(errs, loyalty.Invalid("months", w.Months, "must be zero for a calendar window"))
		}
	case Rolling:
		if w.Months < 1 {
			errs = append(errs, loyalty.Invalid("months", w.Months, "must be at least 1: a window cannot be empty"))
		}
		if w.Period != "" {
			errs = append(errs, loyalty.Invalid("period", string(w.Period), "must be empty for a rolling window"))
		}
	case Anniversary:
		if w.Months < 0 {
			errs = append(errs, loyalty.Invalid("months", w.Months, "must be at least 1 (or 0 for 12): a window cannot be empty"))
		}
		if w.Period != "" {
			errs = append(errs, loyalty.Invalid("period", string(w.Period), "must be empty for an anniversary window"))
		}
	default:
		errs = append(errs, loyalty.Invalid("kind", string(w.Kind), "must be one of lifetime, calendar, rolling, anniversary"))
	}
	return errors.Join(errs...)
}

func (w Window) kind() WindowKind {
	if w.Kind == "" {
		return Lifetime
	}
	return w.Kind
}

// Bounds returns the window that contains the instant at, as local midnights [start, end) in
// at's location. enrolled is the account's enrolment time (used by lifetime and anniversary
// windows). A lifetime window starts at enrolment's day and has no end: end is the zero time.
// An invalid window returns zero times; validate first.
func (w Window) Bounds(at, enrolled time.Time) (start, end time.Time) {
	loc := at.Location()
	day := midnight(at)
	switch w.kind() {
	case Lifetime:
		return midnight(enrolled.In(loc)), time.Time{}
	case Calendar:
		return w.Period.Start(at), w.Period.Next(at)
	case Rolling:
		next := day.AddDate(0, 0, 1)
		return loyalty.AddMonths(day, -w.Months).AddDate(0, 0, 1), next
	case Anniversary:
		n := w.Months
		if n == 0 {
			n = 12
		}
		anchor := midnight(enrolled.In(loc))
		ay, am, _ := anchor.Date()
		y, m, _ := day.Date()
		k := ((y*12 + int(m)) - (ay*12 + int(am))) / n * n
		if k < 0 {
			k = 0 // before enrolment: the first membership year
		}
		s := loyalty.AddMonths(anchor, k)
		for s.After(day) && k > 0 {
			k -= n
			s = loyalty.AddMonths(anchor, k)
		}
		return s, loyalty.AddMonths(anchor, k+n)
	}
	return time.Time{}, time.Time{}
}

// midnight returns the start of t's day in t's location.
func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// Day is a calendar date, counted in days since 1970-01-01, in the program's location. Day
// totals of qualifying activity are kept per Day. It is a plain integer value, safe for
// concurrent use.
type Day int32

// DayOf returns the date of t in t's location.
func DayOf(t time.Time) Day {
	// The local time's seconds since the epoch, floored to days: the date, without the
	// calendar arithmetic of t.Date.
	_, off := t.Zone()
	s := t.Unix() + int64(off)
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return Day(d)
}

// Start returns the local midnight that starts d in loc.
func (d Day) Start(loc *time.Location) time.Time {
	y, m, dd := time.Unix(int64(d)*86400, 0).UTC().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// String returns d as YYYY-MM-DD.
func (d Day) String() string { return time.Unix(int64(d)*86400, 0).UTC().Format(time.DateOnly) }

// DayTotal is the qualifying activity of one account on one local day, in the integer units
// of the ladder's measure (minor units for spend, millionths for volume, counts otherwise).
// It is a plain value, safe for concurrent use.
type DayTotal struct {
	Day   Day   `json:"day"`
	Units int64 `json:"units"`
}

// History is an account's qualifying activity: one [DayTotal] per day with activity, sorted by
// day. Units may be negative (returns, corrections). A History is a slice: safe for
// concurrent reads, not for concurrent modification.
type History []DayTotal

// Sum returns the total of the days in [from, to), saturating instead of overflowing.
func (h History) Sum(from, to Day) int64 {
	// binary search for the first day >= from
	lo, hi := 0, len(h)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if h[mid].Day < from {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	var s int64
	for i := lo; i < len(h) && h[i].Day < to; i++ {
		s = satAdd(s, h[i].Units)
	}
	return s
}

// add returns h with units added on day, keeping it sorted with one entry per day. It
// reports false on overflow. h may be modified in place; use the result.
func (h History) add(day Day, units int64) (History, bool) {
	i := len(h)
	for i > 0 && h[i-1].Day > day {
		i--
	}
	if i > 0 && h[i-1].Day == day {
		s := h[i-1].Units + units
		if (units > 0 && s < h[i-1].Units) || (units < 0 && s > h[i-1].Units) {
			return h, false
		}
		h[i-1].Units = s
		return h, true
	}
	h = append(h, DayTotal{})
	copy(h[i+1:], h[i:])
	h[i] = DayTotal{Day: day, Units: units}
	return h, true
}

func satAdd(a, b int64) int64 {
	s := a + b
	if a > 0 && b > 0 && s < 0 {
		return 1<<63 - 1
	}
	if a < 0 && b < 0 && s >= 0 {
		return -1 << 63
	}
	return s
}
