package sqlstore

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loyaltykit/loyalty"
)

// Input checks shared by the stores. A store checks what it writes before running any
// statement, so that what a column or index cannot hold is refused with a
// loyalty.FieldError (matching loyalty.ErrInvalid) naming the field, and the transaction is
// left as it was; a read of a key no write could have stored finds nothing without asking
// the database (storableKey). Each store passes its own key limit (MaxPromoKeyBytes, ...).

// The range of storable times: the years 1 to 9999 in UTC, microseconds being kept.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)     // the first storable time
	endTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // just after the last one
)

// storableKey reports whether s could have been stored as a key of at most limit bytes: valid
// UTF-8 without NUL bytes.
func storableKey(s string, limit int) bool {
	return len(s) <= limit && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkKey refuses a key longer than limit bytes (too long for an index entry) or one that
// checkText refuses.
func checkKey(field, s string, limit int) error {
	if len(s) > limit {
		return loyalty.Invalid(field, quote(s), fmt.Sprintf("must be at most %d bytes long (is %d)", limit, len(s)))
	}
	return checkText(field, s)
}

// checkText refuses a string for a text column: invalid UTF-8 (which PostgreSQL refuses
// and encoding/json would silently replace) or a NUL byte (which PostgreSQL refuses).
func checkText(field, s string) error {
	if err := checkJSONText(field, s); err != nil {
		return err
	}
	if strings.IndexByte(s, 0) >= 0 {
		return loyalty.Invalid(field, quote(s), "must not contain NUL bytes")
	}
	return nil
}

// checkJSONText refuses a string for a JSON value: invalid UTF-8, which encoding/json would
// silently replace (a NUL byte is escaped, and so kept).
func checkJSONText(field, s string) error {
	if !utf8.ValidString(s) {
		return loyalty.Invalid(field, quote(s), "must be valid UTF-8")
	}
	return nil
}

// storableTime reports whether t is in the years 1 to 9999 (UTC).
func storableTime(t time.Time) bool {
	return !t.Before(minTime) && t.Before(endTime)
}

// checkTime refuses a time outside the years 1 to 9999 (UTC).
func checkTime(field string, t time.Time) error {
	if !storableTime(t) {
		return loyalty.Invalid(field, t.Format(time.RFC3339Nano), "must be in the years 1 to 9999")
	}
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

// valueCheck checks every string (and time) in a value a store writes as JSON or spreads
// over columns.
type valueCheck struct {
	text  func(field, s string) error // checkText, or checkJSONText where NUL bytes are kept
	times bool                        // also refuse times outside the years 1 to 9999 (checkTime)
}

// check refuses the first string (c.text) or time (with c.times, checkTime) in the
// exported fields of v, walking structs, slices, arrays, maps and pointers (types without
// exported fields, such as Money and decimals, hold neither). field is v's path, with the
// JSON names of the fields; a map entry is named by its key. []byte values are bytes, not
// text, and are not checked.
func (c valueCheck) check(field string, v reflect.Value) error {
	if v.Type() == timeType {
		if c.times {
			return checkTime(field, v.Interface().(time.Time))
		}
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		return c.text(field, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return c.check(field, v.Elem())
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil
		}
		fallthrough
	case reflect.Array:
		for i := range v.Len() {
			if err := c.check(field+"["+strconv.Itoa(i)+"]", v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			f := field + "[" + fmt.Sprint(it.Key()) + "]"
			if err := errors.Join(c.check(f, it.Key()), c.check(f, it.Value())); err != nil {
				return err
			}
		}
	case reflect.Struct:
		typ := v.Type()
		for i := range typ.NumField() {
			sf := typ.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				name = sf.Name
			}
			if field != "" {
				name = field + "." + name
			}
			if err := c.check(name, v.Field(i)); err != nil {
				return err
			}
		}
	}
	return nil
}
