package points

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// decimalOnly is m without its integer form: Rate.points (with the zero rateCalc) and
// perUnitPoints then take the exact decimal path that Rules.Plan always took before the
// integer paths existed.
func decimalOnly(m multiplier) multiplier { return multiplier{d: m.d} }

var genMode = rapid.SampledFrom([]loyalty.RoundingMode{
	loyalty.HalfUp, loyalty.HalfEven, loyalty.Up, loyalty.Down, loyalty.Ceiling, loyalty.Floor,
})

// genPositiveDecimal draws positive decimals of up to 18 digits, trailing zeros included
// ("1.50", "2E+1"), for rates and multipliers.
var genPositiveDecimal = rapid.Custom(func(t *rapid.T) decimal.Decimal {
	digits := rapid.IntRange(1, 18).Draw(t, "digits")
	limit := int64(1)
	for range digits {
		limit *= 10
	}
	return decimal.New(rapid.Int64Range(1, limit-1).Draw(t, "coef"), int32(rapid.IntRange(-20, 2).Draw(t, "exp")))
})

// TestPropIntegerPathsMatchDecimal checks that the integer arithmetic of a rate's points
// (blocks, share of price, per unit, at any multiplier) gives exactly what the decimal path
// gives, errors included.
func TestPropIntegerPathsMatchDecimal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := genMode.Draw(t, "mode")
		m := newMultiplier(rapid.OneOf(genPositiveDecimal, rapid.SampledFrom([]decimal.Decimal{
			one, decimal.RequireFromString("1.5"), decimal.RequireFromString("1.50"), decimal.RequireFromString("2"),
			decimal.New(2, 1), decimal.RequireFromString("1.25")})).Draw(t, "multiplier"))
		group := rapid.OneOf(rapid.Int64Range(0, 1e9), rapid.Int64Range(0, 1<<62)).Draw(t, "group")
		digits := rapid.SampledFrom([]int{0, 2, 3}).Draw(t, "digits")
		var rate Rate
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			rate.Points = Points(rapid.Int64Range(1, 1e6).Draw(t, "points"))
			rate.Per = rapid.OneOf(genPositiveDecimal, rapid.SampledFrom([]decimal.Decimal{
				decimal.RequireFromString("10"), decimal.RequireFromString("0.5"), decimal.RequireFromString("100.00")})).Draw(t, "per")
		case 1:
			rate.ShareOfPrice = rapid.OneOf(genPositiveDecimal, rapid.SampledFrom([]decimal.Decimal{
				decimal.RequireFromString("0.05"), decimal.RequireFromString("0.050"), decimal.RequireFromString("1")})).Draw(t, "share")
		default:
			units := rapid.OneOf(rapid.Int64Range(0, 1e6), rapid.Int64Range(0, 1<<62)).Draw(t, "units")
			per := Points(rapid.Int64Range(1, 1e6).Draw(t, "per_unit"))
			got, err := perUnitPoints(units, per, &m, mode)
			dm := decimalOnly(m)
			want, wantErr := perUnitPoints(units, per, &dm, mode)
			check(t, got, err, want, wantErr)
			return
		}
		c := newRateCalc(&rate, digits)
		got, err := rate.points(3, group, digits, &c, &m, mode)
		dm := decimalOnly(m)
		want, wantErr := rate.points(3, group, digits, &rateCalc{}, &dm, mode)
		check(t, got, err, want, wantErr)
	})
}

func check(t *rapid.T, got Points, err error, want Points, wantErr error) {
	t.Helper()
	if (err != nil) != (wantErr != nil) || (err != nil && errors.Is(wantErr, loyalty.ErrOverflow) != errors.Is(err, loyalty.ErrOverflow)) {
		t.Fatalf("error %v, want %v", err, wantErr)
	}
	if err == nil && got != want {
		t.Fatalf("%d points, want %d", got, want)
	}
}

