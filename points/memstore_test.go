package points_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/points/pointstest"
	"github.com/shopspring/decimal"
)

func TestMemoryStore(t *testing.T) {
	pointstest.Run(t, func(*testing.T) points.Store { return points.NewMemoryStore() })
}

// TestMemoryStoreThroughInterfaces runs the conformance suite on the memory store seen only
// through the Store, Tx and ReadTx interfaces, as the ledger sees every other store: the
// ledger's shortcuts into the memory store (ptrTx, points/txseam.go) are not taken, so their
// value path is checked here, not only by the SQL stores in their own module.
func TestMemoryStoreThroughInterfaces(t *testing.T) {
	pointstest.Run(t, func(*testing.T) points.Store { return plainStore{points.NewMemoryStore()} })
}

// plainStore hides the types of a store's transactions behind the interfaces.
type plainStore struct{ s points.Store }

func (p plainStore) Update(ctx context.Context, fn func(tx points.Tx) error) error {
	return p.s.Update(ctx, func(tx points.Tx) error { return fn(struct{ points.Tx }{tx}) })
}

func (p plainStore) View(ctx context.Context, fn func(tx points.ReadTx) error) error {
	return p.s.View(ctx, func(tx points.ReadTx) error { return fn(struct{ points.ReadTx }{tx}) })
}

// TestMemoryStoreWithRetention runs the conformance suite on a store with a retention whose
// clock stands still: it stamps and ages everything but forgets nothing, so it must behave
// exactly like the store that keeps everything.
func TestMemoryStoreWithRetention(t *testing.T) {
	pointstest.Run(t, func(*testing.T) points.Store {
		return points.NewMemoryStoreWith(points.MemoryOptions{Retention: time.Hour, Clock: loyalty.NewManualClock(t0)})
	})
}

// TestPostingsAreNotReused checks that the pooled working state of the ledger's operations
// leaves nothing shared behind: a posting returned earlier, and its slices, are not changed
// by later operations, and changing a posting changes nothing stored.
func TestPostingsAreNotReused(t *testing.T) {
	f := newFixture(t, points.Config{Rules: fuelCardRules()})
	earn := f.must(f.l.EarnOrder(ctx, "e1", alice, fuelOrder("o1"), decimal.Zero))
	snapshot := func(p points.Posting) string { return fmt.Sprintf("%+v", p) }
	before := snapshot(earn)
	f.must(f.l.Adjust(ctx, points.Adjustment{Key: "a1", Holder: alice, Points: 500, Reason: "r", Actor: "x"}))
	spend := f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 100}))
	f.must(f.l.EarnOrder(ctx, "e2", bob, fuelOrder("o2"), decimal.Zero))
	if after := snapshot(earn); after != before {
		t.Errorf("an earlier posting changed:\nbefore %s\nafter  %s", before, after)
	}
	// Scribble over the postings; replays must return what was stored.
	want := snapshot(spend)
	for _, p := range []points.Posting{earn, spend} {
		for i := range p.Entries {
			p.Entries[i].Points = -1
			for j := range p.Entries[i].Lots {
				p.Entries[i].Lots[j].Points = -1
			}
			for j := range p.Entries[i].Lines {
				p.Entries[i].Lines[j] = -1
			}
		}
	}
	again := f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 100}))
	again.Replayed = false
	if got := snapshot(again); got != want {
		t.Errorf("replay after the caller changed its posting:\ngot  %s\nwant %s", got, want)
	}
	replayEarn := f.must(f.l.EarnOrder(ctx, "e1", alice, fuelOrder("o1"), decimal.Zero))
	replayEarn.Replayed = false
	if got := snapshot(replayEarn); got != before {
		t.Errorf("earn replay after the caller changed its posting:\ngot  %s\nwant %s", got, before)
	}
}
