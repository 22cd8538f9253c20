package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// Tests of the optimistic attempts of PointsStore.Update on PostgreSQL (points_batch.go):
// another writer between an attempt's reads and its write, an error decided on reads that
// do not belong together, and the locking path after repeated conflicts.

// pointsMeddler is a points.Store that runs its Updates on a PointsStore and calls during
// right after the read of a balance row that meddle chooses (by attempt, and by the number
// of balance rows the attempt read, 1 for the first): between an optimistic attempt's
// reads and its write.
type pointsMeddler struct {
	s        *PointsStore
	attempts atomic.Int64
	meddle   func(attempt int64, read int) bool
	during   func(attempt int64)
}

func (m *pointsMeddler) Update(ctx context.Context, fn func(tx points.Tx) error) error {
	return m.s.Update(ctx, func(tx points.Tx) error {
		return fn(&pointsMeddlerTx{Tx: tx, m: m, attempt: m.attempts.Add(1)})
	})
}

func (m *pointsMeddler) View(ctx context.Context, fn func(tx points.ReadTx) error) error {
	return m.s.View(ctx, fn)
}

type pointsMeddlerTx struct {
	points.Tx
	m       *pointsMeddler
	attempt int64
	reads   int
}

func (t *pointsMeddlerTx) Account(h points.Holder) (points.Account, error) {
	a, err := t.Tx.Account(h)
	t.reads++
	if t.m.meddle(t.attempt, t.reads) {
		t.m.during(t.attempt)
	}
	return a, err
}

// pointsEarnFor earns amount/10 points for h under key with l.
func pointsEarnFor(t *testing.T, l *points.Ledger, key string, h points.Holder, amount int64) {
	t.Helper()
	if _, err := l.EarnOrder(pointsCtx, loyalty.IdempotencyKey(key), h, pointsOrder("order-"+key, amount), decimal.Zero); err != nil {
		t.Fatalf("earn %s: %v", key, err)
	}
}

