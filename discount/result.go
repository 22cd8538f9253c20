package discount

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Reason is a set of reason codes recorded during evaluation: why a discount did not apply,
// or why it gave less than it would have. A single code is one bit; [Reason.Has] tests
// membership and [Reason.String] lists the codes ("trimmed-by-floor,trimmed-by-cap").
// It is a plain value, safe for concurrent use.
type Reason uint32

// The reason codes.
const (
	// ReasonInactive: the order was placed outside the discount's From–Until window.
	ReasonInactive Reason = 1 << iota
	// ReasonNotForAccount: the discount is restricted to other accounts.
	ReasonNotForAccount
	// ReasonCodeMissing: the order does not carry the required code.
	ReasonCodeMissing
	// ReasonThresholdNotMet: the order subtotal, volume, accumulated spend or number of
	// units is below what the discount requires ([Entry.Have] and [Entry.Need] say how far).
	ReasonThresholdNotMet
	// ReasonNoEligibleLines: no line of the order is in the discount's scope.
	ReasonNoEligibleLines
	// ReasonExcluded: a line matched the scope but an exclusion removed it (line notes).
	ReasonExcluded
	// ReasonLostToBetter: best-of stacking chose a better unit ([Entry.By]).
	ReasonLostToBetter
	// ReasonOutranked: exclusive stacking applied an earlier unit ([Entry.By]).
	ReasonOutranked
	// ReasonNotCombinable: a discount it must not combine with already applied ([Entry.By]).
	ReasonNotCombinable
	// ReasonStopped: an earlier unit with StopAfter applied ([Entry.By]).
	ReasonStopped
	// ReasonTrimmedByPrice: the discount would have exceeded the price left on a line.
	ReasonTrimmedByPrice
	// ReasonTrimmedByFloor: the margin floor trimmed the discount on a line.
	ReasonTrimmedByFloor
	// ReasonTrimmedByCap: the discount's own MaxAmount or the policy's Cap trimmed it.
	ReasonTrimmedByCap
	// ReasonDecayed: a cumulative rate was lowered because the account paused buying.
	ReasonDecayed
	// ReasonPersonal: a personal term set the rate or the condition.
	ReasonPersonal
	// ReasonNoEffect: the discount was eligible but came to nothing (a 0 % tier, lines
	// already below a fixed price).
	ReasonNoEffect
)

var reasonNames = [...]string{"inactive", "not-for-account", "code-missing", "threshold-not-met",
	"no-eligible-lines", "excluded", "lost-to-better", "outranked", "not-combinable", "stopped",
	"trimmed-by-price", "trimmed-by-floor", "trimmed-by-cap", "decayed", "personal", "no-effect"}

// notApplied are the reasons that mean a discount gave nothing.
const notApplied = ReasonInactive | ReasonNotForAccount | ReasonCodeMissing | ReasonThresholdNotMet |
	ReasonNoEligibleLines | ReasonLostToBetter | ReasonOutranked | ReasonNotCombinable | ReasonStopped |
	ReasonNoEffect

// Has reports whether r contains every code of x.
func (r Reason) Has(x Reason) bool { return r&x == x && x != 0 }

// String lists the codes of r separated by commas, or "" for none.
func (r Reason) String() string {
	var b strings.Builder
	for r != 0 {
		i := bits.TrailingZeros32(uint32(r))
		r &^= 1 << i
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if i < len(reasonNames) {
			b.WriteString(reasonNames[i])
		} else {
			fmt.Fprintf(&b, "reason-%d", i)
		}
	}
	return b.String()
}

// MarshalText encodes r as its comma-separated codes, so that results read well as JSON.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText decodes comma-separated codes; the empty text is no reason.
func (r *Reason) UnmarshalText(text []byte) error {
	var v Reason
	for _, code := range strings.Split(string(text), ",") {
		if code == "" {
			continue
		}
		i := slices.Index(reasonNames[:], code)
		if i < 0 {
			return loyalty.Invalid("reasons", code, "unknown reason code")
		}
		v |= 1 << i
	}
	*r = v
	return nil
}

// Measure is a measured or required value: an amount, or a quantity of units. It is a plain
// value, safe for concurrent use.
type Measure struct {
	Amount   loyalty.Money    `json:"amount,omitzero"`
	Quantity loyalty.Quantity `json:"quantity,omitzero"`
}

// String renders the measure: an amount with its currency, or a quantity of units.
func (m Measure) String() string {
	if !m.Amount.Currency().IsZero() {
		return m.Amount.String()
	}
	return m.Quantity.String() + " units"
}

