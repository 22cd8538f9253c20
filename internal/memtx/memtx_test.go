package memtx_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// state is everything a test's structures hold, read in one view.
type state struct {
	Rows   map[string]int
	Log    map[string][]int
	First  map[string]int
	Aged   map[string]int
	AgedN  int
	Cloned []int
}

type fixture struct {
	db     memtx.DB
	tab    memtx.Table[string, int]
	log    memtx.Log[string, int]
	aged   memtx.Aged[string, int]
	cloned memtx.Table[string, []int]
}

func newFixture() *fixture {
	return &fixture{cloned: memtx.Table[string, []int]{Clone: slices.Clone[[]int]}}
}

func (f *fixture) read(t *testing.T) state {
	t.Helper()
	s := state{Rows: map[string]int{}, Log: map[string][]int{}, First: map[string]int{}, Aged: map[string]int{}}
	f.db.View(context.Background(), func(tx *memtx.Tx) error {
		f.tab.Range(tx, func(k string, v int) bool { s.Rows[k] = v; return true })
		f.log.Keys(tx, func(k string) bool {
			f.log.Range(tx, k, 0, func(_ int, v int) bool { s.Log[k] = append(s.Log[k], v); return true })
			s.First[k] = f.log.First(tx, k)
			return true
		})
		f.aged.Range(tx, func(k string, v int) bool { s.Aged[k] = v; return true })
		s.AgedN = f.aged.Len(tx)
		s.Cloned, _ = f.cloned.Get(tx, "c")
		return nil
	})
	return s
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seed writes a known state with every kind of structure.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	err := f.db.Update(context.Background(), func(tx *memtx.Tx) error {
		for i, k := range []string{"a", "b", "c"} {
			if err := f.tab.Put(tx, k, i+1); err != nil {
				return err
			}
			for j := range 3 {
				if _, err := f.log.Append(tx, k, 10*i+j); err != nil {
					return err
				}
			}
			if err := f.aged.Put(tx, k, i+1, t0.Add(time.Duration(i)*time.Hour)); err != nil {
				return err
			}
		}
		if err := f.log.Forget(tx, "a", 1); err != nil {
			return err
		}
		return f.cloned.Put(tx, "c", []int{1, 2, 3})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRollbackOfEveryWriteKind fails a transaction after each kind of write, alone and
// mixed with the others, and checks that the state is exactly the seeded one.
func TestRollbackOfEveryWriteKind(t *testing.T) {
	writes := map[string]func(f *fixture, tx *memtx.Tx) error{
		"put new":        func(f *fixture, tx *memtx.Tx) error { return f.tab.Put(tx, "z", 9) },
		"put existing":   func(f *fixture, tx *memtx.Tx) error { return f.tab.Put(tx, "a", 9) },
		"delete":         func(f *fixture, tx *memtx.Tx) error { return f.tab.Delete(tx, "b") },
		"delete absent":  func(f *fixture, tx *memtx.Tx) error { return f.tab.Delete(tx, "zz") },
		"append new key": func(f *fixture, tx *memtx.Tx) error { _, err := f.log.Append(tx, "z", 1); return err },
		"append":         func(f *fixture, tx *memtx.Tx) error { _, err := f.log.Append(tx, "b", 99); return err },
		"forget":         func(f *fixture, tx *memtx.Tx) error { return f.log.Forget(tx, "b", 2) },
		"forget all":     func(f *fixture, tx *memtx.Tx) error { return f.log.Forget(tx, "c", 100) },
		"forget then add": func(f *fixture, tx *memtx.Tx) error {
			f.log.Forget(tx, "a", 3)
			_, err := f.log.Append(tx, "a", 7)
			return err
		},
		"aged put":     func(f *fixture, tx *memtx.Tx) error { return f.aged.Put(tx, "z", 5, t0.Add(5*time.Hour)) },
		"aged restamp": func(f *fixture, tx *memtx.Tx) error { return f.aged.Put(tx, "a", 5, t0.Add(5*time.Hour)) },
		"aged delete":  func(f *fixture, tx *memtx.Tx) error { return f.aged.Delete(tx, "c") },
		"aged forget":  func(f *fixture, tx *memtx.Tx) error { _, err := f.aged.Forget(tx, t0.Add(2*time.Hour)); return err },
		"cloned put":   func(f *fixture, tx *memtx.Tx) error { return f.cloned.Put(tx, "c", []int{7}) },
		"same key 3 times": func(f *fixture, tx *memtx.Tx) error {
			f.tab.Put(tx, "a", 7)
			f.tab.Delete(tx, "a")
			return f.tab.Put(tx, "a", 8)
		},
	}
	names := slices.Sorted(maps.Keys(writes))
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, mode := range []string{"error", "panic"} {
				f := newFixture()
				f.seed(t)
				want := f.read(t)
				func() {
					defer func() {
						if r := recover(); (r != nil) != (mode == "panic") {
							t.Errorf("%s: recovered %v", mode, r)
						}
					}()
					err := f.db.Update(context.Background(), func(tx *memtx.Tx) error {
						if err := writes[name](f, tx); err != nil {
							return err
						}
						if mode == "panic" {
							panic("boom")
						}
						return errBoom
					})
					if !errors.Is(err, errBoom) {
						t.Errorf("Update = %v, want %v", err, errBoom)
					}
				}()
				if diff := cmp.Diff(want, f.read(t)); diff != "" {
					t.Errorf("%s: state after rollback (-want +got):\n%s", mode, diff)
				}
			}
		})
	}
	// All of them in one transaction.
	f := newFixture()
	f.seed(t)
	want := f.read(t)
	f.db.Update(context.Background(), func(tx *memtx.Tx) error {
		for _, name := range names {
			if err := writes[name](f, tx); err != nil {
				t.Fatal(err)
			}
		}
		return errBoom
	})
	if diff := cmp.Diff(want, f.read(t)); diff != "" {
		t.Errorf("all writes: state after rollback (-want +got):\n%s", diff)
	}
}

