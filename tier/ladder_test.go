package tier_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
)

func TestValidateRejectsBadLadders(t *testing.T) {
	usd := loyalty.MustMoney("100", "USD")
	tests := []struct {
		name string
		edit func(l *tier.Ladder)
		want []string // every one of these must appear in the error
	}{
		{"unsorted thresholds", func(l *tier.Ladder) {
			l.Levels[1].Threshold.Spend, l.Levels[2].Threshold.Spend = rub("6000000"), rub("4000000")
		}, []string{"levels[2].threshold.spend: must be greater than the threshold of levels[1] (got \"4000000.00 RUB\")"}},
		{"duplicate thresholds", func(l *tier.Ladder) { l.Levels[2].Threshold.Spend = rub("3000000.01") },
			[]string{"levels[2].threshold.spend: duplicates the threshold of levels[1]"}},
		{"negative threshold", func(l *tier.Ladder) { l.Levels[1].Threshold.Spend = rub("-1") },
			[]string{"levels[1].threshold.spend: must not be negative (got \"-1.00 RUB\")"}},
		{"mixed currencies", func(l *tier.Ladder) { l.Levels[1].Threshold.Spend = usd },
			[]string{"levels[1].threshold.spend: must be in RUB like the ladder (got \"100.00 USD\")"}},
		{"entry level above zero", func(l *tier.Ladder) { l.Levels[0].Threshold.Spend = rub("1") },
			[]string{"levels[0].threshold.spend: must be zero: the first level is the entry level"}},
		{"other measure's field", func(l *tier.Ladder) { l.Levels[1].Threshold.Count = 3 },
			[]string{"levels[1].threshold.count: must be zero on a spend ladder (got 3)"}},
		{"no levels", func(l *tier.Ladder) { l.Levels = nil }, []string{"levels: must have at least one level"}},
		{"duplicate and empty names", func(l *tier.Ladder) { l.Levels[1].Name = "5%"; l.Levels[2].Name = " " },
			[]string{"levels[1].name: duplicates levels[0].name (got 5%)", "levels[2].name: is required"}},
		{"no currency", func(l *tier.Ladder) { l.Currency = loyalty.Currency{} }, []string{"currency: is required for a spend ladder"}},
		{"bad measure", func(l *tier.Ladder) { l.Measure = "miles" }, []string{"measure: must be one of"}},
		{"zero-length rolling window", func(l *tier.Ladder) { l.Window = tier.Window{Kind: tier.Rolling} },
			[]string{"window.months: must be at least 1: a window cannot be empty (got 0)"}},
		{"calendar window without period", func(l *tier.Ladder) { l.Window = tier.Window{Kind: tier.Calendar} },
			[]string{"window.period: must be one of month, quarter, half-year, year"}},
		{"calendar window of a day", func(l *tier.Ladder) { l.Window.Period = loyalty.Day }, []string{"window.period"}},
		{"unknown window", func(l *tier.Ladder) { l.Window.Kind = "fortnight" }, []string{"window.kind: must be one of"}},
		{"lifetime window with a period", func(l *tier.Ladder) { l.Window = tier.Window{Period: loyalty.Year, Months: 3} },
			[]string{"window.period: must be empty for a lifetime window (got year)", "window.months: must be zero for a lifetime window (got 3)"}},
		{"calendar window with months", func(l *tier.Ladder) { l.Window.Months = 12 }, []string{"window.months: must be zero for a calendar window (got 12)"}},
		{"rolling window with a period", func(l *tier.Ladder) { l.Window = tier.Window{Kind: tier.Rolling, Months: 3, Period: loyalty.Month} },
			[]string{"window.period: must be empty for a rolling window (got month)"}},
		{"negative anniversary window", func(l *tier.Ladder) { l.Window = tier.Window{Kind: tier.Anniversary, Months: -1} },
			[]string{"window.months: must be at least 1 (or 0 for 12): a window cannot be empty (got -1)"}},
		{"bad schedules", func(l *tier.Ladder) {
			l.Review = tier.ReviewPolicy{UpgradeEvery: "monthly", DowngradeEvery: "yearly", Downgrade: "halfway", GraceMonths: -1}
		}, []string{"review.upgrade_every", "review.downgrade_every", "review.downgrade: must be to-qualified or one-level (got halfway)", "review.grace_months: must not be negative (got -1)"}},
		{"one level down needs a schedule", func(l *tier.Ladder) { l.Review = tier.ReviewPolicy{Downgrade: tier.OneLevel} },
			[]string{"review.downgrade: needs a downgrade schedule (downgrade_every): one level per review (got one-level)"}},
		{"bad benefits", func(l *tier.Ladder) {
			l.Levels[1].Benefits = tier.Benefits{DiscountRate: dec("1.5"), EarnRate: dec("-0.1"), EarnMultiplier: dec("-2"), Perks: []string{"x", "x", ""}}
		}, []string{"levels[1].benefits.discount_rate: must lie between 0 and 1 (got 1.5)", "levels[1].benefits.earn_rate", "levels[1].benefits.earn_multiplier",
			"levels[1].benefits.perks[1]: is listed twice (got x)", "levels[1].benefits.perks[2]: must not be empty"}},
		{"bad commitment", func(l *tier.Ladder) {
			l.Levels[2].Commitment = &tier.Commitment{Period: loyalty.Week, Minimum: tier.Amount{Spend: rub("0")}}
		}, []string{"levels[2].commitment.period: must be one of month, quarter, half-year, year (got week)", "levels[2].commitment.minimum.spend: must be positive"}},
		{"bad membership", func(l *tier.Ladder) { l.Levels[1].Membership = &tier.MembershipTerms{Fee: rub("-250")} },
			[]string{"levels[1].membership.fee: must not be negative", "levels[1].membership.months: must be at least 1 (got 0)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := airlineLadder()
			tt.edit(&l)
			err := l.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("error does not match loyalty.ErrInvalid: %v", err)
			}
			var fe *loyalty.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error holds no *loyalty.FieldError: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "tier: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if _, err := tier.NewEvaluator(l, msk); err == nil {
				t.Error("NewEvaluator accepted an invalid ladder")
			}
		})
	}
}

