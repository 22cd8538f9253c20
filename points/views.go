package points

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Balance is a holder's points at one moment.
//
// Balance values are plain data, safe for concurrent use when not modified.
type Balance struct {
	Holder    Holder `json:"holder"`
	Available Points `json:"available"` // Active − Debt: what can be spent now; negative while in debt
	Active    Points `json:"active"`
	Pending   Points `json:"pending"`
	Spent     Points `json:"spent"`
	Expired   Points `json:"expired"`
	Reversed  Points `json:"reversed"` // clawed back by returns (including debt repaid)
	// Transferred and Debited are points moved to other holders and removed by adjustments.
	Transferred Points `json:"transferred"`
	Debited     Points `json:"debited"`
	Earned      Points `json:"earned"` // every point ever credited: earned, received, credited
	Debt        Points `json:"debt"`   // the negative balance still to be repaid
}

func balanceOf(a Account) Balance {
	return Balance{Holder: a.Holder, Available: a.Active - a.Debt, Active: a.Active, Pending: a.Pending,
		Spent: a.Spent, Expired: a.Expired, Reversed: a.Reversed, Transferred: a.Transferred,
		Debited: a.Debited, Earned: a.Earned, Debt: a.Debt}
}

// Balance returns holder's balance now. It reads one stored row, however long the history;
// when an activation or expiry has fallen due since the holder was last touched, it applies
// it first (writing its entries), so the balance is always the balance at the clock's now.
// An unknown holder is an error wrapping [loyalty.ErrNotFound].
func (l *Ledger) Balance(ctx context.Context, holder Holder) (Balance, error) {
	if err := holder.Validate(); err != nil {
		return Balance{}, loyalty.InField("holder", err)
	}
	// The read is the hot path of every checkout; a pooled reader keeps it from allocating
	// the account row and the closure on every call.
	r := l.readers.get()
	if r == nil {
		r = &balanceReader{}
		r.fn = r.read
	}
	r.holder, r.now, r.due = holder, l.clock.Now(), false
	err := l.store.View(ctx, r.fn)
	bal, due, now := r.bal, r.due, r.now
	r.holder, r.bal = Holder{}, Balance{} // nothing of the read stays in the pool
	l.readers.put(r)
	if err != nil {
		return Balance{}, err
	}
	if !due {
		return bal, nil
	}
	return l.settleBalance(ctx, holder, now)
}

// settleBalance applies the holder's due activations and expiries and returns the balance.
func (l *Ledger) settleBalance(ctx context.Context, holder Holder, now time.Time) (Balance, error) {
	var a Account
	err := l.store.Update(ctx, func(tx Tx) error {
		b := &book{l: l, tx: asPtrTx(tx), now: now}
		acc, err := b.account(holder, false)
		if err != nil {
			return err
		}
		a = *acc
		return b.flush()
	})
	return balanceOf(a), err
}

// balanceReader is the reusable state of one balance read.
type balanceReader struct {
	holder Holder
	now    time.Time
	bal    Balance
	due    bool
	fn     func(tx ReadTx) error
}

func (r *balanceReader) read(tx ReadTx) error {
	if m, ok := tx.(*memTx); ok { // the balance from the stored row, without an Account between
		if r.bal, r.due, ok = m.balance(r.holder, r.now); !ok {
			return unknownHolder(r.holder)
		}
		return nil
	}
	a, err := tx.Account(r.holder)
	if err != nil {
		if notFound(err) {
			return unknownHolder(r.holder)
		}
		return err
	}
	r.bal = balanceOf(a)
	r.due = !a.NextDue.IsZero() && !r.now.Before(a.NextDue)
	return nil
}

// History returns up to limit of holder's entries from position from (0 is the first),
// oldest first. A store that forgets old entries (a memory store with
// [MemoryOptions.Retention]) fails with an error wrapping [ErrForgotten] when from is
// before the holder's oldest retained entry.
func (l *Ledger) History(ctx context.Context, holder Holder, from, limit int) ([]Entry, error) {
	if from < 0 {
		return nil, loyalty.Invalid("from", from, "must not be negative")
	}
	if limit <= 0 {
		return nil, loyalty.Invalid("limit", limit, "must be positive")
	}
	var out []Entry
	err := l.store.View(ctx, func(tx ReadTx) error {
		if _, err := tx.Account(holder); err != nil {
			if errors.Is(err, loyalty.ErrNotFound) {
				return unknownHolder(holder)
			}
			return err
		}
		var err error
		out, err = tx.Entries(holder, from, limit)
		return err
	})
	return out, err
}

// Expiring is a number of points that expire at one instant.
//
// Expiring values are plain data, safe for concurrent use when not modified.
type Expiring struct {
	At     time.Time `json:"at"`
	Points Points    `json:"points"`
}

