package tier_test

import (
	"testing"

	"github.com/loyaltykit/loyalty/tier"
	"github.com/loyaltykit/loyalty/tier/tiertest"
)

func TestMemoryStore(t *testing.T) {
	tiertest.Run(t, func(t *testing.T) tier.Store { return tier.NewMemoryStore() })
}
