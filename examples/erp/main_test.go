package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
)

// want is the whole output of the sample batch. Every figure is worked out here from the
// program (sample/program.json) and the sample files, not copied from the program:
//
// The program: 1 point per full 100 RUB paid, pending 7 days after the purchase (to the
// minute, in Moscow time), expiring at the end of the 30th day after it (Day.Next of
// earned + 30 days: points of 03-02 expire at 04-02 00:00). Tiers by the amount paid over a
// rolling 3 months: Silver (2% off) from 100,000, Gold (4% off) from 250,000; upgrades
// take effect at once, downgrades at the monthly review.
//
// Reading: row 10 (INV-1007, quantity "2,5") and row 18 (INV-1014's second line, price
// "150.5.0") are malformed, so INV-1007 and INV-1014 are left out. Row 7 sends INV-1002
// again, unchanged: 14 order documents. Three return documents.
//
// Orders (subtotal; discount at the level before the order; points = floor(paid / 100)):
//   - 03-02 INV-1001 acme: 4 × 12,500 + 20 × 150 = 53,000, Base, 530 points.
//   - 03-02 INV-1002 borey: 100 × 450 = 45,000, 450 points; sent again: already done.
//   - 03-03 INV-1003 acme: 5 × 12,500 = 62,500, 625 points; acme has paid 115,500: Silver.
//   - 03-03 INV-1004 vega: 10 × 150 = 1,500, 15 points.
//   - 03-05 INV-1005 acme: 2 × 20,000 = 40,000, Silver 2% = 800, pays 39,200, 392 points.
//   - 03-05 INV-1006 orion: 10 × 450 = 4,500, 45 points.
//   - 03-10 INV-1008 borey: 150 × 450 = 67,500, 675 points; borey 112,500: Silver.
//   - 03-10 RET-2001: 1 of the 2 saws of O-1005: 19,600 paid back (20,000 before the 2%),
//     half of its 392 points (still pending) taken back: 196. acme has now paid
//     53,000 + 62,500 + 39,200 − 19,600 = 135,100.
//   - 03-16 INV-1009 acme: 10 × 12,500 = 125,000, Silver 2% = 2,500, pays 122,500, 1,225
//     points; acme 135,100 + 122,500 = 257,600 ≥ 250,000: Gold.
//   - 03-16 INV-1005 sent again with 3 saws instead of 2: the key is taken: refused.
//   - 03-16 INV-1010 is order O-1006 again under a new document: refused.
//   - 03-23 INV-1011 acme: 5 × 20,000 = 100,000, Gold 4% = 4,000, pays 96,000, 960 points.
//   - 03-23 INV-1012 vega: 40 × 150 = 6,000, 60 points.
//   - 03-25 RET-2002: all 150 cables of O-1008: 67,500 back, its 675 (active) points back;
//     borey's 3 months fall to 45,000, below Silver: the downgrade waits for the review.
//   - 03-26 RET-2003: 12 bits of O-1004, which had 10: refused.
//   - 04-06 INV-1013 borey: 20 × 450 = 9,000, Base, 90 points (pending at the end).
//
// Nightly jobs (the line under a day is the night after it). Points become active 7 days
// after their purchase; the job activates those of holders no operation touched since:
//   - 03-09: acme's 530 (03-09 10:00) and borey's 450 (15:30): 980.
//   - 03-10: vega's 15 (11:00); acme's 625 (09:15) became active when RET-2001 touched
//     acme at 12:00.
//   - 03-12: acme's 392 − 196 = 196 and orion's 45: 241.
//   - 03-17: borey's 675. (acme's 1,225 of 03-16 activate at 03-23 10:00, before the order
//     of 11:00 touches acme.)
//   - 03-30: acme's 960 and vega's 60: 1,020.
//   - 03-31: the monthly review of 04-01 downgrades borey (45,000) to Base; acme keeps Gold.
//   - 04-01: the points of 03-02 expire: acme 530, borey 450: 980.
//   - 04-02: those of 03-03: acme 625, vega 15: 640.
//   - 04-04: those of 03-05: acme 196, orion 45: 241.
//
// State at the end of 04-06: sales 53,000 + 45,000 + 62,500 + 1,500 + 40,000 + 4,500 +
// 67,500 + 125,000 + 100,000 + 6,000 + 9,000 = 514,000; discounts 800 + 2,500 + 4,000 =
// 7,300; paid 506,700. Returns paid back 19,600 + 67,500 = 87,100, with 400 of discounts.
// Net: paid 419,600, discounts 6,900. Points: acme earned 530 + 625 + 392 + 1,225 + 960 =
// 3,732, expired 530 + 625 + 196 = 1,351, taken back 196, active 1,225 + 960 = 2,185;
// borey 450 + 675 + 90 = 1,215, expired 450, taken back 675, pending 90; orion 45 expired;
// vega 15 + 60 = 75, 15 expired, 60 active. Issued 5,067 = 2,245 active + 90 pending +
// 1,861 expired + 871 taken back; the 2,335 outstanding are worth 2,335.00 at 1 RUB.
const want = `ERP batch of 2026-04-06: program erp-wholesale (RUB, Europe/Moscow), state in a new temporary SQLite file (-db keeps one).
Read 14 order documents and 3 return documents.
2 malformed rows, their documents left out:
  orders.csv row 10, column quantity: must be a positive decimal number such as "2" or "12.5" (got "2,5")
  orders.csv row 18, column price: must be a price such as "199.90", not negative, in RUB (got "150.5.0")

2026-03-02
  10:00 INV-1001 order O-1001 (acme): committed: 53000.00 RUB, discount 0.00 RUB, to pay 53000.00 RUB, +530 points (Base)
  15:30 INV-1002 order O-1002 (borey): committed: 45000.00 RUB, discount 0.00 RUB, to pay 45000.00 RUB, +450 points (Base)
  15:30 INV-1002 order O-1002 (borey): already done: 45000.00 RUB, discount 0.00 RUB, to pay 45000.00 RUB, +450 points (Base)
2026-03-03
  09:15 INV-1003 order O-1003 (acme): committed: 62500.00 RUB, discount 0.00 RUB, to pay 62500.00 RUB, +625 points (Base, now Silver)
  11:00 INV-1004 order O-1004 (vega): committed: 1500.00 RUB, discount 0.00 RUB, to pay 1500.00 RUB, +15 points (Base)
2026-03-05
  10:00 INV-1005 order O-1005 (acme): committed: 40000.00 RUB, discount 800.00 RUB, to pay 39200.00 RUB, +392 points (Silver)
  12:45 INV-1006 order O-1006 (orion): committed: 4500.00 RUB, discount 0.00 RUB, to pay 4500.00 RUB, +45 points (Base)
2026-03-09
  nightly: 980 points activated
2026-03-10
  10:30 INV-1008 order O-1008 (borey): committed: 67500.00 RUB, discount 0.00 RUB, to pay 67500.00 RUB, +675 points (Base, now Silver)
  12:00 RET-2001 return from order O-1005 (acme): returned: 19600.00 RUB paid back, 196 points taken back
  nightly: 15 points activated
2026-03-12
  nightly: 241 points activated
2026-03-16
  10:00 INV-1009 order O-1009 (acme): committed: 125000.00 RUB, discount 2500.00 RUB, to pay 122500.00 RUB, +1225 points (Silver, now Gold)
  10:05 INV-1005 order O-1005 (acme): refused: document INV-1005 was committed before with other contents
  16:20 INV-1010 order O-1006 (orion): refused: order O-1006 was committed before under another document
2026-03-17
  nightly: 675 points activated
2026-03-23
  11:00 INV-1011 order O-1011 (acme): committed: 100000.00 RUB, discount 4000.00 RUB, to pay 96000.00 RUB, +960 points (Gold)
  17:10 INV-1012 order O-1012 (vega): committed: 6000.00 RUB, discount 0.00 RUB, to pay 6000.00 RUB, +60 points (Base)
2026-03-25
  10:00 RET-2002 return from order O-1008 (borey): returned: 67500.00 RUB paid back, 675 points taken back
2026-03-26
  15:00 RET-2003 return from order O-1004: refused: lines[0].quantity: exceeds the 10 still returnable (got 12)
2026-03-30
  nightly: 1020 points activated
2026-03-31
  nightly: borey Silver → Base
2026-04-01
  nightly: 980 points expired
2026-04-02
  nightly: 640 points expired
2026-04-04
  nightly: 241 points expired
2026-04-06
  10:00 INV-1013 order O-1013 (borey): committed: 9000.00 RUB, discount 0.00 RUB, to pay 9000.00 RUB, +90 points (Base)

This run: orders 11 committed, 1 already done, 2 refused; returns 2 applied, 0 already done, 1 refused; 0 transient errors retried.

` + wantState

