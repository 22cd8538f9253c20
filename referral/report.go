package referral

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
)

// RewardTotals sums rewards by kind: points, money credit, and the number of discount and
// promo-code rewards.
// A RewardTotals is a plain value, safe for concurrent use when not modified.
type RewardTotals struct {
	Grants    int           `json:"grants"`
	Points    int64         `json:"points"`
	Credit    loyalty.Money `json:"credit"`
	Discounts int           `json:"discounts"`
	Promos    int           `json:"promos"`
}

func (t *RewardTotals) add(rw Reward) error {
	t.Grants++
	switch rw.Kind {
	case RewardPoints:
		t.Points += rw.Points
	case RewardCredit:
		sum, err := t.Credit.Add(rw.Credit)
		if err != nil {
			return err
		}
		t.Credit = sum
	case RewardDiscount:
		t.Discounts++
	case RewardPromo:
		t.Promos++
	}
	return nil
}

// Report is what one referrer has brought and earned, as of a time.
// A Report is a plain value, safe for concurrent use when not modified.
type Report struct {
	Referrer Referrer `json:"referrer"`
	Code     string   `json:"code"`
	// Attributed counts every referee currently attributed to the referrer, in any status:
	// Attributed = Open + Expired + Pending + Converted + Cancelled.
	Attributed int `json:"attributed"`
	// Open counts referees that may still convert; Expired those whose conversion window
	// closed without a conversion.
	Open    int `json:"open"`
	Expired int `json:"expired"`
	// Pending counts conversions inside their return window; Converted final conversions;
	// Cancelled conversions cancelled by a return.
	Pending   int `json:"pending"`
	Converted int `json:"converted"`
	Cancelled int `json:"cancelled"`
	// Superseded counts referees taken over by another referrer.
	Superseded int `json:"superseded"`
	// Granted sums the referrer's final rewards, milestones included; PendingRewards its
	// pending ones; Withheld counts rewards withheld by caps.
	Granted        RewardTotals `json:"granted"`
	PendingRewards RewardTotals `json:"pending_rewards"`
	Withheld       int          `json:"withheld"`
	// RefereeGranted sums the final rewards of the referrer's referees (welcome rewards
	// included).
	RefereeGranted RewardTotals `json:"referee_granted"`
}

// Report returns the report of referrer r as of the service clock's now, or
// [ErrUnknownReferrer].
func (s *Service) Report(ctx context.Context, r Referrer) (Report, error) {
	now := s.now()
	var rep Report
	err := s.store.View(ctx, func(tx ReadTx) error {
		p, err := tx.Profile(r.ID())
		if errors.Is(err, loyalty.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrUnknownReferrer, r)
		}
		if err != nil {
			return err
		}
		refs, err := tx.ReferralsBy(r.ID())
		if err != nil {
			return err
		}
		rep, err = buildReport(p, refs, now)
		return err
	})
	return rep, err
}

// buildReport computes a referrer's report from its profile and referrals, as of now.
func buildReport(p Profile, refs []Referral, now time.Time) (Report, error) {
	rep := Report{Referrer: p.Referrer, Code: p.Code, Attributed: len(refs), Superseded: p.Superseded}
	var errs []error
	tally := func(g Grant) {
		switch {
		case g.Status == GrantWithheld && g.Side == SideReferrer:
			rep.Withheld++
		case g.Status == GrantFinal && g.Side == SideReferrer:
			errs = append(errs, rep.Granted.add(g.Reward))
		case g.Status == GrantPending && g.Side == SideReferrer:
			errs = append(errs, rep.PendingRewards.add(g.Reward))
		case g.Status == GrantFinal && g.Side == SideReferee:
			errs = append(errs, rep.RefereeGranted.add(g.Reward))
		}
	}
	for _, r := range refs {
		switch r.Status {
		case StatusAttributed:
			if now.Before(r.ConvertBy) {
				rep.Open++
			} else {
				rep.Expired++
			}
		case StatusPending:
			rep.Pending++
		case StatusFinal:
			rep.Converted++
		case StatusCancelled:
			rep.Cancelled++
		}
		for _, g := range r.Grants {
			if g.Referrer == p.Referrer.ID() || g.Side == SideReferee {
				tally(g)
			}
		}
	}
	return rep, errors.Join(errs...)
}
