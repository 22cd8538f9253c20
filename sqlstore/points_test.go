package sqlstore

import (
	"context"
	"database/sql"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/points/pointstest"
	"github.com/shopspring/decimal"
)

// pointsTables are the tables of migration 0004_points.
var pointsTables = []string{"points_accounts", "points_lots", "points_entries", "points_purchases"}

// openPointsDB opens d, applies the migrations and returns the handle.
func openPointsDB(t testing.TB, d testDB) *sql.DB {
	t.Helper()
	db := mustOpen(t, d)
	db.SetMaxOpenConns(8)
	if _, err := Migrate(context.Background(), db, d.dialect); err != nil {
		t.Fatal(err)
	}
	return db
}

// emptyPoints deletes every points row, idempotency records included.
func emptyPoints(t testing.TB, db *sql.DB) {
	t.Helper()
	for _, table := range pointsTables {
		if _, err := db.Exec(`DELETE FROM ` + table); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`DELETE FROM loyalty_idempotency WHERE scope = $1`, pointsScope); err != nil {
		t.Fatal(err)
	}
}

func TestPointsStoreConformance(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openPointsDB(t, d)
		pointstest.Run(t, func(t *testing.T) points.Store {
			emptyPoints(t, db)
			return NewPointsStore(db, d.dialect)
		})
	})
}

var (
	pointsCtx = context.Background()
	pointsT0  = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	pointsRUB = loyalty.MustCurrency("RUB")
)

// pointsConfig is the program of the reliability tests and benchmarks: 1 point per 10 RUB,
// active at once, no expiry; points worth 1 RUB.
func pointsConfig() points.Config {
	return points.Config{
		Rules:      points.Rules{Rates: []points.Rate{{Points: 1, Per: decimal.NewFromInt(10)}}},
		Redemption: points.Redemption{Currency: pointsRUB, PointValue: decimal.NewFromInt(1)},
	}
}

func pointsLedger(t testing.TB, db DBTX, dialect Dialect) *points.Ledger {
	t.Helper()
	l, err := points.New(NewPointsStore(db, dialect), pointsConfig())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pointsOrder is a one-line order of amount RUB.
func pointsOrder(id string, amount int64) loyalty.Order {
	return loyalty.Order{ID: loyalty.OrderID(id), Account: "acme", Currency: pointsRUB, PlacedAt: pointsT0,
		Lines: []loyalty.Line{{SKU: "sku", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice(strconv.FormatInt(amount, 10), "RUB")}}}
}

// BenchmarkPostgresEarn earns points for one-line orders under new keys from about 8
// parallel clients, spread over 1000 holders: every earning is one transaction that reads
// the key's record, the holder's balance and the order's purchase, and writes a lot, an
// entry, the balance, the purchase and the record.
func BenchmarkPostgresEarn(b *testing.B) { benchmarkPointsEarn(b, postgresDB(b)) }

// BenchmarkSQLiteEarn is BenchmarkPostgresEarn on a SQLite file.
func BenchmarkSQLiteEarn(b *testing.B) { benchmarkPointsEarn(b, sqliteDB(b)) }

func benchmarkPointsEarn(b *testing.B, d testDB) {
	const clients = 8
	db := openPointsDB(b, d)
	db.SetMaxOpenConns(clients)
	db.SetMaxIdleConns(clients)
	l := pointsLedger(b, db, d.dialect)
	var seq atomic.Int64
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((clients + procs - 1) / procs)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			s := strconv.FormatInt(i, 10)
			h := points.ForAccount(loyalty.AccountID("acct-" + strconv.FormatInt(i%1000, 10)))
			if _, err := l.EarnOrder(pointsCtx, loyalty.IdempotencyKey("earn-"+s), h, pointsOrder("o-"+s, 1000+i%1000), decimal.Zero); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "earns/s")
}
