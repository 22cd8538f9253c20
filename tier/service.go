package tier

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Config configures a [Service]. It is a plain value, read once by [NewService].
type Config struct {
	// Ladder is the program's ladder; it must be valid.
	Ladder Ladder
	// Location is the program's time zone. Defaults to UTC.
	Location *time.Location
	// Clock tells the time. Defaults to the system clock.
	Clock loyalty.Clock
	// BatchSize is the number of accounts [Service.ReviewAll] reviews per transaction.
	// Defaults to 1000.
	BatchSize int
}

// Service runs a tiered program over a [Store]: enrolment, qualifying activity, reviews,
// batch reviews, overrides, paid memberships and projections. It is safe for concurrent use.
type Service struct {
	e       *Evaluator
	store   Store
	clock   loyalty.Clock
	batch   int
	lookups sync.Pool // *effectiveLookup: the state of finished EffectiveAt calls, reused
}

// NewService returns a service over store for cfg. It fails when the ladder is invalid.
func NewService(store Store, cfg Config) (*Service, error) {
	if store == nil {
		return nil, errors.New("tier: NewService: store is nil")
	}
	e, err := NewEvaluator(cfg.Ladder, cfg.Location)
	if err != nil {
		return nil, err
	}
	s := &Service{e: e, store: store, clock: cfg.Clock, batch: cfg.BatchSize}
	if s.clock == nil {
		s.clock = loyalty.SystemClock()
	}
	if s.batch <= 0 {
		s.batch = 1000
	}
	return s, nil
}

// Evaluator returns the service's compiled ladder.
func (s *Service) Evaluator() *Evaluator { return s.e }

func (s *Service) now() time.Time { return s.clock.Now().In(s.e.loc) }

func checkAccount(id loyalty.AccountID) error {
	if id == "" {
		return fmt.Errorf("tier: %w", loyalty.Invalid("account", nil, "is required"))
	}
	return nil
}

