package points

import (
	"hash/maphash"
	"time"

	"github.com/loyaltykit/loyalty/internal/memtx"
)

// hashRows is a table of the memory store keyed by a string and a holder (purchases by
// holder and order, idempotency records by key with holder 0): the rows in dense chunks
// ([memtx.Rows]), their keys in the store's arena, and a flat index from a 64-bit hash of
// the key's string to the rows ([memtx.HashIndex]). Inserting writes a row in place and one
// 8-byte index slot, so the table grows without hashing strings into, or moving, large map
// slots; a row of a pointer-free V has no pointers, nor has the index. With
// a retention, rows are stamped when written and forgotten, oldest stamp first, like a
// [memtx.Aged] table.
type hashRows[V any] struct {
	seed  maphash.Seed
	strs  *memtx.Arena
	rows  memtx.Rows[hashRow[V]]
	index memtx.HashIndex            // hash of the key's string → IDs
	age   memtx.Log[struct{}, stamp] // with a retention: the stamps, in the order written

	// add stores a new row's key string in the arena (the store's writer shares the strings
	// of one transaction); drop releases what a forgotten row holds besides its key. Nil:
	// the arena directly, nothing.
	add  func(string) (memtx.Str, error)
	drop func(tx *memtx.Tx, v *V) error

	// miss is the writers' last lookup that found nothing, so that inserting the key next
	// does not look it up again. Any write to the table, and every transaction's start,
	// drop it (a rolled-back transaction may have changed the index).
	miss struct {
		h     int32
		k     string
		x     uint64
		valid bool
	}

	collide bool // tests: every key has the same hash
}

// hashRow is a stored row: its key (a holder, 0 for records, and a string), stamped (Unix
// nanoseconds, 0 without a retention) when last written.
type hashRow[V any] struct {
	h  int32
	k  memtx.Str
	at int64
	v  V
}

func newHashRows[V any](strs *memtx.Arena) hashRows[V] {
	return hashRows[V]{seed: maphash.MakeSeed(), strs: strs}
}

func (m *hashRows[V]) hashOf(k string) uint64 {
	if m.collide {
		return 1
	}
	return maphash.String(m.seed, k)
}

// find returns the ID of the row of (h, k), 0 when there is none, and the key's hash.
func (m *hashRows[V]) find(tx *memtx.Tx, h int32, k string) (id int, x uint64) {
	x = m.hashOf(k)
	id = m.index.Find(tx, x, func(id int) bool {
		r := m.rows.Ref(tx, id)
		return r.h == h && m.strs.Equal(tx, r.k, k)
	})
	return id, x
}

// findW is find for the writer of the running transaction: it remembers a miss, and a
// miss remembered answers again.
func (m *hashRows[V]) findW(tx *memtx.Tx, h int32, k string) int {
	if m.miss.valid && m.miss.h == h && m.miss.k == k {
		return 0
	}
	id, x := m.find(tx, h, k)
	if id == 0 {
		m.miss.h, m.miss.k, m.miss.x, m.miss.valid = h, k, x, true
	}
	return id
}

// findPut is find for a write: it uses and drops the remembered miss.
func (m *hashRows[V]) findPut(tx *memtx.Tx, h int32, k string) (id int, x uint64) {
	if m.miss.valid && m.miss.h == h && m.miss.k == k {
		id, x = 0, m.miss.x
	} else {
		id, x = m.find(tx, h, k)
	}
	m.forgetMiss()
	return id, x
}

func (m *hashRows[V]) forgetMiss() {
	m.miss.k, m.miss.valid = "", false
}

// ref returns a pointer to the stored row of (h, k), or nil, for reading without a copy:
// it must not be modified through the pointer nor kept past the transaction. Only the
// writer of the running transaction may call it with w set.
func (m *hashRows[V]) ref(tx *memtx.Tx, h int32, k string, w bool) *V {
	var id int
	if w {
		id = m.findW(tx, h, k)
	} else {
		id, _ = m.find(tx, h, k)
	}
	if id == 0 {
		return nil
	}
	return &m.rows.Ref(tx, id).v
}

// put stores v at (h, k), stamped at (the zero time: no stamp). v must share nothing with
// the caller. With insert, it stores nothing when the key has a row and reports whether it
// stored v. Replacing a row keeps its key's string; what the old value held is the
// caller's to release.
func (m *hashRows[V]) put(tx *memtx.Tx, h int32, k string, v V, at time.Time, insert bool) (bool, error) {
	var ns int64
	if !at.IsZero() {
		ns = at.UnixNano()
	}
	id, x := m.findPut(tx, h, k)
	if id != 0 {
		if insert {
			return false, nil
		}
		old := m.rows.Ref(tx, id)
		r := hashRow[V]{h: h, k: old.k, v: v, at: ns}
		restamped := ns != 0 && old.at != ns
		if _, err := m.rows.Set(tx, id, r); err != nil || !restamped {
			return err == nil, err
		}
	} else {
		ks, err := m.addKey(tx, k)
		if err != nil {
			return false, err
		}
		newID, r, err := m.rows.Add(tx)
		if err != nil {
			return false, err
		}
		*r = hashRow[V]{h: h, k: ks, v: v, at: ns}
		if err := m.index.Insert(tx, x, newID); err != nil || ns == 0 {
			return err == nil, err
		}
		id = newID
	}
	_, err := m.age.Append(tx, struct{}{}, stamp{at: ns, id: int64(id)})
	return err == nil, err
}

func (m *hashRows[V]) addKey(tx *memtx.Tx, k string) (memtx.Str, error) {
	if m.add != nil {
		return m.add(k)
	}
	return m.strs.Add(tx, k)
}

// forget deletes the rows last written before horizon (Unix nanoseconds).
func (m *hashRows[V]) forget(tx *memtx.Tx, horizon int64) error {
	var q struct{}
	first, end := m.age.First(tx, q), m.age.Len(tx, q)
	i := first
	for ; i < end; i++ {
		st, _ := m.age.At(tx, q, i)
		if st.at >= horizon {
			break
		}
		if r := m.rows.Ref(tx, int(st.id)); r != nil && r.at == st.at {
			if err := m.delete(tx, int(st.id)); err != nil {
				return err
			}
		}
	}
	if i == first {
		return nil
	}
	return m.age.Forget(tx, q, i)
}

// delete removes row id and its index slot, and releases what it holds.
func (m *hashRows[V]) delete(tx *memtx.Tx, id int) error {
	m.forgetMiss()
	r := *m.rows.Ref(tx, id)
	x := uint64(1)
	if !m.collide {
		x = maphash.Bytes(m.seed, m.strs.Bytes(tx, r.k)) // equal to maphash.String of the key
	}
	if err := m.index.Delete(tx, x, id); err != nil {
		return err
	}
	if err := m.rows.Delete(tx, id); err != nil {
		return err
	}
	if err := m.strs.Release(tx, r.k); err != nil {
		return err
	}
	if m.drop != nil {
		return m.drop(tx, &r.v)
	}
	return nil
}
