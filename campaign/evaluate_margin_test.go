package campaign_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// The margin is the Money arithmetic's over the costed lines, also for costs near the
// limit of Money, and a margin beyond that limit is an error naming the margin.
func TestEvaluateMarginAtTheLimits(t *testing.T) {
	p := reference()
	p.Discounts.Floor = discount.Floor{MinMarkup: decimal.Zero}
	e, clock := newEngine(t, p)
	credit(t, e, "acme", 5000)
	huge := pr("9000000000000") // × 10,000 units: 9·10¹⁸ kopeks, near the largest Money
	for _, tc := range []struct {
		name     string
		costs    []loyalty.Price
		overflow bool
	}{
		{"one huge cost", []loyalty.Price{huge, {}}, false},
		{"huge and unknown", []loyalty.Price{{}, huge, pr("1")}, false},
		{"two huge costs", []loyalty.Price{huge, huge}, true},
		{"three huge costs", []loyalty.Price{huge, pr("1"), huge, huge}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := order("o-"+strings.ReplaceAll(tc.name, " ", "-"), "acme", clock.Now())
			for i, c := range tc.costs {
				l := line("sku", "tools", "10000", "12.34", "")
				l.SKU, l.UnitCost = loyalty.SKU(rune('a'+i)), c
				o.Lines = append(o.Lines, l)
			}
			q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{RedeemPoints: points.Points(100)})
			if tc.overflow {
				if !errors.Is(err, loyalty.ErrOverflow) || !strings.HasPrefix(err.Error(), "campaign: evaluate: margin: ") {
					t.Fatalf("Evaluate = %v, want the margin's overflow", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The margin added up line by line with Money (the points' value split like
			// the redemption).
			cur := o.Currency
			z := loyalty.Zero(cur)
			rev, cost, paid := z, z, z
			var unknown []int
			for i, l := range q.Lines {
				if !o.Lines[i].HasCost() {
					unknown = append(unknown, i)
					continue
				}
				rev, _ = rev.Add(l.Base)
				cost, _ = cost.Add(l.Cost)
				paid, _ = paid.Add(l.Total)
			}
			before, _ := rev.Sub(cost)
			afterDisc, _ := paid.Sub(cost)
			m := q.Margin
			if !m.Revenue.Equal(rev) || !m.Cost.Equal(cost) || !m.Before.Equal(before) || !m.AfterDiscounts.Equal(afterDisc) ||
				m.Known != (len(unknown) == 0) || len(m.Unknown) != len(unknown) || m.After.MinorUnits() > m.AfterDiscounts.MinorUnits() {
				t.Fatalf("margin %+v; want revenue %s, cost %s, before %s, after discounts %s, unknown %v", m, rev, cost, before, afterDisc, unknown)
			}
		})
	}
}
