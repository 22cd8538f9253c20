package promo_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
)

// coffeeIssuance: every two weeks (mid-month and month end) fresh codes for 30 %, valid 2.5
// months; keeping them coming requires a purchase every 2 months.
var coffeeIssuance = promo.Issuance{DaysOfMonth: []int{15, 31}, ValidMonths: 2, ValidDays: 15, ActiveMonths: 2}

func msk(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, moscow) }

func TestIssuanceDates(t *testing.T) {
	if err := coffeeIssuance.Validate(); err != nil {
		t.Fatal(err)
	}
	got := coffeeIssuance.Dates(msk(2026, 11, 1, 0), msk(2027, 3, 1, 0), moscow)
	want := []time.Time{
		msk(2026, 11, 15, 0), msk(2026, 11, 30, 0), // November has 30 days
		msk(2026, 12, 15, 0), msk(2026, 12, 31, 0),
		msk(2027, 1, 15, 0), msk(2027, 1, 31, 0),
		msk(2027, 2, 15, 0), msk(2027, 2, 28, 0),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Dates (-want +got):\n%s", diff)
	}
	// The range is half-open and starts mid-month.
	got = coffeeIssuance.Dates(msk(2026, 11, 15, 1), msk(2026, 12, 15, 0), moscow)
	if diff := cmp.Diff([]time.Time{msk(2026, 11, 30, 0)}, got); diff != "" {
		t.Errorf("Dates (-want +got):\n%s", diff)
	}
	// Days 30 and 31 both clamp to 28 February: issued once.
	twice := promo.Issuance{DaysOfMonth: []int{31, 30}, ValidDays: 1}
	got = twice.Dates(msk(2027, 2, 1, 0), msk(2027, 3, 1, 0), moscow)
	if diff := cmp.Diff([]time.Time{msk(2027, 2, 28, 0)}, got); diff != "" {
		t.Errorf("Dates (-want +got):\n%s", diff)
	}
}

func TestIssuanceWindow(t *testing.T) {
	tests := []struct {
		at         time.Time
		from, till time.Time
	}{
		// 15 November + 2 months = 15 January, + 15 days = 30 January (exclusive).
		{msk(2026, 11, 15, 9), msk(2026, 11, 15, 0), msk(2027, 1, 30, 0)},
		// 31 December + 2 months clamps to 28 February, + 15 days = 15 March.
		{msk(2026, 12, 31, 0), msk(2026, 12, 31, 0), msk(2027, 3, 15, 0)},
		// 30 November 22:30 UTC is already 1 December in Moscow.
		{time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC), msk(2026, 12, 1, 0), msk(2027, 2, 16, 0)},
	}
	for _, tt := range tests {
		w := coffeeIssuance.Window(tt.at, moscow)
		if !w.From.Equal(tt.from) || !w.Until.Equal(tt.till) {
			t.Errorf("Window(%v) = [%v, %v), want [%v, %v)", tt.at, w.From, w.Until, tt.from, tt.till)
		}
	}
}

func TestIssuanceRecipients(t *testing.T) {
	at := msk(2027, 1, 15, 0)
	buyers := []promo.Buyer{
		{Account: "regular", LastPurchase: msk(2027, 1, 10, 12)},
		{Account: "edge", LastPurchase: msk(2026, 11, 15, 0)},    // exactly two months before
		{Account: "lapsed", LastPurchase: msk(2026, 11, 14, 23)}, // just over two months
		{Account: "never"},
		{Account: "future", LastPurchase: msk(2027, 1, 16, 0)},
		{Account: "regular", LastPurchase: msk(2027, 1, 1, 0)}, // listed twice
		{Account: "", LastPurchase: msk(2027, 1, 10, 0)},
	}
	got := coffeeIssuance.Recipients(at, buyers, moscow)
	if diff := cmp.Diff([]loyalty.AccountID{"regular", "edge"}, got); diff != "" {
		t.Errorf("Recipients (-want +got):\n%s", diff)
	}
	everyone := promo.Issuance{DaysOfMonth: []int{1}, ValidDays: 10}
	got = everyone.Recipients(at, buyers, moscow)
	if diff := cmp.Diff([]loyalty.AccountID{"regular", "edge", "lapsed"}, got); diff != "" {
		t.Errorf("Recipients without ActiveMonths (-want +got):\n%s", diff)
	}
}
