package campaign

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// String renders the report as [Report.WriteText] does.
func (r Report) String() string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}

// WriteText renders the report as plain text: what was read, a table comparing the runs
// side by side (one column per program), the consumption of each discount and campaign, the tier
// distribution at every month end, and the malformed rows.
func (r Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "History: %d rows, %d orders (%d lines), %d returns, %d accounts", r.Rows, r.Orders, r.Lines, r.Returns, r.Accounts)
	if !r.From.IsZero() {
		fmt.Fprintf(ew, ", %s to %s", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
	}
	fmt.Fprintln(ew, ".")
	if r.ErrorCount > 0 {
		fmt.Fprintf(ew, "Malformed rows: %d, left out.\n", r.ErrorCount)
	}
	if len(r.Runs) > 0 {
		fmt.Fprintln(ew)
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		row := func(label string, cell func(Run) string) {
			fmt.Fprint(tw, label, "\t")
			for _, run := range r.Runs {
				fmt.Fprint(tw, cell(run), "\t")
			}
			fmt.Fprintln(tw)
		}
		money := func(f func(Run) loyalty.Money) func(Run) string {
			return func(run Run) string { return f(run).Amount() }
		}
		pts := func(f func(Run) points.Points) func(Run) string {
			return func(run Run) string { return strconv.FormatInt(int64(f(run)), 10) }
		}
		pct := func(f func(Run) decimal.Decimal) func(Run) string {
			return func(run Run) string { return f(run).StringFixed(2) + " %" }
		}
		row("", func(run Run) string { return string(run.Program) })
		row("Sales", money(func(r Run) loyalty.Money { return r.Sales }))
		row("Returned", money(func(r Run) loyalty.Money { return r.Returned }))
		row("Revenue", money(func(r Run) loyalty.Money { return r.Revenue }))
		row("Discount cost", money(func(r Run) loyalty.Money { return r.Discount }))
		row("Revenue after discount", money(func(r Run) loyalty.Money { return r.RevenueAfterDiscount }))
		row("Cost of goods", money(func(r Run) loyalty.Money { return r.Cost }))
		row("Orders paid with points", func(r Run) string { return strconv.Itoa(r.Redemptions) })
		row("Points issued", pts(func(r Run) points.Points { return r.Points.Issued }))
		row("Points redeemed", pts(func(r Run) points.Points { return r.Points.Redeemed }))
		row("Points expired", pts(func(r Run) points.Points { return r.Points.Expired }))
		row("Points reversed", pts(func(r Run) points.Points { return r.Points.Reversed }))
		row("Points outstanding", pts(func(r Run) points.Points { return r.Points.Outstanding }))
		row("Value issued", money(func(r Run) loyalty.Money { return r.Points.IssuedValue }))
		row("Value redeemed", money(func(r Run) loyalty.Money { return r.Points.RedeemedValue }))
		row("Value expired", money(func(r Run) loyalty.Money { return r.Points.ExpiredValue }))
		row("Value outstanding", money(func(r Run) loyalty.Money { return r.Points.OutstandingValue }))
		row("Liability", money(func(r Run) loyalty.Money { return r.Points.Liability }))
		row("Gross margin before", money(func(r Run) loyalty.Money { return r.Margin.Before }))
		row("  after discounts", money(func(r Run) loyalty.Money { return r.Margin.AfterDiscounts }))
		row("  after points redeemed", money(func(r Run) loyalty.Money { return r.Margin.AfterPoints }))
		row("  after liability", money(func(r Run) loyalty.Money { return r.Margin.AfterLiability }))
		row("Margin rate before", pct(func(r Run) decimal.Decimal { return r.Margin.Rate }))
		row("Program cost", money(func(r Run) loyalty.Money { return r.ProgramCost }))
		row("Program cost rate", pct(func(r Run) decimal.Decimal { return r.CostRate }))
		row("Margin erosion", pct(func(r Run) decimal.Decimal { return r.Margin.Erosion }))
		row("Break-even uplift", func(r Run) string {
			if r.BreakEvenUplift == nil {
				return "none"
			}
			return r.BreakEvenUplift.StringFixed(2) + " %"
		})
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, run := range r.Runs {
		if len(run.Discounts) > 0 {
			fmt.Fprintf(ew, "\n%s: discounts given\n", run.Program)
			tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "discount\torders\tamount\t")
			for _, u := range run.Discounts {
				fmt.Fprintf(tw, "%s\t%d\t%s\t\n", u.ID, u.Orders, u.Amount.Amount())
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		if len(run.Campaigns) > 0 {
			fmt.Fprintf(ew, "\n%s: campaigns\n", run.Program)
			tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "campaign\torders\tover budget\tdiscount\tpoints\tcost\tbudget spent\tbudget uses\t")
			for _, u := range run.Campaigns {
				spent, uses := "-", "-"
				if !u.Budget.IsZero() {
					spent, uses = u.Spent.Amount(), strconv.FormatInt(u.Uses, 10)
					if u.Spent.IsZero() {
						spent = "0"
					}
					if !u.Budget.Money.IsZero() {
						spent += " of " + u.Budget.Money.Amount()
					}
					if u.Budget.Uses > 0 {
						uses += " of " + strconv.FormatInt(u.Budget.Uses, 10)
					}
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t\n", u.ID, u.Orders, u.OverBudget, u.Discount.Amount(), u.Points, u.Cost.Amount(), spent, uses)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		if run.Tiers != nil && len(run.Tiers.Months) > 0 {
			fmt.Fprintf(ew, "\n%s: accounts per tier at month end\n", run.Program)
			tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprint(tw, "month\t")
			for _, l := range run.Tiers.Levels {
				fmt.Fprint(tw, l, "\t")
			}
			fmt.Fprintln(tw)
			for _, m := range run.Tiers.Months {
				fmt.Fprint(tw, m.Month, "\t")
				for _, n := range m.Accounts {
					fmt.Fprint(tw, n, "\t")
				}
				fmt.Fprintln(tw)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintln(ew, "\nMalformed rows:")
		for _, e := range r.Errors {
			fmt.Fprintln(ew, "  "+strings.TrimPrefix(e.Error(), "campaign: history "))
		}
		if r.ErrorCount > len(r.Errors) {
			fmt.Fprintf(ew, "  … and %d more\n", r.ErrorCount-len(r.Errors))
		}
	}
	return ew.err
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	_, e.err = e.w.Write(p)
	return len(p), nil
}
