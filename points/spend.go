package points

import (
	"context"
	"errors"
	"fmt"

	"github.com/loyaltykit/loyalty"
)

// SpendRequest asks the ledger to spend points outside an order: a reward, a fee.
//
// SpendRequest values are plain data, safe for concurrent use when not modified.
type SpendRequest struct {
	Key      loyalty.IdempotencyKey `json:"key"`
	Holder   Holder                 `json:"holder"`
	Points   Points                 `json:"points"`
	Acceptor loyalty.PartnerID      `json:"acceptor,omitempty"` // the coalition partner accepting the points
	Reward   string                 `json:"reward,omitempty"`   // the catalogue reward bought, if any
}

// Spend takes req.Points from the holder's active points, soonest-expiring lots first, then
// the oldest. Spending more than the available balance fails with an
// [*InsufficientPointsError] (pending points are not available).
func (l *Ledger) Spend(ctx context.Context, req SpendRequest) (Posting, error) {
	if req.Points <= 0 {
		return Posting{}, loyalty.Invalid("points", req.Points, "must be positive")
	}
	if err := checkKey(req.Key); err != nil {
		return Posting{}, err
	}
	b := l.book()
	b.op, b.spend, b.fp = opSpend, req, sumSpend(&req)
	return l.runKeyed(ctx, b, req.Key)
}

func (b *book) spendOp() error {
	req := &b.spend
	a, err := b.account(req.Holder, false)
	if err != nil {
		return err
	}
	out := new(spendResult)
	parts, err := b.consumeInto(out.lots[:0:1], a, req.Points, KindSpend)
	if err != nil {
		return err
	}
	e := Entry{Kind: KindSpend, Points: req.Points, Lots: parts, Acceptor: req.Acceptor, Reward: req.Reward}
	if r := b.l.cfg.Redemption; r.PointValue.Sign() > 0 {
		if e.Value, err = r.Value(req.Points); err != nil {
			return err
		}
	}
	if len(b.entries) == 0 {
		b.entries = out.entries[:0:1]
	}
	return b.appendEntry(a, e)
}

// spendResult is the posting of a spending and its entry's first lot part in one
// allocation, as earnResult. The slices handed out are full (capacity = length).
type spendResult struct {
	entries [1]Entry
	lots    [1]LotPart
}

// RedeemReward buys the catalogue reward with the given id for its cost in points.
func (l *Ledger) RedeemReward(ctx context.Context, key loyalty.IdempotencyKey, holder Holder, reward string, acceptor loyalty.PartnerID) (Posting, error) {
	w, err := l.cfg.Redemption.Reward(reward)
	if err != nil {
		return Posting{}, err
	}
	return l.Spend(ctx, SpendRequest{Key: key, Holder: holder, Points: w.Cost, Acceptor: acceptor, Reward: w.ID})
}

// RedeemRequest asks the ledger to let points pay part of an order.
//
// RedeemRequest values are plain data, safe for concurrent use when not modified.
type RedeemRequest struct {
	Key      loyalty.IdempotencyKey `json:"key"`
	Holder   Holder                 `json:"holder"`
	Order    loyalty.Order          `json:"order"`
	Points   Points                 `json:"points"`
	Acceptor loyalty.PartnerID      `json:"acceptor,omitempty"`
}

// Redeem spends req.Points as partial payment of req.Order, within the program's
// [Redemption] limits (a [*RedemptionLimitError] otherwise). The points are split over the
// order lines by value, so that returning a line gives back the points that paid for it;
// the entry's Value is the money the points pay. An order can be paid with points once per
// holder.
func (l *Ledger) Redeem(ctx context.Context, req RedeemRequest) (Posting, error) {
	if err := req.Order.Validate(); err != nil {
		return Posting{}, fmt.Errorf("points: order: %w", err)
	}
	total, err := req.Order.Subtotal()
	if err != nil {
		return Posting{}, err
	}
	q, err := l.cfg.Redemption.Quote(total, req.Points)
	if err != nil {
		return Posting{}, err
	}
	totals, err := req.Order.LineTotals()
	if err != nil {
		return Posting{}, err
	}
	weights := make([]int64, len(totals))
	lines := make([]LinePlan, len(totals))
	for i, t := range totals {
		weights[i] = t.MinorUnits()
		lines[i].Quantity = req.Order.Lines[i].Quantity
	}
	split, err := allocatePoints(req.Points, weights)
	if err != nil {
		return Posting{}, err
	}
	return l.keyed(ctx, req.Key, "redeem", req, func(b *book) error {
		a, err := b.account(req.Holder, false)
		if err != nil {
			return err
		}
		var pur Purchase
		if err := b.purchase(&pur, req.Holder, req.Order.ID, lines); err != nil {
			return err
		}
		if pur.PayKey != "" {
			return fmt.Errorf("points: order %s was already paid with points by %s: %w", req.Order.ID, req.Holder, loyalty.ErrConflict)
		}
		parts, err := b.consume(a, req.Points, KindSpend)
		if err != nil {
			return err
		}
		pur.Redeemed = parts
		pur.PayKey = b.key
		pur.Acceptor = req.Acceptor
		for i := range pur.Lines {
			pur.Lines[i].Redeemed = split[i]
		}
		if err := b.tx.PutPurchase(pur); err != nil {
			return err
		}
		return b.appendEntry(a, Entry{Kind: KindSpend, Points: req.Points, Lots: parts, Order: req.Order.ID,
			Lines: split, Acceptor: req.Acceptor, Value: q.Value})
	})
}

