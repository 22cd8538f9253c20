package points

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Rules are a program's earning rules: rates per category or SKU, exclusions, a bonus per
// order, earning events that are not purchases, a cap per period, the pending delay and the
// expiry of earned points. Rules is a plain value: build it as a struct literal, check it
// with [Rules.Validate], and share it freely; it is safe for concurrent use as long as
// nobody modifies it.
//
// Earning is computed by [Rules.Plan] as data (points per order line) and applied by a
// [Ledger], which enforces the cap, the pending delay and the expiry.
type Rules struct {
	// Rates are tried in order for every line; the first rate whose scope matches the line
	// decides what it earns. A line that no rate matches earns nothing from rates.
	Rates []Rate `json:"rates,omitempty"`
	// Exclude lists lines that earn nothing at all (items already on promotion, gift cards).
	Exclude Exclusions `json:"exclude,omitempty"`
	// OrderBonus is a fixed number of points per order, split over the order's eligible
	// (not excluded) lines in proportion to their value, so that a return reverses it line by
	// line. It is not multiplied. An order without eligible lines gets no bonus.
	OrderBonus Points `json:"order_bonus,omitempty"`
	// Events are earning events that are not purchases: a completed training course, a
	// recycled cartridge, a signed contract.
	Events []EventRule `json:"events,omitempty"`
	// Cap limits what one holder can earn in a calendar period ("at most 100 a month"),
	// purchases and events together. The zero Cap means no cap.
	Cap Cap `json:"cap,omitempty"`
	// PendingDays is the delay, in calendar days of the program's time zone, before points
	// earned by an order become active (the return window). Zero means points are active at
	// once. Points earned by events have no return window and are active at once.
	PendingDays int `json:"pending_days,omitempty"`
	// Expiry says when earned points expire. The zero Expiry means they never do.
	Expiry Expiry `json:"expiry,omitempty"`
	// Rounding rounds a fractional number of points (a share of the price, a multiplier)
	// to whole points, once per rate and order. The zero value is [loyalty.HalfUp]; choose
	// [loyalty.Down] to never round a point up. "Per full 10" blocks are always whole.
	Rounding loyalty.RoundingMode `json:"rounding,omitempty"`
}

// Rate says what the lines in its scope earn. Exactly one of three ways must be set:
//
//   - Points per full Per of value: Points 1, Per "10" is "1 point per full 10 spent"; the
//     value of all lines of the order the rate applies to is added up and floored to whole
//     blocks, and the points are split back over those lines by value.
//   - ShareOfPrice: a share of the value earned as points, one point per major currency
//     unit: "0.05" on a 9,000.00 ticket is 450 points. Rounded with [Rules.Rounding].
//   - PerUnit points per whole unit bought (12.5 litres is 12 units).
//
// A multiplier (a tier's ×1.5) multiplies what the rate earns before it is rounded once.
//
// Rate values are plain data, safe for concurrent use when not modified.
type Rate struct {
	// Categories, SKUs and Tags scope the rate: a line matches when it is in one of the
	// categories, is one of the SKUs, or carries one of the tags. A rate with no scope
	// matches every line (put it last, as the default rate).
	Categories []loyalty.CategoryID `json:"categories,omitempty"`
	SKUs       []loyalty.SKU        `json:"skus,omitempty"`
	Tags       []string             `json:"tags,omitempty"`

	Points       Points          `json:"points,omitempty"`         // points per block of Per
	Per          decimal.Decimal `json:"per,omitempty"`            // block size, in major units of the order currency
	ShareOfPrice decimal.Decimal `json:"share_of_price,omitempty"` // 0.05 = 5% of the value as points
	PerUnit      Points          `json:"per_unit,omitempty"`       // points per whole unit of quantity
}

// Exclusions name lines that earn nothing.
//
// Exclusions values are plain data, safe for concurrent use when not modified.
type Exclusions struct {
	Promotions bool                 `json:"promotions,omitempty"` // lines with OnPromotion set
	Tags       []string             `json:"tags,omitempty"`       // lines carrying any of these tags ("gift-card")
	Categories []loyalty.CategoryID `json:"categories,omitempty"`
	SKUs       []loyalty.SKU        `json:"skus,omitempty"`
}

// EventRule is an earning event that is not a purchase.
//
// EventRule values are plain data, safe for concurrent use when not modified.
type EventRule struct {
	Event  string `json:"event"`  // the event's name, such as "course-completed"
	Points Points `json:"points"` // points per occurrence
}

// Cap limits the points one holder earns in a calendar period of the program's time zone.
//
// Cap values are plain data, safe for concurrent use when not modified.
type Cap struct {
	Points Points         `json:"points,omitempty"` // the most a holder earns per period
	Period loyalty.Period `json:"period,omitempty"` // defaults to loyalty.Month
}

// IsZero reports whether c is the zero Cap (no cap).
func (c Cap) IsZero() bool { return c.Points == 0 && c.Period == "" }

