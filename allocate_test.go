package loyalty_test

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/loyaltykit/loyalty"
)

func amounts(cur string, xs ...string) []loyalty.Money {
	out := make([]loyalty.Money, len(xs))
	for i, x := range xs {
		out[i] = loyalty.MustMoney(x, cur)
	}
	return out
}

func TestAllocate(t *testing.T) {
	for name, tc := range map[string]struct {
		total   loyalty.Money
		weights []int64
		want    []loyalty.Money
	}{
		"even thirds": {loyalty.MustMoney("100", "RUB"), []int64{1, 1, 1}, amounts("RUB", "33.34", "33.33", "33.33")},
		// 500 off across lines worth 100, 200, 700: exact shares 50, 100, 350.
		"exact shares": {loyalty.MustMoney("500", "RUB"), []int64{10000, 20000, 70000}, amounts("RUB", "50", "100", "350")},
		// 0.05 by 1:1:1: 0.0166… each; two leftover kopeks go to the earliest (equal remainders).
		"ties to the earlier line": {loyalty.MustMoney("0.05", "RUB"), []int64{1, 1, 1}, amounts("RUB", "0.02", "0.02", "0.01")},
		// 10.00 by 1:2:3 = 1.666…, 3.333…, 5.00: the largest remainder (0.666) gets the kopek.
		"largest remainder first": {loyalty.MustMoney("10", "RUB"), []int64{1, 2, 3}, amounts("RUB", "1.67", "3.33", "5.00")},
		"zero weight gets zero":   {loyalty.MustMoney("1", "USD"), []int64{0, 1, 0, 2}, amounts("USD", "0", "0.33", "0", "0.67")},
		"negative total":          {loyalty.MustMoney("-100", "RUB"), []int64{1, 1, 1}, amounts("RUB", "-33.34", "-33.33", "-33.33")},
		"one line":                {loyalty.MustMoney("7", "JPY"), []int64{5}, amounts("JPY", "7")},
		"zero total zero weights": {loyalty.MustMoney("0", "RUB"), []int64{0, 0}, amounts("RUB", "0", "0")},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := tc.total.Allocate(tc.weights)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Allocate(%v, %v) (-want +got):\n%s", tc.total, tc.weights, diff)
			}
		})
	}
}

func TestAllocateRejects(t *testing.T) {
	m := loyalty.MustMoney("10", "RUB")
	for name, weights := range map[string][]int64{
		"empty":           nil,
		"negative weight": {1, -1},
		"all zero":        {0, 0},
		"sum overflows":   {1 << 62, 1 << 62},
	} {
		if _, err := m.Allocate(weights); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("%s: Allocate(%v) = %v, want ErrInvalid", name, weights, err)
		}
	}
	if err := m.AllocateInto(make([]loyalty.Money, 1), []int64{1, 2}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("AllocateInto with a short dst: %v", err)
	}
}

