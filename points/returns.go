package points

import (
	"context"
	"errors"
	"fmt"

	"github.com/loyaltykit/loyalty"
)

// ReturnRequest asks the ledger to undo what returned order lines did to a holder's points.
//
// ReturnRequest values are plain data, safe for concurrent use when not modified.
type ReturnRequest struct {
	Key    loyalty.IdempotencyKey `json:"key"`
	Holder Holder                 `json:"holder"`
	Order  loyalty.OrderID        `json:"order"`
	Lines  []loyalty.ReturnLine   `json:"lines"`
}

// Return reverses, for every returned line, the share of the points the line earned and
// gives back the share of the points that paid for it, in proportion to the quantity
// returned. Shares are cumulative by largest remainder: after several partial returns of a
// line, the points reversed and restored add up exactly to what the line earned and was
// paid with once the whole line is back.
//
// Restored points go back to the lots they were taken from (latest taken first), keeping
// their expiry; if that has passed they expire at once. Then the earned share is reversed:
// first from the order's own lot (pending points first, as the lot is pending during the
// return window), then under the ledger's [ReturnPolicy]. Returning more than was bought,
// or an order the holder has no record of, is an error that changes nothing.
func (l *Ledger) Return(ctx context.Context, req ReturnRequest) (Posting, error) {
	return l.keyed(ctx, req.Key, "return", req, func(b *book) error {
		a, err := b.account(req.Holder, false)
		if err != nil {
			return err
		}
		pur, err := b.tx.Purchase(req.Holder, req.Order)
		if err != nil {
			return fmt.Errorf("points: order %s of %s: %w", req.Order, req.Holder, err)
		}
		return b.returnLines(a, &pur, req.Lines)
	})
}

func (b *book) returnLines(a *Account, pur *Purchase, lines []loyalty.ReturnLine) error {
	shape := loyalty.Order{Lines: make([]loyalty.Line, len(pur.Lines))}
	var prior []loyalty.ReturnLine
	for i, pl := range pur.Lines {
		shape.Lines[i].Quantity = pl.Quantity
		if !pl.Returned.IsZero() {
			prior = append(prior, loyalty.ReturnLine{Line: i, Quantity: pl.Returned})
		}
	}
	if err := shape.ValidateReturn(lines, prior); err != nil {
		return fmt.Errorf("points: return: %w", err)
	}
	reverse := make([]Points, len(pur.Lines))
	restore := make([]Points, len(pur.Lines))
	var totalReverse, totalRestore Points
	after := make([]loyalty.Quantity, len(pur.Lines))
	for i, pl := range pur.Lines {
		after[i] = pl.Returned
	}
	for _, r := range lines {
		after[r.Line], _ = after[r.Line].Add(r.Quantity) // bounded by ValidateReturn
	}
	for i, pl := range pur.Lines {
		if after[i].Equal(pl.Returned) {
			continue
		}
		all, was, now := pl.Quantity.Micros(), pl.Returned.Micros(), after[i].Micros()
		e0, err := shareOf(pl.Earned, was, all)
		if err != nil {
			return err
		}
		e1, err := shareOf(pl.Earned, now, all)
		if err != nil {
			return err
		}
		r0, err := shareOf(pl.Redeemed, was, all)
		if err != nil {
			return err
		}
		r1, err := shareOf(pl.Redeemed, now, all)
		if err != nil {
			return err
		}
		reverse[i], restore[i] = e1-e0, r1-r0
		totalReverse += reverse[i]
		totalRestore += restore[i]
		pur.Lines[i].Returned = after[i]
	}
	if totalRestore > 0 {
		if err := b.restore(a, pur, totalRestore, restore); err != nil {
			return err
		}
	}
	if totalReverse > 0 {
		if err := b.reverse(a, pur, totalReverse, reverse); err != nil {
			return err
		}
	}
	if err := b.tx.PutPurchase(*pur); err != nil {
		return err
	}
	return b.settle(a) // restored points may be past their expiry; restored points repay debt
}

// restore gives n redeemed points back to the lots that paid, latest taken first.
func (b *book) restore(a *Account, pur *Purchase, n Points, lines []Points) error {
	e := Entry{Kind: KindRestore, Points: n, Order: pur.Order, Lines: lines, Acceptor: pur.Acceptor}
	// Parts were taken in order; the last pur.Restored points of the sequence are back already.
	skip := pur.Restored
	left := n
	for i := len(pur.Redeemed) - 1; i >= 0 && left > 0; i-- {
		part := pur.Redeemed[i]
		avail := part.Points
		if skip > 0 {
			d := min(skip, avail)
			skip -= d
			avail -= d
		}
		if avail == 0 {
			continue
		}
		x := min(avail, left)
		lot, err := b.tx.Lot(part.Lot)
		if err != nil {
			return err
		}
		lot.Spent -= x
		lot.Remaining += x
		a.Spent -= x
		if lot.Pending {
			a.Pending += x
		} else {
			a.Active += x
		}
		if err := b.tx.updateLot(&lot); err != nil {
			return err
		}
		noteDue(a, &lot)
		e.Lots = append(e.Lots, LotPart{Lot: lot.ID, Issuer: lot.Issuer, Points: x})
		left -= x
	}
	if left != 0 {
		return fmt.Errorf("points: order %s: %d redeemed points cannot be traced to lots", pur.Order, left)
	}
	pur.Restored += n
	if b.l.cfg.Redemption.PointValue.Sign() > 0 {
		v, err := b.l.cfg.Redemption.Value(n)
		if err != nil {
			return err
		}
		e.Value = v
	}
	return b.appendEntry(a, e)
}

// reverse takes back n earned points under the ledger's return policy.
func (b *book) reverse(a *Account, pur *Purchase, n Points, lines []Points) error {
	e := Entry{Kind: KindReverse, Order: pur.Order, Lines: lines}
	need := n
	if pur.EarnLot != 0 {
		lot, err := b.tx.Lot(pur.EarnLot)
		switch {
		case errors.Is(err, ErrForgotten): // closed long ago: nothing left in it to reverse
		case err != nil:
			return err
		}
		if lot.Remaining > 0 && (lot.Pending || b.l.cfg.Returns != PendingOnly) {
			x := min(need, lot.Remaining)
			take(a, &lot, x, KindReverse)
			if err := b.tx.updateLot(&lot); err != nil {
				return err
			}
			e.Lots = append(e.Lots, LotPart{Lot: lot.ID, Issuer: lot.Issuer, Points: x})
			e.Points += x
			need -= x
		}
	}
	if need > 0 && b.l.cfg.Returns != PendingOnly {
		x := min(need, max(a.Active-a.Debt, 0))
		if x > 0 {
			parts, err := b.consume(a, x, KindReverse)
			if err != nil {
				return err
			}
			e.Lots = append(e.Lots, parts...)
			e.Points += x
			need -= x
		}
		if need > 0 && b.l.cfg.Returns == NegativeBalance {
			a.Debt += need
			e.Debt = need
			e.Points += need
			need = 0
		}
	}
	e.Forgiven = need
	if e.Points == 0 && e.Forgiven == 0 {
		return nil
	}
	return b.appendEntry(a, e)
}