// Expiry says when an earned lot of points expires: Months and Days after it was earned
// (months first, with month ends clamped by [loyalty.AddMonths]: 31 January + 1 month is
// 28 or 29 February), in the program's time zone. Points remain usable through that whole
// day and expire at the local midnight that ends it; with RoundTo they remain usable to the
// end of the calendar period containing that day (month, quarter, year) instead. The zero
// Expiry means points never expire.
//
// Expiry values are plain data, safe for concurrent use when not modified.
type Expiry struct {
	Months  int            `json:"months,omitempty"`
	Days    int            `json:"days,omitempty"`
	RoundTo loyalty.Period `json:"round_to,omitempty"`
}

// IsZero reports whether e means "never expires".
func (e Expiry) IsZero() bool { return e.Months == 0 && e.Days == 0 }

// Until returns the first instant at which points earned at earned are expired, computed in
// loc (nil means UTC), or the zero time when e is zero. Points are usable while now is
// before it.
func (e Expiry) Until(earned time.Time, loc *time.Location) time.Time {
	if e.IsZero() {
		return time.Time{}
	}
	if loc == nil {
		loc = time.UTC
	}
	last := loyalty.AddMonths(earned.In(loc), e.Months)
	if e.Days != 0 {
		last = last.AddDate(0, 0, e.Days)
	}
	if e.RoundTo != "" {
		return e.RoundTo.Next(last)
	}
	return loyalty.Day.Next(last)
}

// Validate checks e; errors name the field.
func (e Expiry) Validate() error {
	var errs []error
	if e.Months < 0 {
		errs = append(errs, loyalty.Invalid("months", e.Months, "must not be negative"))
	}
	if e.Days < 0 {
		errs = append(errs, loyalty.Invalid("days", e.Days, "must not be negative"))
	}
	if e.RoundTo != "" {
		if err := e.RoundTo.Validate(); err != nil {
			errs = append(errs, loyalty.Invalid("round_to", string(e.RoundTo), "must be one of day, week, month, quarter, half-year, year"))
		} else if e.IsZero() {
			errs = append(errs, loyalty.Invalid("round_to", string(e.RoundTo), "needs months or days"))
		}
	}
	return errors.Join(errs...)
}

// Validate checks r and reports every problem as a [*loyalty.FieldError] naming the field
// path, such as "rates[2].per: must be positive (got 0)", joined with [errors.Join].
func (r Rules) Validate() error {
	var errs []error
	for i, rate := range r.Rates {
		if err := rate.Validate(); err != nil {
			errs = append(errs, loyalty.InField(fmt.Sprintf("rates[%d]", i), err))
		}
	}
	for i, t := range r.Exclude.Tags {
		if t == "" {
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("exclude.tags[%d]", i), nil, "must not be empty"))
		}
	}
	if r.OrderBonus < 0 {
		errs = append(errs, loyalty.Invalid("order_bonus", r.OrderBonus, "must not be negative"))
	}
	seen := map[string]bool{}
	for i, ev := range r.Events {
		f := fmt.Sprintf("events[%d]", i)
		switch {
		case ev.Event == "":
			errs = append(errs, loyalty.Invalid(f+".event", nil, "is required"))
		case seen[ev.Event]:
			errs = append(errs, loyalty.Invalid(f+".event", ev.Event, "is listed twice"))
		}
		seen[ev.Event] = true
		if ev.Points <= 0 {
			errs = append(errs, loyalty.Invalid(f+".points", ev.Points, "must be positive"))
		}
	}
	if !r.Cap.IsZero() {
		if r.Cap.Points <= 0 {
			errs = append(errs, loyalty.Invalid("cap.points", r.Cap.Points, "must be positive"))
		}
		if r.Cap.Period != "" {
			if err := r.Cap.Period.Validate(); err != nil {
				errs = append(errs, loyalty.InField("cap", err))
			}
		}
	}
	if r.PendingDays < 0 {
		errs = append(errs, loyalty.Invalid("pending_days", r.PendingDays, "must not be negative"))
	}
	if err := r.Expiry.Validate(); err != nil {
		errs = append(errs, loyalty.InField("expiry", err))
	}
	if !r.Rounding.Valid() {
		errs = append(errs, loyalty.Invalid("rounding", r.Rounding, "unknown rounding mode"))
	}
	return errors.Join(errs...)
}

// Validate checks one rate; errors name the field.
func (r Rate) Validate() error {
	var errs []error
	ways := 0
	if r.Points != 0 || !r.Per.IsZero() {
		ways++
		if r.Points <= 0 {
			errs = append(errs, loyalty.Invalid("points", r.Points, "must be positive"))
		}
		if r.Per.Sign() <= 0 {
			errs = append(errs, loyalty.Invalid("per", r.Per, "must be positive"))
		}
	}
	if !r.ShareOfPrice.IsZero() {
		ways++
		if r.ShareOfPrice.Sign() < 0 {
			errs = append(errs, loyalty.Invalid("share_of_price", r.ShareOfPrice, "must be positive"))
		}
	}
	if r.PerUnit != 0 {
		ways++
		if r.PerUnit < 0 {
			errs = append(errs, loyalty.Invalid("per_unit", r.PerUnit, "must be positive"))
		}
	}
	switch {
	case ways == 0:
		errs = append(errs, loyalty.Invalid("points", nil, "is required: set points and per, share_of_price, or per_unit"))
	case ways > 1:
		errs = append(errs, loyalty.Invalid("points", nil, "set only one of points and per, share_of_price, per_unit"))
	}
	for i, t := range r.Tags {
		if t == "" {
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("tags[%d]", i), nil, "must not be empty"))
		}
	}
	return errors.Join(errs...)
}

