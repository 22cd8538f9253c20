package points

import (
	"context"
	"time"

	"github.com/loyaltykit/loyalty"
)

// LotID identifies a lot. IDs are assigned by the store, positive and increasing in
// creation order, so a smaller ID is an older lot.
//
// LotID values are plain data, safe for concurrent use when not modified.
type LotID int64

// EntryID identifies a ledger entry. IDs are assigned by the store, positive and increasing
// in the order entries were appended.
//
// EntryID values are plain data, safe for concurrent use when not modified.
type EntryID int64

// EntryKind says what a ledger entry did.
//
// EntryKind values are plain data, safe for concurrent use when not modified.
type EntryKind string

// The entry kinds. Every change to a holder's points is one immutable entry.
const (
	KindEarn        EntryKind = "earn"         // points earned by an order or an event (pending or active)
	KindActivate    EntryKind = "activate"     // pending points became active
	KindSpend       EntryKind = "spend"        // points paid for an order or a reward
	KindExpire      EntryKind = "expire"       // points expired
	KindReverse     EntryKind = "reverse"      // a return reversed points the returned lines had earned
	KindRestore     EntryKind = "restore"      // a return gave back points that had paid for the returned lines
	KindRepay       EntryKind = "repay"        // new active points repaid a negative balance
	KindCredit      EntryKind = "credit"       // a manual adjustment added points
	KindDebit       EntryKind = "debit"        // a manual adjustment removed points
	KindTransferOut EntryKind = "transfer-out" // points moved to another holder
	KindTransferIn  EntryKind = "transfer-in"  // points received from another holder
)

// Lot is the points of one credit (an earning, a credit adjustment, a transfer received)
// with its own activation and expiry. Every point of a lot is in exactly one state:
//
//	Amount = Remaining + Spent + Expired + Reversed + Transferred + Debited
//
// Remaining points are pending while Pending is set, active otherwise.
//
// Lot values are plain data, safe for concurrent use when not modified.
type Lot struct {
	ID       LotID             `json:"id"`
	Holder   Holder            `json:"holder"`
	Kind     EntryKind         `json:"kind"` // the kind of the entry that created it: earn, credit or transfer-in
	Order    loyalty.OrderID   `json:"order,omitempty"`
	Issuer   loyalty.PartnerID `json:"issuer,omitempty"` // the coalition partner that issued the points
	EarnedAt time.Time         `json:"earned_at"`
	ActiveAt time.Time         `json:"active_at,omitempty"` // when pending points activate by themselves
	Expires  time.Time         `json:"expires,omitempty"`   // the first instant the points are expired; zero: never
	Pending  bool              `json:"pending,omitempty"`

	Amount      Points `json:"amount"`
	Remaining   Points `json:"remaining"`
	Spent       Points `json:"spent,omitempty"`
	Expired     Points `json:"expired,omitempty"`
	Reversed    Points `json:"reversed,omitempty"`
	Transferred Points `json:"transferred,omitempty"`
	Debited     Points `json:"debited,omitempty"`
}

// Open reports whether the lot still has points that are pending or active.
func (l Lot) Open() bool { return l.Remaining > 0 }

// SpendsBefore reports whether l is spent before o: the soonest-expiring lot first (lots that
// never expire last), then the oldest, then the smaller ID.
func (l Lot) SpendsBefore(o Lot) bool {
	switch {
	case !l.Expires.Equal(o.Expires):
		if l.Expires.IsZero() || o.Expires.IsZero() {
			return o.Expires.IsZero()
		}
		return l.Expires.Before(o.Expires)
	case !l.EarnedAt.Equal(o.EarnedAt):
		return l.EarnedAt.Before(o.EarnedAt)
	}
	return l.ID < o.ID
}

// LotPart is a number of points taken from or given to one lot.
//
// LotPart values are plain data, safe for concurrent use when not modified.
type LotPart struct {
	Lot    LotID             `json:"lot"`
	Issuer loyalty.PartnerID `json:"issuer,omitempty"`
	Points Points            `json:"points"`
}

