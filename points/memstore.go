package points

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// ErrForgotten is wrapped by the errors of a memory store with a retention
// ([MemoryOptions.Retention]) for what it has forgotten: an entry or a lot older than the
// retention, the history of a holder before its oldest retained entry.
var ErrForgotten = errors.New("points: forgotten: older than the memory store's retention")

// MemoryOptions configure [NewMemoryStoreWith]. Zero fields mean the documented defaults.
//
// MemoryOptions values are plain data, safe for concurrent use when not modified.
type MemoryOptions struct {
	// Retention, when positive, bounds what the store keeps of the past, so that its memory
	// does not grow with the length of its history beyond per-holder state: idempotency
	// records, purchase records (what returns read) and ledger entries are forgotten once
	// Retention has passed since they were last written, and lots once Retention has passed
	// since they closed (fully spent, expired, reversed or moved). Balance rows and open lots
	// are kept for ever. Lots and entries are stored in chunks of 256 consecutive IDs whose
	// memory is released when all 256 are forgotten, so a lot that stays open for ever keeps
	// the memory of the chunk it is in.
	//
	// Choose it longer than the return window (the longest time from an order to its last
	// return) and than the longest time an ERP may retry a request: a key retried after its
	// record was forgotten runs again, and a return after the order's purchase record was
	// forgotten fails with an error wrapping loyalty.ErrNotFound. Reading forgotten entries
	// or lots fails with an error wrapping [ErrForgotten] (History from a forgotten position,
	// Settlement of a period partly forgotten).
	//
	// Zero (the default) keeps everything.
	Retention time.Duration
	// Clock stamps every transaction with its time, from which the store ages what it keeps.
	// Defaults to the system clock. Give the ledger's clock (a loyalty.ManualClock in a
	// simulation).
	Clock loyalty.Clock
}

// NewMemoryStore returns an in-memory [Store] that keeps everything, the embedded default:
// NewMemoryStoreWith with zero options.
func NewMemoryStore() Store { return NewMemoryStoreWith(MemoryOptions{}) }

// NewMemoryStoreWith returns an in-memory [Store] with options. It is built on one
// serializable transaction mechanism (internal/memtx): a failed Update leaves it exactly as
// it was, forgetting included. Values are copied in and out. It is safe for concurrent use.
//
// Reading a balance row, earning, and appending entries take constant time however long
// the history. OpenLots reads a holder's lots from the oldest one still open, so it grows
// with the lots a holder has open (and closed lots interleaved with them), not with all
// the lots ever earned.
//
// What it keeps for ever (without a retention) is laid out for a long history: lots and
// entries in fixed chunks addressed by their IDs, purchases and idempotency records in such
// chunks indexed by a 64-bit hash of their key, every row compact (the rarely used fields
// of an entry out of line). An earning keeps about 1.1 KB (its lot, entry, purchase and
// record), and adding one moves no existing row and grows no map holding rows.
func NewMemoryStoreWith(opt MemoryOptions) Store {
	s := &memStore{
		retention: opt.Retention,
		clock:     opt.Clock,
		purchases: newHashRows[purchaseKey, purchaseRow](hashPurchaseKey, nil),
		records:   newHashRows[loyalty.IdempotencyKey, memRecord](hashKey, nil),
	}
	if s.clock == nil {
		s.clock = loyalty.SystemClock()
	}
	s.w.s, s.r.s = s, s
	return s
}

type memLot struct {
	lot    Lot
	pos    int   // position in the holder's lot log
	closed int64 // with a retention: when the lot last closed (Unix nanoseconds), 0 while open
}

type purchaseKey struct {
	h Holder
	o loyalty.OrderID
}

// hashPurchaseKey hashes the order alone: the purchases of one order by several holders
// (a company and its employee) share a hash chain, which find walks comparing whole keys.
func hashPurchaseKey(seed maphash.Seed, k purchaseKey) uint64 {
	return maphash.String(seed, string(k.o))
}

