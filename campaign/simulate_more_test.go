package campaign_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty/campaign"
)

func TestGenerateHistory(t *testing.T) {
	opt := campaign.GenerateOptions{Seed: 42, Orders: 120, Accounts: 10, OneTimePercent: 100}
	a, b := generate(t, opt), generate(t, opt)
	if !bytes.Equal(a, b) {
		t.Error("the same options gave two histories")
	}
	opt.Seed = 43
	if bytes.Equal(a, generate(t, opt)) {
		t.Error("another seed gave the same history")
	}
	// Every account buys once when all are one-time buyers: 10 orders, not 120.
	recs, err := csv.NewReader(bytes.NewReader(a)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	orders, accounts := map[string]bool{}, map[string]bool{}
	last := ""
	for _, r := range recs[1:] {
		orders[r[0]], accounts[r[3]] = true, true
		if r[2] < last {
			t.Fatalf("rows out of time order: %s after %s", r[2], last)
		}
		last = r[2]
	}
	if len(orders) != 10 || len(accounts) != 10 {
		t.Errorf("%d orders of %d accounts, want 10 of 10", len(orders), len(accounts))
	}

	for _, tt := range []struct {
		opt  campaign.GenerateOptions
		want string
	}{
		{campaign.GenerateOptions{Orders: -1}, "orders"},
		{campaign.GenerateOptions{Accounts: -1}, "accounts"},
		{campaign.GenerateOptions{OneTimePercent: 101}, "one_time_percent"},
		{campaign.GenerateOptions{ReturnPercent: -1}, "return_percent"},
		{campaign.GenerateOptions{Format: "xml"}, "format"},
	} {
		if err := campaign.GenerateHistory(&bytes.Buffer{}, tt.opt); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("GenerateHistory(%+v) = %v, want an error naming %q", tt.opt, err, tt.want)
		}
	}
}

// A return after the return window is refused as a malformed row; one within it is replayed.
func TestSimulateReturnWindow(t *testing.T) {
	h := csvHeader + csvBefore +
		"o1,return,2026-03-10T10:00:00Z,acme,,bit,,2,,\n" + // 8 days later: within 30 days
		"o1,return,2026-04-10T10:00:00Z,acme,,bit,,2,,\n" // 39 days later: past them
	rep, err := campaign.Simulate(ctx, strings.NewReader(h), campaign.CSV,
		campaign.SimulateOptions{OnError: campaign.Skip, ReturnWindow: 30 * 24 * time.Hour}, simDiscount())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Returns != 1 || rep.ErrorCount != 1 || rep.Errors[0].Row != 5 || rep.Errors[0].Column != "order" {
		t.Errorf("returns %d, errors %+v; want 1 return and an error at row 5, column order", rep.Returns, rep.Errors)
	}
	// The return of 2 bits at 100.00: 200.00 returned, 5 % of it given back as discount.
	run := rep.Runs[0]
	if got := run.Returned.Amount(); got != "200.00" {
		t.Errorf("returned %s, want 200.00", got)
	}
	if got := run.Revenue.Amount(); got != "10800.00" {
		t.Errorf("revenue %s, want 11,000 − 200 = 10800.00", got)
	}
	if got := run.Discount.Amount(); got != "540.00" {
		t.Errorf("discount %s, want 5 %% of 10,800 = 540.00", got)
	}
}

// A negative quantity is a return, the same as kind "return"; date-only values are read in
// SimulateOptions.Location.
func TestSimulateNegativeQuantityAndDates(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Skip("no time zone data")
	}
	a := csvHeader + "o1,,2026-03-02,acme,,drill,tools,2,5000.00,3000.00\n" + "o1,return,2026-03-05,acme,,drill,,1,,\n"
	b := csvHeader + "o1,,2026-03-02,acme,,drill,tools,2,5000.00,3000.00\n" + "o1,,2026-03-05,acme,,drill,,-1,,\n"
	opt := campaign.SimulateOptions{Location: msk}
	ra, err := campaign.Simulate(ctx, strings.NewReader(a), campaign.CSV, opt, simBonus())
	if err != nil {
		t.Fatal(err)
	}
	rb, err := campaign.Simulate(ctx, strings.NewReader(b), campaign.CSV, opt, simBonus())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ra, rb); diff != "" {
		t.Errorf("negative quantity differs from kind return (-kind +negative):\n%s", diff)
	}
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, msk); !ra.From.Equal(want) || ra.Returns != 1 {
		t.Errorf("from %v, returns %d; want %v and 1", ra.From, ra.Returns, want)
	}
	// 5 % of 10,000 is 500 points, the return of half reverses 250.
	if p := ra.Runs[0].Points; p.Issued != 500 || p.Reversed != 250 || p.Outstanding != 250 {
		t.Errorf("points %+v, want 500 issued, 250 reversed, 250 outstanding", p)
	}
}

