package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/sqlstore"
	"github.com/shopspring/decimal"
)

// A promo service over SQLite: the code's single use survives a restart of the program,
// and a second order is refused. With sqlstore.OpenPostgres and sqlstore.Postgres the
// same program shares the limit between every instance that uses the database.
func ExampleNewPromoStore() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "promo-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "loyalty.db")
	clock := loyalty.NewManualClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	checkout := func(order string) promo.Checkout {
		return promo.Checkout{Order: loyalty.Order{ID: loyalty.OrderID(order), Account: "acme", Currency: loyalty.MustCurrency("RUB"),
			PlacedAt: clock.Now(), Lines: []loyalty.Line{{SKU: "beans", Quantity: loyalty.MustQuantity("2"), UnitPrice: loyalty.MustPrice("6000", "RUB")}}}}
	}
	// open starts the program: it opens the database and brings its schema up to date.
	open := func() (*promo.Service, func() error) {
		db, err := sqlstore.OpenSQLite(path)
		if err != nil {
			panic(err)
		}
		if _, err := sqlstore.Migrate(ctx, db, sqlstore.SQLite); err != nil {
			panic(err)
		}
		svc, err := promo.New(promo.Config{Store: sqlstore.NewPromoStore(db, sqlstore.SQLite), Clock: clock})
		if err != nil {
			panic(err)
		}
		return svc, db.Close
	}

	svc, stop := open()
	if err := svc.Define(ctx, promo.Definition{ID: "skidka30", Kind: promo.Shareable,
		Benefit: promo.Benefit{Percent: decimal.NewFromInt(30)}, Limits: promo.Limits{Total: 1}}); err != nil {
		panic(err)
	}
	if _, err := svc.AddCode(ctx, promo.Code{Code: "SKIDKA30", Definition: "skidka30"}); err != nil {
		panic(err)
	}
	r, err := svc.RedeemNow(ctx, promo.Request{Key: "order-42/SKIDKA30", Code: "skidka-30", Checkout: checkout("order-42")})
	fmt.Println(r.State, r.Grant.Code, r.Grant.Benefit.Percent, err)
	_ = stop()

	svc, stop = open() // the program restarts
	defer stop()
	_, err = svc.RedeemNow(ctx, promo.Request{Key: "order-43/SKIDKA30", Code: "SKIDKA30", Checkout: checkout("order-43")})
	fmt.Println(errors.Is(err, promo.ErrExhausted))
	again, err := svc.RedeemNow(ctx, promo.Request{Key: "order-42/SKIDKA30", Code: "skidka-30", Checkout: checkout("order-42")})
	fmt.Println(again.State, again.RedeemedAt.Equal(r.RedeemedAt), err)
	// Output:
	// redeemed SKIDKA30 30 <nil>
	// true
	// redeemed true <nil>
}
