package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
)

// Round trips of the points store on PostgreSQL.
//
// A posting is a handful of reads and writes, and on PostgreSQL each statement is a round
// trip to the server: an earning made ten (begin, the key's record, the balance row, the
// purchase, a lot, an entry, the purchase, the balance, the record, commit). Three things
// cut it to four (begin, the balance row, one write, commit), as many as pgbench's
// simple-update transaction has statements:
//
//   - Writes wait. New lots and entries, balance rows, purchases and idempotency records
//     of keys the transaction found absent are kept in the transaction's pending writes
//     and sent together, as one statement of data-modifying WITH queries, before the next
//     statement of the transaction (a read, a lot update) and before it commits. Reads thus
//     see the transaction's own writes, as before. Rows read as absent are inserted with a
//     plain INSERT (no ON CONFLICT, whose speculative insertion costs the server more): a
//     row that a concurrent transaction stored meanwhile (a new holder, purchase or key, the
//     next position of a history) fails the statement with a unique violation, which the
//     store reports as a serialization failure, and the attempt is re-run (on a caller's
//     *sql.Tx the failed statement has aborted the transaction, which the caller re-runs).
//   - New lots and entries take their IDs from blocks reserved from their sequences
//     (pointsIDBlock at a time, kept by the PointsStore), so that an insert need not wait
//     for the ID the database would give it. IDs stay unique and increase in the order one
//     store hands them out; as with the sequences themselves, IDs of rolled back
//     transactions are skipped (and a store's unused reserved IDs when it is dropped).
//   - On a *sql.DB (where the store re-runs its own transactions), the idempotency record
//     of a key and the purchase of an order are presumed absent without a read (except a
//     purchase among the last pointsRecentSize the store wrote: an earning after a payment
//     with points for the same order). When the transaction stores the row, the insert
//     finds out whether one existed; before it commits, the store checks that no other row
//     it presumed absent exists; and if its function fails while a row is presumed absent,
//     the store checks them too. If one exists, the attempt is re-run, and that attempt
//     reads those rows. A retried key, or a return of an order written by another process,
//     thus costs a second attempt; a new key or order costs no read.
//
// Optimistic attempts (a *sql.DB) cut an earning to two round trips, the balance row and
// the writes, and need no transaction (no begin, no commit); to one when the store wrote
// the holder's balance row last:
//
//   - Reads are statements of their own, outside any transaction. Every balance row read
//     is remembered with its version; every lot read with its holder. A balance row the
//     store's optimistic attempts wrote last (pointsCachedSize of them) is taken as it was
//     written, with its version, without a read: if another store or process has written
//     it since, the attempt writes nothing and forgets it, and the next attempt reads it.
//   - Writes wait until the function returns, lot updates too, and go as one statement:
//     the checked balance rows (those read and written) are updated only where their
//     versions are those read (adding one), and every other row of the statement (new
//     holders, lots, entries, lot updates, purchases, records) is written only if all of
//     them were; several checked rows are first locked, if their versions are those read,
//     and then updated only if all were, so that none is written when one has changed.
//     Nothing written, the attempt fails as a serialization failure and runs again (up to
//     pointsOptimisticAttempts times, then on the locking path).
//   - Since every transaction that changes a holder's rows increases the version of the
//     holder's balance row (the locking path too: by the balance row's upsert, or by an
//     update of the version alone for a holder whose rows it wrote without the balance
//     row), an unchanged version vouches for everything the attempt read of the holder:
//     reads of a holder's lots, entries and purchases are allowed only after the holder's
//     balance row was read (or found absent), and writes only for such a holder, whose
//     balance row the attempt must then write; a balance row read must be written. A read
//     that would have to see one of the attempt's pending writes (a lot by ID is served
//     from them), a visit of every row, or a record or key presumed absent and not stored
//     ends the attempt (errPointsFallback) and the function runs on the locking path.
//   - An error of the function is never returned from an optimistic attempt: it may come of
//     reads that do not belong together (a balance row read before another posting, the
//     lots after it); the function runs on the locking path, which decides (after one more
//     optimistic attempt that reads them, if the failed one presumed purchases absent: a
//     return of an order that another store wrote).
//   - An attempt that wrote nothing gives back the IDs it took, so that failed attempts
//     leave no gaps.
//
// SQLite runs in the process: its statements cost no round trip, and the store runs them
// one by one, at once.

// pointsIDBlock is how many IDs the store reserves from a sequence at a time.
const pointsIDBlock = 256

// pointsIDs are the lot and entry IDs a store has reserved and not handed out yet.
type pointsIDs struct {
	mu      sync.Mutex
	lots    []int64
	entries []int64
}

