package memtx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/loyaltykit/loyalty/internal/memtx"
)

// arenaRef is a string the model expects the arena to hold, with its references.
type arenaRef struct {
	s    memtx.Str
	want string
	refs int
}

// TestArenaAgainstModel runs random transactions of adds (short strings that fill chunks,
// long ones with chunks of their own), shares and releases, committed or rolled back, and
// checks that every string referred to reads back as added. At the end it releases every
// reference: at most the chunk being filled is kept.
func TestArenaAgainstModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var db memtx.DB
		var a memtx.Arena
		var live []arenaRef
		ctx := context.Background()
		check := func(when string) {
			db.View(ctx, func(tx *memtx.Tx) error {
				for _, r := range live {
					if got := a.String(tx, r.s); got != r.want {
						rt.Fatalf("%s: String = %.20q (%d bytes), want %.20q (%d bytes)", when, got, len(got), r.want, len(r.want))
					}
					if !a.Equal(tx, r.s, r.want) || r.s.Len() != len(r.want) {
						rt.Fatalf("%s: Equal(%.20q) = false or Len %d", when, r.want, r.s.Len())
					}
					if r.want != "" && a.Equal(tx, r.s, r.want+"x") {
						rt.Fatalf("%s: Equal with a longer string", when)
					}
				}
				return nil
			})
		}
		for range rapid.IntRange(1, 20).Draw(rt, "transactions") {
			next := append([]arenaRef(nil), live...)
			fail := rapid.Bool().Draw(rt, "fail")
			err := db.Update(ctx, func(tx *memtx.Tx) error {
				for range rapid.IntRange(0, 60).Draw(rt, "ops") {
					switch op := rapid.IntRange(0, 3).Draw(rt, "op"); {
					case op <= 1 || len(next) == 0:
						n := rapid.SampledFrom([]int{0, 1, 7, 3000, 9000}).Draw(rt, "len")
						s := strings.Repeat(string(rune('a'+len(next)%26)), n)
						ref, err := a.Add(tx, s)
						if err != nil {
							return err
						}
						next = append(next, arenaRef{s: ref, want: s, refs: 1})
					case op == 2:
						i := rapid.IntRange(0, len(next)-1).Draw(rt, "share")
						if err := a.Share(tx, next[i].s); err != nil {
							return err
						}
						next[i].refs++
					default:
						i := rapid.IntRange(0, len(next)-1).Draw(rt, "release")
						if err := a.Release(tx, next[i].s); err != nil {
							return err
						}
						if next[i].refs--; next[i].refs == 0 {
							next = append(next[:i], next[i+1:]...)
						}
					}
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
				live = next
			}
			check("after a transaction")
		}
		if err := db.Update(ctx, func(tx *memtx.Tx) error {
			for _, r := range live {
				for range r.refs {
					if err := a.Release(tx, r.s); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			rt.Fatal(err)
		}
		db.View(ctx, func(tx *memtx.Tx) error {
			if n := a.Chunks(tx); n > 1 {
				rt.Fatalf("%d chunks kept after every reference was released, want at most the one being filled", n)
			}
			return nil
		})
	})
}

// TestArenaChunks checks when chunks are made and freed: short strings share a chunk, a
// long string has its own, freed when released (after the commit, not before), and the
// empty string stores nothing.
func TestArenaChunks(t *testing.T) {
	var db memtx.DB
	var a memtx.Arena
	ctx := context.Background()
	chunks := func() (n int) {
		db.View(ctx, func(tx *memtx.Tx) error { n = a.Chunks(tx); return nil })
		return n
	}
	var short, short2, long, empty memtx.Str
	if err := db.Update(ctx, func(tx *memtx.Tx) (err error) {
		if empty, err = a.Add(tx, ""); err != nil {
			return err
		}
		if a.Chunks(tx) != 0 || empty != (memtx.Str{}) {
			t.Errorf("the empty string stored something: %d chunks, %+v", a.Chunks(tx), empty)
		}
		if short, err = a.Add(tx, "order-1"); err != nil {
			return err
		}
		if short2, err = a.Add(tx, "key-1"); err != nil {
			return err
		}
		long, err = a.Add(tx, strings.Repeat("x", 20000))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := chunks(); n != 2 {
		t.Fatalf("%d chunks after two short strings and a long one, want 2", n)
	}
	if err := db.Update(ctx, func(tx *memtx.Tx) error {
		if err := a.Release(tx, long); err != nil {
			return err
		}
		if n := a.Chunks(tx); n != 2 {
			t.Errorf("%d chunks before the commit of a release, want 2", n)
		}
		return a.Release(tx, short)
	}); err != nil {
		t.Fatal(err)
	}
	if n := chunks(); n != 1 {
		t.Fatalf("%d chunks after the long string was released, want 1", n)
	}
	db.View(ctx, func(tx *memtx.Tx) error {
		if got := a.String(tx, short2); got != "key-1" {
			t.Errorf("short2 = %q", got)
		}
		if _, err := a.Add(tx, "x"); !errors.Is(err, memtx.ErrReadOnly) {
			t.Errorf("Add in a view = %v, want ErrReadOnly", err)
		}
		return nil
	})
}