// Entry is one immutable change in the ledger. Points is the number of points the entry
// moves, never negative (zero only for an earning the cap withheld entirely or a reversal
// forgiven entirely); Kind says from where to where, and [Entry.Delta] gives the effect on
// the holder's net balance. Entries are plain data, safe for concurrent use when not
// modified.
type Entry struct {
	ID     EntryID                `json:"id"`
	Holder Holder                 `json:"holder"`
	Kind   EntryKind              `json:"kind"`
	Points Points                 `json:"points"`
	At     time.Time              `json:"at"` // when the change took effect
	Key    loyalty.IdempotencyKey `json:"key,omitempty"`
	Lots   []LotPart              `json:"lots,omitempty"` // lot-level breakdown

	Order    loyalty.OrderID   `json:"order,omitempty"`
	Event    string            `json:"event,omitempty"`
	Lines    []Points          `json:"lines,omitempty"` // per order line (earn, reverse, spend, restore)
	Pending  bool              `json:"pending,omitempty"`
	Issuer   loyalty.PartnerID `json:"issuer,omitempty"`   // earn: the partner that issued the points
	Acceptor loyalty.PartnerID `json:"acceptor,omitempty"` // spend, restore: the partner that accepted them
	Value    loyalty.Money     `json:"value,omitempty"`    // spend, restore: the money value of the points
	Reward   string            `json:"reward,omitempty"`   // spend: the catalogue reward bought
	Capped   Points            `json:"capped,omitempty"`   // earn: points withheld by the cap
	Debt     Points            `json:"debt,omitempty"`     // reverse: points charged to a negative balance
	Forgiven Points            `json:"forgiven,omitempty"` // reverse: points not clawed back under the policy
	Reason   string            `json:"reason,omitempty"`   // credit, debit: why (for audit)
	Actor    string            `json:"actor,omitempty"`    // credit, debit: who (for audit)
	Counter  Holder            `json:"counter,omitempty"`  // transfers: the other holder
}

// Delta returns the entry's effect on the holder's net balance (active + pending − debt).
func (e Entry) Delta() Points {
	switch e.Kind {
	case KindEarn, KindRestore, KindCredit, KindTransferIn:
		return e.Points
	case KindSpend, KindExpire, KindReverse, KindDebit, KindTransferOut:
		return -e.Points
	}
	return 0 // activate, repay
}

// Account is the stored balance row of one holder, kept up to date with every entry so that
// a balance query never reads history. Counters follow the lots:
//
//	Earned = Active + Pending + Spent + Expired + Reversed + Transferred + Debited
//
// Debt is the negative balance left by returns under [NegativeBalance]; it is repaid by the
// next active points. NextDue is the earliest time at which a pending lot activates or a lot
// expires (zero: none), so that due work is found without scanning lots.
//
// Account values are plain data, safe for concurrent use when not modified.
type Account struct {
	Holder      Holder    `json:"holder"`
	Earned      Points    `json:"earned"`
	Active      Points    `json:"active"`
	Pending     Points    `json:"pending"`
	Spent       Points    `json:"spent"`
	Expired     Points    `json:"expired"`
	Reversed    Points    `json:"reversed"`
	Transferred Points    `json:"transferred"`
	Debited     Points    `json:"debited"`
	Debt        Points    `json:"debt"`
	NextDue     time.Time `json:"next_due,omitempty"`
	CapPeriod   time.Time `json:"cap_period,omitempty"` // start of the cap period CapEarned counts
	CapEarned   Points    `json:"cap_earned,omitempty"`
	Entries     int       `json:"entries"`
}

// Purchase records what one order did to one holder's points, for returns: the quantity
// and the points of every line, what was returned, and which lots paid for the order.
//
// Purchase values are plain data, safe for concurrent use when not modified.
type Purchase struct {
	Holder   Holder                 `json:"holder"`
	Order    loyalty.OrderID        `json:"order"`
	Lines    []PurchaseLine         `json:"lines"`
	EarnKey  loyalty.IdempotencyKey `json:"earn_key,omitempty"` // the posting that earned points for the order
	EarnLot  LotID                  `json:"earn_lot,omitempty"` // the lot the order earned (0: none)
	PayKey   loyalty.IdempotencyKey `json:"pay_key,omitempty"`  // the posting that paid for the order with points
	Issuer   loyalty.PartnerID      `json:"issuer,omitempty"`
	Acceptor loyalty.PartnerID      `json:"acceptor,omitempty"`
	Redeemed []LotPart              `json:"redeemed,omitempty"` // lots that paid, in the order they were taken
	Restored Points                 `json:"restored,omitempty"` // redeemed points given back so far
}

