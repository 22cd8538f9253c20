package campaign_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
)

const csvHeader = "order,kind,date,account,buyer,sku,category,quantity,price,cost\n"

// Three good orders around the row under test: o1 (rows 2–3), the row(s) under test, o9
// (the last row).
const (
	csvBefore = "o1,,2026-03-02T10:00:00Z,acme,acme/b1,drill,tools,2,5000.00,3000.00\n" +
		"o1,,2026-03-02T10:00:00Z,acme,acme/b1,bit,tools,10,100.00,40.00\n"
	csvAfter = "o9,,2026-03-20T10:00:00Z,zeta,,saw,tools,1,2000.00,1200.00\n"
)

func TestSimulateMalformedRows(t *testing.T) {
	tests := []struct {
		name   string
		rows   string // CSV rows between csvBefore and csvAfter; the first is row 4
		row    int
		column string
		orders int // orders replayed under Skip
	}{
		{"quantity not a number", "o2,,2026-03-03T10:00:00Z,acme,,drill,tools,two,5000.00,3000.00\n", 4, "quantity", 2},
		{"zero quantity", "o2,,2026-03-03T10:00:00Z,acme,,drill,tools,0,5000.00,3000.00\n", 4, "quantity", 2},
		{"price missing", "o2,,2026-03-03T10:00:00Z,acme,,drill,tools,1,,3000.00\n", 4, "price", 2},
		{"negative price", "o2,,2026-03-03T10:00:00Z,acme,,drill,tools,1,-5,3000.00\n", 4, "price", 2},
		{"cost missing", "o2,,2026-03-03T10:00:00Z,acme,,drill,tools,1,5000.00,\n", 4, "cost", 2},
		{"bad date", "o2,,03/03/2026,acme,,drill,tools,1,5000.00,3000.00\n", 4, "date", 2},
		{"account missing", "o2,,2026-03-03T10:00:00Z,,,drill,tools,1,5000.00,3000.00\n", 4, "account", 2},
		{"unknown kind", "o2,refund,2026-03-03T10:00:00Z,acme,,drill,tools,1,5000.00,3000.00\n", 4, "kind", 2},
		{"too few fields", "o2,,2026-03-03T10:00:00Z,acme\n", 4, "", 2},
		{"second line of an order bad: the order is left out",
			"o2,,2026-03-03T10:00:00Z,acme,,drill,tools,1,5000.00,3000.00\n" +
				"o2,,2026-03-03T10:00:00Z,acme,,bit,tools,1,abc,40.00\n", 5, "price", 2},
		{"account changes within an order",
			"o2,,2026-03-03T10:00:00Z,acme,,drill,tools,1,5000.00,3000.00\n" +
				"o2,,2026-03-03T10:00:00Z,beta,,bit,tools,1,100.00,40.00\n", 5, "account", 2},
		{"date changes within an order",
			"o2,,2026-03-03T10:00:00Z,acme,,drill,tools,1,5000.00,3000.00\n" +
				"o2,,2026-03-04T10:00:00Z,acme,,bit,tools,1,100.00,40.00\n", 5, "date", 2},
		{"out of time order", "o2,,2026-03-01T10:00:00Z,beta,,drill,tools,1,5000.00,3000.00\n", 4, "date", 2},
		{"order id repeated later",
			"o2,,2026-03-03T10:00:00Z,beta,,drill,tools,1,5000.00,3000.00\n" +
				"o1,,2026-03-04T10:00:00Z,acme,,drill,tools,1,5000.00,3000.00\n", 5, "order", 3},
		{"return of an unknown order", "o7,return,2026-03-04T10:00:00Z,acme,,drill,,1,,\n", 4, "order", 2},
		{"return of a SKU not in the order", "o1,return,2026-03-04T10:00:00Z,acme,,saw,,1,,\n", 4, "sku", 2},
		{"return of more than was bought", "o1,return,2026-03-04T10:00:00Z,acme,,drill,,3,,\n", 4, "quantity", 2},
		{"return by another account", "o1,return,2026-03-04T10:00:00Z,beta,,drill,,1,,\n", 4, "account", 2},
		{"negative quantity on a return row", "o1,return,2026-03-04T10:00:00Z,acme,,drill,,-1,,\n", 4, "quantity", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := csvHeader + csvBefore + tt.rows + csvAfter
			// Stop: the error names the row and the column, the report holds what came before.
			rep, err := campaign.Simulate(ctx, strings.NewReader(h), campaign.CSV, campaign.SimulateOptions{}, simDiscount())
			var re *campaign.RowError
			if !errors.As(err, &re) {
				t.Fatalf("Stop: err = %v, want a *RowError", err)
			}
			if re.Row != tt.row || re.Column != tt.column || !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("Stop: error at row %d column %q (%v), want row %d column %q", re.Row, re.Column, err, tt.row, tt.column)
			}
			if rep.Orders != tt.orders-1 || len(rep.Runs) != 1 {
				t.Errorf("Stop: report has %d orders and %d runs, want %d orders (those before the row) and 1 run", rep.Orders, len(rep.Runs), tt.orders-1)
			}
			// Skip: the error is collected, the orders around it are replayed.
			rep, err = campaign.Simulate(ctx, strings.NewReader(h), campaign.CSV, campaign.SimulateOptions{OnError: campaign.Skip}, simDiscount())
			if err != nil {
				t.Fatalf("Skip: %v", err)
			}
			if rep.ErrorCount != 1 || len(rep.Errors) != 1 || rep.Errors[0].Row != tt.row || rep.Errors[0].Column != tt.column {
				t.Errorf("Skip: errors %+v (count %d), want one at row %d column %q", rep.Errors, rep.ErrorCount, tt.row, tt.column)
			}
			if rep.Orders != tt.orders {
				t.Errorf("Skip: %d orders replayed, want %d", rep.Orders, tt.orders)
			}
			if !strings.Contains(rep.String(), "Malformed rows: 1, left out.") {
				t.Errorf("Skip: text report does not mention the malformed row:\n%s", rep)
			}
		})
	}
}

