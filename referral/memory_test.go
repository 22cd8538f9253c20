package referral_test

import (
	"testing"

	"github.com/loyaltykit/loyalty/referral"
	"github.com/loyaltykit/loyalty/referral/referraltest"
)

func TestMemoryStore(t *testing.T) {
	referraltest.Run(t, func(t *testing.T) referral.Store { return referral.NewMemoryStore() })
}