func hashKey(seed maphash.Seed, k loyalty.IdempotencyKey) uint64 {
	return maphash.String(seed, string(k))
}

// memRecord is a Record as the store keeps it: the IDs of a posting's entries, which are
// consecutive, as the first and a count.
type memRecord struct {
	fp    string
	at    time.Time
	first EntryID
	n     int
	ids   []EntryID // when not consecutive
}

// stamp is the time (Unix nanoseconds) a retained thing was written or closed.
type stamp struct {
	at int64
	id int64 // an entry's position, a lot's ID
}

type memStore struct {
	db         memtx.DB
	accounts   memtx.Table[Holder, Account]
	lots       memtx.Rows[memLot] // by ID
	holderLots memtx.Log[Holder, LotID]
	cursor     memtx.Table[Holder, int] // no lot before this position of holderLots is open
	entries    memtx.Rows[entryRow]     // every entry, by ID = position + 1; never modified
	holderLog  memtx.Log[Holder, int]   // positions in entries, per holder
	purchases  hashRows[purchaseKey, purchaseRow]
	records    hashRows[loyalty.IdempotencyKey, memRecord] // immutable once stored

	// With a retention: the entries and the closed lots in the order they were stamped, and
	// the horizon before which entries are forgotten.
	retention  time.Duration
	clock      loyalty.Clock
	entryAge   memtx.Log[struct{}, stamp]
	lotAge     memtx.Log[struct{}, stamp]
	forgotten  memtx.Table[struct{}, time.Time]
	now        time.Time // of the running Update
	w, r       memTx     // the transactions handed to fn: the writers' and the readers'
	readerOnce sync.Once
}

func clonePurchase(p Purchase) Purchase {
	p.Lines = slices.Clone(p.Lines)
	p.Redeemed = slices.Clone(p.Redeemed)
	return p
}

func (s *memStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error {
		// Writers hold the lock: s.w and s.now are theirs.
		s.w.tx = tx
		s.records.forgetMiss() // a rolled-back transaction may have changed the indexes
		s.purchases.forgetMiss()
		if s.retention > 0 {
			s.now = s.clock.Now()
		}
		if err := fn(&s.w); err != nil {
			return err
		}
		if s.retention > 0 {
			return s.w.forget()
		}
		return nil
	})
}

func (s *memStore) View(ctx context.Context, fn func(tx ReadTx) error) error {
	return s.db.View(ctx, func(tx *memtx.Tx) error {
		// Every view gets the same read-only memtx.Tx, so s.r is set once.
		s.readerOnce.Do(func() { s.r.tx = tx })
		return fn(&s.r)
	})
}

type memTx struct {
	s  *memStore
	tx *memtx.Tx
}

// Not-found errors are preallocated: a miss (a new idempotency key, a new order) is the
// common case of every posting and must not allocate.
var (
	errNoAccount  = fmt.Errorf("points: account: %w", loyalty.ErrNotFound)
	errNoLot      = fmt.Errorf("points: lot: %w", loyalty.ErrNotFound)
	errNoPurchase = fmt.Errorf("points: purchase: %w", loyalty.ErrNotFound)
	errNoRecord   = fmt.Errorf("points: idempotency record: %w", loyalty.ErrNotFound)
	// With a retention, a miss may be something forgotten.
	errNoPurchaseRetained = fmt.Errorf("points: purchase: %w (never recorded, or forgotten past the memory store's retention)", loyalty.ErrNotFound)
)

func (t *memTx) Account(h Holder) (Account, error) {
	a, ok := t.s.accounts.Get(t.tx, h)
	if !ok {
		return Account{}, errNoAccount
	}
	return a, nil
}

func (t *memTx) Accounts(fn func(Account) bool) error {
	t.s.accounts.Range(t.tx, func(_ Holder, a Account) bool { return fn(a) })
	return nil
}

