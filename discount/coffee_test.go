package discount_test

import (
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
)

// TestCoffeeShop prices the Capsboutique order (see coffeeShop and coffeeOrder) in three
// situations; the expected amounts are derived in the comments.
func TestCoffeeShop(t *testing.T) {
	calc := mustNew(t, coffeeShop())
	after := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC) // R1 is over
	during := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC) // R1 runs

	type want struct {
		Lines    map[string][]loyalty.Money
		Reasons  map[string]discount.Reason
		Discount loyalty.Money
	}
	tests := []struct {
		name string
		o    loyalty.Order
		want want
	}{
		{
			// Permanent: beans15 = 15 % of 5,000 = 750 (450 beans, 300 capsules); 500 off each
			// machine line, bundle included. SKIDKA30 (typed in lower case with a space):
			// 30 % of 2,550 + 1,700 + 29,500 = 10,125, the promotional bundle excluded.
			name: "code after R1",
			o:    coffeeOrder(after, "skidka 30"),
			want: want{
				Lines: map[string][]loyalty.Money{
					"beans15":     ms("450", "300", "0", "0"),
					"machines500": ms("0", "0", "500", "500"),
					"R1":          ms("0", "0", "0", "0"),
					"SKIDKA30":    ms("765", "510", "8850", "0"),
				},
				Reasons: map[string]discount.Reason{"R1": discount.ReasonInactive, "SKIDKA30": discount.ReasonExcluded},
				// 750 + 1,000 + 10,125
				Discount: m("11875"),
			},
		},
		{
			// During R1: 10 % of the capsules' 1,700 left = 170; SKIDKA30 does not combine.
			name: "code during R1",
			o:    coffeeOrder(during, "SKIDKA30"),
			want: want{
				Lines: map[string][]loyalty.Money{
					"beans15":     ms("450", "300", "0", "0"),
					"machines500": ms("0", "0", "500", "500"),
					"R1":          ms("0", "170", "0", "0"),
					"SKIDKA30":    ms("0", "0", "0", "0"),
				},
				Reasons:  map[string]discount.Reason{"SKIDKA30": discount.ReasonNotCombinable},
				Discount: m("1920"),
			},
		},
		{
			// Only beans and capsules (5,000): below the code's 10,000 minimum.
			name: "code below the minimum",
			o: func() loyalty.Order {
				o := coffeeOrder(after, "SKIDKA30")
				o.Lines = o.Lines[:2]
				return o
			}(),
			want: want{
				Lines: map[string][]loyalty.Money{
					"beans15":     ms("450", "300"),
					"machines500": ms("0", "0"),
					"R1":          ms("0", "0"),
					"SKIDKA30":    ms("0", "0"),
				},
				Reasons: map[string]discount.Reason{"machines500": discount.ReasonNoEligibleLines,
					"R1": discount.ReasonInactive, "SKIDKA30": discount.ReasonThresholdNotMet},
				Discount: m("750"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := calc.Apply(tt.o, discount.History{})
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, tt.o, r)
			got := want{Lines: map[string][]loyalty.Money{}, Reasons: map[string]discount.Reason{}, Discount: r.Discount}
			for _, e := range r.Entries {
				got.Lines[e.Discount] = e.Lines
				if e.Reasons != 0 {
					got.Reasons[e.Discount] = e.Reasons
				}
			}
			diff(t, "result", tt.want, got)
		})
	}
	// The explanation of the R1 case names the conflict.
	r, _ := calc.Apply(coffeeOrder(during, "SKIDKA30"), discount.History{})
	contains(t, r.Explain(), "SKIDKA30 (code SKIDKA30), 30%: not applied: it does not combine with R1, which applied.")
}