// LineNote records something that happened to one discount on one line. It is a plain value.
type LineNote struct {
	Line   int           `json:"line"`             // index into the order's lines
	Reason Reason        `json:"reason"`           // excluded, trimmed-by-price, trimmed-by-floor
	Amount loyalty.Money `json:"amount,omitempty"` // the amount trimmed away, for trims
}

// Entry is the record of one candidate discount: whether it applied, how much per line, and
// why not or why less. It is plain data, safe for concurrent reads.
type Entry struct {
	Discount string `json:"discount"` // the discount's ID
	Name     string `json:"name,omitempty"`
	Kind     Kind   `json:"kind"`
	Group    string `json:"group,omitempty"`
	// Applied reports whether the discount gave a positive amount.
	Applied bool `json:"applied"`
	// Amount is the discount given, the sum of Lines.
	Amount loyalty.Money `json:"amount"`
	// Lines holds the amount given on every order line, by line index.
	Lines []loyalty.Money `json:"lines"`
	// Reasons are the codes that explain a discount not applied or reduced.
	Reasons Reason `json:"reasons,omitempty"`
	// By names the discount or group (or "cap") behind ReasonLostToBetter, ReasonOutranked,
	// ReasonNotCombinable, ReasonStopped or a policy-cap trim.
	By string `json:"by,omitempty"`
	// Forgone is what the discount would have given when it lost to a better one.
	Forgone loyalty.Money `json:"forgone,omitzero"`
	// Percent is the rate used by a rate-based discount, in percent.
	Percent decimal.Decimal `json:"percent,omitzero"`
	// Tier is the index of the ladder tier used, or -1.
	Tier int `json:"tier"`
	// Have and Need are the measured and the required value when ReasonThresholdNotMet.
	Have Measure `json:"have,omitzero"`
	Need Measure `json:"need,omitzero"`
	// Notes are per-line events: exclusions and trims.
	Notes []LineNote `json:"notes,omitempty"`
}

// LineResult is one order line after discounts. It is a plain value.
type LineResult struct {
	Base     loyalty.Money `json:"base"`            // the line total before discounts
	Discount loyalty.Money `json:"discount"`        // every discount on the line together
	Total    loyalty.Money `json:"total"`           // Base − Discount, never negative
	Floor    loyalty.Money `json:"floor,omitempty"` // the margin floor, zero when none applies
}

// Result is the outcome of pricing one order: totals, every line, and an [Entry] for every
// candidate discount in evaluation order. It is plain data; [Result.Explain] renders it as
// sentences on demand. A Result shares no memory with the [Calculator] that produced it and
// is safe for concurrent reads.
type Result struct {
	Order    loyalty.OrderID `json:"order"`
	Subtotal loyalty.Money   `json:"subtotal"`
	Discount loyalty.Money   `json:"discount"`
	Total    loyalty.Money   `json:"total"`
	Lines    []LineResult    `json:"lines"`
	Entries  []Entry         `json:"entries"`
	// Cap is the policy cap that applied to this order (zero when none).
	Cap loyalty.Money `json:"cap,omitzero"`
}

// UseMemory makes r an empty Result whose next pricing by [Calculator.ApplyInto] or
// [Calculator.ApplyChecked] is written into memory the caller provides instead of newly
// allocated memory: lines for its Lines, entries for its Entries, and amounts for the
// Lines of its entries, cut into len(entries) consecutive parts of len(amounts) ÷
// len(entries) amounts each. A caller that keeps the results of many orders can so place
// them in an arena of its own: a pricing fits in it without allocating when lines holds
// the order's lines, entries holds [Calculator.Candidates] entries and amounts holds that
// many times the order's lines (and no discount records a line note, which are rare).
// Whatever is too small (or nil) is allocated as usual; memory left over is not used.
//
// Ownership: the memory becomes r's, as if a pricing had allocated it. The next pricing
// into r overwrites it; the Calculator keeps no reference to it after returning. The
// caller must not hand the same memory to another Result that is still in use.
func (r *Result) UseMemory(lines []LineResult, entries []Entry, amounts []loyalty.Money) {
	*r = Result{Lines: lines[:0], Entries: entries[:0]}
	if len(entries) == 0 {
		return
	}
	per := len(amounts) / len(entries)
	for i := range entries {
		// Only the memory an entry keeps matters: a pricing sets the rest of every entry.
		e := &entries[i]
		e.Lines, e.Notes = amounts[i*per:i*per:(i+1)*per], nil
	}
}

// Entry returns the entry of the discount with the given ID, and whether there is one.
func (r Result) Entry(id string) (Entry, bool) {
	for _, e := range r.Entries {
		if e.Discount == id {
			return e, true
		}
	}
	return Entry{}, false
}

