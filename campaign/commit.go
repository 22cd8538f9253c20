package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/loyaltykit/loyalty/tier"
)

// Receipt is what a commit applied: the code uses, the referral attribution, the points
// redeemed and earned (ledger postings), the account's tier status after the purchase and
// the referral conversion. It is plain data, safe for concurrent reads.
type Receipt struct {
	Key     loyalty.IdempotencyKey `json:"key"`
	Order   loyalty.OrderID        `json:"order"`
	Account loyalty.AccountID      `json:"account"`
	Attempt int                    `json:"attempt"`
	At      time.Time              `json:"at"`
	// Quote is the outcome that was applied.
	Quote       Quote                       `json:"quote"`
	Codes       []promo.Reservation         `json:"codes,omitempty"`
	Attribution *referral.AttributionResult `json:"attribution,omitempty"`
	Redemption  *points.Posting             `json:"redemption,omitempty"`
	Earnings    []points.Posting            `json:"earnings,omitempty"`
	Tier        *tier.Status                `json:"tier,omitempty"`
	Conversion  *referral.Result            `json:"conversion,omitempty"`
	// Budget is what the order consumed of its campaigns' budgets.
	Budget *BudgetUse `json:"budget,omitempty"`
	// Issued are the promo codes the order's campaigns issued to the account.
	Issued []IssuedCode `json:"issued,omitempty"`
	// Replayed is set when the receipt is the stored result of an earlier commit with the
	// same key; nothing was changed.
	Replayed bool `json:"-"`
}

// IssuedCode is a promo code a campaign issued to the account of a committed order. It is
// plain data, safe for concurrent reads.
type IssuedCode struct {
	Campaign   loyalty.CampaignID `json:"campaign"`
	Definition promo.DefinitionID `json:"definition"`
	Code       string             `json:"code"`
}

// Earned returns the points the commit credited to holder (after the ledger's cap).
func (r Receipt) Earned(h points.Holder) points.Points {
	var n points.Points
	for _, p := range r.Earnings {
		for _, en := range p.Entries {
			if en.Holder == h && en.Kind == points.KindEarn {
				n += en.Points
			}
		}
	}
	return n
}