// TestCommitAfterRollback checks that the reused transaction of a failed Update carries
// nothing into the next one: a later failure undoes only its own writes.
func TestCommitAfterRollback(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	f.db.Update(ctx, func(tx *memtx.Tx) error { f.tab.Put(tx, "a", 1); return errBoom })
	if err := f.db.Update(ctx, func(tx *memtx.Tx) error { return f.tab.Put(tx, "b", 2) }); err != nil {
		t.Fatal(err)
	}
	f.db.Update(ctx, func(tx *memtx.Tx) error { f.tab.Put(tx, "c", 3); f.tab.Delete(tx, "b"); return errBoom })
	if diff := cmp.Diff(map[string]int{"b": 2}, f.read(t).Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestReadsAfterWritesInOneTransaction checks that a transaction reads its own writes, of
// every kind, before it commits.
func TestReadsAfterWritesInOneTransaction(t *testing.T) {
	f := newFixture()
	f.seed(t)
	f.db.Update(context.Background(), func(tx *memtx.Tx) error {
		f.tab.Put(tx, "a", 7)
		if v, _ := f.tab.Get(tx, "a"); v != 7 {
			t.Errorf("a = %d after Put 7", v)
		}
		f.tab.Delete(tx, "a")
		if _, ok := f.tab.Get(tx, "a"); ok {
			t.Error("a readable after Delete")
		}
		pos, _ := f.log.Append(tx, "a", 5)
		if pos != 3 {
			t.Errorf("Append position = %d, want 3 (positions count forgotten records)", pos)
		}
		if v, ok := f.log.At(tx, "a", 3); !ok || v != 5 {
			t.Errorf("At(3) = %d, %v", v, ok)
		}
		f.log.Forget(tx, "a", 3)
		if _, ok := f.log.At(tx, "a", 2); ok {
			t.Error("forgotten position 2 readable")
		}
		if got := f.log.First(tx, "a"); got != 3 {
			t.Errorf("First = %d, want 3", got)
		}
		if got := f.log.Len(tx, "a"); got != 4 {
			t.Errorf("Len = %d, want 4", got)
		}
		var seen []int
		f.log.Range(tx, "a", 0, func(i, v int) bool { seen = append(seen, i, v); return true })
		if diff := cmp.Diff([]int{3, 5}, seen); diff != "" {
			t.Errorf("Range from 0 after Forget (-want +got):\n%s", diff)
		}
		f.aged.Put(tx, "z", 9, t0.Add(9*time.Hour))
		if v, ok := f.aged.Get(tx, "z"); !ok || v != 9 {
			t.Errorf("aged z = %d, %v", v, ok)
		}
		return nil
	})
}

func TestLogForget(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	f.db.Update(ctx, func(tx *memtx.Tx) error {
		for i := range 10 {
			f.log.Append(tx, "k", i)
		}
		return nil
	})
	for _, tc := range []struct {
		before    int
		wantFirst int
	}{{-1, 0}, {0, 0}, {4, 4}, {2, 4}, {10, 10}, {20, 10}} {
		f.db.Update(ctx, func(tx *memtx.Tx) error { return f.log.Forget(tx, "k", tc.before) })
		f.db.View(ctx, func(tx *memtx.Tx) error {
			if got := f.log.First(tx, "k"); got != tc.wantFirst {
				t.Errorf("Forget(%d): First = %d, want %d", tc.before, got, tc.wantFirst)
			}
			if got := f.log.Len(tx, "k"); got != 10 {
				t.Errorf("Forget(%d): Len = %d, want 10", tc.before, got)
			}
			if v, ok := f.log.At(tx, "k", tc.wantFirst); tc.wantFirst < 10 && (!ok || v != tc.wantFirst) {
				t.Errorf("Forget(%d): At(%d) = %d, %v", tc.before, tc.wantFirst, v, ok)
			}
			return nil
		})
	}
	var keys []string
	f.db.View(ctx, func(tx *memtx.Tx) error {
		f.log.Keys(tx, func(k string) bool { keys = append(keys, k); return true })
		return nil
	})
	if len(keys) != 0 {
		t.Errorf("Keys after forgetting everything = %v, want none", keys)
	}
	pos := -1
	f.db.Update(ctx, func(tx *memtx.Tx) error { pos, _ = f.log.Append(tx, "k", 10); return nil })
	if pos != 10 {
		t.Errorf("Append after Forget at position %d, want 10", pos)
	}
}

func TestAgedForget(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	f.db.Update(ctx, func(tx *memtx.Tx) error {
		f.aged.Put(tx, "a", 1, at(0))
		f.aged.Put(tx, "b", 2, at(1))
		f.aged.Put(tx, "c", 3, at(2))
		f.aged.Put(tx, "a", 4, at(3))       // restamped: stays until at(3) is old
		f.aged.Put(tx, "k", 5, time.Time{}) // kept
		return nil
	})
	for _, tc := range []struct {
		horizon time.Time
		n       int
		want    map[string]int
	}{
		{at(0), 0, map[string]int{"a": 4, "b": 2, "c": 3, "k": 5}},
		{at(1), 0, map[string]int{"a": 4, "b": 2, "c": 3, "k": 5}}, // a's old stamp goes, a stays
		{at(2), 1, map[string]int{"a": 4, "c": 3, "k": 5}},
		{at(2), 0, map[string]int{"a": 4, "c": 3, "k": 5}},
		{at(4), 2, map[string]int{"k": 5}},
	} {
		var n int
		if err := f.db.Update(ctx, func(tx *memtx.Tx) (err error) { n, err = f.aged.Forget(tx, tc.horizon); return err }); err != nil {
			t.Fatal(err)
		}
		if n != tc.n {
			t.Errorf("Forget(%s) = %d, want %d", tc.horizon.Format(time.TimeOnly), n, tc.n)
		}
		if diff := cmp.Diff(tc.want, f.read(t).Aged); diff != "" {
			t.Errorf("Forget(%s) (-want +got):\n%s", tc.horizon.Format(time.TimeOnly), diff)
		}
	}
}

func TestWritesInViewFail(t *testing.T) {
	f := newFixture()
	f.seed(t)
	want := f.read(t)
	f.db.View(context.Background(), func(tx *memtx.Tx) error {
		for name, err := range map[string]error{
			"put":    f.tab.Put(tx, "z", 1),
			"delete": f.tab.Delete(tx, "a"),
			"append": func() error { _, err := f.log.Append(tx, "a", 1); return err }(),
			"forget": f.log.Forget(tx, "b", 2),
			"aged":   f.aged.Put(tx, "z", 1, t0),
			"aged forget": func() error {
				_, err := f.aged.Forget(tx, t0.Add(time.Hour))
				return err
			}(),
		} {
			if !errors.Is(err, memtx.ErrReadOnly) {
				t.Errorf("%s in View = %v, want ErrReadOnly", name, err)
			}
		}
		return nil
	})
	if diff := cmp.Diff(want, f.read(t)); diff != "" {
		t.Errorf("state after writes in a view (-want +got):\n%s", diff)
	}
}

// TestWritesDoNotAllocate checks the typed undo log: once warm, overwriting a row, deleting
// and re-adding it, and a view allocate nothing.
func TestWritesDoNotAllocate(t *testing.T) {
	var db memtx.DB
	var tab memtx.Table[int, int]
	ctx := context.Background()
	fn := func(tx *memtx.Tx) error {
		for k := range 8 {
			tab.Put(tx, k, k)
		}
		tab.Delete(tx, 3)
		return tab.Put(tx, 3, 3)
	}
	db.Update(ctx, fn)
	if n := testing.AllocsPerRun(100, func() { db.Update(ctx, fn) }); n != 0 {
		t.Errorf("Update allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { db.Update(ctx, func(tx *memtx.Tx) error { fn(tx); return errBoom }) }); n != 0 {
		t.Errorf("a rolled-back Update allocates %v times, want 0", n)
	}
	view := func(tx *memtx.Tx) error { tab.Get(tx, 1); return nil }
	if n := testing.AllocsPerRun(100, func() { db.View(ctx, view) }); n != 0 {
		t.Errorf("View allocates %v times, want 0", n)
	}
}

func TestInsert(t *testing.T) {
	f := newFixture()
	f.seed(t)
	want := f.read(t)
	ctx := context.Background()
	err := f.db.Update(ctx, func(tx *memtx.Tx) error {
		for _, tc := range []struct {
			name string
			ok   bool
			fn   func() (bool, error)
		}{
			{"table, existing key", false, func() (bool, error) { return f.tab.Insert(tx, "a", 9) }},
			{"table, new key", true, func() (bool, error) { return f.tab.Insert(tx, "n", 9) }},
			{"aged, existing key", false, func() (bool, error) { return f.aged.Insert(tx, "a", 9, t0) }},
			{"aged, new key", true, func() (bool, error) { return f.aged.Insert(tx, "n", 9, t0.Add(9*time.Hour)) }},
		} {
			ok, err := tc.fn()
			if err != nil || ok != tc.ok {
				t.Errorf("%s: Insert = %v, %v; want %v", tc.name, ok, err, tc.ok)
			}
		}
		if v, _ := f.tab.Get(tx, "a"); v != 1 {
			t.Errorf("Insert over an existing row changed it to %d", v)
		}
		if v, _ := f.aged.Get(tx, "n"); v != 9 {
			t.Errorf("aged n = %d after Insert", v)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, f.read(t)); diff != "" {
		t.Errorf("state after a rolled-back Insert (-want +got):\n%s", diff)
	}
	f.db.Update(ctx, func(tx *memtx.Tx) error { _, err := f.aged.Insert(tx, "n", 9, t0.Add(9*time.Hour)); return err })
	f.db.Update(ctx, func(tx *memtx.Tx) error {
		if n, _ := f.aged.Forget(tx, t0.Add(10*time.Hour)); n != 4 {
			t.Errorf("Forget after Insert deleted %d rows, want 4 (a, b, c and the inserted n)", n)
		}
		return nil
	})
	f.db.View(ctx, func(tx *memtx.Tx) error {
		if _, err := f.aged.Insert(tx, "z", 1, t0); !errors.Is(err, memtx.ErrReadOnly) {
			t.Errorf("Insert in a view = %v, want ErrReadOnly", err)
		}
		return nil
	})
}

// TestViewWith checks that ViewWith hands fn the store's transaction and returns fn's
// error, does not run fn when ctx is done, and holds the view's read lock while fn runs:
// an update waits for it.
func TestViewWith(t *testing.T) {
	var db memtx.DB
	type storeTx struct{ name string }
	own := &storeTx{"views'"}
	var got *storeTx
	if err := memtx.ViewWith(context.Background(), &db, own, func(tx *storeTx) error { got = tx; return errBoom }); !errors.Is(err, errBoom) || got != own {
		t.Fatalf("ViewWith = %v, fn got %v; want errBoom and the store's transaction", err, got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := memtx.ViewWith(ctx, &db, own, func(*storeTx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("ViewWith on a done context = %v, fn ran: %v", err, ran)
	}
	inView, release, updated := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		_ = memtx.ViewWith(context.Background(), &db, own, func(*storeTx) error { close(inView); <-release; return nil })
	}()
	<-inView
	go func() {
		_ = db.Update(context.Background(), func(*memtx.Tx) error { return nil })
		close(updated)
	}()
	select {
	case <-updated:
		t.Fatal("an update ran while a view held the lock")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-updated
}
