package points

import (
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// The rows the memory store keeps for ever (without a retention) have no pointers: strings
// are in the store's arena (memtx.Str), holders, partners and entry kinds are small
// integers (interned), times are seconds, nanoseconds and the index of their location. A
// chunk of such rows is one object the garbage collector neither scans nor marks row by
// row. What most rows leave zero (the fields of adjustments, transfers and returns, longer
// lists) is in side tables, referred to by ID.

// errStoreFull reports a memory store that has used up the IDs of a side table or an
// interned value (more than 2^31 of them).
var errStoreFull = fmt.Errorf("points: memory store full")

// ptime is a time.Time without pointers: seconds and nanoseconds since the Unix epoch and
// the index of its location in the store (0: UTC). The zero time.Time is a ptime like any
// other (its seconds are those of year 1).
type ptime struct {
	sec  int64
	nsec int32
	loc  int32
}

func (p ptime) compare(sec int64, nsec int32) int {
	switch {
	case p.sec < sec || p.sec == sec && p.nsec < nsec:
		return -1
	case p.sec == sec && p.nsec == nsec:
		return 0
	}
	return 1
}

// interner numbers the values of T from 1 (the zero T is 0), for rows to hold the number.
// Values are kept for ever: it is for what there are few of (holders, partners).
type interner[T comparable] struct {
	ids  memtx.Table[T, int32]
	vals memtx.Rows[T]
}

// lookup returns the number of v, if v was interned.
func (n *interner[T]) lookup(tx *memtx.Tx, v T) (int32, bool) {
	var zero T
	if v == zero {
		return 0, true
	}
	return n.ids.Get(tx, v)
}

func (n *interner[T]) intern(tx *memtx.Tx, v T) (int32, error) {
	if id, ok := n.lookup(tx, v); ok {
		return id, nil
	}
	if n.vals.Len(tx) >= math.MaxInt32 {
		return 0, errStoreFull
	}
	id, err := n.vals.Append(tx, v)
	if err != nil {
		return 0, err
	}
	return int32(id), n.ids.Put(tx, v, int32(id))
}

func (n *interner[T]) value(tx *memtx.Tx, id int32) T {
	v, _ := n.vals.Get(tx, int(id))
	return v
}

// holderInterner is the interner of holders, with the account holders (nearly all) by their
// ID alone: a lookup hashes one string, not a Holder.
type holderInterner struct {
	accounts memtx.Table[string, int32] // the numbers of account holders, by ID
	others   memtx.Table[Holder, int32] // the numbers of the holders of other kinds
	vals     memtx.Rows[Holder]
}

// lookup returns the number of h, if h was interned.
func (n *holderInterner) lookup(tx *memtx.Tx, h Holder) (int32, bool) {
	switch {
	case h.Kind == AccountHolder:
		return n.accounts.Get(tx, h.ID)
	case h == Holder{}:
		return 0, true
	}
	return n.others.Get(tx, h)
}

func (n *holderInterner) intern(tx *memtx.Tx, h Holder) (int32, error) {
	if id, ok := n.lookup(tx, h); ok {
		return id, nil
	}
	if n.vals.Len(tx) >= math.MaxInt32 {
		return 0, errStoreFull
	}
	id, err := n.vals.Append(tx, h)
	if err != nil {
		return 0, err
	}
	if h.Kind == AccountHolder {
		return int32(id), n.accounts.Put(tx, h.ID, int32(id))
	}
	return int32(id), n.others.Put(tx, h, int32(id))
}

func (n *holderInterner) value(tx *memtx.Tx, id int32) Holder {
	h, _ := n.vals.Get(tx, int(id))
	return h
}

// kindNames are the entry kinds of the package, by code; other kinds are interned with codes
// after them.
var kindNames = [...]EntryKind{"", KindEarn, KindActivate, KindSpend, KindExpire, KindReverse,
	KindRestore, KindRepay, KindCredit, KindDebit, KindTransferOut, KindTransferIn}

func knownKind(k EntryKind) (int32, bool) {
	switch k {
	case "":
		return 0, true
	case KindEarn:
		return 1, true
	case KindActivate:
		return 2, true
	case KindSpend:
		return 3, true
	case KindExpire:
		return 4, true
	case KindReverse:
		return 5, true
	case KindRestore:
		return 6, true
	case KindRepay:
		return 7, true
	case KindCredit:
		return 8, true
	case KindDebit:
		return 9, true
	case KindTransferOut:
		return 10, true
	case KindTransferIn:
		return 11, true
	}
	return 0, false
}

// accountRow is a balance row as the memory store keeps it, without its holder: the row's
// ID is the holder's number. Every holder has a row; ok says it holds an account.
type accountRow struct {
	ok                                                bool
	earned, active, pending, spent, expired, reversed Points
	transferred, debited, debt, capEarned             Points
	entries                                           int
	nextDue, capPeriod                                ptime
}

// lotRow is a lot as the memory store keeps it; its ID is its row's.
type lotRow struct {
	holder  int32
	kind    int32
	issuer  int32
	pending bool
	order   memtx.Str

	earnedAt, activeAt, expires ptime

	amount, remaining, spent, expired, reversed, transferred, debited Points

	pos    int   // position in the holder's lot log
	closed int64 // with a retention: when the lot last closed (Unix nanoseconds), 0 while open
}

func (r *lotRow) open() bool { return r.remaining > 0 }

// partRow is a LotPart kept inline.
type partRow struct {
	lot    LotID
	points Points
	issuer int32
}

// entryRow is an entry as the memory store keeps it (its ID is its row's): the fields of
// earnings and spendings inline, with up to two lot parts and four lines, and the rest (the
// fields of adjustments, transfers, returns and rewards, longer lists) in a side row, more,
// 0 for a plain earning or spending.
type entryRow struct {
	holder, kind, issuer, acceptor int32
	key, order                     memtx.Str
	pending                        bool
	nlots, nlines                  int8  // the number of lot parts (lines) inline; -1: nil; -2: in more
	more                           int32 // the ID of the side row, 0: none
	points                         Points
	at                             ptime
	value                          loyalty.Money
	lots                           [2]partRow
	lines                          [4]Points
}

// entryMore is the part of a stored entry that most entries leave zero. It is never
// modified once stored.
type entryMore struct {
	event, reward, reason, actor memtx.Str
	counter                      int32
	capped, debt, forgiven       Points
	lots                         []LotPart // when longer than entryRow.lots
	lines                        []Points  // when longer than entryRow.lines
}

// purchaseRow is a purchase as the memory store keeps it, without its holder and order
// (the row's key): up to two lines inline, longer lists in a side row.
type purchaseRow struct {
	earnKey, payKey  memtx.Str
	issuer, acceptor int32
	nlines           int8  // the number of lines inline; -1: Lines is nil; -2: in more
	more             int32 // the ID of the side row, 0: none
	earnLot          LotID
	restored         Points
	lines            [2]PurchaseLine
}

// purchaseMore holds a purchase's longer lists. It is never modified once stored (a new
// one replaces it).
type purchaseMore struct {
	lines    []PurchaseLine
	redeemed []LotPart
}

// recordRow is an idempotency record as the memory store keeps it, without its key (the
// row's): the fingerprint as the 32 bytes it is the hex of, and the IDs of the posting's
// entries, which are consecutive, as the first and a count.
type recordRow struct {
	fp    [32]byte
	fpStr memtx.Str // a fingerprint that is not 64 lower-case hex digits
	hexFP bool      // fp holds the fingerprint
	n     int32
	ids   int32 // the ID of the side row of IDs that are not consecutive, 0: none
	first EntryID
	at    ptime
}

// decodeFingerprint returns the 32 bytes of a fingerprint in lower-case hex.
func decodeFingerprint(s string) (fp [32]byte, ok bool) {
	if len(s) != 2*len(fp) {
		return fp, false
	}
	for i := range fp {
		hi, lo := hexDigit[s[2*i]], hexDigit[s[2*i+1]]
		if hi|lo > 0xf {
			return fp, false
		}
		fp[i] = hi<<4 | lo
	}
	return fp, true
}

// hexDigit is the value of a lower-case hex digit, 0xff for other bytes.
var hexDigit = func() (t [256]byte) {
	for i := range t {
		switch {
		case '0' <= i && i <= '9':
			t[i] = byte(i - '0')
		case 'a' <= i && i <= 'f':
			t[i] = byte(i - 'a' + 10)
		default:
			t[i] = 0xff
		}
	}
	return t
}()

// Packing and unpacking. Only the writer packs (it interns and adds strings); readers and
// the writer unpack.

// time packs x, adding its location to the store's when new.
func (t *memTx) time(x time.Time) ptime {
	p := ptime{sec: x.Unix(), nsec: int32(x.Nanosecond())}
	loc := x.Location()
	switch s := t.s; {
	case loc == time.UTC:
	case s.lastLoc > 0 && s.locs[s.lastLoc-1] == loc: // the times of a ledger are in one or two
		p.loc = s.lastLoc
	default:
		_, offset := x.Zone()
		key := locKey{name: loc.String(), offset: offset}
		i, ok := s.locIDs[key]
		if !ok {
			// Kept even if the transaction fails: harmless.
			if s.locIDs == nil {
				s.locIDs = make(map[locKey]int32)
			}
			s.locs = append(s.locs, loc)
			i = int32(len(s.locs))
			s.locIDs[key] = i
		}
		p.loc, s.lastLoc = i, i
	}
	return p
}

// locKey tells locations apart by name and by the offset from UTC of the time stored. It is
// not the *time.Location itself because time.Parse makes a new location for every time it
// reads with an offset that is not the local one: keyed by pointer, an ERP feed of such
// times would add a location per posting, for ever. Two locations with the same name and
// offset at the stored instant show that instant the same way.
type locKey struct {
	name   string
	offset int
}

// zeroTime is the zero time.Time packed.
var zeroTime = ptime{sec: time.Time{}.Unix()}

func (s *memStore) unpackTime(p ptime) time.Time {
	if p == zeroTime {
		return time.Time{}
	}
	t := time.Unix(p.sec, int64(p.nsec))
	if p.loc == 0 {
		return t.UTC()
	}
	return t.In(s.locs[p.loc-1])
}

// str stores s in the arena. The writer remembers the strings of its transaction, so that
// the rows of one posting (its lot, entry, purchase and record) share the key and the order.
func (t *memTx) str(s string) (memtx.Str, error) {
	if s == "" {
		return memtx.Str{}, nil
	}
	for i := range t.memo {
		m := &t.memo[i]
		if !m.ok {
			break // the memo fills in order
		}
		if m.s == s {
			if t.s.retention > 0 { // references are counted for forgetting
				if err := t.s.strs.Share(t.tx, m.ref); err != nil {
					return memtx.Str{}, err
				}
			}
			return m.ref, nil
		}
	}
	ref, err := t.s.strs.Add(t.tx, s)
	if err != nil {
		return memtx.Str{}, err
	}
	t.memo[t.memoNext] = strMemo{s: s, ref: ref, ok: true}
	t.memoNext = (t.memoNext + 1) % len(t.memo)
	return ref, nil
}

// keep returns old when it holds s (a row rewritten with the same string), or s stored
// anew, releasing old.
func (t *memTx) keep(old memtx.Str, s string) (memtx.Str, error) {
	if t.s.strs.Equal(t.tx, old, s) {
		return old, nil
	}
	if err := t.release(old); err != nil {
		return memtx.Str{}, err
	}
	return t.str(s)
}

// release drops a reference to s; without a retention nothing is ever released.
func (t *memTx) release(s memtx.Str) error {
	if t.s.retention > 0 {
		return t.s.strs.Release(t.tx, s)
	}
	return nil
}

func (t *memTx) string(s memtx.Str) string { return t.s.strs.String(t.tx, s) }

// holderID returns h's number, interning it when create is set (only the writer may).
func (t *memTx) holderID(h Holder, create bool) (int32, bool, error) {
	if t.lastH.ok && t.lastH.h == h {
		return t.lastH.id, true, nil
	}
	id, ok := t.s.holders.lookup(t.tx, h)
	if !ok && create {
		var err error
		if id, err = t.s.holders.intern(t.tx, h); err != nil {
			return 0, false, err
		}
		if _, _, err := t.s.accounts.Add(t.tx); err != nil { // the holder's row, without an account yet
			return 0, false, err
		}
		ok = true
	}
	if ok && t == &t.s.w {
		t.lastH.h, t.lastH.id, t.lastH.ok = h, id, true
	}
	return id, ok, nil
}

func (t *memTx) holder(id int32) Holder { return t.s.holders.value(t.tx, id) }

func (t *memTx) partnerID(p loyalty.PartnerID) (int32, error) {
	if p == "" {
		return 0, nil
	}
	return t.s.partners.intern(t.tx, p)
}

func (t *memTx) partner(id int32) loyalty.PartnerID {
	if id == 0 {
		return ""
	}
	return t.s.partners.value(t.tx, id)
}

func (t *memTx) kindCode(k EntryKind) (int32, error) {
	if c, ok := knownKind(k); ok {
		return c, nil
	}
	id, err := t.s.kinds.intern(t.tx, k)
	return int32(len(kindNames)) + id, err
}

func (t *memTx) kind(c int32) EntryKind {
	if int(c) < len(kindNames) {
		return kindNames[c]
	}
	return t.s.kinds.value(t.tx, c-int32(len(kindNames)))
}

func (t *memTx) packAccount(a *Account) accountRow {
	return accountRow{ok: true, earned: a.Earned, active: a.Active, pending: a.Pending, spent: a.Spent,
		expired: a.Expired, reversed: a.Reversed, transferred: a.Transferred, debited: a.Debited, debt: a.Debt,
		capEarned: a.CapEarned, entries: a.Entries, nextDue: t.time(a.NextDue), capPeriod: t.time(a.CapPeriod)}
}

func (t *memTx) unpackAccount(r *accountRow, h Holder, a *Account) {
	*a = Account{Holder: h, Earned: r.earned, Active: r.active, Pending: r.pending, Spent: r.spent,
		Expired: r.expired, Reversed: r.reversed, Transferred: r.transferred, Debited: r.debited, Debt: r.debt,
		NextDue: t.s.unpackTime(r.nextDue), CapPeriod: t.s.unpackTime(r.capPeriod), CapEarned: r.capEarned,
		Entries: r.entries}
}

// packLot fills r with l, keeping r's order string when l has the same.
func (t *memTx) packLot(r *lotRow, l *Lot, holder int32) error {
	kind, err := t.kindCode(l.Kind)
	if err != nil {
		return err
	}
	issuer, err := t.partnerID(l.Issuer)
	if err != nil {
		return err
	}
	order, err := t.keep(r.order, string(l.Order))
	if err != nil {
		return err
	}
	*r = lotRow{holder: holder, kind: kind, issuer: issuer, pending: l.Pending, order: order,
		earnedAt: t.time(l.EarnedAt), activeAt: t.time(l.ActiveAt), expires: t.time(l.Expires),
		amount: l.Amount, remaining: l.Remaining, spent: l.Spent, expired: l.Expired, reversed: l.Reversed,
		transferred: l.Transferred, debited: l.Debited, pos: r.pos, closed: r.closed}
	return nil
}

func (t *memTx) unpackLot(id int, r *lotRow) Lot {
	return t.unpackLotOrder(id, r, t.holder(r.holder), loyalty.OrderID(t.string(r.order)))
}

// unpackLotOrder is unpackLot with the lot's holder and order ID given.
func (t *memTx) unpackLotOrder(id int, r *lotRow, h Holder, order loyalty.OrderID) Lot {
	return Lot{ID: LotID(id), Holder: h, Kind: t.kind(r.kind), Order: order,
		Issuer: t.partner(r.issuer), EarnedAt: t.s.unpackTime(r.earnedAt), ActiveAt: t.s.unpackTime(r.activeAt),
		Expires: t.s.unpackTime(r.expires), Pending: r.pending, Amount: r.amount, Remaining: r.remaining,
		Spent: r.spent, Expired: r.expired, Reversed: r.reversed, Transferred: r.transferred, Debited: r.debited}
}

// packEntry fills the new row r with e, sharing nothing with e.
func (t *memTx) packEntry(r *entryRow, e *Entry, holder int32) error {
	var err error
	*r = entryRow{holder: holder, pending: e.Pending, points: e.Points, at: t.time(e.At), value: e.Value}
	if r.kind, err = t.kindCode(e.Kind); err != nil {
		return err
	}
	if r.issuer, err = t.partnerID(e.Issuer); err != nil {
		return err
	}
	if r.acceptor, err = t.partnerID(e.Acceptor); err != nil {
		return err
	}
	if r.key, err = t.str(string(e.Key)); err != nil {
		return err
	}
	if r.order, err = t.str(string(e.Order)); err != nil {
		return err
	}
	var m entryMore
	switch {
	case e.Lots == nil:
		r.nlots = -1
	case len(e.Lots) <= len(r.lots):
		for i, p := range e.Lots {
			if r.lots[i].issuer, err = t.partnerID(p.Issuer); err != nil {
				return err
			}
			r.lots[i].lot, r.lots[i].points = p.Lot, p.Points
		}
		r.nlots = int8(len(e.Lots))
	default:
		r.nlots, m.lots = -2, slices.Clone(e.Lots)
	}
	switch {
	case e.Lines == nil:
		r.nlines = -1
	case len(e.Lines) <= len(r.lines):
		r.nlines = int8(copy(r.lines[:], e.Lines))
	default:
		r.nlines, m.lines = -2, slices.Clone(e.Lines)
	}
	if e.Event == "" && e.Reward == "" && e.Reason == "" && e.Actor == "" && e.Counter == (Holder{}) &&
		e.Capped == 0 && e.Debt == 0 && e.Forgiven == 0 && m.lots == nil && m.lines == nil {
		return nil
	}
	m.capped, m.debt, m.forgiven = e.Capped, e.Debt, e.Forgiven
	if m.event, err = t.str(e.Event); err != nil {
		return err
	}
	if m.reward, err = t.str(e.Reward); err != nil {
		return err
	}
	if m.reason, err = t.str(e.Reason); err != nil {
		return err
	}
	if m.actor, err = t.str(e.Actor); err != nil {
		return err
	}
	if e.Counter != (Holder{}) {
		if m.counter, _, err = t.holderID(e.Counter, true); err != nil {
			return err
		}
	}
	if t.s.entryMore.Len(t.tx) >= math.MaxInt32 {
		return errStoreFull
	}
	id, err := t.s.entryMore.Append(t.tx, m)
	r.more = int32(id)
	return err
}

func (t *memTx) unpackEntry(id int, r *entryRow) Entry {
	e := Entry{ID: EntryID(id), Holder: t.holder(r.holder), Kind: t.kind(r.kind), Points: r.points,
		At: t.s.unpackTime(r.at), Key: loyalty.IdempotencyKey(t.string(r.key)), Order: loyalty.OrderID(t.string(r.order)),
		Issuer: t.partner(r.issuer), Acceptor: t.partner(r.acceptor), Value: r.value, Pending: r.pending}
	var m *entryMore
	if r.more != 0 {
		m = t.s.entryMore.Ref(t.tx, int(r.more))
		e.Event, e.Reward, e.Reason, e.Actor = t.string(m.event), t.string(m.reward), t.string(m.reason), t.string(m.actor)
		e.Capped, e.Debt, e.Forgiven = m.capped, m.debt, m.forgiven
		if m.counter != 0 {
			e.Counter = t.holder(m.counter)
		}
	}
	switch r.nlots {
	case -1:
	case -2:
		e.Lots = slices.Clone(m.lots)
	default:
		e.Lots = make([]LotPart, r.nlots)
		for i := range e.Lots {
			p := &r.lots[i]
			e.Lots[i] = LotPart{Lot: p.lot, Issuer: t.partner(p.issuer), Points: p.points}
		}
	}
	switch r.nlines {
	case -1:
	case -2:
		e.Lines = slices.Clone(m.lines)
	default:
		e.Lines = slices.Clone(r.lines[:r.nlines])
	}
	return e
}

// dropEntry releases what a forgotten entry holds.
func (t *memTx) dropEntry(r *entryRow) error {
	if err := t.release(r.key); err != nil {
		return err
	}
	if err := t.release(r.order); err != nil {
		return err
	}
	if r.more == 0 {
		return nil
	}
	m := t.s.entryMore.Ref(t.tx, int(r.more))
	for _, s := range []memtx.Str{m.event, m.reward, m.reason, m.actor} {
		if err := t.release(s); err != nil {
			return err
		}
	}
	return t.s.entryMore.Delete(t.tx, int(r.more))
}

// packPurchase returns the row of p, sharing nothing with p, keeping the strings of old
// (the row it replaces, nil: none) that p has too and releasing the others. The side row of
// old is deleted.
func (t *memTx) packPurchase(p *Purchase, old *purchaseRow) (purchaseRow, error) {
	var r, prev purchaseRow
	if old != nil {
		prev = *old
	}
	var err error
	if r.earnKey, err = t.keep(prev.earnKey, string(p.EarnKey)); err != nil {
		return r, err
	}
	if r.payKey, err = t.keep(prev.payKey, string(p.PayKey)); err != nil {
		return r, err
	}
	if r.issuer, err = t.partnerID(p.Issuer); err != nil {
		return r, err
	}
	if r.acceptor, err = t.partnerID(p.Acceptor); err != nil {
		return r, err
	}
	r.earnLot, r.restored = p.EarnLot, p.Restored
	if prev.more != 0 {
		if err := t.s.purchaseMore.Delete(t.tx, int(prev.more)); err != nil {
			return r, err
		}
	}
	var m purchaseMore
	switch {
	case p.Lines == nil:
		r.nlines = -1
	case len(p.Lines) <= len(r.lines):
		r.nlines = int8(copy(r.lines[:], p.Lines))
	default:
		r.nlines, m.lines = -2, slices.Clone(p.Lines)
	}
	if m.lines == nil && p.Redeemed == nil {
		return r, nil
	}
	m.redeemed = slices.Clone(p.Redeemed)
	if t.s.purchaseMore.Len(t.tx) >= math.MaxInt32 {
		return r, errStoreFull
	}
	id, err := t.s.purchaseMore.Append(t.tx, m)
	r.more = int32(id)
	return r, err
}

// unpackPurchase returns a copy of the stored purchase of h and order, sharing nothing
// with r.
func (t *memTx) unpackPurchase(r *purchaseRow, h Holder, order loyalty.OrderID) Purchase {
	p := Purchase{Holder: h, Order: order, EarnKey: loyalty.IdempotencyKey(t.string(r.earnKey)),
		PayKey: loyalty.IdempotencyKey(t.string(r.payKey)), Issuer: t.partner(r.issuer),
		Acceptor: t.partner(r.acceptor), EarnLot: r.earnLot, Restored: r.restored}
	var m *purchaseMore
	if r.more != 0 {
		m = t.s.purchaseMore.Ref(t.tx, int(r.more))
		p.Redeemed = slices.Clone(m.redeemed)
	}
	switch r.nlines {
	case -1:
	case -2:
		p.Lines = slices.Clone(m.lines)
	default:
		p.Lines = slices.Clone(r.lines[:r.nlines])
	}
	return p
}

// dropPurchase releases what a forgotten purchase holds.
func (t *memTx) dropPurchase(tx *memtx.Tx, r *purchaseRow) error {
	if err := t.release(r.earnKey); err != nil {
		return err
	}
	if err := t.release(r.payKey); err != nil {
		return err
	}
	if r.more != 0 {
		return t.s.purchaseMore.Delete(tx, int(r.more))
	}
	return nil
}

// packRecord fills in the rest of r, whose fingerprint is set: the time and the entries.
func (t *memTx) packRecord(r *recordRow, at time.Time, entries []EntryID) error {
	r.at = t.time(at)
	if n := len(entries); n > 0 && n <= math.MaxInt32 && entries[n-1]-entries[0] == EntryID(n-1) && slices.IsSorted(entries) {
		r.first, r.n = entries[0], int32(n)
	} else if entries != nil {
		if t.s.recordIDs.Len(t.tx) >= math.MaxInt32 {
			return errStoreFull
		}
		id, err := t.s.recordIDs.Append(t.tx, slices.Clone(entries))
		if err != nil {
			return err
		}
		r.ids = int32(id)
	}
	return nil
}

func (t *memTx) unpackRecord(r *recordRow, key loyalty.IdempotencyKey) Record {
	rec := Record{Key: key, At: t.s.unpackTime(r.at)}
	if r.hexFP {
		rec.Fingerprint = hex.EncodeToString(r.fp[:])
	} else {
		rec.Fingerprint = t.string(r.fpStr)
	}
	switch {
	case r.ids != 0:
		ids, _ := t.s.recordIDs.Get(t.tx, int(r.ids))
		rec.Entries = slices.Clone(ids)
	case r.n > 0:
		rec.Entries = make([]EntryID, r.n)
		for i := range rec.Entries {
			rec.Entries[i] = r.first + EntryID(i)
		}
	}
	return rec
}

// dropRecord releases what a forgotten record holds.
func (t *memTx) dropRecord(tx *memtx.Tx, r *recordRow) error {
	if err := t.release(r.fpStr); err != nil {
		return err
	}
	if r.ids != 0 {
		return t.s.recordIDs.Delete(tx, int(r.ids))
	}
	return nil
}