// nextID hands out the next reserved ID of seq ("points_lots_id_seq" or
// "points_entries_id_seq"), reserving a block on q when none is left.
func (s *PointsStore) nextID(ctx context.Context, q DBTX, seq string) (int64, error) {
	list := &s.ids.lots
	if seq == "points_entries_id_seq" {
		list = &s.ids.entries
	}
	for {
		s.ids.mu.Lock()
		if len(*list) > 0 {
			id := (*list)[0]
			*list = (*list)[1:]
			s.ids.mu.Unlock()
			return id, nil
		}
		s.ids.mu.Unlock()
		// The sequence is read outside the lock: nextval never waits for a transaction.
		rows, err := q.QueryContext(ctx, `SELECT nextval('`+seq+`') FROM generate_series(1, `+strconv.Itoa(pointsIDBlock)+`)`)
		if err != nil {
			return 0, dbError("points", "reserve IDs", err)
		}
		var block []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, dbError("points", "reserve IDs", err)
			}
			block = append(block, id)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return 0, dbError("points", "reserve IDs", err)
		}
		slices.Sort(block)
		s.ids.mu.Lock()
		*list = append(*list, block...)
		slices.Sort(*list)
		s.ids.mu.Unlock()
	}
}

// giveBack returns IDs that nextID handed out and no row took.
func (s *PointsStore) giveBack(lots, entries []int64) {
	s.ids.mu.Lock()
	defer s.ids.mu.Unlock()
	for _, back := range []struct {
		list *[]int64
		ids  []int64
	}{{&s.ids.lots, lots}, {&s.ids.entries, entries}} {
		if len(back.ids) > 0 {
			*back.list = append(*back.list, back.ids...)
			slices.Sort(*back.list)
		}
	}
}

// pointsPending are the writes of an attempt not sent to the database yet (PostgreSQL).
type pointsPending struct {
	lots      []points.Lot
	entries   []pointsPendingEntry
	accounts  []pointsPendingRow[points.Holder]
	purchases []pointsPendingRow[pointsPurchaseKey]
	records   []pointsPendingRow[loyalty.IdempotencyKey]
	// lotUpdates are the lots an optimistic attempt updates (the locking path updates a lot
	// at once).
	lotUpdates []points.Lot
}

// pointsPendingEntry is an entry to append, its JSON columns already encoded.
type pointsPendingEntry struct {
	e           points.Entry
	lots, lines string
}

// pointsPendingRow is a row to write: its key, its column values, and whether it was read
// as absent (then it must be inserted, and finding it stored meanwhile fails the attempt).
type pointsPendingRow[K comparable] struct {
	key    K
	args   []any
	insert bool
}

func (p *pointsPending) empty() bool {
	return p.size() == 0
}

// pointsPendingMax is how many pending rows make the store send them before the next
// write: a statement must stay below PostgreSQL's 65535 parameters (25 a row at most).
const pointsPendingMax = 1000

func (p *pointsPending) size() int {
	return len(p.lots) + len(p.entries) + len(p.accounts) + len(p.purchases) + len(p.records) + len(p.lotUpdates)
}

// putRow sets the pending row of key in rows: a row already pending is replaced (keeping
// its insert flag, as it was read absent), another is added.
func putRow[K comparable](rows *[]pointsPendingRow[K], key K, args []any, insert bool) {
	for i := range *rows {
		if (*rows)[i].key == key {
			(*rows)[i].args = args
			return
		}
	}
	*rows = append(*rows, pointsPendingRow[K]{key: key, args: args, insert: insert})
}

// pointsFlushShape is the number of rows of each kind a flush writes (and of keys it
// checks): the text of its statement depends on nothing else, so it is built once per shape
// and cached (pointsFlushSQL), and the driver prepares it once per connection.
type pointsFlushShape struct {
	lots, entries, newAccounts, accounts, newPurchases, purchases, records, presumed, presumedPurchases int
	// checked balance rows are written only if their versions are those read, and then
	// every other row too (an optimistic attempt); lotUpdates are its updated lots.
	checked, lotUpdates int
	bumps               int // holders whose version goes up although their balance rows are not written
}

// pointsFlushSQLs caches the flush statements by shape.
var pointsFlushSQLs sync.Map // pointsFlushShape → string

// Column types of the rows a flush writes, one letter a column (T: TEXT, B: BIGINT, X:
// BOOLEAN): an optimistic statement selects its rows from a VALUES list, whose parameters
// take no type from the columns they go to.
const (
	pointsAccountTypes  = "TTBBBBBBBBBBBBB"           // pointsAccountColumns
	pointsLotTypes      = "BTTTTTBBBXBBBBBBB"         // id, pointsLotColumns
	pointsEntryTypes    = "BTTBTBBTTTTTXTTBTTBBBTTTT" // id, kind, id, k (the position after the holder's last), the rest of pointsEntryColumns
	pointsPurchaseTypes = "TTTTTBTTTTB"
	pointsRecordTypes   = "TTTTB"
)

