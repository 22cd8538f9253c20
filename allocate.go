package loyalty

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// Scratch lists of allocations of more than 16 parts (up to 16 they stay on the stack),
// reused across calls so that splitting over many lines allocates nothing once warm.
var (
	unitsPool sync.Pool // *[]int64
	remsPool  sync.Pool // *[]remainder
)

// pooled returns a list of n elements from pool (its memory reused) and the pointer to give
// back with pool.Put once done.
func pooled[E any](pool *sync.Pool, n int) ([]E, *[]E) {
	p, _ := pool.Get().(*[]E)
	if p == nil {
		p = new([]E)
	}
	if cap(*p) < n {
		*p = make([]E, n)
	}
	return (*p)[:n], p
}

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
	if len(dst) != len(weights) {
		return Invalid("dst", len(dst), fmt.Sprintf("must have the length of weights (%d)", len(weights)))
	}
	var buf [16]int64 // keeps small orders off the heap
	units := buf[:0]
	var back *[]int64
	if len(weights) > len(buf) {
		units, back = pooled[int64](&unitsPool, len(weights))
		defer unitsPool.Put(back)
	}
	units = units[:len(weights)]
	if err := AllocateInts(units, m.units, weights); err != nil {
		return err
	}
	for i, u := range units {
		dst[i] = Money{units: u, cur: m.cur}
	}
	return nil
}

// AllocateInts splits the integer total into len(weights) integer parts written to dst, with
// the rules of [Money.Allocate]: largest remainder, parts summing exactly to total, never of
// the opposite sign, zero for a zero weight, ties to the earlier position. It is the same
// routine for counts that are not money, such as bonus points (any integer type based on
// int64).
func AllocateInts[T ~int64](dst []T, total T, weights []int64) error {
	if len(weights) == 0 {
		return Invalid("weights", nil, "must not be empty")
	}
	if len(dst) != len(weights) {
		return Invalid("dst", len(dst), fmt.Sprintf("must have the length of weights (%d)", len(weights)))
	}
	var sum uint64
	for i, w := range weights {
		if w < 0 {
			return Invalid(fmt.Sprintf("weights[%d]", i), w, "must not be negative")
		}
		sum += uint64(w)
		if sum > math.MaxInt64 {
			return Invalid("weights", nil, "sum overflows int64")
		}
	}
	if sum == 0 {
		if total != 0 {
			return Invalid("weights", nil, "are all zero, so a non-zero amount cannot be split by them")
		}
		clear(dst)
		return nil
	}
	neg := total < 0
	whole := absU(int64(total))
	switch {
	case whole == 0:
		clear(dst)
		return nil
	case len(weights) == 1: // its weight is the sum: it takes it all
		dst[0] = total
		return nil
	}
	// Each part first gets its share rounded toward zero; remember the dropped remainders.
	var buf [16]remainder // keeps small orders off the heap
	rems := buf[:]
	if len(weights) > len(buf) {
		var back *[]remainder
		rems, back = pooled[remainder](&remsPool, len(weights))
		defer remsPool.Put(back)
	}
	rems = rems[:len(weights)]
	var given uint64
	n := 0 // the parts with a remainder, listed in rems[:n]
	for i, w := range weights {
		hi, lo := bits.Mul64(whole, uint64(w))
		q, r := bits.Div64(hi, lo, sum) // q ≤ whole, so it cannot overflow
		given += q
		dst[i] = T(q)
		if r != 0 {
			rems[n] = remainder{r, i}
			n++
		}
	}
	rems = rems[:n]
	// The leftover units (fewer than the parts with a remainder) go one each to the largest
	// remainders, ties to the earlier position.
	left := int(whole - given)
	if left > 0 {
		if len(rems) <= 2*len(buf) || left <= 4 {
			insertFirst(rems, left)
		} else {
			selectFirst(rems, left)
		}
		for _, x := range rems[:left] {
			dst[x.i]++
		}
	}
	if neg {
		for i := range dst {
			dst[i] = -dst[i]
		}
	}
	return nil
}

// remainder is the fraction a part lost when its share was rounded toward zero.
type remainder struct {
	r uint64 // the dropped fraction, in units of 1/total
	i int    // the part's position
}

// ahead orders remainders: larger first, then earlier position. It is a strict total order.
func (a remainder) ahead(b remainder) bool { return a.r > b.r || a.r == b.r && a.i < b.i }

// insertFirst rearranges xs, remainders in position order, so that its first k elements
// are the k foremost by [remainder.ahead], in order: an insertion sort that keeps only the
// first k, for short lists or small k (about len(xs)·k steps at most).
func insertFirst(xs []remainder, k int) {
	for j := 1; j < len(xs); j++ {
		x := xs[j]
		i := j
		if j >= k {
			// xs[:k] are the foremost of xs[:j]; x, later than all of them, enters only
			// with a larger remainder, and the last of them leaves to x's place.
			if x.r <= xs[k-1].r {
				continue
			}
			xs[j] = xs[k-1]
			i = k - 1
		}
		for i > 0 && xs[i-1].r < x.r { // strictly: an equal remainder stays ahead (earlier)
			xs[i] = xs[i-1]
			i--
		}
		xs[i] = x
	}
}

// selectFirst rearranges xs so that its first k elements are the k foremost by
// [remainder.ahead], in expected linear time (quickselect; no full sort is needed).
func selectFirst(xs []remainder, k int) {
	lo, hi, target := 0, len(xs)-1, k-1
	for lo < hi {
		p := xs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i].ahead(p) {
				i++
			}
			for p.ahead(xs[j]) {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case target <= j:
			hi = j
		case target >= i:
			lo = i
		default:
			return
		}
	}
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
