package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
)

// dealers is a manufacturer's dealer program: two sales targets, co-marketing and two
// contests, in Moscow time.
func dealers() campaign.Program {
	return campaign.Program{ID: "dealers", Currency: rub, TimeZone: "Europe/Moscow",
		Earning: points.Rules{Rates: []points.Rate{{Points: 1, Per: d("100")}}},
		SalesTargets: []campaign.SalesTarget{
			{ID: "filters-q1", Start: "2026-01-01", End: "2026-03-31", Categories: []loyalty.CategoryID{"filters"}, Units: qty("100"), Points: 5000},
			{ID: "pumps-each", Start: "2026-01-01", End: "2026-03-31", SKUs: []loyalty.SKU{"pumps-1"}, Units: qty("10"), Each: true,
				Points: 300, Credit: m("1000")},
		},
		CoMarketing: &campaign.CoMarketing{Share: d("0.5"), Max: m("50000")},
		Contests: []campaign.Contest{
			{ID: "newcomers-march", Start: "2026-03-01", End: "2026-03-31", Measure: campaign.MeasureSpend, Newcomers: true,
				Prizes: []campaign.Prize{{Points: 20000}, {Credit: m("10000")}, {Perk: "smart speaker"}}},
			{ID: "units-q1", Start: "2026-01-01", End: "2026-03-31", Measure: campaign.MeasureUnits,
				Prizes: []campaign.Prize{{Points: 1000}, {Points: 500}}},
		},
	}
}

// flakyPoints fails the points store's Update calls numbered in fail (1 is the first).
type flakyPoints struct {
	points.Store
	mu   sync.Mutex
	n    int
	fail map[int]bool
}

func (s *flakyPoints) Update(ctx context.Context, fn func(points.Tx) error) error {
	s.mu.Lock()
	s.n++
	fail := s.fail[s.n]
	s.mu.Unlock()
	if fail {
		return errors.New("points store unavailable")
	}
	return s.Store.Update(ctx, fn)
}

