package memtx

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrReadOnly is returned by writes attempted inside [DB.View].
var ErrReadOnly = errors.New("memtx: write in a read-only transaction")

// DB serialises the transactions over its tables and logs. The zero DB is ready to use.
// A table or log must be used with one DB only.
type DB struct {
	mu sync.RWMutex
	w  Tx // the writers' transaction, reused: writers hold mu exclusively
}

// Tx is one transaction. It is valid only inside the function passed to [DB.Update] or
// [DB.View] and must not be used after that function returns.
//
// The undo log is typed: every table and log keeps the records of its own writes (the key,
// the old value, whether it existed) in a slice reused from one transaction to the next, and
// the Tx lists the structures written, in order, so that a write allocates nothing once the
// slices have grown.
type Tx struct {
	writable bool
	undo     []undoer // the structure of every write, in the order of the writes
}

// undoer is a table or a log as the undo log of a transaction sees it.
type undoer interface {
	// undo reverts the structure's latest write not yet reverted.
	undo()
	// commit drops the structure's undo records. It may be called more than once.
	commit()
}

// readOnly is the transaction of every View: it holds no state, so views share it.
var readOnly Tx

// ReadOnly returns the transaction that every [DB.View] hands its function (it holds no
// state, so all views share it): a store can wrap it once, when it is made, instead of on
// every view.
func ReadOnly() *Tx { return &readOnly }

// maxKept is the capacity above which an undo slice is dropped rather than kept for the
// next transaction, so that one huge transaction does not pin its undo log for ever.
const maxKept = 4096

// Update runs fn in a serializable read-write transaction. If fn returns an error or panics,
// every write it made is undone before Update returns the error (or re-panics). It returns
// ctx.Err() without running fn when ctx is already done.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	tx := &db.w
	tx.writable = true
	committed := false
	defer func() {
		if committed {
			for _, u := range tx.undo {
				u.commit()
			}
		} else {
			for i := len(tx.undo) - 1; i >= 0; i-- {
				tx.undo[i].undo()
			}
		}
		tx.undo = reuse(tx.undo)
		tx.writable = false
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return nil
}

// reuse empties s for the next transaction, dropping it when it grew too large.
func reuse[T any](s []T) []T {
	if cap(s) > maxKept {
		return nil
	}
	clear(s)
	return s[:0]
}

// reuseFlat is reuse for records without pointers, which need no clearing for the garbage
// collector.
func reuseFlat[T any](s []T) []T {
	if cap(s) > maxKept {
		return nil
	}
	return s[:0]
}

// View runs fn in a read-only transaction that sees a consistent state; writes fail with
// [ErrReadOnly]. Views run concurrently with each other. (It is [ViewWith]'s body on its
// own: calling ViewWith made the function of a store's view escape, an allocation per view.)
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	return fn(&readOnly)
}

// ViewWith is [DB.View] for a store whose views all share one read transaction of its own,
// tx (made once, over [ReadOnly]): it runs fn(tx) under the view's read lock, with no
// function of the store's in between.
func ViewWith[T any](ctx context.Context, db *DB, tx T, fn func(T) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	return fn(tx)
}

func (tx *Tx) write(u undoer) error {
	if !tx.writable {
		return ErrReadOnly
	}
	tx.undo = append(tx.undo, u)
	return nil
}

// Table is a map of rows by key. Clone, when set, deep-copies a value on the way in and out
// (values holding slices or maps need one); nil copies by assignment.
type Table[K comparable, V any] struct {
	Clone func(V) V
	rows  map[K]V
	log   []tableUndo[K, V]
}

type tableUndo[K comparable, V any] struct {
	k   K
	old V
	had bool
}

func (t *Table[K, V]) undo() {
	n := len(t.log) - 1
	r := t.log[n]
	t.log[n] = tableUndo[K, V]{}
	t.log = t.log[:n]
	if r.had {
		t.rows[r.k] = r.old
	} else {
		delete(t.rows, r.k)
	}
}

func (t *Table[K, V]) commit() {
	if len(t.log) > 0 {
		t.log = reuse(t.log)
	}
}

func (t *Table[K, V]) copy(v V) V {
	if t.Clone != nil {
		return t.Clone(v)
	}
	return v
}

// Get returns a copy of the row at k.
func (t *Table[K, V]) Get(tx *Tx, k K) (V, bool) {
	v, ok := t.rows[k]
	if ok && t.Clone != nil { // not through copy: a large row would be copied twice more
		v = t.Clone(v)
	}
	return v, ok
}

// Put stores a copy of v at k.
func (t *Table[K, V]) Put(tx *Tx, k K, v V) error {
	old, had := t.rows[k]
	return t.put(tx, k, v, old, had)
}

// Insert stores a copy of v at k unless k has a row, and reports whether it stored it: one
// lookup where Get then Put take two.
func (t *Table[K, V]) Insert(tx *Tx, k K, v V) (bool, error) {
	if _, had := t.rows[k]; had {
		return false, nil
	}
	var zero V
	return true, t.put(tx, k, v, zero, false)
}