// TestPointsOptimisticWriterInBetween: another posting for the same holder commits between
// an optimistic attempt's read of the balance row and its write. The attempt writes
// nothing (its balance row's version changed) and runs again; both postings count once.
func TestPointsOptimisticWriterInBetween(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	other := pointsLedger(t, db, d.dialect)
	h := points.ForAccount("between")
	pointsEarnFor(t, other, "first", h, 100)
	m := &pointsMeddler{s: NewPointsStore(db, d.dialect), meddle: func(attempt int64, read int) bool { return attempt == 1 && read == 1 }}
	m.during = func(int64) { pointsEarnFor(t, other, "meanwhile", h, 200) }
	l, err := points.New(m, pointsConfig())
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.EarnOrder(pointsCtx, "mine", h, pointsOrder("order-mine", 400), decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	if n := m.attempts.Load(); n != 2 {
		t.Errorf("%d attempts, want 2 (the first one's write refused)", n)
	}
	b := pointsCheckLedger(t, l, m.s, h)
	if b.Earned != 70 {
		t.Errorf("balance %+v, want 70 earned", b)
	}
	// The posting returned is the one stored: the entry at the third position.
	hist, err := l.History(pointsCtx, h, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[2].Key != "mine" || len(p.Entries) != 1 || p.Entries[0].ID != hist[2].ID {
		t.Errorf("history %+v, posting %+v: want the posting last", hist, p)
	}
	var lots int
	if err := db.QueryRow(`SELECT COUNT(*) FROM points_lots`).Scan(&lots); err != nil || lots != 3 {
		t.Errorf("%d lots (%v), want 3", lots, err)
	}
}

// TestPointsOptimisticErrorOnTornReads: a spend reads the balance row (100 active), another
// spend of 50 commits, and the spend then reads the holder's lots (50 left): the ledger,
// seeing a balance its lots do not hold, fails. An optimistic attempt's error is never
// returned as it is: the spend runs again on the locking path, and its result is the one
// of the spends one after the other (50 available, 80 needed).
func TestPointsOptimisticErrorOnTornReads(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	other := pointsLedger(t, db, d.dialect)
	h := points.ForAccount("torn")
	pointsEarnFor(t, other, "earn", h, 1000)
	m := &pointsMeddler{s: NewPointsStore(db, d.dialect), meddle: func(attempt int64, read int) bool { return attempt == 1 && read == 1 }}
	m.during = func(int64) {
		if _, err := other.Spend(pointsCtx, points.SpendRequest{Key: "meanwhile", Holder: h, Points: 50, Reward: "r"}); err != nil {
			t.Errorf("spend meanwhile: %v", err)
		}
	}
	l, err := points.New(m, pointsConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Spend(pointsCtx, points.SpendRequest{Key: "mine", Holder: h, Points: 80, Reward: "r"})
	var short *points.InsufficientPointsError
	if !errors.As(err, &short) {
		t.Fatalf("spend: %v, want an InsufficientPointsError", err)
	}
	if diff := cmp.Diff(points.InsufficientPointsError{Holder: h, Have: 50, Need: 80}, *short); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if n := m.attempts.Load(); n != 2 {
		t.Errorf("%d attempts, want 2 (the optimistic one, then the locking one)", n)
	}
	if b := pointsCheckLedger(t, l, m.s, h); b.Spent != 50 || b.Active != 50 {
		t.Errorf("balance %+v, want 50 spent, 50 active", b)
	}
}

// TestPointsOptimisticTwoHolders: a transfer reads the balance rows of both holders, and
// another posting for the first one commits before the transfer writes. The transfer's
// write leaves both rows as they were (not only the one that changed) and runs again.
func TestPointsOptimisticTwoHolders(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	other := pointsLedger(t, db, d.dialect)
	from, to := points.ForAccount("from"), points.ForAccount("to")
	pointsEarnFor(t, other, "from", from, 1000)
	pointsEarnFor(t, other, "to", to, 1000)
	m := &pointsMeddler{s: NewPointsStore(db, d.dialect), meddle: func(attempt int64, read int) bool { return attempt == 1 && read == 2 }}
	m.during = func(int64) { pointsEarnFor(t, other, "meanwhile", from, 500) }
	l, err := points.New(m, pointsConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Transfer(pointsCtx, points.TransferRequest{Key: "mine", From: from, To: to, Points: 30}); err != nil {
		t.Fatal(err)
	}
	if n := m.attempts.Load(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	if b := pointsCheckLedger(t, l, m.s, from); b.Active != 120 || b.Transferred != 30 {
		t.Errorf("%s: %+v, want 120 active, 30 transferred", from, b)
	}
	if b := pointsCheckLedger(t, l, m.s, to); b.Active != 130 || b.Earned != 130 {
		t.Errorf("%s: %+v, want 130 earned and active", to, b)
	}
}

// TestPointsOptimisticFallsBackToLocks: while every optimistic attempt meets another
// posting for its holder, the Update gives up after optimisticTries attempts and runs on
// the locking path, which no posting can overtake.
func TestPointsOptimisticFallsBackToLocks(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	other := pointsLedger(t, db, d.dialect)
	h := points.ForAccount("busy")
	s := NewPointsStore(db, d.dialect)
	tries := int64(s.optimisticTries)
	if tries < 1 {
		t.Fatalf("optimisticTries = %d, want at least 1", tries)
	}
	m := &pointsMeddler{s: s, meddle: func(attempt int64, read int) bool { return attempt <= tries && read == 1 }}
	m.during = func(attempt int64) { pointsEarnFor(t, other, "meanwhile"+strconv.FormatInt(attempt, 10), h, 100) }
	l, err := points.New(m, pointsConfig())
	if err != nil {
		t.Fatal(err)
	}
	pointsEarnFor(t, l, "mine", h, 1000)
	if n := m.attempts.Load(); n != tries+1 {
		t.Errorf("%d attempts, want %d optimistic ones and one locking", n, tries)
	}
	if b := pointsCheckLedger(t, l, s, h); b.Earned != points.Points(100+10*tries) {
		t.Errorf("balance %+v, want %d earned", b, 100+10*tries)
	}
	var entries int
	if err := db.QueryRow(`SELECT COUNT(*) FROM points_entries`).Scan(&entries); err != nil || entries != int(tries+1) {
		t.Errorf("%d entries (%v), want %d", entries, err, tries+1)
	}
}

// TestPointsOptimisticNoLostUpdates: many clients spend from and earn for a few holders at
// once; every posting counts exactly once and no lot or balance goes below zero.
func TestPointsOptimisticNoLostUpdates(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	l := pointsLedger(t, db, d.dialect)
	holders := []points.Holder{points.ForAccount("x"), points.ForAccount("y")}
	for _, h := range holders {
		pointsEarnFor(t, l, "seed-"+h.ID, h, 10000)
	}
	const clients, each = 8, 20
	errs := make(chan error, clients)
	var spent [2]atomic.Int64
	for c := range clients {
		go func() {
			var err error
			for i := range each {
				k := strconv.Itoa(c) + "-" + strconv.Itoa(i)
				hi := (c + i) % 2
				if i%2 == 0 {
					_, err = l.EarnOrder(pointsCtx, loyalty.IdempotencyKey("e"+k), holders[hi], pointsOrder("o"+k, 100), decimal.Zero)
				} else {
					_, err = l.Spend(pointsCtx, points.SpendRequest{Key: loyalty.IdempotencyKey("s" + k), Holder: holders[hi], Points: 7, Reward: "r"})
					if err == nil {
						spent[hi].Add(7)
					}
				}
				if err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var earned points.Points
	for i, h := range holders {
		b := pointsCheckLedger(t, l, NewPointsStore(db, d.dialect), h)
		earned += b.Earned
		if int64(b.Spent) != spent[i].Load() {
			t.Errorf("%s: spent %d, want %d", h, b.Spent, spent[i].Load())
		}
	}
	if want := points.Points(2*1000 + clients*each/2*10); earned != want {
		t.Errorf("earned %d, want %d", earned, want)
	}
}

// TestPointsOptimisticStaleCachedRow: a store remembers the balance rows it wrote and does
// not read them again; when another store (another process) has written one since, the
// first attempt that took it writes nothing, and the next one reads the row.
func TestPointsOptimisticStaleCachedRow(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	h := points.ForAccount("cached")
	m := &pointsMeddler{s: NewPointsStore(db, d.dialect), meddle: func(int64, int) bool { return false }}
	l, err := points.New(m, pointsConfig())
	if err != nil {
		t.Fatal(err)
	}
	pointsEarnFor(t, l, "first", h, 100)
	if _, _, ok := m.s.cached.get(h); !ok {
		t.Fatal("the balance row written is not remembered")
	}
	pointsEarnFor(t, l, "second", h, 200) // from the remembered row
	if n := m.attempts.Load(); n != 2 {
		t.Fatalf("%d attempts for two earnings, want 2", n)
	}
	pointsEarnFor(t, pointsLedger(t, db, d.dialect), "elsewhere", h, 400)
	pointsEarnFor(t, l, "third", h, 800)
	if n := m.attempts.Load(); n != 4 {
		t.Errorf("%d attempts for the third earning, want 2 (the remembered row is stale)", n-2)
	}
	if b := pointsCheckLedger(t, l, m.s, h); b.Earned != 150 {
		t.Errorf("balance %+v, want 150 earned", b)
	}
	a, v, ok := m.s.cached.get(h)
	var stored int64
	if err := db.QueryRow(`SELECT version FROM points_accounts WHERE holder_id = $1`, h.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !ok || v != stored || a.Earned != 150 || a.Entries != 4 {
		t.Errorf("remembered %+v version %d (%v), want the stored row, version %d", a, v, ok, stored)
	}
}

// TestPointsOptimisticSeesBlindWrites: a transaction on the locking path that writes a
// holder's lot without the holder's balance row still increases the row's version, so an
// optimistic attempt that read the holder's lots before it does not write.
func TestPointsOptimisticSeesBlindWrites(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	h := points.ForAccount("blind")
	s := NewPointsStore(db, d.dialect)
	blind := NewPointsStore(db, d.dialect)
	blind.optimisticTries = 0
	lot := func(amount points.Points) points.Lot {
		return points.Lot{Holder: h, Kind: points.KindEarn, EarnedAt: pointsT0, Amount: amount, Remaining: amount}
	}
	if err := s.Update(pointsCtx, func(tx points.Tx) error {
		_, err := tx.InsertLot(lot(5))
		return errors.Join(err, tx.PutAccount(points.Account{Holder: h, Earned: 5, Active: 5}))
	}); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	if err := s.Update(pointsCtx, func(tx points.Tx) error {
		attempts++
		a, err := tx.Account(h)
		if err != nil {
			return err
		}
		lots, err := tx.OpenLots(h)
		if err != nil {
			return err
		}
		if attempts == 1 {
			if err := blind.Update(pointsCtx, func(tx points.Tx) error {
				_, err := tx.InsertLot(lot(7))
				return err
			}); err != nil {
				return err
			}
		}
		a.Active = 0
		for _, l := range lots {
			a.Active += l.Remaining
		}
		return tx.PutAccount(a)
	}); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("%d attempts, want 2", attempts)
	}
	var active int64
	if err := db.QueryRow(`SELECT active FROM points_accounts WHERE holder_id = $1`, h.ID).Scan(&active); err != nil || active != 12 {
		t.Errorf("active = %d (%v), want 12 (both lots)", active, err)
	}
}

// TestPointsOptimisticReturnOfAnotherStoresOrder: a store presumes that an order it did not
// write has no purchase; a return of such an order fails for want of it, and the next
// optimistic attempt reads the purchase and succeeds (no locking path, whose result would
// be the same).
func TestPointsOptimisticReturnOfAnotherStoresOrder(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	h := points.ForAccount("returner")
	pointsEarnFor(t, pointsLedger(t, db, d.dialect), "earn", h, 1000)
	m := &pointsMeddler{s: NewPointsStore(db, d.dialect), meddle: func(int64, int) bool { return false }}
	l, err := points.New(m, pointsConfig())
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Return(pointsCtx, points.ReturnRequest{Key: "return", Holder: h, Order: "order-earn",
		Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := m.attempts.Load(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	if len(p.Entries) != 1 || p.Entries[0].Kind != points.KindReverse || p.Entries[0].Points != 100 {
		t.Errorf("posting %+v, want 100 points reversed", p)
	}
	if b := pointsCheckLedger(t, l, m.s, h); b.Active != 0 || b.Reversed != 100 {
		t.Errorf("balance %+v, want 100 reversed, none active", b)
	}
}
