package promo_test

import (
	"testing"

	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/promo/promotest"
)

func TestMemoryStore(t *testing.T) {
	promotest.Run(t, func(t *testing.T) promo.Store { return promo.NewMemoryStore() })
}