// wantState is the state part of want: what every way of running the whole batch must end
// with.
const wantState = `State at 2026-04-07 00:00:
  orders committed     11: sales 514000.00 RUB, discounts 7300.00 RUB, paid 506700.00 RUB
  returns applied      2: 87100.00 RUB paid back, 400.00 RUB of discounts with them
  net of returns       paid 419600.00 RUB, discounts cost 6900.00 RUB
  points               5067 issued: 2245 active, 90 pending, 1861 expired, 871 taken back by returns, 0 spent
  points liability     2335 outstanding, worth 2335.00 RUB
  tiers                Base 3, Silver 0, Gold 1

  account          level       earned    active   pending   expired  returned
  acme             Gold          3732      2185         0      1351       196
  borey            Base          1215         0        90       450       675
  orion            Base            45         0         0        45         0
  vega             Base            75        60         0        15         0
`

// runERP runs the example with args and returns its output.
func runERP(t *testing.T, h hooks, args ...string) string {
	t.Helper()
	var out strings.Builder
	if err := run(context.Background(), &out, args, h); err != nil {
		t.Fatalf("erp %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// state returns the state part of an output.
func state(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, "State at ")
	if i < 0 {
		t.Fatalf("no state in the output:\n%s", out)
	}
	return out[i:]
}

func TestERPOutput(t *testing.T) {
	if diff := cmp.Diff(want, runERP(t, hooks{})); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// Running the whole batch again on the same database commits nothing twice: every order
// and return is already done, the nightly jobs have run, and the state is the same.
func TestERPRetriedBatchDoublesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "erp.db")
	first := runERP(t, hooks{}, "-db", db)
	if diff := cmp.Diff(wantState, state(t, first)); diff != "" {
		t.Fatalf("first run's state (-want +got):\n%s", diff)
	}
	again := runERP(t, hooks{}, "-db", db)
	if diff := cmp.Diff(wantState, state(t, again)); diff != "" {
		t.Errorf("second run's state (-want +got):\n%s", diff)
	}
	const line = "This run: orders 0 committed, 12 already done, 2 refused; returns 0 applied, 2 already done, 1 refused; 0 transient errors retried."
	if !strings.Contains(again, line) {
		t.Errorf("second run: no line %q in\n%s", line, again)
	}
	if strings.Contains(again, "nightly:") {
		t.Errorf("second run ran nightly jobs again:\n%s", again)
	}
}

// A batch stopped after n orders (as a crash between two orders would) and run again ends
// in the state of one uninterrupted run; between them the runs commit every order once.
func TestERPStopAfter(t *testing.T) {
	// 1: in the first day; 3: the first of 03-03; 7: INV-1006, before the first night with
	// work; 9: the last order before a refused one; 13: all but the last order.
	for _, n := range []int{1, 3, 7, 9, 13} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "erp.db")
			first := runERP(t, hooks{}, "-db", db, "-stop-after", fmt.Sprint(n))
			if !strings.Contains(first, fmt.Sprintf("Stopped after %d orders", n)) {
				t.Fatalf("stopped run does not say so:\n%s", first)
			}
			rest := runERP(t, hooks{}, "-db", db)
			if diff := cmp.Diff(wantState, state(t, rest)); diff != "" {
				t.Errorf("state after resuming (-want +got):\n%s", diff)
			}
			if a, b := committed(t, first), committed(t, rest); a+b != 11 {
				t.Errorf("orders committed: %d, then %d; want 11 in all", a, b)
			}
		})
	}
}

