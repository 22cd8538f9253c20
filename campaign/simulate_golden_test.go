package campaign_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/shopspring/decimal"
)

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files of the tests")
	}
}

// updating reports whether the tests run with -update.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with the golden file name under testdata/simulate, or rewrites it
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "simulate", name)
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

var smallHistory = campaign.GenerateOptions{Seed: 3, Orders: 200, Accounts: 30, ReturnPercent: 10, OneTimePercent: 30}

// TestSimulateGolden replays a small generated history through the cumulative discount and
// the bonus program, compares the report with the golden files, and checks its numbers
// against the history itself and against each other.
func TestSimulateGolden(t *testing.T) {
	h := generate(t, smallHistory)
	golden(t, "small.csv", h)
	rep, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{}, simDiscount(), simBonus())
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "small.golden.json", append(js, '\n'))
	golden(t, "small.golden.txt", []byte(rep.String()))

	// The history, summed up independently: the value of what was sold and returned at the
	// rows' prices, and the cost of what was kept.
	want := sumHistory(t, h)
	if rep.Orders != want.orders || rep.Returns != want.returns || rep.Accounts != want.accounts || rep.Rows != want.rows {
		t.Errorf("report counts orders %d returns %d accounts %d rows %d, history has %d, %d, %d, %d",
			rep.Orders, rep.Returns, rep.Accounts, rep.Rows, want.orders, want.returns, want.accounts, want.rows)
	}
	if rep.ErrorCount != 0 {
		t.Errorf("errors: %v", rep.Errors)
	}
	if len(rep.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(rep.Runs))
	}
	for _, run := range rep.Runs {
		t.Run(string(run.Program), func(t *testing.T) {
			eqDec(t, "sales", run.Sales.Decimal(), want.sales)
			eqDec(t, "returned", run.Returned.Decimal(), want.returned)
			eqDec(t, "revenue", run.Revenue.Decimal(), want.sales.Sub(want.returned))
			eqDec(t, "cost", run.Cost.Decimal(), want.cost)
			// Revenue before = discount cost + revenue after discount.
			eqDec(t, "discount + revenue after discount", run.Discount.Decimal().Add(run.RevenueAfterDiscount.Decimal()), run.Revenue.Decimal())
			// Points issued = redeemed + expired + reversed + outstanding.
			p := run.Points
			if p.Issued != p.Redeemed+p.Expired+p.Reversed+p.Outstanding+p.Moved {
				t.Errorf("points issued %d ≠ redeemed %d + expired %d + reversed %d + outstanding %d + moved %d",
					p.Issued, p.Redeemed, p.Expired, p.Reversed, p.Outstanding, p.Moved)
			}
			mg := run.Margin
			eqDec(t, "margin before", mg.Before.Decimal(), want.sales.Sub(want.returned).Sub(want.cost))
			eqDec(t, "margin after discounts", mg.AfterDiscounts.Decimal(), mg.Before.Decimal().Sub(run.Discount.Decimal()))
			eqDec(t, "margin after points", mg.AfterPoints.Decimal(), mg.AfterDiscounts.Decimal().Sub(p.RedeemedValue.Decimal()))
			eqDec(t, "margin after liability", mg.AfterLiability.Decimal(), mg.AfterPoints.Decimal().Sub(p.Liability.Decimal()))
			eqDec(t, "program cost", run.ProgramCost.Decimal(), run.Discount.Decimal().Add(p.RedeemedValue.Decimal()).Add(p.Liability.Decimal()))
			hundred := decimal.NewFromInt(100)
			eqDec(t, "erosion", mg.Erosion, run.ProgramCost.Decimal().Mul(hundred).DivRound(mg.Before.Decimal(), 2))
			// Break-even uplift d / (m − d) with m and d the margin and cost rates.
			m, c := mg.Before.Decimal(), run.ProgramCost.Decimal()
			if run.BreakEvenUplift == nil {
				t.Fatalf("no break-even uplift")
			}
			eqDec(t, "break-even uplift", *run.BreakEvenUplift, c.Mul(hundred).DivRound(m.Sub(c), 2))
			// Every account is in exactly one level at the end.
			last := run.Tiers.Months[len(run.Tiers.Months)-1]
			total := 0
			for _, n := range last.Accounts {
				total += n
			}
			if total != want.accounts {
				t.Errorf("tier distribution of %s counts %d accounts, want %d", last.Month, total, want.accounts)
			}
		})
	}
	disc, bonus := rep.Runs[0], rep.Runs[1]
	// The discount program gives no points; the bonus program no discount, and its points
	// are worth 1 RUB each: 5 % of the price paid, so issued ≈ 5 % of sales (rounded per
	// order, and with the points restored by returns).
	if disc.Points.Issued != 0 || !bonus.Discount.IsZero() {
		t.Errorf("discount program issued %d points; bonus program discounted %v", disc.Points.Issued, bonus.Discount)
	}
	eqDec(t, "bonus issued value", bonus.Points.IssuedValue.Decimal(), decimal.NewFromInt(int64(bonus.Points.Issued)))
	// The liability comes from the ledger's open lots, the points counts from the balance
	// rows: they agree.
	eqDec(t, "bonus outstanding value", bonus.Points.OutstandingValue.Decimal(), decimal.NewFromInt(int64(bonus.Points.Outstanding)))
	eqDec(t, "bonus liability", bonus.Points.Liability.Decimal(), decimal.NewFromInt(int64(bonus.Points.Outstanding)))
	// The cumulative discount gives 5 % of every order (the 7 % step needs 200,000 of
	// purchases): within a ruble per order of 5 % of sales.
	five := want.sales.Mul(decimal.RequireFromString("0.05"))
	given := disc.Discounts[0].Amount.Decimal()
	if given.Sub(five).Abs().GreaterThan(decimal.NewFromInt(int64(want.orders))) || disc.Discounts[0].Orders != want.orders {
		t.Errorf("cumulative discount gave %s on %d orders, want about %s on %d", given, disc.Discounts[0].Orders, five, want.orders)
	}

	// The same history as JSON Lines gives the same runs.
	hj := generate(t, func() campaign.GenerateOptions { o := smallHistory; o.Format = campaign.JSONLines; return o }())
	repj, err := campaign.Simulate(ctx, bytes.NewReader(hj), campaign.JSONLines, campaign.SimulateOptions{}, simDiscount(), simBonus())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, repj); diff != "" {
		t.Errorf("JSON Lines report differs from CSV (-csv +json):\n%s", diff)
	}
}

