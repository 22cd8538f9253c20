package campaign

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/shopspring/decimal"
)

// Campaign is a time-boxed promotion: when it runs ([Schedule]), for whom ([Audience]), on
// which orders ([Conditions]), what it gives ([Action]), by what chance ([Chance]) and how
// much it may cost in all ([Budget]). It is plain data, part of a [Program]; safe for
// concurrent use when not modified.
//
// Campaigns are considered in order of decreasing Priority, then increasing ID. One that
// applies and is Exclusive keeps every later campaign from applying to the order.
type Campaign struct {
	// ID names the campaign uniquely within the program. Required. Its discount appears in
	// results as "campaign:<ID>".
	ID loyalty.CampaignID `json:"id"`
	// Name is an optional description used in explanations.
	Name string `json:"name,omitempty"`
	// Priority orders the campaigns: higher first; ties by ID.
	Priority int `json:"priority,omitempty"`
	// Exclusive, when the campaign applies, keeps the campaigns after it from applying. This
	// is decided before money budgets: should the campaign then be dropped for its money
	// budget, the campaigns it excluded stay out of the order.
	Exclusive bool `json:"exclusive,omitempty"`
	// Schedule is when orders qualify, by the time the order was placed, in the program's
	// time zone. Required: an end date, or recurring windows.
	Schedule Schedule `json:"schedule"`
	// Audience is which accounts qualify; the zero Audience is everyone.
	Audience Audience `json:"audience,omitzero"`
	// Conditions are what the order must contain; the zero Conditions accept any order.
	Conditions Conditions `json:"conditions,omitzero"`
	// Actions are what the campaign gives. At least one is required; at most one discount
	// and one multiplier.
	Actions []Action `json:"actions"`
	// Chance, when set, makes the campaign an instant win: it applies only to the orders the
	// seeded draw picks.
	Chance *Chance `json:"chance,omitempty"`
	// Budget caps what the campaign gives in all; the zero Budget is unlimited.
	Budget Budget `json:"budget,omitzero"`
}

// Date is a calendar day in the program's time zone, written "2006-01-02". It is a plain
// string value, safe for concurrent use.
type Date string

// parse returns the start of the day in loc.
func (d Date) parse(loc *time.Location) (time.Time, error) {
	t, err := time.Parse("2006-01-02", string(d))
	if err != nil {
		return time.Time{}, loyalty.Invalid("", string(d), "must be a date written 2006-01-02")
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc), nil
}

// Schedule says when a campaign runs, by local calendar days of the program's time zone
// (midnight to midnight, daylight saving time included). It is plain data, safe for
// concurrent use when not modified.
//
// A one-off campaign runs from Start (inclusive; "" means from the beginning) through End
// (inclusive, required). A recurring campaign lists Holidays: it runs from DaysBefore days
// before each holiday through DaysAfter days after it ("from 7 days before each holiday":
// DaysBefore 7), and Start and End, when given, bound those windows.
type Schedule struct {
	Start      Date   `json:"start,omitempty"`
	End        Date   `json:"end,omitempty"`
	Holidays   []Date `json:"holidays,omitempty"`
	DaysBefore int    `json:"days_before,omitempty"`
	DaysAfter  int    `json:"days_after,omitempty"`
}

// Recurring reports whether the schedule repeats around holidays.
func (s Schedule) Recurring() bool { return len(s.Holidays) > 0 }

// Active reports whether the schedule covers the instant at in the time zone loc (nil
// means UTC). Dates that do not parse cover nothing; [Program.Validate] reports them.
func (s Schedule) Active(at time.Time, loc *time.Location) bool {
	c := s.compile()
	return c.active(at, loc)
}

// civil is a parsed [Date]; ok is false for one that does not parse.
type civil struct {
	y     int
	m     time.Month
	d     int
	ok    bool
	given bool
}

func (d Date) civil() civil {
	if d == "" {
		return civil{}
	}
	t, err := time.Parse("2006-01-02", string(d))
	if err != nil {
		return civil{given: true}
	}
	return civil{y: t.Year(), m: t.Month(), d: t.Day(), ok: true, given: true}
}

// midnight is the local midnight n days after the date in loc.
func (c civil) midnight(n int, loc *time.Location) time.Time {
	return time.Date(c.y, c.m, c.d+n, 0, 0, 0, 0, loc)
}

