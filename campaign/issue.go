package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
)

// IssueCodes issues the periodic codes of a promo family with an Issuance schedule
// (promo.Service.Issue): when req.Buyers is empty, every account the engine knows is a
// candidate, with the time of its latest purchase, so that the schedule's ActiveMonths
// picks the recent buyers ("every two weeks, fresh codes to everyone who bought in the last
// two months"). It is idempotent by req.Key like promo.Service.Issue.
func (e *Engine) IssueCodes(ctx context.Context, req promo.IssueRequest) (promo.Batch, error) {
	if len(req.Buyers) == 0 {
		buyers, err := e.Buyers(ctx)
		if err != nil {
			return promo.Batch{}, err
		}
		req.Buyers = buyers
	}
	b, err := e.codes.Issue(ctx, req)
	if err != nil {
		return promo.Batch{}, fmt.Errorf("campaign: issue codes: %w", err)
	}
	return b, nil
}

// Buyers returns every account the engine knows with the time of its latest purchase (zero
// for an account whose history lists none), in increasing order of account ID. It reads the
// OrderStore page by page.
func (e *Engine) Buyers(ctx context.Context) ([]promo.Buyer, error) {
	const page = 1000
	var out []promo.Buyer
	var after loyalty.AccountID
	for {
		var recs []AccountRecord
		err := e.stores.Orders.View(ctx, func(tx OrderReadTx) error {
			var err error
			recs, err = tx.Accounts(after, page)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("campaign: buyers: %w", err)
		}
		for _, r := range recs {
			var last time.Time
			for _, p := range r.History.Purchases {
				if p.Amount.IsPositive() && p.At.After(last) {
					last = p.At
				}
			}
			out = append(out, promo.Buyer{Account: r.Account, LastPurchase: last})
		}
		if len(recs) < page {
			return out, nil
		}
		after = recs[len(recs)-1].Account
	}
}