func TestValidateAcceptsGoodLadders(t *testing.T) {
	for name, l := range map[string]tier.Ladder{
		"airline": airlineLadder(),
		"miles":   milesLadder(),
		"tenure": {Measure: tier.Tenure, Levels: []tier.Level{{Name: "new"},
			{Name: "regular", Threshold: tier.Amount{Count: 6}, Benefits: tier.Benefits{Perks: []string{"deferred payment"}}}}},
		"volume": {Measure: tier.Volume, Window: tier.Window{Kind: tier.Anniversary}, Levels: []tier.Level{{Name: "base"},
			{Name: "bulk", Threshold: tier.Amount{Volume: loyalty.MustQuantity("12.5")}}}},
	} {
		if err := l.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", name, err)
		}
	}
}

func TestLevelForAirlineBoundaries(t *testing.T) {
	e := mustEvaluator(airlineLadder())
	tests := []struct {
		spend string
		want  string
	}{
		{"0", "5%"}, {"-500", "5%"}, {"2999999.99", "5%"}, {"3000000.00", "5%"}, {"3000000.01", "6%"},
		{"4500000", "6%"}, {"5000000.00", "6%"}, {"5000000.01", "7%"}, {"90000000", "7%"},
	}
	for _, tt := range tests {
		lv, err := e.LevelFor(tier.Amount{Spend: rub(tt.spend)})
		if err != nil {
			t.Fatalf("LevelFor(%s): %v", tt.spend, err)
		}
		if got := e.Level(lv).Name; got != tt.want {
			t.Errorf("LevelFor(%s) = %s, want %s", tt.spend, got, tt.want)
		}
	}
	if _, err := e.LevelFor(tier.Amount{Spend: loyalty.MustMoney("10", "USD")}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("LevelFor(USD) error = %v, want ErrInvalid", err)
	}
	if _, err := e.LevelFor(tier.Amount{Count: 3}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("LevelFor(count on a spend ladder) error = %v, want ErrInvalid", err)
	}
}

