package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/sqlstore"
	"github.com/shopspring/decimal"
)

// A points ledger over SQLite: the points an order earned survive a restart of the program,
// and the ERP's retry of the same posting after the restart changes nothing. With
// sqlstore.OpenPostgres and sqlstore.Postgres the same program shares the balances between
// every instance that uses the database.
func ExampleNewPointsStore() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "points-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "loyalty.db")
	clock := loyalty.NewManualClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	rub := loyalty.MustCurrency("RUB")
	order := loyalty.Order{ID: "order-42", Account: "acme", Currency: rub, PlacedAt: clock.Now(),
		Lines: []loyalty.Line{{SKU: "beans", Quantity: loyalty.MustQuantity("2"), UnitPrice: loyalty.MustPrice("6000", "RUB")}}}
	// open starts the program: it opens the database and brings its schema up to date.
	open := func() (*points.Ledger, func() error) {
		db, err := sqlstore.OpenSQLite(path)
		if err != nil {
			panic(err)
		}
		if _, err := sqlstore.Migrate(ctx, db, sqlstore.SQLite); err != nil {
			panic(err)
		}
		l, err := points.New(sqlstore.NewPointsStore(db, sqlstore.SQLite), points.Config{
			Rules:      points.Rules{Rates: []points.Rate{{Points: 1, Per: decimal.NewFromInt(100)}}},
			Redemption: points.Redemption{Currency: rub, PointValue: decimal.NewFromInt(1)},
			Clock:      clock,
		})
		if err != nil {
			panic(err)
		}
		return l, db.Close
	}

	l, stop := open()
	acme := points.ForAccount("acme")
	p, err := l.EarnOrder(ctx, "order-42/earn", acme, order, decimal.Zero)
	fmt.Println(p.Points(points.KindEarn), err)
	_ = stop()

	l, stop = open() // the program restarts
	defer stop()
	again, err := l.EarnOrder(ctx, "order-42/earn", acme, order, decimal.Zero) // the ERP retries
	fmt.Println(again.Points(points.KindEarn), again.Replayed, err)
	if _, err := l.Spend(ctx, points.SpendRequest{Key: "reward-7", Holder: acme, Points: 50, Reward: "mug"}); err != nil {
		panic(err)
	}
	b, err := l.Balance(ctx, acme)
	fmt.Println(b.Earned, b.Spent, b.Available, err)
	// Output:
	// 120 <nil>
	// 120 true <nil>
	// 120 50 70 <nil>
}
