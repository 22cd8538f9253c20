package referral

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Outcome says what an order, custom event or return did to a referral.
type Outcome string

// The outcomes. Only OutcomeConverted, OutcomeCancelled and OutcomeFinal (when it finalises
// a pending conversion) change the referral's status.
const (
	// OutcomeConverted: the event converted the referral.
	OutcomeConverted Outcome = "converted"
	// OutcomeBelowMinimum: the order's amount is below Rules.MinOrder; a later qualifying
	// order may still convert.
	OutcomeBelowMinimum Outcome = "below-minimum"
	// OutcomeBeforeAttribution: the order or event happened before the attribution.
	OutcomeBeforeAttribution Outcome = "before-attribution"
	// OutcomeWindowClosed: the conversion window had closed.
	OutcomeWindowClosed Outcome = "window-closed"
	// OutcomeNotConversionEvent: the custom event is not one of Rules.ConversionEvents.
	OutcomeNotConversionEvent Outcome = "not-a-conversion-event"
	// OutcomeAlreadyConverted: the referral had converted already (or was cancelled):
	// nothing is rewarded twice.
	OutcomeAlreadyConverted Outcome = "already-converted"
	// OutcomeKept: a return inside the return window left at least the minimum kept; the
	// conversion stands.
	OutcomeKept Outcome = "kept"
	// OutcomeCancelled: a return inside the return window cancelled the conversion and its
	// pending rewards.
	OutcomeCancelled Outcome = "cancelled"
	// OutcomeAlreadyCancelled: the conversion had been cancelled before.
	OutcomeAlreadyCancelled Outcome = "already-cancelled"
	// OutcomeFinal: the return came after the return window closed: the rewards are final.
	OutcomeFinal Outcome = "final"
	// OutcomeOtherOrder: the return is of an order that did not convert the referral.
	OutcomeOtherOrder Outcome = "other-order"
)

// Result is the outcome of one order, custom event or return for a referee.
// A Result is a plain value, safe for concurrent use when not modified.
type Result struct {
	// Replayed is true when the key had been used before with the same payload: the result
	// is the first one and nothing changed.
	Replayed bool `json:"-"`
	// Outcome is what the event did; Reason says it in words.
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason"`
	// Referral is the referee's referral after the event.
	Referral Referral `json:"referral"`
	// Grants are the grants the event created or changed (new pending, withheld or final
	// grants on conversion; cancelled ones on a return; milestone grants on finalisation).
	Grants []Grant `json:"grants,omitempty"`
}

// OrderEvent reports an order of a (possibly referred) account.
// A OrderEvent is a plain value, safe for concurrent use when not modified.
type OrderEvent struct {
	// Key makes the event idempotent. Required.
	Key loyalty.IdempotencyKey `json:"key"`
	// Order is the order; it must be valid ([loyalty.Order.Validate]). Order.Account is the
	// referee, Order.PlacedAt the time of the order.
	Order loyalty.Order `json:"order"`
	// Amount is the amount that counts against Rules.MinOrder and returns, such as the
	// amount paid after discounts. Defaults to the order's subtotal.
	Amount loyalty.Money `json:"amount"`
}

