package sqlstore

import (
	"database/sql"
	"fmt"
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
