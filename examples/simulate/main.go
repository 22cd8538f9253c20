// Command simulate is the flagship example of loyaltykit: it replays a year of B2B orders
// through two candidate loyalty programs and compares what each would have cost.
//
// The two programs, defined below as campaign.Program values, have the same nominal rate:
//
//   - cumulative-5: a cumulative discount of 5 % on every order (7 % for an account past
//     200,000 RUB of purchases);
//   - bonus-5: 5 % of the price paid back as bonus points worth 1 RUB each, usable 14 days
//     after the purchase, expiring after 6 months, paying up to half of an order.
//
// Both share a tier ladder (Base, Silver, Gold by the spend of the last three months) that
// gives no benefit of its own, so that the comparison is of the discount against the bonus
// only; the tiers show how the customer base is distributed.
//
// The history is generated (seeded, with campaign.GenerateHistory) or read from a file;
// campaign.Simulate replays it through both programs (each customer with points pays with
// as many as the program allows) and the example prints the side-by-side comparison —
// revenue, discount cost, points issued, redeemed, expired and outstanding and their
// liability, the gross margin before and after, its erosion, the tier distribution — and
// writes an HTML report with charts.
//
// Run it from the repository root:
//
//	go run ./examples/simulate                                 # 200 accounts, 12 months, writes simulate.html
//	go run ./examples/simulate -accounts 2000 -months 24 -progress   # about a minute
//	go run ./examples/simulate -history orders.csv -program-a a.json -program-b b.json
//	go run ./examples/simulate -report ""                      # text only
//
// Progress goes to stderr with -progress, and by itself when the history is long (from
// about 20,000 rows, some ten seconds of work).
//
// A history file is CSV (or JSON Lines when its name ends in ".jsonl") in the format
// documented at campaign.Format; a program file is one campaign.Program as JSON (as
// campaign.LoadProgram reads it). A program not given as a file is the built-in one.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
)

