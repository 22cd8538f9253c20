package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/promo/promotest"
	"github.com/shopspring/decimal"
)

// promoTables are the tables of migrations 0002_promo and 0007_promo_revocations that hold data.
var promoTables = []string{"promo_definitions", "promo_codes", "promo_usage", "promo_reservations", "promo_batches", "promo_revocations"}

func TestPromoStoreConformance(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		if raceEnabled {
			// The state machine makes some 100,000 statements in its 100 checks: more
			// than a minute under the race detector, which slows the pure-Go SQLite
			// down some thirty times. Without -race it runs all 100.
			fewerRapidChecks(t, map[Dialect]int{SQLite: 10, Postgres: 25}[d.dialect])
		}
		db := openMigratedDB(t, d)
		// Every store the suite asks for is the same database emptied: the suite uses one
		// store at a time, and the rapid state machine asks for a fresh one per run.
		promotest.Run(t, func(t *testing.T) promo.Store {
			emptyTables(t, db, promoTables)
			return NewPromoStore(db, d.dialect)
		})
	})
}

var (
	promoCtx = context.Background()
	promoT0  = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	promoRUB = loyalty.MustCurrency("RUB")
)

// promoDef is a shareable 30 % definition with the given limits.
func promoDef(id string, limits promo.Limits) promo.Definition {
	return promo.Definition{ID: promo.DefinitionID(id), Kind: promo.Shareable,
		Benefit: promo.Benefit{Percent: decimal.NewFromInt(30)}, Limits: limits}
}

// promoRequest asks to use code for a one-line order of account under key.
func promoRequest(key, code, account string) promo.Request {
	return promo.Request{Key: loyalty.IdempotencyKey(key), Code: code, Checkout: promo.Checkout{Order: loyalty.Order{
		ID: loyalty.OrderID("o-" + key), Account: loyalty.AccountID(account), Currency: promoRUB, PlacedAt: promoT0,
		Lines: []loyalty.Line{{SKU: "beans", Quantity: loyalty.MustQuantity("2"), UnitPrice: loyalty.MustPrice("6000", "RUB")}}}}}
}