// pointsFlushSQL returns the flush statement of a shape: a data-modifying WITH query per
// kind of row (which PostgreSQL runs to completion whether or not the statement reads it),
// a query per kind of key presumed absent returning a row per key found, and a final SELECT
// of the number of keys found. Its parameters are the values of the rows in order (see
// pointsReadTx.flush).
//
// An optimistic statement (sh.checked > 0) first updates the checked balance rows whose
// versions are those read (adding one to them), and writes every other row only if all of
// them were: its final SELECT is the number of checked rows that were not.
func pointsFlushSQL(sh pointsFlushShape) string {
	if v, ok := pointsFlushSQLs.Load(sh); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	param := func() string {
		n++
		return "$" + strconv.Itoa(n)
	}
	guarded := sh.checked > 0
	// row writes one row of parameters: typed when guarded.
	row := func(types string) {
		b.WriteByte('(')
		for j := range len(types) {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(param())
			if guarded {
				switch types[j] {
				case 'T':
					b.WriteString("::TEXT")
				case 'B':
					b.WriteString("::BIGINT")
				case 'X':
					b.WriteString("::BOOLEAN")
				}
			}
		}
		b.WriteByte(')')
	}
	values := func(rows int, types string) {
		for i := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			row(types)
		}
	}
	// cols names the columns of a VALUES list: v.c1, v.c2, ...
	cols := func(from, to int) string {
		var c strings.Builder
		for j := from; j <= to; j++ {
			if j > from {
				c.WriteString(", ")
			}
			c.WriteString("v.c" + strconv.Itoa(j))
		}
		return c.String()
	}
	alias := func(k int) string { return " AS v(" + strings.ReplaceAll(cols(1, k), "v.", "") + ")" }
	// insertRows writes the rows of an insert: a VALUES list, or, when guarded, a SELECT
	// from one that writes nothing unless every checked row was written.
	insertRows := func(rows int, types string) {
		if !guarded {
			b.WriteString("VALUES ")
			values(rows, types)
			return
		}
		b.WriteString("SELECT * FROM (VALUES ")
		values(rows, types)
		b.WriteString(")" + alias(len(types)) + " WHERE (SELECT ok FROM ok)")
	}
	var names []string
	with := func(name string) {
		if len(names) == 0 {
			b.WriteString("WITH ")
		} else {
			b.WriteString(",\n")
		}
		b.WriteString(name + " AS (")
		names = append(names, name)
	}
	if sh.checked > 1 {
		// Several balance rows: lock those with the versions read first, and update them
		// only if all have them, so that none is written when one has changed. They are
		// locked in the global order of the locking path (points.Holder.Compare: by kind, then
		// ID, byte by byte, as COLLATE "C" compares TEXT), in which the ledger also reads a
		// transfer's two holders: PostgreSQL locks the rows as the sort returns them, so a
		// statement and a transaction (or two statements) that want the same rows wait
		// for each other in one order, and never deadlock.
		with("locked")
		b.WriteString(`SELECT 1 FROM points_accounts WHERE (holder_kind, holder_id, version) IN (`)
		values(sh.checked, "TTB")
		b.WriteString(`) ORDER BY holder_kind COLLATE "C", holder_id COLLATE "C" FOR UPDATE)`)
	}
	if guarded {
		with("acc")
		b.WriteString(`UPDATE points_accounts AS a SET earned = v.c3, active = v.c4, pending = v.c5, spent = v.c6, expired = v.c7,
			reversed = v.c8, transferred = v.c9, debited = v.c10, debt = v.c11, next_due = v.c12, cap_period = v.c13,
			cap_earned = v.c14, entries = v.c15, version = a.version + 1 FROM (VALUES `)
		values(sh.checked, pointsAccountTypes+"B")
		b.WriteString(`)` + alias(16) + ` WHERE a.holder_kind = v.c1 AND a.holder_id = v.c2 AND a.version = v.c16`)
		if sh.checked > 1 {
			b.WriteString(` AND (SELECT COUNT(*) FROM locked) = ` + strconv.Itoa(sh.checked))
		}
		b.WriteString(` RETURNING 1)`)
		with("ok")
		b.WriteString(`SELECT COUNT(*) = ` + strconv.Itoa(sh.checked) + ` AS ok FROM acc)`)
	}
	if sh.lots > 0 {
		with("lots")
		b.WriteString(`INSERT INTO points_lots (id, ` + pointsLotColumns + `) `)
		insertRows(sh.lots, pointsLotTypes)
		b.WriteString(`)`)
	}
	if sh.entries > 0 {
		with("entries")
		b.WriteString(`INSERT INTO points_entries (id, ` + pointsEntryColumns + `) `)
		// The position: after the holder's last entry, and after the entries of the holder
		// before this one in the statement (the fourth value counts them).
		if guarded {
			b.WriteString(`SELECT v.c1, v.c2, v.c3, (SELECT COALESCE(MAX(pos) + 1, 0) FROM points_entries e
				WHERE e.holder_kind = v.c2 AND e.holder_id = v.c3) + v.c4, ` + cols(5, len(pointsEntryTypes)) + ` FROM (VALUES `)
			values(sh.entries, pointsEntryTypes)
			b.WriteString(`)` + alias(len(pointsEntryTypes)) + ` WHERE (SELECT ok FROM ok)`)
		} else {
			b.WriteString(`VALUES `)
			for i := range sh.entries {
				if i > 0 {
					b.WriteString(", ")
				}
				id, kind, hid, k := param(), param(), param(), param()
				b.WriteString("(" + id + ", " + kind + ", " + hid + ", (SELECT COALESCE(MAX(pos) + 1, 0) FROM points_entries WHERE holder_kind = " +
					kind + " AND holder_id = " + hid + ") + " + k + "::BIGINT")
				for range len(pointsEntryTypes) - 4 {
					b.WriteString(", " + param())
				}
				b.WriteByte(')')
			}
		}
		b.WriteString(`)`)
	}
	if sh.newAccounts > 0 {
		with("new_accounts")
		b.WriteString(`INSERT INTO points_accounts (` + pointsAccountColumns + `) `)
		insertRows(sh.newAccounts, pointsAccountTypes)
		b.WriteString(`)`)
	}
	if sh.accounts > 0 {
		with("accounts")
		b.WriteString(`INSERT INTO points_accounts (` + pointsAccountColumns + `) `)
		insertRows(sh.accounts, pointsAccountTypes)
		b.WriteString(pointsAccountUpsert + `)`)
	}
	if sh.lotUpdates > 0 {
		with("lot_updates")
		b.WriteString(`UPDATE points_lots AS l SET kind = v.c4, order_id = v.c5, issuer = v.c6, earned_at = v.c7,
			active_at = v.c8, expires = v.c9, pending = v.c10, amount = v.c11, remaining = v.c12, spent = v.c13,
			expired = v.c14, reversed = v.c15, transferred = v.c16, debited = v.c17 FROM (VALUES `)
		values(sh.lotUpdates, pointsLotTypes)
		b.WriteString(`)` + alias(len(pointsLotTypes)) + ` WHERE l.id = v.c1`)
		if guarded {
			b.WriteString(` AND (SELECT ok FROM ok)`)
		}
		b.WriteString(`)`)
	}
	if sh.newPurchases > 0 {
		with("new_purchases")
		b.WriteString(pointsPurchaseInto)
		insertRows(sh.newPurchases, pointsPurchaseTypes)
		b.WriteString(`)`)
	}
	if sh.purchases > 0 {
		with("purchases")
		b.WriteString(pointsPurchaseInto)
		insertRows(sh.purchases, pointsPurchaseTypes)
		b.WriteString(pointsPurchaseUpsert + `)`)
	}
	if sh.records > 0 {
		with("records")
		b.WriteString(`INSERT INTO loyalty_idempotency (scope, key, payload_hash, result, created_at) `)
		insertRows(sh.records, pointsRecordTypes)
		b.WriteString(`)`)
	}
	if sh.bumps > 0 {
		with("bumps")
		b.WriteString(`UPDATE points_accounts SET version = version + 1 WHERE (holder_kind, holder_id) IN (`)
		values(sh.bumps, "TT")
		b.WriteString(`))`)
	}
	if sh.presumed > 0 {
		with("presumed")
		b.WriteString(`SELECT 1 FROM loyalty_idempotency WHERE scope = ` + param() + ` AND key IN (`)
		for i := range sh.presumed {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(param())
		}
		b.WriteString(`))`)
	}
	if sh.presumedPurchases > 0 {
		with("presumed_purchases")
		b.WriteString(`SELECT 1 FROM points_purchases WHERE (holder_kind, holder_id, order_id) IN (`)
		values(sh.presumedPurchases, "TTT")
		b.WriteString(`))`)
	}
	if guarded {
		b.WriteString("\nSELECT " + strconv.Itoa(sh.checked) + " - (SELECT COUNT(*) FROM acc)")
	} else {
		b.WriteString("\nSELECT 0")
		for _, name := range names {
			if name == "presumed" || name == "presumed_purchases" {
				b.WriteString(" + (SELECT COUNT(*) FROM " + name + ")")
			}
		}
	}
	q := b.String()
	pointsFlushSQLs.Store(sh, q)
	return q
}