func main() {
	err := run(os.Stdout, os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
}

// longRun is the number of history rows from which progress is shown without -progress: the
// two programs replay about 2,500 rows a second on a laptop core, so from about ten
// seconds on. A variable so that tests can lower it.
var longRun int64 = 20_000

// progressOut is where progress goes; a variable so that tests can capture it.
var progressOut io.Writer = os.Stderr

// run prints the comparison to w and, unless -report is empty, writes the HTML report.
// args are the command-line arguments without the program name.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(w)
	accounts := fs.Int("accounts", 200, "number of company accounts in the generated history")
	months := fs.Int("months", 12, "length of the generated history in months")
	seed := fs.Uint64("seed", 1, "seed of the generated history")
	historyPath := fs.String("history", "", `read the history from this CSV (or ".jsonl") file instead of generating it`)
	programA := fs.String("program-a", "", "read the first program from this JSON file instead of the built-in cumulative discount")
	programB := fs.String("program-b", "", "read the second program from this JSON file instead of the built-in bonus program")
	reportPath := fs.String("report", "simulate.html", `write the HTML report to this file; "" for none`)
	progress := fs.Bool("progress", false, "show progress on stderr (shown anyway on long runs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	a, err := loadProgram(*programA, cumulativeProgram())
	if err != nil {
		return err
	}
	b, err := loadProgram(*programB, bonusProgram())
	if err != nil {
		return err
	}

	var (
		history io.Reader
		format  = campaign.CSV
		rows    int64  // the estimated size of the history, to decide whether the run is long
		of      string // the estimate as progress shows it: only for generated histories
		source  string
	)
	if *historyPath != "" {
		f, err := os.Open(*historyPath)
		if err != nil {
			return err
		}
		defer f.Close()
		if strings.HasSuffix(*historyPath, ".jsonl") {
			format = campaign.JSONLines
		}
		if st, err := f.Stat(); err == nil {
			rows = st.Size() / 80 // a row is about 80 bytes long
		}
		history = bufio.NewReader(f)
		source = fmt.Sprintf("history read from %s", filepath.Base(*historyPath))
	} else {
		if *accounts < 1 || *accounts > 1_000_000 {
			return fmt.Errorf("-accounts must lie in [1, 1000000] (got %d)", *accounts)
		}
		if *months < 1 || *months > 120 {
			return fmt.Errorf("-months must lie in [1, 120] (got %d)", *months)
		}
		h, stop, err := generate(*accounts, *months, *seed)
		if err != nil {
			return err
		}
		defer stop()
		// About 1.1 orders per account and month of about 2.5 lines each.
		history, rows = h, int64(*accounts)*int64(*months)*3
		of = fmt.Sprintf(" of about %d", rows)
		source = fmt.Sprintf("generated history: %d accounts, %d months, seed %d", *accounts, *months, *seed)
	}

	opt := campaign.SimulateOptions{}
	if *progress || rows >= longRun {
		start := time.Now()
		opt.Progress = func(n int) {
			fmt.Fprintf(progressOut, "simulate: %d%s rows replayed (%s)\n", n, of, time.Since(start).Round(time.Millisecond))
		}
	}
	rep, err := campaign.Simulate(context.Background(), history, format, opt, a, b)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "Loyalty program simulation: %s against %s\n", a.ID, b.ID)
	fmt.Fprintf(w, "(%s)\n\n", source)
	if err := rep.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	verdict(w, rep)

	if *reportPath != "" {
		var buf bytes.Buffer
		if err := writeHTML(&buf, rep, source); err != nil {
			return err
		}
		if err := os.WriteFile(*reportPath, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nReport written to %s\n", filepath.Base(*reportPath))
	}
	return nil
}

// verdict sums the comparison up in words: which program gave away less of the margin, and
// whether every point is accounted for.
func verdict(w io.Writer, rep campaign.Report) {
	fmt.Fprintln(w, "Verdict")
	for _, r := range rep.Runs {
		p := r.Points
		fmt.Fprintf(w, "  %s gave away %s %s, %s %% of revenue (%s %% of the gross margin)\n",
			r.Program, r.ProgramCost.Amount(), r.Currency.Code(), r.CostRate.StringFixed(2), r.Margin.Erosion.StringFixed(2))
		if p.Issued != 0 {
			// The points identity documented at campaign.Run; Simulate keeps it exactly.
			sum := p.Redeemed + p.Expired + p.Reversed + p.Outstanding + p.Moved
			fmt.Fprintf(w, "    points: %d issued = %d redeemed + %d expired + %d reversed + %d outstanding + %d moved (%s)\n",
				p.Issued, p.Redeemed, p.Expired, p.Reversed, p.Outstanding, p.Moved, checked(sum == p.Issued))
		}
	}
	if len(rep.Runs) != 2 {
		return
	}
	x, y := rep.Runs[0], rep.Runs[1]
	c, err := x.ProgramCost.Cmp(y.ProgramCost)
	if err != nil {
		return
	}
	switch {
	case c == 0:
		fmt.Fprintf(w, "  both programs cost the same\n")
	case c > 0:
		diff, _ := x.ProgramCost.Sub(y.ProgramCost)
		fmt.Fprintf(w, "  %s costs %s %s less than %s\n", y.Program, diff.Amount(), y.Currency.Code(), x.Program)
	default:
		diff, _ := y.ProgramCost.Sub(x.ProgramCost)
		fmt.Fprintf(w, "  %s costs %s %s less than %s\n", x.Program, diff.Amount(), x.Currency.Code(), y.Program)
	}
}

func checked(ok bool) string {
	if ok {
		return "balanced"
	}
	return "NOT BALANCED"
}

// loadProgram reads a program from the JSON file at path, or returns def when path is empty.
func loadProgram(path string, def campaign.Program) (campaign.Program, error) {
	if path == "" {
		return def, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return campaign.Program{}, err
	}
	defer f.Close()
	p, err := campaign.LoadProgram(f)
	if err != nil {
		return campaign.Program{}, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return p, nil
}

// zone is the time zone of the programs and of the generated history.
const zone = "Europe/Moscow"

// generate starts writing a seeded history of the given accounts spanning months calendar
// months from 2026-01-01, and returns it as a stream (the history never sits in
// memory) and a function that stops the generator and waits for it. The generator counts
// orders, not months: it is asked for more orders than the months can hold (an account
// buys at most every 7 days less a quarter, about 5.8 orders a month) and the stream ends
// at the first row past the last month (the rows are in time order).
func generate(accounts, months int, seed uint64) (io.Reader, func(), error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, nil, err
	}
	// The history starts at midnight UTC (03:00 in Moscow, the same day) and ends at the
	// first midnight in Moscow after the months, so that it covers whole months of the
	// programs' time zone and its first and last dates read the same in both zones.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := loyalty.AddMonths(time.Date(2026, 1, 1, 0, 0, 0, 0, loc), months)
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := campaign.GenerateHistory(pw, campaign.GenerateOptions{
			Seed:           seed,
			Orders:         accounts * months * 6,
			Accounts:       accounts,
			OneTimePercent: 30, // three in ten customers buy once and never come back
			ReturnPercent:  5,
			Start:          start,
			Format:         campaign.CSV,
		})
		pw.CloseWithError(err) // nil closes with io.EOF
	}()
	stop := func() {
		pr.CloseWithError(errStopped) // the generator's next write fails and it returns
		<-done
	}
	return &cutReader{r: bufio.NewReader(pr), end: end, col: -1}, stop, nil
}

