package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
)

// PointsStore is the SQL [points.Store]: balance rows, lots, ledger entries and purchases in
// the tables of migration 0004_points, idempotency records in loyalty_idempotency (scope
// "points"); apply the migrations with [Migrate].
//
// Update runs its function as one atomic, serializable posting (see [NewPointsStore] for
// how) and re-runs it on a transient conflict; View runs its function in a read-only
// transaction on one snapshot (repeatable read on PostgreSQL, a deferred read transaction
// on SQLite). Balances hold across processes and machines.
//
// Every balance row has a version, which every PostgreSQL transaction that changes the
// holder's balance row, lots, entries or purchases increases (migration
// 0008_points_version). The ledger reads a holder's balance row before the holder's lots,
// entries and purchases and writes it with every change of them, and its functions are
// serializable under either of two schemes:
//
//   - Optimistic (PostgreSQL, a *sql.DB): the function's reads are statements of their own,
//     outside any transaction, and its writes wait; when it returns they go to the server
//     as one statement, which writes anything only if every balance row the function read
//     still has the version it read (and the rows it found absent are still absent). The
//     reads are not one snapshot, but any change between them changed a version, so a
//     function that decided on reads that do not belong together writes nothing and runs
//     again. Its error is never returned as it is (it may come of such reads): the function
//     then runs on the locking path, whose result the Update returns. The store remembers
//     the balance rows it wrote last, with their versions, and takes them instead of
//     reading them again (their versions are checked all the same): an earning is one
//     round trip, the writes, for a holder the store wrote last, and two otherwise. This
//     relies on versions only ever growing: after restoring the database from a backup
//     (or deleting balance rows), make new stores (restart the processes that use it).
//   - Locking (SQLite; on PostgreSQL a caller's *sql.Tx, and an Update whose optimistic
//     attempts failed or did what they cannot): on SQLite every Update holds the database's
//     write lock; on PostgreSQL an Update runs at READ COMMITTED and locks every balance row
//     it reads until it ends, so concurrent postings for one holder queue on the holder's
//     row (instead of failing and retrying, as they would under serializable isolation,
//     whose page-level predicate locks also make postings for different holders fail), and
//     postings for different holders run in parallel.
//
// In both, a row a posting found absent and then writes (a new holder, order or
// idempotency key, the next position in a history) is checked to be still absent, and the
// posting is re-run if another one stored it meanwhile. (A function of its own that reads a
// holder's lots, entries or purchases without first reading the holder's balance row runs
// on the locking path, and sees them at READ COMMITTED on PostgreSQL.)
//
// On PostgreSQL a posting costs few round trips to the server: writes wait and are sent
// together, as one statement (at the end of an optimistic attempt; on the locking path
// before the transaction's next read and before it commits, so that reads see the
// transaction's own writes); new lots and entries take their IDs from blocks the store
// reserves from the sequences; and, on a *sql.DB, an idempotency key or an order's
// purchase is presumed new without a read and checked by the write of its row (one that
// turns out to exist re-runs the posting, which then reads it). A write that a constraint
// refuses thus fails the Update, not the Tx method that asked for it (invalid input is
// still refused by the method, before any statement). See points_batch.go.
//
// Strings are stored as they are: SQL metacharacters are harmless (every statement is
// parameterised). Holder kinds and IDs, order IDs and idempotency keys are limited to
// [MaxPointsKeyBytes] bytes, and every string must be valid UTF-8 without NUL bytes (which
// PostgreSQL cannot store): a write that breaks these rules is refused with an error
// wrapping [loyalty.ErrInvalid] and changes nothing, and a read of such a key finds nothing.
// Times are kept to the microsecond, in UTC, between the years 1 and 9999.
//
// A PointsStore is safe for concurrent use when its DBTX is a *sql.DB.
type PointsStore struct {
	db      DBTX
	dialect Dialect
	// The statements that number new rows differ: PostgreSQL numbers them from the
	// BIGSERIAL sequences, SQLite takes the largest ID plus one.
	insertLot, insertEntry string
	// ids are the lot and entry IDs reserved from the sequences (PostgreSQL; see
	// points_batch.go).
	ids pointsIDs
	// recent are the purchases the store wrote last, which it does not presume absent.
	recent pointsRecent
	// cached are the balance rows the store's optimistic attempts wrote last (PostgreSQL).
	cached pointsCached
	// optimisticTries is how many optimistic attempts an Update on a *sql.DB makes before
	// it runs on the locking path (PostgreSQL; see points_batch.go).
	optimisticTries int
}

// MaxPointsKeyBytes is the longest holder kind, holder ID, order ID or idempotency key a
// [PointsStore] accepts, in bytes: they make primary keys, which must fit in one PostgreSQL
// index entry.
const MaxPointsKeyBytes = 512

