package promo

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Checkout is what the conditions of a code are checked against: the order and the facts
// about its account that only the caller knows (its order history, tier and segments) and
// the other promotions applied to the order. It is plain data.
type Checkout struct {
	Order       loyalty.Order        `json:"order"`
	PriorOrders int                  `json:"prior_orders"`         // orders the account placed before this one
	Tier        string               `json:"tier,omitempty"`       // the account's tier, for Conditions.Tiers
	Segments    []string             `json:"segments,omitempty"`   // the account's segments, for Conditions.Segments
	Promotions  []loyalty.CampaignID `json:"promotions,omitempty"` // other promotions applied to the order
}

// Validate checks the order and the account facts.
func (c Checkout) Validate() error {
	var neg error
	if c.PriorOrders < 0 {
		neg = loyalty.Invalid("prior_orders", c.PriorOrders, "must not be negative")
	}
	return errors.Join(loyalty.InField("order", c.Order.Validate()), neg)
}

// Grant is the decision that a code applies: which benefit, to which order lines. The
// orchestrator applies it (promo does not compute discounts or credit points).
type Grant struct {
	Code       string             `json:"code"` // canonical
	Definition DefinitionID       `json:"definition"`
	Promotion  loyalty.CampaignID `json:"promotion"`
	Benefit    Benefit            `json:"benefit"`
	Lines      []int              `json:"lines"`    // indexes of the order lines the benefit applies to
	Eligible   loyalty.Money      `json:"eligible"` // subtotal of those lines
}

// Evaluate checks the conditions of code c of definition d against the checkout at now and
// returns what the code grants. It is pure: limits, which need the store, are checked by the
// [Service]. The order of checks fixes which refusal a shop sees when several apply: a
// personal code of another account is refused with [ErrForeignAccount] before anything
// else is revealed about it; then a revocation ([ErrRevoked]), the validity window, the account's eligibility, first
// order, combinability, scope (and the currency of an amount benefit) and minimum amounts.
func Evaluate(d Definition, c Code, co Checkout, now time.Time) (Grant, error) {
	if err := co.Validate(); err != nil {
		return Grant{}, err
	}
	return evaluateChecked(&d, &c, &co, nil, now, nil)
}