// Replace stores a copy of v at k, whose row is old, or absent when had is false, as a Get
// in the same transaction returned and no write since changed: a Put without the lookup
// of the old row.
func (t *Table[K, V]) Replace(tx *Tx, k K, v V, old V, had bool) error {
	return t.put(tx, k, v, old, had)
}

// put stores a copy of v at k, whose row was old (had).
func (t *Table[K, V]) put(tx *Tx, k K, v V, old V, had bool) error {
	if err := tx.write(t); err != nil {
		return err
	}
	t.log = append(t.log, tableUndo[K, V]{k: k, old: old, had: had})
	if t.rows == nil {
		t.rows = make(map[K]V)
	}
	t.rows[k] = t.copy(v)
	return nil
}

// Delete removes the row at k, if any.
func (t *Table[K, V]) Delete(tx *Tx, k K) error {
	old, had := t.rows[k]
	if !had {
		return nil
	}
	if err := tx.write(t); err != nil {
		return err
	}
	t.log = append(t.log, tableUndo[K, V]{k: k, old: old, had: true})
	delete(t.rows, k)
	return nil
}

// Len returns the number of rows.
func (t *Table[K, V]) Len(tx *Tx) int { return len(t.rows) }

// Range calls fn with a copy of every row, in no particular order, until fn returns false.
// fn must not write to t.
func (t *Table[K, V]) Range(tx *Tx, fn func(k K, v V) bool) {
	for k, v := range t.rows {
		if !fn(k, t.copy(v)) {
			return
		}
	}
}

// Log is an append-only sequence of records per key, such as the ledger entries of one
// holder. Appending is O(1) however long the log grows. Positions are absolute: forgetting
// the oldest records of a key ([Log.Forget]) does not move the others.
type Log[K comparable, E any] struct {
	Clone func(E) E
	seqs  map[K]*seq[E] // by pointer: appending updates a sequence with one lookup
	log   []logUndo[K, E]
}

// seq is the retained records of one key: s[i] is at position base+i.
type seq[E any] struct {
	base int
	s    []E
}

type logUndo[K comparable, E any] struct {
	k       K
	old     seq[E]
	had     bool
	dropped int // a Forget: the number of records old.s lost
}

func (l *Log[K, E]) undo() {
	n := len(l.log) - 1
	r := l.log[n]
	l.log[n] = logUndo[K, E]{}
	l.log = l.log[:n]
	if r.had {
		*l.seqs[r.k] = r.old
	} else {
		delete(l.seqs, r.k)
	}
}

func (l *Log[K, E]) commit() {
	if len(l.log) == 0 {
		return
	}
	for _, r := range l.log {
		if r.dropped > 0 { // let the forgotten records go
			clear(r.old.s[:r.dropped])
		}
	}
	l.log = reuse(l.log)
}

func (l *Log[K, E]) copy(e E) E {
	if l.Clone != nil {
		return l.Clone(e)
	}
	return e
}

// Append adds a copy of e to the end of k's sequence and returns its position (0-based).
func (l *Log[K, E]) Append(tx *Tx, k K, e E) (int, error) {
	if err := tx.write(l); err != nil {
		return 0, err
	}
	sq := l.seqs[k]
	if sq == nil {
		if l.seqs == nil {
			l.seqs = make(map[K]*seq[E])
		}
		sq = new(seq[E])
		l.seqs[k] = sq
		l.log = append(l.log, logUndo[K, E]{k: k})
	} else {
		l.log = append(l.log, logUndo[K, E]{k: k, old: *sq, had: true})
	}
	pos := sq.base + len(sq.s)
	sq.s = append(sq.s, l.copy(e))
	return pos, nil
}

// Forget drops the records of k's sequence at positions before before, keeping the positions
// of the others. Reading a forgotten position finds nothing; [Log.First] tells where the
// retained records start.
func (l *Log[K, E]) Forget(tx *Tx, k K, before int) error {
	sq := l.seqs[k]
	if sq == nil {
		return nil
	}
	drop := min(before-sq.base, len(sq.s))
	if drop <= 0 {
		return nil
	}
	if err := tx.write(l); err != nil {
		return err
	}
	l.log = append(l.log, logUndo[K, E]{k: k, old: *sq, had: true, dropped: drop})
	sq.base += drop
	sq.s = sq.s[drop:]
	return nil
}

// First returns the position of k's oldest retained record (its Len when none is retained):
// 0 until something is forgotten.
func (l *Log[K, E]) First(tx *Tx, k K) int {
	if sq := l.seqs[k]; sq != nil {
		return sq.base
	}
	return 0
}

// Len returns the length of k's sequence: the position its next record will have, forgotten
// records included.
func (l *Log[K, E]) Len(tx *Tx, k K) int {
	if sq := l.seqs[k]; sq != nil {
		return sq.base + len(sq.s)
	}
	return 0
}

// At returns a copy of the record at position i of k's sequence.
func (l *Log[K, E]) At(tx *Tx, k K, i int) (E, bool) {
	sq := l.seqs[k]
	if sq == nil {
		var zero E
		return zero, false
	}
	i -= sq.base
	if i < 0 || i >= len(sq.s) {
		var zero E
		return zero, false
	}
	return l.copy(sq.s[i]), true
}

