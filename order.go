package loyalty

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Order is the order model every package reads: who bought what, when, at what price, and
// which codes were entered. It is plain data; [Order.Validate] checks it. Packages never
// modify an Order they are given.
type Order struct {
	ID       OrderID   `json:"id"`
	Account  AccountID `json:"account"`         // the buying company account
	Buyer    BuyerID   `json:"buyer,omitempty"` // the individual buyer, if known
	Currency Currency  `json:"currency"`
	PlacedAt time.Time `json:"placed_at"`
	Lines    []Line    `json:"lines"`
	Codes    []string  `json:"codes,omitempty"` // promo or referral codes as the customer typed them
}

// Line is one line of an [Order]: a quantity of one product at a unit price.
type Line struct {
	SKU         SKU        `json:"sku"`
	Category    CategoryID `json:"category,omitempty"`
	Tags        []string   `json:"tags,omitempty"` // free-form labels that rules can scope to ("gift-card", "bundle")
	Quantity    Quantity   `json:"quantity"`       // positive; may be fractional (12.5 litres)
	UnitPrice   Price      `json:"unit_price"`     // positive; may carry more digits than the currency
	UnitCost    Price      `json:"unit_cost"`      // the seller's cost per unit; the zero Price means unknown
	OnPromotion bool       `json:"on_promotion,omitempty"`
}

// Total returns the line's value, UnitPrice × Quantity, rounded once (half-up) to the
// currency's minor units. It is exact and does not allocate.
func (l Line) Total() (Money, error) { return l.UnitPrice.Times(l.Quantity, HalfUp) }

// HasCost reports whether the line's unit cost is known.
func (l Line) HasCost() bool { return l.UnitCost.IsKnown() }

// TotalCost returns UnitCost × Quantity rounded half-up, or an error when the cost is unknown.
func (l Line) TotalCost() (Money, error) { return l.UnitCost.Times(l.Quantity, HalfUp) }

// HasTag reports whether the line carries tag.
func (l Line) HasTag(tag string) bool { return slices.Contains(l.Tags, tag) }

// Validate checks l on its own, in currency cur. Errors are [*FieldError] values naming the
// field ("quantity: must be positive (got -1)"), joined when there are several.
func (l Line) Validate(cur Currency) error {
	_, _, err := l.check(cur)
	return err
}

// plainTotals is the common case of [Order.ValidateInto], lines that are all valid, in a
// few comparisons per line: it reports whether every line has a SKU, a positive quantity, a
// positive price in cur, a cost unknown or not negative in cur and no empty tag, and whether
// the line totals and costs (positive amounts rounded half up) and their sum are in range.
// If so it has written them into totals and costs as ValidateInto does; if not, check names
// the problem.
func plainTotals(lines []Line, cur Currency, totals, costs []Money) bool {
	if len(lines) == 0 || cur.idx == 0 {
		return false
	}
	d := pow10[uint(2*fixedScale-cur.Digits())%16] // digits 0 to 4: 10⁸ to 10¹²; %16 spares the bounds check
	var sum int64
	for i := range lines {
		l := &lines[i]
		if l.SKU == "" || l.Quantity.micros <= 0 || l.UnitPrice.cur != cur || l.UnitPrice.micros <= 0 ||
			l.UnitCost.cur.idx != 0 && (l.UnitCost.cur != cur || l.UnitCost.micros < 0) || slices.Contains(l.Tags, "") {
			return false
		}
		total, ok := halfUp(uint64(l.UnitPrice.micros), uint64(l.Quantity.micros), d)
		if !ok {
			return false
		}
		var cost Money // the zero Money when the cost is unknown
		if l.UnitCost.cur.idx != 0 {
			c, ok := halfUp(uint64(l.UnitCost.micros), uint64(l.Quantity.micros), d)
			if !ok {
				return false
			}
			cost = Money{units: c, cur: cur}
		}
		if sum += total; sum < 0 { // the subtotal is out of range
			return false
		}
		if totals != nil {
			totals[i] = Money{units: total, cur: cur}
		}
		if costs != nil {
			costs[i] = cost
		}
	}
	return true
}

// check is Validate returning the line's total and total cost (the zero Money when the
// cost is unknown) when it is valid; it names every problem of the line.
func (l *Line) check(cur Currency) (Money, Money, error) {
	var errs []error
	if l.SKU == "" {
		errs = append(errs, Invalid("sku", nil, "is required"))
	}
	if l.Quantity.Sign() <= 0 {
		errs = append(errs, Invalid("quantity", l.Quantity, "must be positive"))
	}
	switch {
	case !l.UnitPrice.IsKnown():
		errs = append(errs, Invalid("unit_price", nil, "is required"))
	case l.UnitPrice.Sign() <= 0:
		errs = append(errs, Invalid("unit_price", l.UnitPrice, "must be positive"))
	case l.UnitPrice.Currency() != cur:
		errs = append(errs, Invalid("unit_price", l.UnitPrice, "must be in the order currency "+cur.orNone()))
	}
	if l.UnitCost.IsKnown() {
		switch {
		case l.UnitCost.Sign() < 0:
			errs = append(errs, Invalid("unit_cost", l.UnitCost, "must not be negative"))
		case l.UnitCost.Currency() != cur:
			errs = append(errs, Invalid("unit_cost", l.UnitCost, "must be in the order currency "+cur.orNone()))
		}
	}
	for i, t := range l.Tags {
		if t == "" {
			errs = append(errs, Invalid(fmt.Sprintf("tags[%d]", i), nil, "must not be empty"))
		}
	}
	var total, cost Money
	if len(errs) == 0 {
		var err error
		if total, err = l.Total(); err != nil {
			errs = append(errs, Invalid("quantity", l.Quantity, "times unit_price is out of range"))
		} else if l.HasCost() {
			if cost, err = l.TotalCost(); err != nil {
				errs = append(errs, Invalid("quantity", l.Quantity, "times unit_cost is out of range"))
			}
		}
	}
	if len(errs) > 0 {
		return Money{}, Money{}, errors.Join(errs...)
	}
	return total, cost, nil
}

