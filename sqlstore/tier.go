package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
)

// TierStore is the SQL [tier.Store]: accounts (status and day totals of qualifying
// activity), the change log of each account, idempotency receipts and the time of the last
// batch review, in the tables of migration 0005_tier (apply it with [Migrate]).
//
// Update runs its function in one transaction (see [NewTierStore]) and re-runs it on a
// transient conflict; View runs its function in a read-only transaction on one snapshot
// (repeatable read on PostgreSQL, a deferred read transaction on SQLite) and never waits
// for writers. Tier write transactions are serialised: on SQLite by the database's write
// lock, on PostgreSQL by a lock on the tier_write_lock table taken before the transaction's
// first read (so its snapshot already includes the previous writer's commit, and hot
// accounts and batch reviews never make it fail and retry). A batch review page holds that
// lock while it writes its accounts.
//
// Within an Update, account and change writes are sent to the database in batches (a few
// multi-row statements for a page of a batch review): before the next read of accounts or
// changes, and before the transaction commits. Reads see the transaction's own writes.
//
// Strings are stored as they are: SQL metacharacters are harmless (every statement is
// parameterised). Account IDs and receipt keys are limited to [MaxTierKeyBytes] bytes, and
// every string must be valid UTF-8 without NUL bytes (PostgreSQL cannot store those): a
// write that breaks these rules is refused with an error wrapping [loyalty.ErrInvalid],
// naming the field, and changes nothing; a read of such a key finds nothing. Times are
// kept to the nanosecond, in UTC, between the years 1 and 9999 (a time outside is refused);
// the zero time stays the zero time.
//
// A TierStore is safe for concurrent use when its DBTX is a *sql.DB.
type TierStore struct {
	db      DBTX
	dialect Dialect
}

// MaxTierKeyBytes is the longest account ID or idempotency key a [TierStore] accepts, in
// bytes: they make primary keys, which must fit in one PostgreSQL index entry. It is the
// limit of the points store, so that an account that fits one fits the other.
const MaxTierKeyBytes = 512

// NewTierStore returns a TierStore running its statements on db, a database of dialect
// with migration 0005_tier applied.
//
// With a *sql.DB every Update is its own transaction: serializable on PostgreSQL, after
// taking the tier write lock; an immediate write transaction on SQLite; retried
// transparently with a bounded backoff on a serialization failure, deadlock or busy
// database. With a caller's *sql.Tx, Update and View run on that transaction once, so that
// tier effects commit together with the caller's own writes; on PostgreSQL Update still
// takes the tier write lock, so the caller's transaction may use any isolation level
// (under READ COMMITTED every statement after the lock sees the last writer's commit), but
// a serializable transaction that read before its first tier Update may fail with a
// serialization error, which the caller must retry. db must be a *sql.DB or a *sql.Tx.
func NewTierStore(db DBTX, dialect Dialect) *TierStore {
	return &TierStore{db: db, dialect: dialect}
}

