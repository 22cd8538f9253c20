package loyalty_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

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
