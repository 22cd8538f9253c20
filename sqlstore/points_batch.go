package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
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
// SQLite runs in the process: its statements cost no round trip, and the store runs them
// one by one, at once.

// pointsIDBlock is how many IDs the store reserves from a sequence at a time.
const pointsIDBlock = 64

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

// pointsPending are the writes of an attempt not sent to the database yet (PostgreSQL).
type pointsPending struct {
	lots      []points.Lot
	entries   []pointsPendingEntry
	accounts  []pointsPendingRow[points.Holder]
	purchases []pointsPendingRow[pointsPurchaseKey]
	records   []pointsPendingRow[loyalty.IdempotencyKey]
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
	return len(p.lots)+len(p.entries)+len(p.accounts)+len(p.purchases)+len(p.records) == 0
}

// pointsPendingMax is how many pending rows make the store send them before the next
// write: a statement must stay below PostgreSQL's 65535 parameters (25 a row at most).
const pointsPendingMax = 1000

func (p *pointsPending) size() int {
	return len(p.lots) + len(p.entries) + len(p.accounts) + len(p.purchases) + len(p.records)
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
}

// pointsFlushSQLs caches the flush statements by shape.
var pointsFlushSQLs sync.Map // pointsFlushShape → string

// pointsFlushSQL returns the flush statement of a shape: a data-modifying WITH query per
// kind of row (which PostgreSQL runs to completion whether or not the statement reads it),
// a query per kind of key presumed absent returning a row per key found, and a final SELECT
// of the number of keys found. Its parameters are the values of the rows in order (see
// pointsReadTx.flush).
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
	values := func(rows, cols int) {
		for i := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range cols {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(param())
			}
			b.WriteByte(')')
		}
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
	if sh.lots > 0 {
		with("lots")
		b.WriteString(`INSERT INTO points_lots (id, ` + pointsLotColumns + `) VALUES `)
		values(sh.lots, 17)
		b.WriteString(`)`)
	}
	if sh.entries > 0 {
		with("entries")
		b.WriteString(`INSERT INTO points_entries (id, ` + pointsEntryColumns + `) VALUES `)
		for i := range sh.entries {
			if i > 0 {
				b.WriteString(", ")
			}
			// The position: after the holder's last entry, and after the entries of the
			// holder before this one in the statement (the next parameter counts them).
			id, kind, hid, k := param(), param(), param(), param()
			b.WriteString("(" + id + ", " + kind + ", " + hid + ", (SELECT COALESCE(MAX(pos) + 1, 0) FROM points_entries WHERE holder_kind = " +
				kind + " AND holder_id = " + hid + ") + " + k + "::BIGINT")
			for range 21 {
				b.WriteString(", " + param())
			}
			b.WriteByte(')')
		}
		b.WriteString(`)`)
	}
	if sh.newAccounts > 0 {
		with("new_accounts")
		b.WriteString(`INSERT INTO points_accounts (` + pointsAccountColumns + `) VALUES `)
		values(sh.newAccounts, 15)
		b.WriteString(`)`)
	}
	if sh.accounts > 0 {
		with("accounts")
		b.WriteString(`INSERT INTO points_accounts (` + pointsAccountColumns + `) VALUES `)
		values(sh.accounts, 15)
		b.WriteString(pointsAccountUpsert + `)`)
	}
	if sh.newPurchases > 0 {
		with("new_purchases")
		b.WriteString(pointsPurchaseInsert)
		values(sh.newPurchases, 11)
		b.WriteString(`)`)
	}
	if sh.purchases > 0 {
		with("purchases")
		b.WriteString(pointsPurchaseInsert)
		values(sh.purchases, 11)
		b.WriteString(pointsPurchaseUpsert + `)`)
	}
	if sh.records > 0 {
		with("records")
		b.WriteString(`INSERT INTO loyalty_idempotency (scope, key, payload_hash, result, created_at) VALUES `)
		values(sh.records, 5)
		b.WriteString(`)`)
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
		values(sh.presumedPurchases, 3)
		b.WriteString(`))`)
	}
	b.WriteString("\nSELECT 0")
	for _, name := range names {
		if name == "presumed" || name == "presumed_purchases" {
			b.WriteString(" + (SELECT COUNT(*) FROM " + name + ")")
		}
	}
	q := b.String()
	pointsFlushSQLs.Store(sh, q)
	return q
}

// flush sends the attempt's pending writes in one statement (PostgreSQL) and, when final
// (the function has returned), checks that no key presumed absent exists.
func (t pointsReadTx) flush(final bool) error {
	st := t.st
	if st == nil || !st.batch {
		return nil
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
	p := &st.pending
	if p.empty() && len(presumed) == 0 && len(presumedPurchases) == 0 {
		return nil
	}
	sh := pointsFlushShape{lots: len(p.lots), entries: len(p.entries), records: len(p.records), presumed: len(presumed),
		presumedPurchases: len(presumedPurchases)}
	for _, r := range p.accounts {
		if r.insert {
			sh.newAccounts++
		} else {
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
	args := make([]any, 0, 17*sh.lots+25*sh.entries+15*(sh.newAccounts+sh.accounts)+11*(sh.newPurchases+sh.purchases)+5*sh.records+1+sh.presumed)
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
	for _, insert := range []bool{true, false} {
		for _, r := range p.accounts {
			if r.insert == insert {
				args = append(args, r.args...)
			}
		}
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
	if err := t.q.QueryRowContext(t.ctx, pointsFlushSQL(sh), args...).Scan(&found); err != nil {
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "23505" { // unique_violation
			return dbError("points", "write", err)
		}
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