func newDealerEngine(t *testing.T, fail ...int) (*campaign.Engine, *loyalty.ManualClock) {
	t.Helper()
	s := campaign.MemoryStores()
	fp := &flakyPoints{Store: s.Points, fail: map[int]bool{}}
	for _, n := range fail {
		fp.fail[n] = true
	}
	s.Points = fp
	clock := loyalty.NewManualClock(t0)
	e, err := campaign.New(dealers(), s, campaign.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return e, clock
}

func mskDay(mo time.Month, d int) time.Time { return time.Date(2026, mo, d, 12, 0, 0, 0, msk) }

// dealerSales: a sells 110 filters and b 90 in the first quarter; c sells 25 pumps; a
// filter sale on 1 April (Moscow) is outside the quarter.
func dealerSales() []campaign.Sale {
	return []campaign.Sale{
		sale("a", mskDay(1, 10), "filters", "60", "60000"),
		sale("b", mskDay(2, 3), "filters", "90", "90000"),
		sale("a", mskDay(3, 20), "filters", "50", "50000"),
		sale("c", mskDay(3, 5), "pumps", "25", "250000"),
		sale("b", time.Date(2026, 3, 31, 21, 0, 0, 0, time.UTC), "filters", "20", "20000"),
	}
}

func balances(t *testing.T, e *campaign.Engine, accounts ...string) map[string]points.Points {
	t.Helper()
	out := map[string]points.Points{}
	for _, a := range accounts {
		b, err := e.Points().Balance(ctx, points.ForAccount(loyalty.AccountID(a)))
		if err != nil && !errors.Is(err, loyalty.ErrNotFound) {
			t.Fatal(err)
		}
		out[a] = b.Available
	}
	return out
}

var ignoreReplayed = cmpopts.IgnoreFields(points.Posting{}, "Replayed")

func TestSettleSalesTarget(t *testing.T) {
	e, clock := newDealerEngine(t)
	sales := dealerSales()
	none := map[string]points.Points{"a": 0, "b": 0, "c": 0}
	if _, err := e.SettleSalesTarget(ctx, "filters-q1", sales, "s1"); !errors.Is(err, campaign.ErrPeriodOpen) {
		t.Fatalf("settling in March = %v, want ErrPeriodOpen", err)
	}
	end := time.Date(2026, 4, 1, 0, 0, 0, 0, msk)
	clock.Set(end.Add(-time.Nanosecond))
	if _, err := e.SettleSalesTarget(ctx, "filters-q1", sales, "s1"); !errors.Is(err, campaign.ErrPeriodOpen) {
		t.Fatalf("settling in the last instant of the period = %v, want ErrPeriodOpen", err)
	}
	if diff := cmp.Diff(none, balances(t, e, "a", "b", "c")); diff != "" {
		t.Fatalf("a refused settlement credited points (-want +got):\n%s", diff)
	}
	clock.Set(end)
	s, err := e.SettleSalesTarget(ctx, "filters-q1", sales, "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := []campaign.SalesResult{{Account: "a", Units: qty("110"), Times: 1, Points: 5000}, {Account: "b", Units: qty("90")}}
	if diff := cmp.Diff(want, s.Results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if len(s.Postings) != 1 || s.Postings[0].Key != "s1/a" || s.Replayed || !s.At.Equal(end) {
		t.Errorf("settlement %+v: want one posting s1/a, made now", s)
	}
	credited := map[string]points.Points{"a": 5000, "b": 0, "c": 0}
	if diff := cmp.Diff(credited, balances(t, e, "a", "b", "c")); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
	// The same key and sales, in another order and later: the same settlement, nothing more.
	clock.Advance(time.Hour)
	reversed := append([]campaign.Sale(nil), sales...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	again, err := e.SettleSalesTarget(ctx, "filters-q1", reversed, "s1")
	if err != nil || !again.Replayed {
		t.Fatalf("replay: %v, replayed %v", err, again.Replayed)
	}
	again.Replayed = false
	if diff := cmp.Diff(s, again, ignoreReplayed); diff != "" {
		t.Errorf("replayed settlement (-first +replay):\n%s", diff)
	}
	// Another key, or other sales: refused, nothing credited.
	if _, err := e.SettleSalesTarget(ctx, "filters-q1", sales, "s2"); !errors.Is(err, loyalty.ErrConflict) || !strings.Contains(err.Error(), `"s1"`) {
		t.Errorf("a second settlement under another key = %v, want ErrConflict naming s1", err)
	}
	more := append(sales[:len(sales):len(sales)], sale("b", mskDay(3, 30), "filters", "10", "10000"))
	if _, err := e.SettleSalesTarget(ctx, "filters-q1", more, "s1"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("the key with other sales = %v, want ErrConflict", err)
	}
	if diff := cmp.Diff(credited, balances(t, e, "a", "b", "c")); diff != "" {
		t.Errorf("balances after the refusals (-want +got):\n%s", diff)
	}
	// Every dealer reaching the target each 10 pumps: points credited, money returned.
	p, err := e.SettleSalesTarget(ctx, "pumps-each", sales, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]campaign.SalesResult{{Account: "c", Units: qty("25"), Times: 2, Points: 600, Credit: m("2000")}}, p.Results); diff != "" {
		t.Errorf("pump results (-want +got):\n%s", diff)
	}
	if got := balances(t, e, "c")["c"]; got != 600 {
		t.Errorf("c's balance %d, want 600", got)
	}
}

func TestSettleBadInput(t *testing.T) {
	e, clock := newDealerEngine(t)
	clock.Set(time.Date(2026, 6, 1, 0, 0, 0, 0, msk))
	usd := sale("a", mskDay(2, 1), "filters", "1", "0")
	usd.Amount = loyalty.MustMoney("10", "USD")
	tests := []struct {
		name  string
		id    loyalty.CampaignID
		sales []campaign.Sale
		key   loyalty.IdempotencyKey
		want  error
		field string
	}{
		{"unknown target", "nope", dealerSales(), "k", loyalty.ErrNotFound, ""},
		{"no key", "filters-q1", dealerSales(), "", loyalty.ErrInvalid, "key"},
		{"sale in dollars", "filters-q1", []campaign.Sale{usd}, "k", loyalty.ErrInvalid, "sales[0].amount"},
		{"sale without account", "filters-q1", []campaign.Sale{sale("", mskDay(2, 1), "filters", "1", "0")}, "k", loyalty.ErrInvalid, "sales[0].account"},
		{"sale without time", "filters-q1", []campaign.Sale{sale("a", time.Time{}, "filters", "1", "0")}, "k", loyalty.ErrInvalid, "sales[0].at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.SettleSalesTarget(ctx, tt.id, tt.sales, tt.key)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("SettleSalesTarget = %v, want %v naming %q", err, tt.want, tt.field)
			}
			id := tt.id
			if id == "filters-q1" {
				id = "units-q1"
			}
			_, err = e.AwardContest(ctx, id, tt.sales, tt.key)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("AwardContest = %v, want %v naming %q", err, tt.want, tt.field)
			}
		})
	}
	// Nothing was claimed: good input settles under any key now.
	if _, err := e.SettleSalesTarget(ctx, "filters-q1", dealerSales(), "k2"); err != nil {
		t.Errorf("settling after the refusals: %v", err)
	}
	if _, err := e.AwardContest(ctx, "units-q1", dealerSales(), "k3"); err != nil {
		t.Errorf("awarding after the refusals: %v", err)
	}
}