// Upcoming returns what of holder's points (active and pending) expires when, soonest
// first, up to limit instants: what expires next and when. Points already past their expiry
// but not yet processed are included at their expiry instant.
func (l *Ledger) Upcoming(ctx context.Context, holder Holder, limit int) ([]Expiring, error) {
	if limit <= 0 {
		return nil, loyalty.Invalid("limit", limit, "must be positive")
	}
	var out []Expiring
	err := l.store.View(ctx, func(tx ReadTx) error {
		if _, err := tx.Account(holder); err != nil {
			if errors.Is(err, loyalty.ErrNotFound) {
				return unknownHolder(holder)
			}
			return err
		}
		lots, err := tx.OpenLots(holder)
		if err != nil {
			return err
		}
		for _, lot := range lots { // spend order is expiry order
			if lot.Expires.IsZero() {
				break
			}
			if n := len(out); n > 0 && out[n-1].At.Equal(lot.Expires) {
				out[n-1].Points += lot.Remaining
				continue
			}
			if len(out) == limit {
				break
			}
			out = append(out, Expiring{At: lot.Expires, Points: lot.Remaining})
		}
		return nil
	})
	return out, err
}

// ExpiryRun summarises one run of [Ledger.Expire].
//
// ExpiryRun values are plain data, safe for concurrent use when not modified.
type ExpiryRun struct {
	At        time.Time `json:"at"`
	Holders   int       `json:"holders"`   // holders with due work
	Activated Points    `json:"activated"` // pending points that became active
	Expired   Points    `json:"expired"`   // points that expired
}

// Expire applies every activation and expiry due at the clock's now, for every holder, in
// one transaction. It expires exactly what is due: running it again at the same or an
// earlier time changes nothing. (Every other operation also applies due work for the
// holders it touches, so balances are right even if Expire never runs.)
func (l *Ledger) Expire(ctx context.Context) (ExpiryRun, error) {
	now := l.clock.Now()
	var run ExpiryRun
	err := l.store.Update(ctx, func(tx Tx) error {
		run = ExpiryRun{At: now}
		var due []Holder
		if err := tx.Accounts(func(a Account) bool {
			if !a.NextDue.IsZero() && !now.Before(a.NextDue) {
				due = append(due, a.Holder)
			}
			return true
		}); err != nil {
			return err
		}
		slices.SortFunc(due, Holder.Compare) // the order transfers lock balance rows in, too
		b := &book{l: l, tx: asPtrTx(tx), now: now}
		for _, h := range due {
			if _, err := b.account(h, false); err != nil {
				return err
			}
		}
		for _, e := range b.entries {
			switch e.Kind {
			case KindActivate:
				run.Activated += e.Points
			case KindExpire:
				run.Expired += e.Points
			}
		}
		run.Holders = len(due)
		return b.flush()
	})
	return run, err
}

// SettlementLine is what one coalition partner owes another for a period: points issued by
// Issuer and accepted as payment by Acceptor, net of points restored by returns, and their
// money value at the program's point value.
//
// SettlementLine values are plain data, safe for concurrent use when not modified.
type SettlementLine struct {
	Issuer   loyalty.PartnerID `json:"issuer"`
	Acceptor loyalty.PartnerID `json:"acceptor"`
	Points   Points            `json:"points"`
	Value    loyalty.Money     `json:"value"`
}

