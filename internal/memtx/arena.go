package memtx

import (
	"errors"
	"math"
)

// arenaChunk is the capacity of an ordinary chunk of an [Arena]; a string longer than a
// quarter of it gets a chunk of its own.
const arenaChunk = 32 << 10

// Str is a string stored in an [Arena]: three integers, so that a row holding Strs instead
// of strings has no pointers for the garbage collector to scan. The zero Str is the empty
// string.
//
// Str values are plain data, safe for concurrent use when not modified.
type Str struct {
	c   uint32 // the index of the chunk + 1; 0: the empty string
	off uint32
	n   uint32
}

// Len returns the length of s in bytes.
func (s Str) Len() int { return int(s.n) }

// Arena stores the strings of rows that are kept for a long time (the keys and order IDs of
// ledger rows) in large chunks of bytes without pointers, so that neither the rows, which
// refer to them by [Str], nor the strings are objects the garbage collector must scan or
// mark one by one. Adding a string copies it in; it is undone with the transaction that
// added it.
//
// Every Str added counts as one reference to its chunk ([Arena.Share] counts one more);
// [Arena.Release] drops one. A chunk nothing refers to any more is freed when the
// transaction commits, unless it is the chunk being filled. Reading a released Str is a
// programming error (it panics). An arena whose strings are never released keeps them all.
type Arena struct {
	chunks  []*strChunk // nil: freed
	cur     int         // the chunk being filled + 1; 0: none
	log     []arenaUndo
	emptied []int // chunks whose last reference was released by the running transaction
}

type strChunk struct {
	b    []byte
	refs int
}

type arenaUndo struct {
	op    uint8 // arenaAdd, arenaShare or arenaRelease
	fresh bool  // arenaAdd: the string started a new chunk
	c     int   // the chunk's index
	n     int   // arenaAdd: the chunk's length before
	cur   int   // arenaAdd: the chunk being filled before
}

const (
	arenaAdd = iota
	arenaShare
	arenaRelease
)

// ErrTooLong is returned by [Arena.Add] for a string of 4 GiB or more.
var ErrTooLong = errors.New("memtx: string too long for an arena")

func (a *Arena) undo() {
	n := len(a.log) - 1
	u := a.log[n]
	a.log = a.log[:n]
	c := a.chunks[u.c]
	switch u.op {
	case arenaAdd:
		c.refs--
		c.b = c.b[:u.n]
		if u.fresh { // the newest chunk: later chunks were undone already
			a.chunks[u.c] = nil
			a.chunks = a.chunks[:u.c]
		}
		a.cur = u.cur
	case arenaShare:
		c.refs--
	case arenaRelease:
		c.refs++
	}
}

func (a *Arena) commit() {
	for _, ci := range a.emptied {
		if ci >= len(a.chunks) { // a chunk of a rolled-back transaction
			continue
		}
		if c := a.chunks[ci]; c != nil && c.refs == 0 && ci != a.cur-1 {
			a.chunks[ci] = nil
		}
	}
	a.emptied = a.emptied[:0]
	if len(a.log) > 0 {
		a.log = reuseFlat(a.log)
	}
}

// Add stores a copy of s and returns its Str, counting one reference. The empty string is
// the zero Str, which stores nothing and counts nothing.
func (a *Arena) Add(tx *Tx, s string) (Str, error) {
	if s == "" {
		return Str{}, nil
	}
	if uint64(len(s)) > math.MaxUint32 {
		return Str{}, ErrTooLong
	}
	if err := tx.write(a); err != nil {
		return Str{}, err
	}
	u := arenaUndo{op: arenaAdd, cur: a.cur}
	switch {
	case len(s) > arenaChunk/4: // a chunk of its own, the chunk being filled stays
		u.c, u.fresh = len(a.chunks), true
		a.chunks = append(a.chunks, &strChunk{b: make([]byte, 0, len(s))})
	case a.cur == 0 || cap(a.chunks[a.cur-1].b)-len(a.chunks[a.cur-1].b) < len(s):
		if a.cur != 0 && a.chunks[a.cur-1].refs == 0 { // filled, and all released
			a.emptied = append(a.emptied, a.cur-1)
		}
		u.c, u.fresh = len(a.chunks), true
		a.chunks = append(a.chunks, &strChunk{b: make([]byte, 0, arenaChunk)})
		a.cur = u.c + 1
	default:
		u.c = a.cur - 1
	}
	c := a.chunks[u.c]
	u.n = len(c.b)
	c.b = append(c.b, s...)
	c.refs++
	a.log = append(a.log, u)
	return Str{c: uint32(u.c + 1), off: uint32(u.n), n: uint32(len(s))}, nil
}

// Share counts one more reference to s, for a second row that holds it.
func (a *Arena) Share(tx *Tx, s Str) error {
	if s.c == 0 {
		return nil
	}
	if err := tx.write(a); err != nil {
		return err
	}
	a.chunks[s.c-1].refs++
	a.log = append(a.log, arenaUndo{op: arenaShare, c: int(s.c - 1)})
	return nil
}

// Release drops one reference to s. The chunk of the last reference released is freed when
// the transaction commits.
func (a *Arena) Release(tx *Tx, s Str) error {
	if s.c == 0 {
		return nil
	}
	if err := tx.write(a); err != nil {
		return err
	}
	c := a.chunks[s.c-1]
	c.refs--
	if c.refs == 0 {
		a.emptied = append(a.emptied, int(s.c-1))
	}
	a.log = append(a.log, arenaUndo{op: arenaRelease, c: int(s.c - 1)})
	return nil
}

// bytes returns the stored bytes of s, which must not be modified.
func (a *Arena) bytes(s Str) []byte {
	if s.c == 0 {
		return nil
	}
	return a.chunks[s.c-1].b[s.off : s.off+s.n : s.off+s.n]
}

// String returns a copy of s as a string.
func (a *Arena) String(tx *Tx, s Str) string { return string(a.bytes(s)) }

// Equal reports whether s holds x, without copying.
func (a *Arena) Equal(tx *Tx, s Str, x string) bool {
	return int(s.n) == len(x) && string(a.bytes(s)) == x
}

// Bytes returns the bytes of s, for reading (hashing) without a copy: they must not be
// modified, nor kept past the transaction.
func (a *Arena) Bytes(tx *Tx, s Str) []byte { return a.bytes(s) }

// Chunks returns the number of chunks the arena holds.
func (a *Arena) Chunks(tx *Tx) int {
	n := 0
	for _, c := range a.chunks {
		if c != nil {
			n++
		}
	}
	return n
}