// TestPromoStoreOddButValidInput stores values full of SQL metacharacters, quotes,
// backslashes, LIKE wildcards, non-ASCII text, NUL bytes where JSON carries them, keys of
// the greatest accepted length and a megabyte-long order ID, and reads them back exactly.
func TestPromoStoreOddButValidInput(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewPromoStore(db, d.dialect)
		long := func(c byte) string { return strings.Repeat(string(c), MaxPromoKeyBytes) }
		nasty := []string{
			`x'); DROP TABLE promo_codes; --`,
			`' OR '1'='1`,
			`"; DELETE FROM promo_usage WHERE ''='`,
			`back\slash \' \" %_ * ? $1 :name @p ; -- /* */`,
			"скидка ☕ 🎉 ＳＫＩＤＫＡ",
			long('k'),
		}
		for i, v := range nasty {
			def := promoDef(v, promo.Limits{Total: 3})
			def.Conditions.Include.Tags = []string{v, "nul\x00inside JSON"}
			def.Benefit = promo.Benefit{Ref: v}
			code := promo.Code{Code: v, Definition: def.ID, Account: loyalty.AccountID(v), IssuedTo: loyalty.AccountID(v),
				Valid: promo.Window{From: promoT0, Until: promoT0.Add(time.Hour)}, IssuedAt: promoT0, RevokedAt: promoT0, RevokedReason: v}
			rev := promo.Revocation{Key: loyalty.IdempotencyKey(v), Code: v, Definition: def.ID, Reason: v, At: promoT0, Earlier: i%2 == 0}
			counter := promo.Counter{Definition: def.ID, Code: v, Account: loyalty.AccountID(v), Period: long('p')}
			res := promo.Reservation{Key: loyalty.IdempotencyKey(v), State: promo.Reserved, Account: loyalty.AccountID(v),
				Order:    loyalty.OrderID(v + strings.Repeat("o", 1<<20)),
				Grant:    promo.Grant{Code: v, Definition: def.ID, Promotion: loyalty.CampaignID(v), Benefit: def.Benefit, Eligible: loyalty.Zero(promoRUB)},
				Counters: []promo.Counter{counter}, ReservedAt: promoT0, ExpiresAt: promoT0}
			batch := promo.Batch{Key: loyalty.IdempotencyKey(v), Definition: def.ID, Request: v, Codes: []string{v}, IssuedTo: []loyalty.AccountID{loyalty.AccountID(v)}}
			if err := s.Update(promoCtx, func(tx promo.Tx) error {
				return errors.Join(tx.PutDefinition(def), tx.InsertCode(code), tx.AddUsage(counter, i+1), tx.PutReservation(res), tx.InsertBatch(batch),
					tx.InsertRevocation(rev))
			}); err != nil {
				t.Fatalf("value %d: %v", i, err)
			}
			if err := s.View(promoCtx, func(tx promo.ReadTx) error {
				gotDef, err := tx.Definition(def.ID)
				checkDiff(t, "Definition", def, gotDef, err)
				gotCode, err := tx.Code(v)
				checkDiff(t, "Code", code, gotCode, err)
				n, err := tx.Usage(counter)
				checkDiff(t, "Usage", i+1, n, err)
				gotRes, err := tx.Reservation(res.Key)
				checkDiff(t, "Reservation", res, gotRes, err)
				expired, err := tx.ExpiredReservations(def.ID, promoT0)
				checkDiff(t, "ExpiredReservations", []promo.Reservation{res}, expired, err)
				gotBatch, err := tx.Batch(batch.Key)
				checkDiff(t, "Batch", batch, gotBatch, err)
				gotRev, err := tx.Revocation(rev.Key)
				checkDiff(t, "Revocation", rev, gotRev, err)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, table := range promoTables {
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != len(nasty) {
				t.Errorf("%s holds %d rows (%v), want %d", table, n, err, len(nasty))
			}
		}
	})
}

// TestPromoStoreRefusesUnstorableInput refuses, on both databases alike and before any
// statement, what one of them could not store or index: invalid UTF-8, NUL bytes in text
// columns, keys longer than MaxPromoKeyBytes, times outside the years 1 to 9999. A refused
// write fails its whole transaction and leaves the store as it was, and a read of such a
// key finds nothing.
func TestPromoStoreRefusesUnstorableInput(t *testing.T) {
	tooLong := strings.Repeat("k", MaxPromoKeyBytes+1)
	badUTF8 := "bad\xff\xfeutf8"
	okDef := promoDef("ok", promo.Limits{})
	okCode := promo.Code{Code: "OK", Definition: "ok"}
	okRes := promo.Reservation{Key: "ok", State: promo.Reserved, Grant: promo.Grant{Code: "OK", Definition: "ok"},
		Counters: []promo.Counter{{Definition: "ok"}}, ReservedAt: promoT0, ExpiresAt: promoT0.Add(time.Minute)}
	okBatch := promo.Batch{Key: "ok", Definition: "ok", Codes: []string{"OK"}, IssuedTo: []loyalty.AccountID{""}}
	withDef := func(f func(*promo.Definition)) func(tx promo.Tx) error {
		d := promoDef("ok", promo.Limits{})
		f(&d)
		return func(tx promo.Tx) error { return tx.PutDefinition(d) }
	}
	withCode := func(f func(*promo.Code)) func(tx promo.Tx) error {
		c := okCode
		f(&c)
		return func(tx promo.Tx) error { return tx.InsertCode(c) }
	}
	withRes := func(f func(*promo.Reservation)) func(tx promo.Tx) error {
		r := okRes
		r.Counters = slices.Clone(okRes.Counters)
		f(&r)
		return func(tx promo.Tx) error { return tx.PutReservation(r) }
	}
	withBatch := func(f func(*promo.Batch)) func(tx promo.Tx) error {
		b := okBatch
		b.Codes = slices.Clone(okBatch.Codes)
		f(&b)
		return func(tx promo.Tx) error { return tx.InsertBatch(b) }
	}
	tests := []struct {
		name  string
		write func(tx promo.Tx) error
		field string // the field the error names
	}{
		{"definition id too long", withDef(func(d *promo.Definition) { d.ID = promo.DefinitionID(tooLong) }), "id"},
		{"definition id invalid UTF-8", withDef(func(d *promo.Definition) { d.ID = promo.DefinitionID(badUTF8) }), "id"},
		{"definition id with NUL", withDef(func(d *promo.Definition) { d.ID = "a\x00b" }), "id"},
		{"definition tag invalid UTF-8", withDef(func(d *promo.Definition) { d.Conditions.Include.Tags = []string{"x", badUTF8} }), "conditions.include.tags[1]"},
		{"definition window after 9999", withDef(func(d *promo.Definition) {
			d.Conditions.Valid.Until = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		}), ""},
		{"code too long", withCode(func(c *promo.Code) { c.Code = tooLong }), "code"},
		{"code invalid UTF-8", withCode(func(c *promo.Code) { c.Code = badUTF8 }), "code"},
		{"code account with NUL", withCode(func(c *promo.Code) { c.Account = "a\x00" }), "account"},
		{"code issued to invalid UTF-8", withCode(func(c *promo.Code) { c.IssuedTo = loyalty.AccountID(badUTF8) }), "issued_to"},
		{"code valid until year 10000", withCode(func(c *promo.Code) { c.Valid.Until = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), "valid.until"},
		{"code valid from before year 1", withCode(func(c *promo.Code) { c.Valid.From = time.Time{}.Add(-time.Hour) }), "valid.from"},
		{"reservation key too long", withRes(func(r *promo.Reservation) { r.Key = loyalty.IdempotencyKey(tooLong) }), "key"},
		{"reservation order invalid UTF-8", withRes(func(r *promo.Reservation) { r.Order = loyalty.OrderID(badUTF8) }), "order"},
		{"reservation order with NUL", withRes(func(r *promo.Reservation) { r.Order = "o\x00" }), "order"},
		{"reservation benefit ref invalid UTF-8", withRes(func(r *promo.Reservation) { r.Grant.Benefit.Ref = badUTF8 }), "grant.benefit.ref"},
		{"reservation counter period too long", withRes(func(r *promo.Reservation) { r.Counters[0].Period = tooLong }), "counters[0].period"},
		{"reservation expiry year 10000", withRes(func(r *promo.Reservation) { r.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), "expires_at"},
		{"batch key invalid UTF-8", withBatch(func(b *promo.Batch) { b.Key = loyalty.IdempotencyKey(badUTF8) }), "key"},
		{"batch code invalid UTF-8", withBatch(func(b *promo.Batch) { b.Codes[0] = badUTF8 }), "codes[0]"},
		{"code revoked at year 10000", withCode(func(c *promo.Code) { c.RevokedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), "revoked_at"},
		{"code revoked reason with NUL", withCode(func(c *promo.Code) { c.RevokedReason = "r\x00" }), "revoked_reason"},
		{"updated code reason invalid UTF-8", func(tx promo.Tx) error {
			return tx.UpdateCode(promo.Code{Code: "OK", Definition: "ok", RevokedAt: promoT0, RevokedReason: badUTF8})
		}, "revoked_reason"},
		{"revocation key too long", func(tx promo.Tx) error {
			return tx.InsertRevocation(promo.Revocation{Key: loyalty.IdempotencyKey(tooLong), Code: "OK", Definition: "ok", Reason: "r", At: promoT0})
		}, "key"},
		{"revocation reason invalid UTF-8", func(tx promo.Tx) error {
			return tx.InsertRevocation(promo.Revocation{Key: "rk", Code: "OK", Definition: "ok", Reason: badUTF8, At: promoT0})
		}, "reason"},
		{"usage counter account too long", func(tx promo.Tx) error {
			return tx.AddUsage(promo.Counter{Definition: "ok", Account: loyalty.AccountID(tooLong)}, 1)
		}, "account"},
		{"usage counter code invalid UTF-8", func(tx promo.Tx) error { return tx.AddUsage(promo.Counter{Definition: "ok", Code: badUTF8}, -1) }, "code"},
	}
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewPromoStore(openMigratedDB(t, d), d.dialect)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := s.Update(promoCtx, func(tx promo.Tx) error {
					// A good write first: the refusal must undo it.
					if err := errors.Join(tx.PutDefinition(okDef), tx.InsertCode(okCode), tx.PutReservation(okRes),
						tx.InsertBatch(okBatch), tx.AddUsage(promo.Counter{Definition: "ok"}, 1)); err != nil {
						return fmt.Errorf("good write: %w", err)
					}
					return tc.write(tx)
				})
				var fe *loyalty.FieldError
				if !errors.Is(err, loyalty.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tc.field {
					t.Fatalf("Update = %v; want a field error wrapping ErrInvalid naming %q", err, tc.field)
				}
				if !strings.HasPrefix(err.Error(), "sqlstore: promo: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				promoCheckEmpty(t, s)
			})
		}
		// Reads of keys that cannot be stored find nothing.
		for _, key := range []string{tooLong, badUTF8, "nul\x00"} {
			if err := s.View(promoCtx, func(tx promo.ReadTx) error {
				_, errDef := tx.Definition(promo.DefinitionID(key))
				_, errCode := tx.Code(key)
				_, errRes := tx.Reservation(loyalty.IdempotencyKey(key))
				_, errBatch := tx.Batch(loyalty.IdempotencyKey(key))
				_, errRev := tx.Revocation(loyalty.IdempotencyKey(key))
				for _, err := range []error{errDef, errCode, errRes, errBatch, errRev} {
					if !errors.Is(err, loyalty.ErrNotFound) {
						t.Errorf("read of %q = %v, want ErrNotFound", quote(key), err)
					}
				}
				n, err := tx.Usage(promo.Counter{Definition: promo.DefinitionID(key), Account: loyalty.AccountID(key)})
				checkDiff(t, "Usage", 0, n, err)
				rs, err := tx.ExpiredReservations(promo.DefinitionID(key), promoT0)
				checkDiff(t, "ExpiredReservations", 0, len(rs), err)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// promoCheckEmpty fails unless every promo table is empty.
func promoCheckEmpty(t *testing.T, s *PromoStore) {
	t.Helper()
	if err := s.View(promoCtx, func(tx promo.ReadTx) error {
		q := tx.(promoTx).q
		for _, table := range promoTables {
			var n int
			if err := q.QueryRowContext(promoCtx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				return err
			}
			if n != 0 {
				t.Errorf("%s holds %d rows after a failed update", table, n)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPromoStoreTimesToTheMicrosecond: times are kept in UTC to the microsecond, and a
// reservation expires at its stored (truncated) expiry, consistently in
// ExpiredReservations and Reservation.Holds.
func TestPromoStoreTimesToTheMicrosecond(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewPromoStore(openMigratedDB(t, d), d.dialect)
		moscow := time.FixedZone("MSK", 3*60*60)
		exp := time.Date(2026, 11, 20, 15, 0, 0, 123456789, moscow)
		r := promo.Reservation{Key: "k", State: promo.Reserved, Grant: promo.Grant{Code: "C", Definition: "d"},
			ReservedAt: exp.Add(-time.Minute), ExpiresAt: exp}
		if err := s.Update(promoCtx, func(tx promo.Tx) error { return tx.PutReservation(r) }); err != nil {
			t.Fatal(err)
		}
		stored := exp.Truncate(time.Microsecond) // 15:00:00.123456 MSK
		if err := s.View(promoCtx, func(tx promo.ReadTx) error {
			got, err := tx.Reservation("k")
			if err != nil {
				return err
			}
			if !got.ExpiresAt.Equal(stored) || got.ExpiresAt.Location() != time.UTC {
				t.Errorf("ExpiresAt = %v, want %v in UTC", got.ExpiresAt, stored)
			}
			for _, tc := range []struct {
				now  time.Time
				want int
			}{{stored.Add(-time.Nanosecond), 0}, {stored, 1}, {exp, 1}} {
				rs, err := tx.ExpiredReservations("d", tc.now)
				if err != nil {
					return err
				}
				if len(rs) != tc.want || got.Holds(tc.now) != (tc.want == 0) {
					t.Errorf("at %v: %d expired, Holds = %v; want %d", tc.now.Format(time.RFC3339Nano), len(rs), got.Holds(tc.now), tc.want)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPromoWriteLockOrdersWriters checks on PostgreSQL that a promo write transaction
// that has to wait for another one reads what that one committed: the write lock is taken
// before the snapshot, so the waiting writer neither reads a stale count nor fails and
// runs again.
func TestPromoWriteLockOrdersWriters(t *testing.T) {
	d := postgresDB(t)
	db := openMigratedDB(t, d)
	s := NewPromoStore(db, d.dialect)
	c := promo.Counter{Definition: "d"}
	locked, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Update(promoCtx, func(tx promo.Tx) error {
			if _, err := tx.Usage(c); err != nil {
				return err
			}
			close(locked)
			<-release
			return tx.AddUsage(c, 1)
		})
	}()
	<-locked
	var attempts, seen int
	second := make(chan error, 1)
	go func() {
		second <- s.Update(promoCtx, func(tx promo.Tx) error {
			attempts++
			n, err := tx.Usage(c)
			seen = n
			if err != nil {
				return err
			}
			return tx.AddUsage(c, 1)
		})
	}()
	// Wait until the second writer queues for the lock.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pg_locks WHERE relation = 'promo_write_lock'::regclass AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second writer never waited for the write lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if err := errors.Join(<-first, <-second); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || seen != 1 {
		t.Errorf("the waiting writer ran %d times and read %d, want once and 1", attempts, seen)
	}
	if err := s.View(promoCtx, func(tx promo.ReadTx) error {
		n, err := tx.Usage(c)
		checkDiff(t, "Usage", 2, n, err)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPromoStoreInCallersTransaction: with a caller's transaction, promo writes commit or
// roll back with the caller's own.
func TestPromoStoreInCallersTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		for _, commit := range []bool{false, true} {
			tx, err := db.BeginTx(promoCtx, nil)
			if err != nil {
				t.Fatal(err)
			}
			svc, err := promo.New(promo.Config{Store: NewPromoStore(tx, d.dialect), Clock: loyalty.NewManualClock(promoT0)})
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Define(promoCtx, promoDef("d", promo.Limits{Total: 1})); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.AddCode(promoCtx, promo.Code{Code: "SKIDKA30", Definition: "d"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.RedeemNow(promoCtx, promoRequest("k", "skidka-30", "a")); err != nil {
				t.Fatal(err)
			}
			if n, err := svc.Usage(promoCtx, promo.Counter{Definition: "d"}); n != 1 || err != nil {
				t.Errorf("Usage inside the transaction = %d, %v; want 1", n, err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]int{false: 0, true: 1}[commit]
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM promo_reservations`).Scan(&n); err != nil || n != want {
				t.Errorf("commit=%v: %d reservations (%v), want %d", commit, n, err, want)
			}
		}
	})
}

// The multi-process tests run this test binary again as child processes, which run only
// TestPromoChildProcess with these variables set.
const (
	promoChildMode    = "PROMO_CHILD_MODE"    // "rush" or "crash"
	promoChildDialect = "PROMO_CHILD_DIALECT" // "postgres" or "sqlite"
	promoChildTarget  = "PROMO_CHILD_TARGET"  // the DSN (with the test's search_path) or the SQLite file
	promoChildID      = "PROMO_CHILD_ID"      // distinguishes the children's idempotency keys
	promoChildUses    = "PROMO_CHILD_USES"    // rush: how many uses to attempt
	promoChildLine    = "promo-child:"        // prefix of the lines a child reports on
)

// TestPromoChildProcess is the body of a child process of the multi-process tests; run
// directly (without PROMO_CHILD_MODE) it does nothing. A child waits for a line on its
// standard input so that all children start together. In "rush" mode it attempts
// PROMO_CHILD_USES uses of the code RUSH from two goroutines and reports how many were
// redeemed and refused; in "crash" mode it redeems the code CRASH under new keys until it
// is killed, reporting each key before its attempt.
func TestPromoChildProcess(t *testing.T) {
	mode := os.Getenv(promoChildMode)
	if mode == "" {
		return
	}
	db, dialect := openChildDB(t, promoChildDialect, os.Getenv(promoChildTarget))
	svc, err := promo.New(promo.Config{Store: NewPromoStore(db, dialect)})
	if err != nil {
		t.Fatal(err)
	}
	id := os.Getenv(promoChildID)
	waitForStart(t)
	switch mode {
	case "rush":
		uses, err := strconv.Atoi(os.Getenv(promoChildUses))
		if err != nil {
			t.Fatal(err)
		}
		var redeemed, refused atomic.Int64
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < uses; i += 2 {
					req := promoRequest(fmt.Sprintf("rush-%s-%d", id, i), "RUSH", "a-"+id)
					var err error
					if i%2 == 0 {
						_, err = svc.RedeemNow(promoCtx, req)
					} else if _, err = svc.Reserve(promoCtx, req); err == nil {
						_, err = svc.Redeem(promoCtx, req.Key)
					}
					switch {
					case err == nil:
						redeemed.Add(1)
					case errors.Is(err, promo.ErrExhausted):
						refused.Add(1)
					default:
						t.Errorf("use %d: %v", i, err)
					}
				}
			}()
		}
		wg.Wait()
		fmt.Printf("%s redeemed=%d refused=%d\n", promoChildLine, redeemed.Load(), refused.Load())
	case "crash":
		for i := 0; ; i++ {
			key := fmt.Sprintf("crash-%s-%d", id, i)
			fmt.Printf("%s %s\n", promoChildLine, key)
			if _, err := svc.RedeemNow(promoCtx, promoRequest(key, "CRASH", "a-"+id)); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
		}
	default:
		t.Fatalf("unknown %s %q", promoChildMode, mode)
	}
}

// promoChildren starts n child processes in mode against the database of db and d, waits
// until all have started, and lets them go together. The children are killed when the
// test ends.
func promoChildren(t *testing.T, db *sql.DB, d testDB, mode string, n int, env ...string) []*childProcess {
	t.Helper()
	target := childTarget(t, db, d)
	return startChildren(t, "TestPromoChildProcess", promoChildLine, n, func(i int) []string {
		return append([]string{promoChildMode + "=" + mode, promoChildDialect + "=" + d.dialect.String(),
			promoChildTarget + "=" + target, promoChildID + "=" + strconv.Itoa(i)}, env...)
	})
}

// promoService returns a service over a PromoStore on db with the system clock.
func promoService(t *testing.T, db *sql.DB, d testDB) *promo.Service {
	t.Helper()
	svc, err := promo.New(promo.Config{Store: NewPromoStore(db, d.dialect)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestPromoMultiProcessRedeem: separate OS processes, each with its own connections, race
// to use one code with a total limit; exactly the limit's number of uses succeed, the
// others are refused, and the stored counts and uses agree.
func TestPromoMultiProcessRedeem(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		const procs, uses, limit = 6, 10, 23
		db := openMigratedDB(t, d)
		svc := promoService(t, db, d)
		if err := svc.Define(promoCtx, promoDef("rush", promo.Limits{Total: limit})); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddCode(promoCtx, promo.Code{Code: "RUSH", Definition: "rush"}); err != nil {
			t.Fatal(err)
		}
		redeemed, refused := 0, 0
		for _, c := range promoChildren(t, db, d, "rush", procs, promoChildUses+"="+strconv.Itoa(uses)) {
			lines := c.wait(t)
			var r, f int
			if len(lines) != 1 {
				t.Fatalf("child reported %q", lines)
			}
			if _, err := fmt.Sscanf(lines[0], "redeemed=%d refused=%d", &r, &f); err != nil {
				t.Fatalf("child reported %q: %v", lines[0], err)
			}
			redeemed, refused = redeemed+r, refused+f
		}
		if redeemed != limit || refused != procs*uses-limit {
			t.Errorf("%d uses redeemed and %d refused; want %d and %d", redeemed, refused, limit, procs*uses-limit)
		}
		if n, err := svc.Usage(promoCtx, promo.Counter{Definition: "rush"}); n != limit || err != nil {
			t.Errorf("Usage = %d, %v; want %d", n, err, limit)
		}
		var rows int
		if err := db.QueryRow(`SELECT COUNT(*) FROM promo_reservations WHERE state = 'redeemed'`).Scan(&rows); err != nil || rows != limit {
			t.Errorf("%d redeemed uses stored (%v), want %d", rows, err, limit)
		}
	})
}

// TestPromoMultiProcessCrash kills a process with SIGKILL while it redeems a code in a
// loop: every use it started is afterwards either wholly stored (the use and all its
// counts) or not at all, and redeeming again under the same keys completes each exactly
// once.
func TestPromoMultiProcessCrash(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		svc := promoService(t, db, d)
		if err := svc.Define(promoCtx, promoDef("crash", promo.Limits{})); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddCode(promoCtx, promo.Code{Code: "CRASH", Definition: "crash"}); err != nil {
			t.Fatal(err)
		}
		children := promoChildren(t, db, d, "crash", 2)
		var keys []string
		for len(keys) < 40 { // let them run a while
			select {
			case line, ok := <-children[0].lines:
				if !ok {
					t.Fatal(children[0].wait(t))
				}
				keys = append(keys, line)
			case line, ok := <-children[1].lines:
				if !ok {
					t.Fatal(children[1].wait(t))
				}
				keys = append(keys, line)
			}
		}
		for _, c := range children {
			if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range children {
			for line := range c.lines { // the keys reported before the signal landed
				keys = append(keys, line)
			}
			if err := c.cmd.Wait(); err == nil {
				t.Fatal("a killed child process succeeded")
			}
		}
		// Every count equals the uses stored.
		consistent := func(want int) int {
			t.Helper()
			var stored int
			if err := db.QueryRow(`SELECT COUNT(*) FROM promo_reservations WHERE state = 'redeemed'`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if want >= 0 && stored != want {
				t.Errorf("%d uses stored, want %d", stored, want)
			}
			for _, c := range []promo.Counter{{Definition: "crash"}, {Definition: "crash", Code: "CRASH"}} {
				if n, err := svc.Usage(promoCtx, c); n != stored || err != nil {
					t.Errorf("Usage(%+v) = %d, %v; %d uses stored", c, n, err, stored)
				}
			}
			var accounts int
			if err := db.QueryRow(`SELECT COALESCE(SUM(n), 0) FROM promo_usage WHERE account <> ''`).Scan(&accounts); err != nil || accounts != stored {
				t.Errorf("per-account counts sum to %d (%v); %d uses stored", accounts, err, stored)
			}
			return stored
		}
		before := consistent(-1)
		t.Logf("%d uses started, %d stored when the processes were killed", len(keys), before)
		for _, key := range keys {
			child, _, _ := strings.Cut(strings.TrimPrefix(key, "crash-"), "-")
			r, err := svc.RedeemNow(promoCtx, promoRequest(key, "CRASH", "a-"+child))
			if err != nil || r.State != promo.Redeemed {
				t.Fatalf("redeeming %s again: %+v, %v", key, r, err)
			}
		}
		consistent(len(keys))
	})
}

// BenchmarkPostgresRedeemCode redeems one shareable code (with total and per-account
// limits, so every use reads and writes the hot counters) under new keys from about 8
// parallel clients, each use one serializable transaction.
func BenchmarkPostgresRedeemCode(b *testing.B) { benchmarkPromoRedeemCode(b, postgresDB(b)) }

// BenchmarkSQLiteRedeemCode is BenchmarkPostgresRedeemCode on a SQLite file.
func BenchmarkSQLiteRedeemCode(b *testing.B) { benchmarkPromoRedeemCode(b, sqliteDB(b)) }

func benchmarkPromoRedeemCode(b *testing.B, d testDB) {
	db := openMigratedDB(b, d)
	svc, err := promo.New(promo.Config{Store: NewPromoStore(db, d.dialect)})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Define(promoCtx, promoDef("bench", promo.Limits{Total: math.MaxInt32, PerAccount: math.MaxInt32})); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.AddCode(promoCtx, promo.Code{Code: "SKIDKA30", Definition: "bench"}); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	parallelClients(b, db)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			req := promoRequest("bench-"+strconv.FormatInt(i, 10), "SKIDKA30", "a-"+strconv.FormatInt(i%100, 10))
			if _, err := svc.RedeemNow(promoCtx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "redeems/s")
}

// TestPromoStoreRefusalsKeepTheTransactionUsable: a refused write (a code or batch that
// exists, a count that would go negative or overflow) fails only that call, as in the
// memory store; on PostgreSQL, where a failed statement aborts the whole transaction,
// none of them may reach the database as a failing statement.
func TestPromoStoreRefusalsKeepTheTransactionUsable(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewPromoStore(db, d.dialect)
		c := promo.Counter{Definition: "d", Account: "a"}
		if err := s.Update(promoCtx, func(tx promo.Tx) error {
			return errors.Join(tx.InsertCode(promo.Code{Code: "C", Definition: "d"}), tx.InsertBatch(promo.Batch{Key: "b"}),
				tx.AddUsage(c, math.MaxInt))
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(promoCtx, func(tx promo.Tx) error {
			for _, tc := range []struct {
				what string
				err  error
				want error
			}{
				{"InsertCode of an existing code", tx.InsertCode(promo.Code{Code: "C", Definition: "other"}), loyalty.ErrConflict},
				{"InsertBatch of an existing key", tx.InsertBatch(promo.Batch{Key: "b", Definition: "other"}), loyalty.ErrConflict},
				{"AddUsage past the largest count", tx.AddUsage(c, 1), loyalty.ErrOverflow},
				{"AddUsage of the most negative int", tx.AddUsage(c, math.MinInt), loyalty.ErrConflict},
				{"AddUsage below zero", tx.AddUsage(promo.Counter{Definition: "d"}, -1), loyalty.ErrConflict},
				{"AddUsage to zero", tx.AddUsage(c, -math.MaxInt), nil},
				{"AddUsage below zero again", tx.AddUsage(c, -1), loyalty.ErrConflict},
				{"AddUsage of nothing", tx.AddUsage(c, 0), nil},
				{"AddUsage after the refusals", tx.AddUsage(c, 2), nil},
			} {
				if !errors.Is(tc.err, tc.want) || (tc.want == nil) != (tc.err == nil) {
					t.Errorf("%s = %v, want %v", tc.what, tc.err, tc.want)
				}
			}
			return tx.InsertCode(promo.Code{Code: "D", Definition: "d"})
		}); err != nil {
			t.Fatalf("the transaction failed after refused writes: %v", err)
		}
		if err := s.View(promoCtx, func(tx promo.ReadTx) error {
			n, err := tx.Usage(c)
			checkDiff(t, "Usage", 2, n, err)
			code, err := tx.Code("C")
			checkDiff(t, "Code", promo.Code{Code: "C", Definition: "d"}, code, err)
			if _, err := tx.Code("D"); err != nil {
				t.Errorf("the code written after the refusals: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// The database itself refuses a negative count.
		if _, err := db.Exec(`UPDATE promo_usage SET n = -1`); err == nil {
			t.Error("the database stored a negative count")
		}
	})
}
