package campaign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

// OnError says what [Simulate] does with a malformed row. It is a plain value, safe for
// concurrent use.
type OnError uint8

// The error policies.
const (
	// Stop stops at the first malformed row: Simulate returns the report so far and the
	// *RowError.
	Stop OnError = iota
	// Skip leaves out the order (or return) the malformed row belongs to, records the error
	// in Report.Errors and goes on.
	Skip
)

// SimulateOptions configure [Simulate]. Zero fields mean the documented defaults. It is a
// plain value, read once.
type SimulateOptions struct {
	// OnError is what to do with a malformed row. Defaults to Stop.
	OnError OnError
	// MaxErrors is how many row errors Report.Errors keeps under Skip; the rest are only
	// counted in Report.ErrorCount. Defaults to 100.
	MaxErrors int
	// Progress, when set, is called with the number of rows read after every ProgressEvery
	// rows and once at the end.
	Progress func(rows int)
	// ProgressEvery defaults to 10,000 rows.
	ProgressEvery int
	// Location is the time zone of date-only values in the history. Defaults to UTC.
	Location *time.Location
	// ReturnWindow is how long after its date an order can still be returned: the simulation
	// remembers the lines of the orders of that period only, so that its memory does not grow
	// with the history. Defaults to 90 days.
	ReturnWindow time.Duration
	// NoRedemption turns off the customers' use of points: by default every order of an
	// account with available points pays with as many as the program allows.
	NoRedemption bool
	// RedemptionRate is the share of outstanding points expected to be redeemed, used to
	// value the liability left at the end (points.LiabilityOptions.RedemptionRate). Zero
	// means 1: every outstanding point is counted as a cost.
	RedemptionRate decimal.Decimal
	// Stores, when set, gives the stores each program runs over (called once per program).
	// Defaults to MemoryStores, except that what they keep per order only for retries and
	// returns is forgotten past the return window (see Simulate).
	Stores func(p Program) Stores
}

// Report is the outcome of [Simulate]: what was read, the malformed rows, and one [Run] per
// program, in the order the programs were given. It is plain data (JSON-able), safe for
// concurrent reads; [Report.WriteText] renders it as a side-by-side table.
type Report struct {
	// From and To are the dates of the first and the last order or return replayed.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Rows is the number of rows read (the CSV header not counted); Orders, Returns and
	// Lines count what was replayed; Accounts is the number of distinct accounts replayed.
	Rows     int `json:"rows"`
	Orders   int `json:"orders"`
	Returns  int `json:"returns"`
	Lines    int `json:"lines"`
	Accounts int `json:"accounts"`
	// Errors are the malformed rows (at most SimulateOptions.MaxErrors of them) and
	// ErrorCount their number; every order or return with a malformed row was left out.
	Errors     []RowError `json:"errors,omitempty"`
	ErrorCount int        `json:"error_count"`
	Runs       []Run      `json:"runs"`
}

// Run is what one program did over the history. Money is in the program's currency, as
// totals over the history, returns deducted. It is plain data, safe for concurrent reads.
//
// The identities: Revenue − Discount = RevenueAfterDiscount; Margin.Before = Revenue − Cost;
// Margin.AfterDiscounts = Margin.Before − Discount; Margin.AfterPoints = Margin.AfterDiscounts
// − Points.RedeemedValue; Margin.AfterLiability = Margin.AfterPoints − Points.Liability;
// ProgramCost = Margin.Before − Margin.AfterLiability; and for points Issued = Redeemed +
// Expired + Reversed + Outstanding + Moved.
type Run struct {
	Program  loyalty.ProgramID `json:"program"`
	Currency loyalty.Currency  `json:"currency"`
	// Sales is the value of the orders before discounts, Returned the value before discounts
	// of what was returned, Revenue their difference.
	Sales    loyalty.Money `json:"sales"`
	Returned loyalty.Money `json:"returned"`
	Revenue  loyalty.Money `json:"revenue"`
	// Discount is what the program's discounts gave (net of returns) and RevenueAfterDiscount
	// what the customers paid, in money and in points.
	Discount             loyalty.Money `json:"discount"`
	RevenueAfterDiscount loyalty.Money `json:"revenue_after_discount"`
	// Cost is the seller's cost of the goods kept (sold minus returned).
	Cost loyalty.Money `json:"cost"`
	// Redemptions is the number of orders paid partly with points.
	Redemptions int `json:"redemptions"`
	// Margin is the gross profit before and after the program's benefits.
	Margin RunMargin `json:"margin"`
	// Points are the points of the company accounts (and buyers, when the program has
	// BuyerEarning) at the end of the history.
	Points RunPoints `json:"points"`
	// ProgramCost is what the program gave away: discounts, points redeemed and the points
	// liability left. CostRate is ProgramCost as a percentage of Revenue: the program's
	// effective rate, to compare with its nominal rate.
	ProgramCost loyalty.Money   `json:"program_cost"`
	CostRate    decimal.Decimal `json:"cost_rate"`
	// BreakEvenUplift is the sales-volume increase, in percent, the program needs to keep
	// gross profit unchanged (discount.BreakEvenUplift at the history's margin rate and
	// CostRate); nil when it has none (the cost reaches the margin) or there were no sales.
	BreakEvenUplift *decimal.Decimal `json:"break_even_uplift,omitempty"`
	// Discounts is the consumption of each discount (a policy discount, a tier rate "tier:…",
	// a code "code:…"), by ID.
	Discounts []DiscountUse `json:"discounts,omitempty"`
	// Campaigns is the consumption of each of the program's campaigns, in the program's
	// order.
	Campaigns []CampaignUse `json:"campaigns,omitempty"`
	// Tiers is the tier distribution at the end of every month; nil without tiers.
	Tiers *TierTimeline `json:"tiers,omitempty"`
}

