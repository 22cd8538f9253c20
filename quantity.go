package loyalty

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/shopspring/decimal"
)

// fixedScale is the number of decimals of [Quantity] and [Price]: both count millionths.
const fixedScale = 6

// Quantity is an exact, possibly fractional quantity of a product: 3 pieces, 12.5 litres of
// fuel, 0.125 tonnes of steel. It is fixed-point, counting millionths of a unit, so that line
// totals are computed in integer arithmetic without allocating. The zero Quantity is 0.
// Quantity is an immutable value, safe for concurrent use.
type Quantity struct {
	micros int64
}

// ParseQuantity parses a plain decimal quantity with at most 6 decimals: "3", "12.5",
// "0.000125". Exponents, separators other than '.', and "" are rejected.
func ParseQuantity(s string) (Quantity, error) {
	v, err := parseFixed("quantity", s, fixedScale)
	if err != nil {
		return Quantity{}, err
	}
	return Quantity{micros: v}, nil
}

// MustQuantity is like [ParseQuantity] but panics on error. It is meant for tests and examples.
func MustQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// Units returns the whole quantity n (n pieces). It fails with [ErrOverflow] beyond about
// 9.2 trillion units.
func Units(n int64) (Quantity, error) {
	v, ok := mulDivRound(n, int64(pow10[fixedScale]), 1, Down)
	if !ok {
		return Quantity{}, fmt.Errorf("%w: quantity %d", ErrOverflow, n)
	}
	return Quantity{micros: v}, nil
}

// QuantityFromMicros returns the quantity of micros millionths of a unit.
func QuantityFromMicros(micros int64) Quantity { return Quantity{micros: micros} }

// Micros returns q in millionths of a unit.
func (q Quantity) Micros() int64 { return q.micros }

// Decimal returns q as a decimal number.
func (q Quantity) Decimal() decimal.Decimal { return decimal.New(q.micros, -fixedScale) }

// IsZero reports whether q is 0.
func (q Quantity) IsZero() bool { return q.micros == 0 }

// Sign returns -1, 0 or +1 by the sign of q.
func (q Quantity) Sign() int { return sign64(q.micros) }

// Cmp compares q and o: -1, 0 or +1.
func (q Quantity) Cmp(o Quantity) int {
	switch {
	case q.micros < o.micros:
		return -1
	case q.micros > o.micros:
		return 1
	}
	return 0
}

// Equal reports whether q and o are the same quantity.
func (q Quantity) Equal(o Quantity) bool { return q.micros == o.micros }

// Add returns q + o, or [ErrOverflow].
func (q Quantity) Add(o Quantity) (Quantity, error) {
	s := q.micros + o.micros
	if (q.micros^s)&(o.micros^s) < 0 || s == math.MinInt64 {
		return Quantity{}, &quantityAddError{q, o} // small enough to inline: the message is built when read
	}
	return Quantity{micros: s}, nil
}

// quantityAddError is the [ErrOverflow] of a + b out of range.
type quantityAddError struct{ a, b Quantity }

