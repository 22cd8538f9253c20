package points

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
// entries in fixed chunks addressed by their IDs, balance rows in such chunks addressed by
// the holder's number, purchases and idempotency records in such chunks indexed by a 64-bit
// hash of their key (a record keeps the 32 bytes of its fingerprint), and every such row
// without pointers: its
// strings (keys, order IDs) in large chunks of bytes shared by the rows of one posting,
// holders and partners as numbers, times as integers, the rarely used fields of an entry
// in a side row. The garbage collector therefore neither scans the rows nor marks their
// strings one by one. An earning keeps about 700 bytes (its lot, entry, purchase and record,
// its key and order ID once, two index slots), and adding one moves no existing row and
// grows no map holding rows. Times read back in the location they were stored in, without a
// monotonic clock reading. A balance row of the zero Holder, which no ledger writes, is
// refused with an error wrapping [loyalty.ErrInvalid].
func NewMemoryStoreWith(opt MemoryOptions) Store {
	s := &memStore{
		retention: opt.Retention,
		clock:     opt.Clock,
	}
	s.purchases = newHashRows[purchaseRow](&s.strs)
	s.records = newHashRows[recordRow](&s.strs)
	s.purchases.add, s.records.add = s.w.str, s.w.str
	s.purchases.drop, s.records.drop = s.w.dropPurchase, s.w.dropRecord
	if s.clock == nil {
		s.clock = loyalty.SystemClock()
	}
	s.w.s, s.r.s = s, s
	s.r.tx = memtx.ReadOnly() // every view's
	return s
}

// stamp is the time (Unix nanoseconds) a retained thing was written or closed.
type stamp struct {
	at int64
	id int64 // an entry's position, a lot's ID
}

type memStore struct {
	db           memtx.DB
	strs         memtx.Arena                 // the strings of the rows
	holders      holderInterner              // holders by number
	partners     interner[loyalty.PartnerID] // issuers and acceptors by number
	kinds        interner[EntryKind]         // entry kinds the package does not define
	locs         []*time.Location            // the locations of stored times but UTC, numbered from 1; only ever appended to
	locIDs       map[locKey]int32            // the numbers of locs; written by writers only
	lastLoc      int32                       // the number of the location the writer stored last
	accounts     memtx.Rows[accountRow]      // by holder number: a row for every holder, ok when it has an account
	lots         memtx.Rows[lotRow]          // by ID
	holderLots   memtx.Log[int32, LotID]     // by holder number
	cursor       memtx.Table[int32, int]     // no lot before this position of holderLots is open
	entries      memtx.Rows[entryRow]        // every entry, by ID = position + 1; never modified
	entryMore    memtx.Rows[entryMore]       // the side rows of entries
	holderLog    memtx.Log[int32, int]       // positions in entries, per holder number
	purchases    hashRows[purchaseRow]       //
	purchaseMore memtx.Rows[purchaseMore]    // the side rows of purchases
	records      hashRows[recordRow]         // immutable once stored
	recordIDs    memtx.Rows[[]EntryID]       // the entries of records whose IDs are not consecutive

	// With a retention: the entries and the closed lots in the order they were stamped, and
	// the horizon before which entries are forgotten.
	retention time.Duration
	clock     loyalty.Clock
	entryAge  memtx.Log[struct{}, stamp]
	lotAge    memtx.Log[struct{}, stamp]
	forgotten memtx.Table[struct{}, time.Time]
	now       time.Time // of the running Update
	w, r      memTx     // the transactions handed to fn: the writers' and the readers'
}