// RecordOrder records an order of a referred account. The first order placed within the
// conversion window whose amount is at least Rules.MinOrder converts the referral: the
// referrer and referee rewards are granted as pending (referrer rewards within the caps)
// and become final when the order's return window closes (see [Service.Settle]). Other
// orders change nothing but the referral's order count, and the result says why. An order
// of an account that was never referred fails with [ErrUnknownReferee].
func (s *Service) RecordOrder(ctx context.Context, e OrderEvent) (Result, error) {
	var errs []error
	if e.Key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if err := e.Order.Validate(); err != nil {
		errs = append(errs, loyalty.InField("order", err))
	}
	if err := errors.Join(errs...); err != nil {
		return Result{}, fmt.Errorf("referral: record order: %w", err)
	}
	amount := e.Amount
	if amount.IsZero() && amount.Currency().IsZero() {
		amount, _ = e.Order.Subtotal() // valid orders have a subtotal
	}
	if amount.IsNegative() || amount.Currency() != e.Order.Currency {
		return Result{}, fmt.Errorf("referral: record order: %w", loyalty.Invalid("amount", amount, "must be a non-negative amount in the order currency "+e.Order.Currency.Code()))
	}
	if !s.rules.MinOrder.IsZero() && amount.Currency() != s.rules.MinOrder.Currency() {
		return Result{}, fmt.Errorf("referral: record order %s: %w", e.Order.ID, &loyalty.CurrencyMismatchError{Op: "compare", A: amount.Currency(), B: s.rules.MinOrder.Currency()})
	}
	e.Amount = amount
	fpe := e
	fpe.Order.PlacedAt = e.Order.PlacedAt.UTC()
	return s.event(ctx, e.Key, "order", fpe, e.Order.Account, func(tx Tx, r *Referral, res *Result, now time.Time) error {
		r.Orders++
		at := e.Order.PlacedAt.In(s.rules.Location)
		if o, why := s.rules.Qualify(*r, amount, at); o != OutcomeConverted {
			res.Outcome, res.Reason = o, fmt.Sprintf("order %s: %s", e.Order.ID, why)
			return nil
		}
		r.Order = e.Order.ID
		r.Amount = amount
		r.Returned = loyalty.Zero(amount.Currency())
		res.Reason = fmt.Sprintf("order %s of %s converted the referral; rewards are final after %s", e.Order.ID, amount, s.addDays(at, s.rules.ReturnDays).Format(time.DateOnly))
		return s.convert(tx, r, res, at, s.addDays(at, s.rules.ReturnDays), now)
	})
}

// ConversionEvent reports a custom event of a referred account ("contract-signed").
// A ConversionEvent is a plain value, safe for concurrent use when not modified.
type ConversionEvent struct {
	// Key makes the event idempotent. Required.
	Key loyalty.IdempotencyKey `json:"key"`
	// Account is the referee. Required.
	Account loyalty.AccountID `json:"account"`
	// Name is the event's name; it converts when it is one of Rules.ConversionEvents.
	Name string `json:"name"`
	// At is when the event happened. Defaults to the service clock's now.
	At time.Time `json:"at"`
}

