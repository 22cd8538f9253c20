package loyalty_test

import (
	"errors"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
)

func TestAddMonthsClampsToMonthEnd(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	for _, tc := range []struct {
		from time.Time
		n    int
		want time.Time
	}{
		{time.Date(2026, 1, 31, 10, 0, 0, 0, msk), 1, time.Date(2026, 2, 28, 10, 0, 0, 0, msk)},
		{time.Date(2028, 1, 31, 10, 0, 0, 0, msk), 1, time.Date(2028, 2, 29, 10, 0, 0, 0, msk)},
		{time.Date(2026, 3, 31, 0, 0, 0, 0, msk), -1, time.Date(2026, 2, 28, 0, 0, 0, 0, msk)},
		{time.Date(2026, 8, 31, 0, 0, 0, 0, msk), 13, time.Date(2027, 9, 30, 0, 0, 0, 0, msk)},
		{time.Date(2026, 5, 15, 0, 0, 0, 0, msk), 0, time.Date(2026, 5, 15, 0, 0, 0, 0, msk)},
		{time.Date(2026, 12, 31, 0, 0, 0, 0, msk), 2, time.Date(2027, 2, 28, 0, 0, 0, 0, msk)},
	} {
		if got := loyalty.AddMonths(tc.from, tc.n); !got.Equal(tc.want) || got.Location() != msk {
			t.Errorf("AddMonths(%v, %d) = %v, want %v", tc.from, tc.n, got, tc.want)
		}
	}
}

func TestPeriodStartAndNextInLocalTime(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		msk = time.FixedZone("MSK", 3*3600)
	}
	// 21:30 UTC on 31 March is already 1 April in Moscow: the month is April there.
	at := time.Date(2026, 3, 31, 21, 30, 0, 0, time.UTC).In(msk)
	for _, tc := range []struct {
		p           loyalty.Period
		start, next time.Time
	}{
		{loyalty.Day, time.Date(2026, 4, 1, 0, 0, 0, 0, msk), time.Date(2026, 4, 2, 0, 0, 0, 0, msk)},
		{loyalty.Week, time.Date(2026, 3, 30, 0, 0, 0, 0, msk), time.Date(2026, 4, 6, 0, 0, 0, 0, msk)}, // Monday
		{loyalty.Month, time.Date(2026, 4, 1, 0, 0, 0, 0, msk), time.Date(2026, 5, 1, 0, 0, 0, 0, msk)},
		{loyalty.Quarter, time.Date(2026, 4, 1, 0, 0, 0, 0, msk), time.Date(2026, 7, 1, 0, 0, 0, 0, msk)},
		{loyalty.HalfYear, time.Date(2026, 1, 1, 0, 0, 0, 0, msk), time.Date(2026, 7, 1, 0, 0, 0, 0, msk)},
		{loyalty.Year, time.Date(2026, 1, 1, 0, 0, 0, 0, msk), time.Date(2027, 1, 1, 0, 0, 0, 0, msk)},
	} {
		if err := tc.p.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := tc.p.Start(at); !got.Equal(tc.start) {
			t.Errorf("%s.Start(%v) = %v, want %v", tc.p, at, got, tc.start)
		}
		if got := tc.p.Next(at); !got.Equal(tc.next) {
			t.Errorf("%s.Next(%v) = %v, want %v", tc.p, at, got, tc.next)
		}
	}
	if err := loyalty.Period("fortnight").Validate(); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Validate(fortnight) = %v", err)
	}
}

func TestManualClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := loyalty.NewManualClock(start)
	if got := c.Advance(36 * time.Hour); !got.Equal(start.Add(36*time.Hour)) || !c.Now().Equal(got) {
		t.Errorf("Advance = %v, Now = %v", got, c.Now())
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Errorf("Set: Now = %v", c.Now())
	}
	var clk loyalty.Clock = loyalty.SystemClock()
	if clk.Now().IsZero() {
		t.Error("SystemClock reads the zero time")
	}
}