// TestSimulateSkipKeepsGoodOrders checks that under Skip a bad order leaves the others
// exactly as if it were not in the history.
func TestSimulateSkipKeepsGoodOrders(t *testing.T) {
	bad := "o2,,2026-03-03T10:00:00Z,acme,,drill,tools,1,5000.00,3000.00\n" +
		"o2,,2026-03-03T10:00:00Z,acme,,bit,tools,x,100.00,40.00\n"
	with, err := campaign.Simulate(ctx, strings.NewReader(csvHeader+csvBefore+bad+csvAfter), campaign.CSV,
		campaign.SimulateOptions{OnError: campaign.Skip}, simDiscount(), simBonus())
	if err != nil {
		t.Fatal(err)
	}
	without, err := campaign.Simulate(ctx, strings.NewReader(csvHeader+csvBefore+csvAfter), campaign.CSV,
		campaign.SimulateOptions{}, simDiscount(), simBonus())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(without.Runs, with.Runs); diff != "" {
		t.Errorf("runs with a skipped order differ (-without +with):\n%s", diff)
	}
	if with.Rows != without.Rows+2 {
		t.Errorf("rows read %d, want %d", with.Rows, without.Rows+2)
	}
}

func TestSimulateMaxErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(csvHeader + csvBefore)
	for i := 0; i < 5; i++ {
		b.WriteString("o2,,2026-03-03T10:00:00Z,acme,,drill,tools,x,5000.00,3000.00\n")
	}
	rep, err := campaign.Simulate(ctx, strings.NewReader(b.String()), campaign.CSV,
		campaign.SimulateOptions{OnError: campaign.Skip, MaxErrors: 2}, simDiscount())
	if err != nil {
		t.Fatal(err)
	}
	if rep.ErrorCount != 5 || len(rep.Errors) != 2 || rep.Errors[1].Row != 5 {
		t.Errorf("errors %+v, count %d; want 2 kept of 5", rep.Errors, rep.ErrorCount)
	}
	if !strings.Contains(rep.String(), "… and 3 more") {
		t.Errorf("text report:\n%s", rep)
	}
}

