package points

import (
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
)

// entryRow is an entry as the memory store keeps it: the fields of earnings and spendings
// inline, with up to two lot parts and four lines, and the rest (the fields of
// adjustments, transfers, returns and rewards, longer lists) out of line in more, nil for
// a plain earning or spending. A store keeps one per entry for ever, so it is kept small: about half the size
// of an Entry with its lists, and half its pointers for the garbage collector to mark.
type entryRow struct {
	id       EntryID
	holder   Holder
	kind     EntryKind
	points   Points
	at       time.Time
	key      loyalty.IdempotencyKey
	order    loyalty.OrderID
	issuer   loyalty.PartnerID
	acceptor loyalty.PartnerID
	value    loyalty.Money
	pending  bool
	nlots    int8 // the number of lot parts inline; -1: Lots is nil; -2: in more
	nlines   int8 // the same for lines
	lots     [2]LotPart
	lines    [4]Points
	more     *entryMore
}

// entryMore is the part of a stored entry that most entries leave zero.
type entryMore struct {
	event    string
	reward   string
	capped   Points
	debt     Points
	forgiven Points
	reason   string
	actor    string
	counter  Holder
	lots     []LotPart // when longer than entryRow.lots
	lines    []Points  // when longer than entryRow.lines
}

// pack stores a copy of e in r, sharing nothing with e.
func (r *entryRow) pack(e *Entry) {
	*r = entryRow{id: e.ID, holder: e.Holder, kind: e.Kind, points: e.Points, at: e.At, key: e.Key,
		order: e.Order, issuer: e.Issuer, acceptor: e.Acceptor, value: e.Value, pending: e.Pending}
	m := entryMore{event: e.Event, reward: e.Reward, capped: e.Capped,
		debt: e.Debt, forgiven: e.Forgiven, reason: e.Reason, actor: e.Actor, counter: e.Counter}
	switch {
	case e.Lots == nil:
		r.nlots = -1
	case len(e.Lots) <= len(r.lots):
		r.nlots = int8(copy(r.lots[:], e.Lots))
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
	if m.event != "" || m.reward != "" || m.capped != 0 ||
		m.debt != 0 || m.forgiven != 0 || m.reason != "" || m.actor != "" || m.counter != (Holder{}) ||
		m.lots != nil || m.lines != nil {
		r.more = new(entryMore) // only here: m itself stays on the stack
		*r.more = m
	}
}

// unpack returns a copy of the stored entry, sharing nothing with r.
func (r *entryRow) unpack() Entry {
	e := Entry{ID: r.id, Holder: r.holder, Kind: r.kind, Points: r.points, At: r.at, Key: r.key,
		Order: r.order, Issuer: r.issuer, Acceptor: r.acceptor, Value: r.value, Pending: r.pending}
	m := r.more
	if m != nil {
		e.Event, e.Reward = m.event, m.reward
		e.Capped, e.Debt, e.Forgiven, e.Reason, e.Actor, e.Counter = m.capped, m.debt, m.forgiven, m.reason, m.actor, m.counter
	}
	switch r.nlots {
	case -1:
	case -2:
		e.Lots = slices.Clone(m.lots)
	default:
		e.Lots = slices.Clone(r.lots[:r.nlots])
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

// purchaseRow is a purchase as the memory store keeps it, without its holder and order
// (the row's key): up to two lines inline, longer lists out of line. Its slices are never
// modified once stored (a new version of the purchase replaces the row).
type purchaseRow struct {
	earnKey  loyalty.IdempotencyKey
	payKey   loyalty.IdempotencyKey
	issuer   loyalty.PartnerID
	acceptor loyalty.PartnerID
	earnLot  LotID
	restored Points
	nlines   int8 // the number of lines inline; -1: Lines is nil; -2: in more
	lines    [2]PurchaseLine
	more     []PurchaseLine
	redeemed []LotPart
}

// packPurchase returns the row of p, sharing nothing with p.
func packPurchase(p *Purchase) purchaseRow {
	r := purchaseRow{earnKey: p.EarnKey, payKey: p.PayKey, issuer: p.Issuer, acceptor: p.Acceptor,
		earnLot: p.EarnLot, restored: p.Restored, redeemed: slices.Clone(p.Redeemed)}
	switch {
	case p.Lines == nil:
		r.nlines = -1
	case len(p.Lines) <= len(r.lines):
		r.nlines = int8(copy(r.lines[:], p.Lines))
	default:
		r.nlines, r.more = -2, slices.Clone(p.Lines)
	}
	return r
}

// unpack returns a copy of the stored purchase of h and order, sharing nothing with r.
func (r *purchaseRow) unpack(h Holder, order loyalty.OrderID) Purchase {
	p := Purchase{Holder: h, Order: order, EarnKey: r.earnKey, PayKey: r.payKey, Issuer: r.issuer,
		Acceptor: r.acceptor, EarnLot: r.earnLot, Restored: r.restored, Redeemed: slices.Clone(r.redeemed)}
	switch r.nlines {
	case -1:
	case -2:
		p.Lines = slices.Clone(r.more)
	default:
		p.Lines = slices.Clone(r.lines[:r.nlines])
	}
	return p
}