// schedule is a [Schedule] with its dates parsed once, and with the instants it covers in
// one time zone when compiled by compileIn.
type schedule struct {
	start, end            civil
	holidays              []civil
	daysBefore, daysAfter int

	// in is the zone of spans, nil when not computed; spans are the instants the schedule
	// covers in that zone, as half-open ranges [from, to) of Unix seconds: one for a
	// one-off campaign, one per holiday window (bounded by start and end) for a recurring
	// one, none for one that never runs. Local midnights fall on whole seconds, so an
	// instant is in a range exactly when its Unix second is.
	in    *time.Location
	spans [][2]int64
}

// compileIn is compile with the instants the schedule covers in loc (nil means UTC)
// computed once, for the evaluations of an engine in that zone.
func (s Schedule) compileIn(loc *time.Location) schedule {
	if loc == nil {
		loc = time.UTC
	}
	out := s.compile()
	out.in, out.spans = loc, out.spansIn(loc)
	return out
}

// spansIn returns the spans of the schedule in loc (see schedule.spans): what active
// decides at every call, computed once.
func (s *schedule) spansIn(loc *time.Location) [][2]int64 {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if s.start.given {
		if !s.start.ok {
			return nil
		}
		from = s.start.midnight(0, loc).Unix()
	}
	recurring := len(s.holidays) > 0
	switch {
	case s.end.given:
		if !s.end.ok {
			return nil
		}
		to = s.end.midnight(1, loc).Unix()
	case !recurring:
		return nil
	}
	if !recurring {
		if from >= to {
			return nil
		}
		return [][2]int64{{from, to}}
	}
	var spans [][2]int64
	for _, h := range s.holidays {
		if !h.ok {
			continue
		}
		a, b := max(from, h.midnight(-s.daysBefore, loc).Unix()), min(to, h.midnight(s.daysAfter+1, loc).Unix())
		if a < b {
			spans = append(spans, [2]int64{a, b})
		}
	}
	return spans
}

// activeAt reports whether a schedule compiled by compileIn covers the instant of Unix
// second sec (in any zone: the spans are instants).
func (s *schedule) activeAt(sec int64) bool {
	for _, w := range s.spans {
		if sec >= w[0] && sec < w[1] {
			return true
		}
	}
	return false
}

func (s Schedule) compile() schedule {
	out := schedule{start: s.Start.civil(), end: s.End.civil(), daysBefore: s.DaysBefore, daysAfter: s.DaysAfter}
	for _, h := range s.Holidays {
		out.holidays = append(out.holidays, h.civil())
	}
	return out
}

func (s *schedule) active(at time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	if s.in == loc { // the instants were computed in this zone
		return s.activeAt(at.Unix())
	}
	recurring := len(s.holidays) > 0
	if s.start.given {
		if !s.start.ok || at.Before(s.start.midnight(0, loc)) {
			return false
		}
	}
	switch {
	case s.end.given:
		if !s.end.ok || !at.Before(s.end.midnight(1, loc)) {
			return false
		}
	case !recurring:
		return false
	}
	if !recurring {
		return true
	}
	for _, h := range s.holidays {
		if h.ok && !at.Before(h.midnight(-s.daysBefore, loc)) && at.Before(h.midnight(s.daysAfter+1, loc)) {
			return true
		}
	}
	return false
}

// nextDay is the local midnight n days after the local midnight day.
func nextDay(day time.Time, n int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+n, 0, 0, 0, 0, day.Location())
}

// Audience says which accounts a campaign is for. Every non-zero field must hold. It is
// plain data, safe for concurrent use when not modified.
type Audience struct {
	// Tiers are the names of the levels that qualify; empty means any level.
	Tiers []string `json:"tiers,omitempty"`
	// Segments are named segments, one of which the caller must list in
	// EvaluateOptions.Segments (the library does not compute segments).
	Segments []string `json:"segments,omitempty"`
	// Newcomers limits the campaign to accounts without a committed order (fully returned
	// orders do not count).
	Newcomers bool `json:"newcomers,omitempty"`
	// Account limits the campaign to one account: a personal promotion.
	Account loyalty.AccountID `json:"account,omitempty"`
	// MinTenureMonths limits the campaign to accounts whose first committed order was placed
	// at least that many months before the order (AccountRecord.Since).
	MinTenureMonths int `json:"min_tenure_months,omitempty"`
}

