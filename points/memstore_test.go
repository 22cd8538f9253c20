package points_test

import (
	"testing"

	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/points/pointstest"
)

func TestMemoryStore(t *testing.T) {
	pointstest.Run(t, func(*testing.T) points.Store { return points.NewMemoryStore() })
}