// Cashback returns the rate's effective cashback: the share of the price it gives back when
// a point is worth pointValue (in major units), rounded half-up to precision decimals.
// Block rates are valued at whole blocks ("1 point per full 10" at 0.5 per point is 5%);
// ok is false for per-unit rates, whose cashback depends on the price.
func (r Rate) Cashback(pointValue decimal.Decimal, precision int32) (cashback decimal.Decimal, ok bool) {
	switch {
	case !r.ShareOfPrice.IsZero():
		return r.ShareOfPrice.Mul(pointValue).Round(precision), true
	case r.Points > 0 && r.Per.Sign() > 0:
		return decimal.New(int64(r.Points), 0).Mul(pointValue).DivRound(r.Per, precision), true
	}
	return decimal.Decimal{}, false
}

func (r *Rate) matches(l *loyalty.Line) bool {
	if len(r.Categories) == 0 && len(r.SKUs) == 0 && len(r.Tags) == 0 {
		return true
	}
	if slices.Contains(r.Categories, l.Category) || slices.Contains(r.SKUs, l.SKU) {
		return true
	}
	for _, t := range r.Tags {
		if l.HasTag(t) {
			return true
		}
	}
	return false
}

func (e *Exclusions) excludes(l *loyalty.Line) bool {
	if e.Promotions && l.OnPromotion {
		return true
	}
	if slices.Contains(e.Categories, l.Category) || slices.Contains(e.SKUs, l.SKU) {
		return true
	}
	for _, t := range e.Tags {
		if l.HasTag(t) {
			return true
		}
	}
	return false
}

// Plan is what an order or an event earns, as data: the points of every order line, so that
// a return can reverse exactly what a line earned. A Plan is computed by [Rules.Plan] or
// [Rules.PlanEvent] and applied by [Ledger.Earn], which may lower it to respect a cap.
//
// Plan values are plain data, safe for concurrent use when not modified.
type Plan struct {
	Order loyalty.OrderID `json:"order,omitempty"` // the order, for purchases
	Event string          `json:"event,omitempty"` // the event, for events that are not purchases
	Lines []LinePlan      `json:"lines,omitempty"` // one per order line, in order; nil for events
	Total Points          `json:"total"`           // the sum of Lines[i].Points (or the event's points)
}

// LinePlan is what one order line earns.
//
// LinePlan values are plain data, safe for concurrent use when not modified.
type LinePlan struct {
	Quantity loyalty.Quantity `json:"quantity"`           // the quantity bought, for proportional returns
	Points   Points           `json:"points"`             // rate and bonus points of the line
	Rate     int              `json:"rate"`               // index of the rate that applied, or -1
	Excluded bool             `json:"excluded,omitempty"` // the line is excluded from earning
}

// Plan computes what order o earns under r, with a multiplier (a tier's 1.5; the zero
// decimal means 1). It is pure: the cap, which depends on what the holder already earned,
// is applied by the [Ledger]. Errors name the offending field of r, of o, or "multiplier".
// It checks r every time; a [Planner] checks it once.
func (r Rules) Plan(o loyalty.Order, multiplier decimal.Decimal) (Plan, error) {
	if err := r.Validate(); err != nil {
		return Plan{}, fmt.Errorf("points: rules: %w", err)
	}
	var out [1]Plan
	err := r.plan(nil, o, nil, []decimal.Decimal{multiplier}, out[:], nil)
	return out[0], err
}

// Planner is [Rules] checked once and ready to plan many orders, as an engine does on every
// evaluation: [Planner.Plan] returns exactly what [Rules.Plan] returns, without checking the
// rules again, and [Planner.PlanPair] plans an order at two multipliers sharing the work the
// two have in common (a campaign's points are the plan at its multiplier less the plan
// without it). Rates and multipliers of up to 18 significant digits are computed in exact
// integer arithmetic ([loyalty.MulRound]: a decimal is an integer over a power of ten),
// rounded once as Rules.Plan rounds them; the rates' block sizes and shares are converted
// to integers once, when the Planner is made. A Planner is immutable and safe for
// concurrent use; the slices of its rules must not be modified.
type Planner struct {
	rules Rules
	calcs [calcDigits][]rateCalc // per currency digits, the rates ready to compute
	byCat *catTable              // the lines' rates by category, when categories decide them
}

// calcDigits bounds the currency digits (0 to 4: ISO 4217 has none beyond) whose rates a
// Planner converts once; orders in other currencies convert them on every plan.
const calcDigits = 5

// rateCalc is a rate in integers, for a currency of given digits.
type rateCalc struct {
	all      bool  // the rate has no scope: it matches every line
	cats     bool  // the rate's scope is categories only
	perMinor int64 // block rates: Per in minor units when a whole number of them; else 0
	shareC   int64 // share rates: ShareOfPrice as shareC·10^shareExp when shareOK
	shareExp int
	shareOK  bool
}

