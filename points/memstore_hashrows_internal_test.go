package points

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// TestHashRowsWithCollidingHashes stores purchases whose keys all have the same hash, so
// that every lookup, update and forgetting walks one chain, and checks each against a map,
// including after a rolled-back transaction.
func TestHashRowsWithCollidingHashes(t *testing.T) {
	var db memtx.DB
	var strs memtx.Arena
	m := newHashRows[Purchase](&strs)
	m.collide = true
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := map[string]Purchase{}
	key := func(p Purchase) string { return fmt.Sprint(p.Holder, p.Order) }
	put := func(i int, at time.Time, restored Points) {
		t.Helper()
		p := Purchase{Holder: ForAccount(loyalty.AccountID(fmt.Sprint("h", i%3))), Order: loyalty.OrderID(fmt.Sprint("o", i)), Lines: []PurchaseLine{{Earned: Points(i)}}, Restored: restored}
		if err := db.Update(ctx, func(tx *memtx.Tx) error {
			_, err := m.put(tx, holderNumber(p.Holder), string(p.Order), p, at, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want[key(p)] = p
	}
	check := func(when string) {
		t.Helper()
		got := map[string]Purchase{}
		db.View(ctx, func(tx *memtx.Tx) error {
			for i := range 12 {
				h, o := ForAccount(loyalty.AccountID(fmt.Sprint("h", i%3))), loyalty.OrderID(fmt.Sprint("o", i))
				if p := m.ref(tx, holderNumber(h), string(o), false); p != nil {
					got[key(*p)] = *p
				}
			}
			if n := m.rows.Count(tx); n != len(want) {
				t.Errorf("%s: %d rows, want %d", when, n, len(want))
			}
			return nil
		})
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: purchases (-want +got):\n%s", when, d)
		}
	}
	for i := range 8 {
		put(i, t0.Add(time.Duration(i)*time.Hour), 0)
	}
	put(2, t0.Add(10*time.Hour), 5) // rewritten later: stays when its first stamp is old
	check("after the puts")

	boom := errors.New("boom")
	err := db.Update(ctx, func(tx *memtx.Tx) error {
		if err := m.forget(tx, t0.Add(8*time.Hour).UnixNano()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	check("after a rolled-back forget")

	// Forget those written before 4h (0 to 3, but not 2, written again at 10h), then 5 and 7
	// as well: rows at the head, the middle and the end of the chain.
	if err := db.Update(ctx, func(tx *memtx.Tx) error { return m.forget(tx, t0.Add(4*time.Hour).UnixNano()) }); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 3} {
		delete(want, key(Purchase{Holder: ForAccount(loyalty.AccountID(fmt.Sprint("h", i%3))), Order: loyalty.OrderID(fmt.Sprint("o", i))}))
	}
	check("after forgetting the oldest")
	put(9, t0.Add(11*time.Hour), 0)
	if err := db.Update(ctx, func(tx *memtx.Tx) error { return m.forget(tx, t0.Add(8*time.Hour).UnixNano()) }); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{4, 5, 6, 7} {
		delete(want, key(Purchase{Holder: ForAccount(loyalty.AccountID(fmt.Sprint("h", i%3))), Order: loyalty.OrderID(fmt.Sprint("o", i))}))
	}
	check("after forgetting up to 8h")
	put(10, time.Time{}, 0)
	check("after a put without a stamp")
	// The head of the chain, 11 (inserted last), is the oldest now that 2 is written again.
	put(11, t0.Add(12*time.Hour), 0)
	put(2, t0.Add(13*time.Hour), 6)
	if err := db.Update(ctx, func(tx *memtx.Tx) error { return m.forget(tx, t0.Add(12*time.Hour+time.Minute).UnixNano()) }); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{9, 11} {
		delete(want, key(Purchase{Holder: ForAccount(loyalty.AccountID(fmt.Sprint("h", i%3))), Order: loyalty.OrderID(fmt.Sprint("o", i))}))
	}
	check("after forgetting the head of the chain")
}

// TestHashRowsRememberedMiss checks that a write between a writer's lookup that missed and
// the insertion of that key does not let the insertion use the stale chain head.
func TestHashRowsRememberedMiss(t *testing.T) {
	for _, between := range []string{"insert", "delete", "none"} {
		t.Run(between, func(t *testing.T) {
			var db memtx.DB
			var strs memtx.Arena
			m := newHashRows[int](&strs)
			m.collide = true
			ctx := context.Background()
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if err := db.Update(ctx, func(tx *memtx.Tx) error {
				_, err := m.put(tx, 0, "old", 1, t0, false)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			want := map[loyalty.IdempotencyKey]int{"old": 1, "k": 3}
			if err := db.Update(ctx, func(tx *memtx.Tx) error {
				if m.ref(tx, 0, "k", true) != nil {
					t.Error("k found before it was stored")
				}
				switch between {
				case "insert":
					if _, err := m.put(tx, 0, "other", 2, t0.Add(time.Hour), false); err != nil {
						return err
					}
					want["other"] = 2
				case "delete":
					if err := m.forget(tx, t0.Add(time.Minute).UnixNano()); err != nil {
						return err
					}
					delete(want, "old")
				}
				stored, err := m.put(tx, 0, "k", 3, t0.Add(time.Hour), true)
				if !stored {
					t.Error("k not stored")
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			db.View(ctx, func(tx *memtx.Tx) error {
				for _, k := range []loyalty.IdempotencyKey{"old", "other", "k"} {
					var v int
					p := m.ref(tx, 0, string(k), false)
					if p != nil {
						v = *p
					}
					if w, wok := want[k]; (p != nil) != wok || v != w {
						t.Errorf("get(%s) = %d, %v; want %d, %v", k, v, p != nil, w, wok)
					}
				}
				if n := m.rows.Count(tx); n != len(want) {
					t.Errorf("%d rows, want %d", n, len(want))
				}
				return nil
			})
		})
	}
}

// holderNumber numbers the test holders h0, h1, h2 from 1.
func holderNumber(h Holder) int32 { return int32(h.ID[1]-'0') + 1 }
