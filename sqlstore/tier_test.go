package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"

	"github.com/loyaltykit/loyalty/tier"
	"github.com/loyaltykit/loyalty/tier/tiertest"
)

// tierTables are the tables of migration 0005_tier that hold data.
var tierTables = []string{"tier_accounts", "tier_changes", "tier_receipts", "tier_state"}

// tierRaceChecks is how many cases the conformance suite's rapid state machine runs under
// the race detector, unless -rapid.checks or RAPID_CHECKS says otherwise: each of its steps
// reads every account back, which the detector slows some twentyfold on SQLite (C
// translated to Go). Without -race the state machine runs its 100 cases.
const tierRaceChecks = 2

func TestTierStoreConformance(t *testing.T) {
	if raceEnabled {
		fewerRapidChecks(t, tierRaceChecks)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		// Every store the suite asks for is the same store emptied: the suite uses one
		// store at a time, and the rapid state machine asks for a fresh one per run.
		s := NewTierStore(db, d.dialect)
		tiertest.Run(t, func(t *testing.T) tier.Store {
			emptyTables(t, db, tierTables)
			return s
		})
	})
}

var (
	tierCtx = context.Background()
	tierMSK = time.FixedZone("MSK", 3*3600)
)

// fullTierAccount returns an account with every field set, times with nanoseconds in a zone
// other than UTC.
func fullTierAccount(id loyalty.AccountID) tier.Account {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, tierMSK)
	return tier.Account{
		ID:       id,
		Enrolled: at.AddDate(-1, 0, 0).Add(7),
		Status: tier.Status{
			Level: 2, Since: at.Add(1), Reviewed: at.Add(time.Hour + 2),
			Grace:      &tier.Grace{Until: at.AddDate(0, 1, 0).Add(3), To: 1},
			Override:   &tier.Override{Level: 3, From: at.Add(4), Until: at.AddDate(1, 0, 0).Add(5), Reason: "contract № 7, 'signed'"},
			Membership: &tier.Membership{Level: 1, From: at.Add(6), Until: at.AddDate(0, 6, 0).Add(999), Fee: loyalty.MustMoney("250.50", "USD")},
		},
		History: tier.History{{Day: tier.DayOf(at.AddDate(0, -2, 0)), Units: 150000}, {Day: tier.DayOf(at), Units: -5000}, {Day: -3, Units: math.MaxInt64}},
	}
}