// A settlement interrupted after its claim completes under the same key, crediting every
// dealer exactly once.
func TestSettleResumes(t *testing.T) {
	sales := append(dealerSales(), sale("c", mskDay(2, 1), "filters", "100", "0"))
	e, clock := newDealerEngine(t, 3) // 1: the claim, 2: a's credit, 3: c's credit
	clock.Set(time.Date(2026, 4, 2, 0, 0, 0, 0, msk))
	if _, err := e.SettleSalesTarget(ctx, "filters-q1", sales, "s1"); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("settlement over a failing store = %v, want an interruption", err)
	}
	if diff := cmp.Diff(map[string]points.Points{"a": 5000, "c": 0}, balances(t, e, "a", "c")); diff != "" {
		t.Fatalf("balances after the interruption (-want +got):\n%s", diff)
	}
	s, err := e.SettleSalesTarget(ctx, "filters-q1", sales, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Replayed || len(s.Postings) != 2 || !s.Postings[0].Replayed || s.Postings[1].Replayed {
		t.Errorf("resumed settlement %+v: want a's credit replayed and c's made", s)
	}
	if diff := cmp.Diff(map[string]points.Points{"a": 5000, "c": 5000}, balances(t, e, "a", "c")); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
}

// Concurrent settlements of one target with different keys: exactly one wins, and every
// dealer is credited once.
func TestSettleConcurrently(t *testing.T) {
	e, clock := newDealerEngine(t)
	clock.Set(time.Date(2026, 4, 2, 0, 0, 0, 0, msk))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflicts := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.SettleSalesTarget(ctx, "filters-q1", dealerSales(), loyalty.IdempotencyKey(fmt.Sprintf("k%d", i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, loyalty.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || conflicts != 7 {
		t.Errorf("%d settlements and %d conflicts, want 1 and 7", ok, conflicts)
	}
	if got := balances(t, e, "a")["a"]; got != 5000 {
		t.Errorf("a's balance %d, want 5000", got)
	}
}

func TestAwardContest(t *testing.T) {
	e, clock := newDealerEngine(t)
	sales := []campaign.Sale{
		sale("old", mskDay(2, 10), "pumps", "1", "500"),
		sale("old", mskDay(3, 10), "pumps", "1", "90000"),
		sale("south", mskDay(3, 20), "pumps", "1", "40000"),
		sale("east", mskDay(3, 2), "pumps", "1", "15000"),
		sale("east", mskDay(3, 12), "pumps", "1", "25000"),
		sale("north", mskDay(3, 25), "pumps", "1", "30000"),
		sale("north", mskDay(4, 20), "pumps", "1", "30000"),
	}
	// March is over, but a newcomer of 31 March is measured through 30 April.
	clock.Set(time.Date(2026, 4, 15, 0, 0, 0, 0, msk))
	if _, err := e.AwardContest(ctx, "newcomers-march", sales, "c1"); !errors.Is(err, campaign.ErrPeriodOpen) || !strings.Contains(err.Error(), "2026-05-01 00:00 MSK") {
		t.Fatalf("awarding in April = %v, want ErrPeriodOpen until 1 May", err)
	}
	clock.Set(time.Date(2026, 5, 1, 0, 0, 0, 0, msk))
	a, err := e.AwardContest(ctx, "newcomers-march", sales, "c1")
	if err != nil {
		t.Fatal(err)
	}
	type place struct {
		Place   int
		Account loyalty.AccountID
		Prize   string
	}
	var got []place
	for _, s := range a.Standings {
		p := place{s.Place, s.Account, ""}
		if s.Prize != nil {
			p.Prize = fmt.Sprintf("%d %s %s", s.Prize.Points, s.Prize.Credit, s.Prize.Perk)
		}
		got = append(got, p)
	}
	// east and south both spent 40,000; east got there first (12 March).
	want := []place{{1, "north", "20000 0 "}, {2, "east", "0 10000.00 RUB "}, {3, "south", "0 0 smart speaker"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("standings (-want +got):\n%s", diff)
	}
	if len(a.Postings) != 1 || a.Postings[0].Key != "c1/north" {
		t.Errorf("postings %+v, want north's prize only", a.Postings)
	}
	if diff := cmp.Diff(map[string]points.Points{"north": 20000, "east": 0, "south": 0}, balances(t, e, "north", "east", "south")); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
	again, err := e.AwardContest(ctx, "newcomers-march", sales, "c1")
	if err != nil || !again.Replayed {
		t.Fatalf("replay: %v, replayed %v", err, again.Replayed)
	}
	again.Replayed = false
	if diff := cmp.Diff(a, again, ignoreReplayed); diff != "" {
		t.Errorf("replayed award (-first +replay):\n%s", diff)
	}
	if _, err := e.AwardContest(ctx, "newcomers-march", sales[1:], "c1"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("the key with other sales = %v, want ErrConflict", err)
	}
	if got := balances(t, e, "north")["north"]; got != 20000 {
		t.Errorf("north's balance %d after the replays, want 20000", got)
	}
	// Contests and targets are claimed apart: the units contest settles under its own key.
	u, err := e.AwardContest(ctx, "units-q1", dealerSales(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Standings) != 3 || u.Standings[0].Account != "a" || u.Standings[1].Account != "b" || len(u.Postings) != 2 {
		t.Errorf("units contest %+v: want a first, b second, two prizes", u)
	}
}

func TestReimburse(t *testing.T) {
	e, _ := newDealerEngine(t)
	for _, tt := range []struct {
		cost   string
		others int
		want   string
	}{{"120000", 0, "50000"}, {"60000", 0, "30000"}, {"60000", 2, "10000"}} {
		got, err := e.Reimburse(m(tt.cost), tt.others)
		if err != nil || !got.Equal(m(tt.want)) {
			t.Errorf("Reimburse(%s, %d) = %s, %v; want %s", tt.cost, tt.others, got, err, tt.want)
		}
	}
	if _, err := e.Reimburse(loyalty.MustMoney("100", "USD"), 0); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Reimburse in dollars = %v, want ErrInvalid", err)
	}
	if _, err := e.Reimburse(m("-1"), 0); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Reimburse of a negative cost = %v, want ErrInvalid", err)
	}
	plain, _ := newEngine(t, campaign.Program{ID: "p", Currency: rub})
	if _, err := plain.Reimburse(m("100"), 0); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Reimburse without co-marketing = %v, want ErrNotFound", err)
	}
}

// The engine keeps its own copy of the partner programs: a caller changing its Program after
// New changes nothing.
func TestPartnerRulesAreCopied(t *testing.T) {
	p := dealers()
	clock := loyalty.NewManualClock(time.Date(2026, 4, 1, 0, 0, 0, 0, msk))
	e, err := campaign.New(p, campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	p.SalesTargets[0].Categories[0] = "pumps"
	p.SalesTargets[0].Points = 1
	p.Contests[1].Prizes[0].Points = 1
	p.CoMarketing.Share = d("1")
	s, err := e.SettleSalesTarget(ctx, "filters-q1", dealerSales(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := []campaign.SalesResult{{Account: "a", Units: qty("110"), Times: 1, Points: 5000}, {Account: "b", Units: qty("90")}}
	if diff := cmp.Diff(want, s.Results); diff != "" {
		t.Errorf("results after the caller changed its program (-want +got):\n%s", diff)
	}
	if _, err := e.AwardContest(ctx, "units-q1", dealerSales(), "c1"); err != nil {
		t.Fatal(err)
	}
	// a: 5,000 for the target and 1,000 for the first place; b: 500 for the second.
	if diff := cmp.Diff(map[string]points.Points{"a": 6000, "b": 500}, balances(t, e, "a", "b")); diff != "" {
		t.Errorf("balances after the contest (-want +got):\n%s", diff)
	}
	if got, err := e.Reimburse(m("1000"), 0); err != nil || !got.Equal(m("500")) {
		t.Errorf("Reimburse = %v, %v; want 500 (the program's 50%%)", got, err)
	}
}
