package memtx

import (
	"errors"
	"math"
)

// ErrIndexID is returned by [HashIndex.Insert] for an ID outside 1 to 2^32-1.
var ErrIndexID = errors.New("memtx: hash index IDs must be from 1 to 2^32-1")

// HashIndex indexes the rows of a table (a [Rows]) by a 64-bit hash of their keys: it maps
// a hash to the IDs of the rows stored under it, for the caller to compare their keys. It
// is a flat open-addressing table of 8-byte slots (the upper 32 bits of the hash, which
// also place the slot, and the ID), so a lookup usually reads one cache line of a table
// about a third the size of a Go map's, a miss needs no row, and the table has no pointers.
// Growing it rehashes in one sequential pass.
type HashIndex struct {
	slots []uint64 // 0: empty; else tag<<32 | id, at or after the slot tag>>shift
	n     int      // occupied slots
	shift uint     // 32 - log2(len(slots))
	log   []indexUndo
	olds  [][]uint64 // the tables before the running transaction's growths
}

type indexUndo struct {
	i   int // the slot; -1: the table grew
	old uint64
	dn  int8 // the change of n
}

const minIndexSlots = 8

func (x *HashIndex) undo() {
	n := len(x.log) - 1
	u := x.log[n]
	x.log = x.log[:n]
	if u.i < 0 {
		k := len(x.olds) - 1
		x.setSlots(x.olds[k])
		x.olds[k] = nil
		x.olds = x.olds[:k]
		return
	}
	x.slots[u.i] = u.old
	x.n -= int(u.dn)
}

func (x *HashIndex) commit() {
	if len(x.olds) > 0 { // the tables before this transaction's growths
		clear(x.olds)
		x.olds = x.olds[:0]
	}
	if len(x.log) > 0 {
		x.log = reuseFlat(x.log)
	}
}

func (x *HashIndex) setSlots(s []uint64) {
	x.slots = s
	x.shift = 32
	for l := len(s); l > 1; l >>= 1 {
		x.shift--
	}
}

func (x *HashIndex) home(tag uint32) int { return int(uint64(tag) >> x.shift) }

// Find calls match with the IDs stored under hash (and, rarely, a few others), until it
// returns true, and returns that ID; 0 when none matched.
func (x *HashIndex) Find(tx *Tx, hash uint64, match func(id int) bool) int {
	if len(x.slots) == 0 {
		return 0
	}
	tag := uint32(hash >> 32)
	mask := len(x.slots) - 1
	for i := x.home(tag); ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0
		}
		if uint32(s>>32) == tag && match(int(uint32(s))) {
			return int(uint32(s))
		}
	}
}

// Insert adds id under hash. An ID must be inserted once (under one hash).
func (x *HashIndex) Insert(tx *Tx, hash uint64, id int) error {
	if id < 1 || id > math.MaxUint32 {
		return ErrIndexID
	}
	if !tx.writable {
		return ErrReadOnly
	}
	if 4*(x.n+1) > 3*len(x.slots) {
		x.grow(tx)
	}
	tag := uint32(hash >> 32)
	mask := len(x.slots) - 1
	i := x.home(tag)
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.record(tx, indexUndo{i: i, dn: 1})
	x.slots[i] = uint64(tag)<<32 | uint64(id)
	x.n++
	return nil
}

// record logs one undoable write; tx is writable.
func (x *HashIndex) record(tx *Tx, u indexUndo) {
	tx.write(x) // one undo call per record
	x.log = append(x.log, u)
}

// grow doubles the table (or makes the first), as one undoable write.
func (x *HashIndex) grow(tx *Tx) {
	old := x.slots
	x.olds = append(x.olds, old)
	x.record(tx, indexUndo{i: -1})
	x.setSlots(make([]uint64, max(2*len(old), minIndexSlots)))
	mask := len(x.slots) - 1
	// Slots are placed by the top bits of their tag, so the old table is nearly in the
	// order of the new one: the pass writes the new table almost sequentially.
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := x.home(uint32(s >> 32))
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}

// Delete removes id from under hash, if it is there.
func (x *HashIndex) Delete(tx *Tx, hash uint64, id int) error {
	if len(x.slots) == 0 {
		return nil
	}
	tag := uint32(hash >> 32)
	want := uint64(tag)<<32 | uint64(uint32(id))
	mask := len(x.slots) - 1
	i := x.home(tag)
	for ; x.slots[i] != want; i = (i + 1) & mask {
		if x.slots[i] == 0 {
			return nil
		}
	}
	if !tx.writable {
		return ErrReadOnly
	}
	x.record(tx, indexUndo{i: i, old: want, dn: -1})
	x.n--
	// Shift back the slots after i that may move into it (backward-shift deletion), so that
	// no run of occupied slots has a hole.
	for j := (i + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		k := x.home(uint32(x.slots[j] >> 32))
		// The slot at j can move to i unless its home is cyclically in (i, j].
		if i <= j && i < k && k <= j || i > j && (k > i || k <= j) {
			continue
		}
		x.record(tx, indexUndo{i: j, old: x.slots[j]})
		x.slots[i] = x.slots[j]
		i = j
	}
	x.slots[i] = 0
	return nil
}

// Len returns the number of IDs stored.
func (x *HashIndex) Len(tx *Tx) int { return x.n }