// RunMargin is the gross profit of a [Run]: before the program, after its discounts, after
// the points redeemed, and after the liability of the points left outstanding (valued with
// SimulateOptions.RedemptionRate). Rate is Before as a percentage of revenue and Erosion the
// share of Before the program gave away, in percent (two decimals, half up). It is plain data.
type RunMargin struct {
	Before         loyalty.Money   `json:"before"`
	AfterDiscounts loyalty.Money   `json:"after_discounts"`
	AfterPoints    loyalty.Money   `json:"after_points"`
	AfterLiability loyalty.Money   `json:"after_liability"`
	Rate           decimal.Decimal `json:"rate"`
	Erosion        decimal.Decimal `json:"erosion"`
}

// RunPoints are the points of a [Run] at the end of the history, summed over every holder's
// balance row, and their money value at the program's point value (zero when points have no
// value). Issued counts every point credited (earned, and restored by returns of orders paid
// with points); Moved counts points transferred to other holders or debited by adjustments.
// Liability is the value of the outstanding points expected to be redeemed. It is plain data.
type RunPoints struct {
	Issued      points.Points `json:"issued"`
	Redeemed    points.Points `json:"redeemed"`
	Expired     points.Points `json:"expired"`
	Reversed    points.Points `json:"reversed"`
	Outstanding points.Points `json:"outstanding"`
	Pending     points.Points `json:"pending"`
	Moved       points.Points `json:"moved,omitempty"`

	IssuedValue      loyalty.Money `json:"issued_value"`
	RedeemedValue    loyalty.Money `json:"redeemed_value"`
	ExpiredValue     loyalty.Money `json:"expired_value"`
	OutstandingValue loyalty.Money `json:"outstanding_value"`
	Liability        loyalty.Money `json:"liability"`
}

// DiscountUse is how much one discount gave over the history: the orders it applied to and
// the amount, before returns. It is plain data.
type DiscountUse struct {
	ID     string        `json:"id"`
	Orders int           `json:"orders"`
	Amount loyalty.Money `json:"amount"`
}

// CampaignUse is what one campaign gave over the history: the orders it applied to, those it
// did not apply to because its budget was spent, and what it gave at checkout (its discount,
// its points, and their cost in money, before returns); then, for a campaign with a budget,
// the budget and its counters at the end (Engine.Budget), returns given back. It is plain
// data.
type CampaignUse struct {
	ID         loyalty.CampaignID `json:"id"`
	Orders     int                `json:"orders"`
	OverBudget int                `json:"over_budget,omitempty"`
	Discount   loyalty.Money      `json:"discount"`
	Points     points.Points      `json:"points,omitempty"`
	Cost       loyalty.Money      `json:"cost"`
	Budget     Budget             `json:"budget,omitzero"`
	Uses       int64              `json:"uses,omitempty"`
	Spent      loyalty.Money      `json:"spent,omitzero"`
}

// TierTimeline is the distribution of accounts over the tier levels at the end of every
// month of the history (after that month's reviews). It is plain data.
type TierTimeline struct {
	Levels []string    `json:"levels"`
	Months []TierMonth `json:"months"`
}

// TierMonth is the number of accounts at each level (indexed like TierTimeline.Levels) at
// the end of a month "2026-03", by their effective level. It is plain data.
type TierMonth struct {
	Month    string `json:"month"`
	Accounts []int  `json:"accounts"`
}