// isZero reports whether the audience is everyone.
func (a *Audience) isZero() bool {
	return len(a.Tiers) == 0 && len(a.Segments) == 0 && !a.Newcomers && a.Account == "" && a.MinTenureMonths == 0
}

// Conditions are what an order must contain for a campaign. Categories and SKUs select the
// eligible lines (any line in one of the categories or with one of the SKUs; every line when
// both are empty); at least one line must be eligible, and the eligible lines must reach
// MinAmount (their total before discounts) and MinQuantity (their summed quantity). The
// campaign's discount, bonus points and perk values go to the eligible lines. It is plain
// data, safe for concurrent use when not modified.
type Conditions struct {
	MinAmount   loyalty.Money        `json:"min_amount,omitzero"`
	Categories  []loyalty.CategoryID `json:"categories,omitempty"`
	SKUs        []loyalty.SKU        `json:"skus,omitempty"`
	MinQuantity loyalty.Quantity     `json:"min_quantity,omitzero"`
}

// eligible returns the indexes of the order's lines the conditions select.
func (c Conditions) eligible(o loyalty.Order) []int {
	var out []int
	for i, l := range o.Lines {
		if len(c.Categories) == 0 && len(c.SKUs) == 0 ||
			slices.Contains(c.Categories, l.Category) || slices.Contains(c.SKUs, l.SKU) {
			out = append(out, i)
		}
	}
	return out
}

// ActionKind is what an [Action] gives. It is a plain string value, safe for concurrent use.
type ActionKind string

// The kinds of actions.
const (
	// ActionDiscount takes Percent (0–100) or Amount off the eligible lines, as the
	// discount candidate "campaign:<ID>", stacking under the policy's Stacking, cap and
	// margin floor.
	ActionDiscount ActionKind = "discount"
	// ActionPoints adds Points bonus points to the company's earning, spread over the
	// eligible lines by value.
	ActionPoints ActionKind = "points"
	// ActionMultiplier multiplies the order's base earning by Multiplier (> 1). The
	// multipliers of several campaigns add their extras (×2 and ×1.5 make ×2.5); the result
	// multiplies the tier's multiplier before the plan's single rounding.
	ActionMultiplier ActionKind = "multiplier"
	// ActionCode issues one new code of the promo family Definition to the account when the
	// order commits (promo.Service.Generate, bound to the account). The return after which
	// the order no longer meets the campaign's conditions (a full return always) revokes
	// the code, unless it has been used (see [Engine.Return]).
	ActionCode ActionKind = "code"
	// ActionPerk grants the named Perk (a gift, a free delivery, a dessert), which the
	// caller delivers; Value is its cost to the program.
	ActionPerk ActionKind = "perk"
)

// Action is one thing a campaign gives. The fields used depend on Kind (see the kinds). It
// is plain data, safe for concurrent use when not modified.
type Action struct {
	Kind       ActionKind         `json:"kind"`
	Percent    decimal.Decimal    `json:"percent,omitzero"`
	Amount     loyalty.Money      `json:"amount,omitzero"`
	Points     points.Points      `json:"points,omitempty"`
	Multiplier decimal.Decimal    `json:"multiplier,omitzero"`
	Definition promo.DefinitionID `json:"definition,omitempty"`
	Perk       string             `json:"perk,omitempty"`
	Value      loyalty.Money      `json:"value,omitzero"`
}

// Chance makes a campaign an instant win: an order wins with probability Wins/OutOf ("1 in
// 4": Wins 1, OutOf 4). The draw is a pure function of Seed, the campaign ID and the order
// ID, so it is reproducible: evaluating or committing the same order again draws the same
// result, and a simulation replays the same winners. Precisely: the SHA-256 of Seed (8 bytes,
// big-endian), the length of the campaign ID (8 bytes, big-endian), the campaign ID and the
// order ID; its first 8 bytes as a big-endian integer modulo OutOf is the roll, which wins
// below Wins. It is plain data, safe for concurrent use when not modified.
type Chance struct {
	Wins  int    `json:"wins"`
	OutOf int    `json:"out_of"`
	Seed  uint64 `json:"seed,omitempty"`
}

