package loyalty

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// Scratch lists of splits of more than 16 parts (up to 16 they stay on the stack), reused
// across calls so that splitting over many lines allocates nothing once warm.
var (
	unitsPool sync.Pool // *[]int64: Money.AllocateInto's parts
	keysPool  sync.Pool // *[]uint64: AllocateInts' ranking keys
	remsPool  sync.Pool // *[]remainder: the ranking of splits by huge weights
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
	var sum, carry uint64
	var signs int64
	for _, w := range weights {
		var c uint64
		sum, c = bits.Add64(sum, uint64(w), 0)
		carry |= c
		signs |= w
	}
	if signs < 0 || carry != 0 || sum > math.MaxInt64 {
		return weightsError(weights)
	}
	if sum == 0 {
		if total != 0 {
			return Invalid("weights", nil, "are all zero, so a non-zero amount cannot be split by them")
		}
		clear(dst)
		return nil
	}
	whole := absU(int64(total))
	switch {
	case whole == 0:
		clear(dst)
		return nil
	case len(weights) == 1: // its weight is the sum: it takes it all
		dst[0] = total
		return nil
	}
	// Each part first gets its share rounded toward zero. The leftover units (fewer than the
	// parts with a remainder) go one each to the parts with the largest dropped remainders,
	// ties to the earlier position: give ranks the parts by one key each, the remainder
	// shifted up over the position's complement, so that keys are distinct and a larger key
	// ranks ahead. Splits of more than 16 parts, and remainders too large to leave room for
	// the position (weights summing beyond 2⁶⁴ over 2^shift, the power of two at or above
	// the number of parts), take splitLong.
	n := len(weights)
	shift := uint(bits.Len(uint(n - 1))) // the bits of a position
	if n > 16 || sum-1 > math.MaxUint64>>shift {
		splitLong(dst, weights, whole, sum, shift)
	} else {
		var keys [16]uint64 // keeps small orders off the heap
		if left := shares(dst, keys[:n], weights, whole, sum, shift); left > 0 {
			give(dst, keys[:n], left, shift)
		}
	}
	if total < 0 {
		for i := range dst {
			dst[i] = -dst[i]
		}
	}
	return nil
}

// splitLong is AllocateInts' split of whole by weights (summing to sum) over more than 16
// parts, or by weights so large that the remainders leave no room for the position in a
// ranking key: in scratch lists from a pool, the leftover units given by a threshold found
// by quickselect (see [give]), or by giveWide.
func splitLong[T ~int64](dst []T, weights []int64, whole, sum uint64, shift uint) {
	n := len(weights)
	keys, back := pooled[uint64](&keysPool, 2*n) // room for kthLargest's copy
	keys = keys[:n]
	left := shares(dst, keys, weights, whole, sum, shift)
	switch {
	case left == 0:
	case sum-1 > math.MaxUint64>>shift:
		giveWide(dst, weights, whole, sum, left)
	default:
		above := kthLargest(append(keys[n:], keys...), left)
		for i, x := range keys {
			if x > above {
				dst[i]++
			}
		}
	}
	keysPool.Put(back)
}

// weightsError names the first problem met adding weights in order: a negative weight, or
// the sum leaving int64.
func weightsError(weights []int64) error {
	var sum uint64
	for i, w := range weights {
		if w < 0 {
			return Invalid(fmt.Sprintf("weights[%d]", i), w, "must not be negative")
		}
		sum += uint64(w)
		if sum > math.MaxInt64 {
			break
		}
	}
	return Invalid("weights", nil, "sum overflows int64")
}

// shares writes into dst each part's share of whole by weights (summing to sum), rounded
// toward zero, and into keys its ranking key: the dropped remainder shifted left by shift
// over the complement of the position in shift bits. It returns the units left to give.
func shares[T ~int64](dst []T, keys []uint64, weights []int64, whole, sum uint64, shift uint) int {
	dst, keys = dst[:len(weights)], keys[:len(weights)]
	shift &= 63
	pos := uint64(1)<<shift - 1 // the complement of the position i in shift bits
	if sum == 0 {
		return 0 // never: the test spares the loop the division's check
	}
	var given uint64
	for i, w := range weights {
		hi, lo := bits.Mul64(whole, uint64(w))
		q, r := bits.Div64(hi, lo, sum) // q ≤ whole, so it cannot overflow
		given += q
		dst[i] = T(q)
		keys[i] = r<<shift | pos
		pos--
	}
	return int(whole - given)
}

// give adds one to the left parts whose keys are the largest, with 0 < left < len(keys) ≤
// 16 and the keys of [shares]: distinct, each with its position's complement in its low
// shift bits. When left is at most half the keys, they are found by insertion into a short
// list in order; otherwise the ones below them are found that way instead, their largest
// the threshold the parts' keys are above. (Over more parts, [splitLong] finds the
// threshold, the (left+1)-th largest key, by quickselect.)
func give[T ~int64](dst []T, keys []uint64, left int, shift uint) {
	k, flip := left, uint64(0) // the left largest keys
	if below := len(keys) - left; below < k {
		k, flip = below, math.MaxUint64 // the below smallest: the largest complements ^key
	}
	// The k largest (complemented) keys so far, zeros until k are seen, in increasing
	// order in the ring list[first:first+k] (indices mod 16). A key that enters drops the
	// least one, moving up the ones above it: none when keys come in increasing order, and
	// decreasing ones pass by at a glance.
	var list [16]uint64
	first, least := uint(0), uint64(0) // least is list[first%16]
	for _, x := range keys {
		x ^= flip
		if x < least {
			continue
		}
		i := first + uint(k)
		for ; list[(i-1)%16] > x; i-- {
			list[i%16] = list[(i-1)%16]
		}
		list[i%16] = x
		first++
		least = list[first%16]
	}
	if flip == 0 { // they are the parts' keys
		low := uint64(1)<<shift - 1
		for j := range k {
			x := list[(first+uint(j))%16]
			dst[(x^low)&low]++
		}
		return
	}
	above := least ^ flip
	for i, x := range keys {
		if x > above {
			dst[i]++
		}
	}
}

// kthLargest returns xs[k] once xs, distinct values, is in decreasing order; it rearranges
// xs (a quickselect, in expected linear time).
func kthLargest(xs []uint64, k int) uint64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		p := xs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i] > p {
				i++
			}
			for p > xs[j] {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default: // xs[j+1:i] are the pivot
			return p
		}
	}
	return xs[k]
}

// giveWide adds one to the left parts with the largest remainders, ties to the earlier
// position, by a sort: the ranking of the rare splits by weights so large that a remainder
// leaves no room for the position in a key. A part's remainder is what its share dst[i]
// left of whole·weights[i], modulo 2⁶⁴ as it is below sum.
func giveWide[T ~int64](dst []T, weights []int64, whole, sum uint64, left int) {
	rems, back := pooled[remainder](&remsPool, len(weights))
	for i, w := range weights {
		rems[i] = remainder{whole*uint64(w) - uint64(dst[i])*sum, i}
	}
	slices.SortFunc(rems, func(a, b remainder) int {
		if c := cmp.Compare(b.r, a.r); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	for _, x := range rems[:left] {
		dst[x.i]++
	}
	remsPool.Put(back)
}

// remainder is the fraction a part lost when its share was rounded toward zero.
type remainder struct {
	r uint64 // the dropped fraction, in units of 1/sum (the weights' sum)
	i int    // the part's position
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