func (t *memTx) Lot(id LotID) (Lot, error) {
	m := t.s.lots.Ref(t.tx, int(id))
	if m == nil {
		if t.s.retention > 0 && id > 0 && int(id) <= t.s.lots.Len(t.tx) {
			return Lot{}, fmt.Errorf("points: lot %d: %w: %w", id, loyalty.ErrNotFound, ErrForgotten)
		}
		return Lot{}, errNoLot
	}
	return m.lot, nil
}

func (t *memTx) OpenLots(h Holder) ([]Lot, error) {
	from, _ := t.s.cursor.Get(t.tx, h)
	var out []Lot
	t.s.holderLots.Range(t.tx, h, from, func(_ int, id LotID) bool {
		// A lot missing is a closed lot forgotten.
		if m := t.s.lots.Ref(t.tx, int(id)); m != nil && m.lot.Open() {
			out = append(out, m.lot)
		}
		return true
	})
	slices.SortFunc(out, func(a, b Lot) int {
		switch {
		case a.SpendsBefore(b):
			return -1
		case b.SpendsBefore(a):
			return 1
		}
		return 0
	})
	return out, nil
}

func (t *memTx) AllOpenLots(fn func(Lot) bool) error {
	t.s.lots.Range(t.tx, 1, func(_ int, m memLot) bool {
		if m.lot.Open() {
			return fn(m.lot)
		}
		return true
	})
	return nil
}

func (t *memTx) Entry(id EntryID) (Entry, error) {
	b := t.s.entries.Ref(t.tx, int(id))
	if b == nil {
		if id > 0 && int(id) <= t.s.entries.Len(t.tx) {
			return Entry{}, fmt.Errorf("points: entry %d: %w: %w", id, loyalty.ErrNotFound, ErrForgotten)
		}
		return Entry{}, fmt.Errorf("points: entry %d: %w", id, loyalty.ErrNotFound)
	}
	return b.unpack(), nil
}

func (t *memTx) Entries(h Holder, from, limit int) ([]Entry, error) {
	if first := t.s.holderLog.First(t.tx, h); from < first {
		return nil, fmt.Errorf("points: entries of %s from position %d: the oldest retained is at %d: %w", h, from, first, ErrForgotten)
	}
	var out []Entry
	t.s.holderLog.Range(t.tx, h, from, func(_ int, pos int) bool {
		if len(out) >= limit {
			return false
		}
		out = append(out, t.s.entries.Ref(t.tx, pos+1).unpack())
		return true
	})
	return out, nil
}

func (t *memTx) EntriesBetween(from, to time.Time, fn func(Entry) bool) error {
	if h, _ := t.s.forgotten.Get(t.tx, struct{}{}); from.Before(h) {
		return fmt.Errorf("points: entries from %s: entries before %s were forgotten: %w", from.Format(time.RFC3339), h.Format(time.RFC3339), ErrForgotten)
	}
	for id := 1; id <= t.s.entries.Len(t.tx); id++ {
		b := t.s.entries.Ref(t.tx, id)
		if b == nil || b.at.Before(from) || !b.at.Before(to) {
			continue
		}
		if !fn(b.unpack()) {
			break
		}
	}
	return nil
}

func (t *memTx) Purchase(h Holder, order loyalty.OrderID) (Purchase, error) {
	r := t.s.purchases.ref(t.tx, purchaseKey{h, order}, t == &t.s.w)
	if r == nil {
		if t.s.retention > 0 {
			return Purchase{}, errNoPurchaseRetained
		}
		return Purchase{}, errNoPurchase
	}
	return r.unpack(h, order), nil
}

func (t *memTx) Record(key loyalty.IdempotencyKey) (Record, error) {
	var id int
	if t == &t.s.w {
		id = t.s.records.findW(t.tx, key)
	} else {
		id, _, _ = t.s.records.find(t.tx, key)
	}
	if id == 0 {
		return Record{}, errNoRecord
	}
	return t.s.records.rows.Ref(t.tx, id).v.record(key), nil
}

