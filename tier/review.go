package tier

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
)

// DowngradeMode says how far a downgrade review lowers an account that no longer qualifies.
// It is a plain string value, safe for concurrent use.
type DowngradeMode string

// The downgrade modes.
const (
	// ToQualified lowers the account straight to the level its measure supports. Default.
	ToQualified DowngradeMode = "to-qualified"
	// OneLevel lowers the account by one level per downgrade review (a "soft landing").
	OneLevel DowngradeMode = "one-level"
)

// ReviewPolicy says when an account's level follows its qualifying measure. Upgrades and
// downgrades have their own schedules: an airline corporate program upgrades monthly and
// downgrades yearly. A schedule is a calendar period; a review happens at the start of every
// such period (local midnight on the first day of the month, quarter, year), and judges the
// window that contains the instant just before it — the period just ended. An empty schedule
// means "immediately": at every evaluation.
//
// ReviewPolicy is a plain value, safe for concurrent use.
type ReviewPolicy struct {
	// UpgradeEvery is the upgrade review period; empty means upgrades take effect immediately
	// (at the end of the day of the qualifying purchase at the latest).
	UpgradeEvery loyalty.Period `json:"upgrade_every,omitempty"`
	// DowngradeEvery is the downgrade review period; empty means downgrades take effect at
	// every evaluation.
	DowngradeEvery loyalty.Period `json:"downgrade_every,omitempty"`
	// Downgrade is how far a downgrade goes. Defaults to [ToQualified]. [OneLevel] needs a
	// DowngradeEvery schedule (one level per review).
	Downgrade DowngradeMode `json:"downgrade,omitempty"`
	// GraceMonths delays a downgrade: an account that fails a downgrade review keeps its level
	// for this many months, and keeps it for good if it qualifies again at a review within
	// them. Zero means no grace. It must not be negative.
	GraceMonths int `json:"grace_months,omitempty"`
}

// Validate checks p. Errors name the field: "upgrade_every: must be one of … (got fortnight)".
func (p ReviewPolicy) Validate() error {
	var errs []error
	if p.UpgradeEvery != "" && p.UpgradeEvery.Validate() != nil {
		errs = append(errs, loyalty.Invalid("upgrade_every", string(p.UpgradeEvery), "must be empty (immediate) or one of day, week, month, quarter, half-year, year"))
	}
	if p.DowngradeEvery != "" && p.DowngradeEvery.Validate() != nil {
		errs = append(errs, loyalty.Invalid("downgrade_every", string(p.DowngradeEvery), "must be empty (immediate) or one of day, week, month, quarter, half-year, year"))
	}
	switch p.Downgrade {
	case "", ToQualified:
	case OneLevel:
		if p.DowngradeEvery == "" {
			errs = append(errs, loyalty.Invalid("downgrade", string(p.Downgrade), "needs a downgrade schedule (downgrade_every): one level per review"))
		}
	default:
		errs = append(errs, loyalty.Invalid("downgrade", string(p.Downgrade), "must be to-qualified or one-level"))
	}
	if p.GraceMonths < 0 {
		errs = append(errs, loyalty.Invalid("grace_months", p.GraceMonths, "must not be negative"))
	}
	return errors.Join(errs...)
}

// Grace is a pending downgrade: the account keeps its level until Until, then drops to To
// unless it qualified again in the meantime. It is a plain value, safe for concurrent use.
type Grace struct {
	Until time.Time `json:"until"`
	To    int       `json:"to"`
}

// Override is a negotiated status for one account: the account has at least Level from From
// until Until (exclusive), whatever it earns. An override never lowers an account below the
// level it earned. It is a plain value, safe for concurrent use.
type Override struct {
	Level  int       `json:"level"`
	From   time.Time `json:"from"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason,omitempty"`
}

// Active reports whether the override applies at t.
func (o *Override) Active(t time.Time) bool {
	return o != nil && !t.Before(o.From) && t.Before(o.Until)
}

// Membership is a paid status: a fee bought Level from From until Until (exclusive). It is a
// plain value, safe for concurrent use.
type Membership struct {
	Level int           `json:"level"`
	From  time.Time     `json:"from"`
	Until time.Time     `json:"until"`
	Fee   loyalty.Money `json:"fee"`
}