func (s *memStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error {
		// Writers hold the lock: s.w and s.now are theirs. A rolled-back transaction may
		// have changed what the writer remembers.
		s.w.tx = tx
		s.w.memo, s.w.memoNext, s.w.lastH = [4]strMemo{}, 0, lastHolder{}
		s.records.forgetMiss()
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
	return memtx.ViewWith(ctx, &s.db, ReadTx(&s.r), fn)
}

// memTx is a transaction of the store: the writers' one (s.w), which remembers the
// strings and the holder of its transaction, or the readers' one (s.r), shared by
// concurrent views, which changes nothing.
type memTx struct {
	s        *memStore
	tx       *memtx.Tx
	memo     [4]strMemo
	memoNext int
	lastH    lastHolder
}

type strMemo struct {
	s   string
	ref memtx.Str
	ok  bool
}

type lastHolder struct {
	h  Holder
	id int32
	ok bool
}

// Not-found errors are preallocated: a miss (a new idempotency key, a new order) is the
// common case of every posting and must not allocate.
var (
	errNoAccount  = fmt.Errorf("points: account: %w", loyalty.ErrNotFound)
	errNoLot      = fmt.Errorf("points: lot: %w", loyalty.ErrNotFound)
	errNoPurchase = fmt.Errorf("points: purchase: %w", loyalty.ErrNotFound)
	errNoRecord   = fmt.Errorf("points: idempotency record: %w", loyalty.ErrNotFound)
	// The memory store numbers holders from 1: the zero Holder, which no ledger writes, has
	// no balance row.
	errZeroHolder = fmt.Errorf("points: account: the zero holder: %w", loyalty.ErrInvalid)
	// With a retention, a miss may be something forgotten.
	errNoPurchaseRetained = fmt.Errorf("points: purchase: %w (never recorded, or forgotten past the memory store's retention)", loyalty.ErrNotFound)
)

func (t *memTx) Account(h Holder) (a Account, err error) {
	if err = t.accountInto(h, &a); err != nil { // into the result: no copy of it
		return Account{}, err
	}
	return a, nil
}

// accountInto is Account reading into a, for the ledger.
func (t *memTx) accountInto(h Holder, a *Account) error {
	if hid, ok, _ := t.holderID(h, false); ok && hid > 0 {
		if r := t.s.accounts.Ref(t.tx, int(hid)); r.ok {
			t.unpackAccount(r, h, a)
			return nil
		}
	}
	return errNoAccount
}

// balance returns h's balance and whether an activation or expiry is due at now, read from
// its stored row: what Account and the ledger's balanceOf give, without building the
// Account. It reports false for a holder without an account.
func (t *memTx) balance(h Holder, now time.Time) (Balance, bool, bool) {
	hid, ok, _ := t.holderID(h, false)
	if !ok || hid == 0 {
		return Balance{}, false, false
	}
	r := t.s.accounts.Ref(t.tx, int(hid))
	if !r.ok {
		return Balance{}, false, false
	}
	due := r.nextDue.compare(zeroTime.sec, 0) != 0 && r.nextDue.compare(now.Unix(), int32(now.Nanosecond())) <= 0
	return Balance{Holder: h, Available: r.active - r.debt, Active: r.active, Pending: r.pending,
		Spent: r.spent, Expired: r.expired, Reversed: r.reversed, Transferred: r.transferred,
		Debited: r.debited, Earned: r.earned, Debt: r.debt}, due, true
}

func (t *memTx) Accounts(fn func(Account) bool) error {
	for id := 1; id <= t.s.accounts.Len(t.tx); id++ {
		if r := t.s.accounts.Ref(t.tx, id); r.ok {
			var a Account
			if t.unpackAccount(r, t.holder(int32(id)), &a); !fn(a) {
				break
			}
		}
	}
	return nil
}

func (t *memTx) Lot(id LotID) (Lot, error) {
	r := t.s.lots.Ref(t.tx, int(id))
	if r == nil {
		if t.s.retention > 0 && id > 0 && int(id) <= t.s.lots.Len(t.tx) {
			return Lot{}, fmt.Errorf("points: lot %d: %w: %w", id, loyalty.ErrNotFound, ErrForgotten)
		}
		return Lot{}, errNoLot
	}
	return t.unpackLot(int(id), r), nil
}

func (t *memTx) OpenLots(h Holder) ([]Lot, error) { return t.openLots(h, nil) }

// openLots is OpenLots appending to buf[:0] when it holds them all, for the ledger.
func (t *memTx) openLots(h Holder, buf []Lot) ([]Lot, error) {
	hid, ok, _ := t.holderID(h, false)
	if !ok {
		return nil, nil
	}
	from, _ := t.s.cursor.Get(t.tx, hid)
	// The open lots in three passes: count them and their order IDs' bytes, copy the order
	// IDs into one string, read the lots with their order IDs as substrings of it (one
	// allocation for all, where a holder may have hundreds of lots open).
	n, size := 0, 0
	open := func(id LotID) *lotRow {
		if r := t.s.lots.Ref(t.tx, int(id)); r != nil && r.open() { // a lot missing is a closed lot forgotten
			return r
		}
		return nil
	}
	t.s.holderLots.Range(t.tx, hid, from, func(_ int, id LotID) bool {
		if r := open(id); r != nil {
			n, size = n+1, size+r.order.Len()
		}
		return true
	})
	if n == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.Grow(size)
	t.s.holderLots.Range(t.tx, hid, from, func(_ int, id LotID) bool {
		if r := open(id); r != nil {
			b.Write(t.s.strs.Bytes(t.tx, r.order))
		}
		return true
	})
	orders, off := b.String(), 0
	out := buf[:0]
	if cap(out) < n {
		out = make([]Lot, 0, n)
	}
	t.s.holderLots.Range(t.tx, hid, from, func(_ int, id LotID) bool {
		if r := open(id); r != nil {
			end := off + r.order.Len()
			out = append(out, t.unpackLotOrder(int(id), r, h, loyalty.OrderID(orders[off:end])))
			off = end
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
	for id := 1; id <= t.s.lots.Len(t.tx); id++ {
		if r := t.s.lots.Ref(t.tx, id); r != nil && r.open() && !fn(t.unpackLot(id, r)) {
			break
		}
	}
	return nil
}

func (t *memTx) Entry(id EntryID) (Entry, error) {
	r := t.s.entries.Ref(t.tx, int(id))
	if r == nil {
		if id > 0 && int(id) <= t.s.entries.Len(t.tx) {
			return Entry{}, fmt.Errorf("points: entry %d: %w: %w", id, loyalty.ErrNotFound, ErrForgotten)
		}
		return Entry{}, fmt.Errorf("points: entry %d: %w", id, loyalty.ErrNotFound)
	}
	return t.unpackEntry(int(id), r), nil
}

func (t *memTx) Entries(h Holder, from, limit int) ([]Entry, error) {
	hid, ok, _ := t.holderID(h, false)
	if !ok {
		return nil, nil
	}
	if first := t.s.holderLog.First(t.tx, hid); from < first {
		return nil, fmt.Errorf("points: entries of %s from position %d: the oldest retained is at %d: %w", h, from, first, ErrForgotten)
	}
	var out []Entry
	t.s.holderLog.Range(t.tx, hid, from, func(_ int, pos int) bool {
		if len(out) >= limit {
			return false
		}
		out = append(out, t.unpackEntry(pos+1, t.s.entries.Ref(t.tx, pos+1)))
		return true
	})
	return out, nil
}

func (t *memTx) EntriesBetween(from, to time.Time, fn func(Entry) bool) error {
	if h, _ := t.s.forgotten.Get(t.tx, struct{}{}); from.Before(h) {
		return fmt.Errorf("points: entries from %s: entries before %s were forgotten: %w", from.Format(time.RFC3339), h.Format(time.RFC3339), ErrForgotten)
	}
	fs, fn0, ts, tn := from.Unix(), int32(from.Nanosecond()), to.Unix(), int32(to.Nanosecond())
	for id := 1; id <= t.s.entries.Len(t.tx); id++ {
		r := t.s.entries.Ref(t.tx, id)
		if r == nil || r.at.compare(fs, fn0) < 0 || r.at.compare(ts, tn) >= 0 {
			continue
		}
		if !fn(t.unpackEntry(id, r)) {
			break
		}
	}
	return nil
}

func (t *memTx) Purchase(h Holder, order loyalty.OrderID) (Purchase, error) {
	var r *purchaseRow
	if hid, ok, _ := t.holderID(h, false); ok {
		r = t.s.purchases.ref(t.tx, hid, string(order), t == &t.s.w)
	}
	if r == nil {
		if t.s.retention > 0 {
			return Purchase{}, errNoPurchaseRetained
		}
		return Purchase{}, errNoPurchase
	}
	return t.unpackPurchase(r, h, order), nil
}

func (t *memTx) Record(key loyalty.IdempotencyKey) (Record, error) {
	r := t.s.records.ref(t.tx, 0, string(key), t == &t.s.w)
	if r == nil {
		return Record{}, errNoRecord
	}
	return t.unpackRecord(r, key), nil
}

func (t *memTx) PutAccount(a Account) error { return t.putAccount(&a) }

// putAccount is PutAccount of *a, for the ledger.
func (t *memTx) putAccount(a *Account) error {
	hid, _, err := t.holderID(a.Holder, true)
	if err != nil {
		return err
	}
	if hid == 0 {
		return errZeroHolder
	}
	_, err = t.s.accounts.Set(t.tx, int(hid), t.packAccount(a))
	return err
}

func (t *memTx) InsertLot(l Lot) (Lot, error) {
	if err := t.insertLot(&l); err != nil {
		return Lot{}, err
	}
	return l, nil
}

// insertLot is InsertLot assigning l.ID in place, for the ledger.
func (t *memTx) insertLot(l *Lot) error {
	hid, _, err := t.holderID(l.Holder, true)
	if err != nil {
		return err
	}
	id, r, err := t.s.lots.Add(t.tx)
	if err != nil {
		return err
	}
	pos, err := t.s.holderLots.Append(t.tx, hid, LotID(id))
	if err != nil {
		return err
	}
	if err := t.packLot(r, l, hid); err != nil {
		return err
	}
	r.pos = pos
	l.ID = LotID(id)
	if t.s.retention > 0 && !l.Open() { // inserted closed
		r.closed = t.s.now.UnixNano()
		if _, err := t.s.lotAge.Append(t.tx, struct{}{}, stamp{at: r.closed, id: int64(l.ID)}); err != nil {
			return err
		}
	}
	return nil
}

func (t *memTx) UpdateLot(l Lot) error { return t.updateLot(&l) }

// updateLot is UpdateLot of *l, for the ledger.
func (t *memTx) updateLot(l *Lot) error {
	p := t.s.lots.Ref(t.tx, int(l.ID))
	if p == nil {
		if _, err := t.Lot(l.ID); !errors.Is(err, errNoLot) {
			return err // forgotten
		}
		return fmt.Errorf("points: lot %d: %w", l.ID, loyalty.ErrNotFound)
	}
	r := *p
	if hid, ok, _ := t.holderID(l.Holder, false); !ok || hid != r.holder {
		return fmt.Errorf("points: lot %d belongs to %s, not %s: %w", l.ID, t.holder(r.holder), l.Holder, loyalty.ErrConflict)
	}
	wasOpen := r.open()
	if err := t.packLot(&r, l, r.holder); err != nil {
		return err
	}
	// Stamp the lot when it closes (or was inserted closed) under a retention.
	if t.s.retention > 0 && !r.open() && (wasOpen || r.closed == 0) {
		r.closed = t.s.now.UnixNano()
		if _, err := t.s.lotAge.Append(t.tx, struct{}{}, stamp{at: r.closed, id: int64(l.ID)}); err != nil {
			return err
		}
	}
	if r.open() {
		r.closed = 0
	}
	if _, err := t.s.lots.Set(t.tx, int(l.ID), r); err != nil {
		return err
	}
	cur, _ := t.s.cursor.Get(t.tx, r.holder)
	switch {
	case r.open() && r.pos < cur: // reopened behind the cursor
		return t.s.cursor.Put(t.tx, r.holder, r.pos)
	case !r.open() && r.pos == cur: // the oldest open lot closed: skip the closed prefix
		n := t.s.holderLots.Len(t.tx, r.holder)
		for cur < n {
			id, _ := t.s.holderLots.At(t.tx, r.holder, cur)
			if x := t.s.lots.Ref(t.tx, int(id)); x != nil && x.open() {
				break
			}
			cur++
		}
		return t.s.cursor.Put(t.tx, r.holder, cur)
	}
	return nil
}

func (t *memTx) AppendEntry(e Entry) (Entry, error) {
	if err := t.appendEntry(&e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// appendEntry is AppendEntry assigning e.ID in place, for the ledger.
func (t *memTx) appendEntry(e *Entry) error {
	hid, _, err := t.holderID(e.Holder, true)
	if err != nil {
		return err
	}
	id, r, err := t.s.entries.Add(t.tx)
	if err != nil {
		return err
	}
	pos := id - 1
	if err := t.packEntry(r, e, hid); err != nil { // the stored copy shares nothing with e, which goes back to the caller
		return err
	}
	if _, err := t.s.holderLog.Append(t.tx, hid, pos); err != nil {
		return err
	}
	if t.s.retention > 0 {
		if _, err := t.s.entryAge.Append(t.tx, struct{}{}, stamp{at: t.s.now.UnixNano(), id: int64(pos)}); err != nil {
			return err
		}
	}
	e.ID = EntryID(id)
	return nil
}

func (t *memTx) PutPurchase(p Purchase) error {
	hid, _, err := t.holderID(p.Holder, true)
	if err != nil {
		return err
	}
	old := t.s.purchases.ref(t.tx, hid, string(p.Order), true)
	r, err := t.packPurchase(&p, old)
	if err != nil {
		return err
	}
	_, err = t.s.purchases.put(t.tx, hid, string(p.Order), r, t.s.now, false)
	return err
}

func (t *memTx) PutRecord(rec Record) error {
	if t.s.records.ref(t.tx, 0, string(rec.Key), true) != nil {
		return recordExists(rec.Key)
	}
	var r recordRow
	if r.fp, r.hexFP = decodeFingerprint(rec.Fingerprint); !r.hexFP {
		var err error
		if r.fpStr, err = t.str(rec.Fingerprint); err != nil {
			return err
		}
	}
	return t.putRecord(rec.Key, r, rec.At, rec.Entries)
}

// putRecordSum is PutRecord of a record whose fingerprint is the hex of sum, for the
// ledger, which computes the 32 bytes.
func (t *memTx) putRecordSum(key loyalty.IdempotencyKey, sum *[32]byte, at time.Time, entries []EntryID) error {
	if t.s.records.ref(t.tx, 0, string(key), true) != nil {
		return recordExists(key)
	}
	return t.putRecord(key, recordRow{fp: *sum, hexFP: true}, at, entries)
}

func recordExists(key loyalty.IdempotencyKey) error {
	return fmt.Errorf("points: idempotency key %q exists: %w", key, loyalty.ErrConflict)
}

// putRecord stores the record of key, which has none, from r with its fingerprint.
func (t *memTx) putRecord(key loyalty.IdempotencyKey, r recordRow, at time.Time, entries []EntryID) error {
	if err := t.packRecord(&r, at, entries); err != nil {
		return err
	}
	_, err := t.s.records.put(t.tx, 0, string(key), r, t.s.now, true)
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
		r := s.entries.Ref(t.tx, int(st.id)+1)
		if r == nil {
			continue
		}
		holder := r.holder
		if err := t.dropEntry(r); err != nil {
			return err
		}
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
		r := s.lots.Ref(t.tx, int(st.id))
		if r == nil || r.open() || r.closed != st.at {
			continue
		}
		hl := r.holder
		if err := t.release(r.order); err != nil {
			return err
		}
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
