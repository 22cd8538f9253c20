package discount

import (
	"fmt"
	"strings"

	"github.com/loyaltykit/loyalty"
)

// Kind is what a [Discount] gives. The zero Kind is invalid. Kinds marshal to and from their
// names ("percent", "amount-off", …). Kind and the other enumerations of this package are
// immutable values, safe for concurrent use.
type Kind uint8

// The discount kinds.
const (
	// Percent takes Percent % off the eligible lines, computed once on their sum and
	// allocated across them.
	Percent Kind = iota + 1
	// AmountOff takes Amount off the eligible lines once per order (at most their value),
	// allocated across them in proportion to their value.
	AmountOff
	// AmountPerUnit takes Amount off every eligible unit (Amount × quantity per line, at
	// most the line's value).
	AmountPerUnit
	// FixedPrice sells every eligible unit at Price (lines already cheaper are unchanged).
	FixedPrice
	// BuyXGetY makes Get units free for every Buy+Get eligible units: the cheapest ones.
	BuyXGetY
	// NthFree makes every N-th eligible unit free (the cheapest ones).
	NthFree
	// CheapestFree makes the single cheapest eligible unit free once at least N eligible
	// units are bought.
	CheapestFree
	// Volume takes a percentage chosen by the size of this one order (eligible quantity or
	// amount before any discount, see [Basis]) from a ladder of [Tier]s.
	Volume
	// Cumulative takes a percentage chosen by the account's accumulated spend (supplied by
	// the caller as a [History]) from a ladder of [Tier]s, optionally with [Decay].
	Cumulative
)

var kindNames = [...]string{"", "percent", "amount-off", "amount-per-unit", "fixed-price",
	"buy-x-get-y", "nth-free", "cheapest-free", "volume", "cumulative"}

// String returns the kind's name.
func (k Kind) String() string { return enumString(kindNames[:], uint8(k), "Kind") }

// MarshalText encodes the kind by name.
func (k Kind) MarshalText() ([]byte, error) { return enumMarshal(kindNames[:], uint8(k), "kind") }

// UnmarshalText decodes a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := enumUnmarshal(kindNames[:], b, "kind")
	*k = Kind(v)
	return err
}

func (k Kind) rateBased() bool { return k == Percent || k == Volume || k == Cumulative }

// Stacking is how several applicable discounts (or groups) combine. It is always declared;
// the zero value is invalid.
type Stacking uint8

// The stacking policies.
const (
	// Exclusive applies only the first applicable unit in priority order.
	Exclusive Stacking = iota + 1
	// BestOf applies only the unit that gives the customer the largest discount (ties go
	// to the earlier priority).
	BestOf
	// Additive applies every unit, each computed on the prices as they were when the
	// combination started (the original price at the top level); the sum never exceeds
	// a line's price.
	Additive
	// Sequential applies every unit in priority order, each on the prices left by the
	// previous ones.
	Sequential
)

var stackingNames = [...]string{"", "exclusive", "best-of", "additive", "sequential"}

// String returns the policy's name.
func (s Stacking) String() string { return enumString(stackingNames[:], uint8(s), "Stacking") }

// MarshalText encodes the stacking policy by name.
func (s Stacking) MarshalText() ([]byte, error) {
	return enumMarshal(stackingNames[:], uint8(s), "stacking")
}

// UnmarshalText decodes a stacking policy name.
func (s *Stacking) UnmarshalText(b []byte) error {
	v, err := enumUnmarshal(stackingNames[:], b, "stacking")
	*s = Stacking(v)
	return err
}

func (s Stacking) valid() bool { return s >= Exclusive && s <= Sequential }

// Basis is what a [Volume] discount's tiers measure in one order.
type Basis uint8

// The volume bases.
const (
	// ByQuantity measures the eligible quantity ([Tier.FromQuantity]).
	ByQuantity Basis = iota + 1
	// ByAmount measures the eligible lines' value ([Tier.From]).
	ByAmount
)

var basisNames = [...]string{"", "quantity", "amount"}

// String returns the basis's name.
func (b Basis) String() string { return enumString(basisNames[:], uint8(b), "Basis") }

// MarshalText encodes the basis by name.
func (b Basis) MarshalText() ([]byte, error) { return enumMarshal(basisNames[:], uint8(b), "basis") }

// UnmarshalText decodes a basis name.
func (b *Basis) UnmarshalText(t []byte) error {
	v, err := enumUnmarshal(basisNames[:], t, "basis")
	*b = Basis(v)
	return err
}

// TermMode is how a personal [Term] changes a discount's rate.
type TermMode uint8

// The term modes.
const (
	// Override replaces the rate with the term's.
	Override TermMode = iota + 1
	// Add adds the term's percentage points to the rate.
	Add
)

var termModeNames = [...]string{"", "override", "add"}

// String returns the mode's name.
func (m TermMode) String() string { return enumString(termModeNames[:], uint8(m), "TermMode") }

// MarshalText encodes the mode by name.
func (m TermMode) MarshalText() ([]byte, error) {
	return enumMarshal(termModeNames[:], uint8(m), "mode")
}

// UnmarshalText decodes a mode name.
func (m *TermMode) UnmarshalText(b []byte) error {
	v, err := enumUnmarshal(termModeNames[:], b, "mode")
	*m = TermMode(v)
	return err
}

func enumString(names []string, v uint8, typ string) string {
	if int(v) < len(names) && v != 0 {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

func enumMarshal(names []string, v uint8, field string) ([]byte, error) {
	if int(v) >= len(names) || v == 0 {
		return nil, loyalty.Invalid(field, v, "unknown value")
	}
	return []byte(names[v]), nil
}

func enumUnmarshal(names []string, b []byte, field string) (uint8, error) {
	for i, n := range names {
		if i > 0 && n == string(b) {
			return uint8(i), nil
		}
	}
	return 0, loyalty.Invalid(field, string(b), "must be one of "+strings.Join(names[1:], ", "))
}
