package campaign

import (
	"context"
	"fmt"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/referral"
)

// SettleReferrals makes final the referral conversions whose return window has closed by
// the clock's now (referral.Service.Settle) and grants their points rewards with
// [Engine.GrantReferral]. It returns the settlement, whose other rewards (discounts, promo
// codes, money credits) are the caller's to grant, and the postings of the points granted.
// Settling is idempotent; when crediting fails part-way, the error says so and the grants of
// the returned settlement can be granted again with GrantReferral (each is keyed by its ID).
// A program without referrals settles nothing.
func (e *Engine) SettleReferrals(ctx context.Context) (referral.SettleResult, []points.Posting, error) {
	if e.referrals == nil {
		return referral.SettleResult{}, nil, nil
	}
	res, err := e.referrals.Settle(ctx)
	if err != nil {
		return res, nil, fmt.Errorf("campaign: settle referrals: %w", err)
	}
	var posts []points.Posting
	for _, g := range res.Grants {
		p, ok, err := e.GrantReferral(ctx, g)
		if err != nil {
			return res, posts, err
		}
		if ok {
			posts = append(posts, p)
		}
	}
	return res, posts, nil
}

// GrantReferral credits a final referral grant's points to its holder — the referrer (its
// company account, or the referring buyer) or the referee account — as a ledger credit keyed
// by the grant's ID, so granting twice credits once. ok is false for grants that are not
// final, not points, or go to a partner (partners hold no points here).
func (e *Engine) GrantReferral(ctx context.Context, g referral.Grant) (p points.Posting, ok bool, err error) {
	if g.Status != referral.GrantFinal || g.Reward.Kind != referral.RewardPoints || g.Reward.Points <= 0 {
		return points.Posting{}, false, nil
	}
	var h points.Holder
	switch {
	case g.Side == referral.SideReferee:
		h = points.ForAccount(g.Referee)
	default:
		ref, err := e.referralHolder(ctx, g.Referrer)
		if err != nil {
			return points.Posting{}, false, err
		}
		if ref.IsZero() {
			return points.Posting{}, false, nil
		}
		h = ref
	}
	p, err = e.ledger.Adjust(ctx, points.Adjustment{Key: loyalty.IdempotencyKey("referral/" + g.ID), Holder: h,
		Points: points.Points(g.Reward.Points), Reason: "referral reward " + g.ID, Actor: "campaign"})
	if err != nil {
		return points.Posting{}, false, fmt.Errorf("campaign: grant referral %s: %w", g.ID, err)
	}
	return p, true, nil
}

func (e *Engine) referralHolder(ctx context.Context, id referral.ReferrerID) (points.Holder, error) {
	var r referral.Referrer
	err := e.stores.Referrals.View(ctx, func(tx referral.ReadTx) error {
		p, err := tx.Profile(id)
		r = p.Referrer
		return err
	})
	if err != nil {
		return points.Holder{}, fmt.Errorf("campaign: referrer %s: %w", id, err)
	}
	switch r.Kind {
	case referral.KindAccount:
		return points.ForAccount(r.Account), nil
	case referral.KindBuyer:
		return points.ForBuyer(r.Buyer), nil
	}
	return points.Holder{}, nil
}
