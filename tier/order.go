package tier

import (
	"fmt"

	"github.com/loyaltykit/loyalty"
)

// OrderAmount returns what order o qualifies for, to pass to [Service.Record]: its subtotal
// before discounts on a spend ladder (the order must be in the ladder's currency), the sum of
// its line quantities on a volume ladder, and 1 on an orders ladder. Points earned and tenure
// are not derived from an order: it fails on those ladders. An invalid order fails with the
// order's own field errors.
func (e *Evaluator) OrderAmount(o loyalty.Order) (Amount, error) {
	if err := o.Validate(); err != nil {
		return Amount{}, fmt.Errorf("tier: order amount: %w", err)
	}
	switch e.m {
	case Spend:
		if o.Currency != e.cur {
			return Amount{}, fmt.Errorf("tier: order amount: %w", loyalty.Invalid("currency", o.Currency, "must be "+e.cur.Code()+" like the ladder"))
		}
		sub, err := o.Subtotal()
		if err != nil {
			return Amount{}, fmt.Errorf("tier: order amount: %w", err)
		}
		return Amount{Spend: sub}, nil
	case Volume:
		var q loyalty.Quantity
		for i, l := range o.Lines {
			var err error
			if q, err = q.Add(l.Quantity); err != nil {
				return Amount{}, fmt.Errorf("tier: order amount: lines[%d]: %w", i, err)
			}
		}
		return Amount{Volume: q}, nil
	case Orders:
		return Amount{Count: 1}, nil
	}
	return Amount{}, fmt.Errorf("tier: order amount: %w", loyalty.Invalid("measure", string(e.m), "is not derived from an order"))
}