// TestPlannerNeedsNoDecimalsForTheCommonCases checks that the integer paths are taken (no
// allocation) for block rates, shares of price and per-unit rates at a ×1.5 tier.
func TestPlannerNeedsNoDecimalsForTheCommonCases(t *testing.T) {
	m := newMultiplier(decimal.RequireFromString("1.5"))
	block := Rate{Points: 1, Per: decimal.RequireFromString("10")}
	share := Rate{ShareOfPrice: decimal.RequireFromString("0.05")}
	bc, sc := newRateCalc(&block, 2), newRateCalc(&share, 2)
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = block.points(0, 221600, 2, &bc, &m, loyalty.HalfUp)
		_, _ = share.points(0, 900000, 2, &sc, &m, loyalty.HalfUp)
		_, _ = perUnitPoints(12, 3, &m, loyalty.HalfUp)
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want none", allocs)
	}
	if got, _ := block.points(0, 221600, 2, &bc, &m, loyalty.HalfUp); got != 332 { // 221 blocks × 1.5 = 331.5
		t.Errorf("221 blocks × 1.5 = %d, want 332", got)
	}
	if got, _ := share.points(0, 900000, 2, &sc, &m, loyalty.HalfUp); got != 675 { // 9,000.00 × 0.05 × 1.5
		t.Errorf("5%% of 9,000.00 × 1.5 = %d, want 675", got)
	}
}

// referencePlan is what Rules.Plan documents, computed the plain way: every rate's points in
// exact decimals, split over all the order's lines (zero weights for the lines of other
// rates), the bonus split over the eligible lines.
func referencePlan(r Rules, o loyalty.Order, mult decimal.Decimal) (Plan, error) {
	if mult.IsZero() {
		mult = one
	}
	m := multiplier{d: mult}
	n := len(o.Lines)
	p := Plan{Order: o.ID, Lines: make([]LinePlan, n)}
	totals, eligible := make([]int64, n), make([]int64, n)
	for i, l := range o.Lines {
		t, err := l.Total()
		if err != nil {
			return Plan{}, err
		}
		totals[i] = t.MinorUnits()
		p.Lines[i] = LinePlan{Quantity: l.Quantity, Rate: -1}
		if r.Exclude.excludes(&o.Lines[i]) {
			p.Lines[i].Excluded = true
			continue
		}
		eligible[i] = totals[i]
		for k := range r.Rates {
			if r.Rates[k].matches(&o.Lines[i]) {
				p.Lines[i].Rate = k
				break
			}
		}
	}
	for k := range r.Rates {
		rate := &r.Rates[k]
		weights := make([]int64, n)
		var group int64
		for i := range p.Lines {
			if p.Lines[i].Rate != k {
				continue
			}
			weights[i] = totals[i]
			group += totals[i]
			if rate.PerUnit != 0 {
				pts, err := perUnitPoints(o.Lines[i].Quantity.Floor(), rate.PerUnit, &m, r.Rounding)
				if err != nil {
					return Plan{}, err
				}
				p.Lines[i].Points = pts
			}
		}
		if rate.PerUnit != 0 || group == 0 {
			continue
		}
		pts, err := rate.points(k, group, o.Currency.Digits(), &rateCalc{}, &m, r.Rounding)
		if err != nil {
			return Plan{}, err
		}
		if err := addAllocated(p.Lines, pts, weights); err != nil {
			return Plan{}, err
		}
	}
	if r.OrderBonus > 0 && slices.ContainsFunc(eligible, func(w int64) bool { return w > 0 }) {
		if err := addAllocated(p.Lines, r.OrderBonus, eligible); err != nil {
			return Plan{}, err
		}
	}
	for _, l := range p.Lines {
		p.Total += l.Points
	}
	return p, nil
}

