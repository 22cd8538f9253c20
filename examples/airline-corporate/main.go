// Command airline-corporate runs an airline's corporate program (the S7 Profi case in
// DOMAIN.md) with the campaign package over a year of flights, month by month:
//
//   - every registered company earns points worth a share of the ticket price after each
//     flight: 5% while its ticket spend in the calendar year is below 3,000,000 RUB, 6% from
//     3,000,000 and 7% from 5,000,000; a point is worth 1 RUB and pays for tickets;
//   - upgrades happen at the monthly review (the month after the threshold is crossed);
//     downgrades only at the yearly review, which judges the year just ended;
//   - no contract and no minimum;
//   - the travelling employee, registered in the personal frequent-flyer program, earns
//     personal miles on the same flight (5 miles per full 100 RUB) while the company earns its
//     points: dual earning from one order.
//
// Two companies fly from January 2026 to January 2027: "acme", which grows through the
// year and climbs from 5% to 7%, and "baltic", which flew a lot in 2025, starts 2026 at 6%,
// keeps it all year although it flies little, and falls back to 5% at the yearly review.
//
// Run it from the repository root:
//
//	go run ./examples/airline-corporate
//
// The clock is a loyalty.ManualClock moved from flight to flight, so the output is the same
// on every run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
)

func main() {
	err := run(os.Stdout, os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "airline-corporate:", err)
		os.Exit(1)
	}
}

var rub = loyalty.MustCurrency("RUB")

