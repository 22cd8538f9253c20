package loyalty

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// Scratch lists of splits of more than 16 parts (up to 16 they stay on the stack) and of
// the wide splits' remainders, reused across calls so that splitting over many lines
// allocates nothing once warm.
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
	n := len(weights)
	if n == 0 || len(dst) != n {
		return lengthError(len(dst), n)
	}
	// One pass adds the weights. A negative weight sets the sign bit of bad, and so does a
	// running sum beyond int64: the weights added so far being non-negative, it wraps to a
	// negative value.
	var sum, bad int64
	for _, w := range weights {
		sum += w
		bad |= w | sum
	}
	if bad < 0 {
		return weightsError(weights)
	}
	whole := absU(int64(total))
	switch {
	case sum == 0:
		if whole != 0 {
			return Invalid("weights", nil, "are all zero, so a non-zero amount cannot be split by them")
		}
		clear(dst)
		return nil
	case whole == 0:
		clear(dst)
		return nil
	case n == 1: // its weight is the sum: it takes it all
		dst[0] = total
		return nil
	}
	// Each part gets its share rounded toward zero, and the units left over (fewer than the
	// parts with a remainder) go one each to the parts with the largest dropped remainders,
	// ties to the earlier position: the parts are ranked by one key each, a remainder
	// shifted up over the position's complement, so that keys are distinct and a larger key
	// ranks ahead. Remainders too large to leave room for the position (weights summing
	// beyond 2⁶⁴ over 2^shift, the power of two at or above the number of parts) take
	// splitWide.
	shift := uint(bits.Len(uint(n - 1))) // the bits of a position
	switch {
	case uint64(sum)-1 > math.MaxUint64>>shift:
		splitWide(dst, weights, whole, uint64(sum))
	case n <= 16:
		var keys [16]uint64 // keeps small orders off the heap
		split(dst, keys[:n], weights, whole, uint64(sum), shift)
	default:
		keys, back := pooled[uint64](&keysPool, 2*n) // room for kthLargest's copy
		split(dst, keys[:n], weights, whole, uint64(sum), shift)
		keysPool.Put(back)
	}
	if total < 0 {
		for i := range dst {
			dst[i] = -dst[i]
		}
	}
	return nil
}

// lengthError is the error of AllocateInts called with n weights and a dst of length d.
func lengthError(d, n int) error {
	if n == 0 {
		return Invalid("weights", nil, "must not be empty")
	}
	return Invalid("dst", d, fmt.Sprintf("must have the length of weights (%d)", n))
}

// split is AllocateInts' split of whole by weights (summing to sum, which leaves room for
// shift bits of position in a ranking key). Each part first gets its share rounded half
// up: whole·weights[i] plus half the sum, divided by the sum. The remainders being spread
// evenly, the units so given are most often exactly whole, and then the parts are the
// largest-remainder split: those rounded up are the ones whose remainders toward zero were
// the largest. Otherwise, d units off (usually one or a few),
// the d parts rounded up whose remainders were the least give one back, or the -d parts
// rounded down whose remainders were the largest get one more. The remainders of rounding
// half up rank the parts so: a part rounded up keeps its remainder toward zero less half
// the sum, which ranks it below all the parts rounded down, which keep theirs plus half the
// sum. So the parts to take from have the least keys, those to give to the largest: one is
// found in a pass, up to 15 by insertion into a short list, more by a quickselect. |d| is
// at most half the parts (the remainders toward zero add up to the units left over times
// the sum; a part rounded up has at least half the sum, the others less), so quickselect
// serves only splits of 32 parts or more, whose pooled keys have the room beyond their
// length that it copies them into.
func split[T ~int64](dst []T, keys []uint64, weights []int64, whole, sum uint64, shift uint) {
	keys, dst = keys[:len(weights)], dst[:len(weights)]
	shift &= 63
	pos := uint64(1)<<shift - 1 // the complement of the position i in shift bits
	half := sum / 2
	var given uint64
	if sum == 0 {
		return // never: the test spares the loop the division's check
	}
	if hi, lo := bits.Mul64(whole, sum); hi == 0 && lo < 1<<63 { // whole·w + half fits 64 bits
		for i, w := range weights {
			q, r := (whole*uint64(w)+half)/sum, (whole*uint64(w)+half)%sum
			given += q
			dst[i] = T(q)
			keys[i] = r<<shift | pos
			pos--
		}
	} else {
		for i, w := range weights {
			hi, lo := bits.Mul64(whole, uint64(w))
			lo, c := bits.Add64(lo, half, 0)
			q, r := bits.Div64(hi+c, lo, sum) // hi+c < sum as w ≤ sum and whole ≤ 2⁶³
			given += q
			dst[i] = T(q)
			keys[i] = r<<shift | pos
			pos--
		}
	}
	if given != whole {
		k, flip, one := int(given-whole), uint64(math.MaxUint64), T(-1) // the least keys: the largest complements
		if given < whole {
			k, flip, one = int(whole-given), 0, 1 // the largest keys
		}
		low := pos + uint64(len(keys)) // 2^shift-1, as pos went down once per key
		switch {
		case k == 1: // the most frequent case: the largest key
			var top uint64
			for _, x := range keys {
				top = max(top, x^flip)
			}
			dst[(top^flip^low)&low] += one
		case k < 16:
			// The k largest (complemented) keys so far, zeros until k are seen, in
			// increasing order in the ring list[first:first+k] (indices mod 16). A key that
			// enters drops the least one, moving up the ones above it: none when keys come
			// in increasing order, and decreasing ones pass by at a glance.
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
			flip ^= low // a key's complemented position
			for j := range k {
				x := list[(first+uint(j))%16]
				dst[(x^flip)&low] += one
			}
		default: // the key above them: the (k+1)-th largest
			xs := keys[len(keys):] // room for kthLargest's copy
			for _, x := range keys {
				xs = append(xs, x^flip)
			}
			above := kthLargest(xs, k)
			for i, x := range keys {
				if x^flip > above {
					dst[i] += one
				}
			}
		}
	}
}

// splitWide is AllocateInts' split of whole by weights summing to sum, so large that the
// remainders leave no room for the position in a ranking key: each part its share rounded
// toward zero, and the units left given by giveWide.
func splitWide[T ~int64](dst []T, weights []int64, whole, sum uint64) {
	dst = dst[:len(weights)]
	if sum == 0 {
		return // never: the test spares the loop the division's check
	}
	var given uint64
	for i, w := range weights {
		hi, lo := bits.Mul64(whole, uint64(w))
		q, _ := bits.Div64(hi, lo, sum) // q ≤ whole, so it cannot overflow
		given += q
		dst[i] = T(q)
	}
	if left := int(whole - given); left > 0 {
		giveWide(dst, weights, whole, sum, left)
	}
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