// flush sends the attempt's pending writes in one statement (PostgreSQL) and, when final
// (the function has returned), checks that no key presumed absent exists.
//
// An optimistic attempt writes once, at the end: a read of a row it writes cannot see the
// write, so it ends the attempt (errPointsFallback), as do reads that no write of the attempt validates
// (a balance row read and not written, a key presumed absent and not stored) and writes of
// a holder whose balance row the attempt does not write. Its statement writes nothing
// unless every balance row it read still has the version it read; if one has not, the
// attempt fails as a serialization failure and is re-run.
func (t pointsReadTx) flush(final bool) error {
	st := t.st
	if st == nil || !st.batch {
		return nil
	}
	p := &st.pending
	if st.optimistic && !final {
		return nil // its writes wait until it ends: a read that would see one ends it (pointsTxState.pends)
	}
	var presumed []loyalty.IdempotencyKey
	var presumedPurchases []pointsPurchaseKey
	if final {
		for _, k := range st.guessed {
			if !slices.Contains(st.putKeys, k) && !slices.ContainsFunc(st.pending.records, func(r pointsPendingRow[loyalty.IdempotencyKey]) bool { return r.key == k }) {
				presumed = append(presumed, k)
			}
		}
		for _, k := range st.guessedPurchases {
			if !slices.Contains(st.putPurchases, k) && !slices.ContainsFunc(st.pending.purchases, func(r pointsPendingRow[pointsPurchaseKey]) bool { return r.key == k }) {
				presumedPurchases = append(presumedPurchases, k)
			}
		}
	}
	var bumps []points.Holder // holders written without their balance rows
	if final {
		for _, h := range st.touched {
			if !slices.Contains(st.putAccounts, h) {
				bumps = append(bumps, h)
			}
		}
	}
	if st.optimistic {
		if len(presumed)+len(presumedPurchases)+len(bumps)+len(st.absentAccounts) > 0 ||
			slices.ContainsFunc(st.versions, func(v pointsVersion) bool { return !slices.Contains(st.putAccounts, v.h) }) {
			return st.fallBack()
		}
		if p.empty() {
			return nil // it read nothing that a later write could have changed (records and entries do not change)
		}
	}
	if p.empty() && len(presumed) == 0 && len(presumedPurchases) == 0 && len(bumps) == 0 {
		return nil
	}
	sh := pointsFlushShape{lots: len(p.lots), entries: len(p.entries), records: len(p.records), presumed: len(presumed),
		presumedPurchases: len(presumedPurchases), lotUpdates: len(p.lotUpdates), bumps: len(bumps)}
	for _, r := range p.accounts {
		switch {
		case r.insert:
			sh.newAccounts++
		case st.optimistic:
			sh.checked++
		default:
			sh.accounts++
		}
	}
	for _, r := range p.purchases {
		if r.insert {
			sh.newPurchases++
		} else {
			sh.purchases++
		}
	}
	args := make([]any, 0, 16*sh.checked+17*(sh.lots+sh.lotUpdates)+25*sh.entries+15*(sh.newAccounts+sh.accounts)+
		11*(sh.newPurchases+sh.purchases)+5*sh.records+2*sh.bumps+1+sh.presumed+3*sh.presumedPurchases)
	if sh.checked > 0 {
		// In the global order of the locking path. What makes two statements that write the
		// same balance rows lock them in one order is the ORDER BY of the locked CTE: the
		// plan need not return the rows in the order of the list (without it, transfers in
		// opposite directions deadlocked; TestPointsTransfersDoNotDeadlock).
		slices.SortFunc(p.accounts, func(x, y pointsPendingRow[points.Holder]) int { return x.key.Compare(y.key) })
		if sh.checked > 1 {
			for _, r := range p.accounts {
				if !r.insert {
					v, _ := st.version(r.key)
					args = append(args, r.args[0], r.args[1], v)
				}
			}
		}
		for _, r := range p.accounts {
			if !r.insert {
				v, _ := st.version(r.key)
				args = append(append(args, r.args...), v)
			}
		}
	}
	for _, l := range p.lots {
		args = append(append(args, int64(l.ID)), pointsLotArgs(l)...)
	}
	var seen map[points.Holder]int64 // entries of each holder before this one in the statement
	if len(p.entries) > 1 {
		seen = map[points.Holder]int64{}
	}
	for _, pe := range p.entries {
		e := pe.e
		k := seen[e.Holder]
		if seen != nil {
			seen[e.Holder]++
		}
		args = append(args, int64(e.ID), string(e.Holder.Kind), e.Holder.ID, k, string(e.Kind), int64(e.Points), e.At.UnixMicro(), string(e.Key), pe.lots,
			string(e.Order), e.Event, pe.lines, e.Pending, string(e.Issuer), string(e.Acceptor),
			e.Value.MinorUnits(), e.Value.Currency().Code(), e.Reward, int64(e.Capped), int64(e.Debt), int64(e.Forgiven),
			e.Reason, e.Actor, string(e.Counter.Kind), e.Counter.ID)
	}
	for _, r := range p.accounts {
		if r.insert {
			args = append(args, r.args...)
		}
	}
	if sh.accounts > 0 {
		for _, r := range p.accounts {
			if !r.insert {
				args = append(args, r.args...)
			}
		}
	}
	for _, l := range p.lotUpdates {
		args = append(append(args, int64(l.ID)), pointsLotArgs(l)...)
	}
	for _, insert := range []bool{true, false} {
		for _, r := range p.purchases {
			if r.insert == insert {
				args = append(args, r.args...)
			}
		}
	}
	for _, r := range p.records {
		args = append(args, r.args...)
	}
	for _, h := range bumps {
		args = append(args, string(h.Kind), h.ID)
	}
	if len(presumed) > 0 {
		args = append(args, pointsScope)
		for _, k := range presumed {
			args = append(args, string(k))
		}
	}
	for _, k := range presumedPurchases {
		args = append(args, string(k.h.Kind), k.h.ID, string(k.o))
	}
	var found int64
	if err := t.queryCount(pointsFlushSQL(sh), args, &found); err != nil {
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "23505" { // unique_violation
			return dbError("points", "write", err)
		}
		st.unwritten = true // the statement failed as a whole
		// A row read as absent was stored meanwhile: re-run the attempt.
		switch pg.ConstraintName {
		case "loyalty_idempotency_pkey":
			st.learnKeys(st.guessed) // the next attempt reads the keys it presumed absent
			return pointsRetry("an idempotency key was stored concurrently")
		case "points_purchases_pkey":
			st.learnPurchases(st.guessedPurchases)
			return pointsRetry("a purchase was stored concurrently")
		case "points_entries_history":
			return pointsRetry("the history of a holder changed concurrently")
		case "points_accounts_pkey":
			return pointsRetry("a holder was created concurrently")
		}
		return dbError("points", "write", err)
	}
	if sh.checked > 0 && found > 0 {
		st.unwritten = true
		t.s.cached.drop(st.putAccounts...)                            // one of them is stale
		return pointsRetry("a balance row changed since it was read") // nothing was written
	}
	var retry error
	if found > 0 {
		st.learnKeys(st.guessed)
		st.learnPurchases(st.guessedPurchases)
		retry = pointsRetry("a key or purchase presumed absent exists")
	}
	for _, r := range p.records {
		st.putKeys = append(st.putKeys, r.key)
	}
	for _, r := range p.purchases {
		st.putPurchases = append(st.putPurchases, r.key)
	}
	st.putAccounts = append(st.putAccounts, bumps...) // their versions went up
	if st.optimistic {
		// Written: the checked rows have their versions read plus one, new ones 0.
		for _, a := range st.written {
			v, read := st.version(a.Holder)
			if read {
				v++
			}
			t.s.cached.put(a, v)
		}
	} else if len(st.putAccounts) > 0 {
		t.s.cached.drop(st.putAccounts...) // their versions went up
	}
	*p = pointsPending{}
	return retry
}

