package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/points/pointstest"
	"github.com/shopspring/decimal"
)

// pointsTables are the tables of migration 0004_points.
var pointsTables = []string{"points_accounts", "points_lots", "points_entries", "points_purchases"}

// emptyPoints deletes every points row, idempotency records included.
func emptyPoints(t testing.TB, db *sql.DB) {
	t.Helper()
	emptyTables(t, db, pointsTables)
	if _, err := db.Exec(`DELETE FROM loyalty_idempotency WHERE scope = $1`, pointsScope); err != nil {
		t.Fatal(err)
	}
}

func TestPointsStoreConformance(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		// The state machine makes tens of thousands of statements in its 100 checks:
		// minutes under the race detector, which slows the pure-Go SQLite down some thirty
		// times, and some 15 s of round trips to PostgreSQL without it. RAPID_CHECKS or
		// -rapid.checks choose another number.
		switch {
		case raceEnabled:
			fewerRapidChecks(t, map[Dialect]int{SQLite: 5, Postgres: 20}[d.dialect])
		case d.dialect == Postgres:
			fewerRapidChecks(t, 40)
		}
		db := openMigratedDB(t, d)
		pointstest.Run(t, func(t *testing.T) points.Store {
			emptyPoints(t, db)
			return NewPointsStore(db, d.dialect)
		})
	})
}

var (
	pointsCtx = context.Background()
	pointsT0  = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	pointsRUB = loyalty.MustCurrency("RUB")
)

// pointsConfig is the program of the reliability tests and benchmarks: 1 point per 10 RUB,
// active at once, no expiry; points worth 1 RUB.
func pointsConfig() points.Config {
	return points.Config{
		Rules:      points.Rules{Rates: []points.Rate{{Points: 1, Per: decimal.NewFromInt(10)}}},
		Redemption: points.Redemption{Currency: pointsRUB, PointValue: decimal.NewFromInt(1)},
	}
}

func pointsLedger(t testing.TB, db DBTX, dialect Dialect) *points.Ledger {
	t.Helper()
	l, err := points.New(NewPointsStore(db, dialect), pointsConfig())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pointsOrder is a one-line order of amount RUB.
func pointsOrder(id string, amount int64) loyalty.Order {
	return loyalty.Order{ID: loyalty.OrderID(id), Account: "acme", Currency: pointsRUB, PlacedAt: pointsT0,
		Lines: []loyalty.Line{{SKU: "sku", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice(strconv.FormatInt(amount, 10), "RUB")}}}
}

// BenchmarkPostgresEarn earns points for one-line orders under new keys from about 8
// parallel clients, spread over 1000 holders: every earning reads the holder's balance
// (and, on SQLite, the key's record and the order's purchase) and writes a lot, an entry,
// the balance, the purchase and the key's record. On PostgreSQL the writes are one
// statement, written if the balance row is unchanged, and the balance row is read only for
// a holder's first earning: the store remembers the rows it wrote (see points_batch.go).
func BenchmarkPostgresEarn(b *testing.B) { benchmarkPointsEarn(b, postgresDB(b), true) }

// BenchmarkPostgresEarnUncached is BenchmarkPostgresEarn with a store that does not
// remember the balance rows it wrote, so that every earning reads its holder's row first:
// what an earning costs when another instance wrote the holder last, or when the store
// sees too many holders to remember them.
func BenchmarkPostgresEarnUncached(b *testing.B) { benchmarkPointsEarn(b, postgresDB(b), false) }

// BenchmarkSQLiteEarn is BenchmarkPostgresEarn on a SQLite file.
func BenchmarkSQLiteEarn(b *testing.B) { benchmarkPointsEarn(b, sqliteDB(b), true) }

func benchmarkPointsEarn(b *testing.B, d testDB, remember bool) {
	db := openMigratedDB(b, d)
	store := NewPointsStore(db, d.dialect)
	store.cached.off = !remember
	l, err := points.New(store, pointsConfig())
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	parallelClients(b, db)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			s := strconv.FormatInt(i, 10)
			h := points.ForAccount(loyalty.AccountID("acct-" + strconv.FormatInt(i%1000, 10)))
			if _, err := l.EarnOrder(pointsCtx, loyalty.IdempotencyKey("earn-"+s), h, pointsOrder("o-"+s, 1000+i%1000), decimal.Zero); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "earns/s")
}

