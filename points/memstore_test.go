package points_test

import (
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/points/pointstest"
)

func TestMemoryStore(t *testing.T) {
	pointstest.Run(t, func(*testing.T) points.Store { return points.NewMemoryStore() })
}

// TestMemoryStoreWithRetention runs the conformance suite on a store with a retention whose
// clock stands still: it stamps and ages everything but forgets nothing, so it must behave
// exactly like the store that keeps everything.
func TestMemoryStoreWithRetention(t *testing.T) {
	pointstest.Run(t, func(*testing.T) points.Store {
		return points.NewMemoryStoreWith(points.MemoryOptions{Retention: time.Hour, Clock: loyalty.NewManualClock(t0)})
	})
}