// learnKeys records keys that the next attempts of the Update must read.
func (st *pointsTxState) learnKeys(keys []loyalty.IdempotencyKey) {
	for _, k := range keys {
		if !slices.Contains(*st.learnedKeys, k) {
			*st.learnedKeys = append(*st.learnedKeys, k)
		}
	}
}

// learnPurchases records purchases that the next attempts of the Update must read.
func (st *pointsTxState) learnPurchases(keys []pointsPurchaseKey) {
	for _, k := range keys {
		if !slices.Contains(*st.learnedPurchases, k) {
			*st.learnedPurchases = append(*st.learnedPurchases, k)
		}
	}
}

// failed is what an attempt whose function returned err returns: err, unless a key or a
// purchase the attempt presumed absent exists (the function may have failed because of the
// wrong presumption), in which case the attempt is re-run, reading them.
func (t pointsReadTx) failed(err error) error {
	st := t.st
	if st == nil || len(st.guessed)+len(st.guessedPurchases) == 0 {
		return err
	}
	var args []any
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var b strings.Builder
	b.WriteString(`SELECT 0`)
	if len(st.guessed) > 0 {
		b.WriteString(` + (SELECT COUNT(*) FROM loyalty_idempotency WHERE scope = ` + param(pointsScope) + ` AND key IN (`)
		for i, k := range st.guessed {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(param(string(k)))
		}
		b.WriteString(`))`)
	}
	if len(st.guessedPurchases) > 0 {
		b.WriteString(` + (SELECT COUNT(*) FROM points_purchases WHERE (holder_kind, holder_id, order_id) IN (`)
		for i, k := range st.guessedPurchases {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + param(string(k.h.Kind)) + ", " + param(k.h.ID) + ", " + param(string(k.o)) + ")")
		}
		b.WriteString(`))`)
	}
	var n int
	if qerr := t.q.QueryRowContext(t.ctx, b.String(), args...).Scan(&n); qerr != nil || n > 0 {
		// Either one exists, or the transaction can no longer tell: read them next time.
		st.learnKeys(st.guessed)
		st.learnPurchases(st.guessedPurchases)
		return fmt.Errorf("%w (after: %w)", pointsRetry("a key or purchase presumed absent exists"), err)
	}
	return err
}

