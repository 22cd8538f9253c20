package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
)

// ErrPeriodOpen reports a sales target or contest settled before its period is over: the
// results could still change.
var ErrPeriodOpen = errors.New("campaign: the period is not over yet")

// ownPartnerRules gives p its own copies of the partner programs' lists, so that a caller
// changing its Program after [New] changes nothing in the engine.
func ownPartnerRules(p *Program) {
	p.SalesTargets = slices.Clone(p.SalesTargets)
	for i := range p.SalesTargets {
		t := &p.SalesTargets[i]
		t.Categories, t.SKUs = slices.Clone(t.Categories), slices.Clone(t.SKUs)
	}
	p.Contests = slices.Clone(p.Contests)
	for i := range p.Contests {
		p.Contests[i].Prizes = slices.Clone(p.Contests[i].Prizes)
	}
	if p.CoMarketing != nil {
		c := *p.CoMarketing
		c.Shares = slices.Clone(c.Shares)
		p.CoMarketing = &c
	}
}

// SalesSettlement is what settling a [SalesTarget] did: every dealer's result (as
// [SalesTarget.Evaluate] computes it), the points credited to the dealers that reached the
// target (one posting each, in the order of Results) and, in the results' Credit, the money
// bonuses, which the caller pays (the library keeps no money accounts). It is plain data,
// safe for concurrent reads.
type SalesSettlement struct {
	Key      loyalty.IdempotencyKey `json:"key"`
	Target   loyalty.CampaignID     `json:"target"`
	At       time.Time              `json:"at"` // when the target was first settled
	Results  []SalesResult          `json:"results"`
	Postings []points.Posting       `json:"postings,omitempty"`
	// Replayed is set when the key had already settled the target and nothing was
	// credited by this call.
	Replayed bool `json:"-"`
}

// ContestAward is what awarding a [Contest] did: the standings (as [Contest.Rank] computes
// them), the points prizes credited (one posting per account with a points prize, in the
// order of Standings) and, in the standings' prizes, the money credits and perks, which the
// caller pays or delivers. It is plain data, safe for concurrent reads.
type ContestAward struct {
	Key       loyalty.IdempotencyKey `json:"key"`
	Contest   loyalty.CampaignID     `json:"contest"`
	At        time.Time              `json:"at"` // when the contest was first awarded
	Standings []Standing             `json:"standings"`
	Postings  []points.Posting       `json:"postings,omitempty"`
	// Replayed is set when the key had already awarded the contest and nothing was
	// credited by this call.
	Replayed bool `json:"-"`
}

// SettleSalesTarget settles the program's sales target id over the dealers' sales once its
// period is over (at the engine's clock; [ErrPeriodOpen] before): every dealer that reached
// the target receives its bonus points, credited to its company account as an adjustment
// (points.Ledger.Adjust, active at once, expiring by the earning rules) under the sub-key
// "<key>/<account>"; money bonuses are returned in the results for the caller to pay.
//
// A target is settled exactly once: the first call claims it, with its key and a digest of
// the sales (in any order), in a record of the points store keyed
// "campaign/sales-target/<id>", before crediting anything. The same key with the same sales
// returns the same settlement (Replayed) and credits nothing again; after an interruption (a
// store failure) it completes the credits. Another key, or other sales, is an error wrapping
// loyalty.ErrConflict. Bad input — an unknown id (loyalty.ErrNotFound), a sale without an
// account or time, an amount in another currency (loyalty.ErrInvalid), a period not over —
// is refused before anything is written.
func (e *Engine) SettleSalesTarget(ctx context.Context, id loyalty.CampaignID, sales []Sale, key loyalty.IdempotencyKey) (SalesSettlement, error) {
	const op = "campaign: settle sales target"
	i := slices.IndexFunc(e.prog.SalesTargets, func(t SalesTarget) bool { return t.ID == id })
	if i < 0 {
		return SalesSettlement{}, fmt.Errorf("%s %q: %w", op, id, loyalty.ErrNotFound)
	}
	t := e.prog.SalesTargets[i]
	if err := e.checkSettle(key, sales); err != nil {
		return SalesSettlement{}, fmt.Errorf("%s %s: %w", op, id, err)
	}
	_, until, err := window(t.Start, t.End, e.loc)
	if err != nil {
		return SalesSettlement{}, fmt.Errorf("%s %s: %w", op, id, err)
	}
	now := e.clock.Now()
	if now.Before(until) {
		return SalesSettlement{}, fmt.Errorf("%s %s: %w: it ends %s", op, id, ErrPeriodOpen, until.Format("2006-01-02 15:04 MST"))
	}
	results, err := t.Evaluate(sales, e.loc)
	if err != nil {
		return SalesSettlement{}, err
	}
	at, replayed, err := e.claim(ctx, "campaign/sales-target/"+string(id), "sales target "+string(id), key, sales, now)
	if err != nil {
		return SalesSettlement{}, fmt.Errorf("%s %s: %w", op, id, err)
	}
	out := SalesSettlement{Key: key, Target: id, At: at, Results: results}
	for _, r := range results {
		if r.Points <= 0 {
			continue
		}
		reason := fmt.Sprintf("sales target %s: %s units sold, reached %d time(s)", id, r.Units, r.Times)
		post, err := e.credit(ctx, key, r.Account, r.Points, reason)
		if err != nil {
			return SalesSettlement{}, fmt.Errorf("%s %s interrupted (settle again with the key to complete it): %w", op, id, err)
		}
		replayed = replayed && post.Replayed
		out.Postings = append(out.Postings, post)
	}
	out.Replayed = replayed
	return out, nil
}