var errStopped = errors.New("generator stopped")

// cutReader passes on a generated CSV history up to its first row dated at or after end.
// The generator writes no quoted fields, so a row is split at commas.
type cutReader struct {
	r    *bufio.Reader
	end  time.Time
	col  int    // the index of the date column, -1 before the header is read
	line []byte // what is left of the current line
	eof  bool
}

func (c *cutReader) Read(p []byte) (int, error) {
	for len(c.line) == 0 {
		if c.eof {
			return 0, io.EOF
		}
		line, err := c.r.ReadBytes('\n')
		if err == io.EOF {
			c.eof = true
		} else if err != nil {
			return 0, err
		}
		if len(line) == 0 {
			continue
		}
		fields := strings.Split(strings.TrimSuffix(string(line), "\n"), ",")
		if c.col < 0 {
			for i, name := range fields {
				if name == "date" {
					c.col = i
				}
			}
			if c.col < 0 {
				return 0, errors.New("generated history has no date column")
			}
		} else {
			if c.col >= len(fields) {
				return 0, fmt.Errorf("generated row %q has no date", line)
			}
			at, err := time.Parse(time.RFC3339, fields[c.col])
			if err != nil {
				return 0, err
			}
			if !at.Before(c.end) {
				c.eof = true
				return 0, io.EOF
			}
		}
		c.line = line
	}
	n := copy(p, c.line)
	c.line = c.line[n:]
	return n, nil
}

var rub = loyalty.MustCurrency("RUB")

func money(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

func pct(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// ladder is the tier ladder both programs share: Silver from 30,000 RUB and Gold from
// 60,000 RUB of purchases over the last three months, reviewed monthly. It gives no
// benefits, so it does not change what either program costs.
func ladder() *tier.Ladder {
	return &tier.Ladder{
		Currency: rub,
		Levels: []tier.Level{
			{Name: "Base"},
			{Name: "Silver", Threshold: tier.Amount{Spend: money("30000")}},
			{Name: "Gold", Threshold: tier.Amount{Spend: money("60000")}},
		},
		Window: tier.Window{Kind: tier.Rolling, Months: 3},
		Review: tier.ReviewPolicy{UpgradeEvery: "month", DowngradeEvery: "month"},
	}
}

// cumulativeProgram is the cumulative discount: 5 % off every order, 7 % once the
// account's purchases (this order's included) pass 200,000 RUB.
func cumulativeProgram() campaign.Program {
	return campaign.Program{
		ID: "cumulative-5", Currency: rub, TimeZone: zone,
		Tiers: ladder(),
		Discounts: discount.Policy{
			Currency: rub, Stacking: discount.Additive,
			Discounts: []discount.Discount{{
				ID: "cumulative", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
				Accumulation: discount.Accumulation{IncludeCurrentOrder: true},
				Tiers: []discount.Tier{
					{From: money("0.01"), Percent: pct("5")},
					{From: money("200000"), Percent: pct("7")},
				},
			}},
		},
	}
}

// bonusProgram is the bonus program of the same nominal rate: 5 % of the price paid as
// points worth 1 RUB each, usable 14 days after the purchase, expiring 6 months after they
// were earned; points may pay up to half of an order.
func bonusProgram() campaign.Program {
	return campaign.Program{
		ID: "bonus-5", Currency: rub, TimeZone: zone,
		Tiers: ladder(),
		Earning: points.Rules{
			Rates:       []points.Rate{{ShareOfPrice: pct("0.05")}},
			PendingDays: 14,
			Expiry:      points.Expiry{Months: 6},
		},
		Redemption: points.Redemption{Currency: rub, PointValue: pct("1"), MaxShare: pct("0.5")},
	}
}
