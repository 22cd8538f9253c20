// Package pointstest is the conformance suite of [points.Store] implementations: the
// in-memory store runs it, and so must every SQL store.
//
// [Run] checks the store contract directly (not-found errors, ID order, spend order,
// all-or-nothing updates, copying, idempotency records), then drives a [points.Ledger] over
// the store through a rapid state-machine test against a plain model of lots, and a
// concurrency test in which many goroutines spend from one holder.
package pointstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// Run runs the conformance suite against stores made by newStore, which must return a new,
// empty store on every call.
func Run(t *testing.T, newStore func(t *testing.T) points.Store) {
	t.Run("Contract", func(t *testing.T) { testContract(t, newStore) })
	t.Run("StateMachine", func(t *testing.T) { testStateMachine(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, newStore) })
}

var (
	ctx   = context.Background()
	alice = points.ForAccount("alice")
	bob   = points.ForBuyer("bob")
	t0    = time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
)

var errBoom = errors.New("boom")

func update(t *testing.T, s points.Store, fn func(tx points.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s points.Store, fn func(tx points.ReadTx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func testContract(t *testing.T, newStore func(t *testing.T) points.Store) {
	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		view(t, s, func(tx points.ReadTx) error {
			if _, err := tx.Account(alice); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Account of unknown holder: %v, want ErrNotFound", err)
			}
			if _, err := tx.Lot(42); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Lot(42): %v, want ErrNotFound", err)
			}
			if _, err := tx.Purchase(alice, "o1"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Purchase: %v, want ErrNotFound", err)
			}
			if _, err := tx.Record("k"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Record: %v, want ErrNotFound", err)
			}
			if lots, err := tx.OpenLots(alice); err != nil || len(lots) != 0 {
				t.Errorf("OpenLots of unknown holder = %v, %v; want none", lots, err)
			}
			if es, err := tx.Entries(alice, 0, 10); err != nil || len(es) != 0 {
				t.Errorf("Entries of unknown holder = %v, %v; want none", es, err)
			}
			return nil
		})
		err := s.Update(ctx, func(tx points.Tx) error { return tx.UpdateLot(points.Lot{ID: 7, Holder: alice}) })
		if !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("UpdateLot of a missing lot: %v, want ErrNotFound", err)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		acct := points.Account{Holder: alice, Earned: 10, Active: 7, Spent: 3, NextDue: t0, Entries: 2}
		pur := points.Purchase{Holder: alice, Order: "o1", EarnLot: 1,
			Lines:    []points.PurchaseLine{{Quantity: loyalty.MustQuantity("2"), Earned: 5, Redeemed: 1}},
			Redeemed: []points.LotPart{{Lot: 1, Issuer: "p1", Points: 1}}}
		rec := points.Record{Key: "k1", Fingerprint: "f", At: t0, Entries: []points.EntryID{3, 4}}
		update(t, s, func(tx points.Tx) error {
			if err := tx.PutAccount(acct); err != nil {
				return err
			}
			if err := tx.PutPurchase(pur); err != nil {
				return err
			}
			return tx.PutRecord(rec)
		})
		view(t, s, func(tx points.ReadTx) error {
			got, err := tx.Account(alice)
			if err != nil {
				return err
			}
			if d := cmp.Diff(acct, got); d != "" {
				t.Errorf("Account (-want +got):\n%s", d)
			}
			gotP, err := tx.Purchase(alice, "o1")
			if err != nil {
				return err
			}
			if d := cmp.Diff(pur, gotP); d != "" {
				t.Errorf("Purchase (-want +got):\n%s", d)
			}
			gotR, err := tx.Record("k1")
			if err != nil {
				return err
			}
			if d := cmp.Diff(rec, gotR); d != "" {
				t.Errorf("Record (-want +got):\n%s", d)
			}
			n := 0
			if err := tx.Accounts(func(points.Account) bool { n++; return true }); err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("Accounts visited %d accounts, want 1", n)
			}
			return nil
		})
		err := s.Update(ctx, func(tx points.Tx) error { return tx.PutRecord(points.Record{Key: "k1", Fingerprint: "other"}) })
		if !errors.Is(err, loyalty.ErrConflict) {
			t.Errorf("PutRecord of an existing key: %v, want ErrConflict", err)
		}
	})

	t.Run("LotsAndSpendOrder", func(t *testing.T) {
		s := newStore(t)
		day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
		// Created in this order; spend order is by expiry (never last), then age, then ID.
		in := []points.Lot{
			{Holder: alice, EarnedAt: day(0), Expires: time.Time{}, Amount: 5}, // never expires
			{Holder: alice, EarnedAt: day(1), Expires: day(30), Amount: 5},     // expires later
			{Holder: alice, EarnedAt: day(2), Expires: day(10), Amount: 5},     // expires first
			{Holder: alice, EarnedAt: day(-5), Expires: day(30), Amount: 5},    // same expiry, older
			{Holder: bob, EarnedAt: day(0), Expires: day(1), Amount: 5},        // another holder
			{Holder: alice, EarnedAt: day(3), Expires: day(10), Amount: 0},     // empty: not open
			{Holder: alice, EarnedAt: day(3), Expires: time.Time{}, Amount: 5}, // never, younger
		}
		var ids []points.LotID
		update(t, s, func(tx points.Tx) error {
			ids = ids[:0] // an Update may run its function more than once
			for _, l := range in {
				l.Remaining = l.Amount
				got, err := tx.InsertLot(l)
				if err != nil {
					return err
				}
				ids = append(ids, got.ID)
			}
			return nil
		})
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] || ids[0] <= 0 {
				t.Fatalf("lot IDs %v are not positive and increasing", ids)
			}
		}
		want := []points.LotID{ids[2], ids[3], ids[1], ids[0], ids[6]}
		check := func(want []points.LotID) {
			t.Helper()
			view(t, s, func(tx points.ReadTx) error {
				lots, err := tx.OpenLots(alice)
				if err != nil {
					return err
				}
				var got []points.LotID
				for _, l := range lots {
					got = append(got, l.ID)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("OpenLots order (-want +got):\n%s", d)
				}
				return nil
			})
		}
		check(want)
		// Closing a lot removes it; reopening brings it back in place.
		update(t, s, func(tx points.Tx) error {
			l, err := tx.Lot(ids[2])
			if err != nil {
				return err
			}
			l.Remaining, l.Spent = 0, 5
			return tx.UpdateLot(l)
		})
		check(want[1:])
		update(t, s, func(tx points.Tx) error {
			for _, id := range []points.LotID{ids[0], ids[3]} {
				l, err := tx.Lot(id)
				if err != nil {
					return err
				}
				l.Remaining, l.Spent = 0, 5
				if err := tx.UpdateLot(l); err != nil {
					return err
				}
			}
			return nil
		})
		check([]points.LotID{ids[1], ids[6]})
		update(t, s, func(tx points.Tx) error {
			l, err := tx.Lot(ids[0])
			if err != nil {
				return err
			}
			l.Remaining, l.Spent = 2, 3
			return tx.UpdateLot(l)
		})
		check([]points.LotID{ids[1], ids[0], ids[6]})
		open := 0
		view(t, s, func(tx points.ReadTx) error {
			return tx.AllOpenLots(func(points.Lot) bool { open++; return true })
		})
		if open != 4 { // alice's three and bob's one
			t.Errorf("AllOpenLots visited %d lots, want 4", open)
		}
	})

	t.Run("RollbackOnError", func(t *testing.T) {
		s := newStore(t)
		update(t, s, func(tx points.Tx) error {
			return tx.PutAccount(points.Account{Holder: alice, Earned: 1, Active: 1})
		})
		var lotID points.LotID
		err := s.Update(ctx, func(tx points.Tx) error {
			if err := tx.PutAccount(points.Account{Holder: alice, Earned: 99, Active: 99}); err != nil {
				return err
			}
			if err := tx.PutAccount(points.Account{Holder: bob}); err != nil {
				return err
			}
			l, err := tx.InsertLot(points.Lot{Holder: alice, Amount: 99, Remaining: 99, EarnedAt: t0})
			if err != nil {
				return err
			}
			lotID = l.ID
			if _, err := tx.AppendEntry(points.Entry{Holder: alice, Kind: points.KindEarn, Points: 99, At: t0}); err != nil {
				return err
			}
			if err := tx.PutPurchase(points.Purchase{Holder: alice, Order: "o"}); err != nil {
				return err
			}
			if err := tx.PutRecord(points.Record{Key: "k"}); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Update = %v, want the function's error", err)
		}
		view(t, s, func(tx points.ReadTx) error {
			if a, err := tx.Account(alice); err != nil || a.Earned != 1 {
				t.Errorf("alice after rollback = %+v, %v; want Earned 1", a, err)
			}
			if _, err := tx.Account(bob); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("bob exists after rollback: %v", err)
			}
			if _, err := tx.Lot(lotID); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("lot exists after rollback: %v", err)
			}
			if es, _ := tx.Entries(alice, 0, 10); len(es) != 0 {
				t.Errorf("entries after rollback: %v", es)
			}
			if _, err := tx.Purchase(alice, "o"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("purchase exists after rollback: %v", err)
			}
			if _, err := tx.Record("k"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("record exists after rollback: %v", err)
			}
			return nil
		})
	})

	t.Run("EntriesAndCopies", func(t *testing.T) {
		s := newStore(t)
		var ids []points.EntryID
		update(t, s, func(tx points.Tx) error {
			ids = ids[:0] // an Update may run its function more than once
			for i := range 5 {
				h := alice
				if i == 2 {
					h = bob
				}
				e, err := tx.AppendEntry(points.Entry{Holder: h, Kind: points.KindSpend, Points: points.Points(i + 1),
					At: t0.Add(time.Duration(i) * time.Hour), Lots: []points.LotPart{{Lot: 1, Points: points.Points(i + 1)}}})
				if err != nil {
					return err
				}
				ids = append(ids, e.ID)
			}
			return nil
		})
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] || ids[0] <= 0 {
				t.Fatalf("entry IDs %v are not positive and increasing", ids)
			}
		}
		view(t, s, func(tx points.ReadTx) error {
			es, err := tx.Entries(alice, 1, 2)
			if err != nil {
				return err
			}
			var got []points.Points
			for _, e := range es {
				got = append(got, e.Points)
			}
			if d := cmp.Diff([]points.Points{2, 4}, got); d != "" {
				t.Errorf("Entries(alice, 1, 2) points (-want +got):\n%s", d)
			}
			es[0].Lots[0].Points = 1000 // must not reach the store
			byID, err := tx.Entry(ids[3])
			if err != nil {
				return err
			}
			if byID.ID != ids[3] || byID.Points != 4 || byID.Holder != alice {
				t.Errorf("Entry(%d) = %+v, want alice's entry of 4 points", ids[3], byID)
			}
			if _, err := tx.Entry(ids[4] + 100); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Entry of a missing ID: %v, want ErrNotFound", err)
			}
			var between []points.Points
			err = tx.EntriesBetween(t0.Add(time.Hour), t0.Add(3*time.Hour), func(e points.Entry) bool {
				between = append(between, e.Points)
				return true
			})
			if err != nil {
				return err
			}
			if len(between) != 2 || between[0]+between[1] != 5 {
				t.Errorf("EntriesBetween [1h, 3h) = %v, want the entries of 2 and 3 points", between)
			}
			again, _ := tx.Entries(alice, 1, 1)
			if again[0].Lots[0].Points != 2 {
				t.Errorf("a returned entry aliases the stored one: %+v", again[0])
			}
			return nil
		})
		in := points.Purchase{Holder: alice, Order: "o", Lines: []points.PurchaseLine{{Earned: 1}}}
		update(t, s, func(tx points.Tx) error { return tx.PutPurchase(in) })
		in.Lines[0].Earned = 99
		view(t, s, func(tx points.ReadTx) error {
			p, _ := tx.Purchase(alice, "o")
			if p.Lines[0].Earned != 1 {
				t.Errorf("the store aliases the caller's purchase: %+v", p)
			}
			return nil
		})
	})

	t.Run("ViewIsReadOnly", func(t *testing.T) {
		s := newStore(t)
		err := s.View(ctx, func(tx points.ReadTx) error {
			w, ok := tx.(points.Tx)
			if !ok {
				return nil // a read-only type cannot write at all
			}
			return w.PutAccount(points.Account{Holder: alice})
		})
		if err == nil {
			view(t, s, func(tx points.ReadTx) error {
				if _, err := tx.Account(alice); err == nil {
					t.Error("a write inside View was kept")
				}
				return nil
			})
		}
	})
}