// Active reports whether the membership applies at t.
func (m *Membership) Active(t time.Time) bool {
	return m != nil && !t.Before(m.From) && t.Before(m.Until)
}

// Status is an account's standing. Level is the level earned by qualification; the level in
// effect at a time also counts an active override or membership ([Evaluator.Effective]).
// Status holds pointers: use [Status.Clone] before sharing a copy that will be modified.
type Status struct {
	// Level is the earned level (an index into the ladder's levels; 0 is the entry level).
	Level int `json:"level"`
	// Since is when Level took effect.
	Since time.Time `json:"since"`
	// Reviewed is the last instant the status was evaluated up to; evaluations never go
	// back before it. The zero time means "never": evaluation starts at enrolment.
	Reviewed time.Time `json:"reviewed"`
	// Grace, when set, is a pending downgrade.
	Grace *Grace `json:"grace,omitempty"`
	// Override, when set, is the most recent manual override (possibly expired).
	Override *Override `json:"override,omitempty"`
	// Membership, when set, is the most recent paid membership (possibly expired).
	Membership *Membership `json:"membership,omitempty"`
}

// Clone returns a deep copy of s.
func (s Status) Clone() Status {
	if s.Grace != nil {
		g := *s.Grace
		s.Grace = &g
	}
	if s.Override != nil {
		o := *s.Override
		s.Override = &o
	}
	if s.Membership != nil {
		m := *s.Membership
		s.Membership = &m
	}
	return s
}

// Account is what the tier package keeps per account: enrolment, status and qualifying
// history. Like [Status], use [Account.Clone] before sharing a copy that will be modified.
type Account struct {
	ID       loyalty.AccountID `json:"id"`
	Enrolled time.Time         `json:"enrolled"`
	Status   Status            `json:"status"`
	History  History           `json:"history,omitempty"`
}

// Clone returns a deep copy of a.
func (a Account) Clone() Account {
	a.Status = a.Status.Clone()
	if a.History != nil {
		a.History = append(History(nil), a.History...)
	}
	return a
}

// Source says where an account's effective level comes from. It is a plain string value,
// safe for concurrent use.
type Source string

// The sources of an effective level.
const (
	Earned     Source = "earned"     // qualification
	Overridden Source = "override"   // a manual override
	Paid       Source = "membership" // a paid membership
)

// ChangeKind names what happened to an account's status. It is a plain string value, safe for
// concurrent use.
type ChangeKind string

// The kinds of change.
const (
	Upgraded          ChangeKind = "upgrade"            // the earned level rose
	Downgraded        ChangeKind = "downgrade"          // the earned level fell
	GraceStarted      ChangeKind = "grace-started"      // a downgrade was deferred by the grace period
	Requalified       ChangeKind = "requalified"        // the account qualified again during grace
	OverrideSet       ChangeKind = "override-set"       // a manual override was set
	OverrideExpired   ChangeKind = "override-expired"   // a manual override ended
	MembershipBought  ChangeKind = "membership-bought"  // a paid membership was bought or renewed
	MembershipExpired ChangeKind = "membership-expired" // a paid membership ended
)

// Change is an event: an account's status changed. From and To are the effective levels just
// before and after (equal when, say, an earned upgrade hides under a higher override); Earned
// is the earned level after; Qualifying is the measure the evaluation saw (zero for events
// that are not evaluations). It is a plain value, safe for concurrent use.
type Change struct {
	Account    loyalty.AccountID `json:"account"`
	At         time.Time         `json:"at"`
	Kind       ChangeKind        `json:"kind"`
	From       int               `json:"from"`
	To         int               `json:"to"`
	Earned     int               `json:"earned"`
	Qualifying Amount            `json:"qualifying"`
}

// commitRule is a compiled Commitment.
type commitRule struct {
	period  loyalty.Period // "" when the level has none
	min     int64
	enforce bool
}

