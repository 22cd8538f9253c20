package memtx_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/loyaltykit/loyalty/internal/memtx"
)

// TestHashIndexAgainstModel runs random transactions of inserts (enough to grow the table
// several times) and deletes, committed or rolled back, against a map from ID to hash.
// Hashes are drawn from a few that share their upper bits (the index's tag), a few that
// place slots at the end of the table (runs that wrap around) and random ones.
func TestHashIndexAgainstModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var db memtx.DB
		var x memtx.HashIndex
		model := map[int]uint64{} // ID → hash
		nextID := 1
		ctx := context.Background()
		hash := rapid.OneOf(
			rapid.SampledFrom([]uint64{1, 2, 0x1234_5678_0000_0001, 0x1234_5678_0000_0002, 0xffff_ffff_0000_0000, 0xfffe_0000_0000_0000}),
			rapid.Uint64(),
		)
		for range rapid.IntRange(1, 12).Draw(rt, "transactions") {
			next := maps.Clone(model)
			id := nextID
			fail := rapid.Bool().Draw(rt, "fail")
			err := db.Update(ctx, func(tx *memtx.Tx) error {
				for range rapid.IntRange(0, 300).Draw(rt, "ops") {
					if len(next) == 0 || rapid.IntRange(0, 2).Draw(rt, "op") > 0 {
						h := hash.Draw(rt, "hash")
						if err := x.Insert(tx, h, id); err != nil {
							return err
						}
						next[id] = h
						id++
						continue
					}
					ids := slices.Sorted(maps.Keys(next))
					del := rapid.SampledFrom(ids).Draw(rt, "delete")
					if err := x.Delete(tx, next[del], del); err != nil {
						return err
					}
					delete(next, del)
				}
				if fail {
					return errors.New("rollback")
				}
				return nil
			})
			if fail != (err != nil) {
				rt.Fatalf("Update = %v, fail %v", err, fail)
			}
			if !fail {
				model, nextID = next, id
			}
			db.View(ctx, func(tx *memtx.Tx) error {
				if x.Len(tx) != len(model) {
					rt.Fatalf("Len = %d, want %d", x.Len(tx), len(model))
				}
				want := map[uint64][]int{}
				for id, h := range model {
					want[h] = append(want[h], id)
				}
				for h, ids := range want {
					var got []int
					x.Find(tx, h, func(id int) bool {
						if model[id] == h {
							got = append(got, id)
						}
						return false
					})
					slices.Sort(got)
					slices.Sort(ids)
					if d := cmp.Diff(ids, got); d != "" {
						rt.Fatalf("IDs under %#x (-want +got):\n%s", h, d)
					}
					last := ids[len(ids)-1]
					if found := x.Find(tx, h, func(id int) bool { return id == last }); found != last {
						rt.Fatalf("Find(%#x, %d) = %d", h, last, found)
					}
				}
				return nil
			})
		}
	})
}

// TestHashIndexErrors checks the IDs an index refuses, and that writes fail in a view.
func TestHashIndexErrors(t *testing.T) {
	var db memtx.DB
	var x memtx.HashIndex
	ctx := context.Background()
	db.Update(ctx, func(tx *memtx.Tx) error {
		for _, id := range []int{0, -1, 1 << 32} {
			if err := x.Insert(tx, 7, id); !errors.Is(err, memtx.ErrIndexID) {
				t.Errorf("Insert(%d) = %v, want ErrIndexID", id, err)
			}
		}
		return x.Insert(tx, 7, 1)
	})
	db.View(ctx, func(tx *memtx.Tx) error {
		if err := x.Insert(tx, 8, 2); !errors.Is(err, memtx.ErrReadOnly) {
			t.Errorf("Insert in a view = %v", err)
		}
		if err := x.Delete(tx, 7, 1); !errors.Is(err, memtx.ErrReadOnly) {
			t.Errorf("Delete in a view = %v", err)
		}
		if err := x.Delete(tx, 7, 2); err != nil {
			t.Errorf("Delete of an absent ID in a view = %v, want nil (nothing to write)", err)
		}
		return nil
	})
}