// Enroll creates the account id, enrolled at at (the zero time means now), at the entry
// level. Enrolling an existing account again with the same time returns it unchanged; with a
// different time it fails with [loyalty.ErrConflict].
func (s *Service) Enroll(ctx context.Context, id loyalty.AccountID, at time.Time) (Account, error) {
	if err := checkAccount(id); err != nil {
		return Account{}, err
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.In(s.e.loc)
	var out Account
	err := s.store.Update(ctx, func(tx Tx) error {
		a, err := tx.Account(id)
		switch {
		case err == nil:
			if !a.Enrolled.Equal(at) {
				return fmt.Errorf("tier: account %q is already enrolled at %s: %w", id, a.Enrolled.In(s.e.loc).Format(time.RFC3339), loyalty.ErrConflict)
			}
			out = a
			return nil
		case !errors.Is(err, loyalty.ErrNotFound):
			return err
		}
		out = Account{ID: id, Enrolled: at, Status: Status{Since: at, Reviewed: at}}
		return tx.PutAccount(out)
	})
	if err != nil {
		return Account{}, err
	}
	return out, nil
}

// Record adds qualifying activity (a purchase; a negative amount for a return) of amount at
// time at to the account, then evaluates the account up to now, so that immediate upgrades
// apply. The activity counts for its local day. The same key with the same request returns
// the first result and changes nothing; the same key with another request fails with
// [loyalty.ErrConflict]. Tenure ladders record nothing: tenure follows from enrolment.
// Activity dated before the account's last review counts from the next evaluation on: past
// reviews are final and are not re-run.
func (s *Service) Record(ctx context.Context, id loyalty.AccountID, at time.Time, amount Amount, key loyalty.IdempotencyKey) (Status, error) {
	var errs []error
	if id == "" {
		errs = append(errs, loyalty.Invalid("account", nil, "is required"))
	}
	if key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if s.e.m == Tenure {
		errs = append(errs, loyalty.Invalid("amount", nil, "cannot be recorded on a tenure ladder"))
	}
	units, err := s.e.Units(amount)
	if err != nil {
		errs = append(errs, loyalty.InField("amount", err))
	}
	now := s.now()
	if at.IsZero() {
		errs = append(errs, loyalty.Invalid("at", nil, "is required"))
	} else if at.After(now) {
		errs = append(errs, loyalty.Invalid("at", at.In(s.e.loc).Format(time.RFC3339), "is in the future"))
	}
	if err := errors.Join(errs...); err != nil {
		return Status{}, fmt.Errorf("tier: record: %w", err)
	}
	at = at.In(s.e.loc)
	payload := fmt.Sprintf("record|%s|%s|%d", id, at.UTC().Format(time.RFC3339Nano), units)
	var out Status
	err = s.store.Update(ctx, func(tx Tx) error {
		if r, ok, err := tx.Receipt(key); err != nil {
			return err
		} else if ok {
			return s.replay(r, payload, key, &out)
		}
		a, err := tx.Account(id)
		if err != nil {
			return err
		}
		h, ok := a.History.add(DayOf(at), units)
		if !ok {
			return fmt.Errorf("tier: record %s on %s: %w", s.e.Format(amount), id, loyalty.ErrOverflow)
		}
		a.History = h
		changes := s.e.advance(&a, maxTime(now, a.Status.Reviewed), nil)
		s.e.compact(&a)
		out = a.Status
		return saveKeyed(tx, a, changes, key, payload)
	})
	if err != nil {
		return Status{}, err
	}
	return out, nil
}

// replay answers a retried request from its receipt.
func (s *Service) replay(r Receipt, payload string, key loyalty.IdempotencyKey, out *Status) error {
	if r.Payload != payload {
		return fmt.Errorf("tier: idempotency key %q was used for another request: %w", key, loyalty.ErrConflict)
	}
	*out = r.Status
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Review evaluates the account up to at (every review date since its last review) and
// returns its new status and the changes. Reviewing again at the same time changes nothing.
// A time before the account's last review, or after now, is an error naming "at".
func (s *Service) Review(ctx context.Context, id loyalty.AccountID, at time.Time) (Status, []Change, error) {
	if err := checkAccount(id); err != nil {
		return Status{}, nil, err
	}
	if at.After(s.now()) {
		return Status{}, nil, fmt.Errorf("tier: review: %w", loyalty.Invalid("at", at.In(s.e.loc).Format(time.RFC3339), "is in the future"))
	}
	var out Status
	var changes []Change
	err := s.store.Update(ctx, func(tx Tx) error {
		a, err := tx.Account(id)
		if err != nil {
			return err
		}
		b, ch, err := s.e.Advance(a, at)
		if err != nil {
			return err
		}
		s.e.compact(&b)
		if b.Status.Reviewed.Equal(a.Status.Reviewed) {
			out, changes = b.Status, nil
			return nil
		}
		if err := tx.PutAccount(b); err != nil {
			return err
		}
		if err := tx.AppendChanges(ch...); err != nil {
			return err
		}
		out, changes = b.Status, ch
		return nil
	})
	if err != nil {
		return Status{}, nil, err
	}
	return out, changes, nil
}

// BatchReport is the result of [Service.ReviewAll]. It is plain data, safe for concurrent
// reads.
type BatchReport struct {
	At       time.Time `json:"at"`
	Reviewed int       `json:"reviewed"` // accounts evaluated (not already reviewed up to At)
	Changed  int       `json:"changed"`  // accounts with at least one change
	// Changes are the events, ordered by account ID, then time.
	Changes []Change `json:"changes,omitempty"`
}

// Reviews ([Service.Record], [Service.Review], [Service.ReviewAll]) also drop qualifying history
// that no later evaluation can see ([Evaluator.Compact]).
//
// ReviewAll reviews every account up to at, in pages of Config.BatchSize accounts, each page
// in one transaction, in increasing order of account ID. It is deterministic and idempotent:
// accounts already reviewed up to at are skipped, so running it twice (or resuming after a
// failure) gives the same state as running it once, and the second run reports no changes.
// The changes are stored in each account's change log and returned. A time before the last
// completed batch review, or after now, is an error naming "at".
func (s *Service) ReviewAll(ctx context.Context, at time.Time) (BatchReport, error) {
	at = at.In(s.e.loc)
	rep := BatchReport{At: at}
	if at.IsZero() {
		return rep, fmt.Errorf("tier: review all: %w", loyalty.Invalid("at", nil, "is required"))
	}
	if at.After(s.now()) {
		return rep, fmt.Errorf("tier: review all: %w", loyalty.Invalid("at", at.Format(time.RFC3339), "is in the future"))
	}
	err := s.store.View(ctx, func(tx ReadTx) error {
		last, err := tx.LastBatchReview()
		if err != nil {
			return err
		}
		if at.Before(last) {
			return fmt.Errorf("tier: review all: %w", loyalty.Invalid("at", at.Format(time.RFC3339), "is before the last batch review at "+last.In(s.e.loc).Format(time.RFC3339)))
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	var after loyalty.AccountID
	for {
		var page []Account
		var reviewed, changed int
		var changes []Change
		err := s.store.Update(ctx, func(tx Tx) error {
			reviewed, changed, changes = 0, 0, changes[:0]
			var err error
			page, err = tx.Accounts(after, s.batch)
			if err != nil {
				return err
			}
			perAccount := s.advanceAll(page, at, workers)
			for i := range page {
				if perAccount[i].skip {
					continue
				}
				reviewed++
				if err := tx.PutAccount(page[i]); err != nil {
					return err
				}
				if ch := perAccount[i].changes; len(ch) > 0 {
					changed++
					if err := tx.AppendChanges(ch...); err != nil {
						return err
					}
					changes = append(changes, ch...)
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		rep.Reviewed += reviewed
		rep.Changed += changed
		rep.Changes = append(rep.Changes, changes...)
		if len(page) < s.batch {
			break
		}
		after = page[len(page)-1].ID
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		last, err := tx.LastBatchReview()
		if err != nil || !at.After(last) {
			return err
		}
		return tx.SetLastBatchReview(at)
	})
	return rep, err
}

type advanced struct {
	skip    bool
	changes []Change
}

// advanceAll advances every account of page to at in place, on up to workers goroutines.
// Accounts already reviewed up to at are marked skip and left unchanged.
func (s *Service) advanceAll(page []Account, at time.Time, workers int) []advanced {
	out := make([]advanced, len(page))
	run := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if !page[i].Status.Reviewed.Before(at) {
				out[i].skip = true
				continue
			}
			out[i].changes = s.e.advance(&page[i], at, nil)
			s.e.compact(&page[i])
		}
	}
	if workers <= 1 || len(page) < 256 {
		run(0, len(page))
		return out
	}
	var wg sync.WaitGroup
	chunk := (len(page) + workers - 1) / workers
	for lo := 0; lo < len(page); lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			run(lo, hi)
		}(lo, min(lo+chunk, len(page)))
	}
	wg.Wait()
	return out
}

// SetOverride gives the account a negotiated status: at least level o.Level from o.From
// (the zero time means now) until o.Until. It replaces any earlier override. The same key
// with the same request returns the first result; with another request it fails with
// [loyalty.ErrConflict].
func (s *Service) SetOverride(ctx context.Context, id loyalty.AccountID, o Override, key loyalty.IdempotencyKey) (Status, error) {
	now := s.now()
	if o.From.IsZero() {
		o.From = now
	}
	var errs []error
	if id == "" {
		errs = append(errs, loyalty.Invalid("account", nil, "is required"))
	}
	if key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if o.Level < 0 || o.Level >= len(s.e.thr) {
		errs = append(errs, loyalty.Invalid("override.level", o.Level, fmt.Sprintf("must be a level of the ladder, 0 to %d", len(s.e.thr)-1)))
	}
	if o.Until.IsZero() {
		errs = append(errs, loyalty.Invalid("override.until", nil, "is required: an override must expire"))
	} else if !o.Until.After(o.From) {
		errs = append(errs, loyalty.Invalid("override.until", o.Until.In(s.e.loc).Format(time.RFC3339), "must be after override.from"))
	}
	if err := errors.Join(errs...); err != nil {
		return Status{}, fmt.Errorf("tier: set override: %w", err)
	}
	o.From, o.Until = o.From.In(s.e.loc), o.Until.In(s.e.loc)
	payload := fmt.Sprintf("override|%s|%d|%s|%s|%s", id, o.Level, o.From.UTC().Format(time.RFC3339Nano), o.Until.UTC().Format(time.RFC3339Nano), o.Reason)
	var out Status
	err := s.store.Update(ctx, func(tx Tx) error {
		if r, ok, err := tx.Receipt(key); err != nil {
			return err
		} else if ok {
			return s.replay(r, payload, key, &out)
		}
		a, err := tx.Account(id)
		if err != nil {
			return err
		}
		changes := s.e.advance(&a, maxTime(now, a.Status.Reviewed), nil)
		before, _ := s.e.Effective(a.Status, now)
		oc := o
		a.Status.Override = &oc
		after, _ := s.e.Effective(a.Status, now)
		changes = append(changes, Change{Account: id, At: now, Kind: OverrideSet, From: before, To: after, Earned: a.Status.Level})
		out = a.Status
		return saveKeyed(tx, a, changes, key, payload)
	})
	if err != nil {
		return Status{}, err
	}
	return out, nil
}

// BuyMembership records a paid membership of level for the account, bought at at (the zero
// time means now): the level's [MembershipTerms] give its fee and length. A renewal while a
// membership of the same level is active extends it from its end. The fee is charged by the
// caller. The same key with the same request returns the first result; with another request
// it fails with [loyalty.ErrConflict].
func (s *Service) BuyMembership(ctx context.Context, id loyalty.AccountID, level int, at time.Time, key loyalty.IdempotencyKey) (Membership, error) {
	now := s.now()
	if at.IsZero() {
		at = now
	}
	at = at.In(s.e.loc)
	var errs []error
	if id == "" {
		errs = append(errs, loyalty.Invalid("account", nil, "is required"))
	}
	if key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	var terms *MembershipTerms
	if level < 0 || level >= len(s.e.thr) {
		errs = append(errs, loyalty.Invalid("level", level, fmt.Sprintf("must be a level of the ladder, 0 to %d", len(s.e.thr)-1)))
	} else if terms = s.e.ladder.Levels[level].Membership; terms == nil {
		errs = append(errs, loyalty.Invalid("level", s.e.ladder.Levels[level].Name, "cannot be bought: it has no membership terms"))
	}
	if at.After(now) {
		errs = append(errs, loyalty.Invalid("at", at.Format(time.RFC3339), "is in the future"))
	}
	if err := errors.Join(errs...); err != nil {
		return Membership{}, fmt.Errorf("tier: buy membership: %w", err)
	}
	payload := fmt.Sprintf("membership|%s|%d|%s", id, level, at.UTC().Format(time.RFC3339Nano))
	var out Status
	err := s.store.Update(ctx, func(tx Tx) error {
		if r, ok, err := tx.Receipt(key); err != nil {
			return err
		} else if ok {
			return s.replay(r, payload, key, &out)
		}
		a, err := tx.Account(id)
		if err != nil {
			return err
		}
		changes := s.e.advance(&a, maxTime(now, a.Status.Reviewed), nil)
		start, from := at, at // the membership starts at start; the bought months run from from
		if m := a.Status.Membership; m.Active(at) && m.Level == level {
			start, from = m.From.In(s.e.loc), m.Until.In(s.e.loc)
		}
		before, _ := s.e.Effective(a.Status, now)
		a.Status.Membership = &Membership{Level: level, From: start, Until: loyalty.AddMonths(from, terms.Months), Fee: terms.Fee}
		after, _ := s.e.Effective(a.Status, now)
		changes = append(changes, Change{Account: id, At: now, Kind: MembershipBought, From: before, To: after, Earned: a.Status.Level})
		out = a.Status
		return saveKeyed(tx, a, changes, key, payload)
	})
	if err != nil {
		return Membership{}, err
	}
	if out.Membership == nil { // a receipt that lost its membership: a store bug
		return Membership{}, fmt.Errorf("tier: buy membership: the receipt for key %q holds no membership", key)
	}
	return *out.Membership, nil
}

// Account returns the stored account (not advanced to now).
func (s *Service) Account(ctx context.Context, id loyalty.AccountID) (Account, error) {
	var out Account
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Account(id)
		return err
	})
	return out, err
}

// EffectiveAt returns the level in effect for account id at t and where it comes from:
// [Evaluator.EffectiveAt] of the stored account, a dry run's tier lookup that stores
// nothing. An account that is not enrolled is an error wrapping [loyalty.ErrNotFound]. Over
// a [MemoryStore] it reads the account without copying it.
func (s *Service) EffectiveAt(ctx context.Context, id loyalty.AccountID, t time.Time) (int, Source, error) {
	q, _ := s.lookups.Get().(*effectiveLookup)
	if q == nil {
		q = new(effectiveLookup)
		q.fn = q.run // bound once: a pooled lookup's view needs no new closure
	}
	q.e, q.id, q.t = s.e, id, t
	err := s.store.View(ctx, q.fn)
	level, source := q.level, q.source
	*q = effectiveLookup{fn: q.fn} // the pool keeps no account or evaluator
	s.lookups.Put(q)
	if err != nil {
		return 0, "", err
	}
	return level, source, nil
}

// effectiveLookup is the state of one EffectiveAt: its view reads the account.
type effectiveLookup struct {
	e      *Evaluator
	id     loyalty.AccountID
	t      time.Time
	level  int
	source Source
	fn     func(ReadTx) error // run, bound to this lookup
}

func (q *effectiveLookup) run(tx ReadTx) error {
	var a Account
	var err error
	if l, ok := tx.(*memTx); ok { // a MemoryStore's view lends the account
		err = l.lendAccount(q.id, &a) // effectiveAt only reads what it shares with the store
	} else {
		a, err = tx.Account(q.id)
	}
	if err != nil {
		return err
	}
	q.level, q.source = q.e.effectiveAt(&a, q.t)
	return nil
}

// Changes returns the account's change events in order.
func (s *Service) Changes(ctx context.Context, id loyalty.AccountID) ([]Change, error) {
	var out []Change
	err := s.store.View(ctx, func(tx ReadTx) error {
		if _, err := tx.Account(id); err != nil {
			return err
		}
		var err error
		out, err = tx.Changes(id)
		return err
	})
	return out, err
}

// Project explains the account at the clock's now (see [Evaluator.Project]); it stores
// nothing.
func (s *Service) Project(ctx context.Context, id loyalty.AccountID) (Projection, error) {
	a, err := s.Account(ctx, id)
	if err != nil {
		return Projection{}, err
	}
	return s.e.Project(a, s.now()), nil
}

// ProjectAll projects every account at the clock's now, in increasing order of account ID,
// and calls fn with each projection (for reports and "distance to the next level"
// notifications). Accounts are read page by page, each page in one read transaction; nothing
// is stored. It stops at the first error fn returns and returns it.
func (s *Service) ProjectAll(ctx context.Context, fn func(Projection) error) error {
	now := s.now()
	var after loyalty.AccountID
	for {
		var page []Account
		err := s.store.View(ctx, func(tx ReadTx) error {
			var err error
			page, err = tx.Accounts(after, s.batch)
			return err
		})
		if err != nil {
			return err
		}
		for _, a := range page {
			if err := fn(s.e.Project(a, now)); err != nil {
				return err
			}
		}
		if len(page) < s.batch {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// saveKeyed writes the account, the change events the operation caused and the receipt that
// makes the operation idempotent under key, all in tx.
func saveKeyed(tx Tx, a Account, changes []Change, key loyalty.IdempotencyKey, payload string) error {
	if err := tx.PutAccount(a); err != nil {
		return err
	}
	if err := tx.AppendChanges(changes...); err != nil {
		return err
	}
	return tx.PutReceipt(key, Receipt{Payload: payload, Account: a.ID, Status: a.Status})
}
