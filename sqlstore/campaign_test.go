package sqlstore

import (
	"testing"

	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/campaign/campaigntest"
)

// campaignTables are the tables of migration 0006_campaign that hold data.
var campaignTables = []string{"campaign_commits", "campaign_orders", "campaign_accounts", "campaign_returns",
	"campaign_budgets", "campaign_budget_uses"}

// campaignRaceChecks is how many cases the conformance suite's rapid state machine runs
// under the race detector (see refRaceChecks), unless -rapid.checks or RAPID_CHECKS says
// otherwise.
const campaignRaceChecks = 6

func TestOrderStoreConformance(t *testing.T) {
	if raceEnabled {
		fewerRapidChecks(t, campaignRaceChecks)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		// Every store the suite asks for is the same store emptied: the suite uses one
		// store at a time, and the rapid state machine asks for a fresh one per run.
		s := NewOrderStore(db, d.dialect)
		campaigntest.Run(t, func(t *testing.T) campaign.OrderStore {
			emptyTables(t, db, campaignTables)
			return s
		})
	})
}