func TestWindowBounds(t *testing.T) {
	enrolled := time.Date(2025, 1, 31, 15, 0, 0, 0, msk)
	tests := []struct {
		name       string
		w          tier.Window
		at         time.Time
		start, end time.Time
	}{
		{"lifetime", tier.Window{}, date(2026, 5, 5), date(2025, 1, 31), time.Time{}},
		{"calendar quarter", tier.Window{Kind: tier.Calendar, Period: loyalty.Quarter}, time.Date(2026, 5, 5, 23, 59, 0, 0, msk), date(2026, 4, 1), date(2026, 7, 1)},
		{"calendar year, local midnight", tier.Window{Kind: tier.Calendar, Period: loyalty.Year}, date(2026, 1, 1), date(2026, 1, 1), date(2027, 1, 1)},
		{"rolling 12 months", tier.Window{Kind: tier.Rolling, Months: 12}, date(2026, 3, 15), date(2025, 3, 16), date(2026, 3, 16)},
		{"rolling 1 month at month end", tier.Window{Kind: tier.Rolling, Months: 1}, date(2026, 3, 31), date(2026, 3, 1), date(2026, 4, 1)},
		{"anniversary before the first anniversary", tier.Window{Kind: tier.Anniversary}, date(2026, 1, 30), date(2025, 1, 31), date(2026, 1, 31)},
		{"anniversary on the anniversary", tier.Window{Kind: tier.Anniversary}, date(2026, 1, 31), date(2026, 1, 31), date(2027, 1, 31)},
		{"anniversary of 6 months clamps 31 July", tier.Window{Kind: tier.Anniversary, Months: 6}, date(2025, 8, 1), date(2025, 7, 31), date(2026, 1, 31)},
		{"anniversary of 1 month in February", tier.Window{Kind: tier.Anniversary, Months: 1}, date(2025, 3, 1), date(2025, 2, 28), date(2025, 3, 31)},
	}
	for _, tt := range tests {
		s, e := tt.w.Bounds(tt.at, enrolled)
		if !s.Equal(tt.start) || !e.Equal(tt.end) {
			t.Errorf("%s: Bounds(%v) = [%v, %v), want [%v, %v)", tt.name, tt.at, s, e, tt.start, tt.end)
		}
	}
}

func TestHistorySum(t *testing.T) {
	h := tier.History{{Day: 10, Units: 5}, {Day: 12, Units: -2}, {Day: 20, Units: 7}}
	for _, tt := range []struct {
		from, to tier.Day
		want     int64
	}{{0, 100, 10}, {10, 11, 5}, {11, 20, -2}, {13, 20, 0}, {12, 21, 5}, {21, 30, 0}} {
		if got := h.Sum(tt.from, tt.to); got != tt.want {
			t.Errorf("Sum(%d, %d) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
	if diff := cmp.Diff("2026-03-15", tier.DayOf(date(2026, 3, 15)).String()); diff != "" {
		t.Error(diff)
	}
	if got := tier.DayOf(date(2026, 3, 15)).Start(msk); !got.Equal(date(2026, 3, 15)) {
		t.Errorf("Day.Start = %v", got)
	}
}

func TestLadderJSONRoundTrip(t *testing.T) {
	l := airlineLadder()
	l.Levels[2].Benefits.Perks = []string{"personal manager"}
	l.Levels[2].Commitment = &tier.Commitment{Period: loyalty.Quarter, Minimum: tier.Amount{Spend: rub("1000000")}, Enforce: true}
	l.Levels[1].Membership = &tier.MembershipTerms{Fee: rub("250"), Months: 12}
	data, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back tier.Ladder
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("Unmarshal(%s): %v", data, err)
	}
	if diff := cmp.Diff(l, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := back.Validate(); err != nil {
		t.Error(err)
	}
	if !strings.Contains(string(data), `"upgrade_every":"month"`) || !strings.Contains(string(data), `"earn_rate":"0.07"`) {
		t.Errorf("unexpected JSON: %s", data)
	}
}

func TestStatusFromALongerLadderDoesNotPanic(t *testing.T) {
	e := mustEvaluator(milesLadder())
	a := tier.Account{ID: "x", Enrolled: date(2025, 1, 1), Status: tier.Status{Level: 7, Reviewed: date(2025, 1, 1),
		Override: &tier.Override{Level: 9, From: date(2025, 1, 1), Until: date(2026, 1, 1)}}}
	if lv, _ := e.Effective(a.Status, date(2025, 6, 1)); lv != 2 {
		t.Errorf("Effective = %d, want the top level 2", lv)
	}
	p := e.Project(a, date(2025, 6, 1))
	if p.LevelName != "Gold" {
		t.Errorf("projection level = %s", p.LevelName)
	}
	if _, _, err := e.Advance(a, date(2026, 6, 1)); err != nil {
		t.Error(err)
	}
}