// Without redemption the bonus program's points are only issued, expired or outstanding.
func TestSimulateNoRedemption(t *testing.T) {
	h := generate(t, campaign.GenerateOptions{Seed: 9, Orders: 150, Accounts: 15})
	with, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{}, simBonus())
	if err != nil {
		t.Fatal(err)
	}
	without, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{NoRedemption: true}, simBonus())
	if err != nil {
		t.Fatal(err)
	}
	if with.Runs[0].Redemptions == 0 || with.Runs[0].Points.Redeemed == 0 {
		t.Errorf("with redemption: %d orders paid with points, %d points", with.Runs[0].Redemptions, with.Runs[0].Points.Redeemed)
	}
	if p := without.Runs[0].Points; without.Runs[0].Redemptions != 0 || p.Redeemed != 0 || p.Issued != p.Expired+p.Reversed+p.Outstanding {
		t.Errorf("without redemption: %d orders paid with points, points %+v", without.Runs[0].Redemptions, p)
	}
	// An expected redemption rate of 70 % counts 70 % of the outstanding value as liability.
	seventy, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{RedemptionRate: d("0.7")}, simBonus())
	if err != nil {
		t.Fatal(err)
	}
	p := seventy.Runs[0].Points
	if p.Outstanding == 0 || p.Liability.Decimal().Cmp(p.OutstandingValue.Decimal().Mul(d("0.7"))) != 0 {
		t.Errorf("liability %v of outstanding %v, want 70 %%", p.Liability, p.OutstandingValue)
	}
	if _, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{RedemptionRate: d("1.5")}, simBonus()); err == nil || !strings.Contains(err.Error(), "redemption_rate") {
		t.Errorf("a redemption rate of 1.5: err = %v", err)
	}
}

// Campaigns are reported with their budgets: a spring discount of 10 % with 20,000 RUB to
// spend, and double points for at most 5 orders.
func TestSimulateCampaignBudgets(t *testing.T) {
	p := simBonus()
	spring := campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"}
	p.Campaigns = []campaign.Campaign{
		{ID: "spring", Schedule: spring, Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Percent: d("10")}},
			Budget: campaign.Budget{Money: m("20000")}},
		{ID: "double", Schedule: spring, Actions: []campaign.Action{{Kind: campaign.ActionMultiplier, Multiplier: d("2")}},
			Budget: campaign.Budget{Uses: 5}},
	}
	h := generate(t, campaign.GenerateOptions{Seed: 4, Orders: 200, Accounts: 30, ReturnPercent: 10})
	rep, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{}, p)
	if err != nil {
		t.Fatal(err)
	}
	run := rep.Runs[0]
	if len(run.Campaigns) != 2 {
		t.Fatalf("campaigns %+v, want 2", run.Campaigns)
	}
	sp, db := run.Campaigns[0], run.Campaigns[1]
	if sp.ID != "spring" || sp.Orders == 0 || sp.OverBudget == 0 {
		t.Errorf("spring: %+v, want orders applied and orders over budget", sp)
	}
	if c, _ := sp.Spent.Cmp(m("20000")); c > 0 || !sp.Spent.IsPositive() {
		t.Errorf("spring spent %v of 20,000", sp.Spent)
	}
	// What the discount gave at checkout is its cost; returns only give some back.
	if !sp.Discount.Equal(sp.Cost) {
		t.Errorf("spring discount %v, cost %v", sp.Discount, sp.Cost)
	}
	if c, _ := sp.Spent.Cmp(sp.Cost); c > 0 {
		t.Errorf("spring spent %v, more than its cost at checkout %v", sp.Spent, sp.Cost)
	}
	if db.Orders != 5 || db.Uses > 5 || db.OverBudget == 0 || db.Points <= 0 {
		t.Errorf("double: %+v, want 5 orders, at most 5 uses left counted, the others over budget", db)
	}
	// The discount table shows the campaign's discount under its candidate ID.
	found := false
	for _, u := range run.Discounts {
		if u.ID == "campaign:spring" {
			found = u.Orders == sp.Orders && u.Amount.Equal(sp.Discount)
		}
	}
	if !found {
		t.Errorf("discounts %+v do not show campaign:spring as the campaign does (%+v)", run.Discounts, sp)
	}
	if txt := rep.String(); !strings.Contains(txt, "bonus-5: campaigns") || !strings.Contains(txt, " of 20000.00") {
		t.Errorf("text report lacks the campaigns:\n%s", txt)
	}
}

