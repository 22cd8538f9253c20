package points_test

import (
	"testing"

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
