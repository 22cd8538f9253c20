package promo

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// DefinitionID identifies a [Definition]: one family of codes with the same benefit,
// conditions and limits.
type DefinitionID string

// Kind says how the codes of a [Definition] may be shared.
type Kind string

// The kinds of code families.
const (
	// SingleUse codes are used once each, by anyone who has one (a batch of one-off codes).
	SingleUse Kind = "single-use"
	// MultiUse codes may each be used up to Limits.PerCode times (at least 2).
	MultiUse Kind = "multi-use"
	// Shareable codes are meant to be passed around: one code used by many customers
	// (SKIDKA30), limited only by the definition's limits.
	Shareable Kind = "shareable"
	// Personal codes are each bound to one account; any other account is refused with
	// [ErrForeignAccount].
	Personal Kind = "personal"
)

// Validate reports whether k is one of the kinds.
func (k Kind) Validate() error {
	switch k {
	case SingleUse, MultiUse, Shareable, Personal:
		return nil
	}
	return loyalty.Invalid("kind", string(k), "must be one of single-use, multi-use, shareable, personal")
}

// Benefit is what a code grants, as data the orchestrator applies: exactly one of a
// percentage off, an amount off, bonus points, or an opaque reference to a discount or reward
// defined elsewhere. promo never computes the discount itself.
type Benefit struct {
	Percent decimal.Decimal `json:"percent"`          // percent off the eligible lines: 30 means 30 %; in (0, 100]
	Amount  loyalty.Money   `json:"amount"`           // an amount off the eligible lines; positive
	Points  int64           `json:"points,omitempty"` // bonus points to credit; positive
	Ref     string          `json:"ref,omitempty"`    // a reference the orchestrator resolves ("discount:coffee-machines-500")
}

// Validate checks that exactly one benefit is set and that it is in range.
func (b Benefit) Validate() error {
	var errs []error
	set := 0
	if !b.Percent.IsZero() {
		set++
		if b.Percent.Sign() < 0 || b.Percent.GreaterThan(decimal.NewFromInt(100)) {
			errs = append(errs, loyalty.Invalid("percent", b.Percent, "must be more than 0 and at most 100"))
		}
	}
	if !b.Amount.IsZero() || !b.Amount.Currency().IsZero() {
		set++
		if !b.Amount.IsPositive() {
			errs = append(errs, loyalty.Invalid("amount", b.Amount, "must be positive"))
		}
	}
	if b.Points != 0 {
		set++
		if b.Points < 0 {
			errs = append(errs, loyalty.Invalid("points", b.Points, "must be positive"))
		}
	}
	if b.Ref != "" {
		set++
	}
	if set != 1 {
		errs = append(errs, loyalty.Invalid("", nil, fmt.Sprintf("exactly one of percent, amount, points and ref must be set (%d are)", set)))
	}
	return errors.Join(errs...)
}

