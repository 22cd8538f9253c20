package main

import (
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wantTables is the whole printed output before the chart line. Every figure is worked out
// here from first principles, not copied from the program:
//
// 1. Price 9,000 RUB, profit 30% of the price = 2,700 RUB, benefit 5% of the price = 450 RUB.
//   - a) a discount gives away 450 of the sale's 2,700 profit: 450/2,700 = 1/6 = 16.67%;
//     on two sales 2 × 450 = 900 of 2 × 2,700 = 5,400, still 1/6.
//   - b) points worth 450 are earned on sale 1 and spent on sale 2: the profit of both sales,
//     5,400, carries one 450: 450/5,400 = 1/12 = 8.33%.
//   - c) only 60% redeemed: expected cost 0.6 × 450 = 270; 270/5,400 = 5.00%.
//   - d) 25% of those 60% expire, 75% of them are spent: 0.75 × 270 = 202.50;
//     202.5/5,400 = 0.0375 = 3.75%.
//
// 2. Break-even uplift u = d / (m − d): to keep m × Q = (m − d) × Q′ the volume must grow
// by Q′/Q − 1 = d/(m − d).
//   - 20%: 2/18 = 11.11%, 5/15 = 33.33%, 10/10 = 100%, 15/5 = 300%; 20 and 25 are ≥ 20: impossible.
//   - 25%: 2/23 = 8.695… → 8.70%, 5/20 = 25%, 10/15 = 66.67%, 15/10 = 150%, 20/5 = 400%; 25: impossible.
//   - 30%: 2/28 = 7.142… → 7.14%, 5/25 = 20%, 10/20 = 50%, 15/15 = 100%, 20/10 = 200%, 25/5 = 500%.
//   - 40%: 2/38 = 5.263… → 5.26%, 5/35 = 14.285… → 14.29%, 10/30 = 33.33%, 15/25 = 60%,
//     20/20 = 100%, 25/15 = 166.67%.
//   - 50%: 2/48 = 4.166… → 4.17%, 5/45 = 11.11%, 10/40 = 25%, 15/35 = 42.857… → 42.86%,
//     20/30 = 66.67%, 25/25 = 100%.
//
// 3. Largest discount d = m × u / (100 + u), from solving d/(m − d) = u/100:
// for u = 10% it is m/11 (1.818… → 1.82, 2.2727… → 2.27, 2.7272… → 2.73, 3.6363… → 3.64,
// 4.5454… → 4.55); for u = 20% m/6 (3.33, 4.1666… → 4.17, 5, 6.67, 8.33); for u = 50% m/3
// (6.67, 8.33, 10, 13.33, 16.67).
//
// 4. A price of 100 with margin m has cost 100 − m, so markup = m/(100 − m): 20/80 = 25%,
// 30/70 = 42.857… → 42.86%. A cost of 100 with markup k sells at 100 + k, so margin =
// k/(100 + k): 50/150 = 33.33%, 100/200 = 50%.
//
// 5. 20 litres × 55 RUB = 1,100 RUB for 3,999 points: a point is worth 1,100/3,999 =
// 0.275… → 0.28 RUB. 1 point per 10 RUB returns 1/10 × 1,100/3,999 = 110/3,999 = 2.7506… →
// 2.75%; 3 points per 10 RUB three times that, 8.2520… → 8.25%. At 1 point = 1 RUB: 1/10 =
// 10% and 3/10 = 30%.
const wantTables = `What a loyalty benefit costs, measured against profit
(exact decimal arithmetic; percentages printed rounded to 2 decimals)

1. Discount versus bonus: a 9000.00 RUB sale, profit 30% of the price, benefit 5%

     benefit of 5%                                       cost       profit  share of profit
  a) discount, one sale                            450.00 RUB  2700.00 RUB           16.67%
  b) bonus, earned on sale 1, spent on sale 2      450.00 RUB  5400.00 RUB            8.33%
  c) bonus, 60% of the points redeemed             270.00 RUB  5400.00 RUB            5.00%
  d) bonus, 60% redeemed, 25% of that expires      202.50 RUB  5400.00 RUB            3.75%

  a) A discount is paid on every sale: 450.00 RUB off a sale that makes 2700.00 RUB of profit;
     on two sales it is 900.00 RUB of 5400.00 RUB, the same share.
  b) A bonus is paid once for two sales: the 450.00 RUB of points earned on the first is spent
     on the second, and the profit of both, 5400.00 RUB, carries it.
  c) Not every customer comes back: if only 60% of the points are redeemed, the expected cost
     falls to 270.00 RUB.
  d) Points expire too: if 25% of the points that would be redeemed expire first, only 75% of
     that 60% is spent, which costs 202.50 RUB.

2. Break-even uplift: how many more sales keep the gross profit unchanged?
   uplift = discount / (margin − discount)

  margin \ discount           2%          5%         10%         15%         20%         25%
  20%                    +11.11%     +33.33%    +100.00%    +300.00%  impossible  impossible
  25%                     +8.70%     +25.00%     +66.67%    +150.00%    +400.00%  impossible
  30%                     +7.14%     +20.00%     +50.00%    +100.00%    +200.00%    +500.00%
  40%                     +5.26%     +14.29%     +33.33%     +60.00%    +100.00%    +166.67%
  50%                     +4.17%     +11.11%     +25.00%     +42.86%     +66.67%    +100.00%

  Read: at a 30% margin a 5% discount needs 20.00% more sales just to earn the same gross
  profit. "impossible": the discount is at or above the margin, so every extra sale adds a
  loss.

3. The largest discount a margin allows for the sales uplift you expect
   discount = margin × uplift / (100% + uplift)

  margin \ uplift         +10%      +20%      +50%
  20%                    1.82%     3.33%     6.67%
  25%                    2.27%     4.17%     8.33%
  30%                    2.73%     5.00%    10.00%
  40%                    3.64%     6.67%    13.33%
  50%                    4.55%     8.33%    16.67%

  Read: if you can only expect +20% volume, a 30% margin affords at most a 5.00% discount.

4. Markup and margin: the same profit as a share of the cost or of the price
   margin = markup / (100% + markup);  markup = margin / (100% − margin)

  given           margin       markup
  margin          20.00%       25.00%
  margin          30.00%       42.86%
  markup          33.33%       50.00%
  markup          50.00%      100.00%

  Read: a 50% markup is only a 33.33% margin: a discount above 33.33% of the price sells below
  cost.

5. Effective cashback of a points scheme: a fuel-station card
   top reward: 20 litres of fuel at 55.00 RUB = 1100.00 RUB for 3999 points
   cashback = points / spend × reward value / reward points

  earning path             earning                points valued         cashback
  fuel                     1 per full 10.00 RUB   at the top reward        2.75%
  shop goods and services  3 per full 10.00 RUB   at the top reward        8.25%
  fuel                     1 per full 10.00 RUB   if 1 point = 1.00 RUB   10.00%
  shop goods and services  3 per full 10.00 RUB   if 1 point = 1.00 RUB   30.00%

  Read: "3 points per 10.00 RUB" sounds like 30%, but the top reward values a point at only
  1100.00 RUB / 3999 = 0.28 RUB. Points come per full 10.00 RUB, so these rates are the most a
  purchase gets.
`

func TestOutputAndChart(t *testing.T) {
	svgPath := filepath.Join(t.TempDir(), "curves.svg")
	var out strings.Builder
	if err := run(&out, []string{"-svg", svgPath}); err != nil {
		t.Fatal(err)
	}
	want := wantTables + "\nChart of the break-even uplift curves written to " + svgPath + "\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}

	data, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	paths := decodeSVG(t, data)
	var titles []string
	for _, p := range paths {
		titles = append(titles, p.Title)
	}
	// One curve per margin of the table, in its order.
	wantTitles := []string{"margin 20%", "margin 25%", "margin 30%", "margin 40%", "margin 50%"}
	if diff := cmp.Diff(wantTitles, titles); diff != "" {
		t.Fatalf("curves (-want +got):\n%s", diff)
	}
	// No discount needs no uplift: every curve starts at the chart's origin.
	origin := fmt.Sprintf("M%d.0,%d.0 ", plotL, plotB)
	for _, p := range paths {
		if !strings.HasPrefix(p.D, origin) {
			t.Errorf("%s starts %.20q, want the origin %q", p.Title, p.D, origin)
		}
	}
	// The 9,000 case on the chart: at a 30% margin a 5% discount needs +20%. The x axis runs
	// 0..25% over plotL..plotR = 80..580, so 5% is at 80 + 5/25 × 500 = 180; the y axis runs
	// 0..200% over plotB..plotT = 410..50, so +20% is at 410 − 20/200 × 360 = 374.
	if !strings.Contains(paths[2].D, " L180.0,374.0 ") {
		t.Errorf("the 30%% curve misses (5%%, +20%%) = (180, 374): %s", paths[2].D)
	}
	// The 30% curve leaves the chart at its top corner: 20/(30 − 20) = +200% at a 20% discount,
	// x = 80 + 20/25 × 500 = 480, y = 50.
	if !strings.HasSuffix(paths[2].D, " L480.0,50.0") {
		t.Errorf("the 30%% curve ends %q, want at (480, 50)", paths[2].D[max(0, len(paths[2].D)-20):])
	}
}

// svgPath is a path element of the chart with its tooltip.
type svgPath struct {
	D     string `xml:"d,attr"`
	Title string `xml:"title"`
}

// decodeSVG checks that data is well-formed XML whose root is an SVG element and returns
// its path elements.
func decodeSVG(t *testing.T, data []byte) []svgPath {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	var paths []svgPath
	root := true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root {
			if se.Name.Space != "http://www.w3.org/2000/svg" || se.Name.Local != "svg" {
				t.Fatalf("root element %v, want svg in the SVG namespace", se.Name)
			}
			root = false
		}
		if se.Name.Local == "path" {
			var p svgPath
			if err := dec.DecodeElement(&p, &se); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	if root {
		t.Fatal("the chart is empty")
	}
	return paths
}

func TestNoChart(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var out strings.Builder
	if err := run(&out, []string{"-svg", ""}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantTables, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("-svg \"\" wrote %v (err %v), want nothing", entries, err)
	}
}

func TestDefaultChartPath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := run(io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "margin.svg"))
	if err != nil {
		t.Fatalf("no margin.svg in the current directory: %v", err)
	}
	if n := len(decodeSVG(t, data)); n != 5 {
		t.Errorf("%d curves, want one per margin, 5", n)
	}
}

func TestBadArguments(t *testing.T) {
	missingDir := filepath.Join(t.TempDir(), "no-such-dir", "chart.svg")
	tests := []struct {
		name string
		args []string
		want func(error) bool
	}{
		{"unknown flag", []string{"-png", "x.png"}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "-png") }},
		{"stray argument", []string{"-svg", "", "extra"}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "extra") }},
		{"unwritable chart", []string{"-svg", missingDir}, func(err error) bool { return errors.Is(err, os.ErrNotExist) }},
		{"help", []string{"-h"}, func(err error) bool { return errors.Is(err, flag.ErrHelp) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(io.Discard, tt.args)
			if !tt.want(err) {
				t.Errorf("run(%q) = %v", tt.args, err)
			}
		})
	}
}
