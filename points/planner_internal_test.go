package points

import (
	"errors"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// decimalOnly is m without its integer form: Rate.points and perUnitPoints then take the
// exact decimal path that Rules.Plan always took before the integer paths existed.
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
			got, err := perUnitPoints(units, per, m, mode)
			want, wantErr := perUnitPoints(units, per, decimalOnly(m), mode)
			check(t, got, err, want, wantErr)
			return
		}
		got, err := rate.points(3, group, digits, m, mode)
		want, wantErr := rate.points(3, group, digits, decimalOnly(m), mode)
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
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = block.points(0, 221600, 2, m, loyalty.HalfUp)
		_, _ = share.points(0, 900000, 2, m, loyalty.HalfUp)
		_, _ = perUnitPoints(12, 3, m, loyalty.HalfUp)
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want none", allocs)
	}
	if got, _ := block.points(0, 221600, 2, m, loyalty.HalfUp); got != 332 { // 221 blocks × 1.5 = 331.5
		t.Errorf("221 blocks × 1.5 = %d, want 332", got)
	}
	if got, _ := share.points(0, 900000, 2, m, loyalty.HalfUp); got != 675 { // 9,000.00 × 0.05 × 1.5
		t.Errorf("5%% of 9,000.00 × 1.5 = %d, want 675", got)
	}
}
