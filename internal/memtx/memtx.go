package memtx

import (
	"context"
	"errors"
	"sync"
)

// ErrReadOnly is returned by writes attempted inside [DB.View].
var ErrReadOnly = errors.New("memtx: write in a read-only transaction")

// DB serialises the transactions over its tables and logs. The zero DB is ready to use.
// A table or log must be used with one DB only.
type DB struct {
	mu sync.RWMutex
}

// Tx is one transaction. It is valid only inside the function passed to [DB.Update] or
// [DB.View] and must not be used after that function returns.
type Tx struct {
	writable bool
	undo     []func()
}

// Update runs fn in a serializable read-write transaction. If fn returns an error or panics,
// every write it made is undone before Update returns the error (or re-panics). It returns
// ctx.Err() without running fn when ctx is already done.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	tx := &Tx{writable: true}
	committed := false
	defer func() {
		if !committed {
			for i := len(tx.undo) - 1; i >= 0; i-- {
				tx.undo[i]()
			}
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return nil
}

// View runs fn in a read-only transaction that sees a consistent state; writes fail with
// [ErrReadOnly]. Views run concurrently with each other.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	return fn(&Tx{})
}

func (tx *Tx) write(undo func()) error {
	if !tx.writable {
		return ErrReadOnly
	}
	tx.undo = append(tx.undo, undo)
	return nil
}

// Table is a map of rows by key. Clone, when set, deep-copies a value on the way in and out
// (values holding slices or maps need one); nil copies by assignment.
type Table[K comparable, V any] struct {
	Clone func(V) V
	rows  map[K]V
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
	if !ok {
		return v, false
	}
	return t.copy(v), true
}

// Put stores a copy of v at k.
func (t *Table[K, V]) Put(tx *Tx, k K, v V) error {
	old, had := t.rows[k]
	if err := tx.write(func() {
		if had {
			t.rows[k] = old
		} else {
			delete(t.rows, k)
		}
	}); err != nil {
		return err
	}
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
	if err := tx.write(func() { t.rows[k] = old }); err != nil {
		return err
	}
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
// holder. Appending is O(1) however long the log grows.
type Log[K comparable, E any] struct {
	Clone func(E) E
	seqs  map[K][]E
}

func (l *Log[K, E]) copy(e E) E {
	if l.Clone != nil {
		return l.Clone(e)
	}
	return e
}

// Append adds a copy of e to the end of k's sequence and returns its position (0-based).
func (l *Log[K, E]) Append(tx *Tx, k K, e E) (int, error) {
	n := len(l.seqs[k])
	if err := tx.write(func() {
		if n == 0 {
			delete(l.seqs, k)
		} else {
			l.seqs[k] = l.seqs[k][:n]
		}
	}); err != nil {
		return 0, err
	}
	if l.seqs == nil {
		l.seqs = make(map[K][]E)
	}
	l.seqs[k] = append(l.seqs[k], l.copy(e))
	return n, nil
}

// Len returns the length of k's sequence.
func (l *Log[K, E]) Len(tx *Tx, k K) int { return len(l.seqs[k]) }

// At returns a copy of the record at position i of k's sequence.
func (l *Log[K, E]) At(tx *Tx, k K, i int) (E, bool) {
	s := l.seqs[k]
	if i < 0 || i >= len(s) {
		var zero E
		return zero, false
	}
	return l.copy(s[i]), true
}

// Range calls fn with copies of k's records from position from onwards, in order, until fn
// returns false.
func (l *Log[K, E]) Range(tx *Tx, k K, from int, fn func(i int, e E) bool) {
	s := l.seqs[k]
	for i := max(from, 0); i < len(s); i++ {
		if !fn(i, l.copy(s[i])) {
			return
		}
	}
}

// Keys calls fn with every key that has records, in no particular order, until fn returns false.
func (l *Log[K, E]) Keys(tx *Tx, fn func(k K) bool) {
	for k := range l.seqs {
		if !fn(k) {
			return
		}
	}
}
