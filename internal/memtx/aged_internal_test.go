package memtx

import (
	"context"
	"testing"
	"time"
)

// TestAgedRestampAtSameTimeQueuesOnce checks that writing a row again with the stamp it has
// (a record updated within one instant, as a commit's journal record is) queues no second
// stamp, and that the row is still forgotten.
func TestAgedRestampAtSameTimeQueuesOnce(t *testing.T) {
	var db DB
	var a Aged[string, int]
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db.Update(ctx, func(tx *Tx) error {
		for i := range 3 {
			a.Put(tx, "k", i, t0)
		}
		a.Put(tx, "k", 9, t0.Add(time.Hour))
		return nil
	})
	db.View(ctx, func(tx *Tx) error {
		if n := a.queued(tx); n != 2 {
			t.Errorf("%d stamps queued, want 2 (one per distinct stamp)", n)
		}
		return nil
	})
	db.Update(ctx, func(tx *Tx) error {
		if n, _ := a.Forget(tx, t0.Add(2*time.Hour)); n != 1 {
			t.Errorf("Forget deleted %d rows, want 1", n)
		}
		if a.queued(tx) != 0 || a.Len(tx) != 0 {
			t.Errorf("after Forget: %d stamps, %d rows", a.queued(tx), a.Len(tx))
		}
		return nil
	})
}
