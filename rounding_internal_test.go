package loyalty

import (
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

// halfUp, the half-up rounding of the hot paths (⌊(a·b + ⌊d/2⌋)/d⌋), gives what the one
// rounding rule gives for HalfUp: the quotient plus one when the remainder is at least half
// the divisor (by big integers), for odd and even divisors, exact halves, and products near
// 2¹²⁸ and results near the int64 limit.
func TestPropHalfUpMatchesTheRoundingRule(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.OneOf(rapid.Uint64Range(0, 1e6), rapid.Uint64()).Draw(t, "a")
		b := rapid.OneOf(rapid.Uint64Range(0, 1e6), rapid.Uint64()).Draw(t, "b")
		d := rapid.OneOf(rapid.Uint64Range(1, 10), rapid.SampledFrom(pow10[:]), rapid.Uint64Range(1, math.MaxUint64)).Draw(t, "d")
		if rapid.Bool().Draw(t, "exact half") && d%2 == 0 && a > 0 { // a·b ≡ d/2 (mod d)
			b, a = 1, a/d*d+d/2
		}
		x := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
		q, r := new(big.Int).QuoRem(x, new(big.Int).SetUint64(d), new(big.Int))
		half := r.Lsh(r, 1).Cmp(new(big.Int).SetUint64(d))
		if roundsAway(HalfUp, q.Bit(0) == 1, r.Sign() != 0, half, false) {
			q.Add(q, big.NewInt(1))
		}
		got, ok := halfUp(a, b, d)
		if !q.IsInt64() {
			if ok {
				t.Fatalf("halfUp(%d, %d, %d) = %d, want overflow (%s)", a, b, d, got, q)
			}
			return
		}
		if !ok || got != q.Int64() {
			t.Fatalf("halfUp(%d, %d, %d) = %d, %v; want %s", a, b, d, got, ok, q)
		}
	})
}

// divRound, the rounding of 128-bit products, gives the exact quotient plus one when
// roundsAway says so (by big integers), in every mode and for both signs, for odd and even
// divisors, exact halves, products near 2¹²⁸, and results near the int64 limit (where
// rounding away may pass it).
func TestPropDivRoundMatchesTheRoundingRule(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.OneOf(rapid.Uint64Range(0, 1e6), rapid.Uint64(), rapid.Uint64Range(math.MaxInt64-1e6, math.MaxInt64+1e6)).Draw(t, "a")
		b := rapid.OneOf(rapid.Uint64Range(0, 1e6), rapid.Uint64(), rapid.Uint64Range(1, 3)).Draw(t, "b")
		d := rapid.OneOf(rapid.Uint64Range(1, 10), rapid.SampledFrom(pow10[:]), rapid.Uint64Range(1, math.MaxUint64)).Draw(t, "d")
		if rapid.Bool().Draw(t, "exact half") && d%2 == 0 && a > 0 { // a·b ≡ d/2 (mod d)
			b, a = 1, a/d*d+d/2
		}
		neg := rapid.Bool().Draw(t, "neg")
		mode := RoundingMode(rapid.IntRange(0, 7).Draw(t, "mode")) // 6 and 7 round half up
		x := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
		q, r := new(big.Int).QuoRem(x, new(big.Int).SetUint64(d), new(big.Int))
		half := r.Lsh(r, 1).Cmp(new(big.Int).SetUint64(d))
		if roundsAway(mode, q.Bit(0) == 1, r.Sign() != 0, half, neg) {
			q.Add(q, big.NewInt(1))
		}
		got, ok := divRound(a, b, d, neg, mode)
		if !q.IsInt64() {
			if ok {
				t.Fatalf("divRound(%d, %d, %d, %v, %v) = %d, want overflow (%s)", a, b, d, neg, mode, got, q)
			}
			return
		}
		if neg {
			q.Neg(q)
		}
		if !ok || got != q.Int64() {
			t.Fatalf("divRound(%d, %d, %d, %v, %v) = %d, %v; want %s", a, b, d, neg, mode, got, ok, q)
		}
	})
}

// Rounding a quotient of 2⁶⁴-1 and a fraction away from zero passes the int64 range (and
// uint64): divRound reports it as overflow (it once wrapped to 0).
func TestDivRoundAwayPastTheRange(t *testing.T) {
	// 4985606506407986923 × 37 = (2⁶⁴-1)·10 + 1
	for _, mode := range []RoundingMode{Up, Ceiling, HalfUp, Down} {
		if got, ok := divRound(4985606506407986923, 37, 10, false, mode); ok {
			t.Errorf("divRound((2⁶⁴-1)·10+1, 10, %v) = %d, want overflow", mode, got)
		}
	}
}