// Validate checks the whole order and reports every problem, each a [*FieldError] with a path
// such as "lines[3].quantity", joined with [errors.Join]. The result matches [ErrInvalid].
func (o Order) Validate() error {
	return o.ValidateInto(nil, nil)
}

// ValidateInto is [Order.Validate] that also keeps what it computes to check the lines:
// when the order is valid, totals[i] is line i's [Line.Total] and costs[i] its
// [Line.TotalCost] (the zero Money when its cost is unknown). A slice that has not one
// element per line (nil, say) is left alone. Their contents are unspecified when the order
// is not valid.
func (o Order) ValidateInto(totals, costs []Money) error {
	if len(totals) != len(o.Lines) {
		totals = nil
	}
	if len(costs) != len(o.Lines) {
		costs = nil
	}
	if o.ID != "" && o.Account != "" && !o.PlacedAt.IsZero() && !slices.Contains(o.Codes, "") &&
		plainTotals(o.Lines, o.Currency, totals, costs) {
		return nil
	}
	var errs []error
	if o.ID == "" {
		errs = append(errs, Invalid("id", nil, "is required"))
	}
	if o.Account == "" {
		errs = append(errs, Invalid("account", nil, "is required"))
	}
	if o.Currency.IsZero() {
		errs = append(errs, Invalid("currency", nil, "is required"))
	}
	if o.PlacedAt.IsZero() {
		errs = append(errs, Invalid("placed_at", nil, "is required"))
	}
	if len(o.Lines) == 0 {
		errs = append(errs, Invalid("lines", nil, "must not be empty"))
	}
	var sum int64 // the subtotal, from the totals check computes (never negative)
	overflow := false
	for i := range o.Lines {
		t, c, err := o.Lines[i].check(o.Currency)
		if err != nil {
			errs = append(errs, InField(fmt.Sprintf("lines[%d]", i), err))
			continue
		}
		s := sum + t.units
		overflow = overflow || s < sum
		sum = s
		if totals != nil {
			totals[i] = t
		}
		if costs != nil {
			costs[i] = c
		}
	}
	for i, c := range o.Codes {
		if c == "" {
			errs = append(errs, Invalid(fmt.Sprintf("codes[%d]", i), nil, "must not be empty"))
		}
	}
	if len(errs) == 0 && overflow {
		errs = append(errs, Invalid("lines", nil, "total is out of range"))
	}
	return errors.Join(errs...)
}

// Subtotal returns the sum of the line totals, before any discount. An order without lines
// has the zero subtotal in its currency.
func (o Order) Subtotal() (Money, error) {
	sum := Zero(o.Currency)
	for i, l := range o.Lines {
		t, err := l.Total()
		if err != nil {
			return Money{}, fmt.Errorf("lines[%d]: %w", i, err)
		}
		if sum, err = sum.Add(t); err != nil {
			return Money{}, fmt.Errorf("lines[%d]: %w", i, err)
		}
	}
	return sum, nil
}

// LineTotals returns every line's [Line.Total], in line order.
func (o Order) LineTotals() ([]Money, error) {
	totals := make([]Money, len(o.Lines))
	for i, l := range o.Lines {
		t, err := l.Total()
		if err != nil {
			return nil, fmt.Errorf("lines[%d]: %w", i, err)
		}
		totals[i] = t
	}
	return totals, nil
}

// ReturnLine is a returned quantity of one order line. Line is the index of the line in
// [Order.Lines], the order line number an ERP sends back.
type ReturnLine struct {
	Line     int      `json:"line"`
	Quantity Quantity `json:"quantity"`
}

// ValidateReturn checks that lines can be returned from o given what was already returned
// (prior, which may be nil): each line index exists, each quantity is positive, and no line
// is returned beyond what was bought. Errors name the field, such as
// "lines[1].quantity: exceeds the 3 still returnable (got 5)".
func (o Order) ValidateReturn(lines []ReturnLine, prior []ReturnLine) error {
	if len(lines) == 0 {
		return Invalid("lines", nil, "must not be empty")
	}
	returned := make([]Quantity, len(o.Lines))
	for _, r := range prior {
		if r.Line >= 0 && r.Line < len(returned) {
			returned[r.Line], _ = returned[r.Line].Add(r.Quantity)
		}
	}
	var errs []error
	for i, r := range lines {
		field := fmt.Sprintf("lines[%d]", i)
		if r.Line < 0 || r.Line >= len(o.Lines) {
			errs = append(errs, Invalid(field+".line", r.Line, fmt.Sprintf("must be an order line index from 0 to %d", len(o.Lines)-1)))
			continue
		}
		if r.Quantity.Sign() <= 0 {
			errs = append(errs, Invalid(field+".quantity", r.Quantity, "must be positive"))
			continue
		}
		sum, err := returned[r.Line].Add(r.Quantity)
		left, _ := o.Lines[r.Line].Quantity.Sub(returned[r.Line])
		if err != nil || sum.Cmp(o.Lines[r.Line].Quantity) > 0 {
			errs = append(errs, Invalid(field+".quantity", r.Quantity, fmt.Sprintf("exceeds the %s still returnable", left)))
			continue
		}
		returned[r.Line] = sum
	}
	return errors.Join(errs...)
}
