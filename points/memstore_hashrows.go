package points

import (
	"hash/maphash"
	"time"

	"github.com/loyaltykit/loyalty/internal/memtx"
)

// hashRows is a table of the memory store keyed by strings (purchases by holder and order,
// idempotency records by key): the rows in dense chunks ([memtx.Rows]) and a small index
// from a 64-bit hash of the key to the first row with that hash, the rows of one hash
// chained. Inserting writes a row in place and one integer map slot, so the table grows
// without hashing strings into, or moving, large map slots. With a retention, rows are
// stamped when written and forgotten, oldest stamp first, like a [memtx.Aged] table.
type hashRows[K comparable, V any] struct {
	seed  maphash.Seed
	hash  func(maphash.Seed, K) uint64
	clone func(V) V                  // copies a value in and out; nil: by assignment
	rows  memtx.Rows[hashRow[K, V]]  //
	index memtx.Table[uint64, int]   // hash → ID of the first row with it
	age   memtx.Log[struct{}, stamp] // with a retention: the stamps, in the order written

	// miss is the writers' last lookup that found nothing, so that inserting the key next
	// does not look it up again. Any write to the table, and every transaction's start,
	// drop it (a rolled-back transaction may have changed the index).
	miss struct {
		k     K
		x     uint64
		head  int
		valid bool
	}

	collide bool // tests: every key has the same hash
}

// hashRow is a stored row, stamped (Unix nanoseconds, 0 without a retention) when last
// written, with the ID of the next row whose key has the same hash (0: none).
type hashRow[K comparable, V any] struct {
	k    K
	v    V
	at   int64
	next int
}

func newHashRows[K comparable, V any](hash func(maphash.Seed, K) uint64, clone func(V) V) hashRows[K, V] {
	return hashRows[K, V]{seed: maphash.MakeSeed(), hash: hash, clone: clone}
}

func (m *hashRows[K, V]) hashOf(k K) uint64 {
	if m.collide {
		return 1
	}
	return m.hash(m.seed, k)
}

func (m *hashRows[K, V]) copy(v V) V {
	if m.clone != nil {
		return m.clone(v)
	}
	return v
}

// find returns the ID of the row of k, 0 when there is none, the key's hash and the first
// row with that hash.
func (m *hashRows[K, V]) find(tx *memtx.Tx, k K) (id int, x uint64, head int) {
	x = m.hashOf(k)
	head, _ = m.index.Get(tx, x)
	for id = head; id != 0; {
		r := m.rows.Ref(tx, id)
		if r.k == k {
			return id, x, head
		}
		id = r.next
	}
	return 0, x, head
}

// findW is find for the writer of the running transaction: it remembers a miss.
func (m *hashRows[K, V]) findW(tx *memtx.Tx, k K) int {
	id, x, head := m.find(tx, k)
	if id == 0 {
		m.miss.k, m.miss.x, m.miss.head, m.miss.valid = k, x, head, true
	}
	return id
}

// findPut is find for a write: it uses and drops the remembered miss.
func (m *hashRows[K, V]) findPut(tx *memtx.Tx, k K) (id int, x uint64, head int) {
	if m.miss.valid && m.miss.k == k {
		id, x, head = 0, m.miss.x, m.miss.head
	} else {
		id, x, head = m.find(tx, k)
	}
	m.forgetMiss()
	return id, x, head
}

func (m *hashRows[K, V]) forgetMiss() {
	var zero K
	m.miss.k, m.miss.valid = zero, false
}

// get returns a copy of the row of k. Only the writer of the running transaction may call
// it with w set.
func (m *hashRows[K, V]) get(tx *memtx.Tx, k K, w bool) (V, bool) {
	if p := m.ref(tx, k, w); p != nil {
		return m.copy(*p), true
	}
	var zero V
	return zero, false
}

// ref returns a pointer to the stored row of k, or nil, for reading without a copy: it must
// not be modified through the pointer nor kept past the transaction. Only the writer of the
// running transaction may call it with w set.
func (m *hashRows[K, V]) ref(tx *memtx.Tx, k K, w bool) *V {
	var id int
	if w {
		id = m.findW(tx, k)
	} else {
		id, _, _ = m.find(tx, k)
	}
	if id == 0 {
		return nil
	}
	return &m.rows.Ref(tx, id).v
}

// put stores a copy of v at k, stamped at (the zero time: no stamp). With insert, it stores
// nothing when k has a row and reports whether it stored v.
func (m *hashRows[K, V]) put(tx *memtx.Tx, k K, v V, at time.Time, insert bool) (bool, error) {
	var ns int64
	if !at.IsZero() {
		ns = at.UnixNano()
	}
	id, x, head := m.findPut(tx, k)
	if id != 0 {
		if insert {
			return false, nil
		}
		old := m.rows.Ref(tx, id)
		r := hashRow[K, V]{k: k, v: m.copy(v), at: ns, next: old.next}
		restamped := ns != 0 && old.at != ns
		if _, err := m.rows.Set(tx, id, r); err != nil || !restamped {
			return err == nil, err
		}
	} else {
		newID, r, err := m.rows.Add(tx)
		if err != nil {
			return false, err
		}
		*r = hashRow[K, V]{k: k, v: m.copy(v), at: ns, next: head}
		if err := m.index.Replace(tx, x, newID, head, head != 0); err != nil || ns == 0 {
			return err == nil, err
		}
		id = newID
	}
	_, err := m.age.Append(tx, struct{}{}, stamp{at: ns, id: int64(id)})
	return err == nil, err
}

// forget deletes the rows last written before horizon (Unix nanoseconds).
func (m *hashRows[K, V]) forget(tx *memtx.Tx, horizon int64) error {
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

// delete removes row id, unlinking it from its hash chain.
func (m *hashRows[K, V]) delete(tx *memtx.Tx, id int) error {
	m.forgetMiss()
	r := m.rows.Ref(tx, id)
	x := m.hashOf(r.k)
	next := r.next
	head, _ := m.index.Get(tx, x)
	if head == id {
		var err error
		if next == 0 {
			err = m.index.Delete(tx, x)
		} else {
			err = m.index.Put(tx, x, next)
		}
		if err != nil {
			return err
		}
	} else {
		for prev := head; prev != 0; {
			p := m.rows.Ref(tx, prev)
			if p.next == id {
				q := *p
				q.next = next
				if _, err := m.rows.Set(tx, prev, q); err != nil {
					return err
				}
				break
			}
			prev = p.next
		}
	}
	return m.rows.Delete(tx, id)
}