func (m *memRecord) record(key loyalty.IdempotencyKey) Record {
	r := Record{Key: key, Fingerprint: m.fp, At: m.at, Entries: slices.Clone(m.ids)}
	if m.ids == nil && m.n > 0 {
		r.Entries = make([]EntryID, m.n)
		for i := range r.Entries {
			r.Entries[i] = m.first + EntryID(i)
		}
	}
	return r
}

func (t *memTx) PutAccount(a Account) error { return t.s.accounts.Put(t.tx, a.Holder, a) }

func (t *memTx) InsertLot(l Lot) (Lot, error) {
	id, m, err := t.s.lots.Add(t.tx)
	if err != nil {
		return Lot{}, err
	}
	l.ID = LotID(id)
	pos, err := t.s.holderLots.Append(t.tx, l.Holder, l.ID)
	if err != nil {
		return Lot{}, err
	}
	*m = memLot{lot: l, pos: pos}
	if t.s.retention > 0 && !l.Open() { // inserted closed
		m.closed = t.s.now.UnixNano()
		if _, err := t.s.lotAge.Append(t.tx, struct{}{}, stamp{at: m.closed, id: int64(l.ID)}); err != nil {
			return Lot{}, err
		}
	}
	return l, nil
}

// putLot stores m, stamping it when it closes (or is inserted closed) under a retention.
func (t *memTx) putLot(m memLot, wasOpen bool) error {
	if t.s.retention > 0 && !m.lot.Open() && (wasOpen || m.closed == 0) {
		m.closed = t.s.now.UnixNano()
		if _, err := t.s.lotAge.Append(t.tx, struct{}{}, stamp{at: m.closed, id: int64(m.lot.ID)}); err != nil {
			return err
		}
	}
	if m.lot.Open() {
		m.closed = 0
	}
	_, err := t.s.lots.Set(t.tx, int(m.lot.ID), m)
	return err
}

func (t *memTx) UpdateLot(l Lot) error {
	p := t.s.lots.Ref(t.tx, int(l.ID))
	if p == nil {
		if _, err := t.Lot(l.ID); !errors.Is(err, errNoLot) {
			return err // forgotten
		}
		return fmt.Errorf("points: lot %d: %w", l.ID, loyalty.ErrNotFound)
	}
	m := *p
	if m.lot.Holder != l.Holder {
		return fmt.Errorf("points: lot %d belongs to %s, not %s: %w", l.ID, m.lot.Holder, l.Holder, loyalty.ErrConflict)
	}
	wasOpen := m.lot.Open()
	m.lot = l
	if err := t.putLot(m, wasOpen); err != nil {
		return err
	}
	cur, _ := t.s.cursor.Get(t.tx, l.Holder)
	switch {
	case l.Open() && m.pos < cur: // reopened behind the cursor
		return t.s.cursor.Put(t.tx, l.Holder, m.pos)
	case !l.Open() && m.pos == cur: // the oldest open lot closed: skip the closed prefix
		n := t.s.holderLots.Len(t.tx, l.Holder)
		for cur < n {
			id, _ := t.s.holderLots.At(t.tx, l.Holder, cur)
			if x := t.s.lots.Ref(t.tx, int(id)); x != nil && x.lot.Open() {
				break
			}
			cur++
		}
		return t.s.cursor.Put(t.tx, l.Holder, cur)
	}
	return nil
}

func (t *memTx) AppendEntry(e Entry) (Entry, error) {
	var k struct{}
	id, row, err := t.s.entries.Add(t.tx)
	if err != nil {
		return Entry{}, err
	}
	pos := id - 1
	e.ID = EntryID(id)
	row.pack(&e) // the stored copy shares nothing with e, which goes back to the caller
	if _, err := t.s.holderLog.Append(t.tx, e.Holder, pos); err != nil {
		return Entry{}, err
	}
	if t.s.retention > 0 {
		if _, err := t.s.entryAge.Append(t.tx, k, stamp{at: t.s.now.UnixNano(), id: int64(pos)}); err != nil {
			return Entry{}, err
		}
	}
	return e, nil
}