// The simulation's own journal (kept as values, forgotten past the return window) gives the
// same report as the engine's memory stores, which keep everything.
func TestSimulateStoresEquivalent(t *testing.T) {
	h := generate(t, campaign.GenerateOptions{Seed: 8, Orders: 150, Accounts: 10, ReturnPercent: 20})
	opt := campaign.SimulateOptions{ReturnWindow: 15 * 24 * time.Hour, OnError: campaign.Skip}
	own, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, opt, simDiscount(), simBonus())
	if err != nil {
		t.Fatal(err)
	}
	opt.Stores = func(campaign.Program) campaign.Stores { return campaign.MemoryStores() }
	mem, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, opt, simDiscount(), simBonus())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mem, own); diff != "" {
		t.Errorf("reports differ (-memory stores +simulation journal):\n%s", diff)
	}
	// Returns later than 15 days were refused as rows, the same with both.
	if own.Returns == 0 || own.ErrorCount == 0 {
		t.Errorf("%d returns replayed, %d refused: want both", own.Returns, own.ErrorCount)
	}
}

// TestSimulateMemoryDoesNotGrowWithHistory replays N and 4N orders of the same 100 accounts
// (about a year and four years of history) through both programs with the default stores and
// reads the live heap at the end of the replay, before the report is summed up: the extra
// 3N orders may add per-month state (the tier changes, the report's timeline) but nothing
// like the 1–2 KB an order the stores used to keep. Not timed.
func TestSimulateMemoryDoesNotGrowWithHistory(t *testing.T) {
	const n = 2000
	live := map[int]uint64{}
	for _, orders := range []int{n, 4 * n} {
		pr, pw := io.Pipe() // the history never sits in memory
		go func() {
			pw.CloseWithError(campaign.GenerateHistory(pw, campaign.GenerateOptions{Seed: 3, Orders: orders, Accounts: 100, ReturnPercent: 10}))
		}()
		rep, err := campaign.Simulate(ctx, pr, campaign.CSV, campaign.SimulateOptions{
			ProgressEvery: 1 << 30, // called once, at the end of the history
			Progress: func(int) {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				live[orders] = ms.HeapAlloc
			},
		}, simDiscount(), simBonus())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Orders != orders || rep.Runs[1].Points.Issued == 0 || rep.Returns == 0 {
			t.Fatalf("%d orders: replayed %d orders, %d returns, %d points issued", orders, rep.Orders, rep.Returns, rep.Runs[1].Points.Issued)
		}
	}
	growth := int64(live[4*n]) - int64(live[n])
	t.Logf("live heap at the end: %d KB after %d orders, %d KB after %d: %d B per extra order", live[n]>>10, n, live[4*n]>>10, 4*n, growth/(3*n))
	if perOrder := growth / (3 * n); perOrder > 200 {
		t.Errorf("the live heap grows by %d B per order of history (%d KB after %d orders, %d KB after %d), want at most 200", perOrder, live[n]>>10, n, live[4*n]>>10, 4*n)
	}
}