// committed returns the number of orders an output says its run committed.
func committed(t *testing.T, out string) int {
	t.Helper()
	var n int
	i := strings.Index(out, "This run: orders ")
	if i < 0 {
		t.Fatalf("no run summary in\n%s", out)
	}
	if _, err := fmt.Sscanf(out[i:], "This run: orders %d committed", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Day by day batches (the ERP sends what it has each evening) end where one batch ends.
func TestERPDayByDay(t *testing.T) {
	db := filepath.Join(t.TempDir(), "erp.db")
	a := runERP(t, hooks{}, "-db", db, "-day", "2026-03-10")
	if !strings.Contains(a, "8 documents dated after 2026-03-10 wait for a later batch.") {
		t.Errorf("first batch:\n%s", a)
	}
	runERP(t, hooks{}, "-db", db, "-day", "2026-03-24")
	last := runERP(t, hooks{}, "-db", db)
	if diff := cmp.Diff(wantState, state(t, last)); diff != "" {
		t.Errorf("state after three batches (-want +got):\n%s", diff)
	}
	// An old batch sent again changes nothing, and the state is still read at its latest.
	old := runERP(t, hooks{}, "-db", db, "-day", "2026-03-10")
	if diff := cmp.Diff(wantState, state(t, old)); diff != "" {
		t.Errorf("state after an old batch again (-want +got):\n%s", diff)
	}
	if committed(t, old) != 0 {
		t.Errorf("an old batch sent again committed orders:\n%s", old)
	}
}

// flaky stores fail some transactions with an error that is none of the library's: before
// the function runs (nothing written) or after it committed (the write is kept, the caller
// is told it failed, as when a connection drops during COMMIT).
type flaky struct {
	mu     sync.Mutex
	calls  int
	every  int  // fail every every-th call
	after  bool // fail after the write instead of before it
	always bool
}

var errFlaky = errors.New("database is locked (injected)")

func (f *flaky) fail() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.always || f.calls%f.every == 0
}

func (f *flaky) do(run func() error) error {
	if !f.fail() {
		return run()
	}
	if f.after {
		if err := run(); err != nil {
			return err
		}
	}
	return errFlaky
}

type flakyOrders struct {
	campaign.OrderStore
	f *flaky
}

func (s flakyOrders) Update(ctx context.Context, fn func(tx campaign.OrderTx) error) error {
	return s.f.do(func() error { return s.OrderStore.Update(ctx, fn) })
}

func (s flakyOrders) View(ctx context.Context, fn func(tx campaign.OrderReadTx) error) error {
	return s.f.do(func() error { return s.OrderStore.View(ctx, fn) })
}

type flakyPoints struct {
	points.Store
	f *flaky
}

func (s flakyPoints) Update(ctx context.Context, fn func(tx points.Tx) error) error {
	return s.f.do(func() error { return s.Store.Update(ctx, fn) })
}

type flakyTiers struct {
	tier.Store
	f *flaky
}

func (s flakyTiers) Update(ctx context.Context, fn func(tx tier.Tx) error) error {
	return s.f.do(func() error { return s.Store.Update(ctx, fn) })
}

func flakyHooks(f *flaky, waits *[]time.Duration) hooks {
	return hooks{
		wrap: func(st campaign.Stores) campaign.Stores {
			st.Orders = flakyOrders{st.Orders, f}
			st.Points = flakyPoints{st.Points, f}
			st.Tiers = flakyTiers{st.Tiers, f}
			return st
		},
		sleep: func(_ context.Context, d time.Duration) error {
			*waits = append(*waits, d)
			return nil
		},
	}
}

// Transient errors are retried, and the batch ends as if there had been none, whether the
// failed transaction wrote nothing or its write was kept.
func TestERPRetriesTransientErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		every int
		after bool
	}{
		{"before the write", 13, false},
		{"after the write", 17, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var waits []time.Duration
			f := &flaky{every: tc.every, after: tc.after}
			db := filepath.Join(t.TempDir(), "erp.db")
			out := runERP(t, flakyHooks(f, &waits), "-db", db)
			if diff := cmp.Diff(wantState, state(t, out)); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			if len(waits) == 0 {
				t.Fatal("no retries")
			}
			if !strings.Contains(out, fmt.Sprintf("; %d transient errors retried.", len(waits))) {
				t.Errorf("output does not count the %d retries:\n%s", len(waits), out)
			}
			if a := committed(t, out); a != 11 {
				t.Errorf("committed %d orders, want 11 (an order whose commit was retried is committed once)", a)
			}
		})
	}
}