// TestPointsStoreStoresHostileText: holder IDs, keys, orders and free text full of SQL
// metacharacters, quotes, LIKE wildcards, backslashes, non-ASCII text and the longest
// accepted keys are stored and read back byte for byte, and match only themselves.
func TestPointsStoreStoresHostileText(t *testing.T) {
	hostile := []string{
		`'; DROP TABLE points_lots; --`,
		`" OR 1=1 --`,
		`%`, `_`, `\`, `\'`, `$1`, `?`, `:name`, `@x`,
		"Ünïcødé ключ 鍵 🎁",
		"tab\tnew\nline\r",
		strings.Repeat("k", MaxPointsKeyBytes),
		strings.Repeat("я", MaxPointsKeyBytes/2), // 512 bytes of two-byte runes
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		l := pointsLedger(t, db, d.dialect)
		s := NewPointsStore(db, d.dialect)
		for i, text := range hostile {
			h := points.ForAccount(loyalty.AccountID(text))
			key := loyalty.IdempotencyKey(text)
			order := pointsOrder(text, 100)
			p, err := l.EarnOrder(pointsCtx, key, h, order, decimal.Zero)
			if err != nil {
				t.Fatalf("earn %d for %q: %v", i, text, err)
			}
			spendKey := loyalty.IdempotencyKey("spend" + strconv.Itoa(i) + ":" + text[:min(len(text), 400)]) // 400: a rune boundary
			if _, err := l.Spend(pointsCtx, points.SpendRequest{Key: spendKey, Holder: h, Points: 3, Reward: text, Acceptor: loyalty.PartnerID(text)}); err != nil {
				t.Fatalf("spend %d for %q: %v", i, text, err)
			}
			again, err := l.EarnOrder(pointsCtx, key, h, order, decimal.Zero)
			if err != nil || !again.Replayed || again.Entries[0].ID != p.Entries[0].ID {
				t.Fatalf("earn %d again = %+v, %v; want the first result replayed", i, again, err)
			}
			b := pointsCheckLedger(t, l, s, h)
			if b.Holder != h || b.Earned != 10 || b.Spent != 3 {
				t.Errorf("balance of %q = %+v, want 10 earned and 3 spent", text, b)
			}
			es, err := l.History(pointsCtx, h, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 2 || es[0].Key != key || es[0].Order != order.ID || es[1].Reward != text || es[1].Acceptor != loyalty.PartnerID(text) {
				t.Errorf("history of %q = %+v", text, es)
			}
		}
		// Each holder has only its own rows: no key matched another (no wildcards, no
		// case folding, no truncation).
		var accounts, entries, purchases, records, lots int
		for q, n := range map[string]*int{
			`SELECT COUNT(*) FROM points_accounts`: &accounts, `SELECT COUNT(*) FROM points_entries`: &entries,
			`SELECT COUNT(*) FROM points_purchases`: &purchases, `SELECT COUNT(*) FROM points_lots`: &lots,
			`SELECT COUNT(*) FROM loyalty_idempotency WHERE scope = 'points'`: &records,
		} {
			if err := db.QueryRow(q).Scan(n); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(hostile); accounts != n || entries != 2*n || purchases != n || lots != n || records != 2*n {
			t.Errorf("rows: %d accounts, %d entries, %d purchases, %d lots, %d records; want %d, %d, %d, %d, %d",
				accounts, entries, purchases, lots, records, n, 2*n, n, n, 2*n)
		}
	})
}

// TestPointsStoreRefusesBadText: keys longer than MaxPointsKeyBytes, invalid UTF-8, NUL
// bytes and times the columns cannot hold are refused with an error wrapping
// loyalty.ErrInvalid before they reach the database, the transaction's earlier writes
// are rolled back, and reads of such keys find nothing.
func TestPointsStoreRefusesBadText(t *testing.T) {
	long := strings.Repeat("x", MaxPointsKeyBytes+1)
	bad := map[string]string{"too long": long, "invalid UTF-8": "bad\xff\xfe", "NUL byte": "nul\x00byte"}
	ok := points.ForAccount("ok")
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewPointsStore(db, d.dialect)
		l := pointsLedger(t, db, d.dialect)
		for name, text := range bad {
			h := points.ForAccount(loyalty.AccountID(text))
			writes := map[string]func(tx points.Tx) error{
				"account holder": func(tx points.Tx) error { return tx.PutAccount(points.Account{Holder: h}) },
				"lot holder": func(tx points.Tx) error {
					_, err := tx.InsertLot(points.Lot{Holder: h, Amount: 1, Remaining: 1, EarnedAt: pointsT0})
					return err
				},
				"lot issuer": func(tx points.Tx) error {
					_, err := tx.InsertLot(points.Lot{Holder: ok, Issuer: loyalty.PartnerID(text + long), EarnedAt: pointsT0})
					return err
				},
				"entry reason": func(tx points.Tx) error {
					_, err := tx.AppendEntry(points.Entry{Holder: ok, Kind: points.KindCredit, Reason: text + long, At: pointsT0})
					return err
				},
				"entry lot issuer": func(tx points.Tx) error {
					_, err := tx.AppendEntry(points.Entry{Holder: ok, Kind: points.KindSpend, At: pointsT0,
						Lots: []points.LotPart{{Lot: 1, Issuer: loyalty.PartnerID(text + long), Points: 1}}})
					return err
				},
				"purchase order": func(tx points.Tx) error {
					return tx.PutPurchase(points.Purchase{Holder: ok, Order: loyalty.OrderID(text)})
				},
				"record key": func(tx points.Tx) error { return tx.PutRecord(points.Record{Key: loyalty.IdempotencyKey(text)}) },
			}
			if name == "too long" { // long free text is fine; only keys are limited
				delete(writes, "lot issuer")
				delete(writes, "entry reason")
				delete(writes, "entry lot issuer")
			}
			for what, write := range writes {
				err := s.Update(pointsCtx, func(tx points.Tx) error {
					if err := tx.PutAccount(points.Account{Holder: ok, Earned: 1, Active: 1}); err != nil {
						return err
					}
					return write(tx)
				})
				if !errors.Is(err, loyalty.ErrInvalid) {
					t.Errorf("%s in %s: %v, want ErrInvalid", name, what, err)
				}
			}
			err := s.View(pointsCtx, func(tx points.ReadTx) error {
				if _, err := tx.Account(h); !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("Account(%s) = %v, want ErrNotFound", name, err)
				}
				if _, err := tx.Record(loyalty.IdempotencyKey(text)); !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("Record(%s) = %v, want ErrNotFound", name, err)
				}
				if _, err := tx.Purchase(ok, loyalty.OrderID(text)); !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("Purchase(%s) = %v, want ErrNotFound", name, err)
				}
				if lots, err := tx.OpenLots(h); err != nil || len(lots) != 0 {
					t.Errorf("OpenLots(%s) = %v, %v; want none", name, lots, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Through the ledger: refused, nothing stored.
			if _, err := l.EarnOrder(pointsCtx, "k-"+loyalty.IdempotencyKey(name), h, pointsOrder("o", 100), decimal.Zero); !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("earning for a holder with %s: %v, want ErrInvalid", name, err)
			}
			if _, err := l.Adjust(pointsCtx, points.Adjustment{Key: loyalty.IdempotencyKey(text), Holder: ok, Points: 5, Reason: "r", Actor: "a"}); !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("adjusting with a key with %s: %v, want ErrInvalid", name, err)
			}
		}
		for what, write := range map[string]func(tx points.Tx) error{
			"year 10000": func(tx points.Tx) error {
				_, err := tx.AppendEntry(points.Entry{Holder: ok, Kind: points.KindCredit, At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
				return err
			},
			"before year 1": func(tx points.Tx) error {
				return tx.PutAccount(points.Account{Holder: ok, NextDue: time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)})
			},
		} {
			if err := s.Update(pointsCtx, func(tx points.Tx) error { return write(tx) }); !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", what, err)
			}
		}
		for _, table := range pointsTables {
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s holds %d rows (%v) after refused writes, want 0", table, n, err)
			}
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM loyalty_idempotency`).Scan(&n); err != nil || n != 0 {
			t.Errorf("loyalty_idempotency holds %d rows (%v) after refused writes, want 0", n, err)
		}
	})
}

// TestPointsStoreOnCallersTransaction: on a caller's *sql.Tx the store's writes commit or
// roll back with the caller's own.
func TestPointsStoreOnCallersTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		h := points.ForAccount("acme")
		for _, commit := range []bool{false, true} {
			tx, err := db.BeginTx(pointsCtx, nil)
			if err != nil {
				t.Fatal(err)
			}
			l := pointsLedger(t, tx, d.dialect)
			if _, err := l.EarnOrder(pointsCtx, "earn", h, pointsOrder("o1", 250), decimal.Zero); err != nil {
				t.Fatal(err)
			}
			if b, err := l.Balance(pointsCtx, h); err != nil || b.Active != 25 {
				t.Fatalf("balance inside the transaction = %+v, %v; want 25 active", b, err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := pointsLedger(t, db, d.dialect).Balance(pointsCtx, h)
			switch {
			case commit && (err != nil || b.Active != 25):
				t.Errorf("after commit: %+v, %v; want 25 active", b, err)
			case !commit && !errors.Is(err, loyalty.ErrNotFound):
				t.Errorf("after rollback: %+v, %v; want ErrNotFound", b, err)
			}
		}
	})
}

// TestPointsStoreKeepsEveryField: an entry, a lot, a balance row, a purchase and a record
// with every field set read back as they were written (times to the microsecond, in UTC).
func TestPointsStoreKeepsEveryField(t *testing.T) {
	at := time.Date(2026, 3, 29, 2, 30, 15, 123456789, time.FixedZone("MSK", 3*3600))
	us := at.Truncate(time.Microsecond).UTC()
	h := points.ForBuyer("ivanov")
	entry := points.Entry{Holder: h, Kind: points.KindSpend, Points: 42, At: at, Key: "k",
		Lots: []points.LotPart{{Lot: 3, Issuer: "p1", Points: 40}, {Lot: 4, Points: 2}}, Order: "o1", Event: "ev",
		Lines: []points.Points{30, 12}, Pending: true, Issuer: "p1", Acceptor: "p2", Value: loyalty.MustMoney("42.00", "RUB"),
		Reward: "mug", Capped: 1, Debt: 2, Forgiven: 3, Reason: "why", Actor: "who", Counter: points.ForAccount("acme")}
	lot := points.Lot{Holder: h, Kind: points.KindEarn, Order: "o1", Issuer: "p1", EarnedAt: at, ActiveAt: at.Add(time.Hour),
		Expires: at.AddDate(1, 0, 0), Pending: true, Amount: 100, Remaining: 40, Spent: 20, Expired: 10, Reversed: 10, Transferred: 10, Debited: 10}
	acct := points.Account{Holder: h, Earned: 100, Active: 30, Pending: 10, Spent: 20, Expired: 10, Reversed: 10, Transferred: 10,
		Debited: 10, Debt: 5, NextDue: at, CapPeriod: at.Add(-time.Hour), CapEarned: 7, Entries: 9}
	pur := points.Purchase{Holder: h, Order: "o1", EarnKey: "ek", EarnLot: 3, PayKey: "pk", Issuer: "p1", Acceptor: "p2", Restored: 4,
		Lines:    []points.PurchaseLine{{Quantity: loyalty.MustQuantity("1.5"), Returned: loyalty.MustQuantity("0.25"), Earned: 5, Redeemed: 2}},
		Redeemed: []points.LotPart{{Lot: 3, Issuer: "p1", Points: 2}}}
	rec := points.Record{Key: "k", Fingerprint: "f", At: at, Entries: []points.EntryID{1, 2}}
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewPointsStore(openMigratedDB(t, d), d.dialect)
		var e points.Entry
		var l points.Lot
		err := s.Update(pointsCtx, func(tx points.Tx) error {
			var err error
			if e, err = tx.AppendEntry(entry); err != nil {
				return err
			}
			if l, err = tx.InsertLot(lot); err != nil {
				return err
			}
			return errors.Join(tx.PutAccount(acct), tx.PutPurchase(pur), tx.PutRecord(rec))
		})
		if err != nil {
			t.Fatal(err)
		}
		wantE, wantL, wantA, wantR := entry, lot, acct, rec
		wantE.ID, wantE.At = e.ID, us
		wantL.ID, wantL.EarnedAt, wantL.ActiveAt, wantL.Expires = l.ID, us, us.Add(time.Hour), at.AddDate(1, 0, 0).Truncate(time.Microsecond).UTC()
		wantA.NextDue, wantA.CapPeriod = us, us.Add(-time.Hour)
		wantR.At = us
		err = s.View(pointsCtx, func(tx points.ReadTx) error {
			gotE, err := tx.Entry(e.ID)
			checkDiff(t, "entry", wantE, gotE, err)
			gotL, err := tx.Lot(l.ID)
			checkDiff(t, "lot", wantL, gotL, err)
			gotA, err := tx.Account(h)
			checkDiff(t, "account", wantA, gotA, err)
			gotP, err := tx.Purchase(h, "o1")
			checkDiff(t, "purchase", pur, gotP, err)
			gotR, err := tx.Record("k")
			checkDiff(t, "record", wantR, gotR, err)
			for _, v := range []time.Time{gotE.At, gotL.EarnedAt, gotA.NextDue, gotR.At} {
				if v.Location() != time.UTC {
					t.Errorf("time %v is not in UTC", v)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestPointsStoreNewHolderFromManyClients: many clients earn at once for a holder that does
// not exist yet, each under its own key: the balance row and the first position of the
// history are created once, and no earning is lost (on PostgreSQL the losers of the race
// are re-run).
func TestPointsStoreNewHolderFromManyClients(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		l := pointsLedger(t, db, d.dialect)
		h := points.ForAccount("new")
		const clients = 8
		start := make(chan struct{})
		errs := make(chan error, clients)
		for i := range clients {
			go func() {
				<-start
				_, err := l.EarnOrder(pointsCtx, loyalty.IdempotencyKey("k"+strconv.Itoa(i)), h, pointsOrder("o"+strconv.Itoa(i), 100), decimal.Zero)
				errs <- err
			}()
		}
		close(start)
		for range clients {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		b := pointsCheckLedger(t, l, NewPointsStore(db, d.dialect), h)
		if b.Earned != clients*10 {
			t.Errorf("earned %d, want %d", b.Earned, clients*10)
		}
		var n, maxPos int
		if err := db.QueryRow(`SELECT COUNT(*), MAX(pos) FROM points_entries`).Scan(&n, &maxPos); err != nil || n != clients || maxPos != clients-1 {
			t.Errorf("%d entries up to position %d (%v), want %d up to %d", n, maxPos, err, clients, clients-1)
		}
	})
}

// TestPointsStoreLocksInOneOrder (PostgreSQL): on the locking path, an Update that needs
// balance rows out of the global order (b, then a) while another transaction holds a does
// not wait with b held, which could deadlock: its first attempt fails at once, and the
// second locks a and b in order, waits for a, and succeeds when the other transaction ends.
func TestPointsStoreLocksInOneOrder(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	s := NewPointsStore(db, d.dialect)
	s.optimisticTries = 0 // the locking path at once
	a, b := points.ForAccount("a"), points.ForAccount("b")
	if err := s.Update(pointsCtx, func(tx points.Tx) error {
		return errors.Join(tx.PutAccount(points.Account{Holder: a}), tx.PutAccount(points.Account{Holder: b}))
	}); err != nil {
		t.Fatal(err)
	}
	other, err := db.BeginTx(pointsCtx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if err := NewPointsStore(other, d.dialect).Update(pointsCtx, func(tx points.Tx) error {
		_, err := tx.Account(a) // locks a until other ends
		return err
	}); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	done := make(chan error, 1)
	go func() {
		done <- s.Update(pointsCtx, func(tx points.Tx) error {
			attempts++
			for _, h := range []points.Holder{b, a} {
				acct, err := tx.Account(h)
				if err != nil {
					return err
				}
				acct.Earned++
				if err := tx.PutAccount(acct); err != nil {
					return err
				}
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		t.Fatalf("the update ended while a was locked: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("%d attempts, want 2 (one failing at once, one locking in order)", attempts)
	}
	if err := s.View(pointsCtx, func(tx points.ReadTx) error {
		for _, h := range []points.Holder{a, b} {
			if acct, err := tx.Account(h); err != nil || acct.Earned != 1 {
				t.Errorf("%s = %+v, %v; want Earned 1", h, acct, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPointsStoreVisitsEveryRow: Accounts, AllOpenLots and EntriesBetween read in pages of
// pointsPage rows; they visit every row exactly once across page boundaries (rows that tie
// on time included) and stop when the callback says so.
func TestPointsStoreVisitsEveryRow(t *testing.T) {
	const n = 2*pointsPage + 7
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewPointsStore(db, d.dialect)
		err := s.Update(pointsCtx, func(tx points.Tx) error {
			for i := range n {
				h := points.ForAccount(loyalty.AccountID(strconv.Itoa(i % 300)))
				if i%2 == 1 {
					h = points.ForBuyer(loyalty.BuyerID(strconv.Itoa(i)))
				}
				if err := tx.PutAccount(points.Account{Holder: h, Earned: points.Points(i)}); err != nil {
					return err
				}
				at := pointsT0.Add(time.Duration(i/3) * time.Second) // three entries and lots per instant
				if _, err := tx.InsertLot(points.Lot{Holder: h, EarnedAt: at, Amount: 1, Remaining: points.Points(i % 2)}); err != nil {
					return err
				}
				if _, err := tx.AppendEntry(points.Entry{Holder: h, Kind: points.KindCredit, Points: points.Points(i), At: at}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.View(pointsCtx, func(tx points.ReadTx) error {
			accounts := map[points.Holder]int{}
			if err := tx.Accounts(func(a points.Account) bool { accounts[a.Holder]++; return true }); err != nil {
				return err
			}
			if want := 150 + n/2; len(accounts) != want { // even i: 150 accounts (i % 300 is even); odd i: a buyer each
				t.Errorf("Accounts visited %d holders, want %d", len(accounts), want)
			}
			for h, k := range accounts {
				if k != 1 {
					t.Errorf("Accounts visited %s %d times", h, k)
				}
			}
			lots := map[points.LotID]int{}
			if err := tx.AllOpenLots(func(l points.Lot) bool { lots[l.ID]++; return true }); err != nil {
				return err
			}
			if len(lots) != n/2 {
				t.Errorf("AllOpenLots visited %d lots, want %d", len(lots), n/2)
			}
			for id, k := range lots {
				if k != 1 {
					t.Errorf("AllOpenLots visited lot %d %d times", id, k)
				}
			}
			var sum points.Points
			seen := map[points.EntryID]bool{}
			from, to := pointsT0.Add(time.Second), pointsT0.Add(time.Duration(n/3)*time.Second) // entries 3 .. 3*(n/3)-1
			if err := tx.EntriesBetween(from, to, func(e points.Entry) bool {
				if seen[e.ID] {
					t.Errorf("EntriesBetween visited entry %d twice", e.ID)
				}
				seen[e.ID] = true
				sum += e.Points
				return true
			}); err != nil {
				return err
			}
			last := 3*(n/3) - 1
			if want := points.Points((3 + last) * (last - 2) / 2); sum != want || len(seen) != last-2 {
				t.Errorf("EntriesBetween visited %d entries of %d points, want %d of %d", len(seen), sum, last-2, want)
			}
			visits := 0
			stop := func() bool { visits++; return visits < pointsPage+1 }
			if err := tx.EntriesBetween(from, to, func(points.Entry) bool { return stop() }); err != nil || visits != pointsPage+1 {
				t.Errorf("EntriesBetween went on after false: %d visits, %v", visits, err)
			}
			visits = 0
			if err := tx.Accounts(func(points.Account) bool { return stop() }); err != nil || visits != pointsPage+1 {
				t.Errorf("Accounts went on after false: %d visits, %v", visits, err)
			}
			visits = 0
			if err := tx.AllOpenLots(func(points.Lot) bool { return stop() }); err != nil || visits != pointsPage+1 {
				t.Errorf("AllOpenLots went on after false: %d visits, %v", visits, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestPointsStorePanicRollsBack: a panic inside Update or View goes on to the caller, after
// the transaction was rolled back: nothing it wrote is kept, the balance row it locked is
// free for the next posting, and no connection is left in a transaction (the database
// closes at the end of the test).
func TestPointsStorePanicRollsBack(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewPointsStore(db, d.dialect)
		l := pointsLedger(t, db, d.dialect)
		h := points.ForAccount("acme")
		if _, err := l.Adjust(pointsCtx, points.Adjustment{Key: "seed", Holder: h, Points: 10, Reason: "r", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v, want the function's panic", r)
				}
			}()
			_ = s.Update(pointsCtx, func(tx points.Tx) error {
				a, err := tx.Account(h) // locks the row on PostgreSQL
				if err != nil {
					return err
				}
				a.Earned, a.Active = 99, 99
				if err := tx.PutAccount(a); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v from View, want the function's panic", r)
				}
			}()
			_ = s.View(pointsCtx, func(tx points.ReadTx) error { panic("boom") })
		}()
		ctx, cancel := context.WithTimeout(pointsCtx, 5*time.Second)
		defer cancel()
		p, err := l.Spend(ctx, points.SpendRequest{Key: "after", Holder: h, Points: 4})
		if err != nil {
			t.Fatalf("spend after the panic: %+v, %v", p, err)
		}
		if b, err := l.Balance(pointsCtx, h); err != nil || b.Earned != 10 || b.Active != 6 {
			t.Errorf("balance = %+v, %v; want 10 earned, 6 active", b, err)
		}
	})
}

// TestPointsParseAccount: the text of a locked balance row (pointsAccountLock) reads back
// as the row, NULL times as the zero time, and malformed text is an error, never a panic.
func TestPointsParseAccount(t *testing.T) {
	h := points.ForAccount("p")
	due, period := time.Date(2026, 3, 4, 5, 6, 7, 8000, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	good := []struct {
		row  string
		want points.Account
	}{
		{"1,2,3,4,5,6,7,8,9,,,10,11", points.Account{Holder: h, Earned: 1, Active: 2, Pending: 3, Spent: 4, Expired: 5, Reversed: 6,
			Transferred: 7, Debited: 8, Debt: 9, CapEarned: 10, Entries: 11}},
		{"0,-2,0,0,0,0,0,0,9223372036854775807," + strconv.FormatInt(due.UnixMicro(), 10) + "," + strconv.FormatInt(period.UnixMicro(), 10) + ",0,0",
			points.Account{Holder: h, Active: -2, Debt: 9223372036854775807, NextDue: due, CapPeriod: period}},
		{"0,0,0,0,0,0,0,0,0,," + strconv.FormatInt(period.UnixMicro(), 10) + ",0,0", points.Account{Holder: h, CapPeriod: period}},
	}
	for _, c := range good {
		got, err := pointsParseAccount(h, c.row)
		checkDiff(t, c.row, c.want, got, err)
	}
	for _, row := range []string{"", "1,2,3", "1,2,3,4,5,6,7,8,9,,,10,11,12", "1,2,3,4,5,6,7,8,x,,,10,11", "1,2,3,4,5,6,7,8,9,,,10,",
		",2,3,4,5,6,7,8,9,,,10,11", "1,2,3,4,5,6,7,8,99999999999999999999,,,10,11"} {
		if a, err := pointsParseAccount(h, row); err == nil {
			t.Errorf("pointsParseAccount(%q) = %+v, want an error", row, a)
		}
	}
}
