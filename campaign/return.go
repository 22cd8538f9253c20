package campaign

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/loyaltykit/loyalty/tier"
)

// ReturnPlan is what a return reverses, decided when it starts: the share of the amount paid
// and of the qualifying amount that the returned quantities carry (cumulative shares, so that
// a sequence of partial returns adds up exactly to the whole order), and whether the order
// is now fully returned. It is plain data.
type ReturnPlan struct {
	CommitKey loyalty.IdempotencyKey `json:"commit_key"`
	Account   loyalty.AccountID      `json:"account"`
	Paid      loyalty.Money          `json:"paid"` // amount paid after discounts for the returned quantities
	Base      loyalty.Money          `json:"base"` // the same before discounts
	Volume    loyalty.Quantity       `json:"volume"`
	Full      bool                   `json:"full"`
	// Budget is what the return gives back to the campaigns' budgets: the returned
	// quantities' share of each campaign's cost, and its use once the order is fully
	// returned.
	Budget []BudgetItem `json:"budget,omitempty"`
	// Revoke are the codes the order's campaigns issued that this return revokes: those of
	// the campaigns whose conditions the kept lines met before the return and no longer
	// meet (see [Engine.Return]).
	Revoke []IssuedCode `json:"revoke,omitempty"`
}

// RevokedCode is what a return did to a code a campaign issued on the order: Revocation
// when it was revoked, or Refused saying why it was not (the code has been used:
// promo.ErrCodeInUse). It is plain data, safe for concurrent reads.
type RevokedCode struct {
	IssuedCode
	Revocation *promo.Revocation `json:"revocation,omitempty"`
	Refused    string            `json:"refused,omitempty"`
}

// ReturnReceipt is what a return reversed: the points postings of each holder, the tier
// status after the negative qualifying amount, the code uses rolled back (on a full return)
// and the referral's outcome. It is plain data, safe for concurrent reads.
type ReturnReceipt struct {
	Key      loyalty.IdempotencyKey `json:"key"`
	Order    loyalty.OrderID        `json:"order"`
	Lines    []loyalty.ReturnLine   `json:"lines"`
	At       time.Time              `json:"at"`
	Plan     ReturnPlan             `json:"plan"`
	Points   []points.Posting       `json:"points,omitempty"`
	Tier     *tier.Status           `json:"tier,omitempty"`
	Codes    []promo.Reservation    `json:"codes,omitempty"`
	Referral *referral.Result       `json:"referral,omitempty"`
	// Budget is what the return gave back to the campaigns' budgets.
	Budget *BudgetUse `json:"budget,omitempty"`
	// Revoked are the issued codes the return revoked, or tried to (ReturnPlan.Revoke).
	Revoked []RevokedCode `json:"revoked,omitempty"`
	// Replayed is set when the receipt is the stored result of an earlier return with the
	// same key; nothing was changed.
	Replayed bool `json:"-"`
}

