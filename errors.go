package loyalty

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors shared by every package of the library. Callers branch on them with
// [errors.Is]; the errors actually returned wrap them with details.
var (
	// ErrNotFound reports that a store holds no record for the given key.
	ErrNotFound = errors.New("loyalty: not found")
	// ErrConflict reports a write that contradicts what a store already holds, such as an
	// idempotency key reused with a different payload or a stale version.
	ErrConflict = errors.New("loyalty: conflict")
	// ErrInvalid reports input that fails validation. [FieldError] values match it.
	ErrInvalid = errors.New("loyalty: invalid input")
	// ErrCurrencyMismatch reports arithmetic or comparison across two currencies.
	// [CurrencyMismatchError] values match it.
	ErrCurrencyMismatch = errors.New("loyalty: currency mismatch")
	// ErrOverflow reports a result outside the range of an int64 count of minor units
	// (or of micro-units, for [Price] and [Quantity]).
	ErrOverflow = errors.New("loyalty: amount out of range")
)

// CurrencyMismatchError is returned when two values in different currencies are combined.
// It matches [ErrCurrencyMismatch].
type CurrencyMismatchError struct {
	Op   string   // the operation attempted, such as "add" or "compare"
	A, B Currency // the two currencies, in operand order
}

// Error implements the error interface.
func (e *CurrencyMismatchError) Error() string {
	return fmt.Sprintf("loyalty: cannot %s %s and %s amounts", e.Op, e.A.orNone(), e.B.orNone())
}

// Is reports whether target is [ErrCurrencyMismatch].
func (e *CurrencyMismatchError) Is(target error) bool { return target == ErrCurrencyMismatch }

// FieldError reports one invalid field. Field is a path such as "lines[3].quantity"; Value is
// the offending value as the caller gave it, rendered for the message. It matches [ErrInvalid].
type FieldError struct {
	Field  string // path of the offending field, e.g. "lines[3].quantity"
	Value  string // the offending value, rendered with %v; empty when the field was missing
	Reason string // what is wrong, e.g. "must be positive"
}

// Error implements the error interface: "lines[3].quantity: must be positive (got -1)".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Value != "" {
		b.WriteString(" (got ")
		b.WriteString(quoteIfNeeded(e.Value))
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is [ErrInvalid].
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns a [*FieldError] for field. value is the offending value (nil when the field
// was missing) and reason says what a valid value looks like.
func Invalid(field string, value any, reason string) error {
	e := &FieldError{Field: field, Reason: reason}
	if value != nil {
		e.Value = fmt.Sprint(value)
	}
	return e
}

// InField prefixes the field path of every [*FieldError] inside err with prefix, so that a
// nested value's errors read as paths of the enclosing value: InField("lines[2]", err) turns
// "quantity: …" into "lines[2].quantity: …". It looks through errors joined with
// [errors.Join] and through single wrappers such as fmt.Errorf("tier: %w", err): a wrapper
// around field errors is dropped, since the path now says where the problem is. Errors
// without a field are returned unchanged; nil stays nil.
func InField(prefix string, err error) error {
	if err == nil || prefix == "" {
		return err
	}
	switch e := err.(type) {
	case *FieldError:
		c := *e
		c.Field = joinPath(prefix, e.Field)
		return &c
	case interface{ Unwrap() []error }:
		errs := e.Unwrap()
		out := make([]error, len(errs))
		for i, x := range errs {
			out[i] = InField(prefix, x)
		}
		return errors.Join(out...)
	case interface{ Unwrap() error }:
		var fe *FieldError
		if inner := e.Unwrap(); inner != nil && errors.As(inner, &fe) {
			return InField(prefix, inner)
		}
	}
	return err
}

func joinPath(prefix, field string) string {
	switch {
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	default:
		return prefix + "." + field
	}
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
