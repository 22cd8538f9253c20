package points

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// ReturnPolicy says what a return does when the points the returned lines earned are no
// longer in the order's own lot (they were spent, expired or moved).
//
// ReturnPolicy values are plain data, safe for concurrent use when not modified.
type ReturnPolicy string

// The return policies.
const (
	// WithinBalance (the default) claws the shortfall back from the holder's other active
	// points, as far as the balance goes; what the balance cannot cover is forgiven and
	// recorded on the entry as Forgiven.
	WithinBalance ReturnPolicy = "within-balance"
	// NegativeBalance claws back like WithinBalance and charges what the balance cannot
	// cover to a negative balance (Debt), which the holder's next active points repay.
	NegativeBalance ReturnPolicy = "negative-balance"
	// PendingOnly reverses only points that are still pending; points already active stay
	// with the holder (recorded as Forgiven).
	PendingOnly ReturnPolicy = "pending-only"
)

// Config configures a [Ledger]. Zero fields mean documented defaults.
//
// Config values are plain data, safe for concurrent use when not modified.
type Config struct {
	Rules      Rules        `json:"rules"`
	Redemption Redemption   `json:"redemption"`
	Returns    ReturnPolicy `json:"returns,omitempty"` // defaults to WithinBalance
	// Location is the program's time zone: pending delays, expiry dates and cap periods are
	// computed in it. Defaults to UTC.
	Location *time.Location `json:"-"`
	// Clock tells the time. Defaults to the system clock.
	Clock loyalty.Clock `json:"-"`
}

// Validate checks c and reports every problem with its field path.
func (c Config) Validate() error {
	var errs []error
	if err := c.Rules.Validate(); err != nil {
		errs = append(errs, loyalty.InField("rules", err))
	}
	if err := c.Redemption.Validate(); err != nil {
		errs = append(errs, loyalty.InField("redemption", err))
	}
	switch c.Returns {
	case "", WithinBalance, NegativeBalance, PendingOnly:
	default:
		errs = append(errs, loyalty.Invalid("returns", string(c.Returns), "must be within-balance, negative-balance or pending-only"))
	}
	return errors.Join(errs...)
}

// Ledger is the points ledger: it applies earnings, spending, returns, transfers,
// adjustments, activation and expiry to a [Store] as immutable entries and keeps every
// holder's balance consistent with its lots. Every mutation takes an idempotency key:
// repeating it with the same request returns the first result (with Replayed set) and
// changes nothing; with a different request it fails with an error wrapping
// [loyalty.ErrConflict]. A failed operation leaves the store exactly as it was.
//
// A Ledger is safe for concurrent use; its consistency under concurrent calls is the
// store's transaction isolation.
type Ledger struct {
	store   Store
	cfg     Config
	planner *Planner // cfg.Rules, checked once by New
	loc     *time.Location
	clock   loyalty.Clock

	readers pool[balanceReader]
	books   pool[book]
}

// pool is a sync.Pool of *T with one spare value in front of it: a ledger used by one
// goroutine at a time takes and returns the spare with one atomic operation each, without
// the pool's pinning to a processor; concurrent callers share the pool behind it.
type pool[T any] struct {
	spare atomic.Pointer[T]
	more  sync.Pool
}

// get returns a value put earlier, or nil.
func (p *pool[T]) get() *T {
	if v := p.spare.Swap(nil); v != nil {
		return v
	}
	v, _ := p.more.Get().(*T)
	return v
}

func (p *pool[T]) put(v *T) {
	if !p.spare.CompareAndSwap(nil, v) {
		p.more.Put(v)
	}
}

