package loyalty

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/shopspring/decimal"
)

// Money is an exact amount in one currency: an int64 count of the currency's minor units
// (kopeks, cents) and the currency. It is an immutable value: every operation returns a new
// Money. Overflow and mixing currencies are errors, never a wrap-around, a panic or a silent
// conversion. Magnitudes stay within ±(2⁶³-1) minor units.
//
// The zero Money has no currency and is the identity for addition: adding it to any amount
// returns that amount. Money never holds a fraction of a minor unit; operations that produce
// fractions ([Money.MulRate], [Price.Times]) round once with a named [RoundingMode].
//
// Add, Sub, Cmp and MulRate do not allocate. Money is safe for concurrent use and works with
// go-cmp through its Equal method.
type Money struct {
	units int64
	cur   Currency
}

// MoneyFromMinor returns the amount of units minor units (kopeks, cents, yen) of cur.
func MoneyFromMinor(units int64, cur Currency) (Money, error) {
	if cur.idx == 0 || units == math.MinInt64 {
		return Money{}, minorError(units, cur) // apart, so that MoneyFromMinor inlines
	}
	return Money{units: units, cur: cur}, nil
}

// minorError is the error of MoneyFromMinor(units, cur).
func minorError(units int64, cur Currency) error {
	if cur.IsZero() {
		return Invalid("currency", nil, "is required")
	}
	return Invalid("amount", units, "is out of range")
}

// ParseMoney parses a plain decimal amount ("1234.50", "-3", "0.05") in the currency with the
// ISO 4217 code currency. The amount must be exact in that currency: "10.005" RUB and "1.5"
// JPY are errors (trailing zeros such as "10.500" are fine). Exponents, grouping separators,
// commas as decimal separators, spaces, "NaN" and "" are rejected.
func ParseMoney(amount, currency string) (Money, error) {
	cur, err := ParseCurrency(currency)
	if err != nil {
		return Money{}, err
	}
	units, err := parseFixed("amount", amount, cur.Digits())
	if err != nil {
		return Money{}, err
	}
	return Money{units: units, cur: cur}, nil
}