func newRateCalc(rate *Rate, digits int) rateCalc {
	c := rateCalc{all: len(rate.Categories) == 0 && len(rate.SKUs) == 0 && len(rate.Tags) == 0}
	c.cats = !c.all && len(rate.SKUs) == 0 && len(rate.Tags) == 0
	switch {
	case !rate.ShareOfPrice.IsZero():
		c.shareC, c.shareExp, c.shareOK = scaledOf(rate.ShareOfPrice)
	case rate.PerUnit == 0:
		c.perMinor, _ = minorUnits(rate.Per, int32(digits))
	}
	return c
}

// NewPlanner checks r with [Rules.Validate] and returns its Planner.
func NewPlanner(r Rules) (*Planner, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("points: rules: %w", err)
	}
	p := &Planner{rules: r, byCat: newCatTable(r.Rates)}
	all := make([]rateCalc, calcDigits*len(r.Rates))
	for d := range p.calcs {
		p.calcs[d] = all[d*len(r.Rates) : (d+1)*len(r.Rates) : (d+1)*len(r.Rates)]
		for k := range r.Rates {
			p.calcs[d][k] = newRateCalc(&r.Rates[k], d)
		}
	}
	return p, nil
}

// Rules returns the planner's rules.
func (p *Planner) Rules() Rules { return p.rules }

// Plan is [Rules.Plan] of the planner's rules, which are not checked again.
func (p *Planner) Plan(o loyalty.Order, multiplier decimal.Decimal) (Plan, error) {
	return p.PlanTotals(o, nil, multiplier)
}

// PlanPair returns the plans of o at multiplier and at other, as two calls of [Planner.Plan]
// would, checking the order and matching its lines to the rates once.
func (p *Planner) PlanPair(o loyalty.Order, multiplier, other decimal.Decimal) (Plan, Plan, error) {
	return p.PlanPairTotals(o, nil, multiplier, other)
}

// PlanTotals is [Planner.Plan] for an order the caller has validated
// ([loyalty.Order.Validate] returned nil), its lines valued at totals: it checks the order
// and computes the totals only when totals is nil. With the order's line totals
// ([loyalty.Line.Total] of every line, in order, as [loyalty.Order.LineTotals] returns
// them) the plan is Plan's. Other amounts value the lines otherwise: what each line costs
// after discounts, say. The plan reads of the order's lines only what scopes and excludes
// them (category, SKU, tags, the promotion flag) and their quantities, never their prices,
// so the plan of o at the paid amounts is Plan's of a copy of o whose lines have those
// totals: a caller need not build that copy. Amounts that are negative or not in the
// order's currency make the plan undefined.
func (p *Planner) PlanTotals(o loyalty.Order, totals []loyalty.Money, multiplier decimal.Decimal) (Plan, error) {
	return p.PlanTotalsInto(nil, o, totals, multiplier)
}

// PlanPairTotals is [Planner.PlanPair] with the order's line totals, like
// [Planner.PlanTotals].
func (p *Planner) PlanPairTotals(o loyalty.Order, totals []loyalty.Money, multiplier, other decimal.Decimal) (Plan, Plan, error) {
	return p.PlanPairTotalsInto(nil, nil, o, totals, multiplier, other)
}

// PlanTotalsInto is [Planner.PlanTotals] with the plan's lines in the memory of lines when
// its capacity holds one per order line (the plan's Lines are then lines[:len(o.Lines)],
// every element overwritten), and in new memory otherwise: a caller that keeps plans in
// memory of its own, such as a quote's, spares an allocation. The plan is the same. On an
// error the contents of lines are unspecified.
func (p *Planner) PlanTotalsInto(lines []LinePlan, o loyalty.Order, totals []loyalty.Money, multiplier decimal.Decimal) (Plan, error) {
	var out [1]Plan
	dst := [1][]LinePlan{lines}
	err := p.rules.plan(p, o, totals, []decimal.Decimal{multiplier}, out[:], dst[:])
	return out[0], err
}

// PlanPairTotalsInto is [Planner.PlanPairTotals] with the lines of the plan at multiplier
// in lines and those of the plan at other in otherLines, each as [Planner.PlanTotalsInto]
// keeps them.
func (p *Planner) PlanPairTotalsInto(lines, otherLines []LinePlan, o loyalty.Order, totals []loyalty.Money, multiplier, other decimal.Decimal) (Plan, Plan, error) {
	var out [2]Plan
	dst := [2][]LinePlan{lines, otherLines}
	if err := p.rules.plan(p, o, totals, []decimal.Decimal{multiplier, other}, out[:], dst[:]); err != nil {
		return Plan{}, Plan{}, err
	}
	return out[0], out[1], nil
}

// multiplier is a plan's multiplier, as a decimal and, when it has at most 18 significant
// digits, as c·10^exp with no trailing zeros in c.
type multiplier struct {
	d    decimal.Decimal
	c    int64
	exp  int
	ok   bool // c and exp hold d
	unit bool // d is 1
}

func newMultiplier(d decimal.Decimal) multiplier {
	var m multiplier
	m.set(d)
	return m
}