// Settlement reports, per pair of issuing and accepting partner, the points spent with
// from <= At < to, net of restores (a period with more restored than spent nets negative),
// sorted by issuer then acceptor. Pairs that net to zero, and pairs where neither partner is
// named (the program's own points spent in its own shop), are left out. A store that
// forgets old entries fails with an error wrapping [ErrForgotten] for a period that starts
// before what it retains.
func (l *Ledger) Settlement(ctx context.Context, from, to time.Time) ([]SettlementLine, error) {
	if !from.Before(to) {
		return nil, loyalty.Invalid("to", to, "must be after from")
	}
	type pair struct{ i, a loyalty.PartnerID }
	sums := map[pair]Points{}
	err := l.store.View(ctx, func(tx ReadTx) error {
		return tx.EntriesBetween(from, to, func(e Entry) bool {
			sign := Points(0)
			switch e.Kind {
			case KindSpend:
				sign = 1
			case KindRestore:
				sign = -1
			}
			if sign == 0 {
				return true
			}
			for _, p := range e.Lots {
				if p.Issuer != "" || e.Acceptor != "" {
					sums[pair{p.Issuer, e.Acceptor}] += sign * p.Points
				}
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]SettlementLine, 0, len(sums))
	for k, n := range sums {
		if n == 0 {
			continue
		}
		line := SettlementLine{Issuer: k.i, Acceptor: k.a, Points: n}
		if l.cfg.Redemption.PointValue.Sign() > 0 {
			if line.Value, err = l.cfg.Redemption.Value(n); err != nil {
				return nil, err
			}
		}
		out = append(out, line)
	}
	slices.SortFunc(out, func(x, y SettlementLine) int {
		return cmp.Or(cmp.Compare(x.Issuer, y.Issuer), cmp.Compare(x.Acceptor, y.Acceptor))
	})
	return out, nil
}

// LiabilityOptions parameterise [Ledger.Liability].
//
// LiabilityOptions values are plain data, safe for concurrent use when not modified.
type LiabilityOptions struct {
	// RedemptionRate is the share of outstanding points expected to be redeemed (1 minus
	// breakage), such as "0.7". Zero means 1: every point is redeemed.
	RedemptionRate decimal.Decimal `json:"redemption_rate,omitempty"`
	// Holders restricts the liability to one kind of holder: AccountHolder for what a
	// program owes companies, BuyerHolder for individual buyers' points or miles (two
	// ledgers that share a store, as with dual earning, hold both kinds). Empty means all.
	Holders HolderKind `json:"holders,omitempty"`
	// ExpiringBy is the date of the expiry forecast. Zero means no forecast.
	ExpiringBy time.Time `json:"expiring_by,omitempty"`
}

// Liability is what the program owes in points at one moment.
//
// Liability values are plain data, safe for concurrent use when not modified.
type Liability struct {
	At          time.Time     `json:"at"`
	Outstanding Points        `json:"outstanding"` // active and pending points not yet expired
	Active      Points        `json:"active"`
	Pending     Points        `json:"pending"`
	Debt        Points        `json:"debt"`     // negative balances owed back by holders
	Value       loyalty.Money `json:"value"`    // Outstanding at the point value
	Expected    loyalty.Money `json:"expected"` // Value × RedemptionRate, rounded once
	// ExpiringBy is how many outstanding points expire by LiabilityOptions.ExpiringBy if
	// nobody spends them.
	ExpiringBy Points `json:"expiring_by"`
}

// Liability returns the money value of outstanding points at the clock's now, the value
// expected to be redeemed, and the forecast of points expiring by a date. It reads every
// open lot: a report, not a checkout call. Values need a point value in the configuration.
func (l *Ledger) Liability(ctx context.Context, opt LiabilityOptions) (Liability, error) {
	rate := opt.RedemptionRate
	if rate.IsZero() {
		rate = decimal.New(1, 0)
	} else if rate.Sign() < 0 || rate.GreaterThan(decimal.New(1, 0)) {
		return Liability{}, loyalty.Invalid("redemption_rate", rate, "must be between 0 and 1")
	}
	switch opt.Holders {
	case "", AccountHolder, BuyerHolder:
	default:
		return Liability{}, loyalty.Invalid("holders", string(opt.Holders), `must be "account", "buyer" or empty for both`)
	}
	counts := func(h Holder) bool { return opt.Holders == "" || h.Kind == opt.Holders }
	now := l.clock.Now()
	out := Liability{At: now}
	err := l.store.View(ctx, func(tx ReadTx) error {
		if err := tx.AllOpenLots(func(lot Lot) bool {
			if !counts(lot.Holder) {
				return true
			}
			if !lot.Expires.IsZero() && !now.Before(lot.Expires) {
				return true // expired, awaiting processing
			}
			if lot.Pending && (lot.ActiveAt.IsZero() || now.Before(lot.ActiveAt)) {
				out.Pending += lot.Remaining
			} else {
				out.Active += lot.Remaining
			}
			if !opt.ExpiringBy.IsZero() && !lot.Expires.IsZero() && !opt.ExpiringBy.Before(lot.Expires) {
				out.ExpiringBy += lot.Remaining
			}
			return true
		}); err != nil {
			return err
		}
		return tx.Accounts(func(a Account) bool {
			if counts(a.Holder) {
				out.Debt += a.Debt
			}
			return true
		})
	})
	if err != nil {
		return Liability{}, err
	}
	out.Outstanding = out.Active + out.Pending
	r := l.cfg.Redemption
	if r.PointValue.Sign() > 0 {
		value := decimal.New(int64(out.Outstanding), 0).Mul(r.PointValue)
		if out.Value, err = loyalty.MoneyFromDecimal(value, r.Currency, r.Rounding); err != nil {
			return Liability{}, err
		}
		if out.Expected, err = loyalty.MoneyFromDecimal(value.Mul(rate), r.Currency, r.Rounding); err != nil {
			return Liability{}, err
		}
	}
	return out, nil
}
