package sqlstore

import (
	"context"
	"database/sql"
	"testing"

	"github.com/loyaltykit/loyalty/tier"
	"github.com/loyaltykit/loyalty/tier/tiertest"
)

// tierTables are the tables of migration 0005_tier that hold data.
var tierTables = []string{"tier_accounts", "tier_changes", "tier_receipts", "tier_state"}

// openTierDB opens d, applies the migrations and returns the handle.
func openTierDB(t testing.TB, d testDB) *sql.DB {
	t.Helper()
	db := mustOpen(t, d)
	db.SetMaxOpenConns(8)
	if _, err := Migrate(context.Background(), db, d.dialect); err != nil {
		t.Fatal(err)
	}
	return db
}

// emptyTierTables deletes every row of the tier tables.
func emptyTierTables(t testing.TB, db *sql.DB) {
	t.Helper()
	for _, table := range tierTables {
		if _, err := db.Exec(`DELETE FROM ` + table); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTierStoreConformance(t *testing.T) {
	refLimitRapidChecks(t)
	eachDB(t, func(t *testing.T, d testDB) {
		db := openTierDB(t, d)
		// Every store the suite asks for is the same store emptied: the suite uses one
		// store at a time, and the rapid state machine asks for a fresh one per run.
		s := NewTierStore(db, d.dialect)
		tiertest.Run(t, func(t *testing.T) tier.Store {
			emptyTierTables(t, db)
			return s
		})
	})
}
