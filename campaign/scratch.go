package campaign

import (
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
)

// arena hands out zeroed slices carved from one buffer, so that an evaluation makes a few
// allocations for its many short lists (weights, parts, per-line points) instead of one
// each. A slice it returns stays valid for the evaluation; it has no room to grow into its
// neighbours (its capacity is its length).
//
// The buffer beyond its length is always zero (new memory is, and reset clears what was
// handed out), so take hands out zeroed memory without clearing it: an evaluation's many
// short lists cost one clear per arena, and only of what it used.
type arena[T any] struct{ buf []T }

// take returns n zeroed elements.
func (a *arena[T]) take(n int) []T {
	if cap(a.buf)-len(a.buf) < n {
		// Twice the last buffer: after reset the arena keeps the larger one, so a reused
		// scratch soon serves a whole evaluation from one buffer.
		a.buf = make([]T, 0, max(2*cap(a.buf), 4*n, 32))
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}

// reserve gives an empty arena room for n elements in one allocation.
func (a *arena[T]) reserve(n int) {
	if cap(a.buf) == 0 {
		a.buf = make([]T, 0, n)
	}
}

// reset empties the arena, keeping its buffer (cleared where it was used) for the next
// evaluation.
func (a *arena[T]) reset() {
	clear(a.buf)
	a.buf = a.buf[:0]
}

// scratch is an evaluation's arenas of working memory. It is reused by the next evaluation
// (the engine pools evaluations), so nothing it holds may reach a quote: a quote's own
// lists come from outs.
type scratch struct {
	ints   arena[int64]
	idx    arena[int]
	pts    arena[points.Points]
	amount arena[loyalty.Money]
}

// outs are the arenas of an evaluation's lists that end up in its quote (the campaigns'
// lines and line costs, the discount entries' line amounts, the perks), in the quote's
// [QuoteBuffer].
type outs struct {
	idx    arena[int]
	amount arena[loyalty.Money]
	str    arena[string]
	plans  arena[points.LinePlan]
}

// reset empties the arenas for the next quote, clearing what the last one used.
func (o *outs) reset() {
	o.idx.reset()
	o.amount.reset()
	o.str.reset()
	o.plans.reset()
}

func (s *scratch) reset() {
	s.ints.reset()
	s.idx.reset()
	s.pts.reset()
	s.amount.reset()
}

// reserve sizes the arenas for an order of n lines, c scheduled campaigns and b budgeted
// ones, so that a typical evaluation fills each with one allocation (a larger one takes
// more); a reused scratch keeps what it has.
func (s *scratch) reserve(n, c int) {
	s.ints.reserve((3+c)*n + 3*c)
	s.idx.reserve(n + c)
	s.pts.reserve((4+c)*n + c)
	s.amount.reserve(5 * n)
}

// reserve sizes the quote's arenas for an order of n lines, c scheduled campaigns and
// entered codes, b budgeted campaigns, k candidate discounts and p perks (of the tier and
// the campaigns) at most; perks is the quote's room for the perks when it has enough. The
// plans' arena has room for one plan when it has not been reserved already.
func (o *outs) reserve(n, c, b, k, p int, perks []string) {
	o.idx.reserve((c + 1) * n)
	o.plans.reserve(n)
	o.amount.reserve((b + k) * n)
	if p <= len(perks) {
		o.str.buf = perks[:0]
	} else {
		o.str.reserve(p)
	}
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
