package memtx_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty/internal/memtx"
	"pgregory.net/rapid"
)

// model is the plain state the structures of a fixture must show: a map, sequences with the
// position of their first retained record, and stamped rows.
type model struct {
	rows  map[string]int
	seqs  map[string][]int
	first map[string]int
	aged  map[string]agedModel
	queue []agedModel // stamps in Put order, for Forget
}

type agedModel struct {
	k  string
	v  int
	at int
}

func (m *model) clone() *model {
	c := &model{rows: maps.Clone(m.rows), seqs: map[string][]int{}, first: maps.Clone(m.first), aged: maps.Clone(m.aged), queue: slices.Clone(m.queue)}
	for k, s := range m.seqs {
		c.seqs[k] = slices.Clone(s)
	}
	return c
}

// TestAgainstModel runs random transactions of random writes, each committed or rolled back
// (by an error or a panic), and checks the structures against a plain model after each.
func TestAgainstModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := newFixture()
		m := &model{rows: map[string]int{}, seqs: map[string][]int{}, first: map[string]int{}, aged: map[string]agedModel{}}
		key := rapid.SampledFrom([]string{"a", "b", "c", "d"})
		clock := 0
		for range rapid.IntRange(1, 30).Draw(t, "transactions") {
			want := m.clone()
			outcome := rapid.SampledFrom([]string{"commit", "error", "panic"}).Draw(t, "outcome")
			ops := rapid.IntRange(0, 8).Draw(t, "ops")
			clock++
			fn := func(tx *memtx.Tx) error {
				for range ops {
					k := key.Draw(t, "key")
					v := rapid.IntRange(0, 99).Draw(t, "v")
					switch rapid.IntRange(0, 7).Draw(t, "op") {
					case 0:
						f.tab.Put(tx, k, v)
						want.rows[k] = v
					case 1:
						f.tab.Delete(tx, k)
						delete(want.rows, k)
					case 2:
						ok, _ := f.tab.Insert(tx, k, v)
						if _, had := want.rows[k]; had == ok {
							t.Fatalf("Insert(%s) = %v with the row present: %v", k, ok, had)
						}
						if ok {
							want.rows[k] = v
						}
					case 3:
						pos, _ := f.log.Append(tx, k, v)
						if wantPos := want.first[k] + len(want.seqs[k]); pos != wantPos {
							t.Fatalf("Append(%s) at %d, want %d", k, pos, wantPos)
						}
						want.seqs[k] = append(want.seqs[k], v)
					case 4:
						before := rapid.IntRange(0, 12).Draw(t, "before")
						f.log.Forget(tx, k, before)
						if drop := min(before-want.first[k], len(want.seqs[k])); drop > 0 {
							want.seqs[k] = want.seqs[k][drop:]
							want.first[k] += drop
						}
					case 5:
						at := clock
						f.aged.Put(tx, k, v, t0.Add(time.Duration(at)*time.Hour))
						want.aged[k] = agedModel{k, v, at}
						want.queue = append(want.queue, agedModel{k, v, at})
					case 6:
						horizon := clock - rapid.IntRange(0, 5).Draw(t, "age")
						f.aged.Forget(tx, t0.Add(time.Duration(horizon)*time.Hour))
						for len(want.queue) > 0 && want.queue[0].at < horizon {
							q := want.queue[0]
							want.queue = want.queue[1:]
							if r, ok := want.aged[q.k]; ok && r.at == q.at {
								delete(want.aged, q.k)
							}
						}
					case 7:
						f.aged.Delete(tx, k)
						delete(want.aged, k)
					}
				}
				switch outcome {
				case "error":
					return errBoom
				case "panic":
					panic(errBoom)
				}
				return nil
			}
			func() {
				defer func() {
					if r := recover(); r != nil && outcome != "panic" {
						panic(r)
					}
				}()
				f.db.Update(context.Background(), fn)
			}()
			if outcome == "commit" {
				m = want
			}
			check(t, f, m)
		}
	})
}

func check(t *rapid.T, f *fixture, m *model) {
	f.db.View(context.Background(), func(tx *memtx.Tx) error {
		rows := map[string]int{}
		f.tab.Range(tx, func(k string, v int) bool { rows[k] = v; return true })
		if diff := cmp.Diff(m.rows, rows); diff != "" {
			t.Fatalf("table (-model +got):\n%s", diff)
		}
		for _, k := range []string{"a", "b", "c", "d"} {
			var got []int
			f.log.Range(tx, k, 0, func(i, v int) bool { got = append(got, v); return true })
			if diff := cmp.Diff(m.seqs[k], got, cmp.Comparer(func(a, b []int) bool { return slices.Equal(a, b) })); diff != "" {
				t.Fatalf("log %s (-model +got):\n%s", k, diff)
			}
			if f.log.First(tx, k) != m.first[k] || f.log.Len(tx, k) != m.first[k]+len(m.seqs[k]) {
				t.Fatalf("log %s: First %d Len %d, model %d + %d", k, f.log.First(tx, k), f.log.Len(tx, k), m.first[k], len(m.seqs[k]))
			}
			mv, mok := m.aged[k]
			v, ok := f.aged.Get(tx, k)
			if ok != mok || (ok && v != mv.v) {
				t.Fatalf("aged %s = %d, %v; model %d, %v", k, v, ok, mv.v, mok)
			}
		}
		if f.aged.Len(tx) != len(m.aged) {
			t.Fatalf("aged has %d rows, model %d", f.aged.Len(tx), len(m.aged))
		}
		return nil
	})
}
