package tier

import (
	"time"
)

// Compact returns a copy of a without the qualifying history that no evaluation at or after
// a.Status.Reviewed can see: days before the earliest qualification window and before the
// earliest commitment period such an evaluation (or projection) judges. A lifetime window folds
// those days into one day total instead, so the lifetime sum is unchanged. Compacting never
// changes the result of [Evaluator.Advance] or [Evaluator.Project] at or after
// a.Status.Reviewed; it keeps a long-running program's memory bounded. An account never
// reviewed is returned unchanged.
func (e *Evaluator) Compact(a Account) Account {
	a = a.Clone()
	e.compact(&a)
	return a
}

// compact is Compact in place; it reports whether anything changed.
func (e *Evaluator) compact(a *Account) bool {
	if a.Status.Reviewed.IsZero() || len(a.History) == 0 {
		return false
	}
	if e.m == Tenure { // tenure ignores the history
		a.History = nil
		return true
	}
	q := a.Status.Reviewed.In(e.loc).Add(-time.Nanosecond) // the earliest instant still judged
	qDay := DayOf(q)
	if a.History[0].Day > qDay {
		return false // nothing old enough: the cheap common case
	}
	lifetime := e.ladder.Window.kind() == Lifetime
	cutoff := qDay + 1
	if !lifetime {
		s, _ := e.ladder.Window.Bounds(q, a.Enrolled.In(e.loc))
		cutoff = DayOf(s)
	}
	start := midnight(q)
	for _, c := range e.commit {
		if c.period != "" {
			// the period before the one containing q's day: the earliest ever judged again
			if d := DayOf(c.period.Start(c.period.Start(start).Add(-time.Nanosecond))); d < cutoff {
				cutoff = d
			}
		}
	}
	n := 0
	for n < len(a.History) && a.History[n].Day < cutoff {
		n++
	}
	if n == 0 || (lifetime && n == 1) {
		return false
	}
	if lifetime {
		var sum int64
		for _, d := range a.History[:n] {
			sum = satAdd(sum, d.Units)
		}
		folded := DayTotal{Day: a.History[n-1].Day, Units: sum}
		a.History = append(History{folded}, a.History[n:]...)
		return true
	}
	a.History = append(History(nil), a.History[n:]...)
	return true
}
