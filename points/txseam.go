package points

import (
	"encoding/hex"
	"time"

	"github.com/loyaltykit/loyalty"
)

// ptrTx is the ledger's transaction: every read and write of [Tx], and the hot ones also
// in pointer form, so that the memory store copies nothing (they read into and write from
// the caller's values and assign IDs in place). With the memory store's transaction the
// pointer forms call it directly; with any other store (the SQL stores) they do the same
// through the value methods of Tx. The ledger takes it once per transaction ([asPtrTx]) and
// calls it at every site, without a branch of its own.
//
// It is a struct, not an interface, so that its calls are static: escape analysis sees
// through them, the values the ledger passes by pointer stay where they are (a lot on the
// stack stays on the stack) and no store needs an allocation for the seam.
type ptrTx struct {
	Tx
	mem *memTx // the same transaction when it is the memory store's, otherwise nil
}

// asPtrTx returns the ledger's transaction over tx.
func asPtrTx(tx Tx) ptrTx {
	m, _ := tx.(*memTx)
	return ptrTx{Tx: tx, mem: m}
}

// accountInto is Account reading into *a.
func (t *ptrTx) accountInto(h Holder, a *Account) (err error) {
	if t.mem != nil {
		return t.mem.accountInto(h, a)
	}
	*a, err = t.Account(h)
	return err
}

// putAccount is PutAccount of *a.
func (t *ptrTx) putAccount(a *Account) error {
	if t.mem != nil {
		return t.mem.putAccount(a)
	}
	return t.PutAccount(*a)
}

// openLots is OpenLots, in buf's memory when the memory store's lots fit: the caller
// clears what it read before buf is used again.
func (t *ptrTx) openLots(h Holder, buf []Lot) ([]Lot, error) {
	if t.mem != nil {
		return t.mem.openLots(h, buf)
	}
	return t.OpenLots(h)
}

// insertLot is InsertLot assigning l.ID in place.
func (t *ptrTx) insertLot(l *Lot) (err error) {
	if t.mem != nil {
		return t.mem.insertLot(l)
	}
	*l, err = t.InsertLot(*l)
	return err
}

// updateLot is UpdateLot of *l.
func (t *ptrTx) updateLot(l *Lot) error {
	if t.mem != nil {
		return t.mem.updateLot(l)
	}
	return t.UpdateLot(*l)
}

// appendEntry is AppendEntry assigning e.ID in place.
func (t *ptrTx) appendEntry(e *Entry) (err error) {
	if t.mem != nil {
		return t.mem.appendEntry(e)
	}
	*e, err = t.AppendEntry(*e)
	return err
}

// putRecordSum is PutRecord of a record whose fingerprint is the hex of sum (the memory
// store keeps the 32 bytes).
func (t *ptrTx) putRecordSum(key loyalty.IdempotencyKey, sum *[32]byte, at time.Time, entries []EntryID) error {
	if t.mem != nil {
		return t.mem.putRecordSum(key, sum, at, entries)
	}
	return t.PutRecord(Record{Key: key, Fingerprint: hex.EncodeToString(sum[:]), At: at, Entries: entries})
}