// Commit applies the quote of an order exactly once per key.
//
// The same key again returns the first receipt (with Replayed set) and changes nothing; the
// same key with another order or options fails with an error wrapping loyalty.ErrConflict,
// and so does a second key for an order already committed. Before applying anything Commit
// evaluates the order again: when the outcome differs from q (the account's state changed
// since), it fails with [ErrStaleQuote] and changes nothing.
//
// Applying runs as a saga over the stores (see the package documentation): steps that may
// refuse first (code uses, the referral attribution, the points redemption), compensated on a
// refusal (the attempt is then marked failed and a later Commit with the key starts a new
// attempt); then the steps that cannot refuse (points earned, the tier's qualifying
// purchase, the referral conversion, the purchase history), each idempotent by a sub-key. An
// error there (a store failure, a crash) leaves the attempt pending: calling Commit again
// with the same key completes it exactly once.
func (e *Engine) Commit(ctx context.Context, q Quote, key loyalty.IdempotencyKey) (Receipt, error) {
	if key == "" {
		return Receipt{}, fmt.Errorf("campaign: commit: %w", loyalty.Invalid("key", nil, "is required"))
	}
	req, err := fingerprint(struct {
		O loyalty.Order
		P EvaluateOptions
	}{q.Order, q.Options})
	if err != nil {
		return Receipt{}, fmt.Errorf("campaign: commit: %w", err)
	}
	rec, found, err := e.commitRecord(ctx, key)
	if err != nil {
		return Receipt{}, err
	}
	if found {
		if rec.Request != req {
			return Receipt{}, fmt.Errorf("campaign: commit: key %q was used for another request (order %s): %w", key, rec.Order, loyalty.ErrConflict)
		}
		switch rec.State {
		case Done:
			r := *rec.Receipt
			r.Replayed = true
			return r, nil
		case Pending:
			return e.runCommit(ctx, rec)
		}
	}
	fresh, err := e.Evaluate(ctx, q.Order, q.Options)
	if err != nil {
		return Receipt{}, err
	}
	if !sameOutcome(&fresh, &q) {
		return Receipt{}, fmt.Errorf("campaign: commit of order %s: %w", q.Order.ID, ErrStaleQuote)
	}
	now := e.clock.Now()
	var replay *Receipt
	err = e.stores.Orders.Update(ctx, func(tx OrderTx) error {
		replay = nil
		cur, err := tx.Commit(key)
		attempt := 1
		switch {
		case err == nil:
			if cur.Request != req {
				return fmt.Errorf("key %q was used for another request (order %s): %w", key, cur.Order, loyalty.ErrConflict)
			}
			switch cur.State {
			case Done:
				r := *cur.Receipt
				replay = &r
				return nil
			case Pending: // a concurrent call started it: resume it below
				rec = cur
				return nil
			}
			attempt = cur.Attempt + 1
		case !errors.Is(err, loyalty.ErrNotFound):
			return err
		}
		o, err := tx.Order(q.Order.ID)
		switch {
		case err == nil && o.Key != key:
			other, err := tx.Commit(o.Key)
			if err != nil {
				return err
			}
			if other.State != Failed {
				return fmt.Errorf("order %s is already committed under another key: %w", q.Order.ID, loyalty.ErrConflict)
			}
		case err != nil && !errors.Is(err, loyalty.ErrNotFound):
			return err
		}
		if err := tx.PutOrder(OrderRecord{ID: q.Order.ID, Account: q.Order.Account, Key: key}); err != nil {
			return err
		}
		rec = CommitRecord{Key: key, Order: q.Order.ID, Account: q.Order.Account, Request: req,
			State: Pending, Attempt: attempt, Quote: fresh, At: now}
		return tx.PutCommit(rec)
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("campaign: commit: %w", err)
	}
	if replay != nil {
		replay.Replayed = true
		return *replay, nil
	}
	return e.runCommit(ctx, rec)
}

func (e *Engine) commitRecord(ctx context.Context, key loyalty.IdempotencyKey) (CommitRecord, bool, error) {
	var rec CommitRecord
	found := false
	err := e.stores.Orders.View(ctx, func(tx OrderReadTx) error {
		r, err := tx.Commit(key)
		if errors.Is(err, loyalty.ErrNotFound) {
			return nil
		}
		rec, found = r, err == nil
		return err
	})
	if err != nil {
		return CommitRecord{}, false, fmt.Errorf("campaign: commit: %w", err)
	}
	return rec, found, nil
}

// runCommit runs (or resumes) the steps of the commit attempt rec.
func (e *Engine) runCommit(ctx context.Context, rec CommitRecord) (Receipt, error) {
	q := rec.Quote
	o := q.Order
	base := fmt.Sprintf("%s/a%d", rec.Key, rec.Attempt)
	r := Receipt{Key: rec.Key, Order: o.ID, Account: o.Account, Attempt: rec.Attempt, Quote: q}
	pending := func(err error) (Receipt, error) {
		return Receipt{}, fmt.Errorf("campaign: commit of order %s interrupted (commit again with key %q to complete it): %w", o.ID, rec.Key, err)
	}

	// Steps that may refuse: code uses, the referral attribution, the redemption (last, so that
	// it never needs compensating: the ledger pays an order with points once).
	var used []loyalty.IdempotencyKey
	co := promo.Checkout{Order: o, Tier: tierName(q)}
	for i, c := range q.Codes {
		if !c.Accepted || c.Kind != PromoCode {
			continue
		}
		k := loyalty.IdempotencyKey(fmt.Sprintf("%s/code/%d", base, i))
		res, err := e.codes.RedeemNow(ctx, promo.Request{Key: k, Code: c.Typed, Checkout: checkout(co, q, i)})
		if err != nil {
			if promo.IsRefusal(err) {
				return e.failCommit(ctx, rec, used, nil, fmt.Errorf("code %q: %w", c.Typed, err))
			}
			return pending(err)
		}
		used = append(used, k)
		r.Codes = append(r.Codes, res)
	}
	for _, c := range q.Codes {
		if !c.Accepted || c.Kind != ReferralCode {
			continue
		}
		res, err := e.referrals.Attribute(ctx, referral.Attribution{Key: loyalty.IdempotencyKey(string(rec.Key) + "/referral"),
			Code: c.Code, Referee: o.Account, Buyer: o.Buyer, At: e.clampNow(o.PlacedAt)})
		if err != nil {
			var re *referral.RefusalError
			if errors.As(err, &re) || errors.Is(err, referral.ErrUnknownCode) {
				return e.failCommit(ctx, rec, used, nil, fmt.Errorf("referral code %q: %w", c.Typed, err))
			}
			return pending(err)
		}
		r.Attribution = &res
	}
	var consumed *BudgetUse
	if items := budgetItems(q); len(items) > 0 {
		u, err := e.changeBudgets(ctx, BudgetUse{Key: loyalty.IdempotencyKey(base + "/budget"), Order: o.ID,
			Account: o.Account, Items: items, At: rec.At}, true)
		if err != nil {
			if errors.Is(err, ErrBudgetExhausted) {
				return e.failCommit(ctx, rec, used, nil, err)
			}
			return pending(err)
		}
		consumed = &u
		r.Budget = &u
	}
	if red := q.Redemption; red != nil && red.Applied > 0 {
		paid, err := paidOrder(o, q.Discount.Lines)
		if err != nil {
			return pending(err)
		}
		post, err := e.ledger.Redeem(ctx, points.RedeemRequest{Key: loyalty.IdempotencyKey(base + "/redeem"),
			Holder: points.ForAccount(o.Account), Order: paid, Points: red.Applied})
		if err != nil {
			if errors.Is(err, points.ErrInsufficientPoints) || errors.Is(err, points.ErrRedemptionLimit) {
				return e.failCommit(ctx, rec, used, consumed, err)
			}
			return pending(err)
		}
		r.Redemption = &post
	}

	// Steps that cannot refuse: on an error the attempt stays pending and is resumed.
	for _, er := range q.Earnings {
		if er.Plan.Total == 0 {
			continue
		}
		l := e.ledger
		if er.Holder.Kind == points.BuyerHolder {
			l = e.buyerLedger
		}
		post, err := l.Earn(ctx, points.EarnRequest{Key: loyalty.IdempotencyKey(base + "/earn/" + string(er.Holder.Kind)),
			Holder: er.Holder, Plan: er.Plan})
		if err != nil {
			return pending(err)
		}
		r.Earnings = append(r.Earnings, post)
	}
	for _, c := range q.Campaigns {
		if !c.Applied {
			continue
		}
		for j, def := range c.Codes {
			b, err := e.codes.Generate(ctx, promo.GenerateRequest{Key: loyalty.IdempotencyKey(fmt.Sprintf("%s/campaign/%s/code/%d", base, c.ID, j)),
				Definition: def, Count: 1, Account: o.Account})
			if err != nil {
				return pending(err)
			}
			for _, code := range b.Codes {
				r.Issued = append(r.Issued, IssuedCode{Campaign: c.ID, Definition: def, Code: code})
			}
		}
	}
	if e.tiers != nil {
		at := e.clampNow(o.PlacedAt)
		if err := e.enroll(ctx, o.Account, tier.DayOf(at.In(e.loc)).Start(e.loc)); err != nil {
			return pending(err)
		}
		amount, ok, err := e.tierAmount(o, r.Earned(points.ForAccount(o.Account)))
		if err != nil {
			return pending(err)
		}
		if ok {
			st, err := e.tiers.Record(ctx, o.Account, at, amount, loyalty.IdempotencyKey(base+"/tier"))
			if err != nil {
				return pending(err)
			}
			r.Tier = &st
		} else {
			a, err := e.tiers.Account(ctx, o.Account)
			if err != nil {
				return pending(err)
			}
			r.Tier = &a.Status
		}
	}
	if e.referrals != nil {
		res, err := e.referrals.RecordOrder(ctx, referral.OrderEvent{Key: loyalty.IdempotencyKey(base + "/referral-order"),
			Order: o, Amount: q.Discount.Total})
		switch {
		case errors.Is(err, referral.ErrUnknownReferee):
		case err != nil:
			return pending(err)
		default:
			r.Conversion = &res
		}
	}
	now := e.clock.Now()
	r.At = now
	var out Receipt
	err := e.stores.Orders.Update(ctx, func(tx OrderTx) error {
		cur, err := tx.Commit(rec.Key)
		if err != nil {
			return err
		}
		if cur.State == Done { // a concurrent call finished the same attempt
			out = *cur.Receipt
			return nil
		}
		cur.State, cur.Receipt, cur.At, cur.Error = Done, &r, now, ""
		if err := tx.PutCommit(cur); err != nil {
			return err
		}
		or, err := tx.Order(o.ID)
		if err != nil {
			return err
		}
		or.Committed = true
		if err := tx.PutOrder(or); err != nil {
			return err
		}
		a, err := tx.Account(o.Account)
		if errors.Is(err, loyalty.ErrNotFound) {
			a, err = AccountRecord{Account: o.Account}, nil
		}
		if err != nil {
			return err
		}
		a.Orders++
		if a.Since.IsZero() || o.PlacedAt.Before(a.Since) {
			a.Since = o.PlacedAt
		}
		a.History.Purchases = append(a.History.Purchases, discount.Purchase{At: o.PlacedAt, Amount: q.Discount.Total})
		if a.History, err = compactHistory(a.History, e.prog.Discounts, now); err != nil {
			return err
		}
		out = r
		return tx.PutAccount(a)
	})
	if err != nil {
		return pending(err)
	}
	return out, nil
}

// checkout is the promo checkout of code i at commit time: the order with the promotions of
// the codes accepted before it, as Evaluate saw them.
func checkout(co promo.Checkout, q Quote, i int) promo.Checkout {
	co.PriorOrders = q.PriorOrders
	co.Promotions = append([]loyalty.CampaignID(nil), q.Promotions...)
	for _, c := range q.Codes[:i] {
		if c.Accepted && c.Grant != nil {
			co.Promotions = append(co.Promotions, c.Grant.Promotion)
		}
	}
	return co
}

func tierName(q Quote) string {
	if q.Tier == nil {
		return ""
	}
	return q.Tier.Name
}

// failCommit compensates the budget consumption and the code uses of a refused attempt (in
// reverse), marks it failed and returns the refusal.
func (e *Engine) failCommit(ctx context.Context, rec CommitRecord, used []loyalty.IdempotencyKey, budget *BudgetUse, cause error) (Receipt, error) {
	if budget != nil {
		if _, err := e.changeBudgets(ctx, BudgetUse{Key: budget.Key + "/undo", Order: budget.Order, Account: budget.Account,
			Items: negate(budget.Items), At: budget.At}, false); err != nil {
			return Receipt{}, fmt.Errorf("campaign: commit of order %s refused (%v) and not yet compensated (commit again with key %q): %w", rec.Order, cause, rec.Key, err)
		}
	}
	for i := len(used) - 1; i >= 0; i-- {
		if _, err := e.codes.Rollback(ctx, used[i]); err != nil {
			return Receipt{}, fmt.Errorf("campaign: commit of order %s refused (%v) and not yet compensated (commit again with key %q): %w", rec.Order, cause, rec.Key, err)
		}
	}
	now := e.clock.Now()
	err := e.stores.Orders.Update(ctx, func(tx OrderTx) error {
		cur, err := tx.Commit(rec.Key)
		if err != nil {
			return err
		}
		if cur.State != Pending || cur.Attempt != rec.Attempt {
			return nil
		}
		cur.State, cur.Error, cur.At = Failed, cause.Error(), now
		return tx.PutCommit(cur)
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("campaign: commit of order %s: %w (and %v)", rec.Order, cause, err)
	}
	return Receipt{}, fmt.Errorf("campaign: commit of order %s refused: %w", rec.Order, cause)
}

func (e *Engine) clampNow(t time.Time) time.Time {
	if now := e.clock.Now(); t.After(now) {
		return now
	}
	return t
}

// enroll makes sure the account exists in the tier store, enrolled at at (the start of the
// local day of its first committed order, so that the order's own day is evaluated).
func (e *Engine) enroll(ctx context.Context, id loyalty.AccountID, at time.Time) error {
	_, err := e.tiers.Account(ctx, id)
	if err == nil {
		return nil
	}
	if !errors.Is(err, loyalty.ErrNotFound) {
		return err
	}
	_, err = e.tiers.Enroll(ctx, id, at)
	if errors.Is(err, loyalty.ErrConflict) { // enrolled concurrently
		_, err = e.tiers.Account(ctx, id)
	}
	return err
}

// tierAmount is what order o qualifies for on the ladder's measure; ok is false when the
// measure records nothing (tenure) or the amount is zero.
func (e *Engine) tierAmount(o loyalty.Order, earned points.Points) (tier.Amount, bool, error) {
	switch e.prog.Tiers.Measure {
	case tier.Tenure:
		return tier.Amount{}, false, nil
	case tier.PointsEarned:
		return tier.Amount{Count: int64(earned)}, earned != 0, nil
	}
	a, err := e.tierEval.OrderAmount(o)
	return a, err == nil, err
}

// fingerprint is a stable digest of v's JSON encoding.
func fingerprint(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
