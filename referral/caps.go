package referral

import (
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
)

// capper applies the caps of the rules to a referrer's usage. Usage is kept per period of
// the caps and counted by the service clock's now when the reward is earned; the clock is
// taken to move forward (a usage record is reset whenever the period changes).
type capper struct {
	caps []Cap
	loc  *time.Location
}

func (s *Service) caps() capper { return capper{caps: s.rules.Caps, loc: s.rules.Location} }

// usage returns p's usage of period per at now, starting a fresh one when a new period began.
func (c capper) usage(p *Profile, per loyalty.Period, now time.Time) *CapUsage {
	start := per.Start(now.In(c.loc))
	for i := range p.Usage {
		if u := &p.Usage[i]; u.Period == per {
			if !u.Start.Equal(start) {
				*u = CapUsage{Period: per, Start: start}
			}
			return u
		}
	}
	p.Usage = append(p.Usage, CapUsage{Period: per, Start: start})
	return &p.Usage[len(p.Usage)-1]
}

// periods calls fn with the usage of every distinct period of the caps.
func (c capper) periods(p *Profile, now time.Time, fn func(u *CapUsage)) {
	var seen []loyalty.Period
	for _, cp := range c.caps {
		dup := false
		for _, q := range seen {
			dup = dup || q == cp.Period
		}
		if !dup {
			seen = append(seen, cp.Period)
			fn(c.usage(p, cp.Period, now))
		}
	}
}

// admitConversion reports whether one more conversion of the referrer may be rewarded at
// now, and counts it if so; otherwise note names the cap.
func (c capper) admitConversion(p *Profile, now time.Time) (ok bool, note string) {
	for _, cp := range c.caps {
		if cp.MaxConversions > 0 && c.usage(p, cp.Period, now).Conversions >= cp.MaxConversions {
			return false, fmt.Sprintf("withheld: the cap of %d rewarded conversions per %s is reached", cp.MaxConversions, cp.Period)
		}
	}
	c.periods(p, now, func(u *CapUsage) { u.Conversions++ })
	return true, ""
}

// take grants rw within the caps at now: a points or credit reward is cut down to what is
// left of the tightest cap, and withheld (granted false) when nothing is left. It counts
// what it grants.
func (c capper) take(p *Profile, rw Reward, now time.Time) (out Reward, note string, granted bool) {
	switch rw.Kind {
	case RewardPoints:
		left, tight := int64(-1), Cap{}
		for _, cp := range c.caps {
			if cp.MaxPoints > 0 {
				if l := max(cp.MaxPoints-c.usage(p, cp.Period, now).Points, 0); left < 0 || l < left {
					left, tight = l, cp
				}
			}
		}
		if left == 0 {
			return rw, fmt.Sprintf("withheld: the cap of %d points per %s is reached", tight.MaxPoints, tight.Period), false
		}
		if left > 0 && rw.Points > left {
			note = fmt.Sprintf("cut from %d to %d points by the cap of %d points per %s", rw.Points, left, tight.MaxPoints, tight.Period)
			rw.Points = left
		}
		c.periods(p, now, func(u *CapUsage) { u.Points += rw.Points })
		return rw, note, true
	case RewardCredit:
		var left loyalty.Money
		var tight Cap
		found := false
		for _, cp := range c.caps {
			if cp.MaxCredit.IsZero() {
				continue
			}
			used := c.usage(p, cp.Period, now).Credit
			l, err := cp.MaxCredit.Sub(used)
			if err != nil || l.IsNegative() {
				l = loyalty.Zero(cp.MaxCredit.Currency())
			}
			if cmp, _ := l.Cmp(left); !found || cmp < 0 {
				left, tight, found = l, cp, true
			}
		}
		if found && left.IsZero() {
			return rw, fmt.Sprintf("withheld: the cap of %s credit per %s is reached", tight.MaxCredit, tight.Period), false
		}
		if cmp, _ := rw.Credit.Cmp(left); found && cmp > 0 {
			note = fmt.Sprintf("cut from %s to %s by the cap of %s credit per %s", rw.Credit, left, tight.MaxCredit, tight.Period)
			rw.Credit = left
		}
		c.periods(p, now, func(u *CapUsage) { u.Credit, _ = u.Credit.Add(rw.Credit) })
		return rw, note, true
	}
	return rw, "", true
}

// giveBack returns a cancelled reward earned at 'at' to the usage of the periods that are
// still current at now.
func (c capper) giveBack(p *Profile, rw Reward, at, now time.Time) {
	c.periods(p, now, func(u *CapUsage) {
		if !u.Start.Equal(u.Period.Start(at.In(c.loc))) {
			return
		}
		switch rw.Kind {
		case RewardPoints:
			u.Points -= rw.Points
		case RewardCredit:
			u.Credit, _ = u.Credit.Sub(rw.Credit)
		}
	})
}

// giveBackConversion returns a cancelled conversion counted at 'at' to the current periods.
func (c capper) giveBackConversion(p *Profile, at, now time.Time) {
	c.periods(p, now, func(u *CapUsage) {
		if u.Start.Equal(u.Period.Start(at.In(c.loc))) {
			u.Conversions--
		}
	})
}
