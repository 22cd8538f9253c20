package memtx_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/loyaltykit/loyalty/internal/memtx"
)

var errBoom = errors.New("boom")

func TestUpdateRollsBackOnError(t *testing.T) {
	var db memtx.DB
	var tab memtx.Table[string, int]
	var log memtx.Log[string, int]
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *memtx.Tx) error {
		tab.Put(tx, "a", 1)
		_, err := log.Append(tx, "a", 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx *memtx.Tx) error {
		tab.Put(tx, "a", 2)
		tab.Put(tx, "b", 3)
		tab.Delete(tx, "a")
		log.Append(tx, "a", 11)
		log.Append(tx, "b", 12)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update error = %v, want %v", err, errBoom)
	}
	db.View(ctx, func(tx *memtx.Tx) error {
		if v, ok := tab.Get(tx, "a"); !ok || v != 1 {
			t.Errorf("a = %d, %v after rollback; want 1, true", v, ok)
		}
		if _, ok := tab.Get(tx, "b"); ok {
			t.Error("b exists after rollback")
		}
		if n := log.Len(tx, "a"); n != 1 {
			t.Errorf("log a has %d records after rollback, want 1", n)
		}
		if n := log.Len(tx, "b"); n != 0 {
			t.Errorf("log b has %d records after rollback, want 0", n)
		}
		return nil
	})
}

func TestUpdateRollsBackOnPanic(t *testing.T) {
	var db memtx.DB
	var tab memtx.Table[string, int]
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		db.Update(context.Background(), func(tx *memtx.Tx) error {
			tab.Put(tx, "a", 1)
			panic("boom")
		})
	}()
	db.View(context.Background(), func(tx *memtx.Tx) error {
		if tab.Len(tx) != 0 {
			t.Error("write survived a panic")
		}
		return nil
	})
}

func TestViewIsReadOnly(t *testing.T) {
	var db memtx.DB
	var tab memtx.Table[string, int]
	err := db.View(context.Background(), func(tx *memtx.Tx) error { return tab.Put(tx, "a", 1) })
	if !errors.Is(err, memtx.ErrReadOnly) {
		t.Fatalf("Put in View = %v, want ErrReadOnly", err)
	}
}

func TestCloneIsolatesStoredValues(t *testing.T) {
	var db memtx.DB
	tab := memtx.Table[string, []int]{Clone: slices.Clone[[]int]}
	in := []int{1, 2}
	db.Update(context.Background(), func(tx *memtx.Tx) error { return tab.Put(tx, "a", in) })
	in[0] = 99
	db.View(context.Background(), func(tx *memtx.Tx) error {
		out, _ := tab.Get(tx, "a")
		if out[0] != 1 {
			t.Errorf("stored value aliased the caller's slice: %v", out)
		}
		out[1] = 99
		again, _ := tab.Get(tx, "a")
		if again[1] != 2 {
			t.Errorf("returned value aliases the stored one: %v", again)
		}
		return nil
	})
}

func TestConcurrentUpdatesAreSerialised(t *testing.T) {
	var db memtx.DB
	var tab memtx.Table[string, int]
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				db.Update(context.Background(), func(tx *memtx.Tx) error {
					v, _ := tab.Get(tx, "n")
					return tab.Put(tx, "n", v+1)
				})
			}
		}()
	}
	wg.Wait()
	db.View(context.Background(), func(tx *memtx.Tx) error {
		if v, _ := tab.Get(tx, "n"); v != 5000 {
			t.Errorf("n = %d after 5000 increments", v)
		}
		return nil
	})
}

func TestCancelledContextRunsNothing(t *testing.T) {
	var db memtx.DB
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := db.Update(ctx, func(*memtx.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("Update on a cancelled context = %v, ran = %v", err, ran)
	}
}
