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