// pointsRecentSize is how many of the purchases it wrote last a store remembers.
const pointsRecentSize = 4096

// pointsRecent are the purchases a store wrote last: an earning after a payment with
// points for the same order, in the same process, then reads the purchase instead of
// presuming it absent and running twice.
type pointsRecent struct {
	mu   sync.Mutex
	set  map[pointsPurchaseKey]struct{}
	ring []pointsPurchaseKey
	next int
}

func (r *pointsRecent) add(k pointsPurchaseKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[k]; ok {
		return
	}
	if r.set == nil {
		r.set = map[pointsPurchaseKey]struct{}{}
		r.ring = make([]pointsPurchaseKey, pointsRecentSize)
	}
	delete(r.set, r.ring[r.next])
	r.ring[r.next] = k
	r.set[k] = struct{}{}
	r.next = (r.next + 1) % pointsRecentSize
}

func (r *pointsRecent) has(k pointsPurchaseKey) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[k]
	return ok
}

// pointsOptimisticAttempts is how many optimistic attempts an Update makes before it runs
// on the locking path.
const pointsOptimisticAttempts = 3

// optimistic makes one optimistic attempt of an Update on db (see points_batch.go): fn reads
// through statements of their own, outside any transaction, and its writes go to the
// database as one statement when it returns, written only if every balance row it read still
// has the version it read. It returns nil if fn succeeded and its writes are stored; a
// serialization failure (retryable) if a row fn relied on changed, in which case nothing was
// stored; and any other error (fn's own, which a torn read may have caused, or
// errPointsFallback) for the Update to run fn on the locking path.
func (s *PointsStore) optimistic(ctx context.Context, db *sql.DB, fn func(tx points.Tx) error,
	learnedKeys *[]loyalty.IdempotencyKey, learnedPurchases *[]pointsPurchaseKey) error {
	var learned []points.Holder // unused: an optimistic attempt locks nothing
	st := &pointsTxState{optimistic: true, batch: true, guess: true, learned: &learned, learnedKeys: learnedKeys,
		learnedPurchases: learnedPurchases}
	t := pointsTx{pointsReadTx{ctx: ctx, q: db, s: s, st: st}}
	if err := fn(t); err != nil || st.fallback {
		s.giveBack(st.lotIDs, st.entryIDs) // nothing was written
		if !st.fallback && len(st.guessedPurchases) > 0 {
			// fn may have failed for want of a purchase presumed absent (a return of an
			// order this store did not write): the next attempt reads it.
			st.learnPurchases(st.guessedPurchases)
			return fmt.Errorf("%w (after: %w)", pointsRetry("a purchase presumed absent may exist"), err)
		}
		return errors.Join(err, errPointsFallback)
	}
	err := t.flush(true)
	if err != nil && (st.fallback || st.unwritten) {
		s.giveBack(st.lotIDs, st.entryIDs)
	}
	return err
}

