package points_test

import (
	"fmt"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// BenchmarkPlannerPlanPair plans the fuel order at a tier's ×1.5 and without it, as a
// campaign engine prices a multiplier: one call, the rules checked once at NewPlanner.
func BenchmarkPlannerPlanPair(b *testing.B) {
	p, err := newPlanner(b)
	if err != nil {
		b.Fatal(err)
	}
	o := fuelOrder("o")
	silver := decimal.RequireFromString("1.5")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := p.PlanPair(o, silver, decimal.Zero); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanMultiplied is Rules.Plan at a tier's ×1.5 (the rules checked every call).
func BenchmarkPlanMultiplied(b *testing.B) {
	rules := fuelCardRules()
	o := fuelOrder("o")
	silver := decimal.RequireFromString("1.5")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := rules.Plan(o, silver); err != nil {
			b.Fatal(err)
		}
	}
}

func newPlanner(b *testing.B) (*points.Planner, error) {
	b.Helper()
	return points.NewPlanner(fuelCardRules())
}

// BenchmarkPlannerPlanPairTotals plans a 10-line order of two categories at a campaign's
// ×3 and at the tier's ×1.5, with the line totals known, as campaign's Evaluate does: two
// rates (2 points per full 100 on tools, 1 point per full 100 on the rest).
func BenchmarkPlannerPlanPairTotals(b *testing.B) {
	p, err := points.NewPlanner(points.Rules{Rates: []points.Rate{
		{Categories: []loyalty.CategoryID{"tools"}, Points: 2, Per: decimal.NewFromInt(100)},
		{Points: 1, Per: decimal.NewFromInt(100)},
	}})
	if err != nil {
		b.Fatal(err)
	}
	o := loyalty.Order{ID: "o", Account: "acme", Currency: rub, PlacedAt: t0}
	for i := range 10 {
		cat := "tools"
		if i%3 == 0 {
			cat = "misc"
		}
		o.Lines = append(o.Lines, line(fmt.Sprintf("sku-%d", i), cat, fmt.Sprint(1+i%7), "123.45"))
	}
	totals, err := o.LineTotals()
	if err != nil {
		b.Fatal(err)
	}
	m, base := decimal.RequireFromString("3"), decimal.RequireFromString("1.5")
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, _, err := p.PlanPairTotals(o, totals, m, base); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The plans' lines in memory the caller reuses, as an engine's evaluation can.
	b.Run("into", func(b *testing.B) {
		lines, other := make([]points.LinePlan, len(o.Lines)), make([]points.LinePlan, len(o.Lines))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, _, err := p.PlanPairTotalsInto(lines, other, o, totals, m, base); err != nil {
				b.Fatal(err)
			}
		}
	})
}