// New returns a Ledger over store with cfg, which must be valid.
func New(store Store, cfg Config) (*Ledger, error) {
	if store == nil {
		return nil, loyalty.Invalid("store", nil, "is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("points: config: %w", err)
	}
	planner, err := NewPlanner(cfg.Rules)
	if err != nil {
		return nil, fmt.Errorf("points: config: %w", err)
	}
	l := &Ledger{store: store, cfg: cfg, planner: planner, loc: cfg.Location, clock: cfg.Clock}
	if l.loc == nil {
		l.loc = time.UTC
	}
	if l.clock == nil {
		l.clock = loyalty.SystemClock()
	}
	if l.cfg.Returns == "" {
		l.cfg.Returns = WithinBalance
	}
	return l, nil
}

// Config returns the ledger's configuration, with defaults filled in.
func (l *Ledger) Config() Config { return l.cfg }

// Posting is the result of one keyed operation: the entries it appended.
//
// Posting values are plain data, safe for concurrent use when not modified.
type Posting struct {
	Key     loyalty.IdempotencyKey `json:"key"`
	At      time.Time              `json:"at"`
	Entries []Entry                `json:"entries,omitempty"`
	// Replayed is set when the result is the stored result of an earlier call with the same
	// key; nothing was changed.
	Replayed bool `json:"-"`
}

// Points returns the points moved by the posting's entries of kind.
func (p Posting) Points(kind EntryKind) Points {
	var n Points
	for _, e := range p.Entries {
		if e.Kind == kind {
			n += e.Points
		}
	}
	return n
}

// Entry returns the posting's first entry of kind, if any.
func (p Posting) Entry(kind EntryKind) (Entry, bool) {
	for _, e := range p.Entries {
		if e.Kind == kind {
			return e, true
		}
	}
	return Entry{}, false
}

// fingerprint identifies a request: the SHA-256 of the operation's name and a canonical
// encoding of the request. Stores keep it in hex ([Record.Fingerprint]); the memory store
// is handed the 32 bytes themselves. The requests of the hot paths (earn, spend) have a
// hand-written encoding (sumEarn, sumSpend); the others are encoded as JSON.
func fingerprint(op string, req any) ([sha256.Size]byte, error) {
	j, err := json.Marshal(req)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("points: fingerprint: %w", err)
	}
	return sha256.Sum256(append(appendString(nil, op), j...)), nil
}

func sumEarn(r *EarnRequest) [sha256.Size]byte {
	var buf [256]byte
	return sha256.Sum256(r.appendFingerprint(appendString(buf[:0], "earn")))
}

func sumSpend(r *SpendRequest) [sha256.Size]byte {
	var buf [256]byte
	return sha256.Sum256(r.appendFingerprint(appendString(buf[:0], "spend")))
}

// isFingerprint reports whether s is the hex of sum, without allocating.
func isFingerprint(s string, sum *[sha256.Size]byte) bool {
	var h [2 * sha256.Size]byte
	hex.Encode(h[:], sum[:])
	return s == string(h[:])
}

// appendString appends s with its length, so that no two sequences of fields encode alike.
func appendString(b []byte, s string) []byte {
	b = appendDecimal(b, int64(len(s)))
	b = append(b, ':')
	return append(b, s...)
}

func appendInt(b []byte, v int64) []byte {
	b = appendDecimal(b, v)
	return append(b, ';')
}