// PurchaseLine is one order line of a [Purchase].
//
// PurchaseLine values are plain data, safe for concurrent use when not modified.
type PurchaseLine struct {
	Quantity loyalty.Quantity `json:"quantity"`
	Returned loyalty.Quantity `json:"returned"`
	Earned   Points           `json:"earned"`   // points the line earned
	Redeemed Points           `json:"redeemed"` // points that paid for the line
}

// Record is an idempotency record: when a keyed operation ran, the entries it appended
// (its result, read back on a retry), and a fingerprint of its request so that a reuse of
// the key with a different request is refused.
//
// Record values are plain data, safe for concurrent use when not modified.
type Record struct {
	Key         loyalty.IdempotencyKey `json:"key"`
	Fingerprint string                 `json:"fingerprint"`
	At          time.Time              `json:"at"`
	Entries     []EntryID              `json:"entries,omitempty"`
}

// Store holds the ledger's state. Implementations must be safe for concurrent use.
//
// Contract, which [github.com/loyaltykit/loyalty/points/pointstest.Run] checks:
//   - Update runs fn in one serializable, all-or-nothing transaction: if fn returns an error
//     (or panics) nothing it wrote is kept. fn may be run more than once (SQL stores retry
//     on serialization failures), so it has no effects outside tx.
//   - View runs fn in a read-only transaction that sees one consistent state.
//   - Reads of absent rows return an error wrapping [loyalty.ErrNotFound].
//   - Values are copied in and out: callers never alias stored data.
//   - IDs of lots and entries are positive and increase in the order they were created.
type Store interface {
	Update(ctx context.Context, fn func(tx Tx) error) error
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// ReadTx is the read side of a transaction.
//
// A ReadTx is valid only inside the function it was passed to; do not share it between goroutines.
type ReadTx interface {
	// Account returns the holder's balance row, or an error wrapping loyalty.ErrNotFound.
	Account(h Holder) (Account, error)
	// Accounts calls fn for every account, in no particular order, until fn returns false.
	Accounts(fn func(Account) bool) error
	// Entry returns one entry by ID, or an error wrapping loyalty.ErrNotFound.
	Entry(id EntryID) (Entry, error)
	// Lot returns one lot, or an error wrapping loyalty.ErrNotFound.
	Lot(id LotID) (Lot, error)
	// OpenLots returns the holder's open lots (Remaining > 0), pending ones included, in
	// spend order ([Lot.SpendsBefore]).
	OpenLots(h Holder) ([]Lot, error)
	// AllOpenLots calls fn for every open lot of every holder, in no particular order,
	// until fn returns false.
	AllOpenLots(fn func(Lot) bool) error
	// Entries returns up to limit of the holder's entries starting at position from (0 is
	// the first entry ever), oldest first.
	Entries(h Holder, from, limit int) ([]Entry, error)
	// EntriesBetween calls fn for every entry with from <= At < to, of every holder, in no
	// particular order, until fn returns false.
	EntriesBetween(from, to time.Time, fn func(Entry) bool) error
	// Purchase returns the holder's record for an order, or an error wrapping
	// loyalty.ErrNotFound.
	Purchase(h Holder, order loyalty.OrderID) (Purchase, error)
	// Record returns the idempotency record of key, or an error wrapping loyalty.ErrNotFound.
	Record(key loyalty.IdempotencyKey) (Record, error)
}

// Tx is a read-write transaction.
//
// A Tx is valid only inside the function it was passed to; do not share it between goroutines.
type Tx interface {
	ReadTx
	// PutAccount inserts or replaces the holder's balance row.
	PutAccount(a Account) error
	// InsertLot stores a new lot and returns it with its assigned ID (l.ID is ignored).
	InsertLot(l Lot) (Lot, error)
	// UpdateLot replaces an existing lot, or returns an error wrapping loyalty.ErrNotFound.
	UpdateLot(l Lot) error
	// AppendEntry appends e to its holder's history and returns it with its assigned ID.
	AppendEntry(e Entry) (Entry, error)
	// PutPurchase inserts or replaces the record of (p.Holder, p.Order).
	PutPurchase(p Purchase) error
	// PutRecord stores an idempotency record. Storing a key that exists is an error
	// wrapping loyalty.ErrConflict.
	PutRecord(r Record) error
}