// Range calls fn with copies of k's retained records from position from onwards, in order,
// until fn returns false.
func (l *Log[K, E]) Range(tx *Tx, k K, from int, fn func(i int, e E) bool) {
	sq := l.seqs[k]
	if sq == nil {
		return
	}
	for i := max(from-sq.base, 0); i < len(sq.s); i++ {
		if !fn(sq.base+i, l.copy(sq.s[i])) {
			return
		}
	}
}

// Keys calls fn with every key that has retained records, in no particular order, until fn
// returns false.
func (l *Log[K, E]) Keys(tx *Tx, fn func(k K) bool) {
	for k, sq := range l.seqs {
		if len(sq.s) == 0 {
			continue
		}
		if !fn(k) {
			return
		}
	}
}

// Aged is a [Table] whose rows are forgotten once old: [Aged.Put] stamps a row with a time,
// and [Aged.Forget] deletes the rows stamped before a horizon, oldest stamp first, in the
// same all-or-nothing transaction as any other write. It is how an in-memory store keeps
// what is needed only for a while (idempotency receipts, records of recent orders) without
// growing with its history. Stamps should not decrease from one Put to the next; a row
// stamped out of order is forgotten when the rows stamped before it are.
type Aged[K comparable, V any] struct {
	// Clone, when set, deep-copies a value on the way in and out.
	Clone func(V) V
	rows  Table[K, agedRow[V]]
	queue Log[struct{}, agedKey[K]] // the stamps, in the order of the Puts
}

type agedRow[V any] struct {
	v  V
	at time.Time
}

type agedKey[K comparable] struct {
	k  K
	at time.Time
}

func (a *Aged[K, V]) copy(v V) V {
	if a.Clone != nil {
		return a.Clone(v)
	}
	return v
}

// Get returns a copy of the row at k.
func (a *Aged[K, V]) Get(tx *Tx, k K) (V, bool) {
	r, ok := a.rows.Get(tx, k)
	if !ok {
		var zero V
		return zero, false
	}
	return a.copy(r.v), true
}

// Put stores a copy of v at k, stamped at. A zero stamp keeps the row until it is deleted
// or stamped again.
func (a *Aged[K, V]) Put(tx *Tx, k K, v V, at time.Time) error {
	old, had := a.rows.rows[k]
	if err := a.rows.put(tx, k, agedRow[V]{v: a.copy(v), at: at}, old, had); err != nil || at.IsZero() {
		return err
	}
	if had && old.at.Equal(at) {
		return nil // the row's stamp is queued already
	}
	_, err := a.queue.Append(tx, struct{}{}, agedKey[K]{k: k, at: at})
	return err
}

// Insert stores a copy of v at k, stamped at, unless k has a row, and reports whether it
// stored it.
func (a *Aged[K, V]) Insert(tx *Tx, k K, v V, at time.Time) (bool, error) {
	if _, had := a.rows.rows[k]; had {
		return false, nil
	}
	if err := a.rows.put(tx, k, agedRow[V]{v: a.copy(v), at: at}, agedRow[V]{}, false); err != nil || at.IsZero() {
		return err == nil, err
	}
	_, err := a.queue.Append(tx, struct{}{}, agedKey[K]{k: k, at: at})
	return err == nil, err
}

// queued returns the number of stamps queued, for tests.
func (a *Aged[K, V]) queued(tx *Tx) int {
	var q struct{}
	return a.queue.Len(tx, q) - a.queue.First(tx, q)
}

// Delete removes the row at k, if any.
func (a *Aged[K, V]) Delete(tx *Tx, k K) error { return a.rows.Delete(tx, k) }

// Len returns the number of rows.
func (a *Aged[K, V]) Len(tx *Tx) int { return a.rows.Len(tx) }

// Range calls fn with a copy of every row, in no particular order, until fn returns false.
// fn must not write to a.
func (a *Aged[K, V]) Range(tx *Tx, fn func(k K, v V) bool) {
	a.rows.Range(tx, func(k K, r agedRow[V]) bool { return fn(k, a.copy(r.v)) })
}

// Forget deletes the rows last stamped before horizon and returns how many it deleted. A row
// stamped again since an old stamp stays until its last stamp is old.
func (a *Aged[K, V]) Forget(tx *Tx, horizon time.Time) (int, error) {
	var q struct{}
	first, end := a.queue.First(tx, q), a.queue.Len(tx, q)
	n, i := 0, first
	for ; i < end; i++ {
		e, _ := a.queue.At(tx, q, i)
		if !e.at.Before(horizon) {
			break
		}
		if r, ok := a.rows.rows[e.k]; ok && r.at.Equal(e.at) {
			if err := a.rows.Delete(tx, e.k); err != nil {
				return n, err
			}
			n++
		}
	}
	if i == first {
		return 0, nil
	}
	return n, a.queue.Forget(tx, q, i)
}
