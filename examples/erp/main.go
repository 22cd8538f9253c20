// Command erp is a batch integration of loyaltykit, the way an ERP system feeds it: the day's
// orders and returns exported as CSV files, imported in one batch that may be retried or cut
// short at any point, over state kept in a SQLite file.
//
// It reads the documents (an invoice per order, a credit note per return), and in time order:
//
//   - commits each order exactly once through campaign.Engine, under an idempotency key
//     derived from its document number: a batch sent again commits nothing twice (its
//     orders are "already done"), an order interrupted half-way is completed, a document
//     number reused for another order is refused;
//   - applies each return (the returned SKUs of an order) exactly once, the same way;
//   - retries transient errors (a busy database, a stale quote) with a bounded backoff;
//   - reports malformed rows with their row and column, leaves their documents out, and goes
//     on with the rest;
//   - runs the nightly jobs at the end of every day up to the batch date: pending points
//     that become active, points that expire, and the tier review (upgrades and downgrades);
//   - prints what it did, then the state of the program: orders, sales and the discounts
//     they cost, returns, points issued, active, pending and expired and what the
//     outstanding points are worth, the tier distribution, and every account's balance.
//
// Run it from the repository root; with no flags it imports the sample files embedded from
// examples/erp/sample into a new SQLite file in a temporary directory:
//
//	go run ./examples/erp
//	go run ./examples/erp -db erp.db -stop-after 5   # stop after 5 orders, as a crash would
//	go run ./examples/erp -db erp.db                 # run again: the rest, nothing twice
//
// Flags:
//
//	-db path         the SQLite file (created if missing); default a temporary one
//	-orders file     the orders CSV; default the sample
//	-returns file    the returns CSV; default the sample
//	-program file    the program JSON (as campaign.LoadProgram reads it); default the sample
//	-day YYYY-MM-DD  the batch date: documents dated later are left for a later batch, and
//	                 the nightly jobs run up to its end; default the last date in the files
//	-stop-after N    stop after N orders of the batch, to show (and test) resuming
//
// The orders file has a header row naming its columns, in any order: date (local time of the
// program's time zone, "2026-03-02 10:00"), document, order, account, buyer (optional), sku,
// category (optional), quantity, price, cost (optional); one order line per row, the rows of
// one document adjacent. The returns file has date, document, order, sku and quantity. The
// output is deterministic: the clock is the documents' dates, not the wall clock.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
)

//go:embed sample
var sample embed.FS

func main() {
	err := run(context.Background(), os.Stdout, os.Args[1:], hooks{})
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "erp:", err)
		os.Exit(1)
	}
}

