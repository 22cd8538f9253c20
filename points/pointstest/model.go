package pointstest

import (
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
)

// The model is a plain simulation of lots, written from the rules as the package documents
// them, without stores, entries or idempotency: what the ledger must agree with.

type mLot struct {
	id        int          // creation order
	lotID     points.LotID // the store's ID, from the posting that created the lot
	holder    points.Holder
	earnedAt  time.Time
	activeAt  time.Time // pending until (zero: active)
	expires   time.Time // zero: never
	remaining int64
	pending   bool
}

type mCounters struct {
	earned, spent, expired, reversed, transferred, debited, debt int64
}

type mPurchase struct {
	qty      []int64 // micros
	returned []int64
	earned   []int64
	redeemed []int64
	earnLot  *mLot
	parts    []mPart // redemption, in the order taken
	restored int64
}

type mPart struct {
	lot *mLot
	n   int64
}

type model struct {
	policy    points.ReturnPolicy
	loc       *time.Location
	lots      []*mLot
	c         map[points.Holder]*mCounters
	purchases map[string]*mPurchase // holder + "/" + order
}

func newModel(policy points.ReturnPolicy, loc *time.Location) *model {
	return &model{policy: policy, loc: loc, c: map[points.Holder]*mCounters{}, purchases: map[string]*mPurchase{}}
}

func (m *model) exists(h points.Holder) bool { _, ok := m.c[h]; return ok }

func (m *model) counters(h points.Holder) *mCounters {
	if c, ok := m.c[h]; ok {
		return c
	}
	c := &mCounters{}
	m.c[h] = c
	return c
}

// open returns h's open lots in spend order: soonest expiry first (never last), then oldest.
func (m *model) open(h points.Holder) []*mLot {
	var out []*mLot
	for _, l := range m.lots {
		if l.holder == h && l.remaining > 0 {
			out = append(out, l)
		}
	}
	slices.SortStableFunc(out, func(a, b *mLot) int {
		switch {
		case a.expires.Equal(b.expires):
		case a.expires.IsZero():
			return 1
		case b.expires.IsZero():
			return -1
		default:
			return a.expires.Compare(b.expires)
		}
		if c := a.earnedAt.Compare(b.earnedAt); c != 0 {
			return c
		}
		return a.id - b.id
	})
	return out
}

func (m *model) active(h points.Holder) (active, pending int64) {
	for _, l := range m.lots {
		if l.holder == h {
			if l.pending {
				pending += l.remaining
			} else {
				active += l.remaining
			}
		}
	}
	return
}

func (m *model) available(h points.Holder) int64 {
	a, _ := m.active(h)
	return a - m.counters(h).debt
}

// take removes n active points in spend order; the caller has checked they exist.
func (m *model) take(h points.Holder, n int64) []mPart {
	var parts []mPart
	for _, l := range m.open(h) {
		if n == 0 {
			break
		}
		if l.pending {
			continue
		}
		x := min(n, l.remaining)
		l.remaining -= x
		n -= x
		parts = append(parts, mPart{l, x})
	}
	if n != 0 {
		panic("model: take beyond the active balance")
	}
	return parts
}

func (m *model) repay(h points.Holder) {
	c := m.counters(h)
	a, _ := m.active(h)
	if n := min(c.debt, a); n > 0 {
		m.take(h, n)
		c.debt -= n
		c.reversed += n
	}
}

// settle applies activations and expiries due at now in time order (activations first at
// one instant), repaying debt after activations.
func (m *model) settle(h points.Holder, now time.Time) {
	type ev struct {
		at     time.Time
		expire bool
		lot    *mLot
	}
	var evs []ev
	for _, l := range m.open(h) {
		if l.pending && !now.Before(l.activeAt) {
			evs = append(evs, ev{l.activeAt, false, l})
		}
		if !l.expires.IsZero() && !now.Before(l.expires) {
			evs = append(evs, ev{l.expires, true, l})
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		switch {
		case !a.expire && b.expire:
			return -1
		case a.expire && !b.expire:
			return 1
		}
		return 0
	})
	c := m.counters(h)
	for _, e := range evs {
		if e.expire {
			c.expired += e.lot.remaining
			e.lot.remaining = 0
		} else if e.lot.pending {
			e.lot.pending = false
			m.repay(h)
		}
	}
	m.repay(h)
}

func (m *model) credit(h points.Holder, n int64, now time.Time, pendingDays, expiryDays int) *mLot {
	l := &mLot{id: len(m.lots) + 1, holder: h, earnedAt: now, remaining: n}
	local := now.In(m.loc)
	if pendingDays > 0 {
		l.pending = true
		l.activeAt = local.AddDate(0, 0, pendingDays)
	}
	if expiryDays > 0 { // usable through the whole local day, expiring at the next midnight
		y, mo, d := local.Date()
		l.expires = time.Date(y, mo, d+expiryDays+1, 0, 0, 0, 0, m.loc)
	}
	m.lots = append(m.lots, l)
	m.counters(h).earned += n
	return l
}

// share is the cumulative largest-remainder share of total for done out of all.
func share(total, done, all int64) int64 {
	if done >= all {
		return total
	}
	split := make([]int64, 2)
	if err := loyalty.AllocateInts(split, total, []int64{done, all - done}); err != nil {
		panic(err)
	}
	return split[0]
}

func (m *model) balance(h points.Holder) points.Balance {
	c := m.counters(h)
	a, p := m.active(h)
	return points.Balance{Holder: h, Available: points.Points(a - c.debt), Active: points.Points(a), Pending: points.Points(p),
		Spent: points.Points(c.spent), Expired: points.Points(c.expired), Reversed: points.Points(c.reversed),
		Transferred: points.Points(c.transferred), Debited: points.Points(c.debited), Earned: points.Points(c.earned),
		Debt: points.Points(c.debt)}
}