// Draw returns the draw of order for campaign id: a number in [0, OutOf), and whether it
// wins (below Wins).
func (c Chance) Draw(id loyalty.CampaignID, order loyalty.OrderID) (int, bool) {
	if c.OutOf <= 0 {
		return 0, false
	}
	// SHA-256 of the seed, the length of id (which keeps (id, order) pairs apart), id and
	// order, hashed at once from one buffer (on the stack for usual IDs).
	var buf [128]byte
	msg := binary.BigEndian.AppendUint64(buf[:0], c.Seed)
	msg = binary.BigEndian.AppendUint64(msg, uint64(len(id)))
	msg = append(append(msg, id...), order...)
	sum := sha256.Sum256(msg)
	roll := int(binary.BigEndian.Uint64(sum[:8]) % uint64(c.OutOf))
	return roll, roll < c.Wins
}

// Budget caps what a campaign gives over its whole life, never exceeded under concurrent
// commits: Money its cost (the discounts it gave, the money value of its bonus and
// multiplier points at the program's point value, and its perks' values), Uses the orders
// it applies to, PerAccount the orders per account. Zero fields mean no cap. A return gives
// back the returned lines' share of the cost, and the use once the order is fully
// returned. It is plain data, safe for concurrent use when not modified.
type Budget struct {
	Money      loyalty.Money `json:"money,omitzero"`
	Uses       int64         `json:"uses,omitempty"`
	PerAccount int64         `json:"per_account,omitempty"`
}

// IsZero reports whether the budget caps nothing.
func (b Budget) IsZero() bool { return b.Money.IsZero() && b.Uses == 0 && b.PerAccount == 0 }