// hooks are what tests change: the stores (to inject faults) and how to wait between
// retries. The zero hooks are the real ones.
type hooks struct {
	wrap  func(campaign.Stores) campaign.Stores
	sleep func(ctx context.Context, d time.Duration) error
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run runs the batch with the command-line arguments args (without the program name),
// writing its report to w.
func run(ctx context.Context, w io.Writer, args []string, h hooks) error {
	if h.sleep == nil {
		h.sleep = sleep
	}
	fs := flag.NewFlagSet("erp", flag.ContinueOnError)
	fs.SetOutput(w)
	dbPath := fs.String("db", "", "the SQLite file to keep the state in (created if missing); default a new temporary one")
	ordersPath := fs.String("orders", "", "the orders CSV file; default the embedded sample")
	returnsPath := fs.String("returns", "", "the returns CSV file; default the embedded sample")
	programPath := fs.String("program", "", "the program JSON file; default the embedded sample")
	dayFlag := fs.String("day", "", "the batch date, YYYY-MM-DD: later documents wait for a later batch; default the last date in the files")
	stopAfter := fs.Int("stop-after", 0, "stop after this many orders of the batch (0: run it all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *stopAfter < 0 {
		return fmt.Errorf("-stop-after must not be negative (got %d)", *stopAfter)
	}

	prog, err := loadProgram(*programPath)
	if err != nil {
		return err
	}
	loc, err := prog.Location()
	if err != nil {
		return err
	}
	orders, returns, bad, err := readInputs(*ordersPath, *returnsPath, loc, prog.Currency)
	if err != nil {
		return err
	}

	// The events in time order, orders before returns at the same minute, each file in its
	// own order.
	var events []event
	for i := range orders {
		events = append(events, event{at: orders[i].order.PlacedAt, ord: &orders[i]})
	}
	for i := range returns {
		events = append(events, event{at: returns[i].at, ret: &returns[i]})
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	if len(events) == 0 {
		return errors.New("the files hold no documents to import")
	}
	first := midnight(events[0].at, loc)
	last := midnight(events[len(events)-1].at, loc)
	if *dayFlag != "" {
		d, err := time.ParseInLocation(time.DateOnly, *dayFlag, loc)
		if err != nil {
			return fmt.Errorf("-day must be a date such as 2026-03-31 (got %q)", *dayFlag)
		}
		last = d
	}
	end := last.AddDate(0, 0, 1)
	due := 0
	for due < len(events) && events[due].at.Before(end) {
		due++
	}
	later := events[due:]
	events = events[:due]

	db, where, cleanup, err := openDB(*dbPath)
	if err != nil {
		return err
	}
	defer cleanup()
	st := openStores(db)
	if h.wrap != nil {
		st = h.wrap(st)
	}
	clock := loyalty.NewManualClock(first)
	eng, err := campaign.New(prog, st, campaign.Config{Clock: clock})
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "ERP batch of %s: program %s (%s, %s), state in %s.\n",
		last.Format(time.DateOnly), prog.ID, prog.Currency.Code(), loc, where)
	fmt.Fprintf(w, "Read %d order documents and %d return documents.\n", len(orders), len(returns))
	if len(bad) > 0 {
		fmt.Fprintf(w, "%d malformed rows, their documents left out:\n", len(bad))
		for _, e := range bad {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if len(later) > 0 {
		fmt.Fprintf(w, "%d documents dated after %s wait for a later batch.\n", len(later), last.Format(time.DateOnly))
	}
	fmt.Fprintln(w)

	b := &batch{w: w, eng: eng, st: st, clock: clock, hooks: h, stop: *stopAfter}
	err = b.run(ctx, events, first, last)
	stopped := errors.Is(err, errStopped)
	if err != nil && !stopped {
		return err
	}
	fmt.Fprintln(w)
	if stopped {
		fmt.Fprintf(w, "Stopped after %d orders, as -stop-after asked: run the batch again to finish it.\n", b.orders)
	} else {
		// The state at the end of the batch date, however the run went; or at the last
		// nightly job, when an earlier run went further.
		last, err := b.lastReview(ctx)
		if err != nil {
			return err
		}
		clock.Set(end)
		if last.After(end) {
			clock.Set(last)
		}
	}
	var state strings.Builder
	err = b.retry(ctx, func() error {
		state.Reset()
		return report(ctx, &state, eng, st, orders, returns)
	})
	if err != nil {
		return fmt.Errorf("reading the state: %w", err)
	}
	fmt.Fprintf(w, "This run: orders %d committed, %d already done, %d refused; returns %d applied, %d already done, %d refused; %d transient errors retried.\n",
		b.committed, b.replayed, b.refused, b.returned, b.returnsReplayed, b.returnsRefused, b.retries)
	fmt.Fprintln(w)
	_, err = io.WriteString(w, state.String())
	return err
}

// midnight returns the start of t's day in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// open opens the file at path, or the sample file name when path is empty; it returns the
// name to report.
func open(path, name string) (io.ReadCloser, string, error) {
	if path == "" {
		f, err := sample.Open("sample/" + name)
		return f, name, err
	}
	f, err := os.Open(path)
	return f, filepath.Base(path), err
}

func loadProgram(path string) (campaign.Program, error) {
	f, name, err := open(path, "program.json")
	if err != nil {
		return campaign.Program{}, err
	}
	defer f.Close()
	p, err := campaign.LoadProgram(f)
	if err != nil {
		return campaign.Program{}, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

func readInputs(ordersPath, returnsPath string, loc *time.Location, cur loyalty.Currency) ([]orderDoc, []returnDoc, []rowError, error) {
	f, name, err := open(ordersPath, "orders.csv")
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	orders, bad, err := readOrders(name, f, loc, cur)
	if err != nil {
		return nil, nil, nil, err
	}
	g, name, err := open(returnsPath, "returns.csv")
	if err != nil {
		return nil, nil, nil, err
	}
	defer g.Close()
	returns, bad2, err := readReturns(name, g, loc, cur)
	if err != nil {
		return nil, nil, nil, err
	}
	return orders, returns, append(bad, bad2...), nil
}

// report prints the state of the program after the batch, read from the stores: it is the
// same however many times the batch ran and wherever it was stopped, once it has finished.
func report(ctx context.Context, w io.Writer, eng *campaign.Engine, st campaign.Stores, orders []orderDoc, returns []returnDoc) error {
	cur := eng.Program().Currency
	z := loyalty.Zero(cur)
	sales, disc, paid, back, backDisc := z, z, z, z, z
	add := func(acc *loyalty.Money, m loyalty.Money) error {
		v, err := acc.Add(m)
		*acc = v
		return err
	}
	var nOrders, nReturns int
	err := st.Orders.View(ctx, func(tx campaign.OrderReadTx) error {
		nOrders, nReturns = 0, 0
		sales, disc, paid, back, backDisc = z, z, z, z, z
		seen := map[loyalty.IdempotencyKey]bool{}
		for _, d := range orders {
			c, err := tx.Commit(d.key)
			if errors.Is(err, loyalty.ErrNotFound) || seen[d.key] {
				continue
			}
			if err != nil {
				return err
			}
			seen[d.key] = true
			if c.State != campaign.Done {
				continue
			}
			nOrders++
			t := c.Receipt.Quote.Totals
			if err := errors.Join(add(&sales, t.Subtotal), add(&disc, t.Discount), add(&paid, t.ToPay)); err != nil {
				return err
			}
		}
		for _, d := range returns {
			r, err := tx.Return(d.key)
			if errors.Is(err, loyalty.ErrNotFound) || seen[d.key] {
				continue
			}
			if err != nil {
				return err
			}
			seen[d.key] = true
			if r.State != campaign.Done {
				continue
			}
			nReturns++
			given, err := r.Plan.Base.Sub(r.Plan.Paid)
			if err != nil {
				return err
			}
			if err := errors.Join(add(&back, r.Plan.Paid), add(&backDisc, given)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	netDisc, err := disc.Sub(backDisc)
	if err != nil {
		return err
	}
	netPaid, err := paid.Sub(back)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "State at %s:\n", eng.Clock().Now().In(eng.Location()).Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "  orders committed     %d: sales %s, discounts %s, paid %s\n", nOrders, sales, disc, paid)
	fmt.Fprintf(w, "  returns applied      %d: %s paid back, %s of discounts with them\n", nReturns, back, backDisc)
	fmt.Fprintf(w, "  net of returns       paid %s, discounts cost %s\n", netPaid, netDisc)

	// Points: every holder's balance at the clock's now.
	var holders []points.Holder
	err = st.Points.View(ctx, func(tx points.ReadTx) error {
		holders = holders[:0]
		return tx.Accounts(func(a points.Account) bool {
			holders = append(holders, a.Holder)
			return true
		})
	})
	if err != nil {
		return err
	}
	slices.SortFunc(holders, func(a, b points.Holder) int { return strings.Compare(a.String(), b.String()) })
	var total points.Balance
	var balances []points.Balance
	for _, h := range holders {
		l := eng.Points()
		if h.Kind == points.BuyerHolder && eng.BuyerPoints() != nil {
			l = eng.BuyerPoints()
		}
		bal, err := l.Balance(ctx, h)
		if err != nil {
			return err
		}
		balances = append(balances, bal)
		total.Earned += bal.Earned
		total.Active += bal.Active
		total.Pending += bal.Pending
		total.Spent += bal.Spent
		total.Expired += bal.Expired
		total.Reversed += bal.Reversed
	}
	fmt.Fprintf(w, "  points               %d issued: %d active, %d pending, %d expired, %d taken back by returns, %d spent\n",
		total.Earned, total.Active, total.Pending, total.Expired, total.Reversed, total.Spent)
	if eng.Program().Redemption.PointValue.IsPositive() {
		li, err := eng.Points().Liability(ctx, points.LiabilityOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  points liability     %d outstanding, worth %s\n", li.Outstanding, li.Value)
	}

	levels := map[loyalty.AccountID]string{}
	if ts := eng.Tiers(); ts != nil {
		ladder := eng.Program().Tiers.Levels
		count := make([]int, len(ladder))
		err := ts.ProjectAll(ctx, func(p tier.Projection) error {
			levels[p.Account] = p.LevelName
			if p.Level >= 0 && p.Level < len(count) {
				count[p.Level]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  tiers               ")
		for i, l := range ladder {
			fmt.Fprintf(w, " %s %d", l.Name, count[i])
			if i < len(ladder)-1 {
				fmt.Fprint(w, ",")
			}
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\n  %-16s %-8s %9s %9s %9s %9s %9s\n", "account", "level", "earned", "active", "pending", "expired", "returned")
	for _, b := range balances {
		name, lvl := b.Holder.ID, levels[loyalty.AccountID(b.Holder.ID)]
		if b.Holder.Kind != points.AccountHolder {
			name, lvl = b.Holder.String(), ""
		}
		fmt.Fprintf(w, "  %-16s %-8s %9d %9d %9d %9d %9d\n", name, lvl, b.Earned, b.Active, b.Pending, b.Expired, b.Reversed)
	}
	return nil
}