// A bad header stops the simulation whatever OnError says: nothing can be read.
func TestSimulateBadHeader(t *testing.T) {
	tests := []struct {
		name, history, column string
	}{
		{"unknown column", "order,date,account,sku,quantity,colour\n", "colour"},
		{"column twice", "order,date,account,sku,quantity,sku\n", "sku"},
		{"required column missing", "order,date,account,quantity,price,cost\n", "sku"},
		{"empty input", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := campaign.Simulate(ctx, strings.NewReader(tt.history), campaign.CSV, campaign.SimulateOptions{OnError: campaign.Skip}, simDiscount())
			var re *campaign.RowError
			if !errors.As(err, &re) || re.Row != 1 || re.Column != tt.column {
				t.Errorf("err = %v, want a row 1 error in column %q", err, tt.column)
			}
		})
	}
}

func TestSimulateJSONLinesErrors(t *testing.T) {
	good := `{"order":"o1","date":"2026-03-02T10:00:00Z","account":"acme","sku":"drill","quantity":2,"price":"5000.00","cost":3000}` + "\n"
	tests := []struct {
		name, line string
		column     string
	}{
		{"unknown field", `{"order":"o2","date":"2026-03-03","account":"acme","sku":"x","quantity":"1","price":"1","cost":"1","colour":"red"}`, "colour"},
		{"not JSON", `{"order":"o2",`, ""},
		{"wrong type", `{"order":"o2","date":"2026-03-03","account":"acme","sku":"x","quantity":true,"price":"1","cost":"1"}`, ""},
		{"bad quantity", `{"order":"o2","date":"2026-03-03","account":"acme","sku":"x","quantity":"1.2.3","price":"1","cost":"1"}`, "quantity"},
		{"trailing data", `{"order":"o2","date":"2026-03-03","account":"acme","sku":"x","quantity":"1","price":"1","cost":"1"} {}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Row 3: a blank line (row 2) is skipped but counted.
			h := good + "\n" + tt.line + "\n"
			_, err := campaign.Simulate(ctx, strings.NewReader(h), campaign.JSONLines, campaign.SimulateOptions{}, simDiscount())
			var re *campaign.RowError
			if !errors.As(err, &re) || re.Row != 3 || re.Column != tt.column {
				t.Errorf("err = %v, want a row 3 error in column %q", err, tt.column)
			}
			rep, err := campaign.Simulate(ctx, strings.NewReader(h), campaign.JSONLines, campaign.SimulateOptions{OnError: campaign.Skip}, simDiscount())
			if err != nil || rep.Orders != 1 || rep.ErrorCount != 1 {
				t.Errorf("Skip: %d orders, %d errors, err %v; want 1, 1, nil", rep.Orders, rep.ErrorCount, err)
			}
		})
	}
}

func TestSimulateBadOptions(t *testing.T) {
	usd := simBonus()
	usd.Currency = loyalty.MustCurrency("USD")
	tests := []struct {
		name     string
		format   campaign.Format
		opt      campaign.SimulateOptions
		programs []campaign.Program
		want     string
	}{
		{"no program", campaign.CSV, campaign.SimulateOptions{}, nil, "no program"},
		{"format", "xml", campaign.SimulateOptions{}, []campaign.Program{simDiscount()}, "format"},
		{"on error", campaign.CSV, campaign.SimulateOptions{OnError: 7}, []campaign.Program{simDiscount()}, "on_error"},
		{"currencies differ", campaign.CSV, campaign.SimulateOptions{}, []campaign.Program{simDiscount(), usd}, "programs[1].currency"},
		{"invalid program", campaign.CSV, campaign.SimulateOptions{}, []campaign.Program{{ID: "x"}}, "programs[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := campaign.Simulate(ctx, strings.NewReader(csvHeader), tt.format, tt.opt, tt.programs...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestSimulateProgressAndCancel(t *testing.T) {
	h := generate(t, campaign.GenerateOptions{Seed: 5, Orders: 50})
	var calls []int
	rep, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{
		ProgressEvery: 40, Progress: func(n int) { calls = append(calls, n) }}, simDiscount())
	if err != nil {
		t.Fatal(err)
	}
	want := []int{}
	for n := 40; n <= rep.Rows; n += 40 {
		want = append(want, n)
	}
	want = append(want, rep.Rows)
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("progress calls (-want +got):\n%s", diff)
	}
	cctx, cancel := contextWithCancel()
	cancel()
	if _, err := campaign.Simulate(cctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{}, simDiscount()); err == nil {
		t.Error("a cancelled context did not stop the simulation")
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }
