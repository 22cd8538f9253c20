package campaign

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// Sale is one sale of a dealer (an account) that partner programs and contests measure: the
// caller reports it (sell-in from its orders, or sell-out the dealer declares). It is plain
// data, safe for concurrent use when not modified.
type Sale struct {
	Account  loyalty.AccountID  `json:"account"`
	At       time.Time          `json:"at"`
	SKU      loyalty.SKU        `json:"sku,omitempty"`
	Category loyalty.CategoryID `json:"category,omitempty"`
	Quantity loyalty.Quantity   `json:"quantity"`
	Amount   loyalty.Money      `json:"amount"`
}

// window returns [start of Start, end of End) in loc; a zero start means no start.
func window(start, end Date, loc *time.Location) (time.Time, time.Time, error) {
	var from time.Time
	var err error
	if start != "" {
		if from, err = start.parse(loc); err != nil {
			return time.Time{}, time.Time{}, loyalty.Invalid("start", string(start), "must be a date written 2006-01-02")
		}
	}
	until, err := end.parse(loc)
	if err != nil {
		return time.Time{}, time.Time{}, loyalty.Invalid("end", string(end), "must be a date written 2006-01-02")
	}
	until = nextDay(until, 1)
	if !from.IsZero() && !until.After(from) {
		return time.Time{}, time.Time{}, loyalty.Invalid("end", string(end), "must not be before start "+string(start))
	}
	return from, until, nil
}

// SalesTarget is a partner program: "sell Units of the product line (Categories, SKUs)
// between Start and End, get a bonus" — Points and/or Credit, once, or for every full Units
// when Each is set. Days are local days of the program's time zone, End included. A
// program lists its targets in Program.SalesTargets; [Engine.SettleSalesTarget] credits the
// points once the period is over and returns the credits to pay. It is plain data, safe
// for concurrent use when not modified.
type SalesTarget struct {
	ID         loyalty.CampaignID   `json:"id"`
	Start      Date                 `json:"start,omitempty"`
	End        Date                 `json:"end"`
	Categories []loyalty.CategoryID `json:"categories,omitempty"`
	SKUs       []loyalty.SKU        `json:"skus,omitempty"`
	Units      loyalty.Quantity     `json:"units"`
	Each       bool                 `json:"each,omitempty"`
	Points     points.Points        `json:"points,omitempty"`
	Credit     loyalty.Money        `json:"credit,omitzero"`
}

// Validate checks the target; errors are *loyalty.FieldError values naming the field.
func (t SalesTarget) Validate() error {
	var errs []error
	if t.ID == "" {
		errs = append(errs, loyalty.Invalid("id", nil, "is required"))
	}
	if _, _, err := window(t.Start, t.End, time.UTC); err != nil {
		errs = append(errs, err)
	}
	if t.Units.Sign() <= 0 {
		errs = append(errs, loyalty.Invalid("units", t.Units, "must be positive"))
	}
	if t.Points < 0 || t.Credit.IsNegative() || t.Points == 0 && t.Credit.IsZero() {
		errs = append(errs, loyalty.Invalid("points", t.Points, "a target gives positive points or credit"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("campaign: sales target: %w", err)
	}
	return nil
}

// SalesResult is one dealer's standing on a [SalesTarget]: the units of the line it sold in
// the period, how many times it reached the target (0 or 1 unless Each) and the bonus. It
// is plain data, safe for concurrent use when not modified.
type SalesResult struct {
	Account loyalty.AccountID `json:"account"`
	Units   loyalty.Quantity  `json:"units"`
	Times   int64             `json:"times"`
	Points  points.Points     `json:"points"`
	Credit  loyalty.Money     `json:"credit,omitzero"`
}

// Evaluate measures every dealer's sales of the line in the period (local days of loc; nil
// means UTC) and returns one result per dealer that sold any of it, in increasing order of
// account ID. It is a pure calculation.
func (t SalesTarget) Evaluate(sales []Sale, loc *time.Location) ([]SalesResult, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	from, until, _ := window(t.Start, t.End, loc)
	units := map[loyalty.AccountID]loyalty.Quantity{}
	for i, s := range sales {
		if s.At.Before(from) || !s.At.Before(until) {
			continue
		}
		if (len(t.Categories) > 0 || len(t.SKUs) > 0) && !slices.Contains(t.Categories, s.Category) && !slices.Contains(t.SKUs, s.SKU) {
			continue
		}
		if s.Quantity.Sign() < 0 && s.Account == "" {
			return nil, fmt.Errorf("campaign: sales target: %w", loyalty.Invalid(fmt.Sprintf("sales[%d].account", i), nil, "is required"))
		}
		q, err := units[s.Account].Add(s.Quantity)
		if err != nil {
			return nil, fmt.Errorf("campaign: sales target: sales[%d]: %w", i, err)
		}
		units[s.Account] = q
	}
	out := make([]SalesResult, 0, len(units))
	for a, q := range units {
		r := SalesResult{Account: a, Units: q}
		if q.Sign() > 0 {
			r.Times = q.Micros() / t.Units.Micros()
			if !t.Each && r.Times > 1 {
				r.Times = 1
			}
		}
		if r.Times > 0 && int64(t.Points) > math.MaxInt64/r.Times {
			return nil, fmt.Errorf("campaign: sales target: points of %s: %w", a, loyalty.ErrOverflow)
		}
		r.Points = t.Points * points.Points(r.Times)
		if !t.Credit.IsZero() {
			c, err := t.Credit.MulInt(r.Times)
			if err != nil {
				return nil, fmt.Errorf("campaign: sales target: %w", err)
			}
			r.Credit = c
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b SalesResult) int { return strings.Compare(string(a.Account), string(b.Account)) })
	return out, nil
}

// CoMarketing reimburses a share of a dealer's advertising cost: Share (0.5 for "50 %")
// when only our products appear in the advert; when other manufacturers share it,
// Shares[k] for k others (the last entry for more), or by default Share ÷ (1 + k), the
// advert split evenly. Max caps one reimbursement (zero: no cap). Amounts round down, once.
// A program's rule is Program.CoMarketing, applied by [Engine.Reimburse]. It is plain data,
// safe for concurrent use when not modified.
type CoMarketing struct {
	Share  decimal.Decimal   `json:"share"`
	Shares []decimal.Decimal `json:"shares,omitempty"`
	Max    loyalty.Money     `json:"max,omitzero"`
}

// Validate checks the rule; errors are *loyalty.FieldError values naming the field.
func (c CoMarketing) Validate() error {
	var errs []error
	one := decimal.NewFromInt(1)
	if !c.Share.IsPositive() || c.Share.GreaterThan(one) {
		errs = append(errs, loyalty.Invalid("share", c.Share, "must be above 0 and at most 1"))
	}
	for i, s := range c.Shares {
		switch {
		case s.IsNegative() || s.GreaterThan(one):
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("shares[%d]", i), s, "must be between 0 and 1"))
		case i > 0 && s.GreaterThan(c.Shares[i-1]) || i == 0 && s.GreaterThan(c.Share):
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("shares[%d]", i), s, "must not grow with more manufacturers"))
		}
	}
	if c.Max.IsNegative() {
		errs = append(errs, loyalty.Invalid("max", c.Max, "must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("campaign: co-marketing: %w", err)
	}
	return nil
}

// ShareFor returns the share reimbursed when others other manufacturers appear in the
// advert.
func (c CoMarketing) ShareFor(others int) decimal.Decimal {
	switch {
	case others <= 0:
		return c.Share
	case len(c.Shares) > 0:
		return c.Shares[min(others, len(c.Shares))-1]
	}
	return c.Share.DivRound(decimal.NewFromInt(int64(others)+1), 16)
}

// Reimburse returns what a dealer's advert costing cost, shared with others other
// manufacturers, is reimbursed: cost × ShareFor(others), rounded down, at most Max.
func (c CoMarketing) Reimburse(cost loyalty.Money, others int) (loyalty.Money, error) {
	if err := c.Validate(); err != nil {
		return loyalty.Money{}, err
	}
	if cost.IsNegative() || others < 0 {
		return loyalty.Money{}, fmt.Errorf("campaign: co-marketing: %w", loyalty.Invalid("cost", cost, "and the number of other manufacturers must not be negative"))
	}
	r, err := cost.MulRate(c.ShareFor(others), loyalty.Down)
	if err != nil {
		return loyalty.Money{}, fmt.Errorf("campaign: co-marketing: %w", err)
	}
	if c.Max.IsPositive() {
		if r, err = r.Min(c.Max); err != nil {
			return loyalty.Money{}, fmt.Errorf("campaign: co-marketing: %w", err)
		}
	}
	return r, nil
}

// ContestMeasure is what a [Contest] ranks accounts by. It is a plain string value, safe
// for concurrent use.
type ContestMeasure string

// The measures of contests.
const (
	MeasureSpend  ContestMeasure = "spend"  // the sum of the sales' amounts
	MeasureUnits  ContestMeasure = "units"  // the sum of the sales' quantities
	MeasureOrders ContestMeasure = "orders" // the number of sales
)

// Prize is what one place of a contest wins. It is plain data, safe for concurrent use when not modified.
type Prize struct {
	Points points.Points `json:"points,omitempty"`
	Credit loyalty.Money `json:"credit,omitzero"`
	Perk   string        `json:"perk,omitempty"`
}

// Contest ranks the eligible accounts by a measure of their sales over a window and awards
// Prizes[0] to the first, Prizes[1] to the second, and so on. With Newcomers, only accounts
// whose first sale falls in the window take part, each measured over its first
// FirstMonths months (default 1) — "the monthly newcomer contest, by the first month's
// purchases"; otherwise every account's sales in the window count. Ties are broken
// deterministically: the account that reached its value first (the time of the sale that
// completed it) ranks higher, then the smaller account ID. Days are local days of the
// program's time zone, End included. A program lists its contests in Program.Contests;
// [Engine.AwardContest] credits the points prizes once the contest is over and returns the
// other prizes. It is plain data, safe for concurrent use when not modified.
type Contest struct {
	ID          loyalty.CampaignID `json:"id"`
	Start       Date               `json:"start"`
	End         Date               `json:"end"`
	Measure     ContestMeasure     `json:"measure"`
	Newcomers   bool               `json:"newcomers,omitempty"`
	FirstMonths int                `json:"first_months,omitempty"`
	Prizes      []Prize            `json:"prizes"`
}

// Validate checks the contest; errors are *loyalty.FieldError values naming the field.
func (c Contest) Validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, loyalty.Invalid("id", nil, "is required"))
	}
	if c.Start == "" {
		errs = append(errs, loyalty.Invalid("start", nil, "is required"))
	}
	if _, _, err := window(c.Start, c.End, time.UTC); err != nil {
		errs = append(errs, err)
	}
	switch c.Measure {
	case MeasureSpend, MeasureUnits, MeasureOrders:
	default:
		errs = append(errs, loyalty.Invalid("measure", c.Measure, "must be spend, units or orders"))
	}
	if c.FirstMonths < 0 || c.FirstMonths > 0 && !c.Newcomers {
		errs = append(errs, loyalty.Invalid("first_months", c.FirstMonths, "must be positive, and only for newcomers"))
	}
	if len(c.Prizes) == 0 {
		errs = append(errs, loyalty.Invalid("prizes", nil, "must list at least one prize"))
	}
	for i, p := range c.Prizes {
		if p.Points < 0 || p.Credit.IsNegative() || p.Points == 0 && p.Credit.IsZero() && p.Perk == "" {
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("prizes[%d]", i), nil, "must give positive points, credit or a perk"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("campaign: contest: %w", err)
	}
	return nil
}

// Standing is one account's place in a contest: its measured value (minor units for
// spend, millionths of a unit for units, a count for orders), when it reached it, and its
// prize, if its place has one. It is plain data, safe for concurrent use when not modified.
type Standing struct {
	Place   int               `json:"place"`
	Account loyalty.AccountID `json:"account"`
	Value   int64             `json:"value"`
	Reached time.Time         `json:"reached"`
	Prize   *Prize            `json:"prize,omitempty"`
}

// Rank ranks the eligible accounts of the contest by their sales (local days of loc; nil
// means UTC) and returns every account with a positive value, first place first. It is a
// pure calculation: the same sales in any order give the same standings.
func (c Contest) Rank(sales []Sale, loc *time.Location) ([]Standing, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	from, until, _ := window(c.Start, c.End, loc)
	sorted := slices.Clone(sales)
	slices.SortStableFunc(sorted, func(a, b Sale) int { return a.At.Compare(b.At) })
	first := map[loyalty.AccountID]time.Time{}
	for _, s := range sorted {
		if _, ok := first[s.Account]; !ok {
			first[s.Account] = s.At
		}
	}
	months := c.FirstMonths
	if months == 0 {
		months = 1
	}
	type acc struct {
		value   int64
		reached time.Time
	}
	by := map[loyalty.AccountID]*acc{}
	for i, s := range sorted {
		lo, hi := from, until
		if c.Newcomers {
			f := first[s.Account]
			if f.Before(from) || !f.Before(until) {
				continue
			}
			lo, hi = f, loyalty.AddMonths(f, months)
		}
		if s.At.Before(lo) || !s.At.Before(hi) {
			continue
		}
		var v int64
		switch c.Measure {
		case MeasureSpend:
			v = s.Amount.MinorUnits()
		case MeasureUnits:
			v = s.Quantity.Micros()
		case MeasureOrders:
			v = 1
		}
		a := by[s.Account]
		if a == nil {
			a = &acc{}
			by[s.Account] = a
		}
		if (v > 0 && a.value > (1<<62)-v) || (v < 0 && a.value < -(1<<62)-v) {
			return nil, fmt.Errorf("campaign: contest: sales[%d]: %w", i, loyalty.ErrOverflow)
		}
		a.value += v
		if v != 0 {
			a.reached = s.At
		}
	}
	out := make([]Standing, 0, len(by))
	for id, a := range by {
		if a.value > 0 {
			out = append(out, Standing{Account: id, Value: a.value, Reached: a.reached})
		}
	}
	slices.SortFunc(out, func(a, b Standing) int {
		switch {
		case a.Value != b.Value:
			if a.Value > b.Value {
				return -1
			}
			return 1
		case !a.Reached.Equal(b.Reached):
			return a.Reached.Compare(b.Reached)
		}
		return strings.Compare(string(a.Account), string(b.Account))
	})
	for i := range out {
		out[i].Place = i + 1
		if i < len(c.Prizes) {
			p := c.Prizes[i]
			out[i].Prize = &p
		}
	}
	return out, nil
}

