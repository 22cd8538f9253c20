package referral

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Attribution asks to attribute the referee account to the referrer holding Code.
// A Attribution is a plain value, safe for concurrent use when not modified.
type Attribution struct {
	// Key makes the request idempotent: a retry with the same key and payload returns the
	// first result and changes nothing. Required.
	Key loyalty.IdempotencyKey `json:"key"`
	// Code is the referral code as the referee typed it. Required.
	Code string `json:"code"`
	// Referee is the new company account. Required.
	Referee loyalty.AccountID `json:"referee"`
	// Buyer is the referee's buyer who used the code, if known.
	Buyer loyalty.BuyerID `json:"buyer,omitempty"`
	// Identity is what the caller knows of the referee's contacts and tax identifiers.
	Identity Identity `json:"identity"`
	// Customer tells that the referee has bought before (the caller knows its order
	// history): such a referee is refused with [ErrAlreadyCustomer].
	Customer bool `json:"customer,omitempty"`
	// At is the time of the referral. Defaults to the service clock's now; set it when
	// importing referrals after the fact.
	At time.Time `json:"at"`
}

// Validate checks the request's fields.
func (a Attribution) Validate() error {
	var errs []error
	if a.Key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if a.Referee == "" {
		errs = append(errs, loyalty.Invalid("referee", nil, "is required"))
	}
	if a.Code == "" {
		errs = append(errs, loyalty.Invalid("code", nil, "is required"))
	} else if _, err := NormalizeCode(a.Code); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// AttributionResult is the outcome of an attribution.
// A AttributionResult is a plain value, safe for concurrent use when not modified.
type AttributionResult struct {
	// Replayed is true when the key had been used before with the same payload: the result
	// is the first one and nothing changed.
	Replayed bool `json:"-"`
	// Referral is the referee's referral after the attribution.
	Referral Referral `json:"referral"`
	// TookOver names the referrer the referee was taken from (LastWithinWindow), if any.
	TookOver ReferrerID `json:"took_over,omitempty"`
	// Grants are the welcome rewards granted to the referee by this attribution.
	Grants []Grant `json:"grants,omitempty"`
}

// Attribute attributes a referee to the referrer holding the code, after the fraud guards:
// an unknown code fails with [ErrUnknownCode]; a refused referral fails with a
// [*RefusalError] matching [ErrSelfReferral], [ErrAlreadyCustomer], [ErrAlreadyAttributed],
// [ErrCycle] or [ErrVelocity]. A refusal changes nothing and stores nothing, so the same key
// may be retried once the cause is gone. A successful attribution grants the welcome
// rewards (once per referee) and is recorded under a.Key.
func (s *Service) Attribute(ctx context.Context, a Attribution) (AttributionResult, error) {
	if err := a.Validate(); err != nil {
		return AttributionResult{}, fmt.Errorf("referral: attribute: %w", err)
	}
	code, _ := NormalizeCode(a.Code)
	a.Code = code
	a.Identity = a.Identity.normalized()
	fpa := a
	fpa.At = a.At.UTC() // the same instant in another zone is the same request
	fp, err := fingerprint(fpa)
	if err != nil {
		return AttributionResult{}, err
	}
	now := s.now()
	at := now
	if !a.At.IsZero() {
		at = a.At.In(s.rules.Location)
	}
	var res AttributionResult
	err = s.store.Update(ctx, func(tx Tx) error {
		res = AttributionResult{}
		if done, err := replay(tx, a.Key, "attribute", fp, &res); done || err != nil {
			res.Replayed = done
			return err
		}
		if err := s.attribute(tx, a, at, &res); err != nil {
			return err
		}
		return saveReceipt(tx, a.Key, "attribute", fp, res, now)
	})
	if err != nil {
		return AttributionResult{}, err
	}
	return res, nil
}

func (s *Service) attribute(tx Tx, a Attribution, at time.Time, res *AttributionResult) error {
	prof, err := profileByCode(tx, a.Code)
	if err != nil {
		return err
	}
	ref := prof.Referrer
	rid := ref.ID()
	if err := CheckSelfReferral(prof, a); err != nil {
		return err
	}
	if err := checkColleague(tx, ref, a); err != nil {
		return err
	}
	if a.Customer {
		return refuse(ReasonCustomer, a.Referee, rid, "account %s has bought before and cannot be referred", a.Referee)
	}
	if err := checkKnownIdentity(tx, a, rid); err != nil {
		return err
	}
	cur, err := tx.Referral(a.Referee)
	exists := err == nil
	if err != nil && !errors.Is(err, loyalty.ErrNotFound) {
		return err
	}
	if exists {
		if err := s.checkTakeOver(cur, rid, a, at); err != nil {
			return err
		}
	}
	if err := checkCycle(tx, ref, a.Referee, rid); err != nil {
		return err
	}
	if err := s.checkVelocity(&prof, a.Referee, at); err != nil {
		return err
	}

	next := Referral{
		Referee:           a.Referee,
		RefereeBuyer:      a.Buyer,
		Referrer:          ref,
		Identity:          a.Identity,
		Code:              prof.Code,
		Status:            StatusAttributed,
		AttributedAt:      at,
		FirstAttributedAt: at,
		ConvertBy:         s.addDays(at, s.rules.ConvertWithinDays),
	}
	if exists {
		// A take-over keeps the referee's history and welcome rewards.
		next.FirstAttributedAt = cur.FirstAttributedAt
		next.Previous = append(cur.Previous, cur.Referrer.ID())
		next.Grants = cur.Grants
		next.Seq = cur.Seq
		if next.RefereeBuyer == "" {
			next.RefereeBuyer = cur.RefereeBuyer
		}
		next.Identity = cur.Identity.merge(a.Identity)
		old, err := tx.Profile(cur.Referrer.ID())
		if err != nil {
			return err
		}
		old.Superseded++
		if err := tx.PutProfile(old); err != nil {
			return err
		}
		res.TookOver = cur.Referrer.ID()
	} else {
		for _, rw := range s.rules.WelcomeRewards {
			g := next.newGrant(SideReferee, rw, GrantFinal, at, "welcome")
			res.Grants = append(res.Grants, g)
		}
	}
	if len(s.rules.Velocity) > 0 { // the profile changed only to record the attribution time
		if err := tx.PutProfile(prof); err != nil {
			return err
		}
	}
	if err := tx.PutReferral(next); err != nil {
		return err
	}
	res.Referral = next
	return nil
}

// newGrant appends a grant of the referral's next sequence number and returns it.
func (r *Referral) newGrant(side Side, rw Reward, st GrantStatus, at time.Time, note string) Grant {
	r.Seq++
	g := Grant{
		ID:       fmt.Sprintf("%s/%s/%d", r.Referee, side, r.Seq),
		Side:     side,
		Referrer: r.Referrer.ID(),
		Referee:  r.Referee,
		Buyer:    r.RefereeBuyer,
		Reward:   rw,
		Status:   st,
		At:       at,
		Note:     note,
	}
	r.Grants = append(r.Grants, g)
	return g
}

// CheckSelfReferral refuses, with a [*RefusalError] matching [ErrSelfReferral], an
// attribution whose referee is the referrer p itself: its account, its buyer, its company
// (for a buyer), or a party sharing one of its contacts or tax identifiers (compared in
// normalised form, see [Identity]). It is pure: the service runs it, with the checks that
// need the store, on every attribution.
func CheckSelfReferral(p Profile, a Attribution) error {
	p.Identity = p.Identity.normalized()
	a.Identity = a.Identity.normalized()
	ref := p.Referrer
	rid := ref.ID()
	if ref.Account != "" && a.Referee == ref.Account {
		switch ref.Kind {
		case KindBuyer:
			return refuse(ReasonSameCompany, a.Referee, rid, "%s cannot refer its own company %s", ref, a.Referee)
		default:
			return refuse(ReasonSameAccount, a.Referee, rid, "%s cannot refer its own account %s", ref, a.Referee)
		}
	}
	if ref.Kind == KindBuyer && a.Buyer != "" && a.Buyer == ref.Buyer {
		return refuse(ReasonSameBuyer, a.Referee, rid, "buyer %s cannot refer itself (as a buyer of account %s)", a.Buyer, a.Referee)
	}
	if v, ok := firstCommon(p.Identity.TaxIDs, a.Identity.TaxIDs); ok {
		return refuse(ReasonMatchingTaxID, a.Referee, rid, "account %s has the tax identifier %s of %s", a.Referee, v, ref)
	}
	if v, ok := firstCommon(p.Identity.Emails, a.Identity.Emails); ok {
		return refuse(ReasonMatchingContact, a.Referee, rid, "account %s has the e-mail %s of %s", a.Referee, v, ref)
	}
	if v, ok := firstCommon(p.Identity.Phones, a.Identity.Phones); ok {
		return refuse(ReasonMatchingContact, a.Referee, rid, "account %s has the phone %s of %s", a.Referee, v, ref)
	}
	return nil
}

// checkKnownIdentity refuses a referee sharing an identifier with another referee: the
// same company (or person) signing up again under a new account to be referred again.
func checkKnownIdentity(tx ReadTx, a Attribution, rid ReferrerID) error {
	var found error
	a.Identity.Each(func(kind IdentifierKind, value string) {
		if found != nil {
			return
		}
		other, err := tx.RefereeWith(kind, value)
		switch {
		case errors.Is(err, loyalty.ErrNotFound):
		case err != nil:
			found = err
		case other != a.Referee:
			found = refuse(ReasonKnownIdentity, a.Referee, rid, "the %s %s of account %s belongs to account %s, referred before", kind, value, a.Referee, other)
		}
	})
	return found
}

// checkColleague refuses a referee whose buyer is registered as a buyer of the referrer's
// own company: a colleague cannot be referred as a new customer.
func checkColleague(tx ReadTx, ref Referrer, a Attribution) error {
	if a.Buyer == "" || ref.Account == "" {
		return nil
	}
	p, err := tx.Profile(BuyerReferrer("", a.Buyer).ID())
	if errors.Is(err, loyalty.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if p.Referrer.Account == ref.Account {
		return refuse(ReasonSameCompany, a.Referee, ref.ID(), "buyer %s of the referee is a buyer of account %s, the company of %s", a.Buyer, ref.Account, ref)
	}
	return nil
}

// checkTakeOver decides whether an attributed referee may be attributed again.
func (s *Service) checkTakeOver(cur Referral, rid ReferrerID, a Attribution, at time.Time) error {
	if cur.Status != StatusAttributed {
		return refuse(ReasonConverted, a.Referee, rid, "account %s was referred by %s and its referral is %s", a.Referee, cur.Referrer, cur.Status)
	}
	if s.rules.Attribution != LastWithinWindow || cur.Referrer.ID() == rid {
		return refuse(ReasonAttributed, a.Referee, rid, "account %s is already attributed to %s since %s", a.Referee, cur.Referrer, cur.AttributedAt.Format(time.RFC3339))
	}
	if cur.Orders > 0 {
		return refuse(ReasonHasOrdered, a.Referee, rid, "account %s has ordered since its attribution to %s", a.Referee, cur.Referrer)
	}
	if end := s.addDays(cur.FirstAttributedAt, s.rules.AttributionWindowDays); !at.Before(end) {
		return refuse(ReasonWindowClosed, a.Referee, rid, "account %s is attributed to %s; its attribution window closed at %s", a.Referee, cur.Referrer, end.Format(time.RFC3339))
	}
	if at.Before(cur.AttributedAt) {
		return refuse(ReasonAttributed, a.Referee, rid, "account %s was attributed to %s later, at %s", a.Referee, cur.Referrer, cur.AttributedAt.Format(time.RFC3339))
	}
	return nil
}

// maxChain bounds the walk up the referral chain in checkCycle.
const maxChain = 10000

// checkCycle refuses a referral of referee by ref when ref's account was itself referred,
// directly or through a chain, by the referee.
func checkCycle(tx ReadTx, ref Referrer, referee loyalty.AccountID, rid ReferrerID) error {
	cur := ref.Account
	path := []loyalty.AccountID{referee}
	seen := map[loyalty.AccountID]bool{referee: true}
	for range maxChain {
		if cur == "" || seen[cur] {
			return nil // the end of the chain, or an older cycle that does not involve the referee
		}
		seen[cur] = true
		path = append(path, cur)
		r, err := tx.Referral(cur)
		if errors.Is(err, loyalty.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		next := r.Referrer.Account
		if next == referee {
			path = append(path, referee)
			return refuse(ReasonCycle, referee, rid, "%s was itself referred through account %s: %s", ref, referee, chainString(path))
		}
		cur = next
	}
	return nil
}

func chainString(path []loyalty.AccountID) string {
	s := ""
	for i, a := range path {
		if i > 0 {
			s += " → "
		}
		s += string(a)
	}
	return s + " (each referred by the next)"
}

// checkVelocity refuses an attribution over a velocity limit and otherwise records at in
// p.Recent, keeping only what the limits still look at.
func (s *Service) checkVelocity(p *Profile, referee loyalty.AccountID, at time.Time) error {
	if len(s.rules.Velocity) == 0 {
		return nil
	}
	var longest time.Duration
	for _, v := range s.rules.Velocity {
		longest = max(longest, v.Within)
		n := 0
		for _, t := range p.Recent {
			if t.After(at.Add(-v.Within)) {
				n++
			}
		}
		if n >= v.Max {
			return refuse(ReasonVelocity, referee, p.Referrer.ID(), "%s already has %d attributions within %s (limit %d)", p.Referrer, n, v.Within, v.Max)
		}
	}
	recent := p.Recent[:0:0]
	for _, t := range p.Recent {
		if t.After(at.Add(-longest)) {
			recent = append(recent, t)
		}
	}
	p.Recent = append(recent, at)
	return nil
}