// genScope draws a rate's or an exclusion's scope over categories, SKUs and tags.
func genScope(t *rapid.T, label string) (cats []loyalty.CategoryID, skus []loyalty.SKU, tags []string) {
	switch rapid.IntRange(0, 4).Draw(t, label) {
	case 1:
		cats = rapid.SliceOfNDistinct(rapid.SampledFrom([]loyalty.CategoryID{"fuel", "shop", "air", "tools"}), 1, 2, rapid.ID).Draw(t, label+".cats")
	case 2:
		skus = []loyalty.SKU{rapid.SampledFrom([]loyalty.SKU{"a", "b", "c"}).Draw(t, label+".sku")}
	case 3:
		tags = []string{rapid.SampledFrom([]string{"gift", "bundle"}).Draw(t, label+".tag")}
	case 4:
		cats, skus = []loyalty.CategoryID{"tools"}, []loyalty.SKU{"b"}
	}
	return cats, skus, tags
}

// TestPropPlannerMatchesReference checks a Planner's plans (one at a time, in pairs, in the
// caller's memory or not) against referencePlan, over rates scoped by category, SKU and
// tag, exclusions, bonuses, currencies of 0 to 4 digits, orders and rate lists beyond the stack
// buffers: splitting a rate's points over its own lines only gives what splitting them over
// every line gives.
func TestPropPlannerMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var r Rules
		for i := range rapid.IntRange(0, 10).Draw(t, "rates") { // beyond the 8 rates of the stack buffers
			var rate Rate
			rate.Categories, rate.SKUs, rate.Tags = genScope(t, fmt.Sprintf("rate%d", i))
			switch rapid.IntRange(0, 2).Draw(t, "kind") {
			case 0:
				rate.Points = Points(rapid.Int64Range(1, 5).Draw(t, "points"))
				rate.Per = rapid.SampledFrom([]decimal.Decimal{decimal.RequireFromString("10"), decimal.RequireFromString("0.5"),
					decimal.RequireFromString("0.001"), decimal.RequireFromString("100.00"), decimal.RequireFromString("7.3")}).Draw(t, "per")
			case 1:
				rate.ShareOfPrice = rapid.SampledFrom([]decimal.Decimal{decimal.RequireFromString("0.05"), decimal.RequireFromString("0.010"),
					decimal.RequireFromString("1"), decimal.RequireFromString("0.0333333333333333333333")}).Draw(t, "share")
			default:
				rate.PerUnit = Points(rapid.Int64Range(1, 5).Draw(t, "per_unit"))
			}
			r.Rates = append(r.Rates, rate)
		}
		r.Exclude.Categories, r.Exclude.SKUs, r.Exclude.Tags = genScope(t, "exclude")
		r.Exclude.Promotions = rapid.Bool().Draw(t, "exclude.promotions")
		r.OrderBonus = Points(rapid.SampledFrom([]int64{0, 0, 1, 7, 100}).Draw(t, "bonus"))
		r.Rounding = genMode.Draw(t, "rounding")
		cur := loyalty.MustCurrency(rapid.SampledFrom([]string{"RUB", "JPY", "KWD", "CLF"}).Draw(t, "currency"))
		o := loyalty.Order{ID: "o", Account: "acme", Currency: cur, PlacedAt: time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)}
		for range rapid.IntRange(1, 20).Draw(t, "lines") {
			l := loyalty.Line{
				SKU:         rapid.SampledFrom([]loyalty.SKU{"a", "b", "c", "d"}).Draw(t, "sku"),
				Category:    rapid.SampledFrom([]loyalty.CategoryID{"fuel", "shop", "air", "tools", "misc"}).Draw(t, "cat"),
				Quantity:    loyalty.MustQuantity(rapid.SampledFrom([]string{"1", "2", "12.5", "0.3", "40"}).Draw(t, "qty")),
				UnitPrice:   loyalty.MustPrice(rapid.SampledFrom([]string{"55.4", "149", "0.01", "9999.9", "123.45", "7"}).Draw(t, "price"), cur.Code()),
				OnPromotion: rapid.Bool().Draw(t, "promo"),
			}
			if rapid.Bool().Draw(t, "tagged") {
				l.Tags = []string{rapid.SampledFrom([]string{"gift", "bundle", "other"}).Draw(t, "tag")}
			}
			o.Lines = append(o.Lines, l)
		}
		m1, m2 := genMultiplierDecimal.Draw(t, "m1"), genMultiplierDecimal.Draw(t, "m2")
		p, err := NewPlanner(r)
		if err != nil {
			t.Fatal(err)
		}
		want1, err1 := referencePlan(r, o, m1)
		want2, err2 := referencePlan(r, o, m2)
		if err1 != nil || err2 != nil {
			t.Fatalf("reference: %v, %v", err1, err2) // the values drawn never overflow
		}
		got, err := r.Plan(o, m1)
		if err != nil {
			t.Fatalf("Rules.Plan: %v", err)
		}
		if diff := cmp.Diff(want1, got); diff != "" {
			t.Fatalf("Rules.Plan differs from the reference (-want +got):\n%s", diff)
		}
		totals, err := o.LineTotals()
		if err != nil {
			t.Fatal(err)
		}
		n := len(o.Lines)
		// Buffers of the capacity of the order, larger, or too small (new memory).
		caps := []int{n, n + 3, n - 1}
		buf1 := make([]LinePlan, 0, caps[rapid.IntRange(0, 2).Draw(t, "cap1")])
		buf2 := make([]LinePlan, caps[rapid.IntRange(0, 2).Draw(t, "cap2")])
		for i := range buf2 {
			buf2[i] = LinePlan{Points: 99, Rate: 7, Excluded: true} // stale contents are overwritten
		}
		a, b, err := p.PlanPairTotalsInto(buf1, buf2, o, totals, m1, m2)
		if err != nil {
			t.Fatalf("PlanPairTotalsInto: %v", err)
		}
		if diff := cmp.Diff([]Plan{want1, want2}, []Plan{a, b}); diff != "" {
			t.Fatalf("PlanPairTotalsInto differs from the reference (-want +got):\n%s", diff)
		}
		if inBuf := cap(buf1) >= n; inBuf != sameMemory(a.Lines, buf1) {
			t.Fatalf("plan in the caller's memory: %v, want %v (capacity %d for %d lines)", !inBuf, inBuf, cap(buf1), n)
		}
		if inBuf := cap(buf2) >= n; inBuf != sameMemory(b.Lines, buf2) {
			t.Fatalf("second plan in the caller's memory: %v, want %v (capacity %d for %d lines)", !inBuf, inBuf, cap(buf2), n)
		}
		one, err := p.PlanTotalsInto(buf1, o, nil, m2)
		if err != nil {
			t.Fatalf("PlanTotalsInto: %v", err)
		}
		if diff := cmp.Diff(want2, one); diff != "" {
			t.Fatalf("PlanTotalsInto differs from the reference (-want +got):\n%s", diff)
		}
	})
}

var genMultiplierDecimal = rapid.SampledFrom([]decimal.Decimal{decimal.Zero, one, decimal.RequireFromString("1.5"),
	decimal.RequireFromString("1.50"), decimal.RequireFromString("2"), decimal.RequireFromString("3"),
	decimal.RequireFromString("3.1415926535897932384626"), decimal.RequireFromString("0.5")})

// sameMemory reports whether lines start where buf's memory does.
func sameMemory(lines, buf []LinePlan) bool {
	return cap(buf) > 0 && len(lines) > 0 && &lines[0] == &buf[:1][0]
}

// addAllocated splits p over lines by weights (largest remainder) and adds the parts to the
// lines' points: the reference plan's split.
func addAllocated(lines []LinePlan, p Points, weights []int64) error {
	var buf [8]Points
	var parts []Points
	if len(weights) <= len(buf) {
		parts = buf[:len(weights)]
	} else {
		parts = make([]Points, len(weights))
	}
	if err := loyalty.AllocateInts(parts, p, weights); err != nil {
		return fmt.Errorf("points: %w", err)
	}
	for i, x := range parts {
		lines[i].Points += x
	}
	return nil
}