// appendDecimal is strconv.AppendInt(b, v, 10), with the non-negative numbers of
// fingerprints (lengths, line counts, rate indexes, quantities in millionths, points)
// written directly, two digits at a time.
func appendDecimal(b []byte, v int64) []byte {
	switch {
	case 0 <= v && v < 10:
		return append(b, byte('0'+v))
	case v < 0:
		return strconv.AppendInt(b, v, 10)
	}
	var buf [20]byte
	i := len(buf)
	for v >= 100 {
		d := v % 100 * 2
		v /= 100
		i -= 2
		buf[i], buf[i+1] = digitPairs[d], digitPairs[d+1]
	}
	if v >= 10 {
		i -= 2
		buf[i], buf[i+1] = digitPairs[v*2], digitPairs[v*2+1]
	} else {
		i--
		buf[i] = byte('0' + v)
	}
	return append(b, buf[i:]...)
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" + "60616263646566676869" +
	"70717273747576777879" + "80818283848586878889" + "90919293949596979899"

func (h Holder) appendFingerprint(b []byte) []byte {
	return appendString(appendString(b, string(h.Kind)), h.ID)
}

func (r *EarnRequest) appendFingerprint(b []byte) []byte {
	b = appendString(b, string(r.Key))
	b = r.Holder.appendFingerprint(b)
	b = appendString(b, string(r.Issuer))
	b = appendString(b, string(r.Plan.Order))
	b = appendString(b, r.Plan.Event)
	b = appendInt(b, int64(r.Plan.Total))
	b = appendInt(b, int64(len(r.Plan.Lines)))
	for _, l := range r.Plan.Lines {
		b = appendInt(b, l.Quantity.Micros())
		b = appendInt(b, int64(l.Points))
		b = appendInt(b, int64(l.Rate))
		if l.Excluded {
			b = append(b, 'x')
		}
	}
	return b
}

func (r *SpendRequest) appendFingerprint(b []byte) []byte {
	b = appendString(b, string(r.Key))
	b = r.Holder.appendFingerprint(b)
	b = appendInt(b, int64(r.Points))
	b = appendString(b, string(r.Acceptor))
	return appendString(b, r.Reward)
}

func checkKey(key loyalty.IdempotencyKey) error {
	if key == "" {
		return loyalty.Invalid("key", nil, "is required")
	}
	return nil
}

// keyed runs fn once per key inside one transaction, storing its result.
func (l *Ledger) keyed(ctx context.Context, key loyalty.IdempotencyKey, op string, req any, fn func(b *book) error) (Posting, error) {
	if err := checkKey(key); err != nil {
		return Posting{}, err
	}
	fp, err := fingerprint(op, req)
	if err != nil {
		return Posting{}, err
	}
	b := l.book()
	b.fn, b.fp = fn, fp
	return l.runKeyed(ctx, b, key)
}

// book returns a pooled book for a keyed operation.
func (l *Ledger) book() *book {
	b := l.books.get()
	if b == nil {
		b = &book{l: l}
		b.run = b.runKeyed
	}
	return b
}

// runKeyed runs b's operation, whose fingerprint b.fp is, under key in one transaction and
// puts b back in the pool.
func (l *Ledger) runKeyed(ctx context.Context, b *book, key loyalty.IdempotencyKey) (Posting, error) {
	b.key, b.now = key, l.clock.Now()
	err := l.store.Update(ctx, b.run)
	out := b.out
	b.release()
	l.books.put(b)
	if err != nil {
		return Posting{}, err
	}
	return out, nil
}

// runKeyed is the transaction of a keyed operation: it replays the stored result of b.key,
// or runs b.fn (or the hot paths' b.op) and stores its result. It may run more than once.
func (b *book) runKeyed(tx Tx) error {
	b.tx, b.accounts, b.entries, b.out = asPtrTx(tx), b.accounts[:0], nil, Posting{}
	rec, err := tx.Record(b.key)
	switch {
	case err == nil:
		if !isFingerprint(rec.Fingerprint, &b.fp) {
			return fmt.Errorf("points: key %q was used for a different request: %w", b.key, loyalty.ErrConflict)
		}
		b.out = Posting{Key: b.key, At: rec.At, Replayed: true}
		for _, id := range rec.Entries {
			e, err := tx.Entry(id)
			if err != nil {
				return err
			}
			b.out.Entries = append(b.out.Entries, e)
		}
		return nil
	case !notFound(err):
		return err
	}
	switch {
	case b.fn != nil:
		err = b.fn(b)
	case b.op == opEarn:
		err = b.earnOp()
	case b.op == opSpend:
		err = b.spendOp()
	}
	if err != nil {
		return err
	}
	if err := b.flush(); err != nil {
		return err
	}
	b.out = Posting{Key: b.key, At: b.now, Entries: b.entries}
	ids := b.ids[:0]
	for i := range b.entries {
		ids = append(ids, b.entries[i].ID)
	}
	b.ids = ids // reused: the store copies records in
	return b.tx.putRecordSum(b.key, &b.fp, b.now, ids)
}

// release clears what the operation left in b, so that nothing of it stays in the pool: the
// fields an operation sets, without rewriting the whole book.
func (b *book) release() {
	b.accts = [2]Account{} // an earlier run of the function may have loaded more accounts
	switch b.op {
	case opEarn:
		b.earn = EarnRequest{}
	case opSpend:
		b.spend = SpendRequest{}
	}
	b.tx, b.now, b.key, b.accounts, b.entries = ptrTx{}, time.Time{}, "", nil, nil
	b.fn, b.op, b.out = nil, 0, Posting{}
}

// The hot paths' operations, which run without a closure.
const (
	opEarn = iota + 1
	opSpend
)

// book is the working state of one operation inside a transaction. The books of keyed
// operations are pooled (Ledger.book): their fields hold the operation's request, and the
// accounts loaded live in the book itself.
type book struct {
	l        *Ledger
	tx       ptrTx
	now      time.Time
	key      loyalty.IdempotencyKey
	accounts []*Account // the accounts loaded, in load order (one or two)
	entries  []Entry

	// A keyed operation: its fingerprint, its function (or op and request for the hot
	// paths), its result, and reused storage.
	fp     [sha256.Size]byte
	fn     func(b *book) error
	op     int
	earn   EarnRequest
	spend  SpendRequest
	out    Posting
	run    func(tx Tx) error // b.runKeyed, bound once
	ids    []EntryID
	plines []PurchaseLine // the lines of a new purchase
	lines  []LinePlan     // the lines of EarnOrder's plan
	lots   []Lot          // the open lots consume reads from the memory store, cleared after use
	accts  [2]Account
	ptrs   [2]*Account
}

func unknownHolder(h Holder) error {
	return fmt.Errorf("points: holder %s: %w", h, loyalty.ErrNotFound)
}

// account loads h's account (creating it when create is set) and applies due work.
func (b *book) account(h Holder, create bool) (*Account, error) {
	a, loaded, err := b.load(h, create)
	if err != nil || !loaded {
		return a, err
	}
	if err := b.settle(a); err != nil {
		return nil, err
	}
	return a, nil
}

// accountPair loads the accounts of a transfer, as account(from, false) and then
// account(to, true) would (the same results and errors, due work applied to from first;
// only a store's failure to read to may now come before from's errors), but reads them
// from the store in the order of their holders (by kind, then ID, byte by byte), whichever
// way the points go: a store that locks the balance rows it reads (the SQL stores) then
// locks any two holders' rows in one order, so that transfers in opposite directions
// neither deadlock nor need a second attempt.
func (b *book) accountPair(from, to Holder) (*Account, *Account, error) {
	toFirst := to.Compare(from) < 0
	var t *Account
	if toFirst {
		var err error
		if t, _, err = b.load(to, true); err != nil {
			return nil, nil, err
		}
	}
	f, err := b.account(from, false)
	if err != nil {
		return nil, nil, err
	}
	if !toFirst {
		if t, err = b.account(to, true); err != nil {
			return nil, nil, err
		}
	} else if err := b.settle(t); err != nil {
		return nil, nil, err
	}
	return f, t, nil
}

// load loads h's account into the book (creating it when create is set) without applying
// due work; loaded is false when the book had it already.
func (b *book) load(h Holder, create bool) (a *Account, loaded bool, err error) {
	for _, acc := range b.accounts {
		if acc.Holder == h {
			return acc, false, nil
		}
	}
	if err := h.Validate(); err != nil {
		return nil, false, loyalty.InField("holder", err)
	}
	if b.accounts == nil {
		b.accounts = b.ptrs[:0]
	}
	if n := len(b.accounts); n < len(b.accts) {
		a = &b.accts[n] // the first accounts live in the book
	} else {
		a = new(Account)
	}
	err = b.tx.accountInto(h, a)
	switch {
	case err != nil && create && notFound(err):
		*a = Account{Holder: h}
	case err != nil && notFound(err):
		return nil, false, unknownHolder(h)
	case err != nil:
		return nil, false, err
	}
	b.accounts = append(b.accounts, a)
	return a, true, nil
}

func (b *book) flush() error {
	for _, a := range b.accounts {
		if err := b.tx.putAccount(a); err != nil {
			return err
		}
	}
	return nil
}

// notFound reports whether err wraps loyalty.ErrNotFound, answering the memory store's
// misses (a new key, a new order, a new holder: every posting has some) without unwrapping.
func notFound(err error) bool {
	switch err {
	case errNoRecord, errNoPurchase, errNoAccount:
		return true
	}
	return errors.Is(err, loyalty.ErrNotFound)
}

func (b *book) appendEntry(a *Account, e Entry) error {
	e.Holder = a.Holder
	e.Key = b.key
	if e.At.IsZero() {
		e.At = b.now
	}
	return b.addEntry(a, &e)
}

// addEntry stores e, complete, and adds it to the posting.
func (b *book) addEntry(a *Account, e *Entry) error {
	b.entries = append(b.entries, *e)
	return b.storeEntry(a)
}

// storeEntry stores the posting's last entry, complete, assigning its ID in place, and
// counts it for a; on an error the entry is dropped from the posting.
func (b *book) storeEntry(a *Account) error {
	if err := b.tx.appendEntry(&b.entries[len(b.entries)-1]); err != nil {
		b.entries = b.entries[:len(b.entries)-1]
		return err
	}
	a.Entries++
	return nil
}

// noteDue moves a's next due time to l's activation, while l is pending, or its expiry,
// if either is sooner (an expiry at the instant a lot no longer pending activated is not
// noted).
func noteDue(a *Account, l *Lot) {
	if l.Pending {
		noteDueAt(a, l.ActiveAt)
	}
	if l.Pending || !l.Expires.Equal(l.ActiveAt) {
		noteDueAt(a, l.Expires)
	}
}

func noteDueAt(a *Account, t time.Time) {
	if !t.IsZero() && (a.NextDue.IsZero() || t.Before(a.NextDue)) {
		a.NextDue = t
	}
}

// credit stores a new lot for a and counts it; lot gets its ID and holder.
func (b *book) credit(a *Account, lot *Lot) error {
	lot.Holder = a.Holder
	lot.Remaining = lot.Amount
	err := b.tx.insertLot(lot) // assigns lot.ID
	if err != nil {
		return err
	}
	if a.Earned, err = addPoints(a.Earned, lot.Amount); err != nil {
		return err
	}
	if lot.Pending {
		a.Pending += lot.Amount
	} else {
		a.Active += lot.Amount
	}
	noteDue(a, lot)
	return nil
}

// take removes n remaining points from lot into the bucket of kind, keeping a's counters.
func take(a *Account, lot *Lot, n Points, kind EntryKind) {
	lot.Remaining -= n
	if lot.Pending {
		a.Pending -= n
	} else {
		a.Active -= n
	}
	switch kind {
	case KindSpend:
		lot.Spent += n
		a.Spent += n
	case KindExpire:
		lot.Expired += n
		a.Expired += n
	case KindReverse, KindRepay:
		lot.Reversed += n
		a.Reversed += n
	case KindTransferOut:
		lot.Transferred += n
		a.Transferred += n
	case KindDebit:
		lot.Debited += n
		a.Debited += n
	}
}

// consume takes need active points from a's lots in spend order. It fails with an
// *InsufficientPointsError when the available balance is short.
func (b *book) consume(a *Account, need Points, kind EntryKind) ([]LotPart, error) {
	return b.consumeInto(nil, a, need, kind)
}

// consumeInto is consume appending the parts to parts.
func (b *book) consumeInto(parts []LotPart, a *Account, need Points, kind EntryKind) ([]LotPart, error) {
	if have := a.Active - a.Debt; need > have && kind != KindRepay {
		return nil, &InsufficientPointsError{Holder: a.Holder, Have: max(have, 0), Need: need, Pending: a.Pending}
	}
	// The memory store reads the lots into the book's memory, cleared after use.
	lots, err := b.tx.openLots(a.Holder, b.lots)
	if cap(lots) <= maxBookLots {
		b.lots = lots[:0]
	}
	defer clear(lots)
	if err != nil {
		return nil, err
	}
	for i := range lots {
		if need == 0 {
			break
		}
		lot := &lots[i]
		if lot.Pending {
			continue
		}
		n := min(need, lot.Remaining)
		take(a, lot, n, kind)
		if err := b.tx.updateLot(lot); err != nil {
			return nil, err
		}
		parts = append(parts, LotPart{Lot: lot.ID, Issuer: lot.Issuer, Points: n})
		need -= n
	}
	if need != 0 {
		return nil, fmt.Errorf("points: %s: account shows more active points than its lots hold (%d short)", a.Holder, need)
	}
	return parts, nil
}

// dueEvent is an activation or an expiry that falls due.
type dueEvent struct {
	at     time.Time
	expire bool
	lot    int
}

// settle applies every activation and expiry due at b.now to a, in time order, one entry
// per kind and instant, then repays any debt from active points.
func (b *book) settle(a *Account) error {
	if !a.NextDue.IsZero() && !b.now.Before(a.NextDue) {
		lots, err := b.tx.OpenLots(a.Holder)
		if err != nil {
			return err
		}
		var evs []dueEvent
		next := time.Time{}
		later := func(t time.Time) {
			if next.IsZero() || t.Before(next) {
				next = t
			}
		}
		for i, lot := range lots {
			if lot.Pending && !lot.ActiveAt.IsZero() {
				if b.now.Before(lot.ActiveAt) {
					later(lot.ActiveAt)
				} else {
					evs = append(evs, dueEvent{at: lot.ActiveAt, lot: i})
				}
			}
			if !lot.Expires.IsZero() {
				if b.now.Before(lot.Expires) {
					later(lot.Expires)
				} else {
					evs = append(evs, dueEvent{at: lot.Expires, expire: true, lot: i})
				}
			}
		}
		slices.SortStableFunc(evs, func(x, y dueEvent) int {
			if c := x.at.Compare(y.at); c != 0 {
				return c
			}
			switch { // activations before expiries at the same instant
			case !x.expire && y.expire:
				return -1
			case x.expire && !y.expire:
				return 1
			}
			return 0
		})
		for i := 0; i < len(evs); {
			j := i
			e := Entry{Kind: KindActivate, At: evs[i].at}
			if evs[i].expire {
				e.Kind = KindExpire
			}
			for ; j < len(evs) && evs[j].at.Equal(evs[i].at) && evs[j].expire == evs[i].expire; j++ {
				lot := &lots[evs[j].lot]
				if lot.Remaining == 0 {
					continue
				}
				n := lot.Remaining
				if e.Kind == KindActivate {
					if !lot.Pending {
						continue
					}
					lot.Pending = false
					a.Pending -= n
					a.Active += n
				} else {
					take(a, lot, n, KindExpire)
				}
				if err := b.tx.updateLot(lot); err != nil {
					return err
				}
				e.Lots = append(e.Lots, LotPart{Lot: lot.ID, Issuer: lot.Issuer, Points: n})
				e.Points += n
			}
			if e.Points > 0 {
				e.Key = ""
				if err := b.appendSystem(a, e); err != nil {
					return err
				}
			}
			if e.Kind == KindActivate {
				if err := b.repay(a); err != nil {
					return err
				}
			}
			i = j
		}
		a.NextDue = next
	}
	return b.repay(a)
}

// appendSystem appends an entry that time caused (activation, expiry), without a key.
func (b *book) appendSystem(a *Account, e Entry) error {
	e.Holder = a.Holder
	return b.addEntry(a, &e)
}

// repay pays a's negative balance from its active points.
func (b *book) repay(a *Account) error {
	n := min(a.Debt, a.Active)
	if n <= 0 {
		return nil
	}
	parts, err := b.consume(a, n, KindRepay)
	if err != nil {
		return err
	}
	a.Debt -= n
	return b.appendEntry(a, Entry{Kind: KindRepay, Points: n, Lots: parts})
}

// EarnRequest asks the ledger to credit a plan's points to a holder.
//
// EarnRequest values are plain data, safe for concurrent use when not modified.
type EarnRequest struct {
	Key    loyalty.IdempotencyKey `json:"key"`
	Holder Holder                 `json:"holder"`
	Plan   Plan                   `json:"plan"`
	Issuer loyalty.PartnerID      `json:"issuer,omitempty"` // the coalition partner issuing the points
}

// Earn credits req.Plan to req.Holder as one new lot, opening the holder's account if it
// has none. The rules' cap lowers the plan if the holder already earned up to it in the
// current period (the withheld points are on the entry as Capped); an order's lot is pending
// for Rules.PendingDays (an event's is active at once) and expires by Rules.Expiry, both from
// now in the program's time zone.
// An order earns at most once per holder: earning it again under another key fails with an
// error wrapping [loyalty.ErrConflict].
func (l *Ledger) Earn(ctx context.Context, req EarnRequest) (Posting, error) {
	return l.earn(ctx, l.book(), req)
}

// earn is Earn with a book from the pool, which it puts back.
func (l *Ledger) earn(ctx context.Context, b *book, req EarnRequest) (Posting, error) {
	err := req.Plan.Validate()
	if err != nil {
		err = fmt.Errorf("points: plan: %w", err)
	} else {
		err = checkKey(req.Key)
	}
	if err != nil {
		l.books.put(b)
		return Posting{}, err
	}
	b.op, b.earn, b.fp = opEarn, req, sumEarn(&req)
	return l.runKeyed(ctx, b, req.Key)
}

func (b *book) earnOp() error {
	a, err := b.account(b.earn.Holder, true)
	if err != nil {
		return err
	}
	return b.earnTo(a, &b.earn)
}

func (b *book) earnTo(a *Account, req *EarnRequest) error {
	rules := &b.l.cfg.Rules
	plan := req.Plan
	var pur Purchase
	if plan.Order != "" {
		if err := b.purchase(&pur, a.Holder, plan.Order, plan.Lines); err != nil {
			return err
		}
		if pur.EarnKey != "" {
			return fmt.Errorf("points: order %s already earned points for %s: %w", plan.Order, a.Holder, loyalty.ErrConflict)
		}
	}
	planned := plan.Total
	if !rules.Cap.IsZero() {
		period := rules.Cap.Period
		if period == "" {
			period = loyalty.Month
		}
		start := period.Start(b.now.In(b.l.loc))
		if !a.CapPeriod.Equal(start) {
			a.CapPeriod, a.CapEarned = start, 0
		}
		var err error
		if plan, err = plan.capped(rules.Cap.Points - a.CapEarned); err != nil {
			return err
		}
		a.CapEarned += plan.Total
	}
	var lot Lot
	if plan.Total > 0 {
		lot = Lot{Kind: KindEarn, Order: plan.Order, Issuer: req.Issuer, EarnedAt: b.now, Amount: plan.Total,
			Expires: rules.Expiry.Until(b.now, b.l.loc)}
		if rules.PendingDays > 0 && plan.Order != "" { // events have no return window
			lot.Pending = true
			lot.ActiveAt = b.now.In(b.l.loc).AddDate(0, 0, rules.PendingDays)
		}
		if err := b.credit(a, &lot); err != nil {
			return err
		}
		pur.EarnLot = lot.ID
	}
	// The entry is written where the posting keeps it.
	out := new(earnResult)
	if len(b.entries) == 0 {
		b.entries = out.entries[:0:1]
	}
	b.entries = append(b.entries, Entry{Holder: a.Holder, Kind: KindEarn, Points: plan.Total, At: b.now, Key: b.key,
		Order: plan.Order, Event: plan.Event, Pending: lot.Pending, Issuer: req.Issuer, Capped: planned - plan.Total})
	e := &b.entries[len(b.entries)-1]
	if n := len(plan.Lines); n > 0 {
		if n <= len(out.lines) {
			e.Lines = out.lines[:n:n]
		} else {
			e.Lines = make([]Points, n)
		}
		for i, lp := range plan.Lines {
			e.Lines[i] = lp.Points
		}
	}
	if plan.Total > 0 {
		e.Lots = out.lots[:1:1]
		e.Lots[0] = LotPart{Lot: lot.ID, Issuer: req.Issuer, Points: plan.Total}
	}
	if err := b.storeEntry(a); err != nil {
		return err
	}
	if plan.Order != "" {
		pur.EarnKey = b.key
		pur.Issuer = req.Issuer
		for i, lp := range plan.Lines {
			pur.Lines[i].Earned = lp.Points
		}
		if err := b.tx.PutPurchase(pur); err != nil {
			return err
		}
	}
	return b.repay(a)
}

// earnResult is the posting of an earning, its entry's lot part and lines in one
// allocation: the entry is the posting's only one unless a debt is repaid. The slices
// handed out are full (capacity = length), so that a caller's append copies.
type earnResult struct {
	entries [1]Entry
	lots    [1]LotPart
	lines   [4]Points
}

// purchase loads or starts, in p, the record of order for h, checking that its lines agree
// with what is known.
func (b *book) purchase(p *Purchase, h Holder, order loyalty.OrderID, lines []LinePlan) error {
	var err error
	*p, err = b.tx.Purchase(h, order)
	switch {
	case err != nil && notFound(err):
		// The lines are the book's: the store copies a purchase in.
		b.plines = slices.Grow(b.plines[:0], len(lines))[:len(lines)]
		*p = Purchase{Holder: h, Order: order, Lines: b.plines}
		for i, l := range lines {
			p.Lines[i] = PurchaseLine{Quantity: l.Quantity}
		}
		return nil
	case err != nil:
		return err
	}
	if len(p.Lines) != len(lines) {
		return fmt.Errorf("points: order %s has %d lines, recorded with %d: %w", order, len(lines), len(p.Lines), loyalty.ErrConflict)
	}
	for i, l := range lines {
		if !p.Lines[i].Quantity.Equal(l.Quantity) {
			return fmt.Errorf("points: order %s line %d has quantity %s, recorded as %s: %w", order, i, l.Quantity, p.Lines[i].Quantity, loyalty.ErrConflict)
		}
	}
	return nil
}

// EarnOrder plans what order earns under the ledger's rules with multiplier (a tier's 1.5;
// zero means 1) and credits it to holder, as [Ledger.Earn]. To credit one order to both the
// company and the buyer, call it once for each holder, with two keys.
func (l *Ledger) EarnOrder(ctx context.Context, key loyalty.IdempotencyKey, holder Holder, order loyalty.Order, multiplier decimal.Decimal) (Posting, error) {
	// The plan is exactly what cfg.Rules.Plan returns, without checking the rules again; its
	// lines are in the book's memory, which nothing keeps after the operation.
	b := l.book()
	plan, err := l.planner.PlanTotalsInto(b.lines, order, nil, multiplier)
	if cap(plan.Lines) <= maxBookLines {
		b.lines = plan.Lines[:0]
	}
	if err != nil {
		l.books.put(b)
		return Posting{}, err
	}
	return l.earn(ctx, b, EarnRequest{Key: key, Holder: holder, Plan: plan})
}

// maxBookLines and maxBookLots are the most plan lines and open lots a pooled book keeps
// memory for.
const (
	maxBookLines = 64
	maxBookLots  = 64
)

// EarnEvent credits count occurrences of an earning event (a completed course) to holder.
func (l *Ledger) EarnEvent(ctx context.Context, key loyalty.IdempotencyKey, holder Holder, event string, count int64) (Posting, error) {
	plan, err := l.cfg.Rules.PlanEvent(event, count)
	if err != nil {
		return Posting{}, err
	}
	return l.Earn(ctx, EarnRequest{Key: key, Holder: holder, Plan: plan})
}

// Activate makes the points order earned for holder active now, before the pending delay
// ends (an explicit action such as a delivery confirmation). Activating points that are
// already active changes nothing and returns a posting without entries.
func (l *Ledger) Activate(ctx context.Context, key loyalty.IdempotencyKey, holder Holder, order loyalty.OrderID) (Posting, error) {
	req := struct {
		Holder Holder
		Order  loyalty.OrderID
	}{holder, order}
	return l.keyed(ctx, key, "activate", req, func(b *book) error {
		a, err := b.account(holder, false)
		if err != nil {
			return err
		}
		p, err := b.tx.Purchase(holder, order)
		if err != nil {
			return fmt.Errorf("points: order %s of %s: %w", order, holder, err)
		}
		if p.EarnLot == 0 {
			return nil
		}
		lot, err := b.tx.Lot(p.EarnLot)
		if err != nil {
			return err
		}
		if !lot.Pending {
			return nil
		}
		n := lot.Remaining
		lot.Pending = false
		a.Pending -= n
		a.Active += n
		if err := b.tx.updateLot(&lot); err != nil {
			return err
		}
		if n > 0 {
			if err := b.appendEntry(a, Entry{Kind: KindActivate, Points: n, Order: order, Lots: []LotPart{{Lot: lot.ID, Issuer: lot.Issuer, Points: n}}}); err != nil {
				return err
			}
		}
		return b.repay(a)
	})
}
