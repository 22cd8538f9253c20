package campaign

import (
	"math"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// pointsValue, which multiplies out a point's whole minor units computed once, values
// points exactly as Redemption.Value does: whole and fractional point values, currencies
// of 0, 2 and 3 digits, and products too large for int64.
func TestPropPointsValueIsRedemptionValue(t *testing.T) {
	currencies := []loyalty.Currency{loyalty.MustCurrency("RUB"), loyalty.MustCurrency("JPY"), loyalty.MustCurrency("KWD")}
	rapid.Check(t, func(t *rapid.T) {
		red := points.Redemption{Currency: rapid.SampledFrom(currencies).Draw(t, "currency"),
			PointValue: decimal.New(rapid.Int64Range(1, 1_000_000).Draw(t, "coefficient"), -int32(rapid.IntRange(0, 6).Draw(t, "scale"))),
			Rounding:   rapid.SampledFrom([]loyalty.RoundingMode{loyalty.HalfEven, loyalty.HalfUp, loyalty.Down}).Draw(t, "rounding")}
		if rapid.Bool().Draw(t, "trailing zeros") { // the same value, written with more digits
			red.PointValue = decimal.New(red.PointValue.Coefficient().Int64()*1000, red.PointValue.Exponent()-3)
		}
		ev := &evaluation{}
		ev.e = &Engine{redemption: red, pointMinor: wholePointValue(red)}
		if per := ev.e.pointMinor; per != 0 {
			if want := red.PointValue.Shift(int32(red.Currency.Digits())); !want.Equal(decimal.NewFromInt(per)) {
				t.Fatalf("whole point value %d minor units, want %s", per, want)
			}
		}
		p := points.Points(rapid.OneOf(rapid.Int64Range(1, 100_000), rapid.Int64Range(math.MaxInt64/1000, math.MaxInt64)).Draw(t, "points"))
		got, gotErr := ev.pointsValue(p)
		want, wantErr := red.Value(p)
		if (gotErr != nil) != (wantErr != nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("pointsValue(%d) error %v, Value's %v", p, gotErr, wantErr)
		}
		if !got.Equal(want) {
			t.Fatalf("pointsValue(%d) = %v, Value %v", p, got, want)
		}
	})
}