// Return reverses what a committed order did for the returned lines (line indexes and
// quantities of the order): the points each holder earned on them and the points that paid
// for them (points.Ledger.Return), the tier's qualifying amount (a negative record), the
// purchase history (a negative purchase, so cumulative discounts fall back), the referral's
// conversion (a return in its window may cancel it) and, once every line is fully returned,
// the uses of the order's promo codes. Returning more than was bought, counting earlier
// returns, is an error that changes nothing.
//
// The promo codes the order's campaigns issued (ActionCode) are revoked
// (promo.Service.Revoke) by the return after which the kept quantities no longer meet the
// campaign's [Conditions]: no eligible line has units left, or the eligible lines kept
// fall below MinAmount (at their unit prices, as when the order was evaluated) or
// MinQuantity. A full return therefore revokes every issued code, and a partial return
// that leaves a qualifying order revokes none; the audience, schedule and draw are not
// re-checked, since a return does not change them. A code already used (a redemption that
// holds) is not revoked: the receipt reports it as Refused (promo.ErrCodeInUse), and what
// the code gave belongs to the order it was used on. Each revocation is keyed
// "<key>/revoke/<i>", so a resumed or replayed return revokes nothing twice.
//
// Return is idempotent by key: the same key with the same lines returns the first receipt;
// with other lines or another order it fails with loyalty.ErrConflict. Its steps cannot
// refuse once the return is validated; an error (a store failure) leaves it pending, and
// calling Return again with the key completes it exactly once.
func (e *Engine) Return(ctx context.Context, order loyalty.OrderID, lines []loyalty.ReturnLine, key loyalty.IdempotencyKey) (ReturnReceipt, error) {
	var errs []error
	if key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if order == "" {
		errs = append(errs, loyalty.Invalid("order", nil, "is required"))
	}
	if len(lines) == 0 {
		errs = append(errs, loyalty.Invalid("lines", nil, "must not be empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return ReturnReceipt{}, fmt.Errorf("campaign: return: %w", err)
	}
	req, err := fingerprint(struct {
		O loyalty.OrderID
		L []loyalty.ReturnLine
	}{order, lines})
	if err != nil {
		return ReturnReceipt{}, fmt.Errorf("campaign: return: %w", err)
	}
	now := e.clock.Now()
	var rr ReturnRecord
	var replay *ReturnReceipt
	err = e.stores.Orders.Update(ctx, func(tx OrderTx) error {
		replay = nil
		cur, err := tx.Return(key)
		switch {
		case err == nil:
			if cur.Request != req {
				return fmt.Errorf("key %q was used for another request (order %s): %w", key, cur.Order, loyalty.ErrConflict)
			}
			if cur.State == Done {
				r := *cur.Receipt
				replay = &r
			}
			rr = cur
			return nil
		case !errors.Is(err, loyalty.ErrNotFound):
			return err
		}
		o, err := tx.Order(order)
		if errors.Is(err, loyalty.ErrNotFound) || err == nil && !o.Committed {
			return fmt.Errorf("order %s was not committed: %w", order, loyalty.ErrNotFound)
		}
		if err != nil {
			return err
		}
		c, err := tx.Commit(o.Key)
		if err != nil {
			return err
		}
		q := c.Quote
		if err := q.Order.ValidateReturn(lines, o.Returned); err != nil {
			return err
		}
		plan, err := returnPlan(q, lines, o.Returned)
		if err != nil {
			return err
		}
		plan.CommitKey = o.Key
		if c.Receipt != nil {
			plan.Revoke = e.codesToRevoke(q.Order, c.Receipt.Issued, o.Returned, lines)
		}
		o.Returned = append(o.Returned, lines...)
		o.Full = plan.Full
		if err := tx.PutOrder(o); err != nil {
			return err
		}
		rr = ReturnRecord{Key: key, Order: order, Lines: lines, Request: req, State: Pending, Plan: plan, At: now}
		return tx.PutReturn(rr)
	})
	if err != nil {
		return ReturnReceipt{}, fmt.Errorf("campaign: return: %w", err)
	}
	if replay != nil {
		replay.Replayed = true
		return *replay, nil
	}
	return e.runReturn(ctx, rr)
}

// returnPlan computes the cumulative shares of the returned quantities.
func returnPlan(q Quote, lines, prior []loyalty.ReturnLine) (ReturnPlan, error) {
	o := q.Order
	cur := o.Currency
	before := make([]int64, len(o.Lines)) // micros returned before
	for _, r := range prior {
		before[r.Line] += r.Quantity.Micros()
	}
	now := append([]int64(nil), before...)
	for _, r := range lines {
		now[r.Line] += r.Quantity.Micros()
	}
	plan := ReturnPlan{Account: o.Account, Paid: loyalty.Zero(cur), Base: loyalty.Zero(cur), Full: true}
	var vol int64
	for i, l := range o.Lines {
		qm := l.Quantity.Micros()
		if now[i] < qm {
			plan.Full = false
		}
		if now[i] == before[i] {
			continue
		}
		vol += now[i] - before[i]
		for _, s := range []struct {
			total loyalty.Money
			into  *loyalty.Money
		}{{q.Lines[i].Total, &plan.Paid}, {q.Lines[i].Base, &plan.Base}} {
			t := s.total.MinorUnits()
			share := shareOf(t, now[i], qm) - shareOf(t, before[i], qm)
			m, err := loyalty.MoneyFromMinor(share, cur)
			if err != nil {
				return ReturnPlan{}, err
			}
			if *s.into, err = s.into.Add(m); err != nil {
				return ReturnPlan{}, err
			}
		}
	}
	plan.Volume = loyalty.QuantityFromMicros(vol)
	for _, c := range q.Campaigns {
		if !c.Applied || !c.Budgeted || len(c.LineCosts) != len(o.Lines) {
			continue
		}
		var back int64
		for i, l := range o.Lines {
			if t := c.LineCosts[i].MinorUnits(); t > 0 && now[i] != before[i] {
				qm := l.Quantity.Micros()
				back += shareOf(t, now[i], qm) - shareOf(t, before[i], qm)
			}
		}
		it := BudgetItem{Campaign: c.ID}
		if plan.Full {
			it.Uses = -1
		}
		if back != 0 {
			m, err := loyalty.MoneyFromMinor(-back, cur)
			if err != nil {
				return ReturnPlan{}, err
			}
			it.Money = m
		}
		if it.Uses != 0 || !it.Money.IsZero() {
			plan.Budget = append(plan.Budget, it)
		}
	}
	return plan, nil
}

// codesToRevoke returns the issued codes whose campaigns' conditions the order's kept
// quantities met before the return of lines (after the returns prior) and no longer meet.
func (e *Engine) codesToRevoke(o loyalty.Order, issued []IssuedCode, prior, lines []loyalty.ReturnLine) []IssuedCode {
	if len(issued) == 0 {
		return nil
	}
	before := make([]int64, len(o.Lines)) // micros returned before
	for _, r := range prior {
		before[r.Line] += r.Quantity.Micros()
	}
	after := append([]int64(nil), before...)
	for _, r := range lines {
		after[r.Line] += r.Quantity.Micros()
	}
	var out []IssuedCode
	for _, ic := range issued {
		var cn *Conditions
		for i := range e.camps {
			if e.camps[i].ID == ic.Campaign {
				cn = &e.camps[i].Conditions
				break
			}
		}
		if keeps(o, cn, before) && !keeps(o, cn, after) {
			out = append(out, ic)
		}
	}
	return out
}

// keeps reports whether the order, less the returned micros of each line, still meets the
// conditions cn the way the campaign's evaluation checks them. A campaign the program no
// longer has (cn nil) is met while any line has units left.
func keeps(o loyalty.Order, cn *Conditions, returned []int64) bool {
	kept := func(i int) loyalty.Quantity {
		return loyalty.QuantityFromMicros(o.Lines[i].Quantity.Micros() - returned[i])
	}
	if cn == nil {
		for i := range o.Lines {
			if kept(i).Sign() > 0 {
				return true
			}
		}
		return false
	}
	amount, qty, some := loyalty.Zero(o.Currency), loyalty.Quantity{}, false
	for _, i := range cn.eligible(o) {
		k := kept(i)
		if k.Sign() <= 0 {
			continue
		}
		some = true
		l := o.Lines[i]
		l.Quantity = k
		t, err := l.Total()
		if err == nil {
			amount, err = amount.Add(t)
		}
		if err == nil {
			qty, err = qty.Add(k)
		}
		if err != nil {
			return false
		}
	}
	if !some {
		return false
	}
	if !cn.MinAmount.IsZero() {
		if c, err := amount.Cmp(cn.MinAmount); err != nil || c < 0 {
			return false
		}
	}
	return qty.Cmp(cn.MinQuantity) >= 0
}

// shareOf returns ⌊t × part / whole⌋ for 0 ≤ part ≤ whole and t ≥ 0, exactly.
func shareOf(t, part, whole int64) int64 {
	if part >= whole {
		return t
	}
	hi, lo := bits.Mul64(uint64(t), uint64(part))
	quo, _ := bits.Div64(hi, lo, uint64(whole))
	return int64(quo)
}

// runReturn runs (or resumes) the steps of a return.
func (e *Engine) runReturn(ctx context.Context, rr ReturnRecord) (ReturnReceipt, error) {
	var c CommitRecord
	err := e.stores.Orders.View(ctx, func(tx OrderReadTx) error {
		var err error
		c, err = tx.Commit(rr.Plan.CommitKey)
		return err
	})
	pending := func(err error) (ReturnReceipt, error) {
		return ReturnReceipt{}, fmt.Errorf("campaign: return %q of order %s interrupted (return again with the key to complete it): %w", rr.Key, rr.Order, err)
	}
	if err != nil {
		return pending(err)
	}
	q := c.Quote
	o := q.Order
	r := ReturnReceipt{Key: rr.Key, Order: rr.Order, Lines: rr.Lines, Plan: rr.Plan}
	holders := []points.Holder{points.ForAccount(o.Account)}
	if o.Buyer != "" && e.buyerLedger != nil {
		holders = append(holders, points.ForBuyer(o.Buyer))
	}
	var reversed points.Points
	for _, h := range holders {
		has, err := e.hasPurchase(ctx, h, o.ID)
		if err != nil {
			return pending(err)
		}
		if !has {
			continue
		}
		l := e.ledger
		if h.Kind == points.BuyerHolder {
			l = e.buyerLedger
		}
		post, err := l.Return(ctx, points.ReturnRequest{Key: loyalty.IdempotencyKey(fmt.Sprintf("%s/points/%s", rr.Key, h.Kind)),
			Holder: h, Order: o.ID, Lines: rr.Lines})
		if err != nil {
			return pending(err)
		}
		if h.Kind == points.AccountHolder {
			reversed = post.Points(points.KindReverse)
		}
		r.Points = append(r.Points, post)
	}
	if e.tiers != nil {
		amount, ok := e.tierReturn(rr.Plan, reversed)
		if ok {
			st, err := e.tiers.Record(ctx, o.Account, e.clampNow(rr.At), amount, loyalty.IdempotencyKey(string(rr.Key)+"/tier"))
			if err != nil {
				return pending(err)
			}
			r.Tier = &st
		}
	}
	if e.referrals != nil && rr.Plan.Paid.IsPositive() {
		res, err := e.referrals.RecordReturn(ctx, referral.ReturnEvent{Key: loyalty.IdempotencyKey(string(rr.Key) + "/referral"),
			Account: o.Account, Order: o.ID, Amount: rr.Plan.Paid, At: rr.At})
		switch {
		case errors.Is(err, referral.ErrUnknownReferee):
		case err != nil:
			return pending(err)
		default:
			r.Referral = &res
		}
	}
	if len(rr.Plan.Budget) > 0 {
		u, err := e.changeBudgets(ctx, BudgetUse{Key: loyalty.IdempotencyKey(string(rr.Key) + "/budget"), Order: o.ID,
			Account: o.Account, Items: rr.Plan.Budget, At: rr.At}, false)
		if err != nil {
			return pending(err)
		}
		r.Budget = &u
	}
	for i, ic := range rr.Plan.Revoke {
		rc := RevokedCode{IssuedCode: ic}
		rev, err := e.codes.Revoke(ctx, promo.RevokeRequest{Key: loyalty.IdempotencyKey(fmt.Sprintf("%s/revoke/%d", rr.Key, i)),
			Code: ic.Code, Reason: fmt.Sprintf("order %s returned (return %s)", o.ID, rr.Key)})
		switch {
		case errors.Is(err, promo.ErrCodeInUse):
			rc.Refused = err.Error()
		case err != nil:
			return pending(err)
		default:
			rc.Revocation = &rev
		}
		r.Revoked = append(r.Revoked, rc)
	}
	if rr.Plan.Full && c.Receipt != nil {
		for _, u := range c.Receipt.Codes {
			res, err := e.codes.Rollback(ctx, u.Key)
			if err != nil {
				return pending(err)
			}
			r.Codes = append(r.Codes, res)
		}
	}
	now := e.clock.Now()
	r.At = now
	var out ReturnReceipt
	err = e.stores.Orders.Update(ctx, func(tx OrderTx) error {
		cur, err := tx.Return(rr.Key)
		if err != nil {
			return err
		}
		if cur.State == Done {
			out = *cur.Receipt
			return nil
		}
		cur.State, cur.Receipt, cur.At = Done, &r, now
		if err := tx.PutReturn(cur); err != nil {
			return err
		}
		a, err := tx.Account(o.Account)
		if err != nil {
			return err
		}
		if rr.Plan.Paid.IsPositive() {
			a.History.Purchases = append(a.History.Purchases, discount.Purchase{At: rr.At, Amount: rr.Plan.Paid.Neg()})
		}
		if a.History, err = compactHistory(a.History, e.prog.Discounts, now); err != nil {
			return err
		}
		if rr.Plan.Full && a.Orders > 0 {
			a.Orders--
		}
		out = r
		return tx.PutAccount(a)
	})
	if err != nil {
		return pending(err)
	}
	return out, nil
}

// tierReturn is the negative qualifying amount of a return.
func (e *Engine) tierReturn(p ReturnPlan, reversed points.Points) (tier.Amount, bool) {
	switch e.prog.Tiers.Measure {
	case tier.Tenure:
		return tier.Amount{}, false
	case tier.PointsEarned:
		return tier.Amount{Count: -int64(reversed)}, reversed != 0
	case tier.Volume:
		return tier.Amount{Volume: loyalty.QuantityFromMicros(-p.Volume.Micros())}, !p.Volume.IsZero()
	case tier.Orders:
		return tier.Amount{Count: -1}, p.Full
	}
	return tier.Amount{Spend: p.Base.Neg()}, p.Base.IsPositive()
}

func (e *Engine) hasPurchase(ctx context.Context, h points.Holder, id loyalty.OrderID) (bool, error) {
	has := false
	err := e.stores.Points.View(ctx, func(tx points.ReadTx) error {
		_, err := tx.Purchase(h, id)
		if errors.Is(err, loyalty.ErrNotFound) {
			return nil
		}
		has = err == nil
		return err
	})
	return has, err
}
