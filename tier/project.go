package tier

import (
	"fmt"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Projection explains an account's standing at a time: its level and why, what is needed to
// reach the next level, what is needed to keep the current one at the next downgrade review,
// and the level it will have then if nothing more is recorded. It is plain data, rendered by
// [Projection.Explain], safe for concurrent use as long as nobody modifies it.
type Projection struct {
	Account loyalty.AccountID `json:"account"`
	At      time.Time         `json:"at"`
	Measure Measure           `json:"measure"`

	// Level is the effective level at At and LevelName its name; Source says whether it is
	// earned, overridden or paid. Earned is the level earned by qualification.
	Level     int    `json:"level"`
	LevelName string `json:"level_name"`
	Source    Source `json:"source"`
	Earned    int    `json:"earned"`
	// Since is when the earned level took effect. Until is when the override or membership
	// that gives the effective level ends (zero for an earned level); Reason is the
	// override's reason.
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason,omitempty"`

	// WindowStart and WindowEnd bound the qualification window containing At ([start,
	// end) local midnights; WindowEnd is zero for a lifetime window), and Qualifying is the
	// measure in it so far.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Qualifying  Amount    `json:"qualifying"`

	// Next is the lowest level above both the effective level and the level Qualifying
	// already supports, or -1 at the top. NeededForNext is the qualifying amount still missing
	// in the current window to support it: recorded now, it makes the measure support exactly
	// Next. UpgradeAt is when such an upgrade would take effect: At for immediate upgrades,
	// otherwise the next upgrade review.
	Next          int       `json:"next"`
	NextName      string    `json:"next_name,omitempty"`
	NeededForNext Amount    `json:"needed_for_next"`
	UpgradeAt     time.Time `json:"upgrade_at"`

	// KeepBy is the next time the earned level can fall: a pending grace's end, the next
	// downgrade review, or (immediate downgrades) the end of the current window; zero when
	// nothing can lower it (a lifetime window with immediate downgrades). NeededToKeep is the
	// qualifying amount, beyond what is already recorded, that the window judged at KeepBy
	// must receive for the account to keep its earned level, assuming it is recorded within
	// that window. Projected is the effective level at KeepBy if nothing more is recorded.
	KeepBy        time.Time `json:"keep_by"`
	NeededToKeep  Amount    `json:"needed_to_keep"`
	Projected     int       `json:"projected"`
	ProjectedName string    `json:"projected_name"`

	// Grace is a pending downgrade, if any.
	Grace *Grace `json:"grace,omitempty"`
	// Commitment reports the contract minimum of the effective level in the current
	// commitment period, if the level has one.
	Commitment *CommitmentStatus `json:"commitment,omitempty"`
}

// CommitmentStatus reports progress towards a level's contract minimum in one period. It is a
// plain value, safe for concurrent use.
type CommitmentStatus struct {
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	Minimum     Amount    `json:"minimum"`
	Achieved    Amount    `json:"achieved"`
	Shortfall   Amount    `json:"shortfall"` // Minimum - Achieved, or zero when met
	Enforced    bool      `json:"enforced"`
}

// Project explains account a at now. It first advances a copy of the account to now (when
// now is after its last review); nothing is stored.
func (e *Evaluator) Project(a Account, now time.Time) Projection {
	now = now.In(e.loc)
	a = a.Clone()
	if now.After(a.Status.Reviewed) {
		e.advance(&a, now, nil)
	}
	st := a.Status
	eff, src := e.Effective(st, now)
	p := Projection{
		Account: a.ID, At: now, Measure: e.m,
		Level: eff, LevelName: e.ladder.Levels[eff].Name, Source: src, Earned: st.Level,
		Next: -1, UpgradeAt: now, Since: st.Since.In(e.loc),
	}
	switch src {
	case Overridden:
		p.Until, p.Reason = st.Override.Until.In(e.loc), st.Override.Reason
	case Paid:
		p.Until = st.Membership.Until.In(e.loc)
	}
	enrolled := a.Enrolled.In(e.loc)
	if e.m != Tenure {
		p.WindowStart, p.WindowEnd = e.ladder.Window.Bounds(now, enrolled)
	} else {
		p.WindowStart = midnight(enrolled)
	}
	m := e.measureAt(&a, now)
	p.Qualifying = e.amount(m)
	if next := max(eff, e.levelFor(m)) + 1; next < len(e.thr) {
		p.Next, p.NextName = next, e.ladder.Levels[next].Name
		p.NeededForNext = e.amount(e.thr[next] - m)
	}
	pol := e.ladder.Review
	if pol.UpgradeEvery != "" {
		p.UpgradeAt = pol.UpgradeEvery.Next(now)
	}
	switch {
	case st.Grace != nil:
		p.KeepBy = st.Grace.Until.In(e.loc)
		g := *st.Grace
		p.Grace = &g
	case pol.DowngradeEvery != "":
		p.KeepBy = pol.DowngradeEvery.Next(now)
	case e.m == Tenure:
	case e.ladder.Window.kind() == Calendar || e.ladder.Window.kind() == Anniversary:
		p.KeepBy = p.WindowEnd
	case e.ladder.Window.kind() == Rolling:
		p.KeepBy = midnight(now).AddDate(0, 0, 1)
	}
	p.Projected, p.ProjectedName = eff, p.LevelName
	if !p.KeepBy.IsZero() {
		future := a.Clone()
		e.advance(&future, p.KeepBy, nil)
		p.Projected, _ = e.Effective(future.Status, p.KeepBy)
		p.ProjectedName = e.ladder.Levels[p.Projected].Name
		earned := max(min(st.Level, len(e.thr)-1), 0)
		if mk := e.measureAt(&a, p.KeepBy.Add(-time.Nanosecond)); mk < e.thr[earned] {
			p.NeededToKeep = e.amount(e.thr[earned] - mk)
		} else {
			p.NeededToKeep = e.amount(0)
		}
	} else {
		p.NeededToKeep = e.amount(0)
	}
	if c := e.ladder.Levels[eff].Commitment; c != nil {
		start, end := c.Period.Start(now), c.Period.Next(now)
		got := a.History.Sum(DayOf(start), DayOf(now)+1)
		short := e.commit[eff].min - got
		if short < 0 {
			short = 0
		}
		p.Commitment = &CommitmentStatus{
			PeriodStart: start, PeriodEnd: end,
			Minimum: e.amount(e.commit[eff].min), Achieved: e.amount(got), Shortfall: e.amount(short),
			Enforced: c.Enforce,
		}
	}
	return p
}

// Explain renders the projection in plain sentences.
func (p Projection) Explain() string {
	var b strings.Builder
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	f := func(a Amount) string { return formatAmount(a, p.Measure) }
	fmt.Fprintf(&b, "Account %s is at level %s", p.Account, p.LevelName)
	switch p.Source {
	case Overridden:
		fmt.Fprintf(&b, " by a manual override until %s", day(p.Until))
		if p.Reason != "" {
			fmt.Fprintf(&b, " (%s)", p.Reason)
		}
	case Paid:
		fmt.Fprintf(&b, " by a paid membership until %s", day(p.Until))
	default:
		fmt.Fprintf(&b, " since %s", day(p.Since))
	}
	b.WriteString(".\n")
	if p.Measure == Tenure {
		fmt.Fprintf(&b, "Tenure: %s since %s.\n", f(p.Qualifying), day(p.WindowStart))
	} else if p.WindowEnd.IsZero() {
		fmt.Fprintf(&b, "Qualifying %s since %s: %s.\n", p.Measure, day(p.WindowStart), f(p.Qualifying))
	} else {
		fmt.Fprintf(&b, "Qualifying %s from %s to %s: %s.\n", p.Measure, day(p.WindowStart), day(p.WindowEnd.AddDate(0, 0, -1)), f(p.Qualifying))
	}
	if p.Next >= 0 {
		fmt.Fprintf(&b, "%s more reaches %s", f(p.NeededForNext), p.NextName)
		if !p.UpgradeAt.Equal(p.At) {
			fmt.Fprintf(&b, " at the review on %s", day(p.UpgradeAt))
		}
		b.WriteString(".\n")
	} else {
		b.WriteString("It is at the top level.\n")
	}
	if p.Grace != nil {
		fmt.Fprintf(&b, "A downgrade is pending: the level is kept in grace until %s.\n", day(p.Grace.Until))
	}
	if !p.KeepBy.IsZero() {
		if p.NeededToKeep.Spend.IsZero() && p.NeededToKeep.Volume.IsZero() && p.NeededToKeep.Count == 0 {
			fmt.Fprintf(&b, "The earned level is secured for the review on %s", day(p.KeepBy))
		} else {
			fmt.Fprintf(&b, "To keep the earned level at the review on %s: %s more", day(p.KeepBy), f(p.NeededToKeep))
		}
		fmt.Fprintf(&b, "; projected level then: %s.\n", p.ProjectedName)
	}
	if c := p.Commitment; c != nil {
		fmt.Fprintf(&b, "Contract minimum %s for %s to %s: %s achieved, shortfall %s.\n",
			f(c.Minimum), day(c.PeriodStart), day(c.PeriodEnd.AddDate(0, 0, -1)), f(c.Achieved), f(c.Shortfall))
	}
	return b.String()
}

// ExplainChange renders a change event as one plain sentence for a notification: "On
// 2025-04-01 account acme was upgraded from 5% to 6% (qualifying spend 3300000.00 RUB)."
func (e *Evaluator) ExplainChange(c Change) string {
	name := func(i int) string { return e.ladder.Levels[max(min(i, len(e.thr)-1), 0)].Name }
	f := func(a Amount) string { return formatAmount(a, e.m) }
	head := fmt.Sprintf("On %s account %s", c.At.In(e.loc).Format(time.DateOnly), c.Account)
	switch c.Kind {
	case Upgraded:
		return fmt.Sprintf("%s was upgraded from %s to %s (qualifying %s %s).", head, name(c.From), name(c.To), e.m, f(c.Qualifying))
	case Downgraded:
		return fmt.Sprintf("%s was downgraded from %s to %s (qualifying %s %s).", head, name(c.From), name(c.To), e.m, f(c.Qualifying))
	case GraceStarted:
		return fmt.Sprintf("%s no longer qualified for %s (qualifying %s %s) and keeps it for a grace period.", head, name(c.Earned), e.m, f(c.Qualifying))
	case Requalified:
		return fmt.Sprintf("%s qualified again for %s (qualifying %s %s): the grace period is over.", head, name(c.Earned), e.m, f(c.Qualifying))
	case OverrideSet:
		return fmt.Sprintf("%s was given a manual override: level %s (was %s).", head, name(c.To), name(c.From))
	case OverrideExpired:
		return fmt.Sprintf("%s lost its manual override: level %s (was %s).", head, name(c.To), name(c.From))
	case MembershipBought:
		return fmt.Sprintf("%s bought a membership: level %s (was %s).", head, name(c.To), name(c.From))
	case MembershipExpired:
		return fmt.Sprintf("%s's membership ended: level %s (was %s).", head, name(c.To), name(c.From))
	}
	return fmt.Sprintf("%s changed (%s): level %s (was %s).", head, c.Kind, name(c.To), name(c.From))
}