// AwardContest ranks the program's contest id over the sales once it is over (for a
// newcomer contest, once the last newcomer's measured months are over too: FirstMonths
// after the end; [ErrPeriodOpen] before) and awards its prizes: points prizes are credited
// to the winners' company accounts (points.Ledger.Adjust) under the sub-key
// "<key>/<account>"; money credits and perks are returned in the standings for the caller
// to pay or deliver. Ties are broken as [Contest.Rank] does.
//
// Like [Engine.SettleSalesTarget], a contest is awarded exactly once, claimed in a record
// of the points store keyed "campaign/contest/<id>": the same key and sales replay, another
// key or other sales conflict (loyalty.ErrConflict), and bad input writes nothing.
func (e *Engine) AwardContest(ctx context.Context, id loyalty.CampaignID, sales []Sale, key loyalty.IdempotencyKey) (ContestAward, error) {
	const op = "campaign: award contest"
	i := slices.IndexFunc(e.prog.Contests, func(c Contest) bool { return c.ID == id })
	if i < 0 {
		return ContestAward{}, fmt.Errorf("%s %q: %w", op, id, loyalty.ErrNotFound)
	}
	c := e.prog.Contests[i]
	if err := e.checkSettle(key, sales); err != nil {
		return ContestAward{}, fmt.Errorf("%s %s: %w", op, id, err)
	}
	_, until, err := window(c.Start, c.End, e.loc)
	if err != nil {
		return ContestAward{}, fmt.Errorf("%s %s: %w", op, id, err)
	}
	if c.Newcomers {
		until = loyalty.AddMonths(until, max(c.FirstMonths, 1))
	}
	now := e.clock.Now()
	if now.Before(until) {
		return ContestAward{}, fmt.Errorf("%s %s: %w: it ends %s", op, id, ErrPeriodOpen, until.Format("2006-01-02 15:04 MST"))
	}
	standings, err := c.Rank(sales, e.loc)
	if err != nil {
		return ContestAward{}, err
	}
	at, replayed, err := e.claim(ctx, "campaign/contest/"+string(id), "contest "+string(id), key, sales, now)
	if err != nil {
		return ContestAward{}, fmt.Errorf("%s %s: %w", op, id, err)
	}
	out := ContestAward{Key: key, Contest: id, At: at, Standings: standings}
	for _, s := range standings {
		if s.Prize == nil || s.Prize.Points <= 0 {
			continue
		}
		post, err := e.credit(ctx, key, s.Account, s.Prize.Points, fmt.Sprintf("contest %s: place %d", id, s.Place))
		if err != nil {
			return ContestAward{}, fmt.Errorf("%s %s interrupted (award again with the key to complete it): %w", op, id, err)
		}
		replayed = replayed && post.Replayed
		out.Postings = append(out.Postings, post)
	}
	out.Replayed = replayed
	return out, nil
}