// validatePartners checks the program's sales targets, co-marketing and contests: each
// one's own rules, unique IDs, dates, and amounts in the program's currency.
func (p Program) validatePartners(add func(error), money func(field string, m loyalty.Money)) {
	ids := map[loyalty.CampaignID]int{}
	for i, t := range p.SalesTargets {
		f := fmt.Sprintf("sales_targets[%d]", i)
		add(inField(f, t.Validate()))
		money(f+".credit", t.Credit)
		if j, dup := ids[t.ID]; dup && t.ID != "" {
			add(loyalty.Invalid(f+".id", string(t.ID), fmt.Sprintf("must be unique (also sales_targets[%d])", j)))
		} else {
			ids[t.ID] = i
		}
	}
	if c := p.CoMarketing; c != nil {
		add(inField("co_marketing", c.Validate()))
		money("co_marketing.max", c.Max)
	}
	ids = map[loyalty.CampaignID]int{}
	for i, c := range p.Contests {
		f := fmt.Sprintf("contests[%d]", i)
		add(inField(f, c.Validate()))
		for j, pz := range c.Prizes {
			money(fmt.Sprintf("%s.prizes[%d].credit", f, j), pz.Credit)
		}
		if j, dup := ids[c.ID]; dup && c.ID != "" {
			add(loyalty.Invalid(f+".id", string(c.ID), fmt.Sprintf("must be unique (also contests[%d])", j)))
		} else {
			ids[c.ID] = i
		}
	}
}
