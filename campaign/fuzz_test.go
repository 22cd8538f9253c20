package campaign_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/promo"
)

// FuzzEvaluate feeds orders read from arbitrary JSON to the reference program with its five
// campaigns: Evaluate never panics, and what it refuses is bad input or an out-of-range
// amount.
func FuzzEvaluate(f *testing.F) {
	for _, o := range []loyalty.Order{
		order("o1", "acme", t0, line("drill", "tools", "2", "5000", "3000"), line("tape", "misc", "0.5", "0.0001", "")),
		order("o2", "acme", t0, line("bolt", "tools", "300000", "0.3555", "0.30")),
	} {
		o.Codes = []string{"SAVE10", "nope", ""}
		b, err := json.Marshal(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), int64(0))
		f.Add(string(b), int64(50))
	}
	f.Add(`{"id":"x","account":"a","currency":"RUB","placed_at":"2026-03-02T10:00:00Z","lines":[{"sku":"s","quantity":"9999999","unit_price":{"amount":"999999999","currency":"RUB"},"unit_cost":null}]}`, int64(1))
	e, _, _ := newHooked(f, referenceCampaigns())
	if _, err := e.Codes().AddCode(ctx, promo.Code{Code: "SAVE10B", Definition: "SAVE10"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, redeem int64) {
		var o loyalty.Order
		if json.Unmarshal([]byte(s), &o) != nil {
			return
		}
		_, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{RedeemPoints: pointsOf(redeem)})
		if err != nil && !errors.Is(err, loyalty.ErrInvalid) && !errors.Is(err, loyalty.ErrOverflow) &&
			!errors.Is(err, loyalty.ErrCurrencyMismatch) {
			t.Fatalf("unexpected error: %v", err)
		}
	})
}
