package loyalty

import (
	"sync"
	"time"
)

// Clock tells the time. Services take a Clock so that tests and simulations can move time;
// pure calculations take `now` as an argument instead.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to a [Clock]: ClockFunc(time.Now) is the system clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock returns the wall clock.
func SystemClock() Clock { return ClockFunc(time.Now) }

// ManualClock is a [Clock] that moves only when told to: for tests and simulations. The zero
// ManualClock reads the zero time. It is safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a ManualClock reading t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t (backwards too).
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d and returns the new time.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// AddMonths returns t plus n calendar months (n may be negative), in t's location, keeping
// the time of day. When the day does not exist in the target month it is clamped to that
// month's last day instead of overflowing into the next month as [time.Time.AddDate] does:
// 31 January + 1 month is 28 (or 29) February, not 3 March.
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	y, m = addMonths(y, m, n)
	if last := daysIn(y, m); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, t.Nanosecond(), t.Location())
}

// addMonths returns the year and month n months after month m of year y.
func addMonths(y int, m time.Month, n int) (int, time.Month) {
	months := int(m) - 1 + n
	years, month := months/12, months%12
	if month < 0 {
		years, month = years-1, month+12
	}
	return y + years, time.Month(month + 1)
}

// daysIn returns the number of days of month m of year y (Gregorian calendar).
func daysIn(y int, m time.Month) int {
	if m == time.February && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 29
	}
	return int(monthDays[m-1])
}

var monthDays = [12]uint8{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// Period is a calendar period used by caps, qualification windows, limits and reports.
// Periods are computed in the location of the time they are applied to: convert with
// [time.Time.In] to the program's location first, so that a month starts at local midnight.
type Period string

// The calendar periods. Weeks start on Monday (ISO 8601); half-years start in January and July.
const (
	Day      Period = "day"
	Week     Period = "week"
	Month    Period = "month"
	Quarter  Period = "quarter"
	HalfYear Period = "half-year"
	Year     Period = "year"
)

// Validate reports whether p is one of the named periods.
func (p Period) Validate() error {
	switch p {
	case Day, Week, Month, Quarter, HalfYear, Year:
		return nil
	}
	return Invalid("period", string(p), "must be one of day, week, month, quarter, half-year, year")
}

// Start returns the start of the period that contains t, at midnight in t's location (or,
// where a daylight-saving change skips that midnight, at the change). It returns t
// unchanged for an invalid period; call [Period.Validate] on configuration first.
func (p Period) Start(t time.Time) time.Time {
	y, m, d := t.Date()
	loc := t.Location()
	switch p {
	case Day:
		return midnight(y, m, d, loc)
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return midnight(y, m, d-back, loc)
	case Month:
		return midnight(y, m, 1, loc)
	case Quarter:
		return midnight(y, m-(m-1)%3, 1, loc)
	case HalfYear:
		return midnight(y, m-(m-1)%6, 1, loc)
	case Year:
		return midnight(y, 1, 1, loc)
	}
	return t
}

// Next returns the start of the period after the one that contains t: the exclusive end of
// t's period, the [Period.Start] of the next one. It returns t unchanged for an invalid
// period.
func (p Period) Next(t time.Time) time.Time {
	y, m, d := t.Date()
	loc := t.Location()
	switch p {
	case Day:
		return midnight(y, m, d+1, loc)
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return midnight(y, m, d-back+7, loc)
	case Month:
		return midnight(y, m+1, 1, loc)
	case Quarter:
		return midnight(y, m-(m-1)%3+3, 1, loc)
	case HalfYear:
		return midnight(y, m-(m-1)%6+6, 1, loc)
	case Year:
		return midnight(y+1, 1, 1, loc)
	}
	return t
}

// midnight returns the first instant of day d of month m of year y (normalised as
// time.Date normalises them) in loc: its midnight, or, where a daylight-saving change skips
// that midnight, the instant of the change. time.Date alone may give an instant of the
// evening before for a skipped midnight.
func midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if hh, mm, ss := t.Clock(); hh == 0 && mm == 0 && ss == 0 {
		return t
	}
	y, m, d = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	if ty, tm, td := t.Date(); ty != y || tm != m || td != d { // the evening before the change
		_, change := t.ZoneBounds()
		return change
	}
	change, _ := t.ZoneBounds() // after the change, which began the day
	return change
}
