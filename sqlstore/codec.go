package sqlstore

import (
	"database/sql"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Codecs shared by the stores. Times are stored as BIGINT microseconds since the Unix
// epoch (UTC); what a store does with the zero time or the nanoseconds below a microsecond
// is its own choice: promo and points store the zero time as NULL where a time is
// optional (nullMicros), referral stores its microsecond count, and tier keeps the
// nanoseconds in a column of their own. Amounts are stored as minor units and a currency
// code, "" for the zero Money.

// micros is t in whole microseconds since the Unix epoch (rounded down).
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the time us microseconds after the Unix epoch, in UTC. The microsecond
// count of the zero time reads back as the zero time itself (time.Time{}, IsZero).
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// normTime returns t as it reads back from a column: in UTC, to the microsecond.
func normTime(t time.Time) time.Time { return fromMicros(micros(t)) }

// nullMicros is t in microseconds (micros), or NULL for the zero time.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

// nullableTime reads back what nullMicros stored: the zero time for NULL.
func nullableTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}

// clampMicros is t in microseconds (rounded down), clamped to the storable range
// [minTime, endTime], for comparing with stored times.
func clampMicros(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return minTime.UnixMicro()
	case !t.Before(endTime):
		return endTime.UnixMicro()
	}
	return micros(t)
}

// ceilMicros is clampMicros rounding up instead: the first stored microsecond not before t.
func ceilMicros(t time.Time) int64 {
	us := clampMicros(t)
	if storableTime(t) && time.UnixMicro(us).Before(t) {
		us++
	}
	return us
}

// money rebuilds an amount stored as minor units and a currency code ("" for the zero
// Money).
func money(minor int64, currency string) (loyalty.Money, error) {
	if currency == "" {
		if minor != 0 {
			return loyalty.Money{}, fmt.Errorf("%d minor units without a currency", minor)
		}
		return loyalty.Money{}, nil
	}
	cur, err := loyalty.ParseCurrency(currency)
	if err != nil {
		return loyalty.Money{}, err
	}
	return loyalty.MoneyFromMinor(minor, cur)
}

// utcTimes returns a copy of v with every time in its exported fields (walking structs,
// pointers, slices, arrays and maps) in UTC: the same instants, so that a JSON document of
// it holds UTC times. v itself is not changed: the parts of v that hold a time are copied,
// the others shared.
func utcTimes[T any](v T) T {
	src := reflect.ValueOf(&v).Elem()
	if !mayHoldTime(src.Type()) {
		return v
	}
	dst := reflect.New(src.Type()).Elem()
	utcCopy(dst, src)
	return dst.Interface().(T)
}

// utcCopy sets dst, a settable value, to a copy of src with its times in UTC (utcTimes).
func utcCopy(dst, src reflect.Value) {
	typ := src.Type()
	if typ == timeType {
		dst.Set(reflect.ValueOf(src.Interface().(time.Time).UTC()))
		return
	}
	if !mayHoldTime(typ) {
		dst.Set(src)
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if !src.IsNil() {
			p := reflect.New(typ.Elem())
			utcCopy(p.Elem(), src.Elem())
			dst.Set(p)
		}
	case reflect.Interface:
		if !src.IsNil() {
			v := reflect.New(src.Elem().Type()).Elem()
			utcCopy(v, src.Elem())
			dst.Set(v)
		}
	case reflect.Slice:
		if !src.IsNil() {
			s := reflect.MakeSlice(typ, src.Len(), src.Len())
			for i := range src.Len() {
				utcCopy(s.Index(i), src.Index(i))
			}
			dst.Set(s)
		}
	case reflect.Array:
		for i := range src.Len() {
			utcCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if !src.IsNil() {
			m := reflect.MakeMapWithSize(typ, src.Len())
			for it := src.MapRange(); it.Next(); {
				k, v := reflect.New(typ.Key()).Elem(), reflect.New(typ.Elem()).Elem()
				utcCopy(k, it.Key())
				utcCopy(v, it.Value())
				m.SetMapIndex(k, v)
			}
			dst.Set(m)
		}
	case reflect.Struct:
		dst.Set(src) // the unexported fields, which hold no time (mayHoldTime)
		for i := range typ.NumField() {
			if typ.Field(i).IsExported() {
				utcCopy(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}

// holdsTime caches mayHoldTime by type.
var holdsTime sync.Map // reflect.Type → bool

// mayHoldTime reports whether a value of typ may hold a time.Time in its exported fields
// (an interface may hold anything).
func mayHoldTime(typ reflect.Type) bool {
	if v, ok := holdsTime.Load(typ); ok {
		return v.(bool)
	}
	b := mayHoldTimeIn(typ, map[reflect.Type]bool{})
	holdsTime.Store(typ, b)
	return b
}

func mayHoldTimeIn(typ reflect.Type, seen map[reflect.Type]bool) bool {
	if typ == timeType {
		return true
	}
	if seen[typ] {
		return false // a recursive type: its other paths decide
	}
	seen[typ] = true
	switch typ.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return mayHoldTimeIn(typ.Elem(), seen)
	case reflect.Map:
		return mayHoldTimeIn(typ.Key(), seen) || mayHoldTimeIn(typ.Elem(), seen)
	case reflect.Struct:
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() && mayHoldTimeIn(f.Type, seen) {
				return true
			}
		}
	}
	return false
}
