package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
)

// PromoStore is the SQL [promo.Store]: definitions, codes, usage counters, reservations,
// batches and revocations in the tables of migrations 0002_promo and 0007_promo_revocations
// (apply them with [Migrate]).
//
// Update runs its function in one transaction (see [NewPromoStore]) and re-runs it on a
// transient conflict; View runs its function in a read-only transaction on one snapshot
// (repeatable read on PostgreSQL, a deferred read transaction on SQLite) and never waits
// for writers. Usage limits hold across processes and machines because every
// check-and-count of the promo service runs inside one serializable write transaction, and
// promo write transactions are serialised: on SQLite by the database's write lock, on
// PostgreSQL by a lock on the promo_write_lock table taken before the transaction's first
// read (so its snapshot already includes the previous writer's commit, and writers queue
// on the hot usage counters instead of failing and retrying). A count never goes below
// zero: decrements are conditional updates and the column has a CHECK constraint. Writes
// from several instances therefore take turns, as they do on SQLite and in the memory
// store: [promo.Service.Generate] costs two statements per code (a lookup and an insert)
// and holds the turn meanwhile, so generate huge batches in parts.
//
// Strings are stored as they are: SQL metacharacters are harmless (every statement is
// parameterised). Keys, IDs, codes, accounts and periods are limited to [MaxPromoKeyBytes]
// bytes, and every string must be valid UTF-8 (text columns also refuse NUL bytes, which
// PostgreSQL cannot store): a write that breaks these rules is refused with an error
// wrapping [loyalty.ErrInvalid] and a read of such a key finds nothing. Times are kept to
// the microsecond, in UTC, between the years 1 and 9999.
//
// A PromoStore is safe for concurrent use when its DBTX is a *sql.DB.
type PromoStore struct {
	db      DBTX
	dialect Dialect
}

// MaxPromoKeyBytes is the longest key, ID, code, account or period a [PromoStore] accepts,
// in bytes: four of them make the primary key of a usage counter, which must fit in one
// PostgreSQL index entry.
const MaxPromoKeyBytes = 512

// NewPromoStore returns a PromoStore running its statements on db, a database of dialect
// with migrations 0002_promo and 0007_promo_revocations applied.
//
// With a *sql.DB every Update is its own transaction: serializable on PostgreSQL, after
// taking the promo write lock; an immediate write transaction on SQLite; retried
// transparently with a bounded backoff on a serialization failure, deadlock or busy
// database. With a caller's *sql.Tx, Update and View run on that transaction once, so that
// promo effects commit together with the caller's own writes; on PostgreSQL Update still
// takes the promo write lock, so the caller's transaction may use any isolation level
// (under READ COMMITTED every statement after the lock sees the last writer's commit), but
// a serializable transaction that read before its first promo Update may fail with a
// serialization error, which the caller must retry.
func NewPromoStore(db DBTX, dialect Dialect) *PromoStore {
	return &PromoStore{db: db, dialect: dialect}
}

