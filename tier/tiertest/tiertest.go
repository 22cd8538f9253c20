// Package tiertest is the conformance suite for implementations of [tier.Store]: contract
// tests, a rapid state-machine test against a plain model, and a concurrency test. Every
// Store — the in-memory one, and the SQL stores — must pass it:
//
//	func TestMemoryStore(t *testing.T) {
//		tiertest.Run(t, func(t *testing.T) tier.Store { return tier.NewMemoryStore() })
//	}
//
// Run the suite with -race.
package tiertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
	"pgregory.net/rapid"
)

// Run runs the conformance suite. newStore must return a new, empty store each time it is
// called.
func Run(t *testing.T, newStore func(t *testing.T) tier.Store) {
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("RoundTripAndCopies", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("RollbackOnError", func(t *testing.T) { testRollback(t, newStore(t)) })
	t.Run("AccountsOrderedAndPaged", func(t *testing.T) { testAccountsPaged(t, newStore(t)) })
	t.Run("ReceiptsAndBatchReview", func(t *testing.T) { testReceipts(t, newStore(t)) })
	t.Run("ServiceIdempotency", func(t *testing.T) { testServiceIdempotency(t, newStore(t)) })
	t.Run("BatchReviewTwiceEqualsOnce", func(t *testing.T) { testBatchTwice(t, newStore(t)) })
	t.Run("StateMachine", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			m := &machine{store: newStore(t), model: newModel()}
			rt.Repeat(m.actions())
		})
	})
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, newStore(t)) })
}

var ctx = context.Background()

var loc = time.FixedZone("MSK", 3*60*60)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }

