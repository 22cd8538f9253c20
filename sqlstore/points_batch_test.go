package sqlstore

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// pointsAcrossStores makes postings through ledgers over two stores of one database (made
// by newStore): the second store has written nothing, so on PostgreSQL it presumes keys and
// purchases absent that the first one stored. It replays an earning, earns on an order paid
// with points through the other store, returns an order earned through the other store,
// replays a return, and reuses a key for another posting; it reports every posting and
// refusal and the balance.
func pointsAcrossStores(t *testing.T, newStore func() points.Store) []any {
	t.Helper()
	clock := loyalty.NewManualClock(pointsT0)
	ledger := func() *points.Ledger {
		cfg := pointsConfig()
		cfg.Clock = clock
		l, err := points.New(newStore(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	first, second := ledger(), ledger()
	h := points.ForAccount("acme")
	var out []any
	note := func(p points.Posting, err error) {
		switch {
		case errors.Is(err, loyalty.ErrNotFound):
			out = append(out, "not found")
		case errors.Is(err, loyalty.ErrConflict):
			out = append(out, "conflict")
		case err != nil:
			out = append(out, err.Error())
		default:
			out = append(out, p)
		}
	}
	o1, o2 := pointsOrder("o-1", 1000), pointsOrder("o-2", 500)
	note(first.EarnOrder(pointsCtx, "earn-1", h, o1, decimal.Zero))
	note(first.Redeem(pointsCtx, points.RedeemRequest{Key: "pay-2", Holder: h, Order: o2, Points: 40}))
	note(second.EarnOrder(pointsCtx, "earn-1", h, o1, decimal.Zero))                                                                                                           // replayed
	note(second.EarnOrder(pointsCtx, "earn-2", h, o2, decimal.Zero))                                                                                                           // the purchase exists
	note(second.Return(pointsCtx, points.ReturnRequest{Key: "ret-1", Holder: h, Order: "o-1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}}))   // earned by the first
	note(ledger().Return(pointsCtx, points.ReturnRequest{Key: "ret-1", Holder: h, Order: "o-1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}})) // replayed
	note(ledger().Spend(pointsCtx, points.SpendRequest{Key: "earn-2", Holder: h, Points: 1}))                                                                                  // a key used by an earning
	note(ledger().Return(pointsCtx, points.ReturnRequest{Key: "ret-9", Holder: h, Order: "o-9", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}})) // no such order
	b, err := ledger().Balance(pointsCtx, h)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, b)
}

// TestPointsStoreAcrossStoresMatchesMemory: postings through stores that did not write the
// rows they find (a replayed key, a purchase stored by another store, a key reused for
// another posting, an absent order) give what they give on the in-memory store, on both
// databases; on PostgreSQL such a store presumes the rows absent and must find out.
func TestPointsStoreAcrossStoresMatchesMemory(t *testing.T) {
	mem := points.NewMemoryStore()
	want := pointsAcrossStores(t, func() points.Store { return mem })
	// The scenario must exercise what it claims to.
	if p, ok := want[2].(points.Posting); !ok || !p.Replayed {
		t.Fatalf("the repeated earning was not replayed on the memory store: %v", want[2])
	}
	if want[6] != "conflict" || want[7] != "not found" {
		t.Fatalf("the reused key and the absent order on the memory store: %v, %v; want a conflict and not found", want[6], want[7])
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		got := pointsAcrossStores(t, func() points.Store { return NewPointsStore(db, d.dialect) })
		// IDs differ: on PostgreSQL each store takes lot and entry IDs from blocks of its
		// own.
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(points.Entry{}, "ID"), cmpopts.IgnoreFields(points.LotPart{}, "Lot")); diff != "" {
			t.Errorf("(-memory +%s):\n%s", d.dialect, diff)
		}
	})
}

// TestPointsStorePresumedKeyOnCallersTransaction: on a caller's transaction the store
// cannot re-run the transaction, so it reads keys instead of presuming them absent: a
// replay on a caller's transaction is a replay, and the transaction commits.
func TestPointsStorePresumedKeyOnCallersTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		h := points.ForAccount("acme")
		if _, err := pointsLedger(t, db, d.dialect).EarnOrder(pointsCtx, "k", h, pointsOrder("o-1", 1000), decimal.Zero); err != nil {
			t.Fatal(err)
		}
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		p, err := pointsLedger(t, tx, d.dialect).EarnOrder(pointsCtx, "k", h, pointsOrder("o-1", 1000), decimal.Zero)
		if err != nil || !p.Replayed {
			t.Errorf("replay on a caller's transaction: %+v, %v", p, err)
		}
		if err := errors.Join(err, tx.Commit()); err != nil {
			t.Fatal(err)
		}
	})
}