// set makes m the multiplier d.
func (m *multiplier) set(d decimal.Decimal) {
	m.d = d
	m.c, m.exp, m.ok = scaledOf(d)
	m.unit = m.ok && m.c == 1 && m.exp == 0
}

// scaledOf returns d as c·10^exp with no trailing zeros in c, when d has at most 18
// significant digits.
func scaledOf(d decimal.Decimal) (c int64, exp int, ok bool) {
	if d.NumDigits() > 18 {
		return 0, 0, false
	}
	c, exp = d.CoefficientInt64(), int(d.Exponent())
	if c == 0 {
		return 0, 0, true
	}
	for c%10 == 0 {
		c /= 10
		exp++
	}
	return c, exp, true
}

// mul64 returns a·b for non-negative a and b, when it fits an int64.
func mul64(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

// plan writes the plans of o at each of mults into out (of the same length). The order is
// checked and its lines matched to the rates once; only the rates' points depend on the
// multiplier. A rate's points are split over its own lines only. The plans' lines are in
// dst[j] (when not nil and of capacity for every line) or share one new allocation.
// lineTotals, when not nil, are the line totals of an order the caller has validated:
// neither is done again; otherwise the order's check computes them. p, when not nil, is the
// Planner of r, whose rates are converted and whose category table is built already.
func (r *Rules) plan(p *Planner, o loyalty.Order, lineTotals []loyalty.Money, mults []decimal.Decimal, out []Plan, dst [][]LinePlan) error {
	if lineTotals == nil {
		var totalsBuf [16]loyalty.Money // the line totals the order's check computes, kept
		lineTotals = totalsBuf[:0]
		if len(o.Lines) > len(totalsBuf) {
			lineTotals = make([]loyalty.Money, 0, len(o.Lines))
		}
		lineTotals = lineTotals[:len(o.Lines)]
		if err := o.ValidateInto(lineTotals, nil); err != nil {
			return fmt.Errorf("points: order: %w", err)
		}
	} else if len(lineTotals) != len(o.Lines) {
		return loyalty.Invalid("totals", len(lineTotals), fmt.Sprintf("must have one amount per order line (%d)", len(o.Lines)))
	}
	var msBuf [2]multiplier // converted in place: a multiplier is 56 bytes
	ms := msBuf[:]
	if len(mults) > len(msBuf) {
		ms = make([]multiplier, len(mults))
	}
	ms = ms[:len(mults)]
	for j, d := range mults {
		m := &ms[j]
		if d.IsZero() {
			*m = unitMultiplier
			continue
		}
		m.set(d)
		var sign int
		if m.ok { // the integer form has the sign: the decimal need not be asked again
			sign = cmp.Compare(m.c, 0)
		} else {
			sign = d.Sign()
		}
		if sign < 0 { // not zero: that was the unit multiplier above
			return loyalty.Invalid("multiplier", d, "must be positive")
		}
	}
	n := len(o.Lines)
	digits := o.Currency.Digits()
	var calcs []rateCalc
	var byCat *catTable
	if p != nil {
		byCat = p.byCat
		if digits < len(p.calcs) {
			calcs = p.calcs[digits]
		}
	}
	if calcs == nil {
		var calcBuf [8]rateCalc // Rules.Plan: the rates converted for this order's currency
		calcs = calcBuf[:0]
		for k := range r.Rates {
			calcs = append(calcs, newRateCalc(&r.Rates[k], digits))
		}
	}
	nr := len(calcs)
	// Working memory: 3 int64 per line and 2 per rate; small orders keep it on the stack,
	// larger ones (or many rates) in pooled memory.
	var buf [3*16 + 2*8]int64
	var partsBuf [16]Points
	ints, parts := buf[:], partsBuf[:]
	if n > len(partsBuf) || nr > 8 {
		sc, _ := scratchPool.Get().(*planScratch)
		if sc == nil {
			sc = new(planScratch)
		}
		if len(sc.ints) < 3*n+2*nr || len(sc.parts) < n {
			sc.ints, sc.parts = make([]int64, 3*n+2*nr), make([]Points, n)
		}
		ints, parts = sc.ints, sc.parts
		defer scratchPool.Put(sc)
	}
	// The lines' values are lineTotals' minor units. rateOf: each line's rate (-1: none,
	// -2: excluded); weights and idx: the values and positions of the rates' lines, rate
	// after rate (of the eligible lines, for the order bonus); cnt and group: each rate's
	// number of lines and their value; parts: one list for every split of the plans
	rateOf, weights, idx := ints[:n:n], ints[n:2*n:2*n], ints[2*n:3*n:3*n]
	cnt, group := ints[3*n:3*n+nr:3*n+nr], ints[3*n+nr:3*n+2*nr:3*n+2*nr]
	clear(cnt)
	clear(group)
	parts = parts[:n:n]
	var all []LinePlan // the plans' lines without memory of the caller's
	for j := range ms {
		var lines []LinePlan
		if j < len(dst) && cap(dst[j]) >= n {
			lines = dst[j][:n:n]
		} else {
			if all == nil {
				all = make([]LinePlan, n*len(ms))
			}
			lines = all[j*n : (j+1)*n : (j+1)*n]
		}
		out[j] = Plan{Order: o.ID, Lines: lines}
	}
	first := out[0].Lines
	ex := &r.Exclude
	exclude := ex.Promotions || len(ex.Tags) > 0 || len(ex.Categories) > 0 || len(ex.SKUs) > 0
	anyEligible := false
	olines := o.Lines
	rateOf, first = rateOf[:len(olines)], first[:len(olines)] // one length: no bounds checks
	rates := r.Rates[:nr]
	rest := olines                // the lines this loop matches
	if !exclude && byCat != nil { // the common rules: a loop of its own, on fewer registers
		byCat.match(olines, lineTotals, rateOf, cnt, group, idx, weights, first)
		// Every line is eligible: is one worth something? Asked only for a bonus.
		for i := 0; r.OrderBonus > 0 && i < len(lineTotals) && !anyEligible; i++ {
			anyEligible = lineTotals[i].MinorUnits() > 0
		}
		rest = nil
	}
	for i, t := range lineTotals[:len(rest)] {
		l := &rest[i]
		v := t.MinorUnits()
		k := -1
		switch {
		case exclude && ex.excludes(l):
			k = -2
		case byCat != nil:
			k = byCat.rate(l.Category)
		default:
		rates:
			for c := range calcs {
				switch rc := &calcs[c]; {
				case rc.all:
				case rc.cats: // the common scope, compared here
					if !slices.Contains(rates[c].Categories, l.Category) {
						continue
					}
				case !rates[c].matches(l):
					continue
				}
				k = c
				break rates
			}
		}
		if k >= 0 {
			cnt[k]++
			group[k] += v
		}
		anyEligible = anyEligible || k != -2 && v > 0
		rateOf[i] = int64(k)
		first[i] = LinePlan{Quantity: l.Quantity, Rate: max(k, -1), Excluded: k == -2}
	}
	for j := 1; j < len(out); j++ {
		copy(out[j].Lines, first)
	}
	if rest != nil {
		// Each rate's lines, in order, in idx and weights, rate after rate; cnt holds the
		// start offsets while the lines are placed, and the ends after.
		startsOf(cnt)
		for i, k := range rateOf {
			if k >= 0 {
				at := cnt[k]
				idx[at], weights[at] = int64(i), lineTotals[i].MinorUnits()
				cnt[k] = at + 1
			}
		}
	}
	// What each plan earns, summed as it is split: the plan's total unless it went beyond
	// int64 (or a part was negative), when the lines are added up to name the overflow.
	var sumsBuf [2]uint64
	sums := sumsBuf[:0]
	for range ms {
		sums = append(sums, 0)
	}
	exact := true
	add := func(j int, pts Points) {
		if pts < 0 {
			exact = false
		}
		sums[j] += uint64(pts)
		if sums[j] > math.MaxInt64 {
			exact = false
		}
	}
	var from int64
	for k, end := range cnt {
		ix, ws := idx[from:end], weights[from:end]
		from = end
		if len(ix) == 0 {
			continue
		}
		rate := &rates[k]
		if rate.PerUnit != 0 { // per line: whole units of each line
			for _, i := range ix {
				units := olines[i].Quantity.Floor()
				for j := range ms {
					pts, err := perUnitPoints(units, rate.PerUnit, &ms[j], r.Rounding)
					if err != nil {
						return err
					}
					out[j].Lines[i].Points = pts
					add(j, pts)
				}
			}
			continue
		}
		for j := range ms {
			pts, err := rate.points(k, group[k], digits, &calcs[k], &ms[j], r.Rounding)
			if err != nil {
				return err
			}
			if pts == 0 {
				continue
			}
			add(j, pts)
			lines := out[j].Lines
			if len(ix) == 1 { // all of it: points only come from a positive value
				lines[ix[0]].Points += pts
				continue
			}
			ps := parts[:len(ix)]
			if err := loyalty.AllocateInts(ps, pts, ws); err != nil {
				return fmt.Errorf("points: rates[%d]: %w", k, err)
			}
			for x, part := range ps {
				lines[ix[x]].Points += part
			}
		}
	}
	bonus := r.OrderBonus > 0 && anyEligible
	if bonus {
		for i, rk := range rateOf { // the bonus is split over the lines not excluded
			weights[i] = 0
			if rk != -2 {
				weights[i] = lineTotals[i].MinorUnits()
			}
		}
	}
	for j := range out {
		p := &out[j]
		if bonus {
			if err := addAllocatedInto(p.Lines, r.OrderBonus, weights, parts); err != nil {
				return fmt.Errorf("points: order_bonus: %w", err)
			}
			add(j, r.OrderBonus)
		}
		if exact {
			p.Total = Points(sums[j])
			continue
		}
		var total Points
		for _, lp := range p.Lines {
			s := total + lp.Points
			if lp.Points > 0 && s < total || lp.Points < 0 && s > total {
				_, err := addPoints(total, lp.Points)
				return err
			}
			total = s
		}
		p.Total = total
	}
	return nil
}

// catTable finds the rate of a line by its category alone, for rules whose rates are all
// scoped by categories only or not at all: the first rate naming a category, unless a rate
// without scope comes before it.
type catTable struct {
	cats  []loyalty.CategoryID // the categories named before the first rate without scope
	rates []int                // the first rate naming cats[i]
	any   int                  // the first rate without scope, or -1
}

// newCatTable returns the category table of rates, or nil when a rate is scoped by SKUs or
// tags.
func newCatTable(rates []Rate) *catTable {
	t := &catTable{any: -1}
	for k := range rates {
		rate := &rates[k]
		if len(rate.SKUs) > 0 || len(rate.Tags) > 0 {
			return nil
		}
		if len(rate.Categories) == 0 {
			if t.any < 0 {
				t.any = k
			}
			continue
		}
		if t.any >= 0 {
			continue // matched by the rate without scope first
		}
		for _, c := range rate.Categories {
			if !slices.Contains(t.cats, c) {
				t.cats = append(t.cats, c)
				t.rates = append(t.rates, k)
			}
		}
	}
	return t
}

// match is the planner's pass over the lines (see plan) for rules without exclusions whose
// rates t decides: it writes each line's rate to rateOf, places each
// rate's lines (positions and values) in idx and weights, rate after rate, with cnt (zero
// on the way in) holding the ends of the rates' lists on the way out, adds each rate's
// values to group and writes each line's plan without points to first.
func (t *catTable) match(olines []loyalty.Line, totals []loyalty.Money, rateOf, cnt, group, idx, weights []int64, first []LinePlan) {
	n := len(olines)
	totals, rateOf, first = totals[:n], rateOf[:n], first[:n] // one length: no bounds checks
	// The rates and the lines' plans first, in a loop of their own: the string comparisons'
	// calls spill what is live, little here; the placement after needs only the values.
	for i := range olines {
		l := &olines[i]
		k := t.rate(l.Category)
		rateOf[i] = int64(k)
		first[i] = LinePlan{Quantity: l.Quantity, Rate: k}
		if k >= 0 {
			cnt[k]++
		}
	}
	startsOf(cnt)
	for i, total := range totals {
		v := total.MinorUnits()
		k := int(rateOf[i])
		if k >= 0 {
			at := cnt[k]
			idx[at], weights[at] = int64(i), v
			cnt[k] = at + 1
			group[k] += v
		}
	}
}

// startsOf turns the rates' numbers of lines into the offsets at which their lines start
// in a list of every rate's lines, rate after rate.
func startsOf(cnt []int64) {
	var start int64
	for k, c := range cnt {
		cnt[k] = start
		start += c
	}
}

// rate returns the rate of a line of category c, or -1.
func (t *catTable) rate(c loyalty.CategoryID) int {
	for i, tc := range t.cats {
		if tc == c {
			return t.rates[i]
		}
	}
	return t.any
}

// planScratch is the working memory of a plan of more than 16 lines or 8 rates: every
// value is written before it is read, so a plan takes it from scratchPool as it was left.
type planScratch struct {
	ints  []int64  // 4 per line and 2 per rate
	parts []Points // 1 per line
}

var scratchPool sync.Pool // *planScratch

// addAllocatedInto splits p over lines by weights (largest remainder), in parts' memory (of
// the lines' length), and adds the parts to the lines' points.
func addAllocatedInto(lines []LinePlan, p Points, weights []int64, parts []Points) error {
	if err := loyalty.AllocateInts(parts, p, weights); err != nil {
		return fmt.Errorf("points: %w", err)
	}
	for i, x := range parts {
		lines[i].Points += x
	}
	return nil
}

// perUnitPoints is what whole units of a line earn at perUnit points each, multiplied and
// rounded once.
func perUnitPoints(units int64, perUnit Points, m *multiplier, mode loyalty.RoundingMode) (Points, error) {
	if m.ok {
		if a, ok := mul64(units, int64(perUnit)); ok {
			if v, err := loyalty.MulRound(a, m.c, m.exp, mode); err == nil {
				return Points(v), nil
			}
		}
	}
	// Beyond int64 on the way: the exact decimal path, which reports an overflow.
	return roundPoints(decimal.New(units, 0).Mul(decimal.New(int64(perUnit), 0)).Mul(m.d), mode)
}

// points is what the lines of rate k, worth group minor units of a currency with digits
// decimals, earn at multiplier m, rounded once with mode (blocks are whole: "per full 10").
// c is the rate in integers for that currency; the zero rateCalc takes the exact decimal
// path.
func (rate *Rate) points(k int, group int64, digits int, c *rateCalc, m *multiplier, mode loyalty.RoundingMode) (Points, error) {
	// c.perMinor is set for block rates only and c.shareOK for share rates only: the
	// decimal need not be asked which kind the rate is.
	if c.perMinor > 0 {
		// Whole blocks times points per block, times the multiplier.
		blocks := group / c.perMinor
		pts, fits := mul64(blocks, int64(rate.Points))
		switch {
		case m.unit && !fits:
			return 0, fmt.Errorf("points: rates[%d]: %w", k, loyalty.ErrOverflow)
		case m.unit:
			return Points(pts), nil
		case fits && m.ok:
			if m.exp == 0 { // a whole multiplier (×2): nothing to round
				if v, ok := mul64(pts, m.c); ok {
					return Points(v), nil
				}
			}
			if v, err := loyalty.MulRound(pts, m.c, m.exp, mode); err == nil {
				return Points(v), nil
			}
		}
	} else if c.shareOK && m.ok {
		// value × share × multiplier: group minor units × (c·m.c)·10^(exp+m.exp-digits).
		if cm, ok := mul64(c.shareC, m.c); ok {
			if v, err := loyalty.MulRound(group, cm, c.shareExp+m.exp-digits, mode); err == nil {
				return Points(v), nil
			}
		}
	}
	// Rates of more digits, blocks that are not whole minor units, results beyond int64:
	// the exact decimal path.
	var exact decimal.Decimal
	value := decimal.New(group, -int32(digits))
	if !rate.ShareOfPrice.IsZero() {
		exact = value.Mul(rate.ShareOfPrice).Mul(m.d)
	} else {
		blocks, _ := value.QuoRem(rate.Per, 0) // whole blocks: "per full 10"
		exact = blocks.Mul(decimal.New(int64(rate.Points), 0)).Mul(m.d)
	}
	return roundPoints(exact, mode)
}

// PlanEvent computes what count occurrences of event earn. Unknown events, and counts that
// are not positive, are errors naming the field.
func (r Rules) PlanEvent(event string, count int64) (Plan, error) {
	if count <= 0 {
		return Plan{}, loyalty.Invalid("count", count, "must be positive")
	}
	for _, ev := range r.Events {
		if ev.Event == event {
			total := ev.Points * Points(count)
			if total/Points(count) != ev.Points {
				return Plan{}, fmt.Errorf("points: %w: %d × %d", loyalty.ErrOverflow, ev.Points, count)
			}
			return Plan{Event: event, Total: total}, nil
		}
	}
	return Plan{}, loyalty.Invalid("event", event, "is not an earning event of the program")
}

// Validate checks that p is a well-formed plan: non-negative points whose lines sum to
// Total, and either an order or an event.
func (p Plan) Validate() error {
	var errs []error
	if p.Order == "" && p.Event == "" {
		errs = append(errs, loyalty.Invalid("order", nil, "or event is required"))
	}
	if p.Order != "" && p.Event != "" {
		errs = append(errs, loyalty.Invalid("event", p.Event, "must be empty for an order plan"))
	}
	if p.Total < 0 {
		errs = append(errs, loyalty.Invalid("total", p.Total, "must not be negative"))
	}
	if p.Order != "" {
		if len(p.Lines) == 0 {
			errs = append(errs, loyalty.Invalid("lines", nil, "must not be empty for an order"))
		}
		var sum Points
		for i, l := range p.Lines {
			if l.Points < 0 {
				errs = append(errs, loyalty.Invalid(fmt.Sprintf("lines[%d].points", i), l.Points, "must not be negative"))
			}
			if l.Quantity.Sign() <= 0 {
				errs = append(errs, loyalty.Invalid(fmt.Sprintf("lines[%d].quantity", i), l.Quantity, "must be positive"))
			}
			sum += l.Points
		}
		if len(errs) == 0 && sum != p.Total {
			errs = append(errs, loyalty.Invalid("total", p.Total, fmt.Sprintf("must equal the sum of the lines (%d)", sum)))
		}
	} else if len(p.Lines) > 0 {
		errs = append(errs, loyalty.Invalid("lines", len(p.Lines), "must be empty for an event"))
	}
	return errors.Join(errs...)
}

// capped returns p lowered to at most allowed points, the lines lowered in proportion to
// what they earned (largest remainder), so that returns still reverse per line.
func (p Plan) capped(allowed Points) (Plan, error) {
	if allowed >= p.Total {
		return p, nil
	}
	if allowed < 0 {
		allowed = 0
	}
	out := p
	out.Total = allowed
	if len(p.Lines) == 0 {
		return out, nil
	}
	out.Lines = slices.Clone(p.Lines)
	weights := make([]int64, len(p.Lines))
	for i, l := range p.Lines {
		weights[i] = int64(l.Points)
	}
	parts, err := allocatePoints(allowed, weights)
	if err != nil {
		return Plan{}, err
	}
	for i := range out.Lines {
		out.Lines[i].Points = parts[i]
	}
	return out, nil
}

var one = decimal.New(1, 0)

// unitMultiplier is the multiplier of plans at the zero decimal: 1.
var unitMultiplier = newMultiplier(one)

// minorUnits returns d (an amount in major units) as a positive whole number of minor units
// of a currency with digits decimals, when it is one and fits an int64.
func minorUnits(d decimal.Decimal, digits int32) (int64, bool) {
	if d.Sign() <= 0 || d.NumDigits() > 18 {
		return 0, false
	}
	coef, exp := d.CoefficientInt64(), d.Exponent()+digits
	for ; exp > 0; exp-- {
		if coef > math.MaxInt64/10 {
			return 0, false
		}
		coef *= 10
	}
	for ; exp < 0; exp++ {
		if coef%10 != 0 {
			return 0, false
		}
		coef /= 10
	}
	return coef, true
}