// A split by bad weights names the first problem met adding them in order: a negative
// weight, or the sum leaving int64.
func TestAllocateIntsNamesTheFirstBadWeight(t *testing.T) {
	for _, tc := range []struct {
		weights []int64
		want    string
	}{
		{[]int64{3, -1, -2}, "weights[1]: must not be negative (got -1)"},
		{[]int64{math.MaxInt64, 1, -5}, "weights: sum overflows int64"},
		{[]int64{math.MaxInt64, -5, 1}, "weights[1]: must not be negative (got -5)"},
		{[]int64{math.MaxInt64, math.MaxInt64, math.MaxInt64}, "weights: sum overflows int64"},
		{[]int64{1 << 62, 1 << 62}, "weights: sum overflows int64"},
	} {
		parts := make([]int64, len(tc.weights))
		err := loyalty.AllocateInts(parts, 10, tc.weights)
		if !errors.Is(err, loyalty.ErrInvalid) || err.Error() != tc.want {
			t.Errorf("AllocateInts(10, %v) = %v, want %q", tc.weights, err, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	got, err := loyalty.MustMoney("-0.05", "RUB").Split(3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(amounts("RUB", "-0.02", "-0.02", "-0.01"), got); diff != "" {
		t.Errorf("Split (-want +got):\n%s", diff)
	}
	if _, err := loyalty.MustMoney("1", "RUB").Split(0); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Split(0) = %v", err)
	}
}

func TestAllocateInts(t *testing.T) {
	parts := make([]int64, 4)
	if err := loyalty.AllocateInts(parts, 103, []int64{4400, 0, 5500, 400}); err != nil {
		t.Fatal(err)
	}
	// 103 by 44:0:55:4 of 103: exact shares 44, 0, 55, 4.
	if diff := cmp.Diff([]int64{44, 0, 55, 4}, parts); diff != "" {
		t.Errorf("AllocateInts (-want +got):\n%s", diff)
	}
	if err := loyalty.AllocateInts(parts[:2], -7, []int64{1, 1}); err != nil || parts[0] != -4 || parts[1] != -3 {
		t.Errorf("AllocateInts(-7, 1:1) = %v, %v; want [-4 -3]", parts[:2], err)
	}
	if err := loyalty.AllocateInts(parts[:1], 5, []int64{1, 1}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("short dst: %v", err)
	}
}

func TestRoundDecimal(t *testing.T) {
	for _, tc := range []struct {
		d    string
		mode loyalty.RoundingMode
		want int64
	}{
		{"44.5", loyalty.HalfUp, 45},
		{"44.5", loyalty.HalfEven, 44},
		{"44.9", loyalty.Down, 44},
		{"-44.1", loyalty.Floor, -45},
		{"7", loyalty.Up, 7},
	} {
		got, err := loyalty.RoundDecimal(decimal.RequireFromString(tc.d), tc.mode)
		if err != nil || got != tc.want {
			t.Errorf("RoundDecimal(%s, %v) = %d, %v; want %d", tc.d, tc.mode, got, err, tc.want)
		}
	}
	if _, err := loyalty.RoundDecimal(decimal.RequireFromString("1e19"), loyalty.HalfUp); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("1e19: %v, want overflow", err)
	}
}

// Splits over more than 16 parts reuse scratch lists between calls: calls at once from many
// goroutines, over lists of different lengths, give the results of calls made one by one.
func TestAllocateManyPartsConcurrently(t *testing.T) {
	type split struct {
		total   loyalty.Money
		weights []int64
		want    []loyalty.Money
	}
	var splits []split
	for k := 0; k < 16; k++ {
		weights := make([]int64, 17+7*k)
		for i := range weights {
			weights[i] = int64((i*7919+k*104729)%1000 + 1)
		}
		total := loyalty.MustMoney(fmt.Sprintf("%d.%02d", 1000+k*37, k*3%100), "RUB")
		want, err := total.Allocate(weights)
		if err != nil {
			t.Fatal(err)
		}
		splits = append(splits, split{total, weights, want})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 200; r++ {
				s := splits[(g+r)%len(splits)]
				got := make([]loyalty.Money, len(s.weights))
				ints := make([]int64, len(s.weights))
				if err := s.total.AllocateInto(got, s.weights); err != nil {
					errs <- err.Error()
					return
				}
				if err := loyalty.AllocateInts(ints, s.total.MinorUnits(), s.weights); err != nil {
					errs <- err.Error()
					return
				}
				for i := range got {
					if got[i] != s.want[i] || ints[i] != s.want[i].MinorUnits() {
						errs <- fmt.Sprintf("split of %v over %d parts: part %d = %v and %d, want %v", s.total, len(s.weights), i, got[i], ints[i], s.want[i])
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// allocateOracle is the largest-remainder split written plainly: every part its share
// rounded toward zero, then the units left over one each to the largest dropped fractions,
// ties to the earlier position, by a full sort of the fractions (exact fractions as big
// integers).
func allocateOracle(total int64, weights []int64) []int64 {
	sum := new(big.Int)
	for _, w := range weights {
		sum.Add(sum, big.NewInt(w))
	}
	abs := new(big.Int).Abs(big.NewInt(total))
	parts := make([]int64, len(weights))
	type frac struct {
		r *big.Int
		i int
	}
	var fracs []frac
	given := new(big.Int)
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(abs, big.NewInt(w)), sum, new(big.Int))
		given.Add(given, q)
		parts[i] = q.Int64()
		fracs = append(fracs, frac{r, i})
	}
	sort.SliceStable(fracs, func(a, b int) bool { return fracs[a].r.Cmp(fracs[b].r) > 0 })
	left := new(big.Int).Sub(abs, given).Int64()
	for _, f := range fracs[:left] {
		parts[f.i]++
	}
	if total < 0 {
		for i := range parts {
			parts[i] = -parts[i]
		}
	}
	return parts
}

// AllocateInts gives exactly the oracle's parts: over few and many parts, small weights
// (many equal fractions, so the ties decide) and large ones, any number of units left over.
func TestPropAllocateIntsMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.OneOf(rapid.IntRange(1, 20), rapid.IntRange(1, 80), rapid.IntRange(30, 400)).Draw(t, "n")
		wmax := rapid.SampledFrom([]int64{1, 3, 10, 1000, 1e12, math.MaxInt64 / 1000}).Draw(t, "wmax")
		weights := rapid.SliceOfN(rapid.Int64Range(0, wmax), n, n).Draw(t, "weights")
		weights[rapid.IntRange(0, n-1).Draw(t, "i")] = rapid.Int64Range(1, wmax).Draw(t, "w")
		total := rapid.OneOf(rapid.Int64Range(-200, 200), rapid.Int64Range(-1e15, 1e15),
			rapid.Int64Range(-math.MaxInt64, math.MaxInt64)).Draw(t, "total")
		got := make([]int64, n)
		if err := loyalty.AllocateInts(got, total, weights); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allocateOracle(total, weights), got); diff != "" {
			t.Fatalf("AllocateInts(%d, %v) (-want +got):\n%s", total, weights, diff)
		}
	})
}

// BenchmarkAllocateInts splits a total over the line totals of 10 and 100 lines, as a
// discount or a bonus is split over an order's lines.
func BenchmarkAllocateInts(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("parts=%d", n), func(b *testing.B) {
			weights := make([]int64, n)
			for i := range weights {
				weights[i] = 12345 * int64(1+i%7)
			}
			parts := make([]int64, n)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := loyalty.AllocateInts(parts, int64(1000+i%977), weights); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// evaluationSplits are the splits one campaign evaluation makes (campaign's
// BenchmarkEvaluateInto/lines=10: discounts, points and their values over the order's lines):
// 4 to 10 parts, 2 to 8 units left over, a few zero weights.
var evaluationSplits = []struct {
	total   int64
	weights []int64
}{
	{7037, []int64{0, 24690, 37035, 0, 61725, 74070, 0, 12345, 24690, 0}},
	{41269, []int64{12345, 23949, 35924, 49380, 59873, 71848, 86415, 11975, 23949, 37035}},
	{7428, []int64{11110, 21554, 32332, 44442, 53886, 64663, 77774, 10777, 21554, 33332}},
	{10920, []int64{10888, 21123, 31685, 43553, 52808, 63370, 76219, 10562, 21123, 32665}},
	{114, []int64{20489, 30735, 51224, 61469, 10245, 20489}},
	{57, []int64{20489, 30735, 51224, 61469, 10245, 20489}},
	{45, []int64{10561, 42246, 73933, 31685}},
	{23, []int64{10561, 42246, 73933, 31685}},
	{10000, []int64{10561, 20489, 30735, 42246, 51224, 61469, 73933, 10245, 20489, 31685}},
	{100, []int64{10561, 20489, 30735, 42246, 51224, 61469, 73933, 10245, 20489, 31685}},
}

// BenchmarkAllocateIntsEvaluation makes the 10 splits of one campaign evaluation per
// operation.
func BenchmarkAllocateIntsEvaluation(b *testing.B) {
	var parts [16]int64
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range evaluationSplits {
			if err := loyalty.AllocateInts(parts[:len(s.weights)], s.total, s.weights); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// AllocateInts gives the oracle's parts at the boundaries of its ways of ranking the
// remainders: 1, 2, 16, 17, 32 and 33 parts and a few more; no unit left over, one, and
// all but one (equal weights, whose remainders all tie); remainders crowded around one
// fraction (nearly equal weights: rounding half up is then far off); zero weights; negative totals; and
// weights summing to just below, at and just above the sums whose remainders leave no room
// for the position in a ranking key (2⁶⁴ over the next power of two of the number of
// parts), up to the int64 limit.
func TestPropAllocateIntsMatchesOracleAtTheBoundaries(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.SampledFrom([]int{1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65}).Draw(t, "n")
		weights := make([]int64, n)
		var total int64
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0: // equal weights, some zero, and a chosen number of units left over
			w := rapid.Int64Range(1, 1e6).Draw(t, "w")
			nonzero := 0
			for i := range weights {
				if rapid.IntRange(0, 4).Draw(t, fmt.Sprintf("zero%d", i)) > 0 || i == n-1 && nonzero == 0 {
					weights[i] = w
					nonzero++
				}
			}
			left := rapid.OneOf(rapid.SampledFrom([]int{0, 1, nonzero - 1, nonzero / 2}), rapid.IntRange(0, nonzero-1)).Draw(t, "left")
			total = int64(nonzero)*rapid.Int64Range(0, 1e9).Draw(t, "each") + int64(left)
		case 1: // weights summing near the ranking key's limit or the int64 limit
			shift := uint(bits.Len(uint(n - 1)))
			limit := uint64(math.MaxUint64>>shift) + 1 // the first sum too large for the key
			target := rapid.SampledFrom([]uint64{limit - 1, limit, limit + 1, limit / 2, math.MaxInt64, math.MaxInt64 - 1}).Draw(t, "target")
			target = max(1, min(target, math.MaxInt64)) // one part: limit wraps to 0
			rest := target
			for i := range weights[:n-1] {
				weights[i] = rapid.Int64Range(0, int64(target/uint64(n))).Draw(t, fmt.Sprintf("w%d", i))
				rest -= uint64(weights[i])
			}
			weights[n-1] = int64(rest)
			total = rapid.OneOf(rapid.Int64Range(-1000, 1000), rapid.Int64Range(-math.MaxInt64, math.MaxInt64)).Draw(t, "total")
		case 2: // nearly equal weights: remainders crowd around one fraction of the sum, so
			// that rounding each share half up gives up to half the parts a unit too many or
			// too few, and the units move to or from the parts next in the ranking
			w := rapid.Int64Range(int64(n)+1, 1e12).Draw(t, "w")
			for i := range weights {
				weights[i] = w + rapid.Int64Range(-int64(n), int64(n)).Draw(t, fmt.Sprintf("d%d", i))
			}
			total = int64(n)*rapid.Int64Range(0, 1e6).Draw(t, "each") + rapid.Int64Range(0, int64(n-1)).Draw(t, "left")
		default: // small weights with zeros: many ties
			for i := range weights {
				weights[i] = rapid.Int64Range(0, 3).Draw(t, fmt.Sprintf("w%d", i))
			}
			weights[rapid.IntRange(0, n-1).Draw(t, "i")] = rapid.Int64Range(1, 3).Draw(t, "w")
			total = rapid.Int64Range(-500, 500).Draw(t, "total")
		}
		if rapid.Bool().Draw(t, "negative") {
			total = -total
		}
		got := make([]int64, n)
		if err := loyalty.AllocateInts(got, total, weights); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allocateOracle(total, weights), got); diff != "" {
			t.Fatalf("AllocateInts(%d, %v) (-want +got):\n%s", total, weights, diff)
		}
	})
}