// validateCampaigns checks the program's campaigns.
func (p Program) validateCampaigns(add func(error)) {
	loc, err := p.Location()
	if err != nil {
		loc = time.UTC
	}
	cur := p.Currency
	ids := map[loyalty.CampaignID]bool{}
	levels := map[string]bool{}
	if p.Tiers != nil {
		for _, l := range p.Tiers.Levels {
			levels[l.Name] = true
		}
	}
	defs := map[promo.DefinitionID]bool{}
	for _, d := range p.Codes.Definitions {
		defs[d.ID] = true
	}
	money := func(field string, m loyalty.Money, positive bool) {
		switch {
		case !m.IsZero() && !cur.IsZero() && m.Currency() != cur:
			add(loyalty.Invalid(field, m, "must be in the program currency "+cur.Code()))
		case m.IsNegative() || positive && !m.IsPositive():
			add(loyalty.Invalid(field, m, "must be positive"))
		}
	}
	for i, c := range p.Campaigns {
		f := fmt.Sprintf("campaigns[%d]", i)
		switch {
		case c.ID == "":
			add(loyalty.Invalid(f+".id", nil, "is required"))
		case ids[c.ID]:
			add(loyalty.Invalid(f+".id", string(c.ID), "is used by another campaign"))
		}
		ids[c.ID] = true
		// Schedule.
		s := c.Schedule
		var start, end time.Time
		if s.Start != "" {
			if start, err = s.Start.parse(loc); err != nil {
				add(loyalty.Invalid(f+".schedule.start", string(s.Start), "must be a date written 2006-01-02"))
			}
		}
		if s.End != "" {
			if end, err = s.End.parse(loc); err != nil {
				add(loyalty.Invalid(f+".schedule.end", string(s.End), "must be a date written 2006-01-02"))
			}
		} else if !s.Recurring() {
			add(loyalty.Invalid(f+".schedule.end", nil, "is required unless the campaign recurs around holidays"))
		}
		if !start.IsZero() && !end.IsZero() && end.Before(start) {
			add(loyalty.Invalid(f+".schedule.end", string(s.End), "must not be before start "+string(s.Start)))
		}
		for j, h := range s.Holidays {
			if _, err := h.parse(loc); err != nil {
				add(loyalty.Invalid(fmt.Sprintf("%s.schedule.holidays[%d]", f, j), string(h), "must be a date written 2006-01-02"))
			}
		}
		if s.DaysBefore < 0 || s.DaysBefore > 366 {
			add(loyalty.Invalid(f+".schedule.days_before", s.DaysBefore, "must be between 0 and 366"))
		}
		if s.DaysAfter < 0 || s.DaysAfter > 366 {
			add(loyalty.Invalid(f+".schedule.days_after", s.DaysAfter, "must be between 0 and 366"))
		}
		if !s.Recurring() && (s.DaysBefore != 0 || s.DaysAfter != 0) {
			add(loyalty.Invalid(f+".schedule.holidays", nil, "are required with days_before or days_after"))
		}
		// Audience.
		for j, t := range c.Audience.Tiers {
			if !levels[t] {
				add(loyalty.Invalid(fmt.Sprintf("%s.audience.tiers[%d]", f, j), t, "must name a level of the tier ladder"))
			}
		}
		for j, sg := range c.Audience.Segments {
			if sg == "" {
				add(loyalty.Invalid(fmt.Sprintf("%s.audience.segments[%d]", f, j), sg, "must not be empty"))
			}
		}
		if c.Audience.MinTenureMonths < 0 {
			add(loyalty.Invalid(f+".audience.min_tenure_months", c.Audience.MinTenureMonths, "must not be negative"))
		}
		if c.Audience.Newcomers && c.Audience.MinTenureMonths > 0 {
			add(loyalty.Invalid(f+".audience.newcomers", true, "contradicts min_tenure_months: no account qualifies"))
		}
		// Conditions.
		money(f+".conditions.min_amount", c.Conditions.MinAmount, false)
		if c.Conditions.MinQuantity.Micros() < 0 {
			add(loyalty.Invalid(f+".conditions.min_quantity", c.Conditions.MinQuantity, "must not be negative"))
		}
		// Actions.
		if len(c.Actions) == 0 {
			add(loyalty.Invalid(f+".actions", nil, "must list at least one action"))
		}
		kinds := map[ActionKind]int{}
		var sumPoints, sumPerks int64 // of the actions, as New adds them up
		pointsFit, perksFit := true, true
		for j, a := range c.Actions {
			af := fmt.Sprintf("%s.actions[%d]", f, j)
			kinds[a.Kind]++
			switch a.Kind {
			case ActionPoints:
				if a.Points > 0 && pointsFit {
					sumPoints, pointsFit = addInt64(sumPoints, int64(a.Points))
				}
			case ActionPerk:
				if a.Value.Currency() == cur && perksFit {
					sumPerks, perksFit = addInt64(sumPerks, a.Value.MinorUnits())
				}
			}
			switch a.Kind {
			case ActionDiscount:
				switch {
				case a.Percent.IsZero() == a.Amount.IsZero():
					add(loyalty.Invalid(af, nil, "a discount needs exactly one of percent and amount"))
				case !a.Percent.IsZero() && (!a.Percent.IsPositive() || a.Percent.GreaterThan(decimal.NewFromInt(100))):
					add(loyalty.Invalid(af+".percent", a.Percent, "must be above 0 and at most 100"))
				case !a.Amount.IsZero():
					money(af+".amount", a.Amount, true)
				}
				if kinds[a.Kind] == 2 {
					add(loyalty.Invalid(af+".kind", a.Kind, "a campaign has at most one discount"))
				}
			case ActionPoints:
				if a.Points <= 0 {
					add(loyalty.Invalid(af+".points", a.Points, "must be positive"))
				}
			case ActionMultiplier:
				if !a.Multiplier.GreaterThan(decimal.NewFromInt(1)) || a.Multiplier.GreaterThan(decimal.NewFromInt(100)) {
					add(loyalty.Invalid(af+".multiplier", a.Multiplier, "must be above 1 and at most 100"))
				}
				if kinds[a.Kind] == 2 {
					add(loyalty.Invalid(af+".kind", a.Kind, "a campaign has at most one multiplier"))
				}
			case ActionCode:
				if !defs[a.Definition] {
					add(loyalty.Invalid(af+".definition", string(a.Definition), "must name a promo family of codes.definitions"))
				}
			case ActionPerk:
				if a.Perk == "" {
					add(loyalty.Invalid(af+".perk", nil, "is required"))
				}
				money(af+".value", a.Value, false)
			default:
				add(loyalty.Invalid(af+".kind", a.Kind, "must be discount, points, multiplier, code or perk"))
			}
		}
		if !pointsFit {
			add(loyalty.Invalid(f+".actions", nil, "the points of its actions add up beyond the range of points"))
		}
		if !perksFit {
			add(loyalty.Invalid(f+".actions", nil, "the values of its perks add up beyond the range of amounts"))
		}
		if ch := c.Chance; ch != nil && (ch.OutOf <= 0 || ch.Wins <= 0 || ch.Wins > ch.OutOf) {
			add(loyalty.Invalid(f+".chance", fmt.Sprintf("%d in %d", ch.Wins, ch.OutOf), "must win 1 to out_of times in out_of (out_of positive)"))
		}
		// Budget.
		money(f+".budget.money", c.Budget.Money, false)
		if c.Budget.Uses < 0 {
			add(loyalty.Invalid(f+".budget.uses", c.Budget.Uses, "must not be negative"))
		}
		if c.Budget.PerAccount < 0 {
			add(loyalty.Invalid(f+".budget.per_account", c.Budget.PerAccount, "must not be negative"))
		}
	}
}