// ledgerConfig is the program the ledger tests run: 1 point per full 10 RUB, 2 days
// pending, 5 days to expiry, points worth 1 RUB paying at most half an order.
func ledgerConfig(clock loyalty.Clock, policy points.ReturnPolicy, loc *time.Location) points.Config {
	return points.Config{
		Rules: points.Rules{
			Rates:       []points.Rate{{Points: 1, Per: decimal.NewFromInt(10)}},
			PendingDays: 2,
			Expiry:      points.Expiry{Days: 5},
		},
		Redemption: points.Redemption{Currency: rub, PointValue: decimal.NewFromInt(1), MaxShare: decimal.RequireFromString("0.5")},
		Returns:    policy,
		Location:   loc,
		Clock:      clock,
	}
}

var rub = loyalty.MustCurrency("RUB")

func testConcurrency(t *testing.T, newStore func(t *testing.T) points.Store) {
	t.Run("SpendFromOneHolder", func(t *testing.T) { testConcurrentSpends(t, newStore) })
	t.Run("MixedWorkload", func(t *testing.T) { testConcurrentMix(t, newStore) })
}

// testConcurrentMix runs earnings, spends, transfers and returns between two holders from
// many goroutines, then checks that every balance agrees with its lots and its history.
func testConcurrentMix(t *testing.T, newStore func(t *testing.T) points.Store) {
	clock := loyalty.NewManualClock(t0)
	store := newStore(t)
	l, err := points.New(store, ledgerConfig(clock, points.NegativeBalance, nil))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			me, other := alice, bob
			if w%2 == 1 {
				me, other = bob, alice
			}
			for i := range 25 {
				key := func(op string) loyalty.IdempotencyKey {
					return loyalty.IdempotencyKey(fmt.Sprintf("%s-%d-%d", op, w, i))
				}
				id := loyalty.OrderID(fmt.Sprintf("o-%d-%d", w, i))
				o := loyalty.Order{ID: id, Account: "acme", Currency: rub, PlacedAt: t0, Lines: []loyalty.Line{
					{SKU: "a", Quantity: loyalty.MustQuantity("3"), UnitPrice: loyalty.MustPrice(fmt.Sprintf("%d.50", 50+i*7), "RUB")}}}
				steps := []func() error{
					func() error { _, err := l.EarnOrder(ctx, key("earn"), me, o, decimal.Zero); return err },
					func() error { _, err := l.Activate(ctx, key("act"), me, id); return err },
					func() error {
						_, err := l.Spend(ctx, points.SpendRequest{Key: key("spend"), Holder: me, Points: points.Points(1 + i%9)})
						return err
					},
					func() error {
						_, err := l.Transfer(ctx, points.TransferRequest{Key: key("move"), From: me, To: other, Points: 3})
						return err
					},
					func() error {
						_, err := l.Return(ctx, points.ReturnRequest{Key: key("ret"), Holder: me, Order: id,
							Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("2")}}})
						return err
					},
				}
				for _, step := range steps {
					if err := step(); err != nil && !errors.Is(err, points.ErrInsufficientPoints) {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	lots := map[points.Holder]points.Points{}
	view(t, store, func(tx points.ReadTx) error {
		return tx.AllOpenLots(func(l points.Lot) bool { lots[l.Holder] += l.Remaining; return true })
	})
	var transferredOut, transferredIn points.Points
	for _, h := range []points.Holder{alice, bob} {
		b, err := l.Balance(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if b.Earned != b.Active+b.Pending+b.Spent+b.Expired+b.Reversed+b.Transferred+b.Debited {
			t.Errorf("%s: points created or lost: %+v", h, b)
		}
		if lots[h] != b.Active+b.Pending {
			t.Errorf("%s: lots hold %d, balance %d", h, lots[h], b.Active+b.Pending)
		}
		es, err := l.History(ctx, h, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		var net points.Points
		for _, e := range es {
			net += e.Delta()
			if e.Kind == points.KindTransferIn {
				transferredIn += e.Points
			}
		}
		if net != b.Active+b.Pending-b.Debt {
			t.Errorf("%s: history nets to %d, balance is %d", h, net, b.Active+b.Pending-b.Debt)
		}
		transferredOut += b.Transferred
	}
	if transferredIn != transferredOut {
		t.Errorf("%d points transferred out, %d in", transferredOut, transferredIn)
	}
}

func testConcurrentSpends(t *testing.T, newStore func(t *testing.T) points.Store) {
	clock := loyalty.NewManualClock(t0)
	l, err := points.New(newStore(t), ledgerConfig(clock, points.WithinBalance, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Adjust(ctx, points.Adjustment{Key: "seed", Holder: alice, Points: 1000, Reason: "seed", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	const workers, spends, each = 16, 12, 7 // 1344 points asked of 1000
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, short := 0, 0
	var unexpected []error
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range spends {
				_, err := l.Spend(ctx, points.SpendRequest{Key: loyalty.IdempotencyKey(fmt.Sprintf("w%d-%d", w, i)), Holder: alice, Points: each})
				// Everyone also retries one shared key: it must apply exactly once.
				_, errShared := l.Spend(ctx, points.SpendRequest{Key: "shared", Holder: alice, Points: 1})
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, points.ErrInsufficientPoints):
					short++
				default:
					unexpected = append(unexpected, err)
				}
				if errShared != nil {
					unexpected = append(unexpected, errShared)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range unexpected {
		t.Errorf("unexpected error: %v", err)
	}
	b, err := l.Balance(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	spent := points.Points(ok*each + 1)
	if b.Spent != spent || b.Active != 1000-spent || b.Active < 0 {
		t.Errorf("after %d successful spends of %d and one shared spend: balance %+v; want spent %d, active %d", ok, each, b, spent, 1000-spent)
	}
	if ok+short != workers*spends {
		t.Errorf("%d spends succeeded and %d were refused, of %d", ok, short, workers*spends)
	}
	if b.Active >= each {
		t.Errorf("spends were refused while %d points remained", b.Active)
	}
}