// Update implements [tier.Store].
func (s *TierStore) Update(ctx context.Context, fn func(tx tier.Tx) error) error {
	return inTx(ctx, s.db, s.dialect, func(q DBTX) error {
		if s.dialect == Postgres {
			// A utility statement without parameters: it takes no snapshot, so the
			// transaction's snapshot is taken by the first read, after the lock.
			if _, err := q.ExecContext(ctx, `LOCK TABLE tier_write_lock IN EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("sqlstore: tier: lock: %w", err)
			}
		}
		t := &tierTx{tierReadTx: tierReadTx{ctx: ctx, q: q, dialect: s.dialect}}
		t.w = &t.pending
		if err := fn(t); err != nil {
			return err
		}
		return t.flush()
	})
}

// View implements [tier.Store].
func (s *TierStore) View(ctx context.Context, fn func(tx tier.ReadTx) error) error {
	return inReadTx(ctx, s.db, s.dialect, func(q DBTX) error { return fn(tierReadTx{ctx: ctx, q: q, dialect: s.dialect}) })
}

// tierReadTx implements tier.ReadTx on one transaction; it has no write methods, so that
// View hands out a value that cannot write.
type tierReadTx struct {
	ctx     context.Context
	q       DBTX
	dialect Dialect
	w       *tierPending // the Update's writes not sent yet; nil in View
}

// tierTx implements tier.Tx on one transaction.
type tierTx struct {
	tierReadTx
	pending tierPending
}

// tierPending are the account and change writes of an Update not sent to the database yet.
type tierPending struct {
	accounts []tier.Account
	index    map[loyalty.AccountID]int // position in accounts of each ID
	changes  []tier.Change
}

// batchRows is how many rows one multi-row statement writes: 200 on PostgreSQL (18
// parameters each, far below its limit), 16 on SQLite, where a statement costs little more
// than its parsing and the driver's binding of parameters takes time quadratic in their
// number.
func (t tierReadTx) batchRows() int {
	if t.dialect == SQLite {
		return 16
	}
	return 200
}

// placeholders writes "($first+1, …, $first+n)" on PostgreSQL, "(?, …, ?)" on SQLite, whose
// driver matches numbered parameters to arguments in time quadratic in their number, and
// anonymous ones in order.
func (t tierReadTx) placeholders(b *strings.Builder, first, n int) {
	b.WriteByte('(')
	for j := range n {
		if j > 0 {
			b.WriteString(", ")
		}
		if t.dialect == SQLite {
			b.WriteByte('?')
			continue
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + j + 1))
	}
	b.WriteByte(')')
}

// flush sends the pending writes to the database.
func (t tierReadTx) flush() error {
	p := t.w
	if p == nil {
		return nil
	}
	for len(p.accounts) > 0 {
		n := min(len(p.accounts), t.batchRows())
		if err := t.putAccounts(p.accounts[:n]); err != nil {
			return err
		}
		p.accounts = p.accounts[n:]
	}
	p.accounts, p.index = nil, nil
	if len(p.changes) > 0 {
		if err := t.appendChanges(p.changes); err != nil {
			return err
		}
		p.changes = nil
	}
	return nil
}

// ---- accounts

// tierStatusColumns are the columns of a status, in tier_accounts and tier_receipts.
const tierStatusColumns = `level, since, reviewed, grace_until, grace_to, override_level, override_from, override_until,
	override_reason, membership_level, membership_from, membership_until, membership_fee_minor, membership_fee_currency, nanos`

const tierAccountColumns = `id, enrolled, ` + tierStatusColumns + `, history`

const (
	tierAccountSelect  = `SELECT ` + tierAccountColumns + ` FROM tier_accounts WHERE id = $1`
	tierAccountsFirst  = `SELECT ` + tierAccountColumns + ` FROM tier_accounts ORDER BY id LIMIT $1`
	tierAccountsAfter  = `SELECT ` + tierAccountColumns + ` FROM tier_accounts WHERE id > $1 ORDER BY id LIMIT $2`
	tierChangesSelect  = `SELECT at, at_nanos, kind, from_level, to_level, earned, qualifying_spend_minor, qualifying_spend_currency, qualifying_volume_micros, qualifying_count FROM tier_changes WHERE account = $1 ORDER BY seq`
	tierReceiptSelect  = `SELECT payload, account, ` + tierStatusColumns + ` FROM tier_receipts WHERE key = $1`
	tierLastBatchQuery = `SELECT at, at_nanos FROM tier_state WHERE name = 'last-batch-review'`
)

func (t tierReadTx) Account(id loyalty.AccountID) (tier.Account, error) {
	if !tierStorableKey(string(id)) {
		return tier.Account{}, fmt.Errorf("sqlstore: tier: account %s: %w", quote(string(id)), loyalty.ErrNotFound)
	}
	if err := t.flush(); err != nil {
		return tier.Account{}, err
	}
	var sc tierAccountScan
	err := t.q.QueryRowContext(t.ctx, tierAccountSelect, []byte(id)).Scan(sc.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return tier.Account{}, fmt.Errorf("sqlstore: tier: account %s: %w", quote(string(id)), loyalty.ErrNotFound)
	}
	if err != nil {
		return tier.Account{}, dbError("tier", "read account "+quote(string(id)), err)
	}
	return sc.account()
}

func (t tierReadTx) Accounts(after loyalty.AccountID, limit int) ([]tier.Account, error) {
	if limit <= 0 {
		return nil, nil
	}
	if err := t.flush(); err != nil {
		return nil, err
	}
	var rows *sql.Rows
	var err error
	if after == "" {
		rows, err = t.q.QueryContext(t.ctx, tierAccountsFirst, int64(limit))
	} else {
		rows, err = t.q.QueryContext(t.ctx, tierAccountsAfter, []byte(after), int64(limit))
	}
	if err != nil {
		return nil, dbError("tier", "read accounts", err)
	}
	defer rows.Close()
	out := make([]tier.Account, 0, min(limit, 1024))
	var sc tierAccountScan
	dest := sc.dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, dbError("tier", "read accounts", err)
		}
		a, err := sc.account()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("tier", "read accounts", err)
	}
	return out, nil
}

func (t *tierTx) PutAccount(a tier.Account) error {
	if err := tierCheckAccount(a); err != nil {
		return refused("tier", "put account "+quote(string(a.ID)), err)
	}
	p := t.w
	if i, ok := p.index[a.ID]; ok {
		p.accounts[i] = a.Clone()
		return nil
	}
	if p.index == nil {
		p.index = make(map[loyalty.AccountID]int)
	}
	p.index[a.ID] = len(p.accounts)
	p.accounts = append(p.accounts, a.Clone())
	return nil
}

// putAccounts writes accounts (distinct IDs) in one statement.
func (t tierReadTx) putAccounts(accounts []tier.Account) error {
	const cols = 18
	var b strings.Builder
	b.WriteString(`INSERT INTO tier_accounts (` + tierAccountColumns + `) VALUES `)
	args := make([]any, 0, cols*len(accounts))
	for i, a := range accounts {
		if i > 0 {
			b.WriteString(", ")
		}
		t.placeholders(&b, i*cols, cols)
		args = append(args, []byte(a.ID), micros(a.Enrolled))
		args = tierAppendStatus(args, a.Status, a.Enrolled)
		args = append(args, tierEncodeHistory(a.History))
	}
	b.WriteString(` ON CONFLICT (id) DO UPDATE SET enrolled = excluded.enrolled, level = excluded.level,
		since = excluded.since, reviewed = excluded.reviewed, grace_until = excluded.grace_until, grace_to = excluded.grace_to,
		override_level = excluded.override_level, override_from = excluded.override_from,
		override_until = excluded.override_until, override_reason = excluded.override_reason,
		membership_level = excluded.membership_level, membership_from = excluded.membership_from,
		membership_until = excluded.membership_until, membership_fee_minor = excluded.membership_fee_minor,
		membership_fee_currency = excluded.membership_fee_currency, nanos = excluded.nanos, history = excluded.history`)
	_, err := t.q.ExecContext(t.ctx, b.String(), args...)
	return dbError("tier", "write accounts", err)
}

// tierAccountScan receives one row of tier_accounts.
type tierAccountScan struct {
	id       []byte
	enrolled int64
	st       tierStatusScan
	history  string
}

func (s *tierAccountScan) dest() []any {
	return append(append([]any{&s.id, &s.enrolled}, s.st.dest()...), &s.history)
}

func (s *tierAccountScan) account() (tier.Account, error) {
	id := string(s.id)
	st, nanos, err := s.st.status()
	if err != nil {
		return tier.Account{}, fmt.Errorf("sqlstore: tier: stored account %s: %w", quote(id), err)
	}
	h, err := tierDecodeHistory(s.history)
	if err != nil {
		return tier.Account{}, fmt.Errorf("sqlstore: tier: stored history of %s: %w", quote(id), err)
	}
	return tier.Account{ID: loyalty.AccountID(id), Enrolled: tierTime(s.enrolled, nanos[7]), Status: st, History: h}, nil
}

// tierStatusScan receives the status columns of a row.
type tierStatusScan struct {
	level, since, reviewed                                               int64
	graceUntil, graceTo, ovLevel, ovFrom, ovUntil, mLevel, mFrom, mUntil sql.NullInt64
	feeMinor                                                             sql.NullInt64
	ovReason, feeCurrency                                                sql.NullString
	nanos                                                                string
}

func (s *tierStatusScan) dest() []any {
	return []any{&s.level, &s.since, &s.reviewed, &s.graceUntil, &s.graceTo, &s.ovLevel, &s.ovFrom, &s.ovUntil,
		&s.ovReason, &s.mLevel, &s.mFrom, &s.mUntil, &s.feeMinor, &s.feeCurrency, &s.nanos}
}

// status rebuilds the status and returns the row's sub-microsecond nanoseconds.
func (s *tierStatusScan) status() (tier.Status, [tierTimes]int64, error) {
	nanos, err := tierDecodeNanos(s.nanos)
	if err != nil {
		return tier.Status{}, nanos, err
	}
	st := tier.Status{Level: int(s.level), Since: tierTime(s.since, nanos[0]), Reviewed: tierTime(s.reviewed, nanos[1])}
	if s.graceTo.Valid {
		st.Grace = &tier.Grace{Until: tierTime(s.graceUntil.Int64, nanos[2]), To: int(s.graceTo.Int64)}
	}
	if s.ovLevel.Valid {
		st.Override = &tier.Override{Level: int(s.ovLevel.Int64), From: tierTime(s.ovFrom.Int64, nanos[3]),
			Until: tierTime(s.ovUntil.Int64, nanos[4]), Reason: s.ovReason.String}
	}
	if s.mLevel.Valid {
		fee, err := money(s.feeMinor.Int64, s.feeCurrency.String)
		if err != nil {
			return tier.Status{}, nanos, fmt.Errorf("membership fee: %w", err)
		}
		st.Membership = &tier.Membership{Level: int(s.mLevel.Int64), From: tierTime(s.mFrom.Int64, nanos[5]),
			Until: tierTime(s.mUntil.Int64, nanos[6]), Fee: fee}
	}
	return st, nanos, nil
}

// tierAppendStatus appends the values of the status columns of st (and enrolled, whose
// nanoseconds share the nanos column; the zero time for a receipt).
func tierAppendStatus(args []any, st tier.Status, enrolled time.Time) []any {
	var nanos [tierTimes]int64
	nanos[0], nanos[1], nanos[7] = tierNanos(st.Since), tierNanos(st.Reviewed), tierNanos(enrolled)
	args = append(args, int64(st.Level), micros(st.Since), micros(st.Reviewed))
	if g := st.Grace; g != nil {
		nanos[2] = tierNanos(g.Until)
		args = append(args, micros(g.Until), int64(g.To))
	} else {
		args = append(args, nil, nil)
	}
	if o := st.Override; o != nil {
		nanos[3], nanos[4] = tierNanos(o.From), tierNanos(o.Until)
		args = append(args, int64(o.Level), micros(o.From), micros(o.Until), o.Reason)
	} else {
		args = append(args, nil, nil, nil, nil)
	}
	if m := st.Membership; m != nil {
		nanos[5], nanos[6] = tierNanos(m.From), tierNanos(m.Until)
		args = append(args, int64(m.Level), micros(m.From), micros(m.Until), m.Fee.MinorUnits(), m.Fee.Currency().Code())
	} else {
		args = append(args, nil, nil, nil, nil, nil)
	}
	return append(args, tierEncodeNanos(nanos))
}

// ---- changes

func (t tierReadTx) Changes(id loyalty.AccountID) ([]tier.Change, error) {
	if !tierStorableKey(string(id)) {
		return nil, nil
	}
	if err := t.flush(); err != nil {
		return nil, err
	}
	what := "read changes of " + quote(string(id))
	rows, err := t.q.QueryContext(t.ctx, tierChangesSelect, []byte(id))
	if err != nil {
		return nil, dbError("tier", what, err)
	}
	defer rows.Close()
	var out []tier.Change
	for rows.Next() {
		var (
			at, atNanos, from, to, earned, spend, volume, count int64
			kind, currency                                      string
		)
		if err := rows.Scan(&at, &atNanos, &kind, &from, &to, &earned, &spend, &currency, &volume, &count); err != nil {
			return nil, dbError("tier", what, err)
		}
		spent, err := money(spend, currency)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: tier: stored change of %s: %w", quote(string(id)), err)
		}
		out = append(out, tier.Change{Account: id, At: tierTime(at, atNanos), Kind: tier.ChangeKind(kind),
			From: int(from), To: int(to), Earned: int(earned),
			Qualifying: tier.Amount{Spend: spent, Volume: loyalty.QuantityFromMicros(volume), Count: count}})
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("tier", what, err)
	}
	return out, nil
}

func (t *tierTx) AppendChanges(changes ...tier.Change) error {
	var errs []error
	for i, c := range changes {
		prefix := "changes[" + strconv.Itoa(i) + "]"
		errs = append(errs, loyalty.InField(prefix, tierCheckKey("account", string(c.Account))),
			loyalty.InField(prefix, checkText("kind", string(c.Kind))), loyalty.InField(prefix, checkTime("at", c.At)))
	}
	if err := errors.Join(errs...); err != nil {
		return refused("tier", "append changes", err)
	}
	t.w.changes = append(t.w.changes, changes...)
	return nil
}

// appendChanges numbers changes after the last stored change of each account and writes
// them.
func (t tierReadTx) appendChanges(changes []tier.Change) error {
	next := map[loyalty.AccountID]int64{}
	var ids []loyalty.AccountID
	for _, c := range changes {
		if _, ok := next[c.Account]; !ok {
			next[c.Account] = 0
			ids = append(ids, c.Account)
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), 10*t.batchRows())
		var b strings.Builder
		b.WriteString(`SELECT account, MAX(seq) FROM tier_changes WHERE account IN `)
		t.placeholders(&b, 0, n)
		b.WriteString(` GROUP BY account`)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = []byte(id)
		}
		if err := func() error {
			rows, err := t.q.QueryContext(t.ctx, b.String(), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id []byte
				var seq int64
				if err := rows.Scan(&id, &seq); err != nil {
					return err
				}
				next[loyalty.AccountID(id)] = seq
			}
			return rows.Err()
		}(); err != nil {
			return dbError("tier", "number changes", err)
		}
		ids = ids[n:]
	}
	const cols = 12
	for len(changes) > 0 {
		n := min(len(changes), t.batchRows())
		var b strings.Builder
		b.WriteString(`INSERT INTO tier_changes (account, seq, at, at_nanos, kind, from_level, to_level, earned,
			qualifying_spend_minor, qualifying_spend_currency, qualifying_volume_micros, qualifying_count) VALUES `)
		args := make([]any, 0, cols*n)
		for i, c := range changes[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			t.placeholders(&b, i*cols, cols)
			next[c.Account]++
			q := c.Qualifying
			args = append(args, []byte(c.Account), next[c.Account], micros(c.At), tierNanos(c.At), string(c.Kind),
				int64(c.From), int64(c.To), int64(c.Earned), q.Spend.MinorUnits(), q.Spend.Currency().Code(), q.Volume.Micros(), q.Count)
		}
		if _, err := t.q.ExecContext(t.ctx, b.String(), args...); err != nil {
			return dbError("tier", "append changes", err)
		}
		changes = changes[n:]
	}
	return nil
}

// ---- receipts and the last batch review

func (t tierReadTx) Receipt(key loyalty.IdempotencyKey) (tier.Receipt, bool, error) {
	if !tierStorableKey(string(key)) {
		return tier.Receipt{}, false, nil
	}
	var (
		payload, account string
		sc               tierStatusScan
	)
	err := t.q.QueryRowContext(t.ctx, tierReceiptSelect, string(key)).Scan(append([]any{&payload, &account}, sc.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return tier.Receipt{}, false, nil
	}
	if err != nil {
		return tier.Receipt{}, false, dbError("tier", "read receipt "+quote(string(key)), err)
	}
	st, _, err := sc.status()
	if err != nil {
		return tier.Receipt{}, false, fmt.Errorf("sqlstore: tier: stored receipt %s: %w", quote(string(key)), err)
	}
	return tier.Receipt{Payload: payload, Account: loyalty.AccountID(account), Status: st}, true, nil
}

func (t *tierTx) PutReceipt(key loyalty.IdempotencyKey, r tier.Receipt) error {
	what := "put receipt " + quote(string(key))
	err := errors.Join(tierCheckKey("key", string(key)), checkText("payload", r.Payload),
		checkText("account", string(r.Account)), loyalty.InField("status", tierCheckStatus(r.Status)))
	if err != nil {
		return refused("tier", what, err)
	}
	args := tierAppendStatus([]any{string(key), r.Payload, string(r.Account)}, r.Status, time.Time{})
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO tier_receipts (key, payload, account, `+tierStatusColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (key) DO NOTHING`, args...)
	if err != nil {
		return dbError("tier", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError("tier", what, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: tier: idempotency key %s: %w", quote(string(key)), loyalty.ErrConflict)
	}
	return nil
}

func (t tierReadTx) LastBatchReview() (time.Time, error) {
	var at, nanos int64
	err := t.q.QueryRowContext(t.ctx, tierLastBatchQuery).Scan(&at, &nanos)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, dbError("tier", "read the last batch review", err)
	}
	return tierTime(at, nanos), nil
}

func (t *tierTx) SetLastBatchReview(at time.Time) error {
	if err := checkTime("at", at); err != nil {
		return refused("tier", "set the last batch review", err)
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO tier_state (name, at, at_nanos) VALUES ('last-batch-review', $1, $2)
		ON CONFLICT (name) DO UPDATE SET at = excluded.at, at_nanos = excluded.at_nanos`, micros(at), tierNanos(at))
	return dbError("tier", "set the last batch review", err)
}

// ---- checks and encodings

// tierStorableKey reports whether s could have been stored as an account ID or key; a read
// of any other key finds nothing.
func tierStorableKey(s string) bool {
	return s != "" && storableKey(s, MaxTierKeyBytes)
}

// tierCheckKey refuses an empty key, or one that checkKey refuses.
func tierCheckKey(field, s string) error {
	if s == "" {
		return loyalty.Invalid(field, nil, "is required")
	}
	return checkKey(field, s, MaxTierKeyBytes)
}

// tierCheckAccount refuses an account the store cannot keep exactly, naming the first bad
// field of each kind by its JSON path.
func tierCheckAccount(a tier.Account) error {
	return errors.Join(tierCheckKey("id", string(a.ID)), checkTime("enrolled", a.Enrolled),
		loyalty.InField("status", tierCheckStatus(a.Status)))
}

func tierCheckStatus(st tier.Status) error {
	errs := []error{checkTime("since", st.Since), checkTime("reviewed", st.Reviewed)}
	if g := st.Grace; g != nil {
		errs = append(errs, checkTime("grace.until", g.Until))
	}
	if o := st.Override; o != nil {
		errs = append(errs, checkTime("override.from", o.From), checkTime("override.until", o.Until),
			checkText("override.reason", o.Reason))
	}
	if m := st.Membership; m != nil {
		errs = append(errs, checkTime("membership.from", m.From), checkTime("membership.until", m.Until))
	}
	return errors.Join(errs...)
}

// tierTimes is the number of times in a row of tier_accounts (see the nanos column).
const tierTimes = 8

// tierNanos is the nanoseconds of t below the microsecond that micros keeps.
func tierNanos(t time.Time) int64 { return int64(t.Nanosecond() % 1000) }

// tierTime rebuilds a time, in UTC.
func tierTime(micros, nanos int64) time.Time {
	return fromMicros(micros).Add(time.Duration(nanos))
}

func tierEncodeNanos(n [tierTimes]int64) string {
	if n == ([tierTimes]int64{}) {
		return ""
	}
	b := make([]byte, 0, 4*tierTimes)
	for i, v := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	return string(b)
}

func tierDecodeNanos(s string) ([tierTimes]int64, error) {
	var n [tierTimes]int64
	if s == "" {
		return n, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != tierTimes {
		return n, fmt.Errorf("nanos %q: want %d numbers", s, tierTimes)
	}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 || v > 999 {
			return n, fmt.Errorf("nanos %q: bad number %q", s, p)
		}
		n[i] = v
	}
	return n, nil
}

// tierEncodeHistory encodes day totals as a JSON array of [day, units] pairs.
func tierEncodeHistory(h tier.History) string {
	b := make([]byte, 0, 2+len(h)*16)
	b = append(b, '[')
	for i, d := range h {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(d.Day), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, d.Units, 10)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// tierDecodeHistory decodes what tierEncodeHistory encoded; an empty history is nil.
func tierDecodeHistory(s string) (tier.History, error) {
	if s == "[]" {
		return nil, nil
	}
	var pairs [][2]int64
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	h := make(tier.History, len(pairs))
	for i, p := range pairs {
		if int64(tier.Day(p[0])) != p[0] {
			return nil, fmt.Errorf("day %d out of range", p[0])
		}
		h[i] = tier.DayTotal{Day: tier.Day(p[0]), Units: p[1]}
	}
	return h, nil
}
