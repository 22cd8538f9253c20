package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
)

// TestRunGenerated runs the example on a generated history of 20 accounts over 12 months
// and checks the whole output. The golden text is the program's output, but its figures
// are checked independently below against the history itself (TestGeneratedFigures) and
// against the identities every comparison must keep:
//
//   - Sales, Returned, Revenue, Cost of goods and Gross margin before are the same in both
//     columns: the benefits do not change what was sold and what it cost; Revenue = Sales −
//     Returned (1972187.11 − 27515.92 = 1944671.19) and margin before = Revenue − Cost
//     (1944671.19 − 1301981.19 = 642690.00), 33.05 % of revenue.
//   - The bonus program gives no discount (0.00) and the cumulative discount issues no
//     points (0); the discount's program cost is its discount (98631.86), 5.07 % of
//     revenue: 5 % for everyone, 7 % for accounts past 200,000 RUB.
//   - Points: 98612 issued = 87920 redeemed + 1688 expired + 1347 reversed + 7657
//     outstanding; the bonus program's cost is redeemed + liability = 87920 + 7657 = 95577
//     (points are worth 1 RUB and the liability counts every outstanding point), 4.91 % of
//     revenue, and 642690.00 − 95577.00 = 547113.00 is left.
//   - Erosion is the cost over the margin before: 98631.86 / 642690.00 = 15.35 %,
//     95577 / 642690.00 = 14.87 %; so the bonus program costs 98631.86 − 95577.00 = 3054.86
//     less.
//   - The tiers give no benefits and follow spend only, so both programs see the same
//     distribution, and every month sums to the 20 accounts.
const wantGenerated = `Loyalty program simulation: cumulative-5 against bonus-5
(generated history: 20 accounts, 12 months, seed 1)

History: 760 rows, 290 orders (745 lines), 15 returns, 20 accounts, 2026-01-01 to 2026-12-31.

                           cumulative-5     bonus-5
                    Sales    1972187.11  1972187.11
                 Returned      27515.92    27515.92
                  Revenue    1944671.19  1944671.19
            Discount cost      98631.86        0.00
   Revenue after discount    1846039.33  1944671.19
            Cost of goods    1301981.19  1301981.19
  Orders paid with points             0         237
            Points issued             0       98612
          Points redeemed             0       87920
           Points expired             0        1688
          Points reversed             0        1347
       Points outstanding             0        7657
             Value issued          0.00    98612.00
           Value redeemed          0.00    87920.00
            Value expired          0.00     1688.00
        Value outstanding          0.00     7657.00
                Liability          0.00     7657.00
      Gross margin before     642690.00   642690.00
          after discounts     544058.14   642690.00
    after points redeemed     544058.14   554770.00
          after liability     544058.14   547113.00
       Margin rate before       33.05 %     33.05 %
             Program cost      98631.86    95577.00
        Program cost rate        5.07 %      4.91 %
           Margin erosion       15.35 %     14.87 %
        Break-even uplift       18.13 %     17.47 %

cumulative-5: discounts given
    discount  orders     amount
  cumulative     290  100023.46

cumulative-5: accounts per tier at month end
    month  Base  Silver  Gold
  2026-01    20       0     0
  2026-02    17       3     0
  2026-03    13       7     0
  2026-04    13       6     1
  2026-05    13       5     2
  2026-06    14       4     2
  2026-07    15       3     2
  2026-08    13       6     1
  2026-09    13       4     3
  2026-10    12       5     3
  2026-11    13       5     2
  2026-12    12       7     1

bonus-5: accounts per tier at month end
    month  Base  Silver  Gold
  2026-01    20       0     0
  2026-02    17       3     0
  2026-03    13       7     0
  2026-04    13       6     1
  2026-05    13       5     2
  2026-06    14       4     2
  2026-07    15       3     2
  2026-08    13       6     1
  2026-09    13       4     3
  2026-10    12       5     3
  2026-11    13       5     2
  2026-12    12       7     1

Verdict
  cumulative-5 gave away 98631.86 RUB, 5.07 % of revenue (15.35 % of the gross margin)
  bonus-5 gave away 95577.00 RUB, 4.91 % of revenue (14.87 % of the gross margin)
    points: 98612 issued = 87920 redeemed + 1688 expired + 1347 reversed + 7657 outstanding + 0 moved (balanced)
  bonus-5 costs 3054.86 RUB less than cumulative-5

Report written to report.html
`

