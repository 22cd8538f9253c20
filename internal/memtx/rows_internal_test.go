package memtx

import (
	"context"
	"errors"
	"testing"
)

// TestRowsReleaseEmptiedChunks checks that a chunk whose rows are all deleted is released
// when the deleting transaction commits, and kept when it rolls back or still has a row.
func TestRowsReleaseEmptiedChunks(t *testing.T) {
	var db DB
	var rows Rows[int]
	ctx := context.Background()
	update := func(fn func(tx *Tx) error) error { return db.Update(ctx, fn) }
	if err := update(func(tx *Tx) error {
		for i := range rowsChunk + 10 {
			if _, err := rows.Append(tx, i); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	deleteFirst := func(n int) func(tx *Tx) error {
		return func(tx *Tx) error {
			for id := 1; id <= n; id++ {
				if err := rows.Delete(tx, id); err != nil {
					return err
				}
			}
			return nil
		}
	}
	boom := errors.New("boom")
	if err := update(func(tx *Tx) error { deleteFirst(rowsChunk)(tx); return boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if rows.chunks[0] == nil || rows.Count(nil) != rowsChunk+10 {
		t.Fatalf("after a rolled-back delete: chunk released %v, count %d", rows.chunks[0] == nil, rows.Count(nil))
	}
	if err := update(deleteFirst(rowsChunk - 1)); err != nil {
		t.Fatal(err)
	}
	if rows.chunks[0] == nil {
		t.Fatal("a chunk with a row left was released")
	}
	if err := update(deleteFirst(rowsChunk)); err != nil {
		t.Fatal(err)
	}
	if rows.chunks[0] != nil || rows.chunks[1] == nil {
		t.Fatalf("after deleting the first chunk's rows: released %v, %v; want true, false", rows.chunks[0] == nil, rows.chunks[1] == nil)
	}
	if v, ok := rows.Get(nil, rowsChunk+1); !ok || v != rowsChunk {
		t.Fatalf("Get(%d) = %d, %v after the release", rowsChunk+1, v, ok)
	}
}