// Update implements [promo.Store].
func (s *PromoStore) Update(ctx context.Context, fn func(tx promo.Tx) error) error {
	return inTx(ctx, s.db, s.dialect, func(q DBTX) error {
		if s.dialect == Postgres {
			// A utility statement without parameters: it takes no snapshot, so the
			// transaction's snapshot is taken by the first read, after the lock.
			if _, err := q.ExecContext(ctx, `LOCK TABLE promo_write_lock IN EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("sqlstore: promo: lock: %w", err)
			}
		}
		return fn(promoTx{ctx: ctx, q: q})
	})
}

// View implements [promo.Store].
func (s *PromoStore) View(ctx context.Context, fn func(tx promo.ReadTx) error) error {
	return inReadTx(ctx, s.db, s.dialect, func(q DBTX) error { return fn(promoTx{ctx: ctx, q: q}) })
}

// promoTx implements promo.Tx on one transaction.
type promoTx struct {
	ctx context.Context
	q   DBTX
}

// Not-found errors are built once: a new reservation looks its key up on every checkout.
var (
	errPromoDefinitionNotFound  = fmt.Errorf("sqlstore: promo: definition: %w", loyalty.ErrNotFound)
	errPromoCodeNotFound        = fmt.Errorf("sqlstore: promo: code: %w", loyalty.ErrNotFound)
	errPromoReservationNotFound = fmt.Errorf("sqlstore: promo: reservation: %w", loyalty.ErrNotFound)
	errPromoBatchNotFound       = fmt.Errorf("sqlstore: promo: batch: %w", loyalty.ErrNotFound)
	errPromoRevocationNotFound  = fmt.Errorf("sqlstore: promo: revocation: %w", loyalty.ErrNotFound)
)

func (t promoTx) Definition(id promo.DefinitionID) (promo.Definition, error) {
	if !storableKey(string(id), MaxPromoKeyBytes) {
		return promo.Definition{}, errPromoDefinitionNotFound
	}
	var body string
	err := t.q.QueryRowContext(t.ctx, `SELECT body FROM promo_definitions WHERE id = $1`, string(id)).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return promo.Definition{}, errPromoDefinitionNotFound
	} else if err != nil {
		return promo.Definition{}, dbError("promo", "read definition "+quote(string(id)), err)
	}
	var d promo.Definition
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return promo.Definition{}, fmt.Errorf("sqlstore: promo: definition %s: stored JSON: %w", quote(string(id)), err)
	}
	return d, nil
}

// promoDefinitionCheck checks the strings of a definition, which is stored as JSON (where a
// NUL byte is kept).
var promoDefinitionCheck = valueCheck{text: checkJSONText}

func (t promoTx) PutDefinition(d promo.Definition) error {
	if err := checkKey("id", string(d.ID), MaxPromoKeyBytes); err != nil {
		return refused("promo", "definition", err)
	}
	if err := promoDefinitionCheck.check("", reflect.ValueOf(d)); err != nil {
		return refused("promo", "definition", err)
	}
	body, err := json.Marshal(d)
	if err != nil {
		return refused("promo", "definition", loyalty.Invalid("", nil, "cannot be stored: "+err.Error()))
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO promo_definitions (id, body) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET body = excluded.body`, string(d.ID), string(body))
	return dbError("promo", "put definition "+quote(string(d.ID)), err)
}

func (t promoTx) Code(code string) (promo.Code, error) {
	if !storableKey(code, MaxPromoKeyBytes) {
		return promo.Code{}, errPromoCodeNotFound
	}
	c := promo.Code{Code: code}
	var def, account, issuedTo string
	var from, until, issued, revoked sql.NullInt64
	err := t.q.QueryRowContext(t.ctx, `SELECT definition, account, issued_to, valid_from, valid_until, issued_at, revoked_at, revoked_reason
		FROM promo_codes WHERE code = $1`, code).Scan(&def, &account, &issuedTo, &from, &until, &issued, &revoked, &c.RevokedReason)
	if errors.Is(err, sql.ErrNoRows) {
		return promo.Code{}, errPromoCodeNotFound
	} else if err != nil {
		return promo.Code{}, dbError("promo", "read code "+quote(code), err)
	}
	c.Definition, c.Account, c.IssuedTo = promo.DefinitionID(def), loyalty.AccountID(account), loyalty.AccountID(issuedTo)
	c.Valid.From, c.Valid.Until, c.IssuedAt = nullableTime(from), nullableTime(until), nullableTime(issued)
	c.RevokedAt = nullableTime(revoked)
	return c, nil
}

// promoCheckCode checks the strings and times of a code before it is written.
func promoCheckCode(c promo.Code) error {
	return errors.Join(checkKey("code", c.Code, MaxPromoKeyBytes), checkKey("definition", string(c.Definition), MaxPromoKeyBytes),
		checkKey("account", string(c.Account), MaxPromoKeyBytes), checkText("issued_to", string(c.IssuedTo)),
		checkTime("valid.from", c.Valid.From), checkTime("valid.until", c.Valid.Until), checkTime("issued_at", c.IssuedAt),
		checkTime("revoked_at", c.RevokedAt), checkText("revoked_reason", c.RevokedReason))
}

func (t promoTx) InsertCode(c promo.Code) error {
	if err := promoCheckCode(c); err != nil {
		return refused("promo", "code", err)
	}
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO promo_codes (code, definition, account, issued_to, valid_from, valid_until, issued_at,
		revoked_at, revoked_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO NOTHING`,
		c.Code, string(c.Definition), string(c.Account), string(c.IssuedTo),
		nullMicros(c.Valid.From), nullMicros(c.Valid.Until), nullMicros(c.IssuedAt), nullMicros(c.RevokedAt), c.RevokedReason)
	if err != nil {
		return dbError("promo", "insert code "+quote(c.Code), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError("promo", "insert code "+quote(c.Code), err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: promo: code %s already exists: %w", quote(c.Code), loyalty.ErrConflict)
	}
	return nil
}

func (t promoTx) UpdateCode(c promo.Code) error {
	if err := promoCheckCode(c); err != nil {
		return refused("promo", "code", err)
	}
	res, err := t.q.ExecContext(t.ctx, `UPDATE promo_codes SET definition = $2, account = $3, issued_to = $4, valid_from = $5,
		valid_until = $6, issued_at = $7, revoked_at = $8, revoked_reason = $9 WHERE code = $1`,
		c.Code, string(c.Definition), string(c.Account), string(c.IssuedTo),
		nullMicros(c.Valid.From), nullMicros(c.Valid.Until), nullMicros(c.IssuedAt), nullMicros(c.RevokedAt), c.RevokedReason)
	if n, err := rowsAffected(res, err); err != nil {
		return dbError("promo", "update code "+quote(c.Code), err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: promo: code %s: %w", quote(c.Code), loyalty.ErrNotFound)
	}
	return nil
}

func (t promoTx) Revocation(key loyalty.IdempotencyKey) (promo.Revocation, error) {
	if !storableKey(string(key), MaxPromoKeyBytes) {
		return promo.Revocation{}, errPromoRevocationNotFound
	}
	r := promo.Revocation{Key: key}
	var def string
	var at, earlier int64
	err := t.q.QueryRowContext(t.ctx, `SELECT code, definition, reason, revoked_at, earlier FROM promo_revocations WHERE key = $1`,
		string(key)).Scan(&r.Code, &def, &r.Reason, &at, &earlier)
	if errors.Is(err, sql.ErrNoRows) {
		return promo.Revocation{}, errPromoRevocationNotFound
	} else if err != nil {
		return promo.Revocation{}, dbError("promo", "read revocation "+quote(string(key)), err)
	}
	r.Definition, r.At, r.Earlier = promo.DefinitionID(def), fromMicros(at), earlier != 0
	return r, nil
}

func (t promoTx) InsertRevocation(r promo.Revocation) error {
	if err := errors.Join(checkKey("key", string(r.Key), MaxPromoKeyBytes), checkKey("code", r.Code, MaxPromoKeyBytes),
		checkKey("definition", string(r.Definition), MaxPromoKeyBytes), checkText("reason", r.Reason), checkTime("at", r.At)); err != nil {
		return refused("promo", "revocation", err)
	}
	earlier := 0
	if r.Earlier {
		earlier = 1
	}
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO promo_revocations (key, code, definition, reason, revoked_at, earlier)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING`,
		string(r.Key), r.Code, string(r.Definition), r.Reason, micros(r.At), earlier)
	if n, err := rowsAffected(res, err); err != nil {
		return dbError("promo", "insert revocation "+quote(string(r.Key)), err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: promo: revocation %s already exists: %w", quote(string(r.Key)), loyalty.ErrConflict)
	}
	return nil
}

func (t promoTx) Usage(c promo.Counter) (int, error) {
	if !storableKey(string(c.Definition), MaxPromoKeyBytes) || !storableKey(c.Code, MaxPromoKeyBytes) || !storableKey(string(c.Account), MaxPromoKeyBytes) || !storableKey(c.Period, MaxPromoKeyBytes) {
		return 0, nil // never counted
	}
	var n int64
	err := t.q.QueryRowContext(t.ctx, `SELECT n FROM promo_usage WHERE definition = $1 AND code = $2 AND account = $3 AND period = $4`,
		string(c.Definition), c.Code, string(c.Account), c.Period).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, dbError("promo", "read usage", err)
	}
	return int(n), nil
}

func (t promoTx) AddUsage(c promo.Counter, delta int) error {
	if err := promoCheckCounter(c); err != nil {
		return refused("promo", "counter", err)
	}
	d := int64(delta)
	switch {
	case d == 0:
		return nil
	case d > 0:
		// Insert the count, or add to it unless that would overflow.
		res, err := t.q.ExecContext(t.ctx, `INSERT INTO promo_usage (definition, code, account, period, n) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (definition, code, account, period) DO UPDATE SET n = promo_usage.n + excluded.n WHERE promo_usage.n <= $6`,
			string(c.Definition), c.Code, string(c.Account), c.Period, d, math.MaxInt64-d)
		if n, err := rowsAffected(res, err); err != nil {
			return dbError("promo", "add usage", err)
		} else if n == 0 {
			return fmt.Errorf("sqlstore: promo: usage count of %s would overflow: %w", promoCounterString(c), loyalty.ErrOverflow)
		}
		return nil
	}
	if d == math.MinInt64 {
		return fmt.Errorf("sqlstore: promo: usage count of %s would become negative: %w", promoCounterString(c), loyalty.ErrConflict)
	}
	// Subtract only from a count at least as large: never below zero. A count that reaches
	// zero keeps its row, which reads as zero like a count never made.
	res, err := t.q.ExecContext(t.ctx, `UPDATE promo_usage SET n = n + $5
		WHERE definition = $1 AND code = $2 AND account = $3 AND period = $4 AND n >= $6`,
		string(c.Definition), c.Code, string(c.Account), c.Period, d, -d)
	if n, err := rowsAffected(res, err); err != nil {
		return dbError("promo", "subtract usage", err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: promo: usage count of %s would become negative: %w", promoCounterString(c), loyalty.ErrConflict)
	}
	return nil
}

const promoReservationColumns = `key, state, definition, code, promotion, benefit, lines, eligible_minor, eligible_currency,
	account, order_id, counters, reserved_at, expires_at, redeemed_at, ended_at`

func (t promoTx) Reservation(key loyalty.IdempotencyKey) (promo.Reservation, error) {
	if !storableKey(string(key), MaxPromoKeyBytes) {
		return promo.Reservation{}, errPromoReservationNotFound
	}
	r, err := promoScanReservation(t.q.QueryRowContext(t.ctx, `SELECT `+promoReservationColumns+` FROM promo_reservations WHERE key = $1`, string(key)))
	if errors.Is(err, sql.ErrNoRows) {
		return promo.Reservation{}, errPromoReservationNotFound
	} else if err != nil {
		return promo.Reservation{}, dbError("promo", "read reservation "+quote(string(key)), err)
	}
	return r, nil
}

func (t promoTx) ExpiredReservations(def promo.DefinitionID, now time.Time) ([]promo.Reservation, error) {
	if !storableKey(string(def), MaxPromoKeyBytes) {
		return nil, nil
	}
	// Stored expiry times are whole microseconds, so "not after now" is "not after now
	// rounded down to the microsecond". 'reserved' is promo.Reserved, spelled out so that
	// the partial index promo_reservations_held applies.
	// Usually there are none: a short query, cheap to parse on SQLite, finds out.
	var one int
	err := t.q.QueryRowContext(t.ctx, `SELECT 1 FROM promo_reservations WHERE definition = $1 AND state = 'reserved' AND expires_at <= $2 LIMIT 1`,
		string(def), clampMicros(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, dbError("promo", "read expired reservations", err)
	}
	rows, err := t.q.QueryContext(t.ctx, `SELECT `+promoReservationColumns+` FROM promo_reservations
		WHERE definition = $1 AND state = 'reserved' AND expires_at <= $2`, string(def), clampMicros(now))
	if err != nil {
		return nil, dbError("promo", "read expired reservations", err)
	}
	defer rows.Close()
	var out []promo.Reservation
	for rows.Next() {
		r, err := promoScanReservation(rows)
		if err != nil {
			return nil, dbError("promo", "read expired reservations", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("promo", "read expired reservations", err)
	}
	return out, nil
}

func (t promoTx) PutReservation(r promo.Reservation) error {
	g := r.Grant
	errs := []error{checkKey("key", string(r.Key), MaxPromoKeyBytes), checkText("state", string(r.State)),
		checkKey("grant.definition", string(g.Definition), MaxPromoKeyBytes), checkText("grant.code", g.Code), checkText("grant.promotion", string(g.Promotion)),
		checkJSONText("grant.benefit.ref", g.Benefit.Ref), checkText("account", string(r.Account)), checkText("order", string(r.Order)),
		checkTime("reserved_at", r.ReservedAt), checkTime("expires_at", r.ExpiresAt), checkTime("redeemed_at", r.RedeemedAt), checkTime("ended_at", r.EndedAt)}
	for i, c := range r.Counters {
		errs = append(errs, loyalty.InField(fmt.Sprintf("counters[%d]", i), promoCheckCounter(c)))
	}
	if err := errors.Join(errs...); err != nil {
		return refused("promo", "reservation", err)
	}
	benefit, err := json.Marshal(g.Benefit)
	if err != nil {
		return refused("promo", "reservation", loyalty.Invalid("grant.benefit", nil, "cannot be stored: "+err.Error()))
	}
	lines, err := json.Marshal(g.Lines)
	if err != nil {
		return refused("promo", "reservation", loyalty.Invalid("grant.lines", nil, "cannot be stored: "+err.Error()))
	}
	counters, err := json.Marshal(r.Counters)
	if err != nil {
		return refused("promo", "reservation", loyalty.Invalid("counters", nil, "cannot be stored: "+err.Error()))
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO promo_reservations (`+promoReservationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (key) DO UPDATE SET state = excluded.state, definition = excluded.definition, code = excluded.code,
			promotion = excluded.promotion, benefit = excluded.benefit, lines = excluded.lines,
			eligible_minor = excluded.eligible_minor, eligible_currency = excluded.eligible_currency,
			account = excluded.account, order_id = excluded.order_id, counters = excluded.counters,
			reserved_at = excluded.reserved_at, expires_at = excluded.expires_at,
			redeemed_at = excluded.redeemed_at, ended_at = excluded.ended_at`,
		string(r.Key), string(r.State), string(g.Definition), g.Code, string(g.Promotion), string(benefit), string(lines),
		g.Eligible.MinorUnits(), g.Eligible.Currency().Code(), string(r.Account), string(r.Order), string(counters),
		r.ReservedAt.UnixMicro(), r.ExpiresAt.UnixMicro(), nullMicros(r.RedeemedAt), nullMicros(r.EndedAt))
	return dbError("promo", "put reservation "+quote(string(r.Key)), err)
}

func (t promoTx) Batch(key loyalty.IdempotencyKey) (promo.Batch, error) {
	if !storableKey(string(key), MaxPromoKeyBytes) {
		return promo.Batch{}, errPromoBatchNotFound
	}
	b := promo.Batch{Key: key}
	var def, codes, issuedTo string
	err := t.q.QueryRowContext(t.ctx, `SELECT definition, request, codes, issued_to FROM promo_batches WHERE key = $1`, string(key)).
		Scan(&def, &b.Request, &codes, &issuedTo)
	if errors.Is(err, sql.ErrNoRows) {
		return promo.Batch{}, errPromoBatchNotFound
	} else if err != nil {
		return promo.Batch{}, dbError("promo", "read batch "+quote(string(key)), err)
	}
	b.Definition = promo.DefinitionID(def)
	if err := errors.Join(json.Unmarshal([]byte(codes), &b.Codes), json.Unmarshal([]byte(issuedTo), &b.IssuedTo)); err != nil {
		return promo.Batch{}, fmt.Errorf("sqlstore: promo: batch %s: stored JSON: %w", quote(string(key)), err)
	}
	return b, nil
}

func (t promoTx) InsertBatch(b promo.Batch) error {
	errs := []error{checkKey("key", string(b.Key), MaxPromoKeyBytes), checkKey("definition", string(b.Definition), MaxPromoKeyBytes), checkText("request", b.Request)}
	for i, c := range b.Codes {
		errs = append(errs, checkJSONText(fmt.Sprintf("codes[%d]", i), c))
	}
	for i, a := range b.IssuedTo {
		errs = append(errs, checkJSONText(fmt.Sprintf("issued_to[%d]", i), string(a)))
	}
	if err := errors.Join(errs...); err != nil {
		return refused("promo", "batch", err)
	}
	codes, err := json.Marshal(b.Codes)
	if err != nil {
		return refused("promo", "batch", loyalty.Invalid("codes", nil, "cannot be stored: "+err.Error()))
	}
	issuedTo, err := json.Marshal(b.IssuedTo)
	if err != nil {
		return refused("promo", "batch", loyalty.Invalid("issued_to", nil, "cannot be stored: "+err.Error()))
	}
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO promo_batches (key, definition, request, codes, issued_to)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`,
		string(b.Key), string(b.Definition), b.Request, string(codes), string(issuedTo))
	if n, err := rowsAffected(res, err); err != nil {
		return dbError("promo", "insert batch "+quote(string(b.Key)), err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: promo: batch %s already exists: %w", quote(string(b.Key)), loyalty.ErrConflict)
	}
	return nil
}

// promoScanner is a *sql.Row or *sql.Rows.
type promoScanner interface{ Scan(dest ...any) error }

func promoScanReservation(row promoScanner) (promo.Reservation, error) {
	var r promo.Reservation
	var key, state, def, code, promotion, benefit, lines, currency, account, order, counters string
	var minor, reservedAt, expiresAt int64
	var redeemedAt, endedAt sql.NullInt64
	if err := row.Scan(&key, &state, &def, &code, &promotion, &benefit, &lines, &minor, &currency,
		&account, &order, &counters, &reservedAt, &expiresAt, &redeemedAt, &endedAt); err != nil {
		return r, err
	}
	r.Key, r.State, r.Account, r.Order = loyalty.IdempotencyKey(key), promo.State(state), loyalty.AccountID(account), loyalty.OrderID(order)
	r.Grant.Definition, r.Grant.Code, r.Grant.Promotion = promo.DefinitionID(def), code, loyalty.CampaignID(promotion)
	r.ReservedAt, r.ExpiresAt = fromMicros(reservedAt), fromMicros(expiresAt)
	r.RedeemedAt, r.EndedAt = nullableTime(redeemedAt), nullableTime(endedAt)
	if err := errors.Join(json.Unmarshal([]byte(benefit), &r.Grant.Benefit), json.Unmarshal([]byte(lines), &r.Grant.Lines),
		json.Unmarshal([]byte(counters), &r.Counters)); err != nil {
		return r, fmt.Errorf("sqlstore: promo: reservation %s: stored JSON: %w", quote(key), err)
	}
	if currency != "" {
		cur, err := loyalty.ParseCurrency(currency)
		if err == nil {
			r.Grant.Eligible, err = loyalty.MoneyFromMinor(minor, cur)
		}
		if err != nil {
			return r, fmt.Errorf("sqlstore: promo: reservation %s: stored eligible amount: %w", quote(key), err)
		}
	}
	return r, nil
}

func promoCheckCounter(c promo.Counter) error {
	return errors.Join(checkKey("definition", string(c.Definition), MaxPromoKeyBytes), checkKey("code", c.Code, MaxPromoKeyBytes),
		checkKey("account", string(c.Account), MaxPromoKeyBytes), checkKey("period", c.Period, MaxPromoKeyBytes))
}

func promoCounterString(c promo.Counter) string {
	return quote(fmt.Sprintf("%s/%s/%s/%s", c.Definition, c.Code, c.Account, c.Period))
}