func eqDec(t *testing.T, what string, got, want decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

type historySums struct {
	rows, orders, returns, accounts int
	sales, returned, cost           decimal.Decimal
}

// sumHistory reads a generated CSV history with encoding/csv and decimal arithmetic only.
func sumHistory(t *testing.T, h []byte) historySums {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(h)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	type line struct{ price, cost decimal.Decimal }
	lines := map[string]line{} // order/sku
	orders, returns, accounts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	s := historySums{rows: len(recs) - 1}
	lastReturn := ""
	for _, r := range recs[1:] {
		q := decimal.RequireFromString(r[col["quantity"]])
		key := r[col["order"]] + "/" + r[col["sku"]]
		accounts[r[col["account"]]] = true
		if r[col["kind"]] == "return" {
			l := lines[key]
			s.returned = s.returned.Add(q.Mul(l.price))
			s.cost = s.cost.Sub(q.Mul(l.cost))
			if g := r[col["order"]] + r[col["date"]]; g != lastReturn {
				s.returns++
				lastReturn = g
			}
			returns[r[col["order"]]] = true
			continue
		}
		l := line{decimal.RequireFromString(r[col["price"]]), decimal.RequireFromString(r[col["cost"]])}
		lines[key] = l
		orders[r[col["order"]]] = true
		s.sales = s.sales.Add(q.Mul(l.price))
		s.cost = s.cost.Add(q.Mul(l.cost))
	}
	s.orders, s.accounts = len(orders), len(accounts)
	if !strings.Contains(string(h), ",return,") || s.returns == 0 {
		t.Fatal("the history has no returns")
	}
	return s
}
