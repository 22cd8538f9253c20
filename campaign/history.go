package campaign

import (
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
)

// historySlack is how far behind the oldest rolling window purchases are kept, so that an
// order evaluated a little in the past (an ERP posting late) still sees its window whole.
const historySlack = 31 * 24 * time.Hour

// keepSince returns the first instant whose purchases a cumulative discount of the policy
// may still read in a window ending at now (or later), and whether any discount reads a
// window at all. Lifetime accumulations read only the sum, which Carried keeps.
func keepSince(p discount.Policy, now time.Time) (time.Time, bool) {
	var since time.Time
	windowed := false
	for _, d := range p.Discounts {
		if d.Kind != discount.Cumulative {
			continue
		}
		a := d.Accumulation
		if a.Months == 0 && a.Days == 0 {
			continue
		}
		start := loyalty.AddMonths(now, -a.Months).AddDate(0, 0, -a.Days)
		if !windowed || start.Before(since) {
			since = start
		}
		windowed = true
	}
	return since.Add(-historySlack), windowed
}

// compactHistory keeps an account's purchase history bounded: purchases older than every
// rolling window (all of them, when no discount reads a window) are folded into Carried,
// which keeps the lifetime sum exact, except the latest positive purchase, which decaying
// discounts read. An order dated before the folded purchases (an import of old orders
// committed after newer ones) then counts them in its lifetime spend.
func compactHistory(h discount.History, p discount.Policy, now time.Time) (discount.History, error) {
	since, windowed := keepSince(p, now)
	latest := -1
	for i, pu := range h.Purchases {
		if pu.Amount.IsPositive() && (latest < 0 || pu.At.After(h.Purchases[latest].At)) {
			latest = i
		}
	}
	kept := h.Purchases[:0:0]
	carried := h.Carried
	for i, pu := range h.Purchases {
		if i == latest || windowed && !pu.At.Before(since) {
			kept = append(kept, pu)
			continue
		}
		var err error
		if carried, err = carried.Add(pu.Amount); err != nil {
			return h, err
		}
	}
	return discount.History{Purchases: kept, Carried: carried}, nil
}
