package sqlstore

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
)

// benchTierRecord records qualifying purchases of 1,000 accounts from 8 parallel clients
// against d: each op is one Service.Record under a new idempotency key (a receipt, the
// account's day totals and status rewritten, upgrades evaluated).
func benchTierRecord(b *testing.B, d testDB) {
	db := openMigratedDB(b, d)
	const accounts = 1000
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, tierMSK)
	s := NewTierStore(db, d.dialect)
	if err := s.Update(tierCtx, func(tx tier.Tx) error {
		for i := range accounts {
			enrolled := time.Date(2025, 1, 1, 0, 0, 0, 0, tierMSK)
			if err := tx.PutAccount(tier.Account{ID: loyalty.AccountID(fmt.Sprintf("acct-%06d", i)), Enrolled: enrolled,
				Status: tier.Status{Since: enrolled, Reviewed: now}}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	svc, err := tier.NewService(s, tier.Config{Ladder: tierTestLadder(), Location: tierMSK, Clock: loyalty.NewManualClock(now)})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	parallelClients(b, db)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			id := loyalty.AccountID(fmt.Sprintf("acct-%06d", i%accounts))
			at := now.Add(-time.Duration(i%100) * time.Hour)
			if _, err := svc.Record(tierCtx, id, at, tier.Amount{Spend: tierRUB("100")}, loyalty.IdempotencyKey(fmt.Sprintf("order-%d", i))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPostgresRecord records purchases from 8 parallel clients on PostgreSQL.
func BenchmarkPostgresRecord(b *testing.B) { benchTierRecord(b, postgresDB(b)) }

// BenchmarkSQLiteRecord records purchases from 8 parallel clients on SQLite.
func BenchmarkSQLiteRecord(b *testing.B) { benchTierRecord(b, sqliteDB(b)) }

// benchTierReview runs monthly batch reviews (pages of 1,000 accounts) over n accounts
// stored in d, as tier's BenchmarkReview does in memory: one op is one review of every
// account, at the next month's first day, from January 2025 on. It reports the time per
// account and the accounts changed per review.
func benchTierReview(b *testing.B, newDB func(testing.TB) testDB) {
	for _, n := range []int{10_000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			d := newDB(b)
			s := NewTierStore(openMigratedDB(b, d), d.dialect)
			tierPopulate(b, s, n)
			svc, err := tier.NewService(s, tier.Config{Ladder: tierTestLadder(), Location: tierMSK,
				Clock: loyalty.NewManualClock(time.Date(2100, 1, 1, 0, 0, 0, 0, tierMSK))})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			changed := 0
			for i := 0; i < b.N; i++ {
				rep, err := svc.ReviewAll(tierCtx, time.Date(2025, time.January+time.Month(i), 1, 0, 0, 0, 0, tierMSK))
				if err != nil {
					b.Fatal(err)
				}
				if rep.Reviewed != n {
					b.Fatalf("reviewed %d accounts, want %d", rep.Reviewed, n)
				}
				changed += rep.Changed
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/account")
			b.ReportMetric(float64(changed)/float64(b.N), "changed/op")
		})
	}
}

// BenchmarkPostgresReview runs batch reviews of 10,000 accounts on PostgreSQL.
func BenchmarkPostgresReview(b *testing.B) { benchTierReview(b, postgresDB) }

// BenchmarkSQLiteReview runs batch reviews of 10,000 accounts on SQLite.
func BenchmarkSQLiteReview(b *testing.B) { benchTierReview(b, sqliteDB) }
