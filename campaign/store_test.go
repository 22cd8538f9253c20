package campaign_test

import (
	"testing"

	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/campaign/campaigntest"
)

func TestMemoryStore(t *testing.T) {
	campaigntest.Run(t, func(*testing.T) campaign.OrderStore { return campaign.NewMemoryStore() })
}
