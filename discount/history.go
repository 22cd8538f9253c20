package discount

import (
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
)

// History is what the caller knows about an account's past purchases: the input of
// [Cumulative] discounts, since this package stores nothing. Returns may be recorded as
// negative purchases. Only purchases placed before the order being priced count. It is plain
// data, safe for concurrent reads.
type History struct {
	// Purchases are past purchases in any order.
	Purchases []Purchase `json:"purchases,omitempty"`
	// Carried is spend accumulated before the first listed purchase (an opening balance
	// from a previous system). It counts toward lifetime spend only.
	Carried loyalty.Money `json:"carried,omitzero"`
}

// Purchase is one past purchase of an account.
type Purchase struct {
	At     time.Time     `json:"at"`
	Amount loyalty.Money `json:"amount"`
}

// Validate checks that every amount is in cur and every purchase has a time.
func (h History) Validate(cur loyalty.Currency) error {
	if !h.Carried.IsZero() && h.Carried.Currency() != cur {
		return fmt.Errorf("discount: history: %w", loyalty.Invalid("carried", h.Carried, "must be in the policy currency "+cur.Code()))
	}
	for i := range h.Purchases {
		p := &h.Purchases[i]
		switch {
		case p.At.IsZero():
			return fmt.Errorf("discount: history: %w", loyalty.Invalid(fmt.Sprintf("purchases[%d].at", i), nil, "is required"))
		case !p.Amount.IsZero() && p.Amount.Currency() != cur:
			return fmt.Errorf("discount: history: %w", loyalty.Invalid(fmt.Sprintf("purchases[%d].amount", i), p.Amount,
				"must be in the policy currency "+cur.Code()))
		}
	}
	return nil
}

// Accumulated returns the spend that a cumulative discount with accumulation a reads at now
// (without the current order): for a lifetime accumulation, Carried plus every purchase
// before now; for a rolling window, the purchases placed in [start, now), where start is now
// minus a.Months calendar months and a.Days days. A negative sum (more returned than bought)
// counts as zero. It also returns the time of the last purchase (a positive amount) before now, zero if none.
func (h History) Accumulated(a Accumulation, now time.Time, cur loyalty.Currency) (spend loyalty.Money, last time.Time, err error) {
	spend = loyalty.Zero(cur)
	window := a.Months != 0 || a.Days != 0
	var start time.Time
	if window {
		start = loyalty.AddMonths(now, -a.Months).AddDate(0, 0, -a.Days)
	} else if spend, err = spend.Add(h.Carried); err != nil {
		return loyalty.Money{}, time.Time{}, fmt.Errorf("discount: history: %w", err)
	}
	for i := range h.Purchases {
		p := &h.Purchases[i]
		if !p.At.Before(now) {
			continue
		}
		if p.Amount.IsPositive() && p.At.After(last) {
			last = p.At
		}
		if window && p.At.Before(start) {
			continue
		}
		if spend, err = spend.Add(p.Amount); err != nil {
			return loyalty.Money{}, time.Time{}, fmt.Errorf("discount: history: %w", err)
		}
	}
	if spend.IsNegative() {
		spend = loyalty.Zero(cur)
	}
	return spend, last, nil
}