// compiled is a campaign as the engine runs it.
type compiled struct {
	Campaign
	index      int             // in Program.Campaigns
	pos        int             // in Engine.camps
	sched      schedule        // Schedule, parsed
	discount   bool            // has a discount candidate
	multiplier decimal.Decimal // the multiplier action's, or zero
	extra      decimal.Decimal // multiplier − 1, or zero
	weight     int64           // extra in millionths, the campaign's share of the multipliers' points
	points     points.Points   // bonus points
	perks      []string
	perkValue  loyalty.Money
	codes      []promo.DefinitionID
	budget     int  // the index of its budget counters in an evaluation, -1 without a budget
	capsTotal  bool // the budget caps the campaign's total uses or money
	minimum    bool // the conditions have a minimum amount or quantity
	audience   bool // the audience is not everyone
	selective  bool // the conditions select lines by category or SKU
	oneCat     bool // they select the lines of one category (Conditions.Categories[0]) only
	// The conditions' categories and SKUs as sets, for lists too long to scan per line.
	catSet map[loyalty.CategoryID]struct{}
	skuSet map[loyalty.SKU]struct{}
}

// longList is the length beyond which a campaign's categories or SKUs are looked up in a
// set rather than scanned.
const longList = 8

// selects reports whether the campaign's categories or SKUs select line l (which has
// at least one of them).
func (c *compiled) selects(l *loyalty.Line) bool {
	if c.catSet != nil {
		if _, ok := c.catSet[l.Category]; ok {
			return true
		}
	} else {
		for _, k := range c.Conditions.Categories {
			if k == l.Category {
				return true
			}
		}
	}
	if c.skuSet != nil {
		_, ok := c.skuSet[l.SKU]
		return ok
	}
	for _, k := range c.Conditions.SKUs {
		if k == l.SKU {
			return true
		}
	}
	return false
}

// setOf returns the elements of a long list as a set, nil for a short one.
func setOf[K comparable](list []K) map[K]struct{} {
	if len(list) <= longList {
		return nil
	}
	set := make(map[K]struct{}, len(list))
	for _, k := range list {
		set[k] = struct{}{}
	}
	return set
}

