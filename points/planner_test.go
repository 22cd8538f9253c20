package points_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// genRules draws valid earning rules: block, share and per-unit rates scoped by category,
// exclusions, an order bonus and a rounding mode.
var genRules = rapid.Custom(func(t *rapid.T) points.Rules {
	var r points.Rules
	for i := range rapid.IntRange(0, 3).Draw(t, "rates") {
		rate := points.Rate{}
		if rapid.Bool().Draw(t, fmt.Sprintf("scoped%d", i)) {
			rate.Categories = []loyalty.CategoryID{rapid.SampledFrom([]loyalty.CategoryID{"fuel", "shop", "air"}).Draw(t, "cat")}
		}
		switch rapid.IntRange(0, 2).Draw(t, fmt.Sprintf("kind%d", i)) {
		case 0:
			rate.Points = points.Points(rapid.Int64Range(1, 5).Draw(t, "points"))
			rate.Per = rapid.SampledFrom([]decimal.Decimal{dec("10"), dec("0.5"), dec("0.001"), dec("100.00"), dec("7.3")}).Draw(t, "per")
		case 1:
			rate.ShareOfPrice = rapid.SampledFrom([]decimal.Decimal{dec("0.05"), dec("0.010"), dec("1"), dec("0.0333333333333333333333")}).Draw(t, "share")
		default:
			rate.PerUnit = points.Points(rapid.Int64Range(1, 5).Draw(t, "per_unit"))
		}
		r.Rates = append(r.Rates, rate)
	}
	if rapid.Bool().Draw(t, "exclude") {
		r.Exclude.Categories = []loyalty.CategoryID{"air"}
	}
	r.OrderBonus = points.Points(rapid.Int64Range(0, 100).Draw(t, "bonus"))
	r.Rounding = rapid.SampledFrom([]loyalty.RoundingMode{loyalty.HalfUp, loyalty.HalfEven, loyalty.Down, loyalty.Up}).Draw(t, "rounding")
	return r
})

var genOrder = rapid.Custom(func(t *rapid.T) loyalty.Order {
	o := order()
	for range rapid.IntRange(1, 20).Draw(t, "lines") {
		o.Lines = append(o.Lines, line("sku", rapid.SampledFrom([]string{"fuel", "shop", "air", "misc"}).Draw(t, "cat"),
			rapid.SampledFrom([]string{"1", "2", "12.5", "0.3", "40"}).Draw(t, "qty"),
			rapid.SampledFrom([]string{"55.40", "149.00", "0.01", "9999.90", "123.45"}).Draw(t, "price")))
	}
	return o
})

var genMultiplier = rapid.SampledFrom([]decimal.Decimal{decimal.Zero, dec("1"), dec("1.5"), dec("1.50"), dec("2"), dec("1.25"),
	dec("3.1415926535897932384626"), dec("0.5")})

// TestPropPlannerPlansAsRules checks that a Planner's plans, one at a time or two at once, are
// exactly those of Rules.Plan (over more than 16 lines too, beyond the stack buffers).
func TestPropPlannerPlansAsRules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, o := genRules.Draw(t, "rules"), genOrder.Draw(t, "order")
		m1, m2 := genMultiplier.Draw(t, "m1"), genMultiplier.Draw(t, "m2")
		p, err := points.NewPlanner(r)
		if err != nil {
			t.Fatal(err)
		}
		want1, err1 := r.Plan(o, m1)
		want2, err2 := r.Plan(o, m2)
		got, err := p.Plan(o, m1)
		if fmt.Sprint(err) != fmt.Sprint(err1) {
			t.Fatalf("Planner.Plan error %v, Rules.Plan %v", err, err1)
		}
		if diff := cmp.Diff(want1, got); diff != "" {
			t.Fatalf("Planner.Plan differs from Rules.Plan (-want +got):\n%s", diff)
		}
		a, b, err := p.PlanPair(o, m1, m2)
		if (err != nil) != (err1 != nil || err2 != nil) {
			t.Fatalf("PlanPair error %v, Rules.Plan %v, %v", err, err1, err2)
		}
		if err != nil {
			return
		}
		if diff := cmp.Diff([]points.Plan{want1, want2}, []points.Plan{a, b}); diff != "" {
			t.Fatalf("PlanPair differs from two Rules.Plan (-want +got):\n%s", diff)
		}
		a.Lines[0].Points++ // the two plans share no memory
		if b.Lines[0].Points != want2.Lines[0].Points {
			t.Fatal("PlanPair's plans share their lines")
		}
		// With the line totals given, the same plans.
		totals, err := o.LineTotals()
		if err != nil {
			t.Fatal(err)
		}
		got, err = p.PlanTotals(o, totals, m1)
		if err != nil {
			t.Fatalf("PlanTotals: %v", err)
		}
		if diff := cmp.Diff(want1, got); diff != "" {
			t.Fatalf("PlanTotals differs from Rules.Plan (-want +got):\n%s", diff)
		}
		a, b, err = p.PlanPairTotals(o, totals, m1, m2)
		if err != nil {
			t.Fatalf("PlanPairTotals: %v", err)
		}
		if diff := cmp.Diff([]points.Plan{want1, want2}, []points.Plan{a, b}); diff != "" {
			t.Fatalf("PlanPairTotals differs from two Rules.Plan (-want +got):\n%s", diff)
		}
	})
}