// Simulate replays an order history through programs and reports, for each, what it would
// have cost and given: revenue, discount cost, points issued, redeemed, expired and
// outstanding and their value, the gross margin before and after, its erosion, the tier
// distribution month by month, the consumption of each discount and campaign (and of the
// campaigns' budgets) and the break-even uplift.
// It is how an analyst compares two candidate programs (say a cumulative discount and a
// bonus program of the same rate) on the same history, in one report.
//
// Each program runs in its own [Engine] over fresh stores (SimulateOptions.Stores) with a
// loyalty.ManualClock set to the date of every order: sales are evaluated and committed,
// returns returned, and at every local month start of the program's time zone the points
// activations and expiries fall due (points.Ledger.Expire) and the tiers are reviewed
// (tier.Service.ReviewAll), so that monthly, quarterly and yearly reviews happen on their
// dates. The history ends at the start of the month after its last row. Unless
// SimulateOptions.NoRedemption is set, every order of an account with available points pays
// with as many as the program's redemption rules allow.
//
// The history is read in format one row at a time (see [Format]); the rows of one order are
// adjacent. Simulate's own memory holds the accounts seen and the lines of the orders still
// within the return window (SimulateOptions.ReturnWindow), not the history. With the default
// stores, what is kept per order only for retries and returns is forgotten once past the
// return window (a day of margin added): the points ledger runs on a points memory store
// with that retention (points.MemoryOptions.Retention: idempotency and purchase records,
// entries, closed lots), and the engine's journal of commits, returns and budget uses and
// the tier service's receipts are kept as plain values in retaining tables. What remains is
// per-account state (balances, open lots, tier status, purchase histories) and per-month
// state (the tier change logs, the report's tier timeline), not per-order state: see
// BenchmarkSimulate. Stores passed in SimulateOptions.Stores are used as they are.
//
// A malformed row (or an order the program refuses as invalid) is a *RowError naming the row
// and the column: by SimulateOptions.OnError Simulate stops, returning the report so far and
// the error, or leaves the order out and goes on. Programs must share one currency. The
// context is checked between orders.
func Simulate(ctx context.Context, history io.Reader, format Format, opt SimulateOptions, programs ...Program) (Report, error) {
	s, err := newSimulation(opt, programs)
	if err != nil {
		return Report{}, err
	}
	rr, err := newRowReader(history, format)
	if err != nil {
		return Report{}, fmt.Errorf("campaign: simulate: %w", err)
	}
	err = s.run(ctx, rr)
	if ferr := s.finish(ctx); err == nil {
		err = ferr
	}
	return s.rep, err
}

// simRecent is what the simulation remembers of an order within the return window.
type simRecent struct {
	at      time.Time
	account loyalty.AccountID
	skus    []loyalty.SKU
	qty     []loyalty.Quantity // still returnable
	cost    []loyalty.Price
	returns int
}

type simulation struct {
	opt      SimulateOptions
	cur      loyalty.Currency
	runners  []*simRunner
	rep      Report
	accounts map[loyalty.AccountID]struct{}
	recent   map[loyalty.OrderID]*simRecent
	order    []loyalty.OrderID // the keys of recent, oldest first
	pruneAt  time.Time
	last     time.Time
	started  bool
}

