package sqlstore

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"strconv"
	"testing"

	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/promo/promotest"
)

// promoTables are the tables of migration 0002_promo that hold data.
var promoTables = []string{"promo_definitions", "promo_codes", "promo_usage", "promo_reservations", "promo_batches"}

// openPromoDB opens d, applies the migrations and returns the handle.
func openPromoDB(t testing.TB, d testDB) *sql.DB {
	t.Helper()
	db := mustOpen(t, d)
	db.SetMaxOpenConns(8)
	if _, err := Migrate(context.Background(), db, d.dialect); err != nil {
		t.Fatal(err)
	}
	return db
}

// promoRaceEnabled is set when the tests are built with the race detector, which makes the
// pure-Go SQLite about thirty times slower.
var promoRaceEnabled bool

// promoFewerRapidChecks lowers rapid's number of checks to n until the test ends, unless the
// command line or RAPID_CHECKS chose a number. It must be called from a test that is not
// parallel, so that no other test runs rapid meanwhile.
func promoFewerRapidChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	if f == nil {
		return
	}
	explicit := false
	flag.Visit(func(v *flag.Flag) { explicit = explicit || v.Name == f.Name })
	if _, env := os.LookupEnv("RAPID_CHECKS"); explicit || env {
		return
	}
	old := f.Value.String()
	if err := flag.Set(f.Name, strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set(f.Name, old) })
}

func TestPromoStoreConformance(t *testing.T) {
	if promoRaceEnabled {
		// The state machine makes some 100,000 statements in 100 checks: well over a
		// minute on SQLite under the race detector. Without -race it runs all 100.
		promoFewerRapidChecks(t, 20)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openPromoDB(t, d)
		// Every store the suite asks for is the same database emptied: the suite uses one
		// store at a time, and the rapid state machine asks for a fresh one per run.
		promotest.Run(t, func(t *testing.T) promo.Store {
			for _, table := range promoTables {
				if _, err := db.Exec(`DELETE FROM ` + table); err != nil {
					t.Fatal(err)
				}
			}
			return NewPromoStore(db, d.dialect)
		})
	})
}