// Window is a validity window: from From (inclusive) until Until (exclusive). A zero bound is
// open. Build a window of calendar days in the program's time zone with [Days].
type Window struct {
	From  time.Time `json:"from,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// Days returns the window from the start of the day first until the end of the day last
// ("2006-01-02" dates, inclusive), both in loc, the program's time zone: a code valid
// through 31 December in Moscow expires at midnight Moscow time, not UTC.
func Days(first, last string, loc *time.Location) (Window, error) {
	if loc == nil {
		return Window{}, loyalty.Invalid("location", nil, "is required")
	}
	from, err := time.ParseInLocation(time.DateOnly, first, loc)
	if err != nil {
		return Window{}, loyalty.Invalid("first", first, "must be a date such as 2026-12-01")
	}
	to, err := time.ParseInLocation(time.DateOnly, last, loc)
	if err != nil {
		return Window{}, loyalty.Invalid("last", last, "must be a date such as 2026-12-31")
	}
	w := Window{From: from, Until: to.AddDate(0, 0, 1)}
	return w, w.Validate()
}

// Validate checks that the window is not empty.
func (w Window) Validate() error {
	if !w.From.IsZero() && !w.Until.IsZero() && !w.Until.After(w.From) {
		return loyalty.Invalid("until", w.Until.Format(time.RFC3339), "must be after from "+w.From.Format(time.RFC3339))
	}
	return nil
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool {
	return (w.From.IsZero() || !t.Before(w.From)) && (w.Until.IsZero() || t.Before(w.Until))
}

// check refuses t outside the window. Times in the refusal are shown in t's location (the
// program's), whatever location the stored window came back in.
func (w *Window) check(t time.Time) error {
	if !w.From.IsZero() && t.Before(w.From) {
		return refuse(ErrNotYetValid, "valid from "+w.From.In(t.Location()).Format("2006-01-02 15:04 MST"))
	}
	if !w.Until.IsZero() && !t.Before(w.Until) {
		return refuse(ErrCodeExpired, "ended "+w.Until.In(t.Location()).Format("2006-01-02 15:04 MST"))
	}
	return nil
}

// Scope selects order lines by SKU, category or tag: a line matches when any list names it.
// The zero Scope matches nothing when used as an exclusion and everything as an inclusion.
type Scope struct {
	SKUs       []loyalty.SKU        `json:"skus,omitempty"`
	Categories []loyalty.CategoryID `json:"categories,omitempty"`
	Tags       []string             `json:"tags,omitempty"`
}

// IsZero reports whether the scope names nothing.
func (s Scope) IsZero() bool { return s.empty() }

// empty is IsZero without copying the scope.
func (s *Scope) empty() bool { return len(s.SKUs) == 0 && len(s.Categories) == 0 && len(s.Tags) == 0 }

// Matches reports whether s names l's SKU, category or one of its tags.
func (s Scope) Matches(l loyalty.Line) bool { return s.matches(&l) }

// matches is Matches without copying the line.
func (s *Scope) matches(l *loyalty.Line) bool {
	if slices.Contains(s.SKUs, l.SKU) || l.Category != "" && slices.Contains(s.Categories, l.Category) {
		return true
	}
	for _, t := range s.Tags {
		if l.HasTag(t) {
			return true
		}
	}
	return false
}

func (s Scope) validate() error {
	var errs []error
	errs = append(errs, emptyItems("skus", s.SKUs)...)
	errs = append(errs, emptyItems("categories", s.Categories)...)
	errs = append(errs, emptyItems("tags", s.Tags)...)
	return errors.Join(errs...)
}

// Conditions say when a code may be used. Every zero field means "no condition".
type Conditions struct {
	// Valid is the window in which codes may be used; each code may narrow it further.
	Valid Window `json:"valid"`
	// MinOrder is the least order subtotal (all lines, before discounts).
	MinOrder loyalty.Money `json:"min_order"`
	// MinEligible is the least subtotal of the eligible lines.
	MinEligible loyalty.Money `json:"min_eligible"`
	// Include limits the benefit to the lines it matches; zero means every line.
	Include Scope `json:"include"`
	// Exclude removes the lines it matches.
	Exclude Scope `json:"exclude"`
	// ExcludePromotional removes lines already on promotion ([loyalty.Line.OnPromotion]).
	ExcludePromotional bool `json:"exclude_promotional,omitempty"`
	// FirstOrderOnly accepts the code only on an account's first order
	// ([Checkout.PriorOrders] is 0).
	FirstOrderOnly bool `json:"first_order_only,omitempty"`
	// Accounts, when not empty, are the only accounts that may use the codes.
	Accounts []loyalty.AccountID `json:"accounts,omitempty"`
	// Tiers, when not empty, are the only tiers ([Checkout.Tier]) that may use the codes.
	Tiers []string `json:"tiers,omitempty"`
	// Segments, when not empty, admit accounts in at least one of them ([Checkout.Segments]).
	Segments []string `json:"segments,omitempty"`
	// NotWith names the promotions the code cannot be combined with ("R1").
	NotWith []loyalty.CampaignID `json:"not_with,omitempty"`
	// Exclusive refuses the code when any other promotion is applied to the order.
	Exclusive bool `json:"exclusive,omitempty"`
}

// Validate checks c; errors name the field ("min_order: must be positive (got -1.00 RUB)").
func (c Conditions) Validate() error {
	var errs []error
	errs = append(errs, loyalty.InField("valid", c.Valid.Validate()))
	if !c.MinOrder.IsZero() && !c.MinOrder.IsPositive() {
		errs = append(errs, loyalty.Invalid("min_order", c.MinOrder, "must be positive"))
	}
	if !c.MinEligible.IsZero() && !c.MinEligible.IsPositive() {
		errs = append(errs, loyalty.Invalid("min_eligible", c.MinEligible, "must be positive"))
	}
	errs = append(errs, loyalty.InField("include", c.Include.validate()), loyalty.InField("exclude", c.Exclude.validate()))
	errs = append(errs, emptyItems("accounts", c.Accounts)...)
	errs = append(errs, emptyItems("tiers", c.Tiers)...)
	errs = append(errs, emptyItems("segments", c.Segments)...)
	errs = append(errs, emptyItems("not_with", c.NotWith)...)
	return errors.Join(errs...)
}

// Limits cap how often codes are used. Every use counts from its reservation until it is
// released, expires or is rolled back. Zero means unlimited. Every use is counted under the
// total, per-code and per-account counters whether or not those limits are set, so a limit
// added to a running promotion counts the earlier uses; per-period counts start when Period
// is set.
type Limits struct {
	// Total caps the uses of all codes of the definition together (the promotion's budget).
	Total int `json:"total,omitempty"`
	// PerCode caps the uses of each code. Single-use codes have 1 (the default for them).
	PerCode int `json:"per_code,omitempty"`
	// PerAccount caps the uses by one account, of all codes of the definition together.
	PerAccount int `json:"per_account,omitempty"`
	// PerPeriod caps the uses of all codes of the definition within one Period.
	PerPeriod int `json:"per_period,omitempty"`
	// PerAccountPerPeriod caps the uses by one account within one Period.
	PerAccountPerPeriod int `json:"per_account_per_period,omitempty"`
	// Period is the calendar period of PerPeriod and PerAccountPerPeriod, computed in the
	// program's time zone. Required with them.
	Period loyalty.Period `json:"period,omitempty"`
}

// Validate checks l; errors name the field.
func (l Limits) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{{"total", l.Total}, {"per_code", l.PerCode}, {"per_account", l.PerAccount}, {"per_period", l.PerPeriod}, {"per_account_per_period", l.PerAccountPerPeriod}} {
		if f.v < 0 {
			errs = append(errs, loyalty.Invalid(f.name, f.v, "must not be negative"))
		}
	}
	switch {
	case l.Period != "":
		if err := l.Period.Validate(); err != nil {
			errs = append(errs, err)
		}
	case l.PerPeriod > 0 || l.PerAccountPerPeriod > 0:
		errs = append(errs, loyalty.Invalid("period", nil, "is required with per_period or per_account_per_period"))
	}
	return errors.Join(errs...)
}

// Definition is one family of codes: what they grant, when they apply and how often they may
// be used. It is plain data, JSON-able, checked with [Definition.Validate]; like every value
// type of the package it is safe for concurrent use as long as nobody modifies it.
type Definition struct {
	// ID names the family; required.
	ID DefinitionID `json:"id"`
	// Promotion names the promotion the codes belong to, as other promotions' NotWith lists
	// and the orchestrator see it. Defaults to the ID.
	Promotion loyalty.CampaignID `json:"promotion,omitempty"`
	// Kind says how codes may be shared. Defaults to [SingleUse].
	Kind Kind `json:"kind,omitempty"`
	// Benefit is what a code grants.
	Benefit Benefit `json:"benefit"`
	// Conditions say when a code may be used.
	Conditions Conditions `json:"conditions"`
	// Limits cap how often codes are used.
	Limits Limits `json:"limits"`
	// Issuance, when not zero, issues fresh codes to recent buyers on a schedule
	// ([Service.Issue]).
	Issuance Issuance `json:"issuance"`
}

// Validate checks d as a whole and reports every problem, each a [*loyalty.FieldError] with
// a path such as "limits.per_code", joined with [errors.Join].
func (d Definition) Validate() error {
	var errs []error
	if d.ID == "" {
		errs = append(errs, loyalty.Invalid("id", nil, "is required"))
	}
	if d.Kind != "" {
		errs = append(errs, d.Kind.Validate())
	}
	errs = append(errs,
		loyalty.InField("benefit", d.Benefit.Validate()),
		loyalty.InField("conditions", d.Conditions.Validate()),
		loyalty.InField("limits", d.Limits.Validate()))
	switch d.kind() {
	case SingleUse:
		if d.Limits.PerCode > 1 {
			errs = append(errs, loyalty.Invalid("limits.per_code", d.Limits.PerCode, "must be 1 (or 0) for single-use codes"))
		}
	case MultiUse:
		if d.Limits.PerCode < 2 {
			errs = append(errs, loyalty.Invalid("limits.per_code", d.Limits.PerCode, "must be at least 2 for multi-use codes"))
		}
	}
	if !d.Issuance.IsZero() {
		errs = append(errs, loyalty.InField("issuance", d.Issuance.Validate()))
	}
	return errors.Join(errs...)
}

func (d *Definition) kind() Kind {
	if d.Kind == "" {
		return SingleUse
	}
	return d.Kind
}

func (d *Definition) promotion() loyalty.CampaignID {
	if d.Promotion == "" {
		return loyalty.CampaignID(d.ID)
	}
	return d.Promotion
}

// limits returns the limits in force, with the single-use default applied.
func (d *Definition) limits() Limits {
	l := d.Limits
	if d.kind() == SingleUse {
		l.PerCode = 1
	}
	return l
}

// Rules are the code families of a program, declared together: what campaign.Program holds
// as its promo codes. It is plain data, JSON-able.
type Rules struct {
	Definitions []Definition `json:"definitions"`
}

// Validate checks every definition and that their IDs are distinct; errors name the path,
// such as "definitions[2].limits.total".
func (r Rules) Validate() error {
	var errs []error
	seen := make(map[DefinitionID]int, len(r.Definitions))
	for i, d := range r.Definitions {
		field := fmt.Sprintf("definitions[%d]", i)
		errs = append(errs, loyalty.InField(field, d.Validate()))
		if j, dup := seen[d.ID]; dup && d.ID != "" {
			errs = append(errs, loyalty.Invalid(field+".id", string(d.ID), fmt.Sprintf("must be unique (also definitions[%d])", j)))
		}
		seen[d.ID] = i
	}
	return errors.Join(errs...)
}

// Code is one issued code: its canonical text, its family, and for personal or issued codes
// whom it belongs to and its own validity window.
type Code struct {
	Code       string            `json:"code"`                // canonical form ([Normalize])
	Definition DefinitionID      `json:"definition"`          // the family
	Account    loyalty.AccountID `json:"account,omitempty"`   // personal codes: the only account that may use it
	IssuedTo   loyalty.AccountID `json:"issued_to,omitempty"` // who received it (informational; shareable codes travel)
	Valid      Window            `json:"valid"`               // narrows the definition's window
	IssuedAt   time.Time         `json:"issued_at,omitzero"`
	// RevokedAt is when the code was withdrawn ([Service.Revoke]); zero while it is not.
	// A revoked code refuses every further use with [ErrRevoked].
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// RevokedReason is why it was withdrawn ("order o-42 returned").
	RevokedReason string `json:"revoked_reason,omitempty"`
}

// Revoked reports whether the code has been withdrawn.
func (c Code) Revoked() bool { return !c.RevokedAt.IsZero() }

func cloneDefinition(d Definition) Definition {
	c := &d.Conditions
	c.Include = cloneScope(c.Include)
	c.Exclude = cloneScope(c.Exclude)
	c.Accounts = slices.Clone(c.Accounts)
	c.Tiers = slices.Clone(c.Tiers)
	c.Segments = slices.Clone(c.Segments)
	c.NotWith = slices.Clone(c.NotWith)
	d.Issuance.DaysOfMonth = slices.Clone(d.Issuance.DaysOfMonth)
	return d
}

func cloneScope(s Scope) Scope {
	return Scope{SKUs: slices.Clone(s.SKUs), Categories: slices.Clone(s.Categories), Tags: slices.Clone(s.Tags)}
}

// emptyItems returns an error for every empty element of xs, named field[i].
func emptyItems[T ~string](field string, xs []T) []error {
	var errs []error
	for i, x := range xs {
		if x == "" {
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("%s[%d]", field, i), nil, "must not be empty"))
		}
	}
	return errs
}