// compileCampaigns sorts the program's campaigns by priority (higher first), then ID; their
// schedules have their instants in loc, the engine's time zone. It numbers the campaigns
// with a budget (compiled.budget) and returns how many there are.
func compileCampaigns(p Program, loc *time.Location) (camps []compiled, budgeted int) {
	out := make([]compiled, len(p.Campaigns))
	for i, c := range p.Campaigns {
		// The engine's own copy: a caller changing its Program later changes nothing.
		c.Schedule.Holidays = slices.Clone(c.Schedule.Holidays)
		c.Audience.Tiers, c.Audience.Segments = slices.Clone(c.Audience.Tiers), slices.Clone(c.Audience.Segments)
		c.Conditions.Categories, c.Conditions.SKUs = slices.Clone(c.Conditions.Categories), slices.Clone(c.Conditions.SKUs)
		c.Actions = slices.Clone(c.Actions)
		if c.Chance != nil {
			ch := *c.Chance
			c.Chance = &ch
		}
		k := compiled{Campaign: c, index: i, sched: c.Schedule.compileIn(loc), perkValue: loyalty.Zero(p.Currency),
			catSet: setOf(c.Conditions.Categories), skuSet: setOf(c.Conditions.SKUs),
			capsTotal: c.Budget.Uses > 0 || c.Budget.Money.IsPositive(),
			audience:  !c.Audience.isZero(),
			minimum:   !c.Conditions.MinAmount.IsZero() || !c.Conditions.MinQuantity.IsZero(),
			selective: len(c.Conditions.Categories) > 0 || len(c.Conditions.SKUs) > 0,
			oneCat:    len(c.Conditions.Categories) == 1 && len(c.Conditions.SKUs) == 0}
		for _, a := range c.Actions {
			switch a.Kind {
			case ActionDiscount:
				k.discount = true
			case ActionMultiplier:
				k.multiplier = a.Multiplier
				k.extra = a.Multiplier.Sub(decimal.NewFromInt(1))
				k.weight = k.extra.Shift(6).IntPart()
			case ActionPoints:
				k.points += a.Points // Validate checked that the sum is in range
			case ActionPerk:
				k.perks = append(k.perks, a.Perk)
				if !a.Value.IsZero() {
					k.perkValue, _ = k.perkValue.Add(a.Value) // so did it for this sum
				}
			case ActionCode:
				k.codes = append(k.codes, a.Definition)
			}
		}
		out[i] = k
	}
	slices.SortStableFunc(out, func(a, b compiled) int {
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for i := range out {
		out[i].pos, out[i].budget = i, -1
		if !out[i].Budget.IsZero() {
			out[i].budget = budgeted
			budgeted++
		}
	}
	return out, budgeted
}

func campaignToken(i int) string { return tokenPrefix + "C" + fmt.Sprint(i) }

// timeline is the schedules of an engine's campaigns compiled together: the instants at
// which a schedule starts or ends, and for each stretch between two of them the campaigns
// that run (by their index in the engine's list, in its order) and those of them with a
// budget. An evaluation finds its campaigns by a binary search instead of testing every
// schedule. It is read only, safe for concurrent use.
type timeline struct {
	bounds []int64   // the Unix seconds at which a span starts or ends, increasing
	spans  []tlStint // len(bounds)+1: spans[j] is the stretch bounds[j-1] <= sec < bounds[j]
}

// tlStint is the campaigns running in one stretch of a timeline.
type tlStint struct {
	sched    []int // the campaigns running, by index in Engine.camps
	budgeted []int // those with a budget
}

// maxTimeline bounds the campaign indexes a timeline lists in all: an engine whose
// schedules would need more tests them per evaluation (see scheduled).
const maxTimeline = 1 << 14

// newTimeline returns the timeline of camps, compiled by compileCampaigns, or nil when it
// would list more than maxTimeline indexes.
func newTimeline(camps []compiled) *timeline {
	var bounds []int64
	for i := range camps {
		for _, w := range camps[i].sched.spans {
			bounds = append(bounds, w[0], w[1])
		}
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	var pool []int        // the lists of every stretch, one after the other
	ends := [][2]int(nil) // per stretch: where its sched and its budgeted lists end in pool
	for j := range len(bounds) + 1 {
		// Every span starts and ends at a bound: the campaigns running at the stretch's
		// first second run all through it.
		sec := int64(math.MinInt64)
		if j > 0 {
			sec = bounds[j-1]
		}
		from := len(pool)
		for i := range camps {
			if camps[i].sched.activeAt(sec) {
				pool = append(pool, i)
			}
		}
		mid := len(pool)
		for _, i := range pool[from:mid] {
			if camps[i].budget >= 0 {
				pool = append(pool, i)
			}
		}
		if len(pool) > maxTimeline {
			return nil
		}
		ends = append(ends, [2]int{mid, len(pool)})
	}
	t := &timeline{bounds: bounds, spans: make([]tlStint, len(ends))}
	from := 0
	for j, e := range ends {
		t.spans[j] = tlStint{sched: pool[from:e[0]:e[0]], budgeted: pool[e[0]:e[1]:e[1]]}
		from = e[1]
	}
	return t
}

// at returns the stretch of the instant of Unix second sec.
func (t *timeline) at(sec int64) *tlStint {
	// j: the number of bounds at or before sec.
	lo, hi := 0, len(t.bounds)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.bounds[m] <= sec {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return &t.spans[lo]
}