// RecordEvent records a custom event of a referred account. An event named in
// Rules.ConversionEvents, within the conversion window, converts the referral; such a
// conversion has no return window and is final at once, rewards and milestones included.
// An event of an account that was never referred fails with [ErrUnknownReferee].
func (s *Service) RecordEvent(ctx context.Context, e ConversionEvent) (Result, error) {
	var errs []error
	if e.Key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if e.Account == "" {
		errs = append(errs, loyalty.Invalid("account", nil, "is required"))
	}
	if e.Name == "" {
		errs = append(errs, loyalty.Invalid("name", nil, "is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return Result{}, fmt.Errorf("referral: record event: %w", err)
	}
	fpe := e
	fpe.At = e.At.UTC()
	return s.event(ctx, e.Key, "event", fpe, e.Account, func(tx Tx, r *Referral, res *Result, now time.Time) error {
		at := now
		if !e.At.IsZero() {
			at = e.At.In(s.rules.Location)
		}
		if !slices.Contains(s.rules.ConversionEvents, e.Name) {
			res.Outcome = OutcomeNotConversionEvent
			res.Reason = fmt.Sprintf("event %q does not convert referrals", e.Name)
			return nil
		}
		if ok := s.qualifies(r, at, res); !ok {
			return nil
		}
		r.Event = e.Name
		res.Reason = fmt.Sprintf("event %q converted the referral; its rewards are final", e.Name)
		return s.convert(tx, r, res, at, at, now)
	})
}

// ReturnEvent reports goods returned from an order of a referred account.
// A ReturnEvent is a plain value, safe for concurrent use when not modified.
type ReturnEvent struct {
	// Key makes the event idempotent. Required.
	Key loyalty.IdempotencyKey `json:"key"`
	// Account is the referee and Order the order returned from. Required.
	Account loyalty.AccountID `json:"account"`
	Order   loyalty.OrderID   `json:"order"`
	// Amount is the value returned, in the order's currency; positive.
	Amount loyalty.Money `json:"amount"`
	// At is when the goods were returned. Defaults to the service clock's now.
	At time.Time `json:"at"`
}

// RecordReturn records a return. A return of the converting order inside its return
// window that leaves less than Rules.MinOrder kept (or nothing) cancels the conversion and
// its pending rewards; the referral then never converts again. A smaller return leaves the
// conversion standing; a return after the window, or reported after the conversion became
// final, changes nothing (and finalises the conversion if [Service.Settle] has not yet). Returns of other orders change nothing. A
// return for an account that was never referred fails with [ErrUnknownReferee].
func (s *Service) RecordReturn(ctx context.Context, e ReturnEvent) (Result, error) {
	var errs []error
	if e.Key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if e.Account == "" {
		errs = append(errs, loyalty.Invalid("account", nil, "is required"))
	}
	if e.Order == "" {
		errs = append(errs, loyalty.Invalid("order", nil, "is required"))
	}
	if !e.Amount.IsPositive() || e.Amount.Currency().IsZero() {
		errs = append(errs, loyalty.Invalid("amount", e.Amount, "must be a positive amount with a currency"))
	}
	if err := errors.Join(errs...); err != nil {
		return Result{}, fmt.Errorf("referral: record return: %w", err)
	}
	fpe := e
	fpe.At = e.At.UTC()
	return s.event(ctx, e.Key, "return", fpe, e.Account, func(tx Tx, r *Referral, res *Result, now time.Time) error {
		at := now
		if !e.At.IsZero() {
			at = e.At.In(s.rules.Location)
		}
		if r.Order != e.Order {
			res.Outcome = OutcomeOtherOrder
			res.Reason = fmt.Sprintf("order %s did not convert the referral", e.Order)
			return nil
		}
		switch r.Status {
		case StatusCancelled:
			res.Outcome = OutcomeAlreadyCancelled
			res.Reason = "the conversion was cancelled before: " + r.CancelReason
			return nil
		case StatusFinal:
			res.Outcome = OutcomeFinal
			res.Reason = fmt.Sprintf("the return window of order %s closed at %s; the rewards are final", e.Order, r.FinalAt.Format(time.RFC3339))
			return nil
		}
		if !at.Before(r.FinalAt) {
			res.Outcome = OutcomeFinal
			res.Reason = fmt.Sprintf("the return window of order %s closed at %s; the rewards are final", e.Order, r.FinalAt.Format(time.RFC3339))
			return s.finalize(tx, r, res, now)
		}
		returned, err := r.Returned.Add(e.Amount)
		if err != nil {
			return fmt.Errorf("referral: record return: %w", err)
		}
		kept, err := r.Amount.Sub(returned)
		if err != nil {
			return fmt.Errorf("referral: record return: %w", err)
		}
		if kept.IsNegative() {
			left, _ := r.Amount.Sub(r.Returned)
			return fmt.Errorf("referral: record return: %w", loyalty.Invalid("amount", e.Amount, "exceeds the "+left.String()+" still returnable"))
		}
		r.Returned = returned
		if c, _ := kept.Cmp(s.rules.MinOrder); kept.IsPositive() && c >= 0 {
			res.Outcome = OutcomeKept
			res.Reason = fmt.Sprintf("%s of order %s is kept, at least the minimum of %s", kept, e.Order, s.rules.MinOrder)
			return nil
		}
		res.Outcome = OutcomeCancelled
		res.Reason = fmt.Sprintf("order %s was returned inside its return window (%s kept)", e.Order, kept)
		return s.cancel(tx, r, res, at, now)
	})
}

// event runs one idempotent event for referee's referral in one transaction. payload is
// what identifies the request, with its times in UTC so that the same instant written in
// another zone is the same request.
func (s *Service) event(ctx context.Context, key loyalty.IdempotencyKey, op string, payload any, referee loyalty.AccountID, fn func(tx Tx, r *Referral, res *Result, now time.Time) error) (Result, error) {
	fp, err := fingerprint(payload)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	var res Result
	err = s.store.Update(ctx, func(tx Tx) error {
		res = Result{}
		if done, err := replay(tx, key, op, fp, &res); done || err != nil {
			res.Replayed = done
			return err
		}
		r, err := referralOf(tx, referee)
		if err != nil {
			return err
		}
		if err := fn(tx, &r, &res, now); err != nil {
			return err
		}
		if err := tx.PutReferral(r); err != nil {
			return err
		}
		res.Referral = r
		return saveReceipt(tx, key, op, fp, res, now)
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// qualifies checks that the referral may convert at time at; otherwise it fills res.
func (s *Service) qualifies(r *Referral, at time.Time, res *Result) bool {
	if o, why := checkWindow(*r, at); o != OutcomeConverted {
		res.Outcome, res.Reason = o, why
		return false
	}
	return true
}

// checkWindow says whether r may still convert at time at: OutcomeConverted if so, else
// the outcome and reason why not.
func checkWindow(r Referral, at time.Time) (Outcome, string) {
	switch {
	case r.Status == StatusCancelled:
		return OutcomeAlreadyConverted, "the referral's conversion was cancelled; it does not convert again"
	case r.Status != StatusAttributed:
		return OutcomeAlreadyConverted, "the referral converted already (" + conversionName(&r) + ")"
	case at.Before(r.AttributedAt):
		return OutcomeBeforeAttribution, fmt.Sprintf("it happened before the attribution at %s", r.AttributedAt.Format(time.RFC3339))
	case !at.Before(r.ConvertBy):
		return OutcomeWindowClosed, fmt.Sprintf("the conversion window closed at %s", r.ConvertBy.Format(time.RFC3339))
	}
	return OutcomeConverted, ""
}

// Qualify says, without changing anything, what an order of amount placed at time at would
// do to the referral ref under the rules: OutcomeConverted if it would convert it, otherwise
// the outcome and the reason why not. It is the pure core of [Service.RecordOrder], for dry
// runs ("this order earns your referrer a reward").
func (r Rules) Qualify(ref Referral, amount loyalty.Money, at time.Time) (Outcome, string) {
	if o, why := checkWindow(ref, at); o != OutcomeConverted {
		return o, why
	}
	c, err := amount.Cmp(r.MinOrder)
	if err != nil {
		return OutcomeBelowMinimum, err.Error()
	}
	if c < 0 {
		return OutcomeBelowMinimum, fmt.Sprintf("%s is below the minimum of %s", amount, r.MinOrder)
	}
	return OutcomeConverted, ""
}

func conversionName(r *Referral) string {
	if r.Event != "" {
		return "by event " + r.Event
	}
	return "by order " + string(r.Order)
}

// convert converts r at time at: pending rewards for both sides (referrer rewards within the
// caps, counted at now), final at finalAt. A conversion whose finalAt is not after at is
// final at once.
func (s *Service) convert(tx Tx, r *Referral, res *Result, at, finalAt, now time.Time) error {
	prof, err := tx.Profile(r.Referrer.ID())
	if err != nil {
		return err
	}
	res.Outcome = OutcomeConverted
	r.Status = StatusPending
	r.ConvertedAt = at
	r.FinalAt = finalAt

	earned := GrantPending
	immediate := !finalAt.After(at)
	if immediate {
		earned = GrantFinal
	}
	ok, note := s.caps().admitConversion(&prof, now)
	if ok {
		r.CountedAt = now
	}
	for _, rw := range s.rules.ReferrerRewards {
		st, rw, why := earned, rw, note
		if !ok {
			st = GrantWithheld
		} else {
			var granted bool
			rw, why, granted = s.caps().take(&prof, rw, now)
			if !granted {
				st = GrantWithheld
			}
		}
		res.Grants = append(res.Grants, r.newGrant(SideReferrer, rw, st, now, why))
	}
	for _, rw := range s.rules.RefereeRewards {
		res.Grants = append(res.Grants, r.newGrant(SideReferee, rw, earned, now, ""))
	}
	if immediate {
		return s.finalizeWith(tx, r, &prof, res, now)
	}
	return tx.PutProfile(prof)
}

// cancel cancels r's conversion and its pending rewards, giving their share of the caps
// back while the period lasts.
func (s *Service) cancel(tx Tx, r *Referral, res *Result, at, now time.Time) error {
	prof, err := tx.Profile(r.Referrer.ID())
	if err != nil {
		return err
	}
	r.Status = StatusCancelled
	r.CancelledAt = at
	r.CancelReason = res.Reason
	for i := range r.Grants {
		g := &r.Grants[i]
		if g.Status != GrantPending {
			continue
		}
		if g.Side == SideReferrer {
			s.caps().giveBack(&prof, g.Reward, g.At, now)
		}
		g.Status = GrantCancelled
		g.Note = "cancelled: " + res.Reason
		res.Grants = append(res.Grants, *g)
	}
	if !r.CountedAt.IsZero() {
		s.caps().giveBackConversion(&prof, r.CountedAt, now)
	}
	return tx.PutProfile(prof)
}

// finalize makes r's pending conversion final: its pending grants become final, and the
// referrer's milestones are checked. A milestone reached is granted on the referral whose
// conversion reached it, so that profiles stay small however many milestones a referrer
// reaches.
func (s *Service) finalize(tx Tx, r *Referral, res *Result, now time.Time) error {
	prof, err := tx.Profile(r.Referrer.ID())
	if err != nil {
		return err
	}
	return s.finalizeWith(tx, r, &prof, res, now)
}

func (s *Service) finalizeWith(tx Tx, r *Referral, prof *Profile, res *Result, now time.Time) error {
	r.Status = StatusFinal
	for i := range r.Grants {
		g := &r.Grants[i]
		if g.Status == GrantPending {
			g.Status = GrantFinal
			res.Grants = append(res.Grants, *g)
		}
	}
	prof.Finalized++
	n := prof.Finalized
	k := 0
	for _, m := range s.rules.Milestones {
		if !m.reached(n) {
			continue
		}
		for _, rw := range m.Rewards {
			rw, why, granted := s.caps().take(prof, rw, now)
			st := GrantFinal
			if !granted {
				st = GrantWithheld
			}
			note := "milestone: " + m.name()
			if why != "" {
				note += "; " + why
			}
			g := Grant{
				ID:        fmt.Sprintf("%s/milestone/%d/%d", prof.Referrer.ID(), n, k),
				Side:      SideReferrer,
				Referrer:  prof.Referrer.ID(),
				Referee:   r.Referee,
				Reward:    rw,
				Status:    st,
				At:        now,
				Note:      note,
				Milestone: n,
			}
			k++
			r.Grants = append(r.Grants, g)
			res.Grants = append(res.Grants, g)
		}
	}
	return tx.PutProfile(*prof)
}

// SettleResult lists what a settlement made final.
// A SettleResult is a plain value, safe for concurrent use when not modified.
type SettleResult struct {
	// Finalized are the referees whose conversions became final, in order of FinalAt.
	Finalized []loyalty.AccountID `json:"finalized,omitempty"`
	// Grants are the grants that became final (and the milestone grants reached), in order.
	Grants []Grant `json:"grants,omitempty"`
}

// settleBatch is how many conversions Settle finalises per transaction; settleRound how
// many due referees it reads at a time.
const (
	settleBatch = 100
	settleRound = 10000
)

// Settle makes final every pending conversion whose return window has closed by the
// service clock's now, with its rewards, and grants the milestones this reaches. It is
// idempotent: a second call finds nothing left to do, and concurrent calls finalise each
// conversion once. Each batch of conversions is its own transaction, so a failure keeps
// the batches before it. Call it periodically, such as daily.
func (s *Service) Settle(ctx context.Context) (SettleResult, error) {
	now := s.now()
	var out SettleResult
	for {
		var due []loyalty.AccountID
		err := s.store.View(ctx, func(tx ReadTx) (err error) {
			due, err = tx.Due(now, settleRound)
			return err
		})
		if err != nil {
			return out, err
		}
		for start := 0; start < len(due); start += settleBatch {
			batch := due[start:min(start+settleBatch, len(due))]
			var res Result
			var done []loyalty.AccountID
			err := s.store.Update(ctx, func(tx Tx) error {
				res, done = Result{}, nil
				for _, a := range batch {
					r, err := tx.Referral(a)
					if err != nil {
						return err
					}
					if r.Status != StatusPending || r.FinalAt.After(now) {
						continue // settled meanwhile
					}
					if err := s.finalize(tx, &r, &res, now); err != nil {
						return err
					}
					if err := tx.PutReferral(r); err != nil {
						return err
					}
					done = append(done, a)
				}
				return nil
			})
			if err != nil {
				return out, err
			}
			out.Finalized = append(out.Finalized, done...)
			out.Grants = append(out.Grants, res.Grants...)
		}
		if len(due) < settleRound {
			return out, nil
		}
	}
}
