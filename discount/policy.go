package discount

import (
	"errors"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Policy is a shop's whole discount configuration: the candidate discounts, how they stack,
// personal terms for individual accounts, an order-level cap and a margin floor. It is a
// plain value (JSON-able); [Policy.Validate] checks it and [New] compiles it into a
// [Calculator]. All amounts are in Currency. A Policy is safe for concurrent reads; [New]
// copies it, so it may be changed afterwards without affecting a Calculator.
type Policy struct {
	// Currency is the currency of every amount in the policy and of the orders it prices.
	Currency loyalty.Currency `json:"currency"`
	// Discounts are the candidate discounts. Their order in the slice never matters: they
	// are evaluated by Priority, then ID.
	Discounts []Discount `json:"discounts"`
	// Groups are optional named groups of discounts with their own stacking; a discount
	// joins one by naming it in [Discount.Group].
	Groups []Group `json:"groups,omitempty"`
	// Stacking says how the top-level units (groups, and discounts not in a group) combine.
	// It must be declared: the zero value is invalid.
	Stacking Stacking `json:"stacking"`
	// Terms are personal terms: per-account rates and conditions that override or add to
	// the program's discounts.
	Terms []Term `json:"terms,omitempty"`
	// Cap limits the total discount of an order.
	Cap Cap `json:"cap,omitzero"`
	// Floor is the margin floor enforced on lines whose unit cost is known.
	Floor Floor `json:"floor,omitzero"`
	// Rounding rounds percentage discounts to minor units. Defaults to loyalty.HalfUp.
	Rounding loyalty.RoundingMode `json:"rounding,omitempty"`
}

// Discount is one candidate discount: what it gives (Kind and its parameters), on which
// lines (Scope), when (Condition), and how it stacks (Group, Priority, StopAfter, NotWith,
// MaxAmount). Only the parameters of its Kind may be set.
//
// Percentages in this package are percent values from 0 to 100: 15 means 15 %. Like every
// configuration value of this package, a Discount is plain data, safe for concurrent reads.
type Discount struct {
	// ID names the discount uniquely within a policy (groups included); it appears in
	// results and explanations.
	ID string `json:"id"`
	// Name is an optional human-readable description used in explanations.
	Name string `json:"name,omitempty"`
	// Kind is what the discount gives.
	Kind Kind `json:"kind"`

	// Percent is the rate of a [Percent] discount, 0–100.
	Percent decimal.Decimal `json:"percent,omitzero"`
	// Amount is the amount off the order ([AmountOff]) or off each unit ([AmountPerUnit]).
	Amount loyalty.Money `json:"amount,omitzero"`
	// Price is the unit price of a [FixedPrice] discount.
	Price loyalty.Price `json:"price,omitzero"`
	// Buy and Get are the parameters of [BuyXGetY]: for every Buy+Get units, the Get
	// cheapest are free.
	Buy int64 `json:"buy,omitempty"`
	Get int64 `json:"get,omitempty"`
	// N is the parameter of [NthFree] (every N-th unit is free, N ≥ 2) and of
	// [CheapestFree] (the cheapest unit is free once at least N units are bought, N ≥ 1).
	N int64 `json:"n,omitempty"`
	// Basis says what a [Volume] discount's tiers measure.
	Basis Basis `json:"basis,omitempty"`
	// Tiers is the ladder of a [Volume] or [Cumulative] discount, thresholds strictly
	// increasing. The highest tier whose threshold is reached applies.
	Tiers []Tier `json:"tiers,omitempty"`
	// Accumulation says what accumulated spend a [Cumulative] discount reads.
	Accumulation Accumulation `json:"accumulation,omitzero"`
	// Decay lowers a [Cumulative] discount's rate for accounts that stopped buying.
	Decay Decay `json:"decay,omitzero"`

	// Scope is the set of lines the discount applies to. It must be declared.
	Scope Scope `json:"scope"`
	// Condition is when the discount applies at all.
	Condition Condition `json:"condition,omitzero"`

	// Group is the ID of the [Group] this discount belongs to, or "" for none.
	Group string `json:"group,omitempty"`
	// Priority orders evaluation: lower values first; ties are broken by ID.
	Priority int `json:"priority,omitempty"`
	// StopAfter stops the evaluation of later units of the same additive or sequential
	// combination once this discount applies.
	StopAfter bool `json:"stop_after,omitempty"`
	// NotWith lists IDs of discounts this one never combines with: whichever applies first
	// keeps its place and the other does not apply.
	NotWith []string `json:"not_with,omitempty"`
	// MaxAmount caps this discount's total per order. Zero means no cap.
	MaxAmount loyalty.Money `json:"max_amount,omitzero"`
}

// Group is a named set of discounts that combine with their own [Stacking] and take part in
// the policy's top-level stacking as one unit. Its members are evaluated by their own
// Priority, then ID. The group computes on the prices its parent hands it: the original
// prices under an additive or best-of policy, the prices left so far under a sequential one.
// A group must have at least one member.
type Group struct {
	// ID names the group; discounts join it through [Discount.Group].
	ID string `json:"id"`
	// Stacking is how the group's members combine. Required.
	Stacking Stacking `json:"stacking"`
	// Priority orders the group among the top-level units, as [Discount.Priority].
	Priority int `json:"priority,omitempty"`
	// StopAfter stops later top-level units once this group gave a discount.
	StopAfter bool `json:"stop_after,omitempty"`
}

// Tier is one step of a ladder. For an amount ladder ([ByAmount] volume discounts and every
// [Cumulative] discount) From is an amount; for a [ByQuantity] ladder FromQuantity is a
// quantity. A tier applies when the measured value is at least its threshold (≥).
type Tier struct {
	From         loyalty.Money    `json:"from,omitzero"`
	FromQuantity loyalty.Quantity `json:"from_quantity,omitzero"`
	// Percent is the tier's rate, 0–100.
	Percent decimal.Decimal `json:"percent"`
}

// Scope selects order lines. A line is in scope when All is set or it matches one of the
// listed categories, SKUs or tags, and it matches none of the exclusions. A scope that
// selects nothing (no All and no lists) is invalid: scopes are declared, never implicit.
type Scope struct {
	All        bool                 `json:"all,omitempty"`
	Categories []loyalty.CategoryID `json:"categories,omitempty"`
	SKUs       []loyalty.SKU        `json:"skus,omitempty"`
	Tags       []string             `json:"tags,omitempty"`

	ExcludeCategories []loyalty.CategoryID `json:"exclude_categories,omitempty"`
	ExcludeSKUs       []loyalty.SKU        `json:"exclude_skus,omitempty"`
	ExcludeTags       []string             `json:"exclude_tags,omitempty"`
	// ExcludePromotional excludes lines already on promotion ([loyalty.Line.OnPromotion]).
	ExcludePromotional bool `json:"exclude_promotional,omitempty"`
}

// Condition says when a discount applies. Zero fields impose nothing.
type Condition struct {
	// MinSubtotal is the smallest order subtotal (every line, before discounts) for which
	// the discount applies.
	MinSubtotal loyalty.Money `json:"min_subtotal,omitzero"`
	// Code is a promo code the order must carry; compared in canonical form
	// ([loyalty.NormalizeCode]).
	Code string `json:"code,omitempty"`
	// Accounts restricts the discount to these accounts.
	Accounts []loyalty.AccountID `json:"accounts,omitempty"`
	// From and Until bound when the order must be placed: From ≤ placed_at < Until.
	From  time.Time `json:"from,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// Accumulation says what accumulated spend a [Cumulative] discount reads from a [History].
// The zero value is the lifetime spend, not counting the current order.
type Accumulation struct {
	// Months and Days make the spend a rolling window: purchases placed in the last Months
	// calendar months (month ends clamped, [loyalty.AddMonths]) plus Days days before the
	// order. Both zero means lifetime, including [History.Carried].
	Months int `json:"months,omitempty"`
	Days   int `json:"days,omitempty"`
	// IncludeCurrentOrder counts the current order's subtotal too, so that the purchase
	// which crosses a threshold already gets the higher rate.
	IncludeCurrentOrder bool `json:"include_current_order,omitempty"`
}

// Decay lowers a cumulative rate after a pause: when more than AfterDays whole days passed
// between the account's last purchase and the order, the rate is multiplied by Keep/100. The
// next purchase after this one is no longer late, so the full rate comes back with it.
// AfterDays zero means no decay; an account with no recorded purchase never decays.
type Decay struct {
	AfterDays int `json:"after_days,omitempty"`
	// Keep is the share of the rate kept while decayed, 0–100 (0 drops the discount).
	Keep decimal.Decimal `json:"keep,omitzero"`
}

// Term is a personal term for one account on one rate-based discount ([Percent], [Volume]
// or [Cumulative]): Mode [Override] replaces the rate the discount would give (whatever its
// tier) with Percent, Mode [Add] adds Percent percentage points to every rate of the
// discount (at most 100 in total). An overridden rate is a negotiated one: ladders and
// [Decay] no longer apply to it; an added rate still decays. A non-nil Condition replaces
// the discount's condition for this account. Results mark personal rates with
// [ReasonPersonal]. A benefit of an account's own, beside the program's, is a Discount
// restricted to it with [Condition].Accounts.
type Term struct {
	Account   loyalty.AccountID `json:"account"`
	Discount  string            `json:"discount"`
	Mode      TermMode          `json:"mode"`
	Percent   decimal.Decimal   `json:"percent"`
	Condition *Condition        `json:"condition,omitempty"`
}

// Cap limits the total discount of an order: at most MaxAmount and at most MaxPercent
// (0–100) of the order subtotal, rounded down. Zero fields mean no limit. Discounts are
// trimmed in evaluation order: the first ones keep their amount, the one that reaches the
// cap is trimmed, later ones give nothing.
type Cap struct {
	MaxAmount  loyalty.Money   `json:"max_amount,omitzero"`
	MaxPercent decimal.Decimal `json:"max_percent,omitzero"`
}

// Floor is the margin floor applied to every line whose unit cost is known: the line's
// discounted total never falls below
//
//	cost × (1 + MinMarkup/100)         (a markup on cost), or
//	cost / (1 − MinMargin/100)         (a margin as a share of the discounted price),
//
// rounded up to whole minor units so the floor is never undercut. At most one of the two
// may be set; both zero still keeps lines at or above cost whenever a cost is known.
// A discount that would cross the floor is trimmed on that line and the result says so
// ([ReasonTrimmedByFloor] with a [LineNote]); the part trimmed is not moved to other lines.
// A line already priced below its floor gets no discount.
type Floor struct {
	MinMarkup decimal.Decimal `json:"min_markup,omitzero"`
	MinMargin decimal.Decimal `json:"min_margin,omitzero"`
	// Disabled turns the floor off: lines may then be discounted down to zero.
	Disabled bool `json:"disabled,omitempty"`
}

var hundred = decimal.NewFromInt(100)

// checkPercent validates a percent value 0–100.
func checkPercent(field string, p decimal.Decimal) error {
	if p.Sign() < 0 || p.GreaterThan(hundred) {
		return loyalty.Invalid(field, p, "must be a percentage from 0 to 100")
	}
	return nil
}

// checkMoney validates an optional non-negative amount in cur (zero means unset).
func checkMoney(field string, m loyalty.Money, cur loyalty.Currency, positive bool) error {
	switch {
	case m.IsZero() && positive:
		return loyalty.Invalid(field, m, "must be positive")
	case m.IsZero():
		return nil
	case m.IsNegative():
		return loyalty.Invalid(field, m, "must not be negative")
	case m.Currency() != cur:
		return loyalty.Invalid(field, m, "must be in the policy currency "+cur.Code())
	}
	return nil
}

// Validate checks the whole policy and reports every problem as a [*loyalty.FieldError] with
// its path ("discounts[2].percent: must be a percentage from 0 to 100 (got 120)"), joined
// with [errors.Join]; the result matches [loyalty.ErrInvalid].
func (p Policy) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if p.Currency.IsZero() {
		add(loyalty.Invalid("currency", nil, "is required"))
	}
	if !p.Stacking.valid() {
		add(loyalty.Invalid("stacking", p.Stacking, "must be declared: exclusive, best-of, additive or sequential"))
	}
	if !p.Rounding.Valid() {
		add(loyalty.Invalid("rounding", p.Rounding, "unknown rounding mode"))
	}
	ids := map[string]string{} // id → "discount" or "group"
	groups := map[string]bool{}
	for i, g := range p.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		switch {
		case g.ID == "":
			add(loyalty.Invalid(f+".id", nil, "is required"))
		case ids[g.ID] != "":
			add(loyalty.Invalid(f+".id", g.ID, "is used twice"))
		default:
			ids[g.ID] = "group"
			groups[g.ID] = true
		}
		if !g.Stacking.valid() {
			add(loyalty.Invalid(f+".stacking", g.Stacking, "must be declared: exclusive, best-of, additive or sequential"))
		}
	}
	for i, d := range p.Discounts {
		f := fmt.Sprintf("discounts[%d]", i)
		switch {
		case d.ID == "":
			add(loyalty.Invalid(f+".id", nil, "is required"))
		case ids[d.ID] != "":
			add(loyalty.Invalid(f+".id", d.ID, "is used twice"))
		default:
			ids[d.ID] = "discount"
		}
	}
	if len(p.Discounts) == 0 {
		add(loyalty.Invalid("discounts", nil, "must not be empty"))
	}
	members := map[string]bool{}
	for _, d := range p.Discounts {
		members[d.Group] = true
	}
	for i, g := range p.Groups {
		if g.ID != "" && !members[g.ID] {
			add(loyalty.Invalid(fmt.Sprintf("groups[%d]", i), g.ID, "has no discounts"))
		}
	}
	for i, d := range p.Discounts {
		f := fmt.Sprintf("discounts[%d]", i)
		add(loyalty.InField(f, d.validate(p.Currency)))
		if d.Group != "" && !groups[d.Group] {
			add(loyalty.Invalid(f+".group", d.Group, "names no group of the policy"))
		}
		for j, o := range d.NotWith {
			if ids[o] != "discount" || o == d.ID {
				add(loyalty.Invalid(fmt.Sprintf("%s.not_with[%d]", f, j), o, "must name another discount of the policy"))
			}
		}
	}
	byID := make(map[string]*Discount, len(p.Discounts))
	for i := range p.Discounts {
		byID[p.Discounts[i].ID] = &p.Discounts[i]
	}
	type termKey struct {
		a loyalty.AccountID
		d string
	}
	seen := map[termKey]bool{}
	for i, t := range p.Terms {
		f := fmt.Sprintf("terms[%d]", i)
		if t.Account == "" {
			add(loyalty.Invalid(f+".account", nil, "is required"))
		}
		d := byID[t.Discount]
		switch {
		case d == nil:
			add(loyalty.Invalid(f+".discount", t.Discount, "must name a discount of the policy"))
		case !d.Kind.rateBased():
			add(loyalty.Invalid(f+".discount", t.Discount, "must name a percent, volume or cumulative discount"))
		}
		if seen[termKey{t.Account, t.Discount}] {
			add(loyalty.Invalid(f, t.Discount, "repeats a term for the same account and discount"))
		}
		seen[termKey{t.Account, t.Discount}] = true
		switch t.Mode {
		case Override, Add:
		default:
			add(loyalty.Invalid(f+".mode", t.Mode, "must be override or add"))
		}
		if err := checkPercent(f+".percent", t.Percent); err != nil {
			add(err)
		} else if t.Mode == Add && d != nil && d.Kind.rateBased() {
			for _, r := range d.rates() {
				if r.Add(t.Percent).GreaterThan(hundred) {
					add(loyalty.Invalid(f+".percent", t.Percent, fmt.Sprintf("added to the discount's rate %s makes more than 100", r)))
					break
				}
			}
		}
		if t.Condition != nil {
			add(loyalty.InField(f+".condition", t.Condition.validate(p.Currency)))
		}
	}
	add(loyalty.InField("cap.max_amount", checkMoney("", p.Cap.MaxAmount, p.Currency, false)))
	add(checkPercent("cap.max_percent", p.Cap.MaxPercent))
	if p.Floor.MinMarkup.Sign() < 0 {
		add(loyalty.Invalid("floor.min_markup", p.Floor.MinMarkup, "must not be negative"))
	}
	if p.Floor.MinMargin.Sign() < 0 || p.Floor.MinMargin.GreaterThanOrEqual(hundred) {
		add(loyalty.Invalid("floor.min_margin", p.Floor.MinMargin, "must be a percentage from 0 to below 100"))
	}
	if !p.Floor.MinMarkup.IsZero() && !p.Floor.MinMargin.IsZero() {
		add(loyalty.Invalid("floor", nil, "must set at most one of min_markup and min_margin"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("discount: invalid policy: %w", err)
	}
	return nil
}

// rates lists every rate a rate-based discount can give.
func (d Discount) rates() []decimal.Decimal {
	if d.Kind == Percent {
		return []decimal.Decimal{d.Percent}
	}
	r := make([]decimal.Decimal, len(d.Tiers))
	for i, t := range d.Tiers {
		r[i] = t.Percent
	}
	return r
}

func (d Discount) validate(cur loyalty.Currency) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// unused reports a parameter set on a kind that does not read it.
	unused := func(field string, set bool) {
		if set {
			add(loyalty.Invalid(field, nil, "is not used by a "+d.Kind.String()+" discount"))
		}
	}
	k := d.Kind
	unused("percent", k != Percent && !d.Percent.IsZero())
	unused("amount", k != AmountOff && k != AmountPerUnit && !d.Amount.IsZero())
	unused("price", k != FixedPrice && d.Price.IsKnown())
	unused("buy", k != BuyXGetY && d.Buy != 0)
	unused("get", k != BuyXGetY && d.Get != 0)
	unused("n", k != NthFree && k != CheapestFree && d.N != 0)
	unused("basis", k != Volume && d.Basis != 0)
	unused("tiers", k != Volume && k != Cumulative && len(d.Tiers) > 0)
	unused("accumulation", k != Cumulative && d.Accumulation != Accumulation{})
	unused("decay", k != Cumulative && (d.Decay.AfterDays != 0 || !d.Decay.Keep.IsZero()))
	switch k {
	case Percent:
		add(checkPercent("percent", d.Percent))
	case AmountOff, AmountPerUnit:
		add(loyalty.InField("amount", checkMoney("", d.Amount, cur, true)))
	case FixedPrice:
		switch {
		case !d.Price.IsKnown():
			add(loyalty.Invalid("price", nil, "is required"))
		case d.Price.Sign() < 0:
			add(loyalty.Invalid("price", d.Price, "must not be negative"))
		case d.Price.Currency() != cur:
			add(loyalty.Invalid("price", d.Price, "must be in the policy currency "+cur.Code()))
		}
	case BuyXGetY:
		if d.Buy < 1 {
			add(loyalty.Invalid("buy", d.Buy, "must be at least 1"))
		}
		if d.Get < 1 {
			add(loyalty.Invalid("get", d.Get, "must be at least 1"))
		}
		if d.Buy > 1e9 || d.Get > 1e9 {
			add(loyalty.Invalid("buy", d.Buy, "and get must be at most 1000000000"))
		}
	case NthFree:
		if d.N < 2 || d.N > 1e9 {
			add(loyalty.Invalid("n", d.N, "must be from 2 to 1000000000"))
		}
	case CheapestFree:
		if d.N < 1 || d.N > 1e9 {
			add(loyalty.Invalid("n", d.N, "must be from 1 to 1000000000"))
		}
	case Volume:
		if d.Basis != ByQuantity && d.Basis != ByAmount {
			add(loyalty.Invalid("basis", d.Basis, "must be quantity or amount"))
		}
		add(validateTiers(d.Tiers, d.Basis == ByQuantity, cur))
	case Cumulative:
		add(validateTiers(d.Tiers, false, cur))
		if d.Accumulation.Months < 0 {
			add(loyalty.Invalid("accumulation.months", d.Accumulation.Months, "must not be negative"))
		}
		if d.Accumulation.Days < 0 {
			add(loyalty.Invalid("accumulation.days", d.Accumulation.Days, "must not be negative"))
		}
		if d.Decay.AfterDays < 0 {
			add(loyalty.Invalid("decay.after_days", d.Decay.AfterDays, "must not be negative"))
		}
		add(checkPercent("decay.keep", d.Decay.Keep))
		if d.Decay.AfterDays == 0 && !d.Decay.Keep.IsZero() {
			add(loyalty.Invalid("decay.after_days", nil, "is required when decay.keep is set"))
		}
	default:
		add(loyalty.Invalid("kind", d.Kind, "unknown discount kind"))
	}
	add(loyalty.InField("scope", d.Scope.validate()))
	add(loyalty.InField("condition", d.Condition.validate(cur)))
	add(loyalty.InField("max_amount", checkMoney("", d.MaxAmount, cur, false)))
	return errors.Join(errs...)
}

func validateTiers(tiers []Tier, byQuantity bool, cur loyalty.Currency) error {
	if len(tiers) == 0 {
		return loyalty.Invalid("tiers", nil, "must not be empty")
	}
	var errs []error
	for i, t := range tiers {
		f := fmt.Sprintf("tiers[%d]", i)
		if err := checkPercent(f+".percent", t.Percent); err != nil {
			errs = append(errs, err)
		}
		if byQuantity {
			if !t.From.IsZero() {
				errs = append(errs, loyalty.Invalid(f+".from", t.From, "is not used by a quantity ladder (use from_quantity)"))
			}
			if t.FromQuantity.Sign() < 0 {
				errs = append(errs, loyalty.Invalid(f+".from_quantity", t.FromQuantity, "must not be negative"))
			}
			if i > 0 && t.FromQuantity.Cmp(tiers[i-1].FromQuantity) <= 0 {
				errs = append(errs, loyalty.Invalid(f+".from_quantity", t.FromQuantity,
					fmt.Sprintf("must be greater than the previous tier's %s: thresholds must increase", tiers[i-1].FromQuantity)))
			}
			continue
		}
		if !t.FromQuantity.IsZero() {
			errs = append(errs, loyalty.Invalid(f+".from_quantity", t.FromQuantity, "is not used by an amount ladder (use from)"))
		}
		if err := checkMoney(f+".from", t.From, cur, false); err != nil {
			errs = append(errs, err)
			continue
		}
		if i > 0 && t.From.MinorUnits() <= tiers[i-1].From.MinorUnits() {
			errs = append(errs, loyalty.Invalid(f+".from", t.From,
				fmt.Sprintf("must be greater than the previous tier's %s: thresholds must increase", tiers[i-1].From.Amount())))
		}
	}
	return errors.Join(errs...)
}

func (s Scope) validate() error {
	var errs []error
	if !s.All && len(s.Categories) == 0 && len(s.SKUs) == 0 && len(s.Tags) == 0 {
		errs = append(errs, loyalty.Invalid("", nil, "is empty: set all, or list categories, skus or tags"))
	}
	if s.All && (len(s.Categories) > 0 || len(s.SKUs) > 0 || len(s.Tags) > 0) {
		errs = append(errs, loyalty.Invalid("all", nil, "must not be combined with categories, skus or tags"))
	}
	emptyIn := func(field string, n int, empty func(int) bool) {
		for i := 0; i < n; i++ {
			if empty(i) {
				errs = append(errs, loyalty.Invalid(fmt.Sprintf("%s[%d]", field, i), nil, "must not be empty"))
			}
		}
	}
	emptyIn("categories", len(s.Categories), func(i int) bool { return s.Categories[i] == "" })
	emptyIn("skus", len(s.SKUs), func(i int) bool { return s.SKUs[i] == "" })
	emptyIn("tags", len(s.Tags), func(i int) bool { return s.Tags[i] == "" })
	emptyIn("exclude_categories", len(s.ExcludeCategories), func(i int) bool { return s.ExcludeCategories[i] == "" })
	emptyIn("exclude_skus", len(s.ExcludeSKUs), func(i int) bool { return s.ExcludeSKUs[i] == "" })
	emptyIn("exclude_tags", len(s.ExcludeTags), func(i int) bool { return s.ExcludeTags[i] == "" })
	return errors.Join(errs...)
}

func (c Condition) validate(cur loyalty.Currency) error {
	var errs []error
	if err := checkMoney("min_subtotal", c.MinSubtotal, cur, false); err != nil {
		errs = append(errs, err)
	}
	if c.Code != "" {
		if _, err := loyalty.NormalizeCode(c.Code); err != nil {
			errs = append(errs, loyalty.Invalid("code", c.Code, err.Error()))
		}
	}
	for i, a := range c.Accounts {
		if a == "" {
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("accounts[%d]", i), nil, "must not be empty"))
		}
	}
	if !c.From.IsZero() && !c.Until.IsZero() && !c.From.Before(c.Until) {
		errs = append(errs, loyalty.Invalid("until", c.Until.Format(time.RFC3339), "must be after from"))
	}
	return errors.Join(errs...)
}