// TestTierStoreKeepsEveryField round-trips an account, its changes, a receipt and the last
// batch review time with every field set: if a field is added to one of the types, the test
// fails until the store keeps it. Times come back as the same instants, to the nanosecond,
// in UTC.
func TestTierStoreKeepsEveryField(t *testing.T) {
	a := fullTierAccount("acme")
	at := a.Status.Reviewed
	changes := []tier.Change{
		{Account: "acme", At: at, Kind: tier.Upgraded, From: 1, To: 2, Earned: 2,
			Qualifying: tier.Amount{Spend: loyalty.MustMoney("5000.01", "RUB"), Volume: loyalty.MustQuantity("12.345678"), Count: 9}},
		{Account: "acme", At: at.Add(time.Nanosecond), Kind: tier.OverrideSet, From: 2, To: 3, Earned: 2},
		{Account: "other", At: time.Time{}, Kind: tier.Downgraded, From: 1, To: -1, Earned: math.MinInt32,
			Qualifying: tier.Amount{Volume: loyalty.QuantityFromMicros(-1)}},
	}
	r := tier.Receipt{Payload: "record|acme|…", Account: "acme", Status: a.Status}
	last := at.Add(-999)
	var zero []string
	zero = append(zero, zeroFields("Account", reflect.ValueOf(a))...)
	zero = append(zero, zeroFields("Change", reflect.ValueOf(changes[0]))...)
	zero = append(zero, zeroFields("Receipt", reflect.ValueOf(r))...)
	for _, p := range []any{*a.Status.Grace, *a.Status.Override, *a.Status.Membership} {
		zero = append(zero, zeroFields(reflect.TypeOf(p).Name(), reflect.ValueOf(p))...)
	}
	if len(zero) > 0 {
		t.Fatalf("the test values leave fields unset (set them, and store them): %v", zero)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewTierStore(openMigratedDB(t, d), d.dialect)
		if err := s.Update(tierCtx, func(tx tier.Tx) error {
			return errors.Join(tx.PutAccount(a), tx.AppendChanges(changes[:2]...), tx.AppendChanges(changes[2]),
				tx.PutReceipt("k", r), tx.PutReceipt("bare", tier.Receipt{}), tx.SetLastBatchReview(last))
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.View(tierCtx, func(tx tier.ReadTx) error {
			got, err := tx.Account("acme")
			if err != nil {
				return err
			}
			if diff := cmp.Diff(a, got); diff != "" {
				t.Errorf("account (-want +got):\n%s", diff)
			}
			for _, tm := range []time.Time{got.Enrolled, got.Status.Since, got.Status.Override.Until} {
				if tm.Location() != time.UTC {
					t.Errorf("time read back in %v, want UTC", tm.Location())
				}
			}
			for _, id := range []loyalty.AccountID{"acme", "other"} {
				var want []tier.Change
				for _, c := range changes {
					if c.Account == id {
						want = append(want, c)
					}
				}
				got, err := tx.Changes(id)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("changes of %s (-want +got):\n%s", id, diff)
				}
			}
			if got, ok, err := tx.Receipt("k"); err != nil || !ok {
				t.Errorf("Receipt(k) = %v, %v", ok, err)
			} else if diff := cmp.Diff(r, got); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
			if got, ok, err := tx.Receipt("bare"); err != nil || !ok {
				t.Errorf("Receipt(bare) = %v, %v", ok, err)
			} else if diff := cmp.Diff(tier.Receipt{}, got); diff != "" || !got.Status.Since.IsZero() {
				t.Errorf("empty receipt (-want +got):\n%s", diff)
			}
			if got, err := tx.LastBatchReview(); err != nil || !got.Equal(last) {
				t.Errorf("LastBatchReview = %v, %v; want %v", got, err, last)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTierStoreSeesItsOwnWrites checks that an Update reads what it wrote before (writes are
// sent to the database in batches), that the last of several writes of one account wins,
// and that changes appended in several calls and transactions keep their order.
func TestTierStoreSeesItsOwnWrites(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewTierStore(openMigratedDB(t, d), d.dialect)
		a := fullTierAccount("a")
		c := func(n int) tier.Change { return tier.Change{Account: "a", Kind: tier.Upgraded, From: n, To: n + 1} }
		var want []tier.Change
		if err := s.Update(tierCtx, func(tx tier.Tx) error {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
			a.Status.Level = 0 // copied in: the store keeps level 2
			got, err := tx.Account("a")
			if err != nil || got.Status.Level != 2 {
				t.Errorf("Account after PutAccount in the same transaction = level %d, %v", got.Status.Level, err)
			}
			b := fullTierAccount("a")
			b.Status.Level, b.History = 1, nil
			if err := errors.Join(tx.PutAccount(fullTierAccount("b")), tx.PutAccount(b)); err != nil {
				return err
			}
			page, err := tx.Accounts("", 10)
			if err != nil || len(page) != 2 || page[0].Status.Level != 1 || page[0].History != nil {
				t.Errorf("Accounts after two writes of one account = %+v, %v", page, err)
			}
			if err := errors.Join(tx.AppendChanges(c(0), c(1)), tx.AppendChanges(), tx.AppendChanges(c(2))); err != nil {
				return err
			}
			want = append(want, c(0), c(1), c(2))
			got2, err := tx.Changes("a")
			if diff := cmp.Diff(want, got2); err != nil || diff != "" {
				t.Errorf("Changes in the same transaction (-want +got): %v\n%s", err, diff)
			}
			return tx.AppendChanges(c(3))
		}); err != nil {
			t.Fatal(err)
		}
		want = append(want, c(3))
		if err := s.Update(tierCtx, func(tx tier.Tx) error { return tx.AppendChanges(c(4), c(5)) }); err != nil {
			t.Fatal(err)
		}
		want = append(want, c(4), c(5))
		s.View(tierCtx, func(tx tier.ReadTx) error {
			got, err := tx.Changes("a")
			if diff := cmp.Diff(want, got); err != nil || diff != "" {
				t.Errorf("Changes (-want +got): %v\n%s", err, diff)
			}
			acc, err := tx.Account("a")
			if err != nil || acc.Status.Level != 1 {
				t.Errorf("Account = level %d, %v; want the last write", acc.Status.Level, err)
			}
			return nil
		})
	})
}

// TestTierStoreStoresHostileText stores account IDs, keys and reasons made of SQL
// metacharacters, quotes, LIKE wildcards and non-ASCII text: they are data, read back
// exactly, match only themselves, and page in Go's byte order.
func TestTierStoreStoresHostileText(t *testing.T) {
	hostile := []string{
		`x'); DROP TABLE tier_accounts; --`, `' OR '1'='1`, `%`, `_`, `a%b_c`, `\`, `\'`, `"; SELECT 1; --`, `$1`, `?`,
		":name", "@p1", "ünïcødé 参照 🚀", " leading and trailing ", "line\nbreak\ttab", "\u200b", "B", "a", "Ä", "z", "~", "\x7f",
		strings.Repeat("k", MaxTierKeyBytes),
	}
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewTierStore(openMigratedDB(t, d), d.dialect)
		if err := s.Update(tierCtx, func(tx tier.Tx) error {
			var errs []error
			for _, h := range hostile {
				a := fullTierAccount(loyalty.AccountID(h))
				a.Status.Override.Reason = h
				errs = append(errs, tx.PutAccount(a), tx.AppendChanges(tier.Change{Account: a.ID, Kind: tier.ChangeKind(h)}),
					tx.PutReceipt(loyalty.IdempotencyKey(h), tier.Receipt{Payload: h, Account: a.ID}))
			}
			return errors.Join(errs...)
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.View(tierCtx, func(tx tier.ReadTx) error {
			for _, h := range hostile {
				a, err := tx.Account(loyalty.AccountID(h))
				if err != nil || string(a.ID) != h || a.Status.Override.Reason != h {
					t.Errorf("Account(%.20q) = %.20q, %v", h, a.ID, err)
				}
				if ch, err := tx.Changes(loyalty.AccountID(h)); err != nil || len(ch) != 1 || string(ch[0].Kind) != h {
					t.Errorf("Changes(%.20q) = %v, %v", h, ch, err)
				}
				if r, ok, err := tx.Receipt(loyalty.IdempotencyKey(h)); err != nil || !ok || r.Payload != h || string(r.Account) != h {
					t.Errorf("Receipt(%.20q) = %+v, %v, %v", h, r, ok, err)
				}
			}
			for _, miss := range []string{"x", "A", "b", "ab_c", "a%b_", `'`, "%%", strings.Repeat("k", MaxTierKeyBytes-1)} {
				if _, err := tx.Account(loyalty.AccountID(miss)); !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("Account(%q) = %v, want ErrNotFound", miss, err)
				}
				if _, ok, err := tx.Receipt(loyalty.IdempotencyKey(miss)); ok || err != nil {
					t.Errorf("Receipt(%q) = %v, %v; want none", miss, ok, err)
				}
			}
			if err := checkPaging(t, hostile, func(after string, limit int) ([]string, error) {
				page, err := tx.Accounts(loyalty.AccountID(after), limit)
				ids := make([]string, len(page))
				for i, a := range page {
					ids[i] = string(a.ID)
				}
				return ids, err
			}); err != nil {
				return err
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTierStoreRefusesBadText refuses, with an error naming the field and wrapping
// loyalty.ErrInvalid, writes of empty, invalid UTF-8, NUL-holding and over-long IDs and
// keys, bad text and times that cannot be stored; a refused write leaves the store as it
// was, and later statements of the same transaction still work. Reads of such keys find
// nothing.
func TestTierStoreRefusesBadText(t *testing.T) {
	long := strings.Repeat("x", MaxTierKeyBytes+1)
	after9999 := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	acc := func(edit func(a *tier.Account)) func(tx tier.Tx) error {
		return func(tx tier.Tx) error {
			a := fullTierAccount("ok")
			edit(&a)
			return tx.PutAccount(a)
		}
	}
	change := tier.Change{Account: "ok", Kind: tier.Upgraded}
	cases := []struct {
		name  string
		field string
		put   func(tx tier.Tx) error
	}{
		{"empty account ID", "id", acc(func(a *tier.Account) { a.ID = "" })},
		{"invalid UTF-8 account ID", "id", acc(func(a *tier.Account) { a.ID = "bad\xff" })},
		{"NUL in the account ID", "id", acc(func(a *tier.Account) { a.ID = "a\x00b" })},
		{"over-long account ID", "id", acc(func(a *tier.Account) { a.ID = loyalty.AccountID(long) })},
		{"enrolled before the year 1", "enrolled", acc(func(a *tier.Account) { a.Enrolled = time.Time{}.Add(-time.Nanosecond) })},
		{"reviewed after 9999", "status.reviewed", acc(func(a *tier.Account) { a.Status.Reviewed = after9999 })},
		{"grace after 9999", "status.grace.until", acc(func(a *tier.Account) { a.Status.Grace.Until = after9999 })},
		{"override until after 9999", "status.override.until", acc(func(a *tier.Account) { a.Status.Override.Until = after9999 })},
		{"invalid UTF-8 override reason", "status.override.reason", acc(func(a *tier.Account) { a.Status.Override.Reason = "caf\xe9" })},
		{"NUL in the override reason", "status.override.reason", acc(func(a *tier.Account) { a.Status.Override.Reason = "\x00" })},
		{"membership from before the year 1", "status.membership.from", acc(func(a *tier.Account) {
			a.Status.Membership.From = time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)
		})},
		{"invalid UTF-8 change account", "changes[0].account", func(tx tier.Tx) error {
			c := change
			c.Account = "\xfe"
			return tx.AppendChanges(c)
		}},
		{"over-long change account after a good change", "changes[1].account", func(tx tier.Tx) error {
			c := change
			c.Account = loyalty.AccountID(long)
			return tx.AppendChanges(change, c)
		}},
		{"NUL in a change kind", "changes[0].kind", func(tx tier.Tx) error {
			c := change
			c.Kind = "up\x00"
			return tx.AppendChanges(c)
		}},
		{"change after 9999", "changes[0].at", func(tx tier.Tx) error { c := change; c.At = after9999; return tx.AppendChanges(c) }},
		{"empty receipt key", "key", func(tx tier.Tx) error { return tx.PutReceipt("", tier.Receipt{}) }},
		{"over-long receipt key", "key", func(tx tier.Tx) error { return tx.PutReceipt(loyalty.IdempotencyKey(long), tier.Receipt{}) }},
		{"NUL in a receipt payload", "payload", func(tx tier.Tx) error { return tx.PutReceipt("k", tier.Receipt{Payload: "p\x00"}) }},
		{"invalid UTF-8 receipt account", "account", func(tx tier.Tx) error { return tx.PutReceipt("k", tier.Receipt{Account: "\xc3"}) }},
		{"receipt status time", "status.membership.until", func(tx tier.Tx) error {
			return tx.PutReceipt("k", tier.Receipt{Status: tier.Status{Membership: &tier.Membership{Until: after9999}}})
		}},
		{"last batch review after 9999", "at", func(tx tier.Tx) error { return tx.SetLastBatchReview(after9999) }},
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewTierStore(db, d.dialect)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				emptyTables(t, db, tierTables)
				var putErr error
				err := s.Update(tierCtx, func(tx tier.Tx) error {
					putErr = c.put(tx)
					// The transaction is still usable after a refusal.
					return tx.PutReceipt("after", tier.Receipt{Payload: "p"})
				})
				if err != nil {
					t.Fatalf("the transaction broke after a refused write: %v", err)
				}
				var fe *loyalty.FieldError
				if !errors.Is(putErr, loyalty.ErrInvalid) || !errors.As(putErr, &fe) || fe.Field != c.field {
					t.Fatalf("write = %v, want a loyalty.ErrInvalid naming %s", putErr, c.field)
				}
				if len(putErr.Error()) > 600 {
					t.Errorf("error message of %d bytes: %.200s…", len(putErr.Error()), putErr)
				}
				for table, want := range map[string]int{"tier_accounts": 0, "tier_changes": 0, "tier_state": 0, "tier_receipts": 1} {
					var n int
					if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != want {
						t.Errorf("%s has %d rows after a refused write (%v), want %d", table, n, err, want)
					}
				}
			})
		}
		t.Run("reads", func(t *testing.T) {
			if err := s.View(tierCtx, func(tx tier.ReadTx) error {
				for _, key := range []string{"", "bad\xff", "a\x00b", long} {
					if _, err := tx.Account(loyalty.AccountID(key)); !errors.Is(err, loyalty.ErrNotFound) {
						t.Errorf("Account(%.20q) = %v, want ErrNotFound", key, err)
					}
					if ch, err := tx.Changes(loyalty.AccountID(key)); err != nil || len(ch) != 0 {
						t.Errorf("Changes(%.20q) = %v, %v", key, ch, err)
					}
					if _, ok, err := tx.Receipt(loyalty.IdempotencyKey(key)); ok || err != nil {
						t.Errorf("Receipt(%.20q) = %v, %v; want none", key, ok, err)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// TestTierServiceBadInput drives the tier service with hostile and broken input end to
// end: what can be stored is, what cannot is refused with loyalty.ErrInvalid and changes
// nothing.
func TestTierServiceBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		now := time.Date(2025, 3, 10, 0, 0, 0, 0, tierMSK)
		svc, err := tier.NewService(NewTierStore(db, d.dialect), tier.Config{Ladder: tierTestLadder(), Location: tierMSK, Clock: loyalty.NewManualClock(now)})
		if err != nil {
			t.Fatal(err)
		}
		evil := loyalty.AccountID(`acme'); DELETE FROM tier_accounts; --`)
		if _, err := svc.Enroll(tierCtx, evil, now.AddDate(0, -2, 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Record(tierCtx, evil, now.AddDate(0, -1, 0), tier.Amount{Spend: tierRUB("1500")}, `k'1; --`); err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func() error{
			"enrol an invalid UTF-8 account": func() error { _, err := svc.Enroll(tierCtx, "bad\xff", now); return err },
			"enrol a NUL account":            func() error { _, err := svc.Enroll(tierCtx, "a\x00", now); return err },
			"enrol an over-long account": func() error {
				_, err := svc.Enroll(tierCtx, loyalty.AccountID(strings.Repeat("r", 1<<20)), now)
				return err
			},
			"record under an invalid UTF-8 key": func() error {
				_, err := svc.Record(tierCtx, evil, now, tier.Amount{Spend: tierRUB("1")}, "k\xff")
				return err
			},
			"record under an over-long key": func() error {
				_, err := svc.Record(tierCtx, evil, now, tier.Amount{Spend: tierRUB("1")}, loyalty.IdempotencyKey(strings.Repeat("k", 4096)))
				return err
			},
			"override with an invalid UTF-8 reason": func() error {
				_, err := svc.SetOverride(tierCtx, evil, tier.Override{Level: 2, Until: now.AddDate(1, 0, 0), Reason: "\xff"}, "k2")
				return err
			},
		} {
			if err := call(); !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("%s: %v, want loyalty.ErrInvalid", name, err)
			}
		}
		a, err := svc.Account(tierCtx, evil)
		if err != nil || a.Status.Level != 1 || a.Status.Override != nil || a.History.Sum(-1<<31, 1<<31-1) != 150000 {
			t.Fatalf("Account(%q) = %+v, %v; want silver with 1,500.00 recorded", evil, a, err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM tier_accounts`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d accounts stored (%v), want 1", n, err)
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM tier_receipts`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d receipts stored (%v), want 1", n, err)
		}
	})
}

// TestTierStoreOnCallersTransaction commits tier effects with the caller's own
// transaction, or not at all.
func TestTierStoreOnCallersTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		for _, commit := range []bool{false, true} {
			tx, err := db.BeginTx(tierCtx, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := NewTierStore(tx, d.dialect)
			if err := s.Update(tierCtx, func(tx tier.Tx) error {
				return errors.Join(tx.PutAccount(fullTierAccount("acme")), tx.AppendChanges(tier.Change{Account: "acme", Kind: tier.Upgraded}))
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.View(tierCtx, func(tx tier.ReadTx) error {
				ch, err := tx.Changes("acme")
				if err == nil && len(ch) != 1 {
					err = fmt.Errorf("%d changes", len(ch))
				}
				_, err2 := tx.Account("acme")
				return errors.Join(err, err2)
			}); err != nil {
				t.Fatalf("the caller's transaction does not see its own writes: %v", err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			err = NewTierStore(db, d.dialect).View(tierCtx, func(tx tier.ReadTx) error { _, err := tx.Account("acme"); return err })
			if commit && err != nil || !commit && !errors.Is(err, loyalty.ErrNotFound) {
				t.Fatalf("after the caller's commit=%v: %v", commit, err)
			}
		}
	})
}

func tierRUB(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

// tierTestLadder is a spend ladder with memberships, grace and one-level downgrades:
// base, silver from 1,000, gold from 5,000 (buyable: 300 for 3 months), platinum from
// 20,000; spend in a rolling 6 months; upgrades immediately, downgrades one level at
// quarterly reviews after a month of grace.
func tierTestLadder() tier.Ladder {
	return tier.Ladder{
		Currency: loyalty.MustCurrency("RUB"),
		Levels: []tier.Level{
			{Name: "base"},
			{Name: "silver", Threshold: tier.Amount{Spend: tierRUB("1000")}},
			{Name: "gold", Threshold: tier.Amount{Spend: tierRUB("5000")}, Membership: &tier.MembershipTerms{Fee: tierRUB("300"), Months: 3}},
			{Name: "platinum", Threshold: tier.Amount{Spend: tierRUB("20000")}},
		},
		Window: tier.Window{Kind: tier.Rolling, Months: 6},
		Review: tier.ReviewPolicy{DowngradeEvery: loyalty.Quarter, Downgrade: tier.OneLevel, GraceMonths: 1},
	}
}

// TestTierQueriesUseIndexes checks that no lookup of the store scans or sorts a whole
// table: on SQLite each is served by a primary key (the first page of accounts reads the
// primary key index in order); on PostgreSQL, with sequential scans discouraged (plans of
// small tables depend on statistics), paging reads the primary key index in byte order,
// without a sort, whatever the database's collation.
func TestTierQueriesUseIndexes(t *testing.T) {
	queries := map[string]string{
		"account": tierAccountSelect, "accountsFirst": tierAccountsFirst, "accountsAfter": tierAccountsAfter,
		"changes": tierChangesSelect, "receipt": tierReceiptSelect, "lastBatch": tierLastBatchQuery,
		"numberChanges": `SELECT account, MAX(seq) FROM tier_changes WHERE account IN ($1, $2) GROUP BY account`,
	}
	args := func(q string) []any {
		out := []any{[]byte("a"), []byte("b")}[:strings.Count(q, "$")]
		if q == tierAccountsFirst {
			out = []any{int64(10)}
		} else if q == tierAccountsAfter {
			out[1] = int64(10)
		}
		return out
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		for name, query := range queries {
			var plan []string
			err := inTx(tierCtx, db, d.dialect, func(tx DBTX) error {
				explain := `EXPLAIN QUERY PLAN `
				if d.dialect == Postgres {
					explain = `EXPLAIN `
					if _, err := tx.ExecContext(tierCtx, `SET LOCAL enable_seqscan = off`); err != nil {
						return err
					}
				}
				rows, err := tx.QueryContext(tierCtx, explain+query, args(query)...)
				if err != nil {
					return err
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				for rows.Next() {
					dest := make([]any, len(cols))
					var detail string
					for i := range dest {
						dest[i] = new(any)
					}
					dest[len(cols)-1] = &detail
					if err := rows.Scan(dest...); err != nil {
						return err
					}
					plan = append(plan, detail)
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(plan) == 0 {
				t.Errorf("%s: no plan", name)
			}
			paging := query == tierAccountsFirst || query == tierAccountsAfter
			usesIndex := false
			for _, step := range plan {
				usesIndex = usesIndex || strings.Contains(step, "INDEX") || strings.Contains(step, "Index")
				bad := strings.Contains(step, "TEMP B-TREE") || strings.Contains(step, "Seq Scan") || paging && strings.Contains(step, "Sort")
				if d.dialect == SQLite && strings.HasPrefix(step, "SCAN ") && !(query == tierAccountsFirst && strings.Contains(step, "USING INDEX")) {
					bad = true
				}
				if bad {
					t.Errorf("%s scans or sorts a table: %q", name, plan)
					break
				}
			}
			if !usesIndex {
				t.Errorf("%s uses no index: %q", name, plan)
			}
		}
	})
}

// tierScenarioResult is what a run of tierScenario observed.
type tierScenarioResult struct {
	Reports  []tier.BatchReport
	Statuses map[loyalty.AccountID]tier.Status
	Accounts []tier.Account
	Changes  map[loyalty.AccountID][]tier.Change
}

// tierPopulate puts n accounts into s: enrolled in the first half of 2024, each with a few
// days of spend from July 2024 to March 2025 spread so that the accounts land on every
// level, some with an override or a paid membership that ends during the scenario.
func tierPopulate(t testing.TB, s tier.Store, n int) {
	t.Helper()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, tierMSK)
	const chunk = 1000
	for lo := 0; lo < n; lo += chunk {
		if err := s.Update(tierCtx, func(tx tier.Tx) error {
			for i := lo; i < min(lo+chunk, n); i++ {
				enrolled := base.AddDate(0, i%6, i%28)
				a := tier.Account{ID: loyalty.AccountID(fmt.Sprintf("acct-%06d", i)), Enrolled: enrolled,
					Status: tier.Status{Since: enrolled, Reviewed: enrolled}}
				for k := range 1 + i%4 {
					d := tier.DayOf(time.Date(2024, 7, 1, 0, 0, 0, 0, tierMSK)) + tier.Day((i*7+k*53)%270)
					a.History = append(a.History, tier.DayTotal{Day: d, Units: int64((i*31+k*17)%900) * 1500})
				}
				slices.SortFunc(a.History, func(x, y tier.DayTotal) int { return int(x.Day - y.Day) })
				a.History = slices.CompactFunc(a.History, func(x, y tier.DayTotal) bool { return x.Day == y.Day })
				if i%7 == 3 {
					a.Status.Override = &tier.Override{Level: 3, From: enrolled, Until: time.Date(2025, 2, 15, 0, 0, 0, 0, tierMSK), Reason: "pilot"}
				}
				if i%11 == 5 {
					a.Status.Membership = &tier.Membership{Level: 2, From: enrolled, Until: time.Date(2025, 3, 1, 0, 0, 0, 0, tierMSK).Add(time.Duration(i) * time.Microsecond), Fee: tierRUB("300")}
				}
				if err := tx.PutAccount(a); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// tierScenario runs monthly batch reviews from January to July 2025 over the accounts of
// tierPopulate, with purchases and returns of some accounts recorded between them, then the
// last review once more; it returns the reports and the final state.
func tierScenario(t testing.TB, s tier.Store, n int) tierScenarioResult {
	t.Helper()
	clock := loyalty.NewManualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, tierMSK))
	svc, err := tier.NewService(s, tier.Config{Ladder: tierTestLadder(), Location: tierMSK, Clock: clock, BatchSize: 400})
	if err != nil {
		t.Fatal(err)
	}
	res := tierScenarioResult{Statuses: map[loyalty.AccountID]tier.Status{}, Changes: map[loyalty.AccountID][]tier.Change{}}
	for m := range 7 {
		at := time.Date(2025, time.January+time.Month(m), 1, 0, 0, 0, 0, tierMSK)
		clock.Set(at.Add(time.Hour))
		for i := m; i < n; i += 37 {
			id := loyalty.AccountID(fmt.Sprintf("acct-%06d", i))
			amount := tierRUB(fmt.Sprint((i%9 - 2) * 700)) // returns too
			st, err := svc.Record(tierCtx, id, at.Add(-time.Duration(i%72)*time.Hour), tier.Amount{Spend: amount}, loyalty.IdempotencyKey(fmt.Sprintf("o-%d-%d", m, i)))
			if err != nil {
				t.Fatal(err)
			}
			res.Statuses[id] = st
		}
		rep, err := svc.ReviewAll(tierCtx, at)
		if err != nil {
			t.Fatal(err)
		}
		res.Reports = append(res.Reports, rep)
	}
	rep, err := svc.ReviewAll(tierCtx, time.Date(2025, time.July, 1, 0, 0, 0, 0, tierMSK))
	if err != nil {
		t.Fatal(err)
	}
	res.Reports = append(res.Reports, rep)
	if err := s.View(tierCtx, func(tx tier.ReadTx) error {
		var err error
		if res.Accounts, err = tx.Accounts("", n+1); err != nil {
			return err
		}
		for _, a := range res.Accounts {
			if res.Changes[a.ID], err = tx.Changes(a.ID); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestTierBatchReviewMatchesMemory runs the same months of batch reviews and purchases
// over a few thousand accounts on the memory store, SQLite and PostgreSQL: the reports
// (changes, counts), the statuses the purchases returned and the final accounts and change
// logs are the same; the last review, run twice, changes nothing the second time.
func TestTierBatchReviewMatchesMemory(t *testing.T) {
	n := 3000
	if testing.Short() || raceEnabled {
		n = 400 // the race detector slows SQLite some twentyfold
	}
	mem := tier.NewMemoryStore()
	tierPopulate(t, mem, n)
	want := tierScenario(t, mem, n)
	kinds := map[tier.ChangeKind]int{}
	for _, rep := range want.Reports {
		for _, c := range rep.Changes {
			kinds[c.Kind]++
		}
	}
	for _, k := range []tier.ChangeKind{tier.Upgraded, tier.Downgraded, tier.GraceStarted, tier.OverrideExpired, tier.MembershipExpired} {
		if kinds[k] == 0 {
			t.Fatalf("the scenario makes no %s change (%v): it does not test what it should", k, kinds)
		}
	}
	if last := want.Reports[len(want.Reports)-1]; last.Reviewed != 0 || last.Changed != 0 || len(last.Changes) != 0 {
		t.Fatalf("memory store: the second review at the same time reviewed %d, changed %d", last.Reviewed, last.Changed)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewTierStore(openMigratedDB(t, d), d.dialect)
		tierPopulate(t, s, n)
		got := tierScenario(t, s, n)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s differs from the memory store (-memory +%s):\n%.3000s", d.dialect, d.dialect, diff)
		}
	})
}

// TestTierSeveralInstances runs the tier service on several separate connection pools, as
// separate application instances would: every instance records the same purchases under
// the same keys (a retrying caller reaching another instance) while batch reviews run on
// all of them. Each purchase counts once, every retry gets the first result, and every
// instance sees the same state.
func TestTierSeveralInstances(t *testing.T) {
	const instances, accounts, purchases = 4, 3, 24
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, tierMSK)
	eachDB(t, func(t *testing.T, d testDB) {
		openMigratedDB(t, d)
		svcs := make([]*tier.Service, instances)
		for i := range svcs {
			db := mustOpen(t, d) // a separate pool, as another application instance would have
			db.SetMaxOpenConns(3)
			svc, err := tier.NewService(NewTierStore(db, d.dialect), tier.Config{Ladder: tierTestLadder(), Location: tierMSK,
				Clock: loyalty.NewManualClock(at), BatchSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			svcs[i] = svc
		}
		id := func(k int) loyalty.AccountID { return loyalty.AccountID(fmt.Sprint("acct-", k%accounts)) }
		for k := range accounts {
			if _, err := svcs[k%instances].Enroll(tierCtx, id(k), at.AddDate(0, -2, 0)); err != nil {
				t.Fatal(err)
			}
		}
		results := make([][]tier.Status, instances)
		var wg sync.WaitGroup
		for inst := range instances {
			results[inst] = make([]tier.Status, purchases)
			wg.Add(2)
			go func() {
				defer wg.Done()
				for _, k := range rand.New(rand.NewPCG(uint64(inst), 9)).Perm(purchases) {
					st, err := svcs[inst].Record(tierCtx, id(k), at.AddDate(0, 0, -1-k), tier.Amount{Spend: tierRUB("400")}, loyalty.IdempotencyKey(fmt.Sprint("order-", k)))
					if err != nil {
						t.Errorf("instance %d: Record %d: %v", inst, k, err)
						return
					}
					results[inst][k] = st
				}
			}()
			go func() {
				defer wg.Done()
				if _, err := svcs[inst].ReviewAll(tierCtx, at); err != nil {
					t.Errorf("instance %d: ReviewAll: %v", inst, err)
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		for inst := 1; inst < instances; inst++ {
			if diff := cmp.Diff(results[0], results[inst]); diff != "" {
				t.Errorf("instance %d got other results for the same keys (-instance 0 +instance %d):\n%s", inst, inst, diff)
			}
		}
		var want []tier.Account
		for inst, svc := range svcs {
			var got []tier.Account
			total := int64(0)
			for k := range accounts {
				a, err := svc.Account(tierCtx, id(k))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, a)
				total += a.History.Sum(-1<<31, 1<<31-1)
			}
			if total != purchases*40000 {
				t.Errorf("instance %d: %d kopeks recorded in all, want %d (each purchase once)", inst, total, purchases*40000)
			}
			if inst == 0 {
				want = got
			} else if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("instance %d sees another state (-instance 0 +instance %d):\n%s", inst, inst, diff)
			}
		}
	})
}
