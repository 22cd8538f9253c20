package loyalty

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Allocate splits m into len(weights) parts proportional to weights, by the largest-remainder
// method: each part first gets its proportional share rounded toward zero, and the minor
// units left over go one each to the parts with the largest dropped fractions, ties to the
// earlier position. The parts always sum exactly to m, no part has the opposite sign of m,
// a part with weight zero gets zero, and the result is deterministic.
//
// Weights are non-negative integers in any unit: line totals in minor units
// ([Money.MinorUnits]), quantities, or shares. It is an error when weights is empty, a weight
// is negative, the weights overflow int64 when added, or they are all zero while m is not.
func (m Money) Allocate(weights []int64) ([]Money, error) {
	parts := make([]Money, len(weights))
	if err := m.AllocateInto(parts, weights); err != nil {
		return nil, err
	}
	return parts, nil
}

// AllocateInto is [Money.Allocate] writing the parts into dst, which must have the length of
// weights; it lets hot paths reuse one slice.
func (m Money) AllocateInto(dst []Money, weights []int64) error {
	if len(weights) == 0 {
		return Invalid("weights", nil, "must not be empty")
	}
	if len(dst) != len(weights) {
		return Invalid("dst", len(dst), fmt.Sprintf("must have the length of weights (%d)", len(weights)))
	}
	var total uint64
	for i, w := range weights {
		if w < 0 {
			return Invalid(fmt.Sprintf("weights[%d]", i), w, "must not be negative")
		}
		total += uint64(w)
		if total > math.MaxInt64 {
			return Invalid("weights", nil, "sum overflows int64")
		}
	}
	if total == 0 {
		if m.units != 0 {
			return Invalid("weights", nil, "are all zero, so a non-zero amount cannot be split by them")
		}
		for i := range dst {
			dst[i] = Money{cur: m.cur}
		}
		return nil
	}
	neg := m.units < 0
	whole := absU(m.units)
	var given uint64
	for i, w := range weights {
		hi, lo := bits.Mul64(whole, uint64(w))
		q, _ := bits.Div64(hi, lo, total) // q ≤ whole, so it cannot overflow
		given += q
		dst[i] = Money{units: signed(q, neg), cur: m.cur}
	}
	left := whole - given
	if left == 0 {
		return nil
	}
	// Hand the leftover units to the largest remainders, ties to the earlier position.
	type rem struct {
		r uint64
		i int
	}
	rems := make([]rem, 0, len(weights))
	for i, w := range weights {
		hi, lo := bits.Mul64(whole, uint64(w))
		if _, r := bits.Div64(hi, lo, total); r != 0 {
			rems = append(rems, rem{r, i})
		}
	}
	slices.SortFunc(rems, func(a, b rem) int {
		if a.r != b.r {
			if a.r > b.r {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	step := int64(1)
	if neg {
		step = -1
	}
	for _, x := range rems[:left] {
		dst[x.i].units += step
	}
	return nil
}

// Split divides m into n parts as evenly as possible: the parts differ by at most one minor
// unit, the larger ones first, and they sum exactly to m. 100.00 split three ways is
// 33.34, 33.33, 33.33.
func (m Money) Split(n int) ([]Money, error) {
	if n <= 0 {
		return nil, Invalid("n", n, "must be positive")
	}
	parts := make([]Money, n)
	neg := m.units < 0
	whole := absU(m.units)
	q, r := whole/uint64(n), whole%uint64(n)
	for i := range parts {
		u := q
		if uint64(i) < r {
			u++
		}
		parts[i] = Money{units: signed(u, neg), cur: m.cur}
	}
	return parts, nil
}

func signed(u uint64, neg bool) int64 {
	if neg {
		return -int64(u)
	}
	return int64(u)
}
