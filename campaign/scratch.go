package campaign

import (
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
)

// arena hands out zeroed slices carved from one buffer, so that an evaluation makes a few
// allocations for its many short lists (weights, parts, per-line points) instead of one
// each. A slice it returns stays valid for the evaluation; it has no room to grow into its
// neighbours (its capacity is its length).
type arena[T any] struct{ buf []T }

// take returns n zeroed elements.
func (a *arena[T]) take(n int) []T {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]T, 0, max(4*n, 32))
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	out := a.buf[l : l+n : l+n]
	clear(out)
	return out
}

// reserve gives an empty arena room for n elements in one allocation.
func (a *arena[T]) reserve(n int) {
	if cap(a.buf) == 0 {
		a.buf = make([]T, 0, n)
	}
}

// scratch is an evaluation's arenas.
type scratch struct {
	ints   arena[int64]
	idx    arena[int]
	pts    arena[points.Points]
	amount arena[loyalty.Money]
}

// reserve sizes the arenas for an order of n lines, c scheduled campaigns and b budgeted
// ones, so that a typical evaluation fills each with one allocation (a larger one takes
// more).
func (s *scratch) reserve(n, c, b int) {
	s.ints.reserve((3+c)*n + 3*c)
	s.idx.reserve((1+c)*n + c)
	s.pts.reserve((4+c)*n + c)
	s.amount.reserve((2 + b) * n)
}

// allocatePointsInto splits p in proportion to weights into dst (of the weights' length) by
// largest remainder with loyalty.AllocateInts, equally when every weight is zero, so the
// parts sum exactly to p. A zero-weights fallback changes weights.
func allocatePointsInto(dst []points.Points, p points.Points, weights []int64) error {
	zero := true
	for _, w := range weights {
		if w != 0 {
			zero = false
			break
		}
	}
	if zero {
		for i := range weights {
			weights[i] = 1
		}
	}
	return loyalty.AllocateInts(dst, p, weights)
}
