package memtx_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/loyaltykit/loyalty/internal/memtx"
)

// rowsModel is what a Rows must hold: the rows present by ID, and the last ID assigned.
type rowsModel struct {
	rows map[int]int
	n    int
}

// TestRowsAgainstModel runs random transactions of appends, sets and deletes (enough to fill
// and empty several chunks), committed or rolled back, against a plain map.
func TestRowsAgainstModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var db memtx.DB
		var rows memtx.Rows[int]
		m := rowsModel{rows: map[int]int{}}
		ctx := context.Background()
		for range rapid.IntRange(1, 30).Draw(rt, "transactions") {
			next := rowsModel{rows: maps.Clone(m.rows), n: m.n}
			fail := rapid.Bool().Draw(rt, "fail")
			ops := rapid.IntRange(0, 400).Draw(rt, "ops")
			err := db.Update(ctx, func(tx *memtx.Tx) error {
				for range ops {
					id := rapid.IntRange(0, next.n+1).Draw(rt, "id")
					switch rapid.IntRange(0, 3).Draw(rt, "op") {
					case 0, 1: // appends are the common case, so chunks fill
						v := rapid.Int().Draw(rt, "v")
						got, err := rows.Append(tx, v)
						if err != nil {
							return err
						}
						next.n++
						if got != next.n {
							rt.Fatalf("Append returned ID %d, want %d", got, next.n)
						}
						next.rows[got] = v
					case 2:
						v := rapid.Int().Draw(rt, "v")
						ok, err := rows.Set(tx, id, v)
						if err != nil {
							return err
						}
						if _, want := next.rows[id]; ok != want {
							rt.Fatalf("Set(%d) = %v, want %v", id, ok, want)
						}
						if ok {
							next.rows[id] = v
						}
					case 3:
						// Delete runs of rows so that whole chunks empty.
						for i := id; i < id+rapid.IntRange(1, 300).Draw(rt, "run"); i++ {
							if err := rows.Delete(tx, i); err != nil {
								return err
							}
							delete(next.rows, i)
						}
					}
				}
				checkRows(rt, tx, &rows, next)
				if fail {
					return errBoom
				}
				return nil
			})
			if fail != errors.Is(err, errBoom) || (!fail && err != nil) {
				rt.Fatalf("Update = %v (fail %v)", err, fail)
			}
			if !fail {
				m = next
			}
			db.View(ctx, func(tx *memtx.Tx) error {
				checkRows(rt, tx, &rows, m)
				return nil
			})
		}
	})
}

func checkRows(t *rapid.T, tx *memtx.Tx, rows *memtx.Rows[int], m rowsModel) {
	t.Helper()
	if rows.Len(tx) != m.n || rows.Count(tx) != len(m.rows) {
		t.Fatalf("Len, Count = %d, %d; want %d, %d", rows.Len(tx), rows.Count(tx), m.n, len(m.rows))
	}
	got := map[int]int{}
	rows.Range(tx, 0, func(id, v int) bool {
		got[id] = v
		return true
	})
	if d := cmp.Diff(m.rows, got); d != "" {
		t.Fatalf("Range (-want +got):\n%s", d)
	}
	for id := -1; id <= m.n+2; id++ {
		v, ok := rows.Get(tx, id)
		want, wantOK := m.rows[id]
		if ok != wantOK || v != want {
			t.Fatalf("Get(%d) = %d, %v; want %d, %v", id, v, ok, want, wantOK)
		}
	}
}

func TestRowsWritesInViewFail(t *testing.T) {
	var db memtx.DB
	var rows memtx.Rows[string]
	ctx := context.Background()
	db.Update(ctx, func(tx *memtx.Tx) error {
		_, err := rows.Append(tx, "a")
		return err
	})
	db.View(ctx, func(tx *memtx.Tx) error {
		if _, err := rows.Append(tx, "b"); !errors.Is(err, memtx.ErrReadOnly) {
			t.Errorf("Append in a view: %v, want ErrReadOnly", err)
		}
		if _, err := rows.Set(tx, 1, "b"); !errors.Is(err, memtx.ErrReadOnly) {
			t.Errorf("Set in a view: %v, want ErrReadOnly", err)
		}
		if err := rows.Delete(tx, 1); !errors.Is(err, memtx.ErrReadOnly) {
			t.Errorf("Delete in a view: %v, want ErrReadOnly", err)
		}
		if v, ok := rows.Get(tx, 1); !ok || v != "a" {
			t.Errorf("Get(1) = %q, %v after failed writes; want a, true", v, ok)
		}
		return nil
	})
}

// TestTableReplace checks that Replace stores like Put and that a rollback restores the old
// row it was given, or the absence of one.
func TestTableReplace(t *testing.T) {
	var db memtx.DB
	var tab memtx.Table[string, int]
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *memtx.Tx) error { return tab.Put(tx, "a", 1) }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx *memtx.Tx) error {
		old, had := tab.Get(tx, "a")
		if err := tab.Replace(tx, "a", 2, old, had); err != nil {
			return err
		}
		old, had = tab.Get(tx, "b")
		if err := tab.Replace(tx, "b", 3, old, had); err != nil {
			return err
		}
		if a, _ := tab.Get(tx, "a"); a != 2 {
			t.Errorf("a = %d after Replace, want 2", a)
		}
		if b, _ := tab.Get(tx, "b"); b != 3 {
			t.Errorf("b = %d after Replace, want 3", b)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	db.View(ctx, func(tx *memtx.Tx) error {
		if a, ok := tab.Get(tx, "a"); !ok || a != 1 {
			t.Errorf("a = %d, %v after rollback; want 1, true", a, ok)
		}
		if _, ok := tab.Get(tx, "b"); ok {
			t.Error("b exists after rollback")
		}
		if err := tab.Replace(tx, "a", 5, 1, true); !errors.Is(err, memtx.ErrReadOnly) {
			t.Errorf("Replace in a view: %v, want ErrReadOnly", err)
		}
		return nil
	})
}