// MustMoney is like [ParseMoney] but panics on error. It is meant for tests and examples.
func MustMoney(amount, currency string) Money {
	m, err := ParseMoney(amount, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// MoneyFromDecimal rounds d to the minor units of cur with mode. It is the way in for amounts
// computed with decimal arithmetic; rounding an already whole amount returns it unchanged.
func MoneyFromDecimal(d decimal.Decimal, cur Currency, mode RoundingMode) (Money, error) {
	if cur.IsZero() {
		return Money{}, Invalid("currency", nil, "is required")
	}
	units, ok := scaleRound(d, cur.Digits(), mode)
	if !ok {
		return Money{}, fmt.Errorf("%w: %s %s", ErrOverflow, d.String(), cur.Code())
	}
	return Money{units: units, cur: cur}, nil
}

// Zero returns the zero amount of cur (0.00 RUB). Unlike the zero Money it has a currency.
func Zero(cur Currency) Money { return Money{cur: cur} }

// Currency returns the currency of m (the zero Currency for the zero Money).
func (m Money) Currency() Currency { return m.cur }

// MinorUnits returns m as an integer count of minor units: 1234.50 RUB is 123450.
func (m Money) MinorUnits() int64 { return m.units }

// Decimal returns m as a decimal number of major units: 1234.50 RUB is 1234.5.
func (m Money) Decimal() decimal.Decimal { return decimal.New(m.units, -int32(m.cur.Digits())) }

// IsZero reports whether m is zero, in any currency or none.
func (m Money) IsZero() bool { return m.units == 0 }

// Sign returns -1, 0 or +1 by the sign of m.
func (m Money) Sign() int {
	switch {
	case m.units < 0:
		return -1
	case m.units > 0:
		return 1
	}
	return 0
}

// IsPositive reports whether m > 0.
func (m Money) IsPositive() bool { return m.units > 0 }

// IsNegative reports whether m < 0.
func (m Money) IsNegative() bool { return m.units < 0 }

// Equal reports whether m and o are the same amount in the same currency. A zero amount
// with no currency equals a zero amount in any currency.
func (m Money) Equal(o Money) bool {
	if m.units != o.units {
		return false
	}
	return m.cur == o.cur || m.units == 0 && (m.cur.IsZero() || o.cur.IsZero())
}

// common returns the currency two operands share. A zero Money without a currency adopts the
// other operand's currency.
func (m Money) common(o Money, op string) (Currency, error) {
	switch {
	case m.cur == o.cur:
		return m.cur, nil
	case m.cur.IsZero() && m.units == 0:
		return o.cur, nil
	case o.cur.IsZero() && o.units == 0:
		return m.cur, nil
	}
	return Currency{}, &CurrencyMismatchError{Op: op, A: m.cur, B: o.cur}
}

// Add returns m + o. It fails with a [*CurrencyMismatchError] when the currencies differ and
// with [ErrOverflow] when the sum is out of range.
func (m Money) Add(o Money) (Money, error) {
	s := m.units + o.units
	// Small enough to inline: the errors are built by addError when they are read. A zero
	// amount without a currency adopts the other operand's (idx 0 is no currency).
	if m.cur != o.cur && m.units|int64(m.cur.idx) != 0 && o.units|int64(o.cur.idx) != 0 ||
		(m.units^s)&(o.units^s) < 0 || s == math.MinInt64 {
		return Money{}, &addError{op: "add", a: m, b: o}
	}
	return Money{units: s, cur: Currency{idx: m.cur.idx | o.cur.idx}}, nil
}

// Sub returns m - o, with the errors of [Money.Add].
func (m Money) Sub(o Money) (Money, error) {
	s := m.units - o.units // o.units is never math.MinInt64: Money's range is symmetric
	if m.cur != o.cur && m.units|int64(m.cur.idx) != 0 && o.units|int64(o.cur.idx) != 0 ||
		(m.units^o.units)&(m.units^s) < 0 || s == math.MinInt64 {
		return Money{}, &addError{op: "subtract", a: m, b: o}
	}
	return Money{units: s, cur: Currency{idx: m.cur.idx | o.cur.idx}}, nil
}

// addError is the error of [Money.Add] or [Money.Sub] of a and b: a [*CurrencyMismatchError]
// when the currencies cannot be combined, otherwise [ErrOverflow]. It is a plain value so
// that Add and Sub build it without a call (and inline); it reads and matches exactly as the
// error it wraps.
type addError struct {
	op   string // "add" or "subtract"
	a, b Money
}

func (e *addError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the error e stands for.
func (e *addError) Unwrap() error {
	if _, err := e.a.common(e.b, e.op); err != nil {
		return err
	}
	return e.a.overflow(e.op, e.b)
}

func (m Money) overflow(op string, o Money) error {
	return fmt.Errorf("%w: %s %s and %s", ErrOverflow, op, m, o)
}

// Neg returns -m. It cannot fail: Money's range is symmetric.
func (m Money) Neg() Money { return Money{units: -m.units, cur: m.cur} }

// Abs returns |m|.
func (m Money) Abs() Money {
	if m.units < 0 {
		return m.Neg()
	}
	return m
}

// MulInt returns m·n, such as a unit price times a whole quantity.
func (m Money) MulInt(n int64) (Money, error) {
	v, ok := mulDivRound(m.units, n, 1, Down)
	if !ok {
		return Money{}, fmt.Errorf("%w: %s × %d", ErrOverflow, m, n)
	}
	return Money{units: v, cur: m.cur}, nil
}

// MulRate returns m·rate rounded once to whole minor units with mode: 5% of 9,000.00 is
// m.MulRate(decimal.RequireFromString("0.05"), loyalty.HalfUp). The product is computed
// exactly (128-bit integer arithmetic on the rate's digits) and does not allocate for rates
// of up to 18 significant digits. To apply several rates, multiply the rates first and call
// MulRate once, so that the result is rounded only once.
func (m Money) MulRate(rate decimal.Decimal, mode RoundingMode) (Money, error) {
	v, ok := mulDecimalRound(m.units, rate, 0, mode)
	if !ok {
		return Money{}, fmt.Errorf("%w: %s × %s", ErrOverflow, m, rate.String())
	}
	return Money{units: v, cur: m.cur}, nil
}

// DivRate returns m/rate rounded once to whole minor units with mode: the price that leaves
// a 20% margin over a cost is cost.DivRate(0.8, loyalty.Ceiling). The quotient is exact
// before rounding and does not allocate for rates of up to 18 significant digits. A zero
// rate is an [ErrInvalid] error; a result out of range is [ErrOverflow].
func (m Money) DivRate(rate decimal.Decimal, mode RoundingMode) (Money, error) {
	if rate.IsZero() {
		return Money{}, Invalid("rate", "0", "cannot divide by zero")
	}
	v, ok := divDecimalRound(m.units, rate, mode)
	if !ok {
		return Money{}, fmt.Errorf("%w: %s ÷ %s", ErrOverflow, m, rate.String())
	}
	return Money{units: v, cur: m.cur}, nil
}

// Cmp compares m and o: -1 if m < o, 0 if equal, +1 if m > o. Amounts in different
// currencies do not compare and return a [*CurrencyMismatchError].
func (m Money) Cmp(o Money) (int, error) {
	// Small enough to inline, as Add: a zero amount without a currency compares with any.
	if m.cur != o.cur && m.units|int64(m.cur.idx) != 0 && o.units|int64(o.cur.idx) != 0 {
		return 0, &CurrencyMismatchError{Op: "compare", A: m.cur, B: o.cur}
	}
	c := 0
	if m.units < o.units {
		c = -1
	} else if m.units > o.units {
		c = 1
	}
	return c, nil
}

// Min returns the smaller of m and o, with the errors of [Money.Cmp].
func (m Money) Min(o Money) (Money, error) {
	c, err := m.Cmp(o)
	if err != nil || c <= 0 {
		return m, err
	}
	return o, nil
}

// Max returns the larger of m and o, with the errors of [Money.Cmp].
func (m Money) Max(o Money) (Money, error) {
	c, err := m.Cmp(o)
	if err != nil || c >= 0 {
		return m, err
	}
	return o, nil
}

// Amount returns the amount as a plain decimal numeral with the currency's number of
// decimals and no currency: "1234.50", "-0.05", "100" for JPY.
func (m Money) Amount() string { return string(appendFixed(nil, m.units, m.cur.Digits())) }

// String returns the amount followed by the currency code: "1234.50 RUB". The zero Money
// prints as "0".
func (m Money) String() string {
	if m.cur.IsZero() {
		return m.Amount()
	}
	b := appendFixed(make([]byte, 0, 24), m.units, m.cur.Digits())
	b = append(b, ' ')
	return string(append(b, m.cur.Code()...))
}

// GoString makes %#v print a readable amount in test failures.
func (m Money) GoString() string { return fmt.Sprintf("loyalty.Money(%s)", m) }

// MarshalText encodes m as "1234.50 RUB" (or "0" for the zero Money).
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes the form written by [Money.MarshalText]: an amount, one space and an
// ISO 4217 code. "0" alone decodes to the zero Money.
func (m *Money) UnmarshalText(text []byte) error {
	s := string(text)
	if s == "0" {
		*m = Money{}
		return nil
	}
	amount, code, ok := strings.Cut(s, " ")
	if !ok {
		return Invalid("money", s, `must be an amount and a currency code, such as "1234.50 RUB"`)
	}
	v, err := ParseMoney(amount, code)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// amountJSON is the JSON form of Money and Price: {"amount":"1234.50","currency":"RUB"}. The
// amount is a string so that no JSON reader turns it into a float.
type amountJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// MarshalJSON encodes m as {"amount":"1234.50","currency":"RUB"}.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(amountJSON{Amount: m.Amount(), Currency: m.cur.Code()})
}

// UnmarshalJSON decodes the form written by [Money.MarshalJSON]. Unknown fields, a missing
// currency on a non-zero amount and inexact amounts are errors.
func (m *Money) UnmarshalJSON(data []byte) error {
	var j amountJSON
	if err := decodeStrict(data, &j); err != nil {
		return fmt.Errorf("loyalty: money: %w", err)
	}
	if j.Currency == "" {
		units, err := parseFixed("amount", j.Amount, 0)
		if err != nil {
			return err
		}
		if units != 0 {
			return Invalid("currency", nil, "is required for a non-zero amount")
		}
		*m = Money{}
		return nil
	}
	v, err := ParseMoney(j.Amount, j.Currency)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Value implements [driver.Valuer]: Money is stored as text, "1234.50 RUB".
func (m Money) Value() (driver.Value, error) { return m.String(), nil }

// Scan implements [database/sql.Scanner] for text written by [Money.Value].
func (m *Money) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return m.UnmarshalText([]byte(v))
	case []byte:
		return m.UnmarshalText(v)
	case nil:
		return Invalid("money", "NULL", "cannot be scanned from NULL")
	}
	return Invalid("money", fmt.Sprintf("%T", src), "must be scanned from text")
}

// decodeStrict decodes one JSON value into v, rejecting unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the value")
	}
	return nil
}