// A database that keeps failing stops the batch after a bounded number of attempts, with
// doubling waits; the error names what failed.
func TestERPGivesUpAfterBoundedRetries(t *testing.T) {
	var waits []time.Duration
	f := &flaky{every: 1, always: true}
	var out strings.Builder
	err := run(context.Background(), &out, []string{"-db", filepath.Join(t.TempDir(), "erp.db")}, flakyHooks(f, &waits))
	if !errors.Is(err, errFlaky) {
		t.Fatalf("run: %v, want the injected error", err)
	}
	if !strings.Contains(err.Error(), "INV-1001 order O-1001") {
		t.Errorf("error %q does not name the document", err)
	}
	wantWaits := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	if diff := cmp.Diff(wantWaits, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// Malformed rows are reported with their row and column, their documents left out, and the
// rest of the batch goes on.
func TestERPMalformedRows(t *testing.T) {
	dir := t.TempDir()
	orders := filepath.Join(dir, "orders.csv")
	returns := filepath.Join(dir, "returns.csv")
	write(t, orders, `Date,Document,Order,Account,SKU,Quantity,Price
2026-03-02 10:00,A-1,O-1,acme,drill,1,12500
2026-03-02 10:00,A-1,O-1,acme,bits,0,150
2026-03-02 11:00,A-2,O-2,,drill,1,12500
2026-03-02 12:00,A-3,O-3,vega,drill,1,-5
2026-03-02 13:00,A-4,O-4,vega,drill,1
2026-03-31 25:00,A-5,O-5,vega,drill,1,100
2026-03-02 14:00,A-6,O-6,vega,drill,1,100
2026-03-02 14:00,A-6,O-7,vega,drill,1,100
2026-03-02 15:00,A-8,O-8,orion,drill,2,12500
`)
	write(t, returns, `date,document,order,sku,quantity
2026-03-03 10:00,R-1,O-8,drill,x
2026-03-03 11:00,R-2,O-8,saw,1
2026-03-03 12:00,R-3,O-8,drill,1
`)
	out := runERP(t, hooks{}, "-db", filepath.Join(dir, "erp.db"), "-orders", orders, "-returns", returns)
	for _, line := range []string{
		"Read 1 order documents and 2 return documents.",
		"7 malformed rows, their documents left out:",
		`  orders.csv row 3, column quantity: must be a positive decimal number such as "2" or "12.5" (got "0")`,
		`  orders.csv row 4, column account: is required`,
		`  orders.csv row 5, column price: must be a price such as "199.90", not negative, in RUB (got "-5")`,
		`  orders.csv row 6: has 6 fields, the header 7`,
		`  orders.csv row 7, column date: must be a date and time such as "2026-03-02 10:00" (got "2026-03-31 25:00")`,
		`  orders.csv row 9, column order: differs from the document's first row (O-6) (got "O-7")`,
		`  orders.csv row 10`,
		`  returns.csv row 2, column quantity: must be a positive decimal number such as "2" or "12.5" (got "x")`,
		"  15:00 A-8 order O-8 (orion): committed: 25000.00 RUB, discount 0.00 RUB, to pay 25000.00 RUB, +250 points (Base)",
		"  11:00 R-2 return from order O-8: refused: sku: is not a line of order O-8 (got saw)",
		"  12:00 R-3 return from order O-8 (orion): returned: 12500.00 RUB paid back, 125 points taken back",
	} {
		if line == "  orders.csv row 10" {
			if strings.Contains(out, line) {
				t.Errorf("the good row 10 is reported malformed:\n%s", out)
			}
			continue
		}
		if !strings.Contains(out, line+"\n") {
			t.Errorf("no line %q in the output:\n%s", line, out)
		}
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Bad files and flags are errors before anything is written.
func TestERPErrors(t *testing.T) {
	dir := t.TempDir()
	noHeader := filepath.Join(dir, "empty.csv")
	write(t, noHeader, "")
	unknown := filepath.Join(dir, "unknown.csv")
	write(t, unknown, "date,document,order,account,sku,quantity,price,colour\n")
	missing := filepath.Join(dir, "missing.csv")
	write(t, missing, "date,document,order,account,sku,quantity\n")
	badProgram := filepath.Join(dir, "program.json")
	write(t, badProgram, `{"id": "p", "currency": "RUB", "earning": {"rates": [{"points": 1}]}}`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
		{[]string{"-stop-after", "-1"}, "-stop-after must not be negative (got -1)"},
		{[]string{"-day", "31.03.2026"}, `-day must be a date such as 2026-03-31 (got "31.03.2026")`},
		{[]string{"-orders", noHeader}, "empty.csv: empty file, a header row is required"},
		{[]string{"-orders", unknown}, `unknown.csv: unknown column "colour" in the header`},
		{[]string{"-orders", missing}, `missing.csv: the header has no column "price"`},
		{[]string{"-orders", filepath.Join(dir, "absent.csv")}, "no such file"},
		{[]string{"-program", badProgram}, "program.json: "},
	} {
		var out strings.Builder
		err := run(context.Background(), &out, append([]string{"-db", filepath.Join(dir, "erp.db")}, tc.args...), hooks{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("erp %s: %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
