package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/sqlstore"
	"github.com/shopspring/decimal"
)

// A campaign engine whose whole state — points, tiers, codes, referrals, its journal and
// campaign budgets — is in SQLite: a launch campaign gives 50 bonus points to the first two
// orders in all; the budget survives a restart of the program, and the ERP's retry of a
// commit after the restart changes nothing. With sqlstore.OpenPostgres and
// sqlstore.Postgres, every instance of the program shares the budget.
func ExampleCampaignStores() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "campaign-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "loyalty.db")
	clock := loyalty.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	rub := loyalty.MustCurrency("RUB")
	prog := campaign.Program{ID: "shop", Currency: rub, TimeZone: "Europe/Moscow",
		Earning:    points.Rules{Rates: []points.Rate{{Points: 1, Per: decimal.NewFromInt(100)}}},
		Redemption: points.Redemption{Currency: rub, PointValue: decimal.NewFromInt(1)},
		Campaigns: []campaign.Campaign{{ID: "launch", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
			Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 50}}, Budget: campaign.Budget{Uses: 2}}},
	}
	// open starts the program: it opens the database and brings its schema up to date.
	open := func() (*campaign.Engine, func() error) {
		db, err := sqlstore.OpenSQLite(path)
		if err != nil {
			panic(err)
		}
		if _, err := sqlstore.Migrate(ctx, db, sqlstore.SQLite); err != nil {
			panic(err)
		}
		e, err := campaign.New(prog, sqlstore.CampaignStores(db, sqlstore.SQLite), campaign.Config{Clock: clock})
		if err != nil {
			panic(err)
		}
		return e, db.Close
	}
	commit := func(e *campaign.Engine, id string) campaign.Receipt {
		o := loyalty.Order{ID: loyalty.OrderID(id), Account: "acme", Currency: rub, PlacedAt: clock.Now(),
			Lines: []loyalty.Line{{SKU: "beans", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("1000", "RUB")}}}
		q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{})
		if err != nil {
			panic(err)
		}
		r, err := e.Commit(ctx, q, loyalty.IdempotencyKey("commit-"+id))
		if err != nil {
			panic(err)
		}
		return r
	}
	acme := points.ForAccount("acme")

	e, stop := open()
	fmt.Println("o-1 earns", commit(e, "o-1").Earned(acme))
	fmt.Println("o-2 earns", commit(e, "o-2").Earned(acme))
	_ = stop()

	e, stop = open() // the program restarts
	defer stop()
	again := commit(e, "o-2") // the ERP retries
	fmt.Println("o-2 again earns", again.Earned(acme), "replayed:", again.Replayed)
	fmt.Println("o-3 earns", commit(e, "o-3").Earned(acme)) // the budget is used up
	b, _ := e.Budget(ctx, "launch", "")
	bal, _ := e.Points().Balance(ctx, acme)
	fmt.Println("launch uses:", b.Uses, "balance:", bal.Available)
	// Output:
	// o-1 earns 60
	// o-2 earns 60
	// o-2 again earns 60 replayed: true
	// o-3 earns 10
	// launch uses: 2 balance: 130
}