func rub(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

// ladder is a small spend ladder: monthly upgrades, yearly downgrades on the calendar year.
func ladder() tier.Ladder {
	return tier.Ladder{
		Currency: loyalty.MustCurrency("RUB"),
		Levels: []tier.Level{
			{Name: "base"},
			{Name: "silver", Threshold: tier.Amount{Spend: rub("1000")}},
			{Name: "gold", Threshold: tier.Amount{Spend: rub("5000")}},
		},
		Window: tier.Window{Kind: tier.Calendar, Period: loyalty.Year},
		Review: tier.ReviewPolicy{UpgradeEvery: loyalty.Month, DowngradeEvery: loyalty.Year},
	}
}

func sampleAccount(id loyalty.AccountID) tier.Account {
	return tier.Account{
		ID:       id,
		Enrolled: day(2025, 1, 10),
		Status: tier.Status{
			Level: 1, Since: day(2025, 3, 1), Reviewed: day(2025, 4, 1),
			Grace:      &tier.Grace{Until: day(2025, 6, 1), To: 0},
			Override:   &tier.Override{Level: 2, From: day(2025, 1, 1), Until: day(2026, 1, 1), Reason: "contract"},
			Membership: &tier.Membership{Level: 1, From: day(2025, 1, 1), Until: day(2025, 7, 1), Fee: rub("250")},
		},
		History: tier.History{{Day: tier.DayOf(day(2025, 1, 20)), Units: 150000}, {Day: tier.DayOf(day(2025, 2, 2)), Units: -5000}},
	}
}

func getAccount(t testing.TB, s tier.Store, id loyalty.AccountID) (tier.Account, error) {
	var a tier.Account
	err := s.View(ctx, func(tx tier.ReadTx) error {
		var err error
		a, err = tx.Account(id)
		return err
	})
	return a, err
}

func put(t testing.TB, s tier.Store, as ...tier.Account) {
	t.Helper()
	if err := s.Update(ctx, func(tx tier.Tx) error {
		for _, a := range as {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("PutAccount: %v", err)
	}
}

func testNotFound(t *testing.T, s tier.Store) {
	if _, err := getAccount(t, s, "nobody"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Account(missing) error = %v, want ErrNotFound", err)
	}
	svc, err := tier.NewService(s, tier.Config{Ladder: ladder(), Location: loc, Clock: loyalty.NewManualClock(day(2025, 5, 1))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Record(ctx, "nobody", day(2025, 4, 1), tier.Amount{Spend: rub("10")}, "k1"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Record(missing account) error = %v, want ErrNotFound", err)
	}
	if _, _, err := svc.Review(ctx, "nobody", day(2025, 4, 1)); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Review(missing account) error = %v, want ErrNotFound", err)
	}
	if _, err := svc.Project(ctx, "nobody"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Project(missing account) error = %v, want ErrNotFound", err)
	}
	// the failed Record left no receipt behind
	if err := s.View(ctx, func(tx tier.ReadTx) error {
		if _, ok, err := tx.Receipt("k1"); err != nil || ok {
			t.Errorf("Receipt after a failed Record = %v, %v; want none", ok, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func testRoundTrip(t *testing.T, s tier.Store) {
	in := sampleAccount("a1")
	put(t, s, in)
	in.History[0].Units = 1 // the store must not alias the caller's slice
	in.Status.Grace.To = 2
	got, err := getAccount(t, s, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleAccount("a1"), got); diff != "" {
		t.Errorf("stored account (-want +got):\n%s", diff)
	}
	got.History[1].Units = 7 // nor hand out its own
	got.Status.Override.Level = 0
	again, _ := getAccount(t, s, "a1")
	if diff := cmp.Diff(sampleAccount("a1"), again); diff != "" {
		t.Errorf("stored account changed through a returned copy (-want +got):\n%s", diff)
	}
	// replacing keeps one account
	b := sampleAccount("a1")
	b.Status.Level = 2
	b.Status.Grace = nil
	put(t, s, b)
	got, _ = getAccount(t, s, "a1")
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("replaced account (-want +got):\n%s", diff)
	}
	var all []tier.Account
	s.View(ctx, func(tx tier.ReadTx) error { all, _ = tx.Accounts("", 10); return nil })
	if len(all) != 1 {
		t.Errorf("Accounts after replacing one account: %d accounts", len(all))
	}
}

var errBoom = errors.New("boom")

func testRollback(t *testing.T, s tier.Store) {
	put(t, s, sampleAccount("a1"))
	err := s.Update(ctx, func(tx tier.Tx) error {
		changed := sampleAccount("a1")
		changed.Status.Level = 0
		if err := tx.PutAccount(changed); err != nil {
			return err
		}
		if err := tx.PutAccount(sampleAccount("a2")); err != nil {
			return err
		}
		if err := tx.AppendChanges(tier.Change{Account: "a1", At: day(2025, 5, 1), Kind: tier.Downgraded, From: 1, To: 0}); err != nil {
			return err
		}
		if err := tx.PutReceipt("k", tier.Receipt{Payload: "p", Account: "a1"}); err != nil {
			return err
		}
		if err := tx.SetLastBatchReview(day(2025, 5, 1)); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update error = %v, want the function's error", err)
	}
	s.View(ctx, func(tx tier.ReadTx) error {
		if a, err := tx.Account("a1"); err != nil || a.Status.Level != 1 {
			t.Errorf("a1 after rollback = level %d, %v; want 1", a.Status.Level, err)
		}
		if _, err := tx.Account("a2"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("a2 exists after rollback: %v", err)
		}
		if all, _ := tx.Accounts("", 10); len(all) != 1 {
			t.Errorf("Accounts after rollback: %d accounts, want 1", len(all))
		}
		if ch, _ := tx.Changes("a1"); len(ch) != 0 {
			t.Errorf("changes after rollback: %v", ch)
		}
		if _, ok, _ := tx.Receipt("k"); ok {
			t.Error("receipt after rollback")
		}
		if last, _ := tx.LastBatchReview(); !last.IsZero() {
			t.Errorf("last batch review after rollback: %v", last)
		}
		return nil
	})
}

func testAccountsPaged(t *testing.T, s tier.Store) {
	ids := []loyalty.AccountID{"m", "b", "z", "a", "k", "c", "y", "aa", "B"}
	for _, id := range ids {
		put(t, s, sampleAccount(id))
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	var got []loyalty.AccountID
	var after loyalty.AccountID
	for {
		var page []tier.Account
		if err := s.View(ctx, func(tx tier.ReadTx) error {
			var err error
			page, err = tx.Accounts(after, 4)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(page) > 4 {
			t.Fatalf("page of %d accounts, limit 4", len(page))
		}
		for _, a := range page {
			got = append(got, a.ID)
		}
		if len(page) < 4 {
			break
		}
		after = page[len(page)-1].ID
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged IDs (-want +got):\n%s", diff)
	}
	s.View(ctx, func(tx tier.ReadTx) error {
		page, _ := tx.Accounts("d", 2) // an ID that does not exist
		if len(page) != 2 || page[0].ID != "k" || page[1].ID != "m" {
			t.Errorf("Accounts(after d, 2) = %v", page)
		}
		if page, _ := tx.Accounts("", 0); len(page) != 0 {
			t.Errorf("Accounts(limit 0) = %d accounts", len(page))
		}
		if page, _ := tx.Accounts("z", 5); len(page) != 0 {
			t.Errorf("Accounts(after the last) = %d accounts", len(page))
		}
		return nil
	})
}

func testReceipts(t *testing.T, s tier.Store) {
	r := tier.Receipt{Payload: "record|a|1", Account: "a", Status: sampleAccount("a").Status}
	if err := s.Update(ctx, func(tx tier.Tx) error { return tx.PutReceipt("k", r) }); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx tier.Tx) error { return tx.PutReceipt("k", tier.Receipt{Payload: "other"}) })
	if !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("second PutReceipt under one key = %v, want ErrConflict", err)
	}
	s.View(ctx, func(tx tier.ReadTx) error {
		got, ok, err := tx.Receipt("k")
		if err != nil || !ok {
			t.Fatalf("Receipt = %v, %v", ok, err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("receipt (-want +got):\n%s", diff)
		}
		if last, err := tx.LastBatchReview(); err != nil || !last.IsZero() {
			t.Errorf("LastBatchReview of a new store = %v, %v", last, err)
		}
		return nil
	})
	at := day(2025, 2, 1)
	if err := s.Update(ctx, func(tx tier.Tx) error { return tx.SetLastBatchReview(at) }); err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx tier.ReadTx) error {
		if last, err := tx.LastBatchReview(); err != nil || !last.Equal(at) {
			t.Errorf("LastBatchReview = %v, %v; want %v", last, err, at)
		}
		return nil
	})
}

func newService(t testing.TB, s tier.Store, clock loyalty.Clock) *tier.Service {
	svc, err := tier.NewService(s, tier.Config{Ladder: ladder(), Location: loc, Clock: clock, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func snapshot(t testing.TB, s tier.Store) (accounts []tier.Account, changes map[loyalty.AccountID][]tier.Change) {
	changes = map[loyalty.AccountID][]tier.Change{}
	if err := s.View(ctx, func(tx tier.ReadTx) error {
		var err error
		accounts, err = tx.Accounts("", 1<<30)
		for _, a := range accounts {
			ch, err := tx.Changes(a.ID)
			if err != nil {
				return err
			}
			changes[a.ID] = ch
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return accounts, changes
}

func testServiceIdempotency(t *testing.T, s tier.Store) {
	clock := loyalty.NewManualClock(day(2025, 3, 10))
	svc := newService(t, s, clock)
	if _, err := svc.Enroll(ctx, "acme", day(2025, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Enroll(ctx, "acme", day(2025, 1, 10)); err != nil {
		t.Errorf("enrolling again with the same time: %v", err)
	}
	if _, err := svc.Enroll(ctx, "acme", day(2025, 1, 11)); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("enrolling again with another time: %v, want ErrConflict", err)
	}
	first, err := svc.Record(ctx, "acme", day(2025, 2, 5), tier.Amount{Spend: rub("1200")}, "order-1")
	if err != nil {
		t.Fatal(err)
	}
	if first.Level != 1 { // the March review saw 1,200 in February
		t.Errorf("level after the March review = %d, want 1", first.Level)
	}
	before, beforeCh := snapshot(t, s)
	clock.Set(day(2025, 3, 20))
	again, err := svc.Record(ctx, "acme", day(2025, 2, 5), tier.Amount{Spend: rub("1200")}, "order-1")
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("retry returned another result (-first +retry):\n%s", diff)
	}
	_, err = svc.Record(ctx, "acme", day(2025, 2, 5), tier.Amount{Spend: rub("1300")}, "order-1")
	if !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("same key, other amount: %v, want ErrConflict", err)
	}
	// bad input is an error naming the field and changes nothing
	for name, call := range map[string]func() error{
		"other currency": func() error {
			_, err := svc.Record(ctx, "acme", day(2025, 3, 1), tier.Amount{Spend: loyalty.MustMoney("5", "USD")}, "k2")
			return err
		},
		"future": func() error {
			_, err := svc.Record(ctx, "acme", day(2026, 1, 1), tier.Amount{Spend: rub("5")}, "k3")
			return err
		},
		"no key": func() error {
			_, err := svc.Record(ctx, "acme", day(2025, 3, 1), tier.Amount{Spend: rub("5")}, "")
			return err
		},
		"review in the past":   func() error { _, _, err := svc.Review(ctx, "acme", day(2025, 1, 1)); return err },
		"review in the future": func() error { _, _, err := svc.Review(ctx, "acme", day(2025, 4, 1)); return err },
		"override without expiry": func() error {
			_, err := svc.SetOverride(ctx, "acme", tier.Override{Level: 2}, "k4")
			return err
		},
		"override level out of range": func() error {
			_, err := svc.SetOverride(ctx, "acme", tier.Override{Level: 3, Until: day(2026, 1, 1)}, "k5")
			return err
		},
		"membership of a level without terms": func() error {
			_, err := svc.BuyMembership(ctx, "acme", 2, time.Time{}, "k6")
			return err
		},
	} {
		if err := call(); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", name, err)
		}
	}
	after, afterCh := snapshot(t, s)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("retries and bad input changed the accounts (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(beforeCh, afterCh); diff != "" {
		t.Errorf("retries and bad input changed the change log (-before +after):\n%s", diff)
	}
}

func testBatchTwice(t *testing.T, s tier.Store) {
	clock := loyalty.NewManualClock(day(2025, 1, 1))
	svc := newService(t, s, clock)
	for i := range 10 {
		id := loyalty.AccountID(fmt.Sprintf("acct-%02d", i))
		if _, err := svc.Enroll(ctx, id, day(2025, 1, 1)); err != nil {
			t.Fatal(err)
		}
		clock.Set(day(2025, 1, 15))
		if _, err := svc.Record(ctx, id, day(2025, 1, 15), tier.Amount{Spend: rub(fmt.Sprint(i * 700))}, loyalty.IdempotencyKey("o-"+string(id))); err != nil {
			t.Fatal(err)
		}
	}
	at := day(2025, 2, 1)
	if _, err := svc.ReviewAll(ctx, at); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("a batch review in the future: %v, want ErrInvalid", err)
	}
	clock.Set(at)
	rep, err := svc.ReviewAll(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	// 0, 700 stay base; 1,400 … 4,900 become silver; 5,600 and 6,300 gold
	if rep.Reviewed != 10 || rep.Changed != 8 || len(rep.Changes) != 8 {
		t.Errorf("first review: reviewed %d, changed %d, %d events; want 10, 8, 8", rep.Reviewed, rep.Changed, len(rep.Changes))
	}
	if !sort.SliceIsSorted(rep.Changes, func(i, j int) bool { return rep.Changes[i].Account < rep.Changes[j].Account }) {
		t.Error("events are not ordered by account")
	}
	for _, c := range rep.Changes {
		var i int
		fmt.Sscanf(string(c.Account), "acct-%d", &i)
		want := 1
		if i >= 8 {
			want = 2
		}
		if c.Kind != tier.Upgraded || c.To != want || !c.At.Equal(at) {
			t.Errorf("event %+v, want an upgrade to %d at %v", c, want, at)
		}
	}
	once, onceCh := snapshot(t, s)
	rep2, err := svc.ReviewAll(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Changed != 0 || len(rep2.Changes) != 0 || rep2.Reviewed != 0 {
		t.Errorf("second review at the same time: %+v, want nothing", rep2)
	}
	twice, twiceCh := snapshot(t, s)
	if diff := cmp.Diff(once, twice); diff != "" {
		t.Errorf("reviewing twice changed the accounts (-once +twice):\n%s", diff)
	}
	if diff := cmp.Diff(onceCh, twiceCh); diff != "" {
		t.Errorf("reviewing twice changed the change log (-once +twice):\n%s", diff)
	}
	if _, err := svc.ReviewAll(ctx, day(2025, 1, 20)); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("a batch review before the last one: %v, want ErrInvalid", err)
	}
}

// testConcurrency records purchases from many goroutines while batch reviews run; the
// totals must add up exactly and every key must count once.
func testConcurrency(t *testing.T, s tier.Store) {
	clock := loyalty.NewManualClock(day(2025, 1, 31))
	svc := newService(t, s, clock)
	const accounts, workers, each = 4, 8, 25
	for i := range accounts {
		if _, err := svc.Enroll(ctx, loyalty.AccountID(fmt.Sprint("c", i)), day(2025, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				id := loyalty.AccountID(fmt.Sprint("c", k%accounts))
				key := loyalty.IdempotencyKey(fmt.Sprintf("w%d-%d", w, k))
				for range 2 { // every request is retried once
					if _, err := svc.Record(ctx, id, day(2025, 1, 1+k%28), tier.Amount{Spend: rub("10")}, key); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 5 {
			if _, err := svc.ReviewAll(ctx, day(2025, 1, 31)); err != nil {
				t.Error(err)
			}
		}
	}()
	wg.Wait()
	var total int64
	accts, _ := snapshot(t, s)
	for _, a := range accts {
		total += a.History.Sum(-1<<31, 1<<31-1)
	}
	if want := int64(workers * each * 1000); total != want {
		t.Errorf("recorded %d kopeks in all, want %d", total, want)
	}
}