// Evaluator is a validated, compiled [Ladder] in a program's location: the pure calculations
// of the package (level lookup, qualification, reviews, projection). Every time it is given
// is converted to its location first. An Evaluator is immutable and safe for concurrent use.
type Evaluator struct {
	ladder Ladder
	m      Measure
	cur    loyalty.Currency
	thr    []int64
	commit []commitRule
	loc    *time.Location
	// follows is set when the level follows the measure at once, both ways: immediate
	// upgrades and downgrades, no grace, no enforced commitment. An advance then ends on
	// the level the measure supports at its end, whatever happened before.
	follows bool
	// periodic is set when upgrades and downgrades both wait for their reviews: the earned
	// level changes only at a review or at the end of a grace.
	periodic bool
}

// NewEvaluator validates l and compiles it for the location loc (nil means UTC).
func NewEvaluator(l Ladder, loc *time.Location) (*Evaluator, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	e := &Evaluator{ladder: cloneLadder(l), m: l.measure(), cur: l.Currency, loc: loc}
	e.ladder.Measure = e.m
	for _, lv := range l.Levels {
		u, _ := amountUnits(e.m, e.cur, lv.Threshold)
		e.thr = append(e.thr, u)
		var c commitRule
		if lv.Commitment != nil {
			c.period = lv.Commitment.Period
			c.min, _ = amountUnits(e.m, e.cur, lv.Commitment.Minimum)
			c.enforce = lv.Commitment.Enforce
		}
		e.commit = append(e.commit, c)
	}
	pol := e.ladder.Review
	e.follows = pol.UpgradeEvery == "" && pol.DowngradeEvery == "" && pol.GraceMonths == 0 && pol.Downgrade != OneLevel &&
		!slices.ContainsFunc(e.commit, func(c commitRule) bool { return c.period != "" && c.enforce })
	e.periodic = pol.UpgradeEvery != "" && pol.DowngradeEvery != ""
	return e, nil
}

func cloneLadder(l Ladder) Ladder {
	l.Levels = append([]Level(nil), l.Levels...)
	for i := range l.Levels {
		lv := &l.Levels[i]
		lv.Benefits.Perks = append([]string(nil), lv.Benefits.Perks...)
		if lv.Commitment != nil {
			c := *lv.Commitment
			lv.Commitment = &c
		}
		if lv.Membership != nil {
			m := *lv.Membership
			lv.Membership = &m
		}
	}
	return l
}

// Ladder returns a copy of the compiled ladder.
func (e *Evaluator) Ladder() Ladder { return cloneLadder(e.ladder) }

// Location returns the program's location.
func (e *Evaluator) Location() *time.Location { return e.loc }

// Levels returns the number of levels.
func (e *Evaluator) Levels() int { return len(e.thr) }

// Level returns level i (a copy). It panics if i is out of range, like a slice index.
func (e *Evaluator) Level(i int) Level {
	return cloneLadder(Ladder{Levels: e.ladder.Levels[i : i+1]}).Levels[0]
}

// LevelFor returns the highest level whose threshold a is at least: the level a qualifying
// amount supports. Amounts below zero support the entry level. It fails when a uses another
// measure's field or another currency. It does not allocate on success.
func (e *Evaluator) LevelFor(a Amount) (int, error) {
	var u int64
	switch {
	case e.m == Spend && a.Volume.IsZero() && a.Count == 0 && (a.Spend.Currency() == e.cur || a.Spend.IsZero()):
		u = a.Spend.MinorUnits()
	case e.m == Volume && a.Spend.IsZero() && a.Count == 0:
		u = a.Volume.Micros()
	case e.m != Spend && e.m != Volume && a.Spend.IsZero() && a.Volume.IsZero():
		u = a.Count
	default:
		_, err := amountUnits(e.m, e.cur, a)
		return 0, fmt.Errorf("tier: level for: %w", err)
	}
	return e.levelFor(u), nil
}