func money(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

// program is the corporate program as one value.
func program() campaign.Program {
	rate := decimal.RequireFromString
	return campaign.Program{
		ID: "airline-corporate", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers: &tier.Ladder{Currency: rub,
			// Ticket spend in the calendar year.
			Window: tier.Window{Kind: tier.Calendar, Period: loyalty.Year},
			Review: tier.ReviewPolicy{UpgradeEvery: loyalty.Month, DowngradeEvery: loyalty.Year},
			Levels: []tier.Level{
				{Name: "Profi 5%", Benefits: tier.Benefits{EarnRate: rate("0.05")}},
				{Name: "Profi 6%", Threshold: tier.Amount{Spend: money("3000000")}, Benefits: tier.Benefits{EarnRate: rate("0.06")}},
				{Name: "Profi 7%", Threshold: tier.Amount{Spend: money("5000000")}, Benefits: tier.Benefits{EarnRate: rate("0.07")}},
			}},
		// A point pays 1 RUB, up to the whole ticket.
		Redemption: points.Redemption{Currency: rub, PointValue: rate("1"), MaxShare: rate("1")},
		// The employee's personal miles.
		BuyerEarning: &points.Rules{Rates: []points.Rate{{Points: 5, Per: rate("100")}}},
	}
}

// month is one month of flights: the tickets of acme's two frequent flyers (0 when they
// did not fly), acme's other bookings, and baltic's bookings, in RUB.
type month struct {
	year            int
	month           time.Month
	ivanov, petrova int64
	acmeGroup       int64
	baltic          int64
	redeem          points.Points // acme's points paying Ivanov's ticket
}

// year is the flights of the story.
var year = []month{
	{2026, time.January, 38400, 0, 361600, 100000, 0},
	{2026, time.February, 52100, 24600, 373300, 80000, 0},
	{2026, time.March, 41300, 0, 558700, 120000, 0},
	{2026, time.April, 38400, 0, 861600, 90000, 0},
	{2026, time.May, 61200, 24600, 614200, 100000, 0},
	{2026, time.June, 29900, 0, 470100, 60000, 0},
	{2026, time.July, 38400, 0, 761600, 110000, 0},
	{2026, time.August, 45500, 24600, 679900, 70000, 0},
	{2026, time.September, 52100, 0, 347900, 100000, 0},
	{2026, time.October, 38400, 0, 261600, 90000, 38400},
	{2026, time.November, 41300, 24600, 434100, 130000, 0},
	{2026, time.December, 67800, 0, 282200, 150000, 0},
	{2027, time.January, 38400, 0, 361600, 100000, 0},
}

// airline is the running story.
type airline struct {
	ctx   context.Context
	eng   *campaign.Engine
	clock *loyalty.ManualClock
	loc   *time.Location
}

// fly commits one booking: a ticket of price for account, naming the employee who flies
// (buyer, "" for a group booking), paid in part with redeem points.
func (a *airline) fly(id string, account loyalty.AccountID, buyer loyalty.BuyerID, price int64, redeem points.Points) (campaign.Quote, campaign.Receipt, error) {
	o := loyalty.Order{ID: loyalty.OrderID(id), Account: account, Buyer: buyer, Currency: rub, PlacedAt: a.clock.Now(),
		Lines: []loyalty.Line{{SKU: "ticket", Category: "flight", Quantity: loyalty.MustQuantity("1"),
			UnitPrice: loyalty.MustPrice(fmt.Sprint(price), "RUB")}}}
	q, err := a.eng.Evaluate(a.ctx, o, campaign.EvaluateOptions{RedeemPoints: redeem})
	if err != nil {
		return q, campaign.Receipt{}, err
	}
	if q.Redemption != nil && q.Redemption.Applied != redeem {
		return q, campaign.Receipt{}, fmt.Errorf("order %s: redemption refused: %s", id, q.Redemption.Message)
	}
	r, err := a.eng.Commit(a.ctx, q, loyalty.IdempotencyKey("commit-"+id))
	return q, r, err
}

// balance returns a holder's available points; a holder who never earned has none.
func (a *airline) balance(l *points.Ledger, h points.Holder) (points.Points, error) {
	b, err := l.Balance(a.ctx, h)
	if errors.Is(err, loyalty.ErrNotFound) {
		return 0, nil
	}
	return b.Available, err
}

// row is one company's month.
type row struct {
	spend, ytd       loyalty.Money
	level            string
	earned, redeemed points.Points
	balance          points.Points
}

// run tells the story on w. args are the command-line arguments without the program name;
// airline-corporate takes none.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("airline-corporate", flag.ContinueOnError)
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	prog := program()
	loc, err := prog.Location()
	if err != nil {
		return err
	}
	a := &airline{ctx: context.Background(), loc: loc,
		clock: loyalty.NewManualClock(time.Date(2025, time.December, 10, 9, 0, 0, 0, loc))}
	if a.eng, err = campaign.New(prog, campaign.MemoryStores(), campaign.Config{Clock: a.clock}); err != nil {
		return err
	}
	acme, baltic := points.ForAccount("acme"), points.ForAccount("baltic")
	ivanov, petrova := points.ForBuyer("acme/ivanov"), points.ForBuyer("acme/petrova")

	fmt.Fprintln(w, "An airline's corporate program: 5% of ticket spend as points, 6% from 3,000,000 a year, 7% from 5,000,000;")
	fmt.Fprintln(w, "upgrades at the monthly review, downgrades at the yearly one; employees earn 5 miles per full 100.")

	// Before the story: baltic flew 3,200,000 in December 2025.
	q, _, err := a.fly("baltic-2025-12", "baltic", "", 3200000, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nDecember 2025: baltic books %s of flights at %s and earns %d points.\n",
		q.Totals.Subtotal, q.Tier.Name, q.Earnings[0].Plan.Total)

	acmeRows := make([]row, len(year))
	balticRows := make([]row, len(year))
	miles := make([][2]points.Points, len(year))
	var acmeYTD, balticYTD loyalty.Money
	for i, m := range year {
		if i == 0 || m.year != year[i-1].year {
			acmeYTD, balticYTD = loyalty.Zero(rub), loyalty.Zero(rub)
		}
		prefix := fmt.Sprintf("%d-%02d", m.year, int(m.month))
		type booking struct {
			id      string
			account loyalty.AccountID
			buyer   loyalty.BuyerID
			price   int64
			redeem  points.Points
			day     int
		}
		bookings := []booking{
			{prefix + "-ivanov", "acme", "acme/ivanov", m.ivanov, m.redeem, 5},
			{prefix + "-petrova", "acme", "acme/petrova", m.petrova, 0, 12},
			{prefix + "-acme", "acme", "", m.acmeGroup, 0, 19},
			{prefix + "-baltic", "baltic", "", m.baltic, 0, 26},
		}
		ar, br := &acmeRows[i], &balticRows[i]
		ar.spend, br.spend = loyalty.Zero(rub), loyalty.Zero(rub)
		for _, b := range bookings {
			if b.price == 0 {
				continue
			}
			a.clock.Set(time.Date(m.year, m.month, b.day, 9, 0, 0, 0, loc))
			q, r, err := a.fly(b.id, b.account, b.buyer, b.price, b.redeem)
			if err != nil {
				return err
			}
			rw := ar
			if b.account == "baltic" {
				rw = br
			}
			if rw.spend, err = rw.spend.Add(q.Totals.Subtotal); err != nil {
				return err
			}
			rw.level = q.Tier.Name
			rw.earned += r.Earned(points.ForAccount(b.account))
			if q.Redemption != nil {
				rw.redeemed += q.Redemption.Applied
			}
		}
		if acmeYTD, err = acmeYTD.Add(ar.spend); err != nil {
			return err
		}
		if balticYTD, err = balticYTD.Add(br.spend); err != nil {
			return err
		}
		ar.ytd, br.ytd = acmeYTD, balticYTD
		if ar.balance, err = a.balance(a.eng.Points(), acme); err != nil {
			return err
		}
		if br.balance, err = a.balance(a.eng.Points(), baltic); err != nil {
			return err
		}
		for j, h := range []points.Holder{ivanov, petrova} {
			if miles[i][j], err = a.balance(a.eng.BuyerPoints(), h); err != nil {
				return err
			}
		}
	}

	fmt.Fprintln(w, "\nacme: a growing company; Ivanov and Petrova are registered frequent flyers")
	fmt.Fprintf(w, "%-7s %15s %15s %-9s %8s %8s %9s %13s %14s\n",
		"month", "ticket spend", "year to date", "level", "points", "spent", "balance", "Ivanov miles", "Petrova miles")
	for i, m := range year {
		r := acmeRows[i]
		fmt.Fprintf(w, "%d-%02d %15s %15s %-9s %8d %8d %9d %13d %14d\n", m.year, int(m.month),
			r.spend, r.ytd, r.level, r.earned, r.redeemed, r.balance, miles[i][0], miles[i][1])
	}
	fmt.Fprintln(w, "\nbaltic: flew 3,200,000 in 2025, little in 2026")
	fmt.Fprintf(w, "%-7s %15s %15s %-9s %8s %9s\n", "month", "ticket spend", "year to date", "level", "points", "balance")
	for i, m := range year {
		r := balticRows[i]
		fmt.Fprintf(w, "%d-%02d %15s %15s %-9s %8d %9d\n", m.year, int(m.month), r.spend, r.ytd, r.level, r.earned, r.balance)
	}

	// The changes of level, as the tier service recorded them.
	fmt.Fprintln(w, "\nChanges of level:")
	for _, id := range []loyalty.AccountID{"acme", "baltic"} {
		changes, err := a.eng.Tiers().Changes(a.ctx, id)
		if err != nil {
			return err
		}
		for _, c := range changes {
			fmt.Fprintf(w, "  %s\n", a.eng.Tiers().Evaluator().ExplainChange(c))
		}
	}

	// What the program owes the companies: their points at 1 RUB each, 70% expected to be
	// redeemed. Both ledgers share one store, so the liability is asked for company
	// holders only; the employees' miles are another program's debt.
	owedNow, err := a.eng.Points().Liability(a.ctx, points.LiabilityOptions{
		Holders: points.AccountHolder, RedemptionRate: decimal.RequireFromString("0.7")})
	if err != nil {
		return err
	}
	last := len(year) - 1
	if want := acmeRows[last].balance + balticRows[last].balance; owedNow.Outstanding != want {
		return fmt.Errorf("liability %d points, but the companies' balances add up to %d", owedNow.Outstanding, want)
	}
	owed, value, expected := owedNow.Outstanding, owedNow.Value, owedNow.Expected
	fmt.Fprintf(w, "\nOwed to the companies at the end: %d points worth %s; if 70%% of them are redeemed, %s.\n",
		owed, value, expected)
	fmt.Fprintf(w, "The employees hold %d miles besides, from the same flights.\n", miles[last][0]+miles[last][1])
	return nil
}