// TransferRequest asks the ledger to move points between holders (a company passing points
// to an employee).
//
// TransferRequest values are plain data, safe for concurrent use when not modified.
type TransferRequest struct {
	Key    loyalty.IdempotencyKey `json:"key"`
	From   Holder                 `json:"from"`
	To     Holder                 `json:"to"`
	Points Points                 `json:"points"`
	Reason string                 `json:"reason,omitempty"`
}

// Transfer moves active points from one holder to another, opening the receiver's account
// if needed. The points keep their expiry, age and issuing partner: every lot they come
// from becomes a lot of the receiver with the same dates.
func (l *Ledger) Transfer(ctx context.Context, req TransferRequest) (Posting, error) {
	if req.Points <= 0 {
		return Posting{}, loyalty.Invalid("points", req.Points, "must be positive")
	}
	if req.From == req.To {
		return Posting{}, loyalty.Invalid("to", req.To, "must differ from from")
	}
	if err := req.To.Validate(); err != nil {
		return Posting{}, loyalty.InField("to", err)
	}
	return l.keyed(ctx, req.Key, "transfer", req, func(b *book) error {
		from, to, err := b.accountPair(req.From, req.To)
		if err != nil {
			return err
		}
		parts, err := b.consume(from, req.Points, KindTransferOut)
		if err != nil {
			return err
		}
		if err := b.appendEntry(from, Entry{Kind: KindTransferOut, Points: req.Points, Lots: parts, Counter: req.To, Reason: req.Reason}); err != nil {
			return err
		}
		in := Entry{Kind: KindTransferIn, Points: req.Points, Counter: req.From, Reason: req.Reason}
		for _, p := range parts {
			src, err := b.tx.Lot(p.Lot)
			if err != nil {
				return err
			}
			lot := Lot{Kind: KindTransferIn, Order: src.Order, Issuer: src.Issuer, EarnedAt: src.EarnedAt,
				Expires: src.Expires, Amount: p.Points}
			if err := b.credit(to, &lot); err != nil {
				return err
			}
			in.Lots = append(in.Lots, LotPart{Lot: lot.ID, Issuer: lot.Issuer, Points: p.Points})
		}
		if err := b.appendEntry(to, in); err != nil {
			return err
		}
		// Received points may already be due (transferred on their last day) or repay debt.
		return b.settle(to)
	})
}

// Adjustment is a manual correction of a holder's points, with a reason and an actor for
// audit. Positive Points credit a new active lot (expiring by the rules from now); negative
// Points debit active points like a spend.
//
// Adjustment values are plain data, safe for concurrent use when not modified.
type Adjustment struct {
	Key    loyalty.IdempotencyKey `json:"key"`
	Holder Holder                 `json:"holder"`
	Points Points                 `json:"points"`
	Reason string                 `json:"reason"`
	Actor  string                 `json:"actor"`
}

// Adjust applies a manual adjustment. A credit opens the holder's account if needed; a
// debit fails with an [*InsufficientPointsError] beyond the available balance.
func (l *Ledger) Adjust(ctx context.Context, adj Adjustment) (Posting, error) {
	var errs []error
	if adj.Points == 0 {
		errs = append(errs, loyalty.Invalid("points", adj.Points, "must not be zero"))
	}
	if adj.Reason == "" {
		errs = append(errs, loyalty.Invalid("reason", nil, "is required"))
	}
	if adj.Actor == "" {
		errs = append(errs, loyalty.Invalid("actor", nil, "is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return Posting{}, err
	}
	return l.keyed(ctx, adj.Key, "adjust", adj, func(b *book) error {
		a, err := b.account(adj.Holder, adj.Points > 0)
		if err != nil {
			return err
		}
		if adj.Points > 0 {
			lot := Lot{Kind: KindCredit, EarnedAt: b.now, Amount: adj.Points, Expires: l.cfg.Rules.Expiry.Until(b.now, l.loc)}
			if err := b.credit(a, &lot); err != nil {
				return err
			}
			if err := b.appendEntry(a, Entry{Kind: KindCredit, Points: adj.Points, Reason: adj.Reason, Actor: adj.Actor,
				Lots: []LotPart{{Lot: lot.ID, Points: adj.Points}}}); err != nil {
				return err
			}
			return b.repay(a)
		}
		parts, err := b.consume(a, -adj.Points, KindDebit)
		if err != nil {
			return err
		}
		return b.appendEntry(a, Entry{Kind: KindDebit, Points: -adj.Points, Reason: adj.Reason, Actor: adj.Actor, Lots: parts})
	})
}