// pointsCachedSize is how many balance rows a store remembers as it wrote them.
const pointsCachedSize = 4096

// pointsCached are the balance rows a store's optimistic attempts wrote last, with their
// versions: an optimistic attempt takes a balance row from here instead of reading it (the
// final statement checks its version as it checks one read), so that a posting for a holder
// the store wrote last costs one round trip. A row written since by another store or
// process only costs that attempt, which writes nothing (and drops the row from here), and
// the next one reads.
type pointsCached struct {
	off  bool // remember nothing (BenchmarkPostgresEarnUncached measures without it)
	mu   sync.Mutex
	rows map[points.Holder]pointsCachedRow
	ring []points.Holder
	next int
}

type pointsCachedRow struct {
	a points.Account
	v int64
}

func (c *pointsCached) get(h points.Holder) (points.Account, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rows[h]
	return r.a, r.v, ok
}

func (c *pointsCached) put(a points.Account, v int64) {
	if c.off {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil {
		c.rows = map[points.Holder]pointsCachedRow{}
		c.ring = make([]points.Holder, pointsCachedSize)
	}
	if _, ok := c.rows[a.Holder]; !ok {
		if old := c.ring[c.next]; old != (points.Holder{}) {
			delete(c.rows, old)
		}
		c.ring[c.next] = a.Holder
		c.next = (c.next + 1) % pointsCachedSize
	}
	c.rows[a.Holder] = pointsCachedRow{a, v}
}

// drop forgets the rows of hs (the ring keeps their places until they come round).
func (c *pointsCached) drop(hs ...points.Holder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hs {
		delete(c.rows, h)
	}
}

// queryCount runs query, whose one result is a number, into n (see queryOne).
func (t pointsReadTx) queryCount(query string, args []any, n *int64) error {
	text, found, err := t.queryOne(query, args)
	if err != nil {
		return err
	} else if !found {
		return fmt.Errorf("sqlstore: points: no result row")
	}
	*n, err = strconv.ParseInt(text, 10, 64)
	return err
}

// queryOne runs query, whose result is one column of one row at most, and returns the
// column's text (found is false if there is no row). On a *sql.DB of the pgx driver its
// parameters (strings, int64s, bools and nils, which the statement casts to their types
// where the columns they go to do not type them) go to the server in text form through
// the pgx connection itself, the statement prepared once per connection: database/sql and
// pgx's conversions of a parameter cost the client more than the text does, and a flush
// has some seventy.
func (t pointsReadTx) queryOne(query string, args []any) (text string, found bool, err error) {
	db, ok := t.q.(*sql.DB)
	var buf []byte
	ends := make([]int, len(args)) // where each parameter's text ends in buf; -1 for NULL
	for i, a := range args {
		if !ok {
			break
		}
		switch v := a.(type) {
		case string:
			buf = append(buf, v...)
		case int64:
			buf = strconv.AppendInt(buf, v, 10)
		case bool:
			buf = strconv.AppendBool(buf, v)
		case nil:
			ends[i] = -1
			continue
		default:
			ok = false
		}
		ends[i] = len(buf)
	}
	if !ok {
		var s sql.NullString
		err := t.q.QueryRowContext(t.ctx, query, args...).Scan(&s)
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, nil
		} else if err == nil && !s.Valid {
			err = fmt.Errorf("sqlstore: points: NULL result")
		}
		return s.String, err == nil, err
	}
	params := make([][]byte, len(args))
	start := 0
	for i, end := range ends {
		if end >= 0 {
			params[i] = buf[start:end:end]
			start = end
		}
	}
	conn, err := db.Conn(t.ctx)
	if err != nil {
		return "", false, err
	}
	defer conn.Close()
	err = conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("sqlstore: points: not a pgx connection: %T", driverConn)
		}
		c := sc.Conn()
		name := pointsStatementName(query)
		if _, err := c.Prepare(t.ctx, name, query); err != nil {
			return err
		}
		rr := c.PgConn().ExecPrepared(t.ctx, name, params, nil, nil)
		rows := 0
		var rerr error
		for rr.NextRow() {
			rows++
			if v := rr.Values(); len(v) == 1 && v[0] != nil {
				text = string(v[0])
			} else {
				rerr = fmt.Errorf("sqlstore: points: unexpected result %q", v)
			}
		}
		if _, err := rr.Close(); err != nil {
			return err
		}
		if rows > 1 && rerr == nil {
			rerr = fmt.Errorf("sqlstore: points: %d result rows, want at most 1", rows)
		}
		found = rows == 1
		return rerr
	})
	return text, found && err == nil, err
}

// pointsStatementNames are the names of the statements queryCount prepares, by text.
var pointsStatementNames sync.Map // string → string

// pointsStatementName is the name under which queryCount prepares query on a connection.
func pointsStatementName(query string) string {
	if v, ok := pointsStatementNames.Load(query); ok {
		return v.(string)
	}
	h := fnv.New64a()
	h.Write([]byte(query))
	name := "loyaltykit_points_" + strconv.FormatUint(h.Sum64(), 16)
	pointsStatementNames.Store(query, name)
	return name
}
