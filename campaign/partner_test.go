package campaign_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/shopspring/decimal"
)

func sale(acct string, at time.Time, cat string, q, amount string) campaign.Sale {
	return campaign.Sale{Account: loyalty.AccountID(acct), At: at, Category: loyalty.CategoryID(cat), SKU: loyalty.SKU(cat + "-1"),
		Quantity: qty(q), Amount: m(amount)}
}

func TestSalesTarget(t *testing.T) {
	day := func(mo time.Month, d, h, min int) time.Time { return time.Date(2026, mo, d, h, min, 0, 0, msk) }
	target := campaign.SalesTarget{ID: "filters-q1", Start: "2026-01-01", End: "2026-03-31",
		Categories: []loyalty.CategoryID{"filters"}, Units: qty("100"), Points: 5000, Credit: m("1000")}
	sales := []campaign.Sale{
		sale("d1", day(1, 10, 12, 0), "filters", "60", "0"),
		sale("d1", day(3, 31, 23, 59), "filters", "50", "0"),                            // the last minute of the period counts
		sale("d1", day(2, 1, 12, 0), "pumps", "500", "0"),                               // another line
		sale("d2", day(3, 1, 12, 0), "filters", "90", "0"),                              // 90 in the period
		sale("d2", time.Date(2026, 3, 31, 21, 0, 0, 0, time.UTC), "filters", "20", "0"), // 1 April 00:00 in Moscow: outside
		sale("d3", day(2, 2, 12, 0), "filters", "250", "0"),
		sale("d4", day(2, 2, 12, 0), "filters", "120", "0"),
		sale("d4", day(2, 9, 12, 0), "filters", "-30", "0"), // a return
	}
	got, err := target.Evaluate(sales, msk)
	if err != nil {
		t.Fatal(err)
	}
	want := []campaign.SalesResult{
		{Account: "d1", Units: qty("110"), Times: 1, Points: 5000, Credit: m("1000")},
		{Account: "d2", Units: qty("90"), Credit: m("0")},
		{Account: "d3", Units: qty("250"), Times: 1, Points: 5000, Credit: m("1000")},
		{Account: "d4", Units: qty("90"), Credit: m("0")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	// Each: a bonus for every full 100 units.
	target.Each = true
	got, _ = target.Evaluate(sales, msk)
	if got[2].Times != 2 || got[2].Points != 10000 || !got[2].Credit.Equal(m("2000")) {
		t.Errorf("each 100 units: %+v, want twice", got[2])
	}
	// In UTC the sale of d2 at 21:00 UTC on 31 March is in the period.
	got, _ = target.Evaluate(sales, nil)
	if got[1].Units.Cmp(qty("110")) != 0 || got[1].Times != 1 {
		t.Errorf("in UTC: %+v, want 110 units reaching the target", got[1])
	}
	for _, bad := range []campaign.SalesTarget{
		{End: "2026-03-31", Units: qty("1"), Points: 1},
		{ID: "x", Units: qty("1"), Points: 1},
		{ID: "x", End: "2026-03-31", Points: 1},
		{ID: "x", End: "2026-03-31", Units: qty("1")},
		{ID: "x", Start: "2026-04-01", End: "2026-03-31", Units: qty("1"), Points: 1},
	} {
		if _, err := bad.Evaluate(sales, msk); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
}

// The BWT co-op marketing of DOMAIN.md: half of an advert showing only BWT products, less
// when other manufacturers share it.
func TestCoMarketing(t *testing.T) {
	half := campaign.CoMarketing{Share: d("0.5")}
	table := campaign.CoMarketing{Share: d("0.5"), Shares: []decimal.Decimal{d("0.3"), d("0.2")}, Max: m("40000")}
	tests := []struct {
		name   string
		rule   campaign.CoMarketing
		cost   string
		others int
		want   string
	}{
		{"only our products", half, "100000", 0, "50000"},
		{"one other manufacturer: the advert split in two", half, "100000", 1, "25000"},
		{"three others", half, "100000", 3, "12500"},
		{"two others: a third of a half, rounded down", half, "1000", 2, "166.66"},
		{"rounded down once", half, "333.33", 0, "166.66"},
		{"table: one other", table, "100000", 1, "30000"},
		{"table: five others take the last share", table, "100000", 5, "20000"},
		{"table: capped", table, "100000", 0, "40000"},
		{"nothing spent", half, "0", 0, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rule.Reimburse(m(tt.cost), tt.others)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(m(tt.want)) {
				t.Errorf("Reimburse(%s, %d) = %s, want %s", tt.cost, tt.others, got, tt.want)
			}
		})
	}
	for name, bad := range map[string]struct {
		rule   campaign.CoMarketing
		cost   string
		others int
		field  string
	}{
		"no share":            {campaign.CoMarketing{}, "1", 0, "share:"},
		"share above 1":       {campaign.CoMarketing{Share: d("1.5")}, "1", 0, "share:"},
		"growing shares":      {campaign.CoMarketing{Share: d("0.5"), Shares: []decimal.Decimal{d("0.3"), d("0.4")}}, "1", 0, "shares[1]:"},
		"negative cost":       {half, "-1", 0, "cost:"},
		"negative others":     {half, "1", -1, "cost:"},
		"negative cap":        {campaign.CoMarketing{Share: d("0.5"), Max: m("-1")}, "1", 0, "max:"},
		"first share too big": {campaign.CoMarketing{Share: d("0.5"), Shares: []decimal.Decimal{d("0.6")}}, "1", 0, "shares[0]:"},
	} {
		_, err := bad.rule.Reimburse(m(bad.cost), bad.others)
		if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("%s: %v, want ErrInvalid naming %s", name, err, bad.field)
		}
	}
}

// The dropshipping supplier's monthly newcomer contest: stores whose first purchase falls in
// March, ranked by their first month's purchases; 1st place 20,000 credited, 2nd 10,000, 3rd
// a smart speaker.
func TestNewcomerContest(t *testing.T) {
	at := func(mo time.Month, d, h int) time.Time { return time.Date(2026, mo, d, h, 0, 0, 0, msk) }
	contest := campaign.Contest{ID: "newcomers-march", Start: "2026-03-01", End: "2026-03-31", Measure: campaign.MeasureSpend,
		Newcomers: true, Prizes: []campaign.Prize{{Credit: m("20000")}, {Credit: m("10000")}, {Perk: "smart speaker"}}}
	sales := []campaign.Sale{
		sale("old", at(2, 20, 12), "x", "1", "100"), // a customer since February
		sale("old", at(3, 10, 12), "x", "1", "900000"),
		sale("n1", at(3, 5, 12), "x", "1", "30000"),
		sale("n1", at(4, 4, 12), "x", "1", "20000"), // within its first month (to 5 April)
		sale("n1", at(4, 6, 12), "x", "1", "99999"), // after it
		sale("n2", at(3, 20, 12), "x", "1", "40000"),
		sale("n3", at(3, 2, 12), "x", "1", "10000"),
		sale("n3", at(3, 18, 12), "x", "1", "30000"), // 40,000 reached on 18 March, before n2
		sale("n4", at(4, 1, 0), "x", "1", "100000"),  // first purchase in April
		sale("n5", at(3, 30, 12), "x", "1", "5000"),
		sale("n6", at(3, 31, 12), "x", "1", "100"),
		sale("n6", at(3, 31, 13), "x", "1", "-100"), // returned: nothing left
	}
	want := []campaign.Standing{
		{Place: 1, Account: "n1", Value: m("50000").MinorUnits(), Reached: at(4, 4, 12), Prize: &campaign.Prize{Credit: m("20000")}},
		{Place: 2, Account: "n3", Value: m("40000").MinorUnits(), Reached: at(3, 18, 12), Prize: &campaign.Prize{Credit: m("10000")}},
		{Place: 3, Account: "n2", Value: m("40000").MinorUnits(), Reached: at(3, 20, 12), Prize: &campaign.Prize{Perk: "smart speaker"}},
		{Place: 4, Account: "n5", Value: m("5000").MinorUnits(), Reached: at(3, 30, 12)},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 5; round++ {
		got, err := contest.Rank(sales, msk)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d: standings (-want +got):\n%s", round, diff)
		}
		r.Shuffle(len(sales), func(i, j int) { sales[i], sales[j] = sales[j], sales[i] })
	}
}

func TestContestMeasuresAndTies(t *testing.T) {
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	sales := []campaign.Sale{
		sale("b", at, "x", "3", "100"), sale("a", at, "x", "3", "100"),
		sale("c", at.Add(time.Hour), "x", "1", "500"), sale("c", at.Add(2*time.Hour), "x", "1", "1"),
		sale("d", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "x", "50", "5000"), // before the window
	}
	base := campaign.Contest{ID: "c", Start: "2026-03-01", End: "2026-03-31", Prizes: []campaign.Prize{{Points: 100}}}
	for _, tt := range []struct {
		measure campaign.ContestMeasure
		want    []string
	}{
		// Same value, same time: the smaller account ID first.
		{campaign.MeasureUnits, []string{"a", "b", "c"}},
		{campaign.MeasureSpend, []string{"c", "a", "b"}},
		{campaign.MeasureOrders, []string{"c", "a", "b"}},
	} {
		c := base
		c.Measure = tt.measure
		got, err := c.Rank(sales, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, string(s.Account))
		}
		if diff := cmp.Diff(tt.want, ids); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.measure, diff)
		}
		if got[0].Prize == nil || got[0].Prize.Points != 100 || got[1].Prize != nil {
			t.Errorf("%s: prizes %+v %+v", tt.measure, got[0].Prize, got[1].Prize)
		}
	}
	for name, bad := range map[string]campaign.Contest{
		"no id":              {Start: "2026-03-01", End: "2026-03-31", Measure: campaign.MeasureSpend, Prizes: base.Prizes},
		"no start":           {ID: "c", End: "2026-03-31", Measure: campaign.MeasureSpend, Prizes: base.Prizes},
		"no end":             {ID: "c", Start: "2026-03-01", Measure: campaign.MeasureSpend, Prizes: base.Prizes},
		"bad measure":        {ID: "c", Start: "2026-03-01", End: "2026-03-31", Measure: "height", Prizes: base.Prizes},
		"no prizes":          {ID: "c", Start: "2026-03-01", End: "2026-03-31", Measure: campaign.MeasureSpend},
		"empty prize":        {ID: "c", Start: "2026-03-01", End: "2026-03-31", Measure: campaign.MeasureSpend, Prizes: []campaign.Prize{{}}},
		"months not newbies": {ID: "c", Start: "2026-03-01", End: "2026-03-31", Measure: campaign.MeasureSpend, Prizes: base.Prizes, FirstMonths: 2},
	} {
		if _, err := bad.Rank(sales, nil); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