func (t *memTx) PutPurchase(p Purchase) error {
	_, err := t.s.purchases.put(t.tx, purchaseKey{p.Holder, p.Order}, packPurchase(&p), t.s.now, false)
	return err
}

func (t *memTx) PutRecord(r Record) error {
	m := memRecord{fp: r.Fingerprint, at: r.At}
	if n := len(r.Entries); n > 0 && r.Entries[n-1]-r.Entries[0] == EntryID(n-1) && slices.IsSorted(r.Entries) {
		m.first, m.n = r.Entries[0], n
	} else if r.Entries != nil {
		m.ids = slices.Clone(r.Entries)
	}
	stored, err := t.s.records.put(t.tx, r.Key, m, t.s.now, true)
	if err == nil && !stored {
		return fmt.Errorf("points: idempotency key %q exists: %w", r.Key, loyalty.ErrConflict)
	}
	return err
}

// forget drops, at the end of a successful Update, what is older than the retention.
func (t *memTx) forget() error {
	s := t.s
	horizon := s.now.Add(-s.retention)
	if err := s.records.forget(t.tx, horizon.UnixNano()); err != nil {
		return err
	}
	if err := s.purchases.forget(t.tx, horizon.UnixNano()); err != nil {
		return err
	}
	h := horizon.UnixNano()
	var k struct{}
	// Entries, oldest first, with the holders' indexes of them.
	first, end := s.entryAge.First(t.tx, k), s.entryAge.Len(t.tx, k)
	i := first
	for ; i < end; i++ {
		st, _ := s.entryAge.At(t.tx, k, i)
		if st.at >= h {
			break
		}
		b := s.entries.Ref(t.tx, int(st.id)+1)
		if b == nil {
			continue
		}
		holder := b.holder
		if err := s.entries.Delete(t.tx, int(st.id)+1); err != nil {
			return err
		}
		if err := s.holderLog.Forget(t.tx, holder, s.holderLog.First(t.tx, holder)+1); err != nil {
			return err
		}
	}
	if i > first {
		if err := s.entryAge.Forget(t.tx, k, i); err != nil {
			return err
		}
		if err := s.forgotten.Put(t.tx, k, horizon); err != nil {
			return err
		}
	}
	// Closed lots, by when they closed; a lot reopened since, or closed again later, stays.
	first, end = s.lotAge.First(t.tx, k), s.lotAge.Len(t.tx, k)
	i = first
	for ; i < end; i++ {
		st, _ := s.lotAge.At(t.tx, k, i)
		if st.at >= h {
			break
		}
		m := s.lots.Ref(t.tx, int(st.id))
		if m == nil || m.lot.Open() || m.closed != st.at {
			continue
		}
		hl := m.lot.Holder
		if err := s.lots.Delete(t.tx, int(st.id)); err != nil {
			return err
		}
		// Drop the holder's index of its lots up to the first one still kept.
		p, n := s.holderLots.First(t.tx, hl), s.holderLots.Len(t.tx, hl)
		for ; p < n; p++ {
			id, _ := s.holderLots.At(t.tx, hl, p)
			if s.lots.Ref(t.tx, int(id)) != nil {
				break
			}
		}
		if err := s.holderLots.Forget(t.tx, hl, p); err != nil {
			return err
		}
		if cur, _ := s.cursor.Get(t.tx, hl); cur < p {
			if err := s.cursor.Put(t.tx, hl, p); err != nil {
				return err
			}
		}
	}
	if i > first {
		return s.lotAge.Forget(t.tx, k, i)
	}
	return nil
}