// Explain renders the result as plain sentences: one for the totals, then one per candidate
// discount saying what it gave on which lines, or why it gave nothing, and what trimmed it.
func (r Result) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subtotal %s, discount %s, total %s.\n", r.Subtotal, r.Discount, r.Total)
	for _, e := range r.Entries {
		b.WriteString("- ")
		b.WriteString(e.title())
		b.WriteString(": ")
		if e.Applied {
			fmt.Fprintf(&b, "applied, %s", e.Amount)
			var parts []string
			for i, m := range e.Lines {
				if !m.IsZero() {
					parts = append(parts, fmt.Sprintf("line %d %s", i+1, m.Amount()))
				}
			}
			fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
		} else {
			b.WriteString("not applied")
			if why := e.whyNot(); why != "" {
				b.WriteString(": ")
				b.WriteString(why)
			}
		}
		b.WriteString(".")
		if more := e.notes(); more != "" {
			b.WriteString(" ")
			b.WriteString(more)
		}
		b.WriteString("\n")
	}
	if !r.Cap.IsZero() {
		fmt.Fprintf(&b, "The order's discounts are capped at %s.\n", r.Cap)
	}
	return b.String()
}

func (e Entry) title() string {
	s := e.Discount
	if e.Name != "" {
		s += " (" + e.Name + ")"
	}
	if !e.Percent.IsZero() {
		s += ", " + e.Percent.String() + "%"
	}
	return s
}

func (e Entry) whyNot() string {
	var s []string
	r := e.Reasons
	if r.Has(ReasonInactive) {
		s = append(s, "the order is outside its validity period")
	}
	if r.Has(ReasonNotForAccount) {
		s = append(s, "it is reserved for other accounts")
	}
	if r.Has(ReasonCodeMissing) {
		s = append(s, "the order does not carry its code")
	}
	if r.Has(ReasonThresholdNotMet) {
		s = append(s, fmt.Sprintf("threshold not met (%s of the required %s)", e.Have, e.Need))
	}
	if r.Has(ReasonNoEligibleLines) {
		s = append(s, "no line of the order is in its scope")
	}
	if r.Has(ReasonLostToBetter) {
		s = append(s, fmt.Sprintf("lost to the better %s (it would have given %s)", e.By, e.Forgone))
	}
	if r.Has(ReasonOutranked) {
		s = append(s, fmt.Sprintf("%s applied first and is exclusive", e.By))
	}
	if r.Has(ReasonNotCombinable) {
		s = append(s, fmt.Sprintf("it does not combine with %s, which applied", e.By))
	}
	if r.Has(ReasonStopped) {
		s = append(s, fmt.Sprintf("%s applied and stops further discounts", e.By))
	}
	if r.Has(ReasonNoEffect) {
		s = append(s, "it comes to nothing on this order")
	}
	if r&(ReasonTrimmedByPrice|ReasonTrimmedByFloor|ReasonTrimmedByCap) != 0 && r&notApplied == 0 {
		s = append(s, "trimmed to nothing")
	}
	return strings.Join(s, "; ")
}

func (e Entry) notes() string {
	var s []string
	if e.Reasons.Has(ReasonPersonal) {
		s = append(s, "A personal term set its rate or condition.")
	}
	if e.Reasons.Has(ReasonDecayed) {
		s = append(s, "Its rate is lowered because the account paused buying; the full rate returns with the next purchase.")
	}
	for _, n := range e.Notes {
		switch {
		case n.Reason.Has(ReasonExcluded):
			s = append(s, fmt.Sprintf("Line %d is excluded.", n.Line+1))
		case n.Reason.Has(ReasonTrimmedByFloor):
			s = append(s, fmt.Sprintf("Line %d trimmed by %s to keep the margin floor.", n.Line+1, n.Amount.Amount()))
		case n.Reason.Has(ReasonTrimmedByPrice):
			s = append(s, fmt.Sprintf("Line %d trimmed by %s to the price left.", n.Line+1, n.Amount.Amount()))
		}
	}
	if e.Reasons.Has(ReasonTrimmedByPrice) && !e.hasNote(ReasonTrimmedByPrice) {
		s = append(s, "Trimmed to the value of its lines.")
	}
	if e.Reasons.Has(ReasonTrimmedByCap) {
		if e.By == "cap" {
			s = append(s, "Trimmed by the order's cap.")
		} else {
			s = append(s, "Trimmed by its maximum amount.")
		}
	}
	return strings.Join(s, " ")
}

func (e Entry) hasNote(r Reason) bool {
	for _, n := range e.Notes {
		if n.Reason.Has(r) {
			return true
		}
	}
	return false
}