func TestRunGenerated(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.html")
	var out bytes.Buffer
	if err := run(&out, []string{"-accounts", "20", "-months", "12", "-seed", "1", "-report", report}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantGenerated, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	checkReport(t, report, "cumulative-5", "bonus-5")
}

// TestGeneratedFigures recomputes from the generated history itself, with its own exact
// arithmetic, the figures of wantGenerated that do not depend on the programs: what was
// sold, returned and what it cost, and the span of the history.
func TestGeneratedFigures(t *testing.T) {
	h, stop, err := generate(20, 12, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	rows, err := csv.NewReader(h).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	type line struct{ price, cost decimal.Decimal }
	lines := map[string]line{} // by order and SKU
	var sales, returned, cost decimal.Decimal
	orders, returns := map[string]bool{}, map[string]bool{}
	first, last := rows[1][col["date"]], rows[len(rows)-1][col["date"]]
	for _, r := range rows[1:] {
		q := decimal.RequireFromString(r[col["quantity"]])
		key := r[col["order"]] + "/" + r[col["sku"]]
		if r[col["kind"]] == "return" || q.IsNegative() {
			l := lines[key]
			q = q.Abs()
			returned = returned.Add(q.Mul(l.price))
			cost = cost.Sub(q.Mul(l.cost))
			returns[r[col["order"]]+"@"+r[col["date"]]] = true
			continue
		}
		l := line{decimal.RequireFromString(r[col["price"]]), decimal.RequireFromString(r[col["cost"]])}
		lines[key] = l
		sales = sales.Add(q.Mul(l.price))
		cost = cost.Add(q.Mul(l.cost))
		orders[r[col["order"]]] = true
	}
	got := []string{
		sales.StringFixed(2), returned.StringFixed(2), sales.Sub(returned).StringFixed(2), cost.StringFixed(2),
		sales.Sub(returned).Sub(cost).StringFixed(2),
	}
	want := []string{"1972187.11", "27515.92", "1944671.19", "1301981.19", "642690.00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sales, returned, revenue, cost, margin (-want +got):\n%s", diff)
	}
	if len(rows)-1 != 760 || len(orders) != 290 || len(returns) != 15 {
		t.Errorf("%d rows, %d orders, %d returns; want 760, 290, 15", len(rows)-1, len(orders), len(returns))
	}
	if !strings.HasPrefix(first, "2026-01-01") || !strings.HasPrefix(last, "2026-12-31") {
		t.Errorf("history from %s to %s, want 2026-01-01 to 2026-12-31 (UTC, within the year in Moscow)", first, last)
	}
}

// TestRunFiles reads a history and both programs from files the test writes: a 10 %
// cumulative discount and a 10 % bonus program without tiers, over four orders and a return.
//
//   - Sales: a1 buys 10 × 100.00 on 01-10 and 5 × 100.00 on 02-10 and returns one of those on
//     02-20; a2 buys 2 × 250.00 on 03-10; a3 buys 4 × 50.00 on 03-12: 1000 + 500 + 500 + 200
//     = 2200.00, returned 100.00, revenue 2100.00. Cost 600 + 300 + 200 + 120 − 60 = 1160.00,
//     margin before 940.00 (44.76 % of revenue).
//   - The discount is 10 % of every order, net of the return: 220.00 − 10.00 = 210.00.
//   - The bonus program earns 10 % of the line totals in points (worth 1.00 each, usable at
//     once, never expiring, paying up to half an order): 100 + 50 + 50 + 20 = 220 issued.
//     a1 pays 100 of o2 (at most 250) with the 100 points of o1; the return of a fifth of
//     o2 reverses a fifth of its 50 points (10) and gives back a fifth of the 100 points
//     paid (20), which the report nets off the redeemed points: 100 − 20 = 80. Outstanding:
//     a1 100 − 100 + 50 − 10 + 20 = 60, a2 50, a3 20: 130 = 220 − 80 − 10.
//   - Nothing expires and the liability counts every outstanding point, so the bonus
//     program costs 80 + 130 = 210.00 too: without breakage a bonus costs what the discount
//     of the same rate does.
func TestRunFiles(t *testing.T) {
	dir := t.TempDir()
	history := filepath.Join(dir, "orders.csv")
	write(t, history, `order,kind,date,account,sku,quantity,price,cost
o1,,2026-01-10,a1,s1,10,100.00,60.00
o2,,2026-02-10,a1,s1,5,100.00,60.00
o2,return,2026-02-20,a1,s1,1,,
o3,,2026-03-10,a2,s2,2,250.00,100.00
o4,,2026-03-12,a3,s3,4,50.00,30.00
`)
	a := campaign.Program{
		ID: "discount-10", Currency: rub,
		Discounts: discount.Policy{
			Currency: rub, Stacking: discount.Additive,
			Discounts: []discount.Discount{{
				ID: "cumulative", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
				Accumulation: discount.Accumulation{IncludeCurrentOrder: true},
				Tiers:        []discount.Tier{{From: money("0.01"), Percent: pct("10")}},
			}},
		},
	}
	b := campaign.Program{
		ID: "bonus-10", Currency: rub,
		Earning:    points.Rules{Rates: []points.Rate{{ShareOfPrice: pct("0.1")}}},
		Redemption: points.Redemption{Currency: rub, PointValue: pct("1"), MaxShare: pct("0.5")},
	}
	pa, pb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	writeJSON(t, pa, a)
	writeJSON(t, pb, b)
	report := filepath.Join(dir, "files.html")
	var out bytes.Buffer
	if err := run(&out, []string{"-history", history, "-program-a", pa, "-program-b", pb, "-report", report}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantFiles, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	checkReport(t, report, "discount-10", "bonus-10")
}

const wantFiles = `Loyalty program simulation: discount-10 against bonus-10
(history read from orders.csv)

History: 5 rows, 4 orders (4 lines), 1 returns, 3 accounts, 2026-01-10 to 2026-03-12.

                           discount-10  bonus-10
                    Sales      2200.00   2200.00
                 Returned       100.00    100.00
                  Revenue      2100.00   2100.00
            Discount cost       210.00      0.00
   Revenue after discount      1890.00   2100.00
            Cost of goods      1160.00   1160.00
  Orders paid with points            0         1
            Points issued            0       220
          Points redeemed            0        80
           Points expired            0         0
          Points reversed            0        10
       Points outstanding            0       130
             Value issued         0.00    220.00
           Value redeemed         0.00     80.00
            Value expired         0.00      0.00
        Value outstanding         0.00    130.00
                Liability         0.00    130.00
      Gross margin before       940.00    940.00
          after discounts       730.00    940.00
    after points redeemed       730.00    860.00
          after liability       730.00    730.00
       Margin rate before      44.76 %   44.76 %
             Program cost       210.00    210.00
        Program cost rate      10.00 %   10.00 %
           Margin erosion      22.34 %   22.34 %
        Break-even uplift      28.77 %   28.77 %

discount-10: discounts given
    discount  orders  amount
  cumulative       4  220.00

Verdict
  discount-10 gave away 210.00 RUB, 10.00 % of revenue (22.34 % of the gross margin)
  bonus-10 gave away 210.00 RUB, 10.00 % of revenue (22.34 % of the gross margin)
    points: 220 issued = 80 redeemed + 0 expired + 10 reversed + 130 outstanding + 0 moved (balanced)
  both programs cost the same

Report written to files.html
`

// TestRunErrors checks that bad flags and files are errors naming what is wrong, and that
// nothing is written then.
func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	write(t, bad, `{"id": "x", "currency": "RUB", "no_such_field": 1}`)
	badRow := filepath.Join(dir, "bad.csv")
	write(t, badRow, "order,date,account,sku,quantity,price,cost\no1,2026-01-10,a1,s1,ten,100.00,60.00\n")
	report := filepath.Join(dir, "r.html")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"argument", []string{"extra"}, `unexpected arguments ["extra"]`},
		{"accounts", []string{"-accounts", "0"}, "-accounts must lie in [1, 1000000] (got 0)"},
		{"months", []string{"-months", "0"}, "-months must lie in [1, 120] (got 0)"},
		{"missing history", []string{"-history", filepath.Join(dir, "none.csv")}, "none.csv"},
		{"missing program", []string{"-program-a", filepath.Join(dir, "none.json")}, "none.json"},
		{"bad program", []string{"-program-b", bad}, "bad.json: "},
		{"bad row", []string{"-history", badRow}, "quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(io.Discard, append([]string{"-report", report}, tt.args...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if _, err := os.Stat(report); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("report written despite the error (stat: %v)", err)
			}
		})
	}
	if err := run(io.Discard, []string{"-nosuchflag"}); err == nil {
		t.Error("unknown flag accepted")
	}
	if err := run(io.Discard, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

// TestNoReport checks that -report "" writes no file and says nothing of one.
func TestNoReport(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var out bytes.Buffer
	if err := run(&out, []string{"-accounts", "3", "-months", "2", "-report", ""}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "Report written") {
		t.Errorf("output mentions a report:\n%s", out.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written: %v", entries)
	}
}

// TestDefaultReport checks that without -report the report is simulate.html in the current
// directory.
func TestDefaultReport(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var out bytes.Buffer
	if err := run(&out, []string{"-accounts", "3", "-months", "2"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\nReport written to simulate.html\n") {
		t.Errorf("output does not end with the report's name:\n%s", out.String())
	}
	checkReport(t, filepath.Join(dir, "simulate.html"), "cumulative-5", "bonus-5")
}

// TestProgress checks that -progress reports the rows replayed, ending with all of them.
func TestProgress(t *testing.T) {
	var progress bytes.Buffer
	old := progressOut
	progressOut = &progress
	t.Cleanup(func() { progressOut = old })
	if err := run(io.Discard, []string{"-accounts", "20", "-progress", "-report", ""}); err != nil {
		t.Fatal(err)
	}
	// The last call is once at the end with every row: 760 (see wantGenerated), of the
	// 20 × 12 × 3 = 720 estimated.
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if !regexp.MustCompile(`^simulate: 760 of about 720 rows replayed \(.*\)$`).MatchString(lines[len(lines)-1]) {
		t.Errorf("progress:\n%s", progress.String())
	}
}

// TestProgressOnLongRuns checks that progress is shown without -progress when the history
// is long (here: when the threshold is lowered below its 760 rows), and not otherwise.
func TestProgressOnLongRuns(t *testing.T) {
	var progress bytes.Buffer
	oldOut, oldLong := progressOut, longRun
	progressOut = &progress
	t.Cleanup(func() { progressOut, longRun = oldOut, oldLong })
	if err := run(io.Discard, []string{"-accounts", "20", "-report", ""}); err != nil {
		t.Fatal(err)
	}
	if progress.Len() != 0 {
		t.Errorf("progress on a short run:\n%s", progress.String())
	}
	longRun = 100
	if err := run(io.Discard, []string{"-accounts", "20", "-report", ""}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "simulate: 760 of about 720 rows replayed") {
		t.Errorf("no progress on a long run:\n%s", progress.String())
	}
}

// TestRunJSONLines reads the history of TestRunFiles as JSON Lines (a ".jsonl" file, with
// the return as a negative quantity) and the built-in programs: the history figures are
// those of TestRunFiles.
func TestRunJSONLines(t *testing.T) {
	dir := t.TempDir()
	history := filepath.Join(dir, "orders.jsonl")
	write(t, history, `{"order":"o1","date":"2026-01-10","account":"a1","sku":"s1","quantity":"10","price":"100.00","cost":"60.00"}
{"order":"o2","date":"2026-02-10","account":"a1","sku":"s1","quantity":"5","price":"100.00","cost":"60.00"}
{"order":"o2","date":"2026-02-20","account":"a1","sku":"s1","quantity":"-1"}
{"order":"o3","date":"2026-03-10","account":"a2","sku":"s2","quantity":"2","price":"250.00","cost":"100.00"}
{"order":"o4","date":"2026-03-12","account":"a3","sku":"s3","quantity":4,"price":50,"cost":30}
`)
	var out bytes.Buffer
	if err := run(&out, []string{"-history", history, "-report", ""}); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(out.String(), "\n")
	want := []string{
		"Loyalty program simulation: cumulative-5 against bonus-5",
		"(history read from orders.jsonl)",
		"",
		"History: 5 rows, 4 orders (4 lines), 1 returns, 3 accounts, 2026-01-10 to 2026-03-12.",
		"",
		"                           cumulative-5  bonus-5",
		"                    Sales       2200.00  2200.00",
		"                 Returned        100.00   100.00",
		"                  Revenue       2100.00  2100.00",
	}
	if len(got) < len(want) {
		t.Fatalf("output:\n%s", out.String())
	}
	if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// checkReport checks that the report is well-formed XML with at least three SVG charts
// (margin, cost, tiers) whose bars are rectangles, and that it names both programs.
func checkReport(t *testing.T, path string, programs ...string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	svgs, rects := 0, 0
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "svg":
				svgs++
			case "rect":
				rects++
			}
		case xml.CharData:
			text.Write(tok)
		}
	}
	if svgs < 2 || rects < 8 {
		t.Errorf("report has %d svg elements and %d rects, want at least 2 and 8", svgs, rects)
	}
	for _, p := range programs {
		if !strings.Contains(text.String(), p) {
			t.Errorf("report does not name %s", p)
		}
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, path string, p campaign.Program) {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	write(t, path, string(data))
}
