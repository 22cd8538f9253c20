package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
)

// ReferralStore is the SQL [referral.Store]: referrer profiles, referrals, the index of
// referee identifiers and idempotency receipts, in the tables of migration 0003_referral
// (apply it with [Migrate]).
//
// Update runs its function in one transaction (see [NewReferralStore]) and re-runs it on a
// transient conflict; View runs its function in a read-only transaction on one snapshot
// (repeatable read on PostgreSQL, a deferred read transaction on SQLite) and never waits
// for writers. The referral service's guarantees (one attribution and one conversion per
// referee, each reward granted once, caps and velocity limits) hold across processes and
// machines because each of its check-then-write steps runs inside one serializable write
// transaction, and referral write transactions are serialised: on SQLite by the database's
// write lock, on PostgreSQL by a lock on the referral_write_lock table taken before the
// transaction's first read (so its snapshot already includes the previous writer's commit
// and the hot referrer profiles never make it fail and retry).
//
// Strings are stored as they are: SQL metacharacters are harmless (every statement is
// parameterised). Referee accounts, referrer IDs, codes, receipt keys and identifier values
// are limited to [MaxReferralKeyBytes] bytes, and every string must be valid UTF-8 without
// NUL bytes (PostgreSQL cannot store those, and JSON would silently replace invalid UTF-8):
// a write that breaks these rules is refused with an error wrapping [loyalty.ErrInvalid],
// naming the field, and changes nothing; a read of such a key finds nothing. Times are kept
// to the microsecond, in UTC, between the years 1 and 9999 (a time outside is refused);
// the zero time stays the zero time.
//
// A ReferralStore is safe for concurrent use when its DBTX is a *sql.DB.
type ReferralStore struct {
	db      DBTX
	dialect Dialect
	q       refQueries
}

// MaxReferralKeyBytes is the longest referee account, referrer ID ("account:" and the
// account), code, receipt key or identifier value a [ReferralStore] accepts, in bytes: two
// of them make an entry of the index of referrals by referrer, which must fit in one
// PostgreSQL index entry.
const MaxReferralKeyBytes = 1024

// NewReferralStore returns a ReferralStore running its statements on db, a database of
// dialect with migration 0003_referral applied.
//
// With a *sql.DB every Update is its own transaction: serializable on PostgreSQL, after
// taking the referral write lock; an immediate write transaction on SQLite; retried
// transparently with a bounded backoff on a serialization failure, deadlock or busy
// database. With a caller's *sql.Tx, Update and View run on that transaction once, so that
// referral effects commit together with the caller's own writes; on PostgreSQL Update
// still takes the referral write lock, so the caller's transaction may use any isolation
// level (under READ COMMITTED every statement after the lock sees the last writer's
// commit), but a serializable transaction that read before its first referral Update may
// fail with a serialization error, which the caller must retry. db must be a *sql.DB or a
// *sql.Tx.
func NewReferralStore(db DBTX, dialect Dialect) *ReferralStore {
	return &ReferralStore{db: db, dialect: dialect, q: newRefQueries(dialect)}
}