// NewPointsStore returns a PointsStore running its statements on db, a database of dialect
// with migrations 0004_points and 0008_points_version applied ([Migrate] applies them).
//
// With a *sql.DB every Update stands alone. On PostgreSQL it makes up to three optimistic
// attempts (described at [PointsStore]: reads without a transaction, then one statement
// that writes only if the balance rows read are unchanged), one after the other while
// another posting changes a row they read; then, or at once when its function fails or
// does what an optimistic attempt cannot (read rows it has written, other than a lot by ID;
// write a holder's rows without reading and writing the holder's balance row; read a
// balance row without writing it; visit every row), it runs as a READ COMMITTED transaction
// with the row locks described at [PointsStore]. On SQLite it is an immediate write
// transaction. Transactions are retried transparently with a bounded backoff on a
// serialization failure, deadlock or busy database.
//
// With a caller's *sql.Tx, Update and View run on that transaction once, on the locking
// path, so that points effects commit together with the caller's own writes; on PostgreSQL the row locks
// work at any isolation level, and the caller retries its transaction when it fails with a
// serialization failure (SQLSTATE 40001, which the store also reports when a row it relied
// on changed; the transaction may then have been aborted by the failed statement, so roll
// it back and run it again).
func NewPointsStore(db DBTX, dialect Dialect) *PointsStore {
	s := &PointsStore{db: db, dialect: dialect, optimisticTries: pointsOptimisticAttempts}
	if dialect == SQLite {
		s.insertLot = `INSERT INTO points_lots (id, ` + pointsLotColumns + `)
			VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM points_lots), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			RETURNING id`
		s.insertEntry = `INSERT INTO points_entries (id, ` + pointsEntryColumns + `)
			VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM points_entries), $1, $2,
				(SELECT COALESCE(MAX(pos) + 1, 0) FROM points_entries WHERE holder_kind = $1 AND holder_id = $2),
				$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
			ON CONFLICT (holder_kind, holder_id, pos) DO NOTHING
			RETURNING id`
	} else {
		s.insertLot = `INSERT INTO points_lots (` + pointsLotColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			RETURNING id`
		s.insertEntry = `INSERT INTO points_entries (` + pointsEntryColumns + `)
			VALUES ($1, $2,
				(SELECT COALESCE(MAX(pos) + 1, 0) FROM points_entries WHERE holder_kind = $1 AND holder_id = $2),
				$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
			ON CONFLICT (holder_kind, holder_id, pos) DO NOTHING
			RETURNING id`
	}
	return s
}

// Update implements [points.Store]. If fn panics, the transaction is rolled back (its
// locks released) before the panic goes on (see runOnce).
func (s *PointsStore) Update(ctx context.Context, fn func(tx points.Tx) error) error {
	var learned []points.Holder              // balance rows an earlier attempt could not lock at once
	var learnedKeys []loyalty.IdempotencyKey // keys an earlier attempt wrongly presumed absent
	var learnedPurchases []pointsPurchaseKey // purchases an earlier attempt wrongly presumed absent
	db, own := s.db.(*sql.DB)
	if own && s.dialect == Postgres {
		if err := ctx.Err(); err != nil {
			return err // a cancelled operation runs nothing, as with the in-memory stores
		}
		// Optimistic attempts first (see points_batch.go); a conflict runs another, anything
		// else (a failure of fn included, which a torn read may have caused) the locking path.
		for range s.optimisticTries {
			err := s.optimistic(ctx, db, fn, &learnedKeys, &learnedPurchases)
			if err == nil {
				return nil
			} else if !retryable(err) {
				break
			}
		}
	}
	return inTxAt(ctx, s.db, s.dialect, sql.LevelReadCommitted, func(q DBTX) error {
		pg := s.dialect == Postgres
		st := &pointsTxState{lock: pg, batch: pg, guess: pg && own, learned: &learned, learnedKeys: &learnedKeys,
			learnedPurchases: &learnedPurchases}
		t := pointsTx{pointsReadTx{ctx: ctx, q: q, s: s, st: st}}
		if st.lock && len(learned) > 0 {
			if err := t.prelock(learned); err != nil {
				return err
			}
		}
		if err := fn(t); err != nil {
			return t.failed(err)
		}
		return t.flush(true)
	})
}

// View implements [points.Store]. If fn panics, the transaction is rolled back before the
// panic goes on (see runOnce).
func (s *PointsStore) View(ctx context.Context, fn func(tx points.ReadTx) error) error {
	return inReadTx(ctx, s.db, s.dialect, func(q DBTX) error {
		return fn(pointsReadTx{ctx: ctx, q: q, s: s})
	})
}

// pointsReadTx implements points.ReadTx on one transaction; it has no write methods, so
// that View hands out a value that cannot write.
type pointsReadTx struct {
	ctx context.Context
	q   DBTX
	s   *PointsStore
	st  *pointsTxState // nil in View
}

// pointsTx implements points.Tx on one transaction.
type pointsTx struct{ pointsReadTx }

// pointsTxState is what one attempt of an Update knows about the rows it read.
//
// The locking path is described here; optimistic attempts in points_batch.go.
//
// On PostgreSQL an Update runs at READ COMMITTED and makes itself serializable by locking:
// every balance row it reads stays locked (SELECT … FOR UPDATE) until it ends, so
// concurrent postings for one holder queue on the row instead of failing; and a row it found
// absent (a balance, a purchase, an idempotency record, a position in a holder's history)
// must still be absent when it writes it, or the attempt fails as a serialization failure
// and is re-run. Balance rows are locked in one global order (by holder kind, then ID) to
// avoid deadlocks: an attempt that needs a row that comes before one it holds does not wait
// for it (NOWAIT) but fails, and the next attempt locks every balance row the failed one
// wanted first, in the global order. (The ledger reads a transfer's two holders in the
// global order, whichever way the points go, and its expiry run visits holders in it; an
// optimistic statement locks its balance rows in it too, see points_batch.go.)
//
// On PostgreSQL writes also wait in pending until the next statement, and keys are presumed
// absent without a read (see points_batch.go).
type pointsTxState struct {
	lock            bool // lock balance rows (PostgreSQL)
	locked          []points.Holder
	learned         *[]points.Holder // shared by the attempts of one Update
	absentAccounts  []points.Holder
	absentKeys      []loyalty.IdempotencyKey
	absentPurchases []pointsPurchaseKey

	batch       bool // writes wait in pending (PostgreSQL)
	pending     pointsPending
	guess       bool                      // presume keys absent without reading them (PostgreSQL, own transactions)
	guessed     []loyalty.IdempotencyKey  // keys presumed absent
	putKeys     []loyalty.IdempotencyKey  // keys whose records this attempt stored
	learnedKeys *[]loyalty.IdempotencyKey // keys to read, shared by the attempts of one Update

	guessedPurchases []pointsPurchaseKey  // purchases presumed absent
	putPurchases     []pointsPurchaseKey  // purchases this attempt stored
	learnedPurchases *[]pointsPurchaseKey // purchases to read, shared by the attempts of one Update

	touched     []points.Holder // holders whose lots, entries or purchases the attempt writes
	putAccounts []points.Holder // holders whose balance rows the attempt writes

	// An optimistic attempt (PostgreSQL, a *sql.DB; see points_batch.go) reads without a
	// transaction and writes once, if the balance rows it read are unchanged.
	optimistic bool
	versions   []pointsVersion  // the balance rows read, with their versions
	written    []points.Account // the balance rows written, as they read back
	readLots   []pointsLotRead  // the lots read, with their holders
	fallback   bool             // the attempt did something only the locking path can
	unwritten  bool             // its final statement wrote nothing
	// The IDs it took for new lots and entries: an attempt that wrote nothing gives them
	// back, so that the next attempt (or Update) uses them, as if it had not run.
	lotIDs, entryIDs []int64
}

// pointsVersion is the version of a holder's balance row that an optimistic attempt read.
type pointsVersion struct {
	h points.Holder
	v int64
}

// pointsLotRead is a lot that an optimistic attempt read.
type pointsLotRead struct {
	id points.LotID
	h  points.Holder
}

// version returns the version of h's balance row that the attempt read.
func (st *pointsTxState) version(h points.Holder) (int64, bool) {
	for _, v := range st.versions {
		if v.h == h {
			return v.v, true
		}
	}
	return 0, false
}

// knows reports whether an optimistic attempt may read h's lots, entries and purchases:
// it read h's balance row first (or found it absent), so that the final write checks them.
func (st *pointsTxState) knows(h points.Holder) bool {
	_, ok := st.version(h)
	return ok || slices.Contains(st.absentAccounts, h)
}

// touch records that the attempt writes a row of h's. An optimistic attempt cannot write
// for a holder whose balance row it did not read (or find absent) or write: it ends.
func (st *pointsTxState) touch(h points.Holder) error {
	if st.optimistic && !st.knows(h) && !slices.Contains(st.putAccounts, h) {
		return st.fallBack()
	}
	if !slices.Contains(st.touched, h) {
		st.touched = append(st.touched, h)
	}
	return nil
}

// pends reports whether an optimistic attempt has a pending write that a read of h's rows
// (of the rows of every holder for the zero Holder, as a read by ID) would have to see:
// the read cannot see it (the attempt writes at its end), so the attempt ends instead.
func (st *pointsTxState) pends(h points.Holder, accounts, lots, entries, purchases bool) bool {
	p, all := &st.pending, h == points.Holder{}
	return accounts && slices.ContainsFunc(p.accounts, func(r pointsPendingRow[points.Holder]) bool { return r.key == h }) ||
		lots && (slices.ContainsFunc(p.lots, func(l points.Lot) bool { return all || l.Holder == h }) ||
			slices.ContainsFunc(p.lotUpdates, func(l points.Lot) bool { return all || l.Holder == h })) ||
		entries && slices.ContainsFunc(p.entries, func(e pointsPendingEntry) bool { return all || e.e.Holder == h }) ||
		purchases && slices.ContainsFunc(p.purchases, func(r pointsPendingRow[pointsPurchaseKey]) bool { return r.key.h == h })
}

// errPointsFallback is what the methods of an optimistic attempt return once it cannot go
// on: Update then runs the function again on the locking path.
var errPointsFallback = errors.New("sqlstore: points: this optimistic attempt cannot go on (the store runs it again with row locks)")

// fallBack ends an optimistic attempt (see errPointsFallback).
func (st *pointsTxState) fallBack() error {
	st.fallback = true
	return errPointsFallback
}

type pointsPurchaseKey struct {
	h points.Holder
	o loyalty.OrderID
}

// errPointsRetry is the serialization failure of an attempt that found a row changed that
// it relied on: inTx (and a caller retrying its own transaction) re-runs the transaction.
var errPointsRetry = &pgconn.PgError{Severity: "ERROR", Code: "40001",
	Message: "could not serialize access: a row read by the points store changed (detected by sqlstore)"}

func pointsRetry(op string) error {
	return fmt.Errorf("sqlstore: points: %s: %w", op, errPointsRetry)
}

// lockedAccount reads h's balance row and locks it until the transaction ends; it does not
// wait for the lock when the attempt holds a balance row that comes after h in the global
// order.
func (t pointsReadTx) lockedAccount(h points.Holder) (points.Account, error) {
	if err := t.flush(false); err != nil {
		return points.Account{}, err
	}
	held := slices.Contains(t.st.locked, h)
	q := pointsAccountLock
	if !held && slices.ContainsFunc(t.st.locked, func(l points.Holder) bool { return l.Compare(h) > 0 }) {
		q += ` NOWAIT` // waiting out of the global order could deadlock
	}
	var row string
	err := t.q.QueryRowContext(t.ctx, q, string(h.Kind), h.ID).Scan(&row)
	var a points.Account
	if err == nil {
		a, err = pointsParseAccount(h, row)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "55P03" { // lock_not_available
		learned := append(slices.Clone(t.st.locked), h)
		for _, l := range *t.st.learned {
			if !slices.Contains(learned, l) {
				learned = append(learned, l)
			}
		}
		*t.st.learned = learned
		return points.Account{}, pointsRetry("balance row of " + quote(h.String()) + " is locked")
	}
	if err == nil && !held {
		t.st.locked = append(t.st.locked, h)
	}
	return a, err
}

// pointsAccountLock reads and locks a balance row (every posting does, first). Its numbers
// come as one text column, separated by commas (an empty field for NULL), which pointsParseAccount
// reads: one column costs the client far less to receive and scan than fifteen.
const pointsAccountLock = `SELECT concat_ws(',', earned, active, pending, spent, expired, reversed, transferred, debited,
		debt, COALESCE(next_due::TEXT, ''), COALESCE(cap_period::TEXT, ''), cap_earned, entries)
	FROM points_accounts WHERE holder_kind = $1 AND holder_id = $2 FOR UPDATE`

// pointsAccountRead reads a balance row and its version without locking it (an optimistic
// attempt): the text of pointsAccountLock, a comma and the version.
const pointsAccountRead = `SELECT concat_ws(',', earned, active, pending, spent, expired, reversed, transferred, debited,
		debt, COALESCE(next_due::TEXT, ''), COALESCE(cap_period::TEXT, ''), cap_earned, entries, version)
	FROM points_accounts WHERE holder_kind = $1 AND holder_id = $2`

// pointsParseAccountVersion reads the balance row of h and its version from the text of
// pointsAccountRead.
func pointsParseAccountVersion(h points.Holder, row string) (points.Account, int64, error) {
	i := strings.LastIndexByte(row, ',')
	if i < 0 {
		return points.Account{}, 0, fmt.Errorf("sqlstore: points: balance row of %s: unexpected text %q", quote(h.String()), row)
	}
	v, err := strconv.ParseInt(row[i+1:], 10, 64)
	if err != nil {
		return points.Account{}, 0, fmt.Errorf("sqlstore: points: balance row of %s: version: %w", quote(h.String()), err)
	}
	a, err := pointsParseAccount(h, row[:i])
	return a, v, err
}

// optimisticAccount reads h's balance row in an optimistic attempt, without locking it, and
// remembers its version. Reading it again and finding another version (or finding it absent
// after present) fails the attempt as a serialization failure.
func (t pointsReadTx) optimisticAccount(h points.Holder) (points.Account, error) {
	if t.st.pends(h, true, false, false, false) {
		return points.Account{}, t.st.fallBack()
	}
	if _, read := t.st.version(h); !read && !slices.Contains(t.st.absentAccounts, h) {
		if a, v, ok := t.s.cached.get(h); ok {
			t.st.versions = append(t.st.versions, pointsVersion{h, v})
			return a, nil
		}
	}
	row, found, err := t.queryOne(pointsAccountRead, []any{string(h.Kind), h.ID})
	if err != nil {
		return points.Account{}, err
	} else if !found {
		if _, ok := t.st.version(h); ok {
			return points.Account{}, pointsRetry("balance row of " + quote(h.String()) + " changed during the attempt")
		}
		return points.Account{}, sql.ErrNoRows // the caller's sign of an absent row
	}
	a, v, err := pointsParseAccountVersion(h, row)
	if err != nil {
		return points.Account{}, err
	}
	if old, ok := t.st.version(h); ok && old != v || !ok && slices.Contains(t.st.absentAccounts, h) {
		return points.Account{}, pointsRetry("balance row of " + quote(h.String()) + " changed during the attempt")
	} else if !ok {
		t.st.versions = append(t.st.versions, pointsVersion{h, v})
	}
	return a, nil
}

// pointsParseAccount reads the balance row of h from the text of pointsAccountLock.
func pointsParseAccount(h points.Holder, row string) (points.Account, error) {
	a := points.Account{Holder: h}
	var nextDue, capPeriod, entries int64
	var nullDue, nullPeriod bool
	fields := [...]*int64{(*int64)(&a.Earned), (*int64)(&a.Active), (*int64)(&a.Pending), (*int64)(&a.Spent),
		(*int64)(&a.Expired), (*int64)(&a.Reversed), (*int64)(&a.Transferred), (*int64)(&a.Debited), (*int64)(&a.Debt),
		&nextDue, &capPeriod, (*int64)(&a.CapEarned), &entries}
	rest := row
	for i, f := range fields {
		field, more, found := strings.Cut(rest, ",")
		if found != (i < len(fields)-1) {
			return points.Account{}, fmt.Errorf("sqlstore: points: balance row of %s: unexpected text %q", quote(h.String()), row)
		}
		rest = more
		if field == "" && (f == &nextDue || f == &capPeriod) {
			nullDue, nullPeriod = nullDue || f == &nextDue, nullPeriod || f == &capPeriod
			continue
		}
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return points.Account{}, fmt.Errorf("sqlstore: points: balance row of %s: %w", quote(h.String()), err)
		}
		*f = n
	}
	a.NextDue = nullableTime(sql.NullInt64{Int64: nextDue, Valid: !nullDue})
	a.CapPeriod = nullableTime(sql.NullInt64{Int64: capPeriod, Valid: !nullPeriod})
	a.Entries = int(entries)
	return a, nil
}

// prelock locks the balance rows of hs in the global order.
func (t pointsTx) prelock(hs []points.Holder) error {
	hs = slices.Clone(hs)
	slices.SortFunc(hs, points.Holder.Compare) // the global order: points.Holder.Compare
	for _, h := range hs {
		var one int
		err := t.q.QueryRowContext(t.ctx, `SELECT 1 FROM points_accounts WHERE holder_kind = $1 AND holder_id = $2 FOR UPDATE`,
			string(h.Kind), h.ID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return dbError("points", "lock balance row of "+quote(h.String()), err)
		}
		t.st.locked = append(t.st.locked, h)
	}
	return nil
}

// Not-found errors are built once: a new idempotency key or order is the common case of
// every posting.
var (
	errPointsAccountNotFound  = fmt.Errorf("sqlstore: points: account: %w", loyalty.ErrNotFound)
	errPointsLotNotFound      = fmt.Errorf("sqlstore: points: lot: %w", loyalty.ErrNotFound)
	errPointsEntryNotFound    = fmt.Errorf("sqlstore: points: entry: %w", loyalty.ErrNotFound)
	errPointsPurchaseNotFound = fmt.Errorf("sqlstore: points: purchase: %w", loyalty.ErrNotFound)
	errPointsRecordNotFound   = fmt.Errorf("sqlstore: points: idempotency record: %w", loyalty.ErrNotFound)
)

// pointsPage is how many rows the visiting reads (Accounts, AllOpenLots, EntriesBetween)
// read at a time: each page is read whole before the callback sees it, so that the
// callback may use the transaction, and memory stays bounded however large the tables.
const pointsPage = 500

// pointsScope is the scope of the points idempotency records in loyalty_idempotency.
const pointsScope = "points"

// ---- accounts

const pointsAccountColumns = `holder_kind, holder_id, earned, active, pending, spent, expired, reversed, transferred,
	debited, debt, next_due, cap_period, cap_earned, entries`

func pointsScanAccount(row pointsScanner) (points.Account, error) {
	var a points.Account
	var kind, id string
	var nextDue, capPeriod sql.NullInt64
	var entries int64
	err := row.Scan(&kind, &id, &a.Earned, &a.Active, &a.Pending, &a.Spent, &a.Expired, &a.Reversed, &a.Transferred,
		&a.Debited, &a.Debt, &nextDue, &capPeriod, &a.CapEarned, &entries)
	a.Holder = points.Holder{Kind: points.HolderKind(kind), ID: id}
	a.NextDue, a.CapPeriod, a.Entries = nullableTime(nextDue), nullableTime(capPeriod), int(entries)
	return a, err
}

const pointsAccountSelect = `SELECT ` + pointsAccountColumns + ` FROM points_accounts WHERE holder_kind = $1 AND holder_id = $2`

func (t pointsReadTx) Account(h points.Holder) (points.Account, error) {
	if !pointsStorableHolder(h) {
		return points.Account{}, errPointsAccountNotFound
	}
	var a points.Account
	var err error
	if t.st != nil && t.st.lock {
		a, err = t.lockedAccount(h)
	} else if t.st != nil && t.st.optimistic {
		a, err = t.optimisticAccount(h)
	} else if err = t.flush(false); err == nil {
		a, err = pointsScanAccount(t.q.QueryRowContext(t.ctx, pointsAccountSelect, string(h.Kind), h.ID))
	}
	if errors.Is(err, sql.ErrNoRows) {
		if t.st != nil && !slices.Contains(t.st.absentAccounts, h) {
			t.st.absentAccounts = append(t.st.absentAccounts, h)
		}
		return points.Account{}, errPointsAccountNotFound
	} else if err != nil {
		return points.Account{}, dbError("points", "read account "+quote(h.String()), err)
	}
	return a, nil
}

func (t pointsReadTx) Accounts(fn func(points.Account) bool) error {
	if t.st != nil && t.st.optimistic {
		return t.st.fallBack() // no balance row version covers a visit of every row
	}
	// Pages in holder order: the first from the smallest holder (the zero one included),
	// the next ones after the last holder read.
	const page = `SELECT ` + pointsAccountColumns + ` FROM points_accounts
		WHERE (holder_kind, holder_id) %s ($1, $2) ORDER BY holder_kind, holder_id LIMIT %d`
	first, next := fmt.Sprintf(page, ">=", pointsPage), fmt.Sprintf(page, ">", pointsPage)
	q, kind, id := first, "", ""
	for {
		page, err := pointsQueryAll(t, q, pointsScanAccount, kind, id)
		if err != nil {
			return dbError("points", "read accounts", err)
		}
		for _, a := range page {
			if !fn(a) {
				return nil
			}
		}
		if len(page) < pointsPage {
			return nil
		}
		last := page[len(page)-1].Holder
		q, kind, id = next, string(last.Kind), last.ID
	}
}

func (t pointsTx) PutAccount(a points.Account) error {
	if !pointsStorableHolder(a.Holder) || !storableTime(a.NextDue) || !storableTime(a.CapPeriod) {
		return refused("points", "account", errors.Join(pointsCheckHolder("holder", a.Holder),
			checkTime("next_due", a.NextDue), checkTime("cap_period", a.CapPeriod)))
	}
	args := []any{string(a.Holder.Kind), a.Holder.ID, int64(a.Earned), int64(a.Active), int64(a.Pending), int64(a.Spent),
		int64(a.Expired), int64(a.Reversed), int64(a.Transferred), int64(a.Debited), int64(a.Debt),
		nullMicros(a.NextDue), nullMicros(a.CapPeriod), int64(a.CapEarned), int64(a.Entries)}
	if !slices.Contains(t.st.putAccounts, a.Holder) {
		t.st.putAccounts = append(t.st.putAccounts, a.Holder)
	}
	if t.st.batch {
		absent := slices.Contains(t.st.absentAccounts, a.Holder)
		if _, read := t.st.version(a.Holder); t.st.optimistic && !absent && !read &&
			!slices.ContainsFunc(t.st.pending.accounts, func(r pointsPendingRow[points.Holder]) bool { return r.key == a.Holder }) {
			return t.st.fallBack() // a balance row the attempt did not read
		}
		putRow(&t.st.pending.accounts, a.Holder, args, absent)
		if t.st.optimistic {
			// As it reads back: times in UTC, to the microsecond.
			a.NextDue, a.CapPeriod = pointsReadBack(a.NextDue), pointsReadBack(a.CapPeriod)
			if i := slices.IndexFunc(t.st.written, func(w points.Account) bool { return w.Holder == a.Holder }); i >= 0 {
				t.st.written[i] = a
			} else {
				t.st.written = append(t.st.written, a)
			}
		}
		if absent {
			t.st.absentAccounts = slices.DeleteFunc(t.st.absentAccounts, func(h points.Holder) bool { return h == a.Holder })
		}
		return t.flushIfFull()
	}
	if slices.Contains(t.st.absentAccounts, a.Holder) {
		// Read as absent: it must still be.
		res, err := t.q.ExecContext(t.ctx, `INSERT INTO points_accounts (`+pointsAccountColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (holder_kind, holder_id) DO NOTHING`, args...)
		if n, err := rowsAffected(res, err); err != nil {
			return dbError("points", "insert account "+quote(a.Holder.String()), err)
		} else if n == 0 {
			return pointsRetry("account " + quote(a.Holder.String()) + " was created concurrently")
		}
		t.st.absentAccounts = slices.DeleteFunc(t.st.absentAccounts, func(h points.Holder) bool { return h == a.Holder })
		return nil
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO points_accounts (`+pointsAccountColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`+pointsAccountUpsert, args...)
	return dbError("points", "put account "+quote(a.Holder.String()), err)
}

// pointsAccountUpsert ends an insert of balance rows that replaces the stored ones.
const pointsAccountUpsert = `
		ON CONFLICT (holder_kind, holder_id) DO UPDATE SET earned = excluded.earned, active = excluded.active,
			pending = excluded.pending, spent = excluded.spent, expired = excluded.expired, reversed = excluded.reversed,
			transferred = excluded.transferred, debited = excluded.debited, debt = excluded.debt,
			next_due = excluded.next_due, cap_period = excluded.cap_period, cap_earned = excluded.cap_earned,
			entries = excluded.entries, version = points_accounts.version + 1`

// pointsReadBack is t as a balance row's optional time reads back (nullMicros, then
// nullableTime).
func pointsReadBack(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return normTime(t)
}

// flushIfFull sends the pending writes when there are many.
func (t pointsTx) flushIfFull() error {
	if t.st.pending.size() >= pointsPendingMax {
		if t.st.optimistic {
			return t.st.fallBack() // too many rows for one statement
		}
		return t.flush(false)
	}
	return nil
}

// ---- lots

const pointsLotColumns = `holder_kind, holder_id, kind, order_id, issuer, earned_at, active_at, expires, pending,
	amount, remaining, spent, expired, reversed, transferred, debited`

// pointsNever is the stored expiry of a lot that never expires: after every other.
const pointsNever = math.MaxInt64

func pointsScanLot(row pointsScanner) (points.Lot, error) {
	var l points.Lot
	var hkind, hid, kind, order, issuer string
	var earnedAt, expires int64
	var activeAt sql.NullInt64
	err := row.Scan(&l.ID, &hkind, &hid, &kind, &order, &issuer, &earnedAt, &activeAt, &expires, &l.Pending,
		&l.Amount, &l.Remaining, &l.Spent, &l.Expired, &l.Reversed, &l.Transferred, &l.Debited)
	l.Holder = points.Holder{Kind: points.HolderKind(hkind), ID: hid}
	l.Kind, l.Order, l.Issuer = points.EntryKind(kind), loyalty.OrderID(order), loyalty.PartnerID(issuer)
	l.EarnedAt, l.ActiveAt = fromMicros(earnedAt), nullableTime(activeAt)
	if expires != pointsNever {
		l.Expires = fromMicros(expires)
	}
	return l, err
}

func pointsCheckLot(l points.Lot) error {
	if pointsStorableHolder(l.Holder) && storableKey(string(l.Order), MaxPointsKeyBytes) &&
		pointsTexts(string(l.Kind), string(l.Issuer)) && storableTime(l.EarnedAt) && storableTime(l.ActiveAt) && storableTime(l.Expires) {
		return nil // the common case, without building field names
	}
	return errors.Join(pointsCheckHolder("holder", l.Holder), checkText("kind", string(l.Kind)),
		checkKey("order", string(l.Order), MaxPointsKeyBytes), checkText("issuer", string(l.Issuer)),
		checkTime("earned_at", l.EarnedAt), checkTime("active_at", l.ActiveAt), checkTime("expires", l.Expires))
}

// pointsLotArgs are the values of pointsLotColumns.
func pointsLotArgs(l points.Lot) []any {
	expires := int64(pointsNever)
	if !l.Expires.IsZero() {
		expires = l.Expires.UnixMicro()
	}
	return []any{string(l.Holder.Kind), l.Holder.ID, string(l.Kind), string(l.Order), string(l.Issuer),
		l.EarnedAt.UnixMicro(), nullMicros(l.ActiveAt), expires, l.Pending,
		int64(l.Amount), int64(l.Remaining), int64(l.Spent), int64(l.Expired), int64(l.Reversed), int64(l.Transferred), int64(l.Debited)}
}

func (t pointsReadTx) Lot(id points.LotID) (points.Lot, error) {
	if err := t.flush(false); err != nil {
		return points.Lot{}, err
	}
	if st := t.st; st != nil && st.optimistic {
		// The attempt's own writes, which are not in the database yet.
		if i := slices.IndexFunc(st.pending.lotUpdates, func(l points.Lot) bool { return l.ID == id }); i >= 0 {
			return st.pending.lotUpdates[i], nil
		}
		if i := slices.IndexFunc(st.pending.lots, func(l points.Lot) bool { return l.ID == id }); i >= 0 {
			return st.pending.lots[i], nil
		}
	}
	l, err := pointsScanLot(t.q.QueryRowContext(t.ctx, `SELECT id, `+pointsLotColumns+` FROM points_lots WHERE id = $1`, int64(id)))
	if st := t.st; st != nil && st.optimistic {
		// A lot read as absent, or of a holder whose balance row the attempt did not read,
		// is not covered by a version.
		if _, read := st.version(l.Holder); err != nil || !read {
			return points.Lot{}, st.fallBack()
		}
		st.readLots = append(st.readLots, pointsLotRead{l.ID, l.Holder})
	}
	if errors.Is(err, sql.ErrNoRows) {
		return points.Lot{}, errPointsLotNotFound
	} else if err != nil {
		return points.Lot{}, dbError("points", fmt.Sprintf("read lot %d", id), err)
	}
	return l, nil
}

func (t pointsReadTx) OpenLots(h points.Holder) ([]points.Lot, error) {
	if !pointsStorableHolder(h) {
		return nil, nil
	}
	if st := t.st; st != nil && st.optimistic && (!st.knows(h) || st.pends(h, false, true, false, false)) {
		return nil, st.fallBack()
	}
	// remaining > 0 and the order are those of the partial index points_lots_open.
	lots, err := pointsQueryAll(t, `SELECT id, `+pointsLotColumns+` FROM points_lots
		WHERE holder_kind = $1 AND holder_id = $2 AND remaining > 0 ORDER BY expires, earned_at, id`,
		pointsScanLot, string(h.Kind), h.ID)
	if err != nil {
		return nil, dbError("points", "read open lots of "+quote(h.String()), err)
	}
	if st := t.st; st != nil && st.optimistic {
		for _, l := range lots {
			st.readLots = append(st.readLots, pointsLotRead{l.ID, l.Holder})
		}
	}
	return lots, nil
}

func (t pointsReadTx) AllOpenLots(fn func(points.Lot) bool) error {
	if t.st != nil && t.st.optimistic {
		return t.st.fallBack()
	}
	// Pages in the order of the partial index points_lots_open, so that only open lots are
	// read: the first page from the start, the next ones after the last lot read.
	const page = `SELECT id, ` + pointsLotColumns + ` FROM points_lots
		WHERE remaining > 0 %s ORDER BY holder_kind, holder_id, expires, earned_at, id LIMIT %d`
	first := fmt.Sprintf(page, "", pointsPage)
	next := fmt.Sprintf(page, "AND (holder_kind, holder_id, expires, earned_at, id) > ($1, $2, $3, $4, $5)", pointsPage)
	q, args := first, []any(nil)
	for {
		page, err := pointsQueryAll(t, q, pointsScanLot, args...)
		if err != nil {
			return dbError("points", "read open lots", err)
		}
		for _, l := range page {
			if !fn(l) {
				return nil
			}
		}
		if len(page) < pointsPage {
			return nil
		}
		last := pointsLotArgs(page[len(page)-1])
		q, args = next, []any{last[0], last[1], last[7], last[5], int64(page[len(page)-1].ID)} // kind, id, expires, earned_at, id
	}
}

func (t pointsTx) InsertLot(l points.Lot) (points.Lot, error) {
	if err := pointsCheckLot(l); err != nil {
		return points.Lot{}, refused("points", "lot", err)
	}
	if err := t.st.touch(l.Holder); err != nil {
		return points.Lot{}, err
	}
	if t.st.batch {
		id, err := t.s.nextID(t.ctx, t.q, "points_lots_id_seq")
		if err != nil {
			return points.Lot{}, err
		}
		t.st.lotIDs = append(t.st.lotIDs, id)
		l.ID = points.LotID(id)
		t.st.pending.lots = append(t.st.pending.lots, l)
		return l, t.flushIfFull()
	}
	var id int64
	if err := t.q.QueryRowContext(t.ctx, t.s.insertLot, pointsLotArgs(l)...).Scan(&id); err != nil {
		return points.Lot{}, dbError("points", "insert lot", err)
	}
	l.ID = points.LotID(id)
	return l, nil
}

func (t pointsTx) UpdateLot(l points.Lot) error {
	if err := pointsCheckLot(l); err != nil {
		return refused("points", "lot", err)
	}
	if err := t.st.touch(l.Holder); err != nil {
		return err
	}
	if st := t.st; st.optimistic {
		// A lot the attempt read, of the same holder, waits with the other writes: the
		// version of its holder's balance row vouches that it is unchanged.
		if !slices.Contains(st.readLots, pointsLotRead{l.ID, l.Holder}) {
			return st.fallBack()
		}
		if i := slices.IndexFunc(st.pending.lotUpdates, func(p points.Lot) bool { return p.ID == l.ID }); i >= 0 {
			st.pending.lotUpdates[i] = l
		} else {
			st.pending.lotUpdates = append(st.pending.lotUpdates, l)
		}
		return t.flushIfFull()
	}
	if err := t.flush(false); err != nil {
		return err
	}
	args := append(pointsLotArgs(l), int64(l.ID))
	res, err := t.q.ExecContext(t.ctx, `UPDATE points_lots SET kind = $3, order_id = $4, issuer = $5, earned_at = $6,
		active_at = $7, expires = $8, pending = $9, amount = $10, remaining = $11, spent = $12, expired = $13,
		reversed = $14, transferred = $15, debited = $16
		WHERE id = $17 AND holder_kind = $1 AND holder_id = $2`, args...)
	if n, err := rowsAffected(res, err); err != nil {
		return dbError("points", fmt.Sprintf("update lot %d", l.ID), err)
	} else if n == 1 {
		return nil
	}
	stored, err := t.Lot(l.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: points: lot %d: %w", l.ID, err)
	}
	return fmt.Errorf("sqlstore: points: lot %d belongs to %s, not %s: %w", l.ID,
		quote(stored.Holder.String()), quote(l.Holder.String()), loyalty.ErrConflict)
}

// ---- entries

const pointsEntryColumns = `holder_kind, holder_id, pos, kind, points, at, key, lots, order_id, event, lines, pending,
	issuer, acceptor, value_minor, value_currency, reward, capped, debt, forgiven, reason, actor, counter_kind, counter_id`

// pointsEntrySelect reads the columns pointsScanEntry scans.
const pointsEntrySelect = `SELECT id, holder_kind, holder_id, kind, points, at, key, lots, order_id, event, lines, pending,
	issuer, acceptor, value_minor, value_currency, reward, capped, debt, forgiven, reason, actor, counter_kind, counter_id
	FROM points_entries`

func pointsScanEntry(row pointsScanner) (points.Entry, error) {
	var e points.Entry
	var hkind, hid, kind, key, lots, order, event, lines, issuer, acceptor, currency, reward, reason, actor, ckind, cid string
	var at, minor int64
	if err := row.Scan(&e.ID, &hkind, &hid, &kind, &e.Points, &at, &key, &lots, &order, &event, &lines, &e.Pending,
		&issuer, &acceptor, &minor, &currency, &reward, &e.Capped, &e.Debt, &e.Forgiven, &reason, &actor, &ckind, &cid); err != nil {
		return e, err
	}
	e.Holder = points.Holder{Kind: points.HolderKind(hkind), ID: hid}
	e.Kind, e.At, e.Key = points.EntryKind(kind), fromMicros(at), loyalty.IdempotencyKey(key)
	e.Order, e.Event, e.Issuer, e.Acceptor = loyalty.OrderID(order), event, loyalty.PartnerID(issuer), loyalty.PartnerID(acceptor)
	e.Reward, e.Reason, e.Actor = reward, reason, actor
	e.Counter = points.Holder{Kind: points.HolderKind(ckind), ID: cid}
	if err := errors.Join(pointsUnmarshal(lots, &e.Lots), pointsUnmarshal(lines, &e.Lines)); err != nil {
		return e, fmt.Errorf("sqlstore: points: entry %d: stored JSON: %w", e.ID, err)
	}
	var err error
	if e.Value, err = money(minor, currency); err != nil {
		return e, fmt.Errorf("sqlstore: points: entry %d: stored value: %w", e.ID, err)
	}
	return e, nil
}

func (t pointsReadTx) Entry(id points.EntryID) (points.Entry, error) {
	if err := t.flush(false); err != nil {
		return points.Entry{}, err
	}
	if st := t.st; st != nil && st.optimistic && st.pends(points.Holder{}, false, false, true, false) {
		return points.Entry{}, st.fallBack()
	}
	e, err := pointsScanEntry(t.q.QueryRowContext(t.ctx, pointsEntrySelect+` WHERE id = $1`, int64(id)))
	if t.st != nil && t.st.optimistic && err != nil {
		return points.Entry{}, t.st.fallBack() // entries never change, but one may be being written
	}
	if errors.Is(err, sql.ErrNoRows) {
		return points.Entry{}, errPointsEntryNotFound
	} else if err != nil {
		return points.Entry{}, dbError("points", fmt.Sprintf("read entry %d", id), err)
	}
	return e, nil
}

func (t pointsReadTx) Entries(h points.Holder, from, limit int) ([]points.Entry, error) {
	if !pointsStorableHolder(h) || limit <= 0 {
		return nil, nil
	}
	if st := t.st; st != nil && st.optimistic && (!st.knows(h) || st.pends(h, false, false, true, false)) {
		return nil, st.fallBack()
	}
	es, err := pointsQueryAll(t, pointsEntrySelect+` WHERE holder_kind = $1 AND holder_id = $2 AND pos >= $3 ORDER BY pos LIMIT $4`,
		pointsScanEntry, string(h.Kind), h.ID, int64(max(from, 0)), int64(limit))
	if err != nil {
		return nil, dbError("points", "read entries of "+quote(h.String()), err)
	}
	return es, nil
}

func (t pointsReadTx) EntriesBetween(from, to time.Time, fn func(points.Entry) bool) error {
	if t.st != nil && t.st.optimistic {
		return t.st.fallBack()
	}
	if !from.Before(to) {
		return nil
	}
	// Stored times are whole microseconds: at >= from is at >= from rounded up, at < to is
	// at < to rounded up.
	lo, hi := ceilMicros(from), ceilMicros(to)
	// Pages in the order of the index points_entries_at: the first from lo, the next ones
	// after the last entry read.
	first := pointsEntrySelect + ` WHERE at >= $1 AND at < $2 ORDER BY at, id LIMIT ` + strconv.Itoa(pointsPage)
	next := pointsEntrySelect + ` WHERE (at, id) > ($1, $3) AND at < $2 ORDER BY at, id LIMIT ` + strconv.Itoa(pointsPage)
	q, args := first, []any{lo, hi}
	for {
		page, err := pointsQueryAll(t, q, pointsScanEntry, args...)
		if err != nil {
			return dbError("points", "read entries by time", err)
		}
		for _, e := range page {
			if !fn(e) {
				return nil
			}
		}
		if len(page) < pointsPage {
			return nil
		}
		last := page[len(page)-1]
		q, args = next, []any{last.At.UnixMicro(), hi, int64(last.ID)}
	}
}

func (t pointsTx) AppendEntry(e points.Entry) (points.Entry, error) {
	if !pointsStorableHolder(e.Holder) || !storableTime(e.At) || !pointsTexts(string(e.Kind), string(e.Key), string(e.Order),
		e.Event, string(e.Issuer), string(e.Acceptor), e.Reward, e.Reason, e.Actor, string(e.Counter.Kind), e.Counter.ID) ||
		slices.ContainsFunc(e.Lots, func(p points.LotPart) bool { return !pointsTexts(string(p.Issuer)) }) {
		return points.Entry{}, refused("points", "entry", pointsCheckEntry(e))
	}
	lots, err := pointsMarshal(e.Lots, e.Lots == nil)
	if err != nil {
		return points.Entry{}, refused("points", "entry", loyalty.Invalid("lots", nil, "cannot be stored: "+err.Error()))
	}
	lines, err := pointsMarshal(e.Lines, e.Lines == nil)
	if err != nil {
		return points.Entry{}, refused("points", "entry", loyalty.Invalid("lines", nil, "cannot be stored: "+err.Error()))
	}
	if err := t.st.touch(e.Holder); err != nil {
		return points.Entry{}, err
	}
	if t.st.batch {
		id, err := t.s.nextID(t.ctx, t.q, "points_entries_id_seq")
		if err != nil {
			return points.Entry{}, err
		}
		t.st.entryIDs = append(t.st.entryIDs, id)
		e.ID = points.EntryID(id)
		t.st.pending.entries = append(t.st.pending.entries, pointsPendingEntry{e: e, lots: lots, lines: lines})
		return e, t.flushIfFull()
	}
	var id int64
	err = t.q.QueryRowContext(t.ctx, t.s.insertEntry,
		string(e.Holder.Kind), e.Holder.ID, string(e.Kind), int64(e.Points), e.At.UnixMicro(), string(e.Key), lots,
		string(e.Order), e.Event, lines, e.Pending, string(e.Issuer), string(e.Acceptor),
		e.Value.MinorUnits(), e.Value.Currency().Code(), e.Reward, int64(e.Capped), int64(e.Debt), int64(e.Forgiven),
		e.Reason, e.Actor, string(e.Counter.Kind), e.Counter.ID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		// Another transaction appended to the holder's history since this one looked.
		return points.Entry{}, pointsRetry("history of " + quote(e.Holder.String()) + " changed concurrently")
	} else if err != nil {
		return points.Entry{}, dbError("points", "append entry for "+quote(e.Holder.String()), err)
	}
	e.ID = points.EntryID(id)
	return e, nil
}

// ---- purchases

func (t pointsReadTx) Purchase(h points.Holder, order loyalty.OrderID) (points.Purchase, error) {
	if !pointsStorableHolder(h) || !storableKey(string(order), MaxPointsKeyBytes) {
		return points.Purchase{}, errPointsPurchaseNotFound
	}
	if st, k := t.st, (pointsPurchaseKey{h, order}); st != nil && st.guess && !slices.Contains(*st.learnedPurchases, k) &&
		!slices.Contains(st.putPurchases, k) && !t.s.recent.has(k) &&
		!slices.ContainsFunc(st.pending.purchases, func(r pointsPendingRow[pointsPurchaseKey]) bool { return r.key == k }) {
		// Presumed absent, checked before the transaction commits (see points_batch.go).
		if !slices.Contains(st.guessedPurchases, k) {
			st.guessedPurchases = append(st.guessedPurchases, k)
		}
		if !slices.Contains(st.absentPurchases, k) {
			st.absentPurchases = append(st.absentPurchases, k)
		}
		return points.Purchase{}, errPointsPurchaseNotFound
	}
	if st := t.st; st != nil && st.optimistic && (!st.knows(h) || st.pends(h, false, false, false, true)) {
		return points.Purchase{}, st.fallBack()
	}
	if err := t.flush(false); err != nil {
		return points.Purchase{}, err
	}
	p := points.Purchase{Holder: h, Order: order}
	var lines, earnKey, payKey, issuer, acceptor, redeemed string
	var earnLot int64
	err := t.q.QueryRowContext(t.ctx, `SELECT lines, earn_key, earn_lot, pay_key, issuer, acceptor, redeemed, restored
		FROM points_purchases WHERE holder_kind = $1 AND holder_id = $2 AND order_id = $3`, string(h.Kind), h.ID, string(order)).
		Scan(&lines, &earnKey, &earnLot, &payKey, &issuer, &acceptor, &redeemed, &p.Restored)
	if errors.Is(err, sql.ErrNoRows) {
		if k := (pointsPurchaseKey{h, order}); t.st != nil && !slices.Contains(t.st.absentPurchases, k) {
			t.st.absentPurchases = append(t.st.absentPurchases, k)
		}
		return points.Purchase{}, errPointsPurchaseNotFound
	} else if err != nil {
		return points.Purchase{}, dbError("points", "read purchase "+quote(string(order)), err)
	}
	p.EarnKey, p.EarnLot, p.PayKey = loyalty.IdempotencyKey(earnKey), points.LotID(earnLot), loyalty.IdempotencyKey(payKey)
	p.Issuer, p.Acceptor = loyalty.PartnerID(issuer), loyalty.PartnerID(acceptor)
	if err := errors.Join(pointsUnmarshal(lines, &p.Lines), pointsUnmarshal(redeemed, &p.Redeemed)); err != nil {
		return points.Purchase{}, fmt.Errorf("sqlstore: points: purchase %s: stored JSON: %w", quote(string(order)), err)
	}
	return p, nil
}

func (t pointsTx) PutPurchase(p points.Purchase) error {
	if !pointsStorableHolder(p.Holder) || !storableKey(string(p.Order), MaxPointsKeyBytes) ||
		!pointsTexts(string(p.EarnKey), string(p.PayKey), string(p.Issuer), string(p.Acceptor)) ||
		slices.ContainsFunc(p.Redeemed, func(r points.LotPart) bool { return !pointsTexts(string(r.Issuer)) }) {
		return refused("points", "purchase", pointsCheckPurchase(p))
	}
	lines, err := pointsMarshal(p.Lines, p.Lines == nil)
	if err != nil {
		return refused("points", "purchase", loyalty.Invalid("lines", nil, "cannot be stored: "+err.Error()))
	}
	redeemed, err := pointsMarshal(p.Redeemed, p.Redeemed == nil)
	if err != nil {
		return refused("points", "purchase", loyalty.Invalid("redeemed", nil, "cannot be stored: "+err.Error()))
	}
	if err := t.st.touch(p.Holder); err != nil {
		return err
	}
	const insert = pointsPurchaseInsert + `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	args := []any{string(p.Holder.Kind), p.Holder.ID, string(p.Order), lines, string(p.EarnKey), int64(p.EarnLot),
		string(p.PayKey), string(p.Issuer), string(p.Acceptor), redeemed, int64(p.Restored)}
	if t.st.batch {
		k := pointsPurchaseKey{p.Holder, p.Order}
		absent := slices.Contains(t.st.absentPurchases, k)
		putRow(&t.st.pending.purchases, k, args, absent)
		t.s.recent.add(k)
		if absent {
			t.st.absentPurchases = slices.DeleteFunc(t.st.absentPurchases, func(x pointsPurchaseKey) bool { return x == k })
		}
		return t.flushIfFull()
	}
	if k := (pointsPurchaseKey{p.Holder, p.Order}); slices.Contains(t.st.absentPurchases, k) {
		// Read as absent: it must still be.
		res, err := t.q.ExecContext(t.ctx, insert+` ON CONFLICT (holder_kind, holder_id, order_id) DO NOTHING`, args...)
		if n, err := rowsAffected(res, err); err != nil {
			return dbError("points", "insert purchase "+quote(string(p.Order)), err)
		} else if n == 0 {
			return pointsRetry("purchase " + quote(string(p.Order)) + " was stored concurrently")
		}
		t.st.absentPurchases = slices.DeleteFunc(t.st.absentPurchases, func(x pointsPurchaseKey) bool { return x == k })
		return nil
	}
	_, err = t.q.ExecContext(t.ctx, insert+pointsPurchaseUpsert, args...)
	return dbError("points", "put purchase "+quote(string(p.Order)), err)
}

// pointsPurchaseInto starts an insert of purchases, up to its rows.
const pointsPurchaseInto = `INSERT INTO points_purchases (holder_kind, holder_id, order_id, lines, earn_key, earn_lot,
			pay_key, issuer, acceptor, redeemed, restored) `

// pointsPurchaseInsert starts an insert of purchases, up to its VALUES rows.
const pointsPurchaseInsert = pointsPurchaseInto + `VALUES `

// pointsPurchaseUpsert ends an insert of purchases that replaces the stored ones.
const pointsPurchaseUpsert = `
		ON CONFLICT (holder_kind, holder_id, order_id) DO UPDATE SET lines = excluded.lines, earn_key = excluded.earn_key,
			earn_lot = excluded.earn_lot, pay_key = excluded.pay_key, issuer = excluded.issuer, acceptor = excluded.acceptor,
			redeemed = excluded.redeemed, restored = excluded.restored`

// ---- idempotency records

func (t pointsReadTx) Record(key loyalty.IdempotencyKey) (points.Record, error) {
	if !storableKey(string(key), MaxPointsKeyBytes) {
		return points.Record{}, errPointsRecordNotFound
	}
	if st := t.st; st != nil && st.guess && !slices.Contains(*st.learnedKeys, key) && !slices.Contains(st.putKeys, key) &&
		!slices.ContainsFunc(st.pending.records, func(r pointsPendingRow[loyalty.IdempotencyKey]) bool { return r.key == key }) {
		// Presumed absent, checked before the transaction commits (see points_batch.go).
		if !slices.Contains(st.guessed, key) {
			st.guessed = append(st.guessed, key)
		}
		if !slices.Contains(st.absentKeys, key) {
			st.absentKeys = append(st.absentKeys, key)
		}
		return points.Record{}, errPointsRecordNotFound
	}
	if st := t.st; st != nil && st.optimistic &&
		slices.ContainsFunc(st.pending.records, func(r pointsPendingRow[loyalty.IdempotencyKey]) bool { return r.key == key }) {
		return points.Record{}, st.fallBack()
	}
	if err := t.flush(false); err != nil {
		return points.Record{}, err
	}
	r := points.Record{Key: key}
	var entries string
	var at int64
	err := t.q.QueryRowContext(t.ctx, `SELECT payload_hash, result, created_at FROM loyalty_idempotency
		WHERE scope = $1 AND key = $2`, pointsScope, string(key)).Scan(&r.Fingerprint, &entries, &at)
	if errors.Is(err, sql.ErrNoRows) {
		if t.st != nil && !slices.Contains(t.st.absentKeys, key) {
			t.st.absentKeys = append(t.st.absentKeys, key)
		}
		return points.Record{}, errPointsRecordNotFound
	} else if err != nil {
		return points.Record{}, dbError("points", "read idempotency record "+quote(string(key)), err)
	}
	r.At = fromMicros(at)
	if err := pointsUnmarshal(entries, &r.Entries); err != nil {
		return points.Record{}, fmt.Errorf("sqlstore: points: idempotency record %s: stored JSON: %w", quote(string(key)), err)
	}
	return r, nil
}

func (t pointsTx) PutRecord(r points.Record) error {
	if !storableKey(string(r.Key), MaxPointsKeyBytes) || !pointsTexts(r.Fingerprint) || !storableTime(r.At) {
		return refused("points", "idempotency record", errors.Join(checkKey("key", string(r.Key), MaxPointsKeyBytes),
			checkText("fingerprint", r.Fingerprint), checkTime("at", r.At)))
	}
	entries, err := pointsMarshal(r.Entries, r.Entries == nil)
	if err != nil {
		return refused("points", "idempotency record", loyalty.Invalid("entries", nil, "cannot be stored: "+err.Error()))
	}
	if t.st.batch && (slices.Contains(t.st.putKeys, r.Key) ||
		slices.ContainsFunc(t.st.pending.records, func(p pointsPendingRow[loyalty.IdempotencyKey]) bool { return p.key == r.Key })) {
		return fmt.Errorf("sqlstore: points: idempotency key %s exists: %w", quote(string(r.Key)), loyalty.ErrConflict)
	}
	if t.st.batch && slices.Contains(t.st.absentKeys, r.Key) {
		putRow(&t.st.pending.records, r.Key, []any{pointsScope, string(r.Key), r.Fingerprint, entries, r.At.UnixMicro()}, true)
		return t.flushIfFull()
	}
	if t.st.optimistic {
		return t.st.fallBack() // a key the attempt did not find absent
	}
	if err := t.flush(false); err != nil {
		return err
	}
	// ON CONFLICT DO NOTHING: a key that exists is refused without a failing statement,
	// which on PostgreSQL would abort the whole transaction. A key inserted by a concurrent
	// transaction is a serialization failure, and the retry finds the record.
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO loyalty_idempotency (scope, key, payload_hash, result, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, key) DO NOTHING`,
		pointsScope, string(r.Key), r.Fingerprint, entries, r.At.UnixMicro())
	if n, err := rowsAffected(res, err); err != nil {
		return dbError("points", "put idempotency record "+quote(string(r.Key)), err)
	} else if n == 0 {
		if slices.Contains(t.st.absentKeys, r.Key) {
			return pointsRetry("idempotency key " + quote(string(r.Key)) + " was stored concurrently")
		}
		return fmt.Errorf("sqlstore: points: idempotency key %s exists: %w", quote(string(r.Key)), loyalty.ErrConflict)
	}
	t.st.putKeys = append(t.st.putKeys, r.Key)
	t.st.absentKeys = slices.DeleteFunc(t.st.absentKeys, func(k loyalty.IdempotencyKey) bool { return k == r.Key })
	return nil
}

// ---- helpers

// pointsScanner is a *sql.Row or *sql.Rows.
type pointsScanner interface{ Scan(dest ...any) error }

// pointsQueryAll runs a query and scans every row with scan, closing the rows before it
// returns.
func pointsQueryAll[T any](t pointsReadTx, query string, scan func(pointsScanner) (T, error), args ...any) ([]T, error) {
	if err := t.flush(false); err != nil {
		return nil, err
	}
	rows, err := t.q.QueryContext(t.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func pointsStorableHolder(h points.Holder) bool {
	return storableKey(string(h.Kind), MaxPointsKeyBytes) && storableKey(h.ID, MaxPointsKeyBytes)
}

// pointsTexts reports whether checkText accepts every string of ss.
func pointsTexts(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// pointsCheckEntry is why AppendEntry refuses e.
func pointsCheckEntry(e points.Entry) error {
	errs := []error{pointsCheckHolder("holder", e.Holder), checkText("kind", string(e.Kind)), checkTime("at", e.At),
		checkText("key", string(e.Key)), checkText("order", string(e.Order)), checkText("event", e.Event),
		checkText("issuer", string(e.Issuer)), checkText("acceptor", string(e.Acceptor)), checkText("reward", e.Reward),
		checkText("reason", e.Reason), checkText("actor", e.Actor),
		checkText("counter.kind", string(e.Counter.Kind)), checkText("counter.id", e.Counter.ID)}
	for i, p := range e.Lots {
		errs = append(errs, checkText(fmt.Sprintf("lots[%d].issuer", i), string(p.Issuer)))
	}
	return errors.Join(errs...)
}

// pointsCheckPurchase is why PutPurchase refuses p.
func pointsCheckPurchase(p points.Purchase) error {
	errs := []error{pointsCheckHolder("holder", p.Holder), checkKey("order", string(p.Order), MaxPointsKeyBytes),
		checkText("earn_key", string(p.EarnKey)), checkText("pay_key", string(p.PayKey)),
		checkText("issuer", string(p.Issuer)), checkText("acceptor", string(p.Acceptor))}
	for i, r := range p.Redeemed {
		errs = append(errs, checkText(fmt.Sprintf("redeemed[%d].issuer", i), string(r.Issuer)))
	}
	return errors.Join(errs...)
}

func pointsCheckHolder(field string, h points.Holder) error {
	return errors.Join(checkKey(field+".kind", string(h.Kind), MaxPointsKeyBytes), checkKey(field+".id", h.ID, MaxPointsKeyBytes))
}

// pointsMarshal encodes v as JSON, or as ” when isNil, so that a nil list reads back nil
// and an empty one empty.
func pointsMarshal(v any, isNil bool) (string, error) {
	if isNil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func pointsUnmarshal(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}