func newSimulation(opt SimulateOptions, programs []Program) (*simulation, error) {
	if len(programs) == 0 {
		return nil, errors.New("campaign: simulate: no program given")
	}
	var errs []error
	if opt.OnError != Stop && opt.OnError != Skip {
		errs = append(errs, loyalty.Invalid("on_error", int(opt.OnError), "must be Stop or Skip"))
	}
	if opt.MaxErrors < 0 {
		errs = append(errs, loyalty.Invalid("max_errors", opt.MaxErrors, "must not be negative"))
	}
	if opt.ProgressEvery < 0 {
		errs = append(errs, loyalty.Invalid("progress_every", opt.ProgressEvery, "must not be negative"))
	}
	if opt.ReturnWindow < 0 {
		errs = append(errs, loyalty.Invalid("return_window", opt.ReturnWindow, "must not be negative"))
	}
	if opt.RedemptionRate.Sign() < 0 || opt.RedemptionRate.GreaterThan(decimal.NewFromInt(1)) {
		errs = append(errs, loyalty.Invalid("redemption_rate", opt.RedemptionRate.String(), "must lie in [0, 1]"))
	}
	cur := programs[0].Currency
	for i, p := range programs {
		if !p.Currency.Equal(cur) {
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("programs[%d].currency", i), p.Currency.Code(), "must be the currency of programs[0] ("+cur.Code()+")"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("campaign: simulate: %w", err)
	}
	if opt.MaxErrors == 0 {
		opt.MaxErrors = 100
	}
	if opt.ProgressEvery == 0 {
		opt.ProgressEvery = 10_000
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.ReturnWindow == 0 {
		opt.ReturnWindow = 90 * 24 * time.Hour
	}
	s := &simulation{opt: opt, cur: cur, accounts: map[loyalty.AccountID]struct{}{}, recent: map[loyalty.OrderID]*simRecent{}}
	for i, p := range programs {
		r, err := newSimRunner(p, opt)
		if err != nil {
			return nil, fmt.Errorf("campaign: simulate: programs[%d]: %w", i, err)
		}
		s.runners = append(s.runners, r)
	}
	return s, nil
}

// run reads the history and replays it group by group.
func (s *simulation) run(ctx context.Context, rr rowReader) error {
	var (
		vals  rowVals
		group []histRow
		bad   bool // the current group has a malformed row
		cur   struct {
			order loyalty.OrderID
			ret   bool
			at    time.Time // of a return: the rows of one return share their date
		}
		nextProgress = s.opt.ProgressEvery
	)
	flush := func() error {
		g, wasBad := group, bad
		group, bad = group[:0], false
		if len(g) == 0 || wasBad {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.apply(ctx, g); err != nil {
			return s.rowError(err)
		}
		return nil
	}
	for {
		row, err := rr.next(&vals)
		if err == io.EOF {
			break
		}
		var re *RowError
		if err != nil && (!errors.As(err, &re) || row == 0) {
			return err // a read failure or a bad header: nothing more can be read
		}
		s.rep.Rows++
		var r histRow
		if err == nil {
			r, err = parseRow(row, &vals, s.cur, s.opt.Location)
		}
		same := r.order != "" && r.order == cur.order && r.ret == cur.ret && (!r.ret || r.at.Equal(cur.at)) && (len(group) > 0 || bad)
		if err == nil && same && len(group) > 0 {
			err = s.sameGroup(group[0], r)
		}
		if !same && (err == nil || r.order != "") {
			// A new order starts. (A malformed row whose order is unreadable is dropped
			// alone.)
			if ferr := flush(); ferr != nil {
				return ferr
			}
			cur.order, cur.ret, cur.at = r.order, r.ret, r.at
		}
		if err != nil {
			if s.opt.OnError == Stop && !same {
				// The orders before the malformed row are replayed before stopping.
				if ferr := flush(); ferr != nil {
					return ferr
				}
			}
			if err := s.rowError(err); err != nil {
				return err
			}
			if r.order != "" {
				bad = true
			}
		} else {
			group = append(group, r)
		}
		if s.opt.Progress != nil && s.rep.Rows >= nextProgress {
			s.opt.Progress(s.rep.Rows)
			nextProgress += s.opt.ProgressEvery
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if s.opt.Progress != nil {
		s.opt.Progress(s.rep.Rows)
	}
	return nil
}

// rowError records a *RowError under Skip and returns nil, or returns it (Stop, or any other
// error).
func (s *simulation) rowError(err error) error {
	var re *RowError
	if !errors.As(err, &re) || s.opt.OnError == Stop {
		return err
	}
	s.rep.ErrorCount++
	if len(s.rep.Errors) < s.opt.MaxErrors {
		s.rep.Errors = append(s.rep.Errors, *re)
	}
	return nil
}

// sameGroup checks that r belongs with the order the group's first row started.
func (s *simulation) sameGroup(first, r histRow) error {
	switch {
	case r.account != first.account:
		return &RowError{Row: r.row, Column: colAccount, Value: string(r.account), Reason: fmt.Sprintf("differs from the order's account %q on row %d", first.account, first.row)}
	case !r.at.Equal(first.at):
		return &RowError{Row: r.row, Column: colDate, Value: r.at.Format(time.RFC3339), Reason: fmt.Sprintf("differs from the order's date on row %d", first.row)}
	case !r.ret && r.buyer != first.buyer:
		return &RowError{Row: r.row, Column: colBuyer, Value: string(r.buyer), Reason: fmt.Sprintf("differs from the order's buyer %q on row %d", first.buyer, first.row)}
	}
	return nil
}

// apply replays one order or return through every program.
func (s *simulation) apply(ctx context.Context, g []histRow) error {
	first := g[0]
	if s.started && first.at.Before(s.last) {
		return &RowError{Row: first.row, Column: colDate, Value: first.at.Format(time.RFC3339), Reason: "before the previous order: rows must be in time order"}
	}
	if err := s.prune(ctx, first.at); err != nil {
		return err
	}
	var err error
	if first.ret {
		err = s.applyReturn(ctx, g)
	} else {
		err = s.applySale(ctx, g)
	}
	if err != nil {
		return err
	}
	if !s.started {
		s.rep.From, s.started = first.at, true
	}
	s.last, s.rep.To = first.at, first.at
	s.accounts[first.account] = struct{}{}
	s.rep.Accounts = len(s.accounts)
	return nil
}

// prune forgets the orders past the return window, once a day of history at most.
func (s *simulation) prune(ctx context.Context, at time.Time) error {
	if at.Before(s.pruneAt) {
		return nil
	}
	limit := at.Add(-s.opt.ReturnWindow)
	for len(s.order) > 0 {
		id := s.order[0]
		if r := s.recent[id]; r != nil && !r.at.Before(limit) {
			break
		}
		delete(s.recent, id)
		s.order[0] = ""
		s.order = s.order[1:]
	}
	s.pruneAt = at.Add(24 * time.Hour)
	for _, r := range s.runners {
		if err := r.prune(ctx, limit); err != nil {
			return err
		}
	}
	return nil
}

// simMargin is how much longer than the return window the default stores keep the records
// of an order: the stores outlive what the simulation can return.
const simMargin = 24 * time.Hour

// prune makes the default stores forget the records of the orders before limit, less the
// margin. (The points store forgets by itself, from its clock.)
func (r *simRunner) prune(ctx context.Context, limit time.Time) error {
	if r.journal == nil {
		return nil
	}
	limit = limit.Add(-simMargin)
	if err := r.journal.prune(ctx, limit); err != nil {
		return fmt.Errorf("campaign: simulate: %w", err)
	}
	if err := r.tierStore.prune(ctx, limit); err != nil {
		return fmt.Errorf("campaign: simulate: %w", err)
	}
	return nil
}

// refusal is an order or a return that every program refused as invalid input (or as a
// conflict): it is reported as a malformed row.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// each runs fn for every program, concurrently (the engines share nothing). When every
// program refuses the input as invalid, the error is a *refusal of the first program's; any other failure (or a refusal by some programs only) is returned as is.
func (s *simulation) each(fn func(r *simRunner) error) error {
	errs := make([]error, len(s.runners))
	if len(s.runners) == 1 {
		errs[0] = fn(s.runners[0])
	} else {
		var wg sync.WaitGroup
		for i, r := range s.runners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = fn(r)
			}()
		}
		wg.Wait()
	}
	refused, failed := 0, 0
	for _, err := range errs {
		if err != nil {
			failed++
			if errors.Is(err, loyalty.ErrInvalid) || errors.Is(err, loyalty.ErrConflict) {
				refused++
			}
		}
	}
	switch {
	case failed == 0:
		return nil
	case refused == len(errs):
		return &refusal{errs[0]}
	}
	var out []error
	for i, err := range errs {
		if err != nil {
			out = append(out, fmt.Errorf("program %s: %w", s.runners[i].prog.ID, err))
		}
	}
	return errors.Join(out...)
}

func (s *simulation) applySale(ctx context.Context, g []histRow) error {
	first := g[0]
	if _, dup := s.recent[first.order]; dup {
		return &RowError{Row: first.row, Column: colOrder, Value: string(first.order), Reason: "order seen before: the rows of one order must be adjacent"}
	}
	o := loyalty.Order{ID: first.order, Account: first.account, Buyer: first.buyer, Currency: s.cur, PlacedAt: first.at,
		Lines: make([]loyalty.Line, len(g))}
	rec := &simRecent{at: first.at, account: first.account, skus: make([]loyalty.SKU, len(g)), qty: make([]loyalty.Quantity, len(g)), cost: make([]loyalty.Price, len(g))}
	for i, r := range g {
		o.Lines[i] = loyalty.Line{SKU: r.sku, Category: r.category, Quantity: r.qty, UnitPrice: r.price, UnitCost: r.cost}
		rec.skus[i], rec.qty[i], rec.cost[i] = r.sku, r.qty, r.cost
	}
	if err := o.Validate(); err != nil {
		return &RowError{Row: first.row, Reason: "invalid order: " + err.Error()}
	}
	if err := s.each(func(run *simRunner) error { return run.sale(ctx, o, rec) }); err != nil {
		var ref *refusal
		if errors.As(err, &ref) {
			return &RowError{Row: first.row, Column: colOrder, Value: string(o.ID), Reason: ref.err.Error()}
		}
		return fmt.Errorf("campaign: simulate: order %s: %w", o.ID, err)
	}
	s.recent[o.ID] = rec
	s.order = append(s.order, o.ID)
	s.rep.Orders++
	s.rep.Lines += len(o.Lines)
	return nil
}

func (s *simulation) applyReturn(ctx context.Context, g []histRow) error {
	first := g[0]
	rec := s.recent[first.order]
	if rec == nil {
		return &RowError{Row: first.row, Column: colOrder, Value: string(first.order), Reason: "no such order within the return window"}
	}
	if rec.account != first.account {
		return &RowError{Row: first.row, Column: colAccount, Value: string(first.account), Reason: fmt.Sprintf("the order belongs to account %q", rec.account)}
	}
	left := slices.Clone(rec.qty)
	var lines []loyalty.ReturnLine
	for _, r := range g {
		q := r.qty
		for i, sku := range rec.skus {
			if sku != r.sku || left[i].Sign() <= 0 || q.Sign() <= 0 {
				continue
			}
			take := q
			if left[i].Cmp(q) < 0 {
				take = left[i]
			}
			left[i], _ = left[i].Sub(take)
			q, _ = q.Sub(take)
			lines = append(lines, loyalty.ReturnLine{Line: i, Quantity: take})
		}
		if q.Sign() > 0 {
			reason := "more than is left to return of this SKU in the order"
			if !slices.Contains(rec.skus, r.sku) {
				return &RowError{Row: r.row, Column: colSKU, Value: string(r.sku), Reason: "not in the order"}
			}
			return &RowError{Row: r.row, Column: colQuantity, Value: r.qty.String(), Reason: reason}
		}
	}
	rec.returns++
	key := loyalty.IdempotencyKey("sim/" + string(first.order) + "/return/" + strconv.Itoa(rec.returns))
	if err := s.each(func(run *simRunner) error { return run.ret(ctx, first.at, first.order, lines, key, rec) }); err != nil {
		var ref *refusal
		if errors.As(err, &ref) {
			rec.returns--
			return &RowError{Row: first.row, Reason: ref.err.Error()}
		}
		return fmt.Errorf("campaign: simulate: return of %s: %w", first.order, err)
	}
	rec.qty = left
	s.rep.Returns++
	return nil
}

// finish closes every run at the start of the month after the last row.
func (s *simulation) finish(ctx context.Context) error {
	s.rep.Runs = make([]Run, len(s.runners))
	var errs []error
	for i, r := range s.runners {
		if s.started {
			end := loyalty.Month.Next(s.last.In(r.loc))
			if err := r.advance(ctx, end); err != nil {
				errs = append(errs, err)
			}
		}
		run, err := r.report(ctx, s.opt)
		if err != nil {
			errs = append(errs, err)
		}
		s.rep.Runs[i] = run
	}
	return errors.Join(errs...)
}

// simRunner is one program's engine and accumulators.
type simRunner struct {
	eng  *Engine
	prog Program
	st   Stores
	// journal and tierStore wrap the default memory stores: they forget past the return
	// window when pruned (the default points store does so by itself).
	journal   *simOrderStore
	tierStore *simTierStore
	clock     *loyalty.ManualClock
	loc       *time.Location
	noRed     bool
	// The quotes of a sale (without and with a redemption), used until the next sale.
	quotes [2]QuoteBuffer

	next      time.Time // the next month start to run, zero before the first order
	sales     loyalty.Money
	returned  loyalty.Money
	discount  loyalty.Money // given at checkout
	discBack  loyalty.Money // discounts of the returned goods
	cost      loyalty.Money
	costBack  loyalty.Money
	redeemed  int
	discounts map[string]*DiscountUse
	campaigns map[loyalty.CampaignID]*CampaignUse
	tiers     *TierTimeline
	err       error // the first arithmetic error
}

func newSimRunner(p Program, opt SimulateOptions) (*simRunner, error) {
	clock := loyalty.NewManualClock(time.Time{})
	var (
		st      Stores
		journal *simOrderStore
		tiers   *simTierStore
	)
	if opt.Stores != nil {
		st = opt.Stores(p)
	} else {
		st = MemoryStores()
		journal = newSimOrderStore(st.Orders, clock)
		st.Orders = journal
		st.Points = points.NewMemoryStoreWith(points.MemoryOptions{Retention: opt.ReturnWindow + simMargin, Clock: clock})
		tiers = newSimTierStore(st.Tiers, clock)
		st.Tiers = tiers
	}
	eng, err := New(p, st, Config{Clock: clock})
	if err != nil {
		return nil, err
	}
	z := loyalty.Zero(p.Currency)
	r := &simRunner{eng: eng, prog: p, st: st, journal: journal, tierStore: tiers, clock: clock, loc: eng.Location(), noRed: opt.NoRedemption,
		sales: z, returned: z, discount: z, discBack: z, cost: z, costBack: z, discounts: map[string]*DiscountUse{},
		campaigns: map[loyalty.CampaignID]*CampaignUse{}}
	for _, c := range p.Campaigns {
		r.campaigns[c.ID] = &CampaignUse{ID: c.ID, Discount: z, Cost: z, Budget: c.Budget}
	}
	if p.Tiers != nil {
		r.tiers = &TierTimeline{}
		for _, l := range p.Tiers.Levels {
			r.tiers.Levels = append(r.tiers.Levels, l.Name)
		}
	}
	return r, nil
}

func (r *simRunner) add(acc *loyalty.Money, m loyalty.Money) {
	v, err := acc.Add(m)
	if err != nil && r.err == nil {
		r.err = err
	}
	*acc = v
}

// advance runs the month starts up to and including t.
func (r *simRunner) advance(ctx context.Context, t time.Time) error {
	if r.next.IsZero() {
		r.next = loyalty.Month.Next(t.In(r.loc))
		return nil
	}
	for !r.next.After(t) {
		if err := r.monthStart(ctx, r.next); err != nil {
			return err
		}
		r.next = loyalty.Month.Next(r.next)
	}
	return nil
}

// monthStart runs the due expiries and the tier reviews at a month start and records the
// tier distribution of the month just ended.
func (r *simRunner) monthStart(ctx context.Context, at time.Time) error {
	r.clock.Set(at)
	if _, err := r.eng.Points().Expire(ctx); err != nil {
		return fmt.Errorf("campaign: simulate: expiry at %s: %w", at.Format(time.DateOnly), err)
	}
	if bl := r.eng.BuyerPoints(); bl != nil {
		if _, err := bl.Expire(ctx); err != nil {
			return fmt.Errorf("campaign: simulate: buyer expiry at %s: %w", at.Format(time.DateOnly), err)
		}
	}
	ts := r.eng.Tiers()
	if ts == nil {
		return nil
	}
	if _, err := ts.ReviewAll(ctx, at); err != nil {
		return fmt.Errorf("campaign: simulate: tier review at %s: %w", at.Format(time.DateOnly), err)
	}
	month := TierMonth{Month: at.AddDate(0, 0, -1).Format("2006-01"), Accounts: make([]int, len(r.tiers.Levels))}
	err := ts.ProjectAll(ctx, func(p tier.Projection) error {
		if p.Level >= 0 && p.Level < len(month.Accounts) {
			month.Accounts[p.Level]++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("campaign: simulate: tier distribution at %s: %w", at.Format(time.DateOnly), err)
	}
	r.tiers.Months = append(r.tiers.Months, month)
	return nil
}

func (r *simRunner) sale(ctx context.Context, o loyalty.Order, rec *simRecent) error {
	if err := r.advance(ctx, o.PlacedAt); err != nil {
		return err
	}
	r.clock.Set(o.PlacedAt)
	q, err := r.eng.EvaluateInto(ctx, &r.quotes[0], o, EvaluateOptions{})
	if err != nil {
		return err
	}
	if !r.noRed && r.prog.Redemption.PointValue.Sign() > 0 {
		bal, err := r.eng.Points().Balance(ctx, points.ForAccount(o.Account))
		if err != nil && !errors.Is(err, loyalty.ErrNotFound) {
			return err
		}
		if bal.Available > 0 {
			max, err := r.prog.Redemption.MaxPoints(q.Totals.ToPay)
			if err != nil {
				return err
			}
			want := min(max, bal.Available)
			if want > 0 && want >= r.prog.Redemption.MinPoints {
				q2, err := r.eng.EvaluateInto(ctx, &r.quotes[1], o, EvaluateOptions{RedeemPoints: want})
				if err != nil {
					return err
				}
				if q2.Redemption != nil && q2.Redemption.Applied > 0 {
					q = q2
				}
			}
		}
	}
	if _, err := r.eng.Commit(ctx, q, loyalty.IdempotencyKey("sim/"+string(o.ID))); err != nil {
		return err
	}
	if q.Redemption != nil && q.Redemption.Applied > 0 {
		r.redeemed++
	}
	r.add(&r.sales, q.Totals.Subtotal)
	r.add(&r.discount, q.Totals.Discount)
	for _, l := range o.Lines {
		c, err := l.UnitCost.Times(l.Quantity, loyalty.HalfUp)
		if err != nil {
			return err
		}
		r.add(&r.cost, c)
	}
	for _, c := range q.Campaigns {
		u := r.campaigns[c.ID]
		switch {
		case u == nil:
		case c.Applied:
			u.Orders++
			u.Points += c.Points
			if !c.Discount.IsZero() {
				r.add(&u.Discount, c.Discount)
			}
			if !c.Cost.IsZero() {
				r.add(&u.Cost, c.Cost)
			}
		case c.Reason == "budget":
			u.OverBudget++
		}
	}
	for _, en := range q.Discount.Entries {
		if !en.Applied {
			continue
		}
		u := r.discounts[en.Discount]
		if u == nil {
			u = &DiscountUse{ID: en.Discount, Amount: loyalty.Zero(o.Currency)}
			r.discounts[en.Discount] = u
		}
		u.Orders++
		r.add(&u.Amount, en.Amount)
	}
	return nil
}

func (r *simRunner) ret(ctx context.Context, at time.Time, order loyalty.OrderID, lines []loyalty.ReturnLine, key loyalty.IdempotencyKey, rec *simRecent) error {
	if err := r.advance(ctx, at); err != nil {
		return err
	}
	r.clock.Set(at)
	rr, err := r.eng.Return(ctx, order, lines, key)
	if err != nil {
		return err
	}
	r.add(&r.returned, rr.Plan.Base)
	back, err := rr.Plan.Base.Sub(rr.Plan.Paid)
	if err != nil {
		return err
	}
	r.add(&r.discBack, back)
	for _, l := range lines {
		c, err := rec.cost[l.Line].Times(l.Quantity, loyalty.HalfUp)
		if err != nil {
			return err
		}
		r.add(&r.costBack, c)
	}
	return nil
}

// report sums the run up at the clock's now.
func (r *simRunner) report(ctx context.Context, opt SimulateOptions) (Run, error) {
	p := r.prog
	z := loyalty.Zero(p.Currency)
	run := Run{Program: p.ID, Currency: p.Currency, Sales: r.sales, Returned: r.returned, Redemptions: r.redeemed, Tiers: r.tiers}
	run.Revenue, _ = r.sales.Sub(r.returned)
	run.Discount, _ = r.discount.Sub(r.discBack)
	run.RevenueAfterDiscount, _ = run.Revenue.Sub(run.Discount)
	run.Cost, _ = r.cost.Sub(r.costBack)

	// Points, from the balance rows.
	var acc points.Account
	err := r.st.Points.View(ctx, func(tx points.ReadTx) error {
		acc = points.Account{}
		return tx.Accounts(func(a points.Account) bool {
			acc.Earned += a.Earned
			acc.Active += a.Active
			acc.Pending += a.Pending
			acc.Spent += a.Spent
			acc.Expired += a.Expired
			acc.Reversed += a.Reversed
			acc.Transferred += a.Transferred
			acc.Debited += a.Debited
			return true
		})
	})
	if err != nil {
		return run, fmt.Errorf("campaign: simulate: reading points: %w", err)
	}
	pts := RunPoints{Issued: acc.Earned, Redeemed: acc.Spent, Expired: acc.Expired, Reversed: acc.Reversed,
		Outstanding: acc.Active + acc.Pending, Pending: acc.Pending, Moved: acc.Transferred + acc.Debited,
		IssuedValue: z, RedeemedValue: z, ExpiredValue: z, OutstandingValue: z, Liability: z}
	if p.Redemption.PointValue.Sign() > 0 {
		val := func(n points.Points) loyalty.Money {
			v, err := p.Redemption.Value(n)
			if err != nil && r.err == nil {
				r.err = err
			}
			return v
		}
		pts.IssuedValue, pts.RedeemedValue, pts.ExpiredValue = val(pts.Issued), val(pts.Redeemed), val(pts.Expired)
		// The liability, from the open lots (points.Ledger.Liability), of every ledger.
		for _, l := range []*points.Ledger{r.eng.Points(), r.eng.BuyerPoints()} {
			if l == nil {
				continue
			}
			li, err := l.Liability(ctx, points.LiabilityOptions{RedemptionRate: opt.RedemptionRate})
			if err != nil {
				return run, fmt.Errorf("campaign: simulate: liability: %w", err)
			}
			r.add(&pts.OutstandingValue, li.Value)
			r.add(&pts.Liability, li.Expected)
		}
	}
	run.Points = pts

	m := RunMargin{}
	m.Before, _ = run.Revenue.Sub(run.Cost)
	m.AfterDiscounts, _ = m.Before.Sub(run.Discount)
	m.AfterPoints, _ = m.AfterDiscounts.Sub(pts.RedeemedValue)
	m.AfterLiability, _ = m.AfterPoints.Sub(pts.Liability)
	run.ProgramCost, _ = m.Before.Sub(m.AfterLiability)
	hundred := decimal.NewFromInt(100)
	if run.Revenue.IsPositive() {
		m.Rate = m.Before.Decimal().Mul(hundred).DivRound(run.Revenue.Decimal(), 2)
		run.CostRate = run.ProgramCost.Decimal().Mul(hundred).DivRound(run.Revenue.Decimal(), 2)
		exactMargin := m.Before.Decimal().Mul(hundred).DivRound(run.Revenue.Decimal(), discount.Precision)
		exactCost := run.ProgramCost.Decimal().Mul(hundred).DivRound(run.Revenue.Decimal(), discount.Precision)
		if up, err := discount.BreakEvenUplift(exactMargin, exactCost); err == nil {
			up = up.Round(2)
			run.BreakEvenUplift = &up
		}
	}
	if m.Before.IsPositive() {
		m.Erosion = run.ProgramCost.Decimal().Mul(hundred).DivRound(m.Before.Decimal(), 2)
	}
	run.Margin = m

	ids := make([]string, 0, len(r.discounts))
	for id := range r.discounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		run.Discounts = append(run.Discounts, *r.discounts[id])
	}
	for _, c := range p.Campaigns {
		u := *r.campaigns[c.ID]
		if !c.Budget.IsZero() {
			b, err := r.eng.Budget(ctx, c.ID, "")
			if err != nil && !errors.Is(err, loyalty.ErrNotFound) {
				return run, fmt.Errorf("campaign: simulate: budget of %s: %w", c.ID, err)
			}
			u.Uses, u.Spent = b.Uses, b.Spent
		}
		run.Campaigns = append(run.Campaigns, u)
	}
	if r.err != nil {
		return run, fmt.Errorf("campaign: simulate: program %s: %w", p.ID, r.err)
	}
	return run, nil
}