func (e *quantityAddError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the error e stands for.
func (e *quantityAddError) Unwrap() error {
	return fmt.Errorf("%w: quantity %s + %s", ErrOverflow, e.a, e.b)
}

// Sub returns q - o, or [ErrOverflow].
func (q Quantity) Sub(o Quantity) (Quantity, error) { return q.Add(Quantity{micros: -o.micros}) }

// Floor returns the whole units in q, rounded toward -∞: 2 for 2.75.
func (q Quantity) Floor() int64 {
	v, _ := mulDivRound(q.micros, 1, pow10[fixedScale], Floor)
	return v
}

// String returns q without trailing zeros: "3", "12.5".
func (q Quantity) String() string { return trimFixed(q.micros, fixedScale) }

// MarshalText encodes q as in [Quantity.String].
func (q Quantity) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText decodes a plain decimal quantity.
func (q *Quantity) UnmarshalText(text []byte) error {
	v, err := ParseQuantity(string(text))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// MarshalJSON encodes q as a JSON string, "12.5", so that no reader turns it into a float.
func (q Quantity) MarshalJSON() ([]byte, error) { return json.Marshal(q.String()) }

// UnmarshalJSON decodes a JSON string or a JSON number written as a plain decimal.
func (q *Quantity) UnmarshalJSON(data []byte) error {
	return q.UnmarshalText(unquoteNumber(data))
}

// Price is an exact amount of money per unit of a product. Unlike [Money] it may carry more
// digits than its currency: B2B price lists quote 0.3555 RUB for a bolt. It is fixed-point,
// counting millionths of a major unit, with a currency. The zero Price has no currency and
// means "unknown" (a line whose cost is not known). Price is an immutable value, safe for
// concurrent use.
type Price struct {
	micros int64
	cur    Currency
}

// ParsePrice parses a plain decimal price with at most 6 decimals in the currency with the
// ISO 4217 code currency: ParsePrice("0.3555", "RUB").
func ParsePrice(amount, currency string) (Price, error) {
	cur, err := ParseCurrency(currency)
	if err != nil {
		return Price{}, err
	}
	v, err := parseFixed("price", amount, fixedScale)
	if err != nil {
		return Price{}, err
	}
	return Price{micros: v, cur: cur}, nil
}

// MustPrice is like [ParsePrice] but panics on error. It is meant for tests and examples.
func MustPrice(amount, currency string) Price {
	p, err := ParsePrice(amount, currency)
	if err != nil {
		panic(err)
	}
	return p
}

// PriceFromMicros returns the price of micros millionths of a major unit of cur:
// PriceFromMicros(355500, rub) is 0.3555 RUB.
func PriceFromMicros(micros int64, cur Currency) (Price, error) {
	if cur.idx == 0 || micros == math.MinInt64 {
		return Price{}, microsError(micros, cur) // apart, so that PriceFromMicros inlines
	}
	return Price{micros: micros, cur: cur}, nil
}

// microsError is the error of PriceFromMicros(micros, cur).
func microsError(micros int64, cur Currency) error {
	if cur.IsZero() {
		return Invalid("currency", nil, "is required")
	}
	return Invalid("price", micros, "is out of range")
}

// PriceOf returns m as a price per unit.
func PriceOf(m Money) (Price, error) {
	v, ok := mulDivRound(m.units, int64(pow10[fixedScale-m.cur.Digits()]), 1, Down)
	if !ok {
		return Price{}, fmt.Errorf("%w: price %s", ErrOverflow, m)
	}
	return Price{micros: v, cur: m.cur}, nil
}

// Currency returns the currency of p (the zero Currency for an unknown price).
func (p Price) Currency() Currency { return p.cur }

// IsKnown reports whether p has a currency, that is, whether it is not the zero Price.
func (p Price) IsKnown() bool { return !p.cur.IsZero() }

// Micros returns p in millionths of a major unit: 0.3555 RUB is 355500.
func (p Price) Micros() int64 { return p.micros }

// Decimal returns p as a decimal number of major units.
func (p Price) Decimal() decimal.Decimal { return decimal.New(p.micros, -fixedScale) }

// Sign returns -1, 0 or +1 by the sign of p.
func (p Price) Sign() int { return sign64(p.micros) }

// Equal reports whether p and o are the same price in the same currency.
func (p Price) Equal(o Price) bool { return p == o }

// Times returns p·q rounded once to the currency's minor units with mode: the total of an
// order line. It is exact and does not allocate.
func (p Price) Times(q Quantity, mode RoundingMode) (Money, error) {
	if p.cur.IsZero() {
		return Money{}, Invalid("price", nil, "is unknown")
	}
	d := pow10[uint(2*fixedScale-p.cur.Digits())%16] // digits 0 to 4: 10⁸ to 10¹²; %16 spares the bounds check
	var v int64
	var ok bool
	if mode == HalfUp { // the default, without a call
		if v, ok = halfUp(absU(p.micros), absU(q.micros), d); p.micros^q.micros < 0 {
			v = -v
		}
	} else {
		v, ok = divRound(absU(p.micros), absU(q.micros), d, p.micros^q.micros < 0, mode)
	}
	if !ok {
		return Money{}, fmt.Errorf("%w: %s × %s", ErrOverflow, p, q)
	}
	return Money{units: v, cur: p.cur}, nil
}

// String returns the price without trailing zeros beyond the currency's digits, followed by
// the currency code: "0.3555 RUB", "12.50 RUB".
func (p Price) String() string {
	s := string(appendFixed(nil, p.micros, fixedScale))
	keep := len(s) - fixedScale + p.cur.Digits()
	if p.cur.Digits() == 0 {
		keep-- // drop the '.' too when nothing follows it
	}
	for len(s) > keep && (s[len(s)-1] == '0' || s[len(s)-1] == '.') {
		s = s[:len(s)-1]
	}
	if p.cur.IsZero() {
		return s
	}
	return s + " " + p.cur.Code()
}

// MarshalJSON encodes p as {"amount":"0.3555","currency":"RUB"}, like [Money]; the unknown
// price encodes as null.
func (p Price) MarshalJSON() ([]byte, error) {
	if p.cur.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(amountJSON{Amount: trimFixed(p.micros, fixedScale), Currency: p.cur.Code()})
}

// UnmarshalJSON decodes the form written by [Price.MarshalJSON]; null decodes to the unknown
// price.
func (p *Price) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*p = Price{}
		return nil
	}
	var j amountJSON
	if err := decodeStrict(data, &j); err != nil {
		return fmt.Errorf("loyalty: price: %w", err)
	}
	v, err := ParsePrice(j.Amount, j.Currency)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

func sign64(v int64) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// unquoteNumber strips the quotes of a JSON string; a bare JSON number is returned as is.
func unquoteNumber(data []byte) []byte {
	if len(data) >= 2 && data[0] == '"' && data[len(data)-1] == '"' {
		return data[1 : len(data)-1]
	}
	return data
}