// evaluateChecked is Evaluate on a checkout already validated. totals, when it has one
// amount per order line, are the lines' totals (Line.Total); otherwise they are computed.
// The grant's lines are in lines' memory when it has the capacity for every order line.
func evaluateChecked(d *Definition, c *Code, co *Checkout, totals []loyalty.Money, now time.Time, lines []int) (Grant, error) {
	o := &co.Order
	if c.Account != "" && c.Account != o.Account {
		return Grant{}, refuse(ErrForeignAccount, "")
	}
	if d.kind() == Personal && c.Account == "" {
		return Grant{}, refuse(ErrForeignAccount, "")
	}
	if !c.RevokedAt.IsZero() { // c.Revoked(), without copying the code
		return Grant{}, revokedRefusal(*c, now.Location())
	}
	cond := &d.Conditions
	if err := cond.Valid.check(now); err != nil {
		return Grant{}, err
	}
	if err := c.Valid.check(now); err != nil {
		return Grant{}, err
	}
	if len(cond.Accounts) > 0 && !slices.Contains(cond.Accounts, o.Account) {
		return Grant{}, refuse(ErrNotEligible, "")
	}
	if len(cond.Tiers) > 0 && !slices.Contains(cond.Tiers, co.Tier) {
		return Grant{}, refuse(ErrNotEligible, "not for this tier")
	}
	if len(cond.Segments) > 0 && !slices.ContainsFunc(co.Segments, func(s string) bool { return slices.Contains(cond.Segments, s) }) {
		return Grant{}, refuse(ErrNotEligible, "not for this customer segment")
	}
	if cond.FirstOrderOnly && co.PriorOrders > 0 {
		return Grant{}, refuse(ErrFirstOrderOnly, "")
	}
	self := d.promotion()
	for _, p := range co.Promotions {
		if p == self {
			continue
		}
		if cond.Exclusive || slices.Contains(cond.NotWith, p) {
			return Grant{}, refuse(ErrNotCombinable, fmt.Sprintf("not with promotion %q", p))
		}
	}
	g := Grant{Code: c.Code, Definition: d.ID, Promotion: self, Benefit: d.Benefit, Eligible: loyalty.Zero(o.Currency)}
	subtotal := loyalty.Zero(o.Currency)
	if len(totals) != len(o.Lines) {
		totals = nil
	}
	include, exclude := !cond.Include.empty(), !cond.Exclude.empty()
	filter := include || exclude || cond.ExcludePromotional // some lines may not be eligible
	minOrder := !cond.MinOrder.IsZero()
	rest := o.Lines // the lines still to look at
	if n := len(o.Lines); !filter && !minOrder && totals != nil && n > 0 {
		// Every line is eligible and only their sum is needed (no subtotal), from the
		// caller's totals: the loop below without its per-line questions.
		rest = nil
		var ls []int
		if cap(lines) >= n {
			ls = lines[:n]
		} else {
			ls = make([]int, n)
		}
		sum, err := sumOf(totals[:n], o.Currency, ls) // one total per line, as the loop reads them
		if err != nil {
			return Grant{}, err
		}
		g.Lines, g.Eligible = ls, sum
	}
	for i := range rest {
		l := &rest[i]
		var t loyalty.Money
		var err error
		if totals != nil {
			t = totals[i]
		} else if t, err = l.Total(); err != nil {
			return Grant{}, fmt.Errorf("promo: order lines[%d]: %w", i, err)
		}
		// Only a minimum order needs the subtotal (which cannot go out of range: the
		// checkout is valid).
		if minOrder {
			if subtotal, err = subtotal.Add(t); err != nil {
				return Grant{}, fmt.Errorf("promo: order lines[%d]: %w", i, err)
			}
		}
		if filter && (include && !cond.Include.matches(l) || exclude && cond.Exclude.matches(l) || cond.ExcludePromotional && l.OnPromotion) {
			continue
		}
		if g.Lines == nil {
			if cap(lines) >= len(o.Lines) {
				g.Lines = lines[:0]
			} else {
				g.Lines = make([]int, 0, len(o.Lines)-i) // room for every line left
			}
		}
		g.Lines = append(g.Lines, i)
		if g.Eligible, err = g.Eligible.Add(t); err != nil {
			return Grant{}, fmt.Errorf("promo: order lines[%d]: %w", i, err)
		}
	}
	if len(g.Lines) == 0 {
		return Grant{}, refuse(ErrNotApplicable, "")
	}
	if cur := d.Benefit.Amount.Currency(); !cur.IsZero() && cur != o.Currency {
		return Grant{}, refuse(ErrNotApplicable, fmt.Sprintf("the code's amount is in %s, the order in %s", cur, o.Currency))
	}
	if err := atLeast(subtotal, cond.MinOrder, "order subtotal"); err != nil {
		return Grant{}, err
	}
	if err := atLeast(g.Eligible, cond.MinEligible, "subtotal of the eligible items"); err != nil {
		return Grant{}, err
	}
	return g, nil
}

// sumOf is the sum of amounts (a valid order's line totals, all in cur) from
// loyalty.Zero(cur), with loyalty.Money.Add's errors naming the line, and it numbers the
// lines in lines (of the amounts' length: lines[i] = i) as it goes. It adds the minor
// units; anything Money.Add would not simply add (another currency, a sum out of range)
// goes to sumOfAdd, which reports it.
func sumOf(amounts []loyalty.Money, cur loyalty.Currency, lines []int) (loyalty.Money, error) {
	var s int64
	lines = lines[:len(amounts)]
	for i, a := range amounts {
		lines[i] = i
		u := a.MinorUnits()
		t := s + u
		if a.Currency() != cur || (s^t)&(u^t) < 0 || t == math.MinInt64 {
			for j := i + 1; j < len(lines); j++ {
				lines[j] = j
			}
			return sumOfAdd(amounts, cur)
		}
		s = t
	}
	if sum, err := loyalty.MoneyFromMinor(s, cur); err == nil {
		return sum, nil
	}
	return sumOfAdd(amounts, cur)
}

// sumOfAdd is sumOf by loyalty.Money.Add, line after line.
func sumOfAdd(amounts []loyalty.Money, cur loyalty.Currency) (loyalty.Money, error) {
	sum := loyalty.Zero(cur)
	for i, a := range amounts {
		var err error
		if sum, err = sum.Add(a); err != nil {
			return loyalty.Money{}, fmt.Errorf("promo: order lines[%d]: %w", i, err)
		}
	}
	return sum, nil
}

// atLeast refuses amount below minimum (a zero minimum is no condition).
func atLeast(amount, minimum loyalty.Money, what string) error {
	if minimum.IsZero() {
		return nil
	}
	c, err := amount.Cmp(minimum)
	if err != nil {
		return refuse(ErrMinimumOrder, fmt.Sprintf("the minimum is in %s, the order in %s", minimum.Currency(), amount.Currency()))
	}
	if c < 0 {
		return refuse(ErrMinimumOrder, fmt.Sprintf("%s %s is below %s", what, amount, minimum))
	}
	return nil
}