// TestPropPlanTotalsAtPaidAmounts checks that planning an order at other line amounts (what
// each line costs after discounts) gives the plan of a copy of the order whose lines cost
// those amounts, as PlanTotals documents: the planner never reads the lines' prices.
func TestPropPlanTotalsAtPaidAmounts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, o := genRules.Draw(t, "rules"), genOrder.Draw(t, "order")
		m1, m2 := genMultiplier.Draw(t, "m1"), genMultiplier.Draw(t, "m2")
		p, err := points.NewPlanner(r)
		if err != nil {
			t.Fatal(err)
		}
		paid := o
		paid.Lines = append([]loyalty.Line(nil), o.Lines...)
		for i := range paid.Lines {
			if rapid.Bool().Draw(t, fmt.Sprintf("discounted%d", i)) {
				paid.Lines[i].UnitPrice = loyalty.MustPrice(rapid.SampledFrom([]string{"0.01", "1.00", "49.86", "110.11", "8999.91"}).Draw(t, "paid"), "RUB")
			}
		}
		totals, err := paid.LineTotals()
		if err != nil {
			t.Fatal(err)
		}
		want, err := r.Plan(paid, m1)
		if err != nil {
			t.Fatalf("Rules.Plan of the paid copy: %v", err)
		}
		got, err := p.PlanTotals(o, totals, m1)
		if err != nil {
			t.Fatalf("PlanTotals at the paid amounts: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("PlanTotals at the paid amounts differs from the plan of the paid copy (-want +got):\n%s", diff)
		}
		want2, err := r.Plan(paid, m2)
		if err != nil {
			t.Fatalf("Rules.Plan of the paid copy: %v", err)
		}
		a, b, err := p.PlanPairTotals(o, totals, m1, m2)
		if err != nil {
			t.Fatalf("PlanPairTotals at the paid amounts: %v", err)
		}
		if diff := cmp.Diff([]points.Plan{want, want2}, []points.Plan{a, b}); diff != "" {
			t.Fatalf("PlanPairTotals at the paid amounts differs from the plans of the paid copy (-want +got):\n%s", diff)
		}
	})
}

func TestPlannerBadInput(t *testing.T) {
	if _, err := points.NewPlanner(points.Rules{Rates: []points.Rate{{Points: 1}}}); !errors.Is(err, loyalty.ErrInvalid) ||
		!strings.Contains(err.Error(), "points: rules: rates[0].per: must be positive (got 0)") {
		t.Errorf("NewPlanner of invalid rules: %v", err)
	}
	p, err := points.NewPlanner(points.Rules{Rates: []points.Rate{{Points: 1, Per: dec("10")}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		order  loyalty.Order
		m1, m2 decimal.Decimal
		want   string
	}{
		{"order without lines", order(), decimal.Zero, decimal.Zero, "points: order: lines: must not be empty"},
		{"negative multiplier", order(line("a", "x", "1", "10")), dec("-1.5"), decimal.Zero, "multiplier: must be positive (got -1.5)"},
		{"negative second multiplier", order(line("a", "x", "1", "10")), decimal.Zero, dec("-2"), "multiplier: must be positive (got -2)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := p.PlanPair(tt.order, tt.m1, tt.m2)
			if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("PlanPair error = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
			if tt.m2.IsZero() {
				if _, err := p.Plan(tt.order, tt.m1); !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Plan error = %v, want ErrInvalid mentioning %q", err, tt.want)
				}
			}
		})
	}
	two := order(line("a", "x", "1", "10"), line("b", "x", "1", "10"))
	if _, err := p.PlanTotals(two, []loyalty.Money{loyalty.MustMoney("10", "RUB")}, decimal.Zero); !errors.Is(err, loyalty.ErrInvalid) ||
		!strings.Contains(err.Error(), "totals: must have one amount per order line (2) (got 1)") {
		t.Errorf("PlanTotals with one total for two lines: %v", err)
	}
	if got := p.Rules(); len(got.Rates) != 1 || got.Rates[0].Points != 1 {
		t.Errorf("Rules() = %+v", got)
	}
}

// ExamplePlanner plans an order at a Silver tier's ×1.5 and without it, as a campaign's
// cost is computed: one point per full 10 on 2,216.00 is 221 points, 331.5 → 332 at ×1.5.
func ExamplePlanner() {
	p, err := points.NewPlanner(points.Rules{Rates: []points.Rate{{Points: 1, Per: decimal.NewFromInt(10)}}})
	if err != nil {
		panic(err)
	}
	o := loyalty.Order{ID: "o1", Account: "acme", Currency: loyalty.MustCurrency("RUB"), PlacedAt: t0,
		Lines: []loyalty.Line{line("ai95", "fuel", "40", "55.40")}}
	silver, plain, err := p.PlanPair(o, decimal.RequireFromString("1.5"), decimal.Zero)
	if err != nil {
		panic(err)
	}
	fmt.Println(silver.Total, plain.Total)
	// Output: 332 221
}
