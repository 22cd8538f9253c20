package points

import (
	"hash/maphash"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// memPurchases is the memory store's table of purchases: the rows in dense chunks
// ([memtx.Rows]) and a small index from a hash of (holder, order) to the first row with that
// hash, the rows of one hash chained. Inserting writes a row in place and one integer map
// slot, so the table grows without hashing strings into, or moving, large map slots. With a
// retention, rows are stamped when written and forgotten, oldest stamp first, like a
// [memtx.Aged] table.
type memPurchases struct {
	seed  maphash.Seed
	rows  memtx.Rows[memPurchase]
	index memtx.Table[uint64, int]   // hash → ID of the first row with it
	age   memtx.Log[struct{}, stamp] // with a retention: the stamps, in the order written

	collide bool // tests: every key has the same hash
}

// memPurchase is a stored purchase, stamped (Unix nanoseconds, 0 without a retention) when
// last written, with the ID of the next row whose key has the same hash (0: none).
type memPurchase struct {
	p    Purchase
	at   int64
	next int
}

func (m *memPurchases) hash(h Holder, order loyalty.OrderID) uint64 {
	if m.collide {
		return 1
	}
	x := maphash.String(m.seed, string(order))
	x = x*0x9e3779b97f4a7c15 ^ maphash.String(m.seed, h.ID)
	return x*0x9e3779b97f4a7c15 ^ maphash.String(m.seed, string(h.Kind))
}

// find returns the ID of the purchase of (h, order), 0 when there is none, and the key's hash.
func (m *memPurchases) find(tx *memtx.Tx, h Holder, order loyalty.OrderID) (int, uint64) {
	x := m.hash(h, order)
	id, _ := m.index.Get(tx, x)
	for id != 0 {
		r := m.rows.Ref(tx, id)
		if r.p.Holder == h && r.p.Order == order {
			return id, x
		}
		id = r.next
	}
	return 0, x
}

func (m *memPurchases) get(tx *memtx.Tx, h Holder, order loyalty.OrderID) (Purchase, bool) {
	id, _ := m.find(tx, h, order)
	if id == 0 {
		return Purchase{}, false
	}
	return clonePurchase(m.rows.Ref(tx, id).p), true
}

// put stores a copy of p, stamped at (the zero time: no stamp).
func (m *memPurchases) put(tx *memtx.Tx, p Purchase, at time.Time) error {
	var ns int64
	if !at.IsZero() {
		ns = at.UnixNano()
	}
	id, x := m.find(tx, p.Holder, p.Order)
	if id != 0 {
		old := m.rows.Ref(tx, id)
		r := memPurchase{p: clonePurchase(p), at: ns, next: old.next}
		restamped := ns != 0 && old.at != ns
		if _, err := m.rows.Set(tx, id, r); err != nil {
			return err
		}
		if !restamped {
			return nil
		}
	} else {
		head, _ := m.index.Get(tx, x)
		newID, r, err := m.rows.Add(tx)
		if err != nil {
			return err
		}
		*r = memPurchase{p: clonePurchase(p), at: ns, next: head}
		if err := m.index.Put(tx, x, newID); err != nil {
			return err
		}
		if ns == 0 {
			return nil
		}
		id = newID
	}
	_, err := m.age.Append(tx, struct{}{}, stamp{at: ns, id: int64(id)})
	return err
}

// forget deletes the purchases last written before horizon (Unix nanoseconds).
func (m *memPurchases) forget(tx *memtx.Tx, horizon int64) error {
	var k struct{}
	first, end := m.age.First(tx, k), m.age.Len(tx, k)
	i := first
	for ; i < end; i++ {
		st, _ := m.age.At(tx, k, i)
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
	return m.age.Forget(tx, k, i)
}

// delete removes row id, unlinking it from its hash chain.
func (m *memPurchases) delete(tx *memtx.Tx, id int) error {
	r := m.rows.Ref(tx, id)
	x := m.hash(r.p.Holder, r.p.Order)
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