// Update implements [referral.Store].
func (s *ReferralStore) Update(ctx context.Context, fn func(tx referral.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return inTx(ctx, s.db, s.dialect, func(q DBTX) error {
		if s.dialect == Postgres {
			// A utility statement without parameters: it takes no snapshot, so the
			// transaction's snapshot is taken by the first read, after the lock.
			if _, err := q.ExecContext(ctx, `LOCK TABLE referral_write_lock IN EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("sqlstore: referral: lock: %w", err)
			}
		}
		return fn(&referralTx{ctx: ctx, q: q, s: s})
	})
}

// View implements [referral.Store].
func (s *ReferralStore) View(ctx context.Context, fn func(tx referral.ReadTx) error) error {
	return inReadTx(ctx, s.db, s.dialect, func(q DBTX) error { return fn(&referralTx{ctx: ctx, q: q, s: s}) })
}

// refQueries are the store's statements. Their text depends on the dialect: PostgreSQL
// compares text by the database's collation unless told otherwise, and IDs order byte by
// byte (as Go compares strings), which is SQLite's default.
type refQueries struct {
	profile, profileByCode, referral, refereeWith, referralsBy, due, dueAll, receipt string
	profileHolders, putProfile, putReferral, putReceipt                              string
}

func newRefQueries(d Dialect) refQueries {
	collate := ""
	if d == Postgres {
		collate = ` COLLATE "C"`
	}
	return refQueries{
		profile:        `SELECT ` + refProfileColumns + ` FROM referral_profiles WHERE id = $1`,
		profileByCode:  `SELECT ` + refProfileColumns + ` FROM referral_profiles WHERE code = $1`,
		referral:       `SELECT ` + refReferralColumns + ` FROM referral_referrals WHERE referee = $1`,
		refereeWith:    `SELECT referee FROM referral_identifiers WHERE kind = $1 AND value = $2`,
		referralsBy:    `SELECT ` + refReferralColumns + ` FROM referral_referrals WHERE referrer_id = $1 ORDER BY attributed_at, referee` + collate,
		due:            `SELECT referee FROM referral_referrals WHERE status = 'pending' AND final_at <= $1 ORDER BY final_at, referee` + collate + ` LIMIT $2`,
		dueAll:         `SELECT referee FROM referral_referrals WHERE status = 'pending' AND final_at <= $1 ORDER BY final_at, referee` + collate,
		receipt:        `SELECT key, op, fingerprint, result, result IS NULL, at FROM referral_receipts WHERE key = $1`,
		profileHolders: `SELECT id, code FROM referral_profiles WHERE id = $1 OR code = $2`,
		putProfile: `INSERT INTO referral_profiles (` + refProfileColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, account = excluded.account, buyer = excluded.buyer,
			partner = excluded.partner, identity = excluded.identity, registered_at = excluded.registered_at,
			recent = excluded.recent, finalized = excluded.finalized, superseded = excluded.superseded, usage = excluded.usage`,
		putReferral: `INSERT INTO referral_referrals (` + refReferralColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
			$21, $22, $23, $24, $25, $26, $27, $28)
		ON CONFLICT (referee) DO UPDATE SET referee_buyer = excluded.referee_buyer, identity = excluded.identity,
			referrer_id = excluded.referrer_id, referrer_kind = excluded.referrer_kind,
			referrer_account = excluded.referrer_account, referrer_buyer = excluded.referrer_buyer,
			referrer_partner = excluded.referrer_partner, code = excluded.code, status = excluded.status,
			attributed_at = excluded.attributed_at, first_attributed_at = excluded.first_attributed_at,
			convert_by = excluded.convert_by, previous = excluded.previous, orders = excluded.orders,
			order_id = excluded.order_id, event = excluded.event,
			amount_minor = excluded.amount_minor, amount_currency = excluded.amount_currency,
			returned_minor = excluded.returned_minor, returned_currency = excluded.returned_currency,
			converted_at = excluded.converted_at, counted_at = excluded.counted_at, final_at = excluded.final_at,
			cancelled_at = excluded.cancelled_at, cancel_reason = excluded.cancel_reason,
			grants = excluded.grants, seq = excluded.seq`,
		putReceipt: `INSERT INTO referral_receipts (key, op, fingerprint, result, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO NOTHING`,
	}
}

const refProfileColumns = `id, kind, account, buyer, partner, code, identity, registered_at, recent, finalized, superseded, usage`

const refReferralColumns = `referee, referee_buyer, identity, referrer_id, referrer_kind, referrer_account, referrer_buyer, referrer_partner,
	code, status, attributed_at, first_attributed_at, convert_by, previous, orders, order_id, event,
	amount_minor, amount_currency, returned_minor, returned_currency,
	converted_at, counted_at, final_at, cancelled_at, cancel_reason, grants, seq`

// referralTx implements referral.Tx on one transaction.
type referralTx struct {
	ctx context.Context
	q   DBTX
	s   *ReferralStore
}

func (t *referralTx) queryRow(query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(t.ctx, query, args...)
}

func (t *referralTx) query(query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(t.ctx, query, args...)
}

func (t *referralTx) exec(query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(t.ctx, query, args...)
}

func refNotFound(what, id string) error {
	return fmt.Errorf("sqlstore: referral: %s %s: %w", what, quote(id), loyalty.ErrNotFound)
}

func (t *referralTx) Profile(id referral.ReferrerID) (referral.Profile, error) {
	if !storableKey(string(id), MaxReferralKeyBytes) {
		return referral.Profile{}, refNotFound("referrer", string(id))
	}
	row := t.queryRow(t.s.q.profile, string(id))
	p, err := refScanProfile(row)
	if errors.Is(err, sql.ErrNoRows) {
		return referral.Profile{}, refNotFound("referrer", string(id))
	}
	if err != nil {
		return referral.Profile{}, dbError("referral", "read referrer "+quote(string(id)), err)
	}
	return p, nil
}

func (t *referralTx) ProfileByCode(code string) (referral.Profile, error) {
	if !storableKey(code, MaxReferralKeyBytes) {
		return referral.Profile{}, refNotFound("code", code)
	}
	row := t.queryRow(t.s.q.profileByCode, code)
	p, err := refScanProfile(row)
	if errors.Is(err, sql.ErrNoRows) {
		return referral.Profile{}, refNotFound("code", code)
	}
	if err != nil {
		return referral.Profile{}, dbError("referral", "read code "+quote(code), err)
	}
	return p, nil
}

func (t *referralTx) Referral(referee loyalty.AccountID) (referral.Referral, error) {
	if !storableKey(string(referee), MaxReferralKeyBytes) {
		return referral.Referral{}, refNotFound("referee", string(referee))
	}
	row := t.queryRow(t.s.q.referral, string(referee))
	r, err := refScanReferral(row)
	if errors.Is(err, sql.ErrNoRows) {
		return referral.Referral{}, refNotFound("referee", string(referee))
	}
	if err != nil {
		return referral.Referral{}, dbError("referral", "read referee "+quote(string(referee)), err)
	}
	return r, nil
}

func (t *referralTx) RefereeWith(kind referral.IdentifierKind, value string) (loyalty.AccountID, error) {
	what := "referee with " + string(kind)
	if !storableKey(string(kind), MaxReferralKeyBytes) || !storableKey(value, MaxReferralKeyBytes) {
		return "", refNotFound(what, value)
	}
	var referee string
	err := t.queryRow(t.s.q.refereeWith, string(kind), value).Scan(&referee)
	if errors.Is(err, sql.ErrNoRows) {
		return "", refNotFound(what, value)
	}
	if err != nil {
		return "", dbError("referral", "read "+what+" "+quote(value), err)
	}
	return loyalty.AccountID(referee), nil
}

func (t *referralTx) ReferralsBy(referrer referral.ReferrerID) ([]referral.Referral, error) {
	if !storableKey(string(referrer), MaxReferralKeyBytes) {
		return nil, nil
	}
	rows, err := t.query(t.s.q.referralsBy, string(referrer))
	if err != nil {
		return nil, dbError("referral", "read referrals of "+quote(string(referrer)), err)
	}
	defer rows.Close()
	var out []referral.Referral
	for rows.Next() {
		r, err := refScanReferral(rows)
		if err != nil {
			return nil, dbError("referral", "read referrals of "+quote(string(referrer)), err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("referral", "read referrals of "+quote(string(referrer)), err)
	}
	return out, nil
}

func (t *referralTx) Due(now time.Time, limit int) ([]loyalty.AccountID, error) {
	if limit == 0 || now.Before(minTime) {
		return nil, nil // no stored time is before the zero time
	}
	at := micros(now)
	if !now.Before(endTime) {
		at = endTime.UnixMicro() - 1 // the last storable microsecond
	}
	var rows *sql.Rows
	var err error
	if limit < 0 {
		rows, err = t.query(t.s.q.dueAll, at)
	} else {
		rows, err = t.query(t.s.q.due, at, int64(limit))
	}
	if err != nil {
		return nil, dbError("referral", "read due referrals", err)
	}
	defer rows.Close()
	var out []loyalty.AccountID
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, dbError("referral", "read due referrals", err)
		}
		out = append(out, loyalty.AccountID(a))
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("referral", "read due referrals", err)
	}
	return out, nil
}

func (t *referralTx) Receipt(key loyalty.IdempotencyKey) (referral.Receipt, error) {
	if !storableKey(string(key), MaxReferralKeyBytes) {
		return referral.Receipt{}, refNotFound("receipt", string(key))
	}
	var (
		r      referral.Receipt
		k      string
		result []byte
		null   bool
		at     int64
	)
	err := t.queryRow(t.s.q.receipt, string(key)).Scan(&k, &r.Op, &r.Fingerprint, &result, &null, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return referral.Receipt{}, refNotFound("receipt", string(key))
	}
	if err != nil {
		return referral.Receipt{}, dbError("referral", "read receipt "+quote(string(key)), err)
	}
	if !null && result == nil {
		result = []byte{} // a driver may read an empty value as nil
	}
	r.Key, r.Result, r.At = loyalty.IdempotencyKey(k), result, fromMicros(at)
	return r, nil
}

func (t *referralTx) PutProfile(p referral.Profile) error {
	id := string(p.Referrer.ID())
	what := "put referrer " + quote(id)
	if err := errors.Join(checkKey("referrer.id", id, MaxReferralKeyBytes), checkKey("code", p.Code, MaxReferralKeyBytes), refCheck.check("", reflect.ValueOf(p))); err != nil {
		return refused("referral", what, err)
	}
	// Conflicts are found by reading, not by a failed statement, which would end a
	// PostgreSQL transaction.
	rows, err := t.query(t.s.q.profileHolders, id, p.Code)
	if err != nil {
		return dbError("referral", what, err)
	}
	var conflict error
	for rows.Next() {
		var holder, code string
		if err := rows.Scan(&holder, &code); err != nil {
			rows.Close()
			return dbError("referral", what, err)
		}
		switch {
		case holder != id:
			conflict = fmt.Errorf("sqlstore: referral: code %s is held by %s: %w", quote(p.Code), quote(holder), loyalty.ErrConflict)
		case code != p.Code:
			conflict = fmt.Errorf("sqlstore: referral: referrer %s holds code %s, cannot change it to %s: %w", quote(id), quote(code), quote(p.Code), loyalty.ErrConflict)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return dbError("referral", what, err)
	}
	if conflict != nil {
		return conflict
	}
	identity, err := json.Marshal(p.Identity)
	if err != nil {
		return dbError("referral", what, err)
	}
	recent := make([]time.Time, len(p.Recent))
	for i, at := range p.Recent {
		recent[i] = normTime(at)
	}
	usage := make([]referral.CapUsage, len(p.Usage))
	for i, u := range p.Usage {
		u.Start = normTime(u.Start)
		usage[i] = u
	}
	recentJSON, err := json.Marshal(recent)
	if err != nil {
		return dbError("referral", what, err)
	}
	usageJSON, err := json.Marshal(usage)
	if err != nil {
		return dbError("referral", what, err)
	}
	_, err = t.exec(t.s.q.putProfile,
		id, string(p.Referrer.Kind), string(p.Referrer.Account), string(p.Referrer.Buyer), string(p.Referrer.Partner),
		p.Code, string(identity), micros(p.RegisteredAt), string(recentJSON), int64(p.Finalized), int64(p.Superseded), string(usageJSON))
	return dbError("referral", what, err)
}

func (t *referralTx) PutReferral(r referral.Referral) error {
	what := "put referral of " + quote(string(r.Referee))
	errs := []error{checkKey("referee", string(r.Referee), MaxReferralKeyBytes), checkKey("referrer.id", string(r.Referrer.ID()), MaxReferralKeyBytes)}
	r.Identity.Each(func(kind referral.IdentifierKind, value string) {
		errs = append(errs, checkKey("identity."+string(kind), value, MaxReferralKeyBytes))
	})
	errs = append(errs, refCheck.check("", reflect.ValueOf(r)))
	if err := errors.Join(errs...); err != nil {
		return refused("referral", what, err)
	}
	identity, err := json.Marshal(r.Identity)
	if err != nil {
		return dbError("referral", what, err)
	}
	previous, err := json.Marshal(r.Previous)
	if err != nil {
		return dbError("referral", what, err)
	}
	var grants []referral.Grant
	if r.Grants != nil {
		grants = make([]referral.Grant, len(r.Grants))
		for i, g := range r.Grants {
			g.At = normTime(g.At)
			grants[i] = g
		}
	}
	grantsJSON, err := json.Marshal(grants)
	if err != nil {
		return dbError("referral", what, err)
	}
	_, err = t.exec(t.s.q.putReferral,
		string(r.Referee), string(r.RefereeBuyer), string(identity), string(r.Referrer.ID()), string(r.Referrer.Kind),
		string(r.Referrer.Account), string(r.Referrer.Buyer), string(r.Referrer.Partner),
		r.Code, string(r.Status), micros(r.AttributedAt), micros(r.FirstAttributedAt), micros(r.ConvertBy),
		string(previous), int64(r.Orders), string(r.Order), r.Event,
		r.Amount.MinorUnits(), r.Amount.Currency().Code(), r.Returned.MinorUnits(), r.Returned.Currency().Code(),
		micros(r.ConvertedAt), micros(r.CountedAt), micros(r.FinalAt), micros(r.CancelledAt), r.CancelReason,
		string(grantsJSON), int64(r.Seq))
	if err != nil {
		return dbError("referral", what, err)
	}
	return t.putIdentifiers(r.Referee, r.Identity, what)
}

// refIdentifierBatch is how many identifiers one statement indexes.
const refIdentifierBatch = 100

// putIdentifiers indexes the identifiers of referee's identity that no referee holds yet,
// in batches of one statement each.
func (t *referralTx) putIdentifiers(referee loyalty.AccountID, id referral.Identity, what string) error {
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO referral_identifiers (kind, value, referee) VALUES `)
		for i := 0; i < len(args); i += 3 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "($%d, $%d, $%d)", i+1, i+2, i+3)
		}
		b.WriteString(` ON CONFLICT (kind, value) DO NOTHING`)
		_, err := t.q.ExecContext(t.ctx, b.String(), args...)
		args = args[:0]
		return dbError("referral", what, err)
	}
	var err error
	id.Each(func(kind referral.IdentifierKind, value string) {
		if err != nil {
			return
		}
		args = append(args, string(kind), value, string(referee))
		if len(args) == 3*refIdentifierBatch {
			err = flush()
		}
	})
	if err != nil {
		return err
	}
	return flush()
}

func (t *referralTx) PutReceipt(r referral.Receipt) error {
	what := "put receipt " + quote(string(r.Key))
	if err := errors.Join(checkKey("key", string(r.Key), MaxReferralKeyBytes), refCheck.check("", reflect.ValueOf(r))); err != nil {
		return refused("referral", what, err)
	}
	var result any
	if r.Result != nil {
		result = r.Result
	}
	res, err := t.exec(t.s.q.putReceipt, string(r.Key), r.Op, r.Fingerprint, result, micros(r.At))
	if err != nil {
		return dbError("referral", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError("referral", what, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: referral: receipt %s exists: %w", quote(string(r.Key)), loyalty.ErrConflict)
	}
	return nil
}

// refScanner is a *sql.Row or *sql.Rows.
type refScanner interface{ Scan(dest ...any) error }

func refScanProfile(row refScanner) (referral.Profile, error) {
	var (
		p                                 referral.Profile
		id, kind, account, buyer, partner string
		identity, recent, usage           string
		registered, finalized, superseded int64
	)
	if err := row.Scan(&id, &kind, &account, &buyer, &partner, &p.Code, &identity, &registered, &recent, &finalized, &superseded, &usage); err != nil {
		return p, err
	}
	p.Referrer = referral.Referrer{Kind: referral.ReferrerKind(kind), Account: loyalty.AccountID(account),
		Buyer: loyalty.BuyerID(buyer), Partner: loyalty.PartnerID(partner)}
	p.RegisteredAt = fromMicros(registered)
	p.Finalized, p.Superseded = int(finalized), int(superseded)
	if err := errors.Join(json.Unmarshal([]byte(identity), &p.Identity), json.Unmarshal([]byte(recent), &p.Recent),
		json.Unmarshal([]byte(usage), &p.Usage)); err != nil {
		return p, fmt.Errorf("stored JSON of referrer %s: %w", quote(id), err)
	}
	if len(p.Recent) == 0 {
		p.Recent = nil
	}
	if len(p.Usage) == 0 {
		p.Usage = nil
	}
	return p, nil
}

func refScanReferral(row refScanner) (referral.Referral, error) {
	var (
		r                                                referral.Referral
		referee, buyer, identity, rid, kind, account     string
		rbuyer, partner, status, previous, order, grants string
		amountCur, returnedCur                           string
		attributed, first, convertBy, converted, counted int64
		final, cancelled, orders, amount, returned, seq  int64
	)
	if err := row.Scan(&referee, &buyer, &identity, &rid, &kind, &account, &rbuyer, &partner,
		&r.Code, &status, &attributed, &first, &convertBy, &previous, &orders, &order, &r.Event,
		&amount, &amountCur, &returned, &returnedCur,
		&converted, &counted, &final, &cancelled, &r.CancelReason, &grants, &seq); err != nil {
		return r, err
	}
	r.Referee, r.RefereeBuyer = loyalty.AccountID(referee), loyalty.BuyerID(buyer)
	r.Referrer = referral.Referrer{Kind: referral.ReferrerKind(kind), Account: loyalty.AccountID(account),
		Buyer: loyalty.BuyerID(rbuyer), Partner: loyalty.PartnerID(partner)}
	r.Status = referral.Status(status)
	r.AttributedAt, r.FirstAttributedAt, r.ConvertBy = fromMicros(attributed), fromMicros(first), fromMicros(convertBy)
	r.ConvertedAt, r.CountedAt, r.FinalAt, r.CancelledAt = fromMicros(converted), fromMicros(counted), fromMicros(final), fromMicros(cancelled)
	r.Orders, r.Order, r.Seq = int(orders), loyalty.OrderID(order), int(seq)
	var errAmount, errReturned error
	r.Amount, errAmount = money(amount, amountCur)
	r.Returned, errReturned = money(returned, returnedCur)
	if err := errors.Join(errAmount, errReturned, json.Unmarshal([]byte(identity), &r.Identity),
		json.Unmarshal([]byte(previous), &r.Previous), json.Unmarshal([]byte(grants), &r.Grants)); err != nil {
		return r, fmt.Errorf("stored referral of %s: %w", quote(referee), err)
	}
	return r, nil
}

// refCheck checks the strings and times of what the referral store writes.
var refCheck = valueCheck{text: checkText, times: true}