// Reimburse returns what the program's co-marketing reimburses for a dealer's advert
// costing cost, shared with others other manufacturers ([CoMarketing.Reimburse]). It writes
// nothing and takes no key: the amount is a decision the caller pays, and the same input
// always gives the same amount. A program without co-marketing is an error wrapping
// loyalty.ErrNotFound; a cost in another currency, one wrapping loyalty.ErrInvalid.
func (e *Engine) Reimburse(cost loyalty.Money, others int) (loyalty.Money, error) {
	c := e.prog.CoMarketing
	if c == nil {
		return loyalty.Money{}, fmt.Errorf("campaign: reimburse: the program has no co-marketing: %w", loyalty.ErrNotFound)
	}
	if cost.Currency() != e.prog.Currency {
		return loyalty.Money{}, fmt.Errorf("campaign: reimburse: %w", loyalty.Invalid("cost", cost, "must be in the program currency "+e.prog.Currency.Code()))
	}
	return c.Reimburse(cost, others)
}

// checkSettle checks the key and the sales of a settlement.
func (e *Engine) checkSettle(key loyalty.IdempotencyKey, sales []Sale) error {
	var errs []error
	if key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	cur := e.prog.Currency
	for i, s := range sales {
		f := fmt.Sprintf("sales[%d]", i)
		if s.Account == "" {
			errs = append(errs, loyalty.Invalid(f+".account", nil, "is required"))
		}
		if s.At.IsZero() {
			errs = append(errs, loyalty.Invalid(f+".at", nil, "is required"))
		}
		if (!s.Amount.IsZero() || !s.Amount.Currency().IsZero()) && s.Amount.Currency() != cur {
			errs = append(errs, loyalty.Invalid(f+".amount", s.Amount, "must be in the program currency "+cur.Code()))
		}
	}
	return errors.Join(errs...)
}

// claim records, in the points store's idempotency records under recKey, that key settles
// what with the sales, or finds that it already did: it returns when the claim was made and
// whether it was made before. A claim by another key or with other sales is an error
// wrapping loyalty.ErrConflict.
func (e *Engine) claim(ctx context.Context, recKey, what string, key loyalty.IdempotencyKey, sales []Sale, now time.Time) (time.Time, bool, error) {
	enc := make([]string, len(sales))
	for i, s := range sales {
		b, err := json.Marshal(s)
		if err != nil {
			return time.Time{}, false, err
		}
		enc[i] = string(b)
	}
	slices.Sort(enc) // the same sales in any order are the same request
	h := sha256.New()
	for _, s := range enc {
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	fp := string(key) + "\n" + hex.EncodeToString(h.Sum(nil))
	var at time.Time
	var had bool
	err := e.stores.Points.Update(ctx, func(tx points.Tx) error {
		rec, err := tx.Record(loyalty.IdempotencyKey(recKey))
		switch {
		case err == nil:
			if rec.Fingerprint != fp {
				prev, _, _ := strings.Cut(rec.Fingerprint, "\n")
				if prev == string(key) {
					return fmt.Errorf("%s was settled under key %q with other sales: %w", what, key, loyalty.ErrConflict)
				}
				return fmt.Errorf("%s was already settled under key %q: %w", what, prev, loyalty.ErrConflict)
			}
			at, had = rec.At, true
			return nil
		case !errors.Is(err, loyalty.ErrNotFound):
			return err
		}
		at, had = now, false
		return tx.PutRecord(points.Record{Key: loyalty.IdempotencyKey(recKey), Fingerprint: fp, At: now})
	})
	return at, had, err
}

// credit credits n bonus points to account's company points under the sub-key
// "<key>/<account>".
func (e *Engine) credit(ctx context.Context, key loyalty.IdempotencyKey, account loyalty.AccountID, n points.Points, reason string) (points.Posting, error) {
	return e.ledger.Adjust(ctx, points.Adjustment{Key: loyalty.IdempotencyKey(string(key) + "/" + string(account)),
		Holder: points.ForAccount(account), Points: n, Reason: reason, Actor: "program " + string(e.prog.ID)})
}
