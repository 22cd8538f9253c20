package memtx

// rowsChunk is the number of rows of one chunk of a [Rows].
const rowsChunk = 256

// Rows is a table whose keys are dense IDs assigned in insertion order: 1, 2, 3, … such as
// the lots or the entries of a ledger. Rows live in fixed chunks addressed by ID, so an
// insertion is an append (no hashing, no map growth, nothing moved as the table grows) and
// a lookup is an index. A deleted ID is never reused; a chunk whose rows are all deleted is
// released when the transaction commits, so a table whose old rows are deleted does not
// keep their memory (a row kept for ever keeps its chunk, [rowsChunk] rows, alive).
//
// Clone, when set, deep-copies a value on the way in and out; nil copies by assignment.
type Rows[E any] struct {
	Clone   func(E) E
	chunks  []*rowChunk[E] // chunks[i] holds IDs i*rowsChunk+1 to (i+1)*rowsChunk; nil: released
	n       int            // the last ID assigned
	live    int            // rows present
	log     []rowsUndo
	olds    []E   // the rows replaced or deleted by the writes in log, in order
	emptied []int // chunks emptied by the running transaction, released at commit
}

type rowChunk[E any] struct {
	rows [rowsChunk]E
	ok   [rowsChunk]bool
	live int
}

type rowsUndo struct {
	id int
	op uint8 // rowsAdd, rowsSet or rowsDelete (these two with their old row in olds)
}

const (
	rowsAdd = iota
	rowsSet
	rowsDelete
)

func (r *Rows[E]) copy(e E) E {
	if r.Clone != nil {
		return r.Clone(e)
	}
	return e
}

// slot returns the chunk and index of id, or nil when id is out of range or released.
func (r *Rows[E]) slot(id int) (*rowChunk[E], int) {
	if id < 1 || id > r.n {
		return nil, 0
	}
	c := (id - 1) / rowsChunk
	return r.chunks[c], (id - 1) % rowsChunk
}

func (r *Rows[E]) undo() {
	n := len(r.log) - 1
	u := r.log[n]
	r.log = r.log[:n]
	c, i := r.slot(u.id)
	var old E
	if u.op != rowsAdd {
		k := len(r.olds) - 1
		old = r.olds[k]
		clear(r.olds[k:])
		r.olds = r.olds[:k]
	}
	switch u.op {
	case rowsAdd:
		var zero E
		c.rows[i], c.ok[i] = zero, false
		c.live--
		r.live--
		r.n--
	case rowsSet:
		c.rows[i] = old
	case rowsDelete:
		c.rows[i], c.ok[i] = old, true
		c.live++
		r.live++
	}
}

func (r *Rows[E]) commit() {
	for _, ci := range r.emptied {
		if c := r.chunks[ci]; c != nil && c.live == 0 && (ci+1)*rowsChunk <= r.n {
			r.chunks[ci] = nil // every ID of the chunk is assigned and deleted
		}
	}
	r.emptied = r.emptied[:0]
	if len(r.log) > 0 {
		r.log = reuseFlat(r.log)
	}
	if len(r.olds) > 0 {
		r.olds = reuse(r.olds)
	}
}

// Add inserts a row with the next ID and returns the ID and a pointer to the row, zero, for
// the caller to fill in place. The pointer is valid until the transaction ends and must not
// be kept; the row must not alias the caller's data (Clone is not applied).
func (r *Rows[E]) Add(tx *Tx) (int, *E, error) {
	if err := tx.write(r); err != nil {
		return 0, nil, err
	}
	id := r.n + 1
	ci, i := (id-1)/rowsChunk, (id-1)%rowsChunk
	if ci == len(r.chunks) {
		r.chunks = append(r.chunks, nil)
	}
	if r.chunks[ci] == nil {
		r.chunks[ci] = new(rowChunk[E])
	}
	c := r.chunks[ci]
	c.ok[i] = true
	c.live++
	r.live++
	r.n = id
	r.log = append(r.log, rowsUndo{id: id, op: rowsAdd})
	return id, &c.rows[i], nil
}

// Append inserts a copy of e with the next ID and returns the ID.
func (r *Rows[E]) Append(tx *Tx, e E) (int, error) {
	id, p, err := r.Add(tx)
	if err != nil {
		return 0, err
	}
	*p = r.copy(e)
	return id, nil
}

// Get returns a copy of the row id.
func (r *Rows[E]) Get(tx *Tx, id int) (E, bool) {
	if p := r.Ref(tx, id); p != nil {
		return r.copy(*p), true
	}
	var zero E
	return zero, false
}

// Ref returns a pointer to the stored row id, or nil: for reading without a copy. The row
// must not be modified through it, nor the pointer kept past the transaction.
func (r *Rows[E]) Ref(tx *Tx, id int) *E {
	c, i := r.slot(id)
	if c == nil || !c.ok[i] {
		return nil
	}
	return &c.rows[i]
}

// Set replaces the row id with a copy of e and reports whether the row exists (nothing is
// stored otherwise).
func (r *Rows[E]) Set(tx *Tx, id int, e E) (bool, error) {
	c, i := r.slot(id)
	if c == nil || !c.ok[i] {
		return false, nil
	}
	if err := tx.write(r); err != nil {
		return false, err
	}
	r.log = append(r.log, rowsUndo{id: id, op: rowsSet})
	r.olds = append(r.olds, c.rows[i])
	c.rows[i] = r.copy(e)
	return true, nil
}

// Delete removes the row id, if any. Its ID is not reused.
func (r *Rows[E]) Delete(tx *Tx, id int) error {
	c, i := r.slot(id)
	if c == nil || !c.ok[i] {
		return nil
	}
	if err := tx.write(r); err != nil {
		return err
	}
	r.log = append(r.log, rowsUndo{id: id, op: rowsDelete})
	r.olds = append(r.olds, c.rows[i])
	var zero E
	c.rows[i], c.ok[i] = zero, false
	c.live--
	r.live--
	if c.live == 0 {
		r.emptied = append(r.emptied, (id-1)/rowsChunk)
	}
	return nil
}

// Len returns the last ID assigned: deleted rows included.
func (r *Rows[E]) Len(tx *Tx) int { return r.n }

// Count returns the number of rows present.
func (r *Rows[E]) Count(tx *Tx) int { return r.live }

// Range calls fn with the ID and a copy of every row present with an ID of at least from, in
// ID order, until fn returns false. fn must not write to r.
func (r *Rows[E]) Range(tx *Tx, from int, fn func(id int, e E) bool) {
	for id := max(from, 1); id <= r.n; {
		c, i := r.slot(id)
		if c == nil {
			id += rowsChunk - i
			continue
		}
		if c.ok[i] && !fn(id, r.copy(c.rows[i])) {
			return
		}
		id++
	}
}