// levelFor is the lookup on integer units: the last threshold <= u.
func (e *Evaluator) levelFor(u int64) int {
	thr := e.thr
	lo, hi := 1, len(thr)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if thr[mid] <= u {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - 1
}

// amount converts integer units of the ladder's measure to an Amount.
func (e *Evaluator) amount(u int64) Amount { return unitsAmount(e.m, e.cur, u) }

// Format renders an amount of the ladder's measure: "3000000.00 RUB", "12.5", "1200 points",
// "3 orders", "6 months".
func (e *Evaluator) Format(a Amount) string { return formatAmount(a, e.m) }

// Units converts an amount of the ladder's measure into integer units (minor units for spend,
// millionths for volume, counts otherwise), rejecting other measures' fields and currencies.
func (e *Evaluator) Units(a Amount) (int64, error) { return amountUnits(e.m, e.cur, a) }

// Effective returns the level in effect for st at t, and where it comes from: the earned
// level, raised by an active override or paid membership. Levels beyond the ladder (a
// status stored under an older, longer ladder) are clamped to the top level.
func (e *Evaluator) Effective(st Status, t time.Time) (int, Source) {
	return e.effective(&st, t)
}

// effective is Effective of *st, which it only reads.
func (e *Evaluator) effective(st *Status, t time.Time) (int, Source) {
	lv, src := st.Level, Earned
	if st.Override.Active(t) && st.Override.Level > lv {
		lv, src = st.Override.Level, Overridden
	}
	if st.Membership.Active(t) && st.Membership.Level > lv {
		lv, src = st.Membership.Level, Paid
	}
	// a status stored under a longer ladder: clamp rather than index out of range
	return max(min(lv, len(e.thr)-1), 0), src
}

// Benefits returns the benefits in effect for st at t: those of the effective level.
func (e *Evaluator) Benefits(st Status, t time.Time) Benefits {
	lv, _ := e.Effective(st, t)
	return e.Level(lv).Benefits
}

// Qualifying returns the account's qualifying measure at t: the total of the window that
// contains t, up to and including t's day (for tenure ladders, whole months since enrolment).
func (e *Evaluator) Qualifying(a Account, t time.Time) Amount {
	return e.amount(e.measureAt(&a, t.In(e.loc)))
}

// measureAt returns the qualifying units of the window that contains q, counting days up to
// and including q's day. q must be in e.loc.
func (e *Evaluator) measureAt(a *Account, q time.Time) int64 {
	if e.m == Tenure {
		return tenureMonths(a.Enrolled.In(e.loc), q)
	}
	to := DayOf(q) + 1
	if e.ladder.Window.kind() == Lifetime {
		return a.History.Sum(-1<<31, to)
	}
	s, _ := e.ladder.Window.Bounds(q, a.Enrolled.In(e.loc))
	return a.History.Sum(DayOf(s), to)
}

// tenureMonths counts the whole months n with enrolment's day + n months on or before q's day.
func tenureMonths(enrolled, q time.Time) int64 {
	start := midnight(enrolled)
	day := midnight(q)
	ey, em, _ := start.Date()
	y, m, _ := day.Date()
	n := (y*12 + int(m)) - (ey*12 + int(em))
	if n > 0 && loyalty.AddMonths(start, n).After(day) {
		n--
	}
	return int64(max(n, 0))
}

// commitMet reports whether the account met level lv's enforced commitment in the last
// complete commitment period ending at or before p. Levels without an enforced commitment,
// and periods that began before enrolment, always count as met.
func (e *Evaluator) commitMet(a *Account, lv int, p time.Time) bool {
	c := e.commit[lv]
	if c.period == "" || !c.enforce {
		return true
	}
	start, end := e.lastCompletePeriod(c.period, p)
	if start.Before(midnight(a.Enrolled.In(e.loc))) {
		return true
	}
	return a.History.Sum(DayOf(start), DayOf(end)) >= c.min
}

// lastCompletePeriod returns the last period of kind per that ends at or before p.
func (e *Evaluator) lastCompletePeriod(per loyalty.Period, p time.Time) (start, end time.Time) {
	q := p.Add(-time.Nanosecond)
	end = per.Next(q)
	if end.After(p) {
		end = per.Start(q)
	}
	return per.Start(end.Add(-time.Nanosecond)), end
}

// Advance evaluates a's status at every evaluation point after a.Status.Reviewed up to and
// including to, and returns the account with the new status (Reviewed = to) and the changes,
// in time order. It fails with a [*loyalty.FieldError] for "at" when to is before the last
// review.
//
// Periodic reviews happen at their dates (local midnight) and judge the window containing the
// day before. Immediate rules (an empty schedule) work per local day: qualifying activity
// counts for its whole day, and a change they make takes effect from the start of the day
// whose totals caused it (or from the previous evaluation, if later). Immediate rules are
// evaluated at the end of every day with activity, on the first day of a new calendar or
// anniversary window or enforced commitment period, on the day activity leaves a rolling
// window, on each monthly anniversary of enrolment (tenure ladders), and at to itself; they
// judge enforced commitments on the periods complete before the judged day. Grace periods
// end, and overrides and memberships expire, at their exact times. So the result does not
// depend on how often Advance is called: advancing in several steps gives the same result
// as advancing at once. Advance does not compact the history ([Evaluator.Compact]).
func (e *Evaluator) Advance(a Account, to time.Time) (Account, []Change, error) {
	if to.Before(a.Status.Reviewed) {
		return a, nil, fmt.Errorf("tier: review of %s: %w", a.ID,
			loyalty.Invalid("at", to.In(e.loc).Format(time.RFC3339), "is before the last review at "+a.Status.Reviewed.In(e.loc).Format(time.RFC3339)))
	}
	a = a.Clone()
	changes := e.advance(&a, to, nil)
	return a, changes, nil
}

// EffectiveAt returns the level in effect for a at t and where it comes from, as
// [Evaluator.Effective] on the status [Evaluator.Advance] would return for t (no advance
// when t is before the last review). It changes nothing of a and copies nothing of its
// history: a dry run's tier lookup.
func (e *Evaluator) EffectiveAt(a Account, t time.Time) (int, Source) {
	return e.effectiveAt(&a, t)
}

// effectiveAt is EffectiveAt on *a, which it may change: its status, not what the status's
// pointers or the history point to.
func (e *Evaluator) effectiveAt(a *Account, t time.Time) (int, Source) {
	st := &a.Status
	switch {
	case t.Before(st.Reviewed):
	case e.follows && st.Grace == nil && st.Level >= 0 && st.Level < len(e.thr):
		// The last evaluation of an advance, at t, upgrades or downgrades straight to
		// the level the measure supports (with no grace, no commitment and thresholds
		// that strictly increase, from any level of the ladder): the evaluations before
		// it change nothing of the result.
		r := st.Reviewed
		if r.IsZero() {
			r = a.Enrolled
		}
		if t.After(r) {
			st.Level = e.levelFor(e.measureAt(a, t.In(e.loc).Add(-time.Nanosecond)))
		}
	case e.periodic && (st.Grace == nil || st.Grace.Until.After(t)) && e.noReviewBy(a, t):
		// No review and no end of grace up to t: the earned level stays.
	default:
		// advance replaces the status's pointers, never what they point to, and only
		// reads the history: a's copy of them is safe to advance.
		e.advance(a, t, nil)
	}
	return e.effective(st, t)
}

// noReviewBy reports whether no upgrade or downgrade review of a periodic ladder falls
// after a's last review (its enrolment, if never reviewed), up to and including t.
func (e *Evaluator) noReviewBy(a *Account, t time.Time) bool {
	r := a.Status.Reviewed
	if r.IsZero() {
		r = a.Enrolled
	}
	if !t.After(r) {
		return true
	}
	r = r.In(e.loc)
	pol := &e.ladder.Review
	return pol.UpgradeEvery.Next(r).After(t) && pol.DowngradeEvery.Next(r).After(t)
}

// rollingExit returns the first day whose rolling window of n months no longer contains d.
func (e *Evaluator) rollingExit(d Day, n int) Day {
	x := DayOf(loyalty.AddMonths(d.Start(e.loc), n))
	for DayOf(loyalty.AddMonths(x.Start(e.loc), -n)) < d {
		x++
	}
	return x
}

// advance is Advance on a in place; it appends to changes.
func (e *Evaluator) advance(a *Account, to time.Time, changes []Change) []Change {
	to = to.In(e.loc)
	r := a.Status.Reviewed
	if r.IsZero() {
		r = a.Enrolled
		if a.Status.Since.IsZero() {
			a.Status.Since = a.Enrolled
		}
	}
	r = r.In(e.loc)
	if !to.After(r) {
		if to.After(a.Status.Reviewed) {
			a.Status.Reviewed = to
		}
		return changes
	}
	pol := e.ladder.Review
	win := e.ladder.Window
	immUp, immDown := pol.UpgradeEvery == "", pol.DowngradeEvery == ""
	imm := immUp || immDown
	enrolled := a.Enrolled.In(e.loc)
	// Iterators over the evaluation points after r. A zero time means "none".
	var nextUp, nextDown, nextWin, nextTenure time.Time
	if !immUp {
		nextUp = pol.UpgradeEvery.Next(r)
	}
	if !immDown {
		nextDown = pol.DowngradeEvery.Next(r)
	}
	// the end of the first day of the window after the one containing the instant before
	// after: the first evaluation that sees the new window
	winPoint := func(after time.Time) time.Time {
		_, end := win.Bounds(after.Add(-time.Nanosecond), enrolled)
		return end.AddDate(0, 0, 1)
	}
	if immDown && e.m != Tenure && (win.kind() == Calendar || win.kind() == Anniversary) {
		nextWin = winPoint(r)
	}
	enrolStart := midnight(enrolled)
	tenureN := 0
	if immUp && e.m == Tenure {
		tenureN = int(tenureMonths(enrolled, r.Add(-time.Nanosecond))) + 1
		nextTenure = loyalty.AddMonths(enrolStart, tenureN).AddDate(0, 0, 1)
	}
	// ends of days with activity, and (rolling windows) days after activity left the window
	h := a.History
	rd := DayOf(r.Add(-time.Nanosecond)) // days up to rd were judged at or before r
	ai, ei := len(h), len(h)
	if imm && e.m != Tenure {
		ai = 0
		for ai < len(h) && h[ai].Day <= rd {
			ai++
		}
	}
	rolling := immDown && e.m != Tenure && win.kind() == Rolling
	if rolling {
		ei = 0
		for ei < len(h) && e.rollingExit(h[ei].Day, win.Months) <= rd {
			ei++
		}
	}
	// the end of the first day after a commitment period ends: the first evaluation that
	// judges the completed period (immediate rules only)
	var commitPeriods []loyalty.Period
	if imm {
		for _, c := range e.commit {
			if c.enforce && !slices.Contains(commitPeriods, c.period) {
				commitPeriods = append(commitPeriods, c.period)
			}
		}
	}
	commitPoint := func(after time.Time) (next time.Time) {
		for _, per := range commitPeriods {
			if t := per.Next(after.Add(-time.Nanosecond)).AddDate(0, 0, 1); next.IsZero() || t.Before(next) {
				next = t
			}
		}
		return next
	}
	nextCommit := commitPoint(r)
	var overrideEnd, memberEnd time.Time
	if o := a.Status.Override; o != nil && o.Until.After(r) && !o.Until.After(to) {
		overrideEnd = o.Until.In(e.loc)
	}
	if m := a.Status.Membership; m != nil && m.Until.After(r) && !m.Until.After(to) {
		memberEnd = m.Until.In(e.loc)
	}
	last := r
	for {
		p := to
		earlier := func(t time.Time) {
			if !t.IsZero() && t.Before(p) {
				p = t
			}
		}
		earlier(nextUp)
		earlier(nextDown)
		earlier(nextWin)
		earlier(nextTenure)
		earlier(nextCommit)
		earlier(overrideEnd)
		earlier(memberEnd)
		if ai < len(h) {
			earlier(h[ai].Day.Start(e.loc).AddDate(0, 0, 1))
		}
		if ei < len(h) {
			earlier(e.rollingExit(h[ei].Day, win.Months).Start(e.loc).AddDate(0, 0, 1))
		}
		if g := a.Status.Grace; g != nil {
			earlier(g.Until.In(e.loc))
		}
		q := p.Add(-time.Nanosecond)
		if imm {
			// immediate rules take effect from the start of the day they judge
			at := midnight(q)
			if at.Before(last) {
				at = last
			}
			changes = e.evaluate(a, p, at, midnight(q), immUp, immDown, false, changes)
		}
		// the effective level just before p, after the immediate rules (which take effect
		// before p) and before the rules that take effect at p
		before, _ := e.Effective(a.Status, q)
		up, down := p.Equal(nextUp), p.Equal(nextDown)
		graceEnds := a.Status.Grace != nil && !p.Before(a.Status.Grace.Until)
		if up || down || graceEnds {
			n := len(changes)
			changes = e.evaluate(a, p, p, p, up, down, graceEnds, changes)
			if imm && len(changes) > n {
				// re-judge at once under the immediate rules: a grace that ended on a
				// level the measure still does not support starts the next step down
				changes = e.evaluate(a, p, p, p, immUp, immDown, false, changes)
			}
		}
		if p.Equal(overrideEnd) {
			after, _ := e.Effective(a.Status, p)
			changes = append(changes, Change{Account: a.ID, At: p, Kind: OverrideExpired, From: before, To: after, Earned: a.Status.Level})
			before = after
			overrideEnd = time.Time{}
		}
		if p.Equal(memberEnd) {
			after, _ := e.Effective(a.Status, p)
			changes = append(changes, Change{Account: a.ID, At: p, Kind: MembershipExpired, From: before, To: after, Earned: a.Status.Level})
			memberEnd = time.Time{}
		}
		if up {
			nextUp = pol.UpgradeEvery.Next(p)
		}
		if down {
			nextDown = pol.DowngradeEvery.Next(p)
		}
		if p.Equal(nextWin) {
			nextWin = winPoint(p)
		}
		if p.Equal(nextCommit) {
			nextCommit = commitPoint(p)
		}
		if p.Equal(nextTenure) {
			tenureN++
			nextTenure = loyalty.AddMonths(enrolStart, tenureN).AddDate(0, 0, 1)
		}
		pd := DayOf(q)
		for ai < len(h) && h[ai].Day <= pd {
			ai++
		}
		for rolling && ei < len(h) && e.rollingExit(h[ei].Day, win.Months) <= pd {
			ei++
		}
		last = p
		if !p.Before(to) {
			break
		}
	}
	a.Status.Reviewed = to
	return changes
}

// evaluate applies the review rules at the evaluation point p, judging the window that
// contains the instant before p; changes take effect at at; commitments are judged on the
// last period complete at ref. up and down enable upgrades and downgrades; graceEnds enables
// the end of a pending grace.
func (e *Evaluator) evaluate(a *Account, p, at, ref time.Time, up, down, graceEnds bool, changes []Change) []Change {
	st := &a.Status
	g := st.Grace
	m := e.measureAt(a, p.Add(-time.Nanosecond))
	// the highest level the measure supports whose enforced commitment, if any, was met
	qual := e.levelFor(m)
	for qual > 0 && !e.commitMet(a, qual, ref) {
		qual--
	}
	lv := max(min(st.Level, len(e.thr)-1), 0) // a status stored under another ladder: clamp
	keeps := m >= e.thr[lv] && e.commitMet(a, lv, ref)
	before, _ := e.Effective(*st, at.Add(-time.Nanosecond))
	kind := ChangeKind("")
	switch {
	case up && qual > lv:
		st.Level, st.Since, st.Grace = qual, at, nil
		kind = Upgraded
	case g != nil && keeps:
		st.Grace = nil
		kind = Requalified
	case graceEnds:
		st.Level, st.Since, st.Grace = max(g.To, min(qual, lv-1), 0), at, nil
		kind = Downgraded
	case g == nil && down && !keeps && lv > 0:
		target := lv - 1
		if e.ladder.Review.Downgrade != OneLevel {
			target = min(qual, lv-1)
		}
		if n := e.ladder.Review.GraceMonths; n > 0 {
			st.Grace = &Grace{Until: loyalty.AddMonths(at, n), To: target}
			kind = GraceStarted
		} else {
			st.Level, st.Since = target, at
			kind = Downgraded
		}
	}
	if kind == "" {
		return changes
	}
	after, _ := e.Effective(*st, at)
	return append(changes, Change{Account: a.ID, At: at, Kind: kind, From: before, To: after, Earned: st.Level, Qualifying: e.amount(m)})
}
