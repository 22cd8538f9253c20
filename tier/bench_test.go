package tier_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
)

func BenchmarkLevelFor(b *testing.B) {
	e := mustEvaluator(airlineLadder())
	amounts := []tier.Amount{{Spend: rub("1200000")}, {Spend: rub("3500000")}, {Spend: rub("7000000")}, {Spend: rub("5000000")}}
	b.ReportAllocs()
	b.ResetTimer()
	sum := 0
	for i := 0; i < b.N; i++ {
		lv, err := e.LevelFor(amounts[i&3])
		if err != nil {
			b.Fatal(err)
		}
		sum += lv
	}
	if sum < 0 {
		b.Fatal(sum)
	}
}

// populate fills a memory store with n accounts enrolled on 1 January 2025, each with a few
// days of ticket spend in 2025 spread so that the accounts land on every level.
func populate(b *testing.B, n int) *tier.MemoryStore {
	s := tier.NewMemoryStore()
	start := date(2025, 1, 1)
	const chunk = 10000
	for lo := 0; lo < n; lo += chunk {
		err := s.Update(context.Background(), func(tx tier.Tx) error {
			for i := lo; i < min(lo+chunk, n); i++ {
				a := tier.Account{
					ID:       loyalty.AccountID(fmt.Sprintf("acct-%08d", i)),
					Enrolled: start,
					Status:   tier.Status{Since: start, Reviewed: start},
				}
				for k := 0; k < 3; k++ {
					d := tier.DayOf(start) + tier.Day((i*7+k*37)%330)
					a.History = append(a.History, tier.DayTotal{Day: d, Units: int64((i*31+k*17)%350) * 1_000_000}) // up to 3,490,000.00 RUB
				}
				sortHistory(a.History)
				if err := tx.PutAccount(a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// build the ID index outside the measurement
	s.View(context.Background(), func(tx tier.ReadTx) error { _, err := tx.Accounts("", 1); return err })
	return s
}

func sortHistory(h tier.History) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].Day < h[j-1].Day; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
	// merge equal days
	out := h[:0]
	for _, d := range h {
		if n := len(out); n > 0 && out[n-1].Day == d.Day {
			out[n-1].Units += d.Units
			continue
		}
		out = append(out, d)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkReview runs monthly batch reviews of the airline ladder (monthly upgrades, yearly
// downgrades) over n accounts held in memory: one op is one review of every account, at the
// next month's first day (a year of reviews is 12 ops). It reports the memory held per
// account and the time per account.
func BenchmarkReview(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			before := heapInUse()
			s := populate(b, n)
			perAccount := float64(heapInUse()-before) / float64(n)
			// The clock follows the monthly reviews, so that any number of them is in the past.
			clock := loyalty.NewManualClock(date(2025, time.February, 1))
			svc, err := tier.NewService(s, tier.Config{Ladder: airlineLadder(), Location: msk, BatchSize: 4096, Clock: clock})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			changed := 0
			for i := 0; i < b.N; i++ {
				at := date(2025, time.February, 1).AddDate(0, i, 0)
				clock.Set(at)
				rep, err := svc.ReviewAll(context.Background(), at)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Reviewed != n {
					b.Fatalf("reviewed %d accounts, want %d", rep.Reviewed, n)
				}
				changed += rep.Changed
			}
			b.StopTimer()
			b.ReportMetric(perAccount, "B/account")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/account")
			b.ReportMetric(float64(changed)/float64(b.N), "changed/op")
			runtime.KeepAlive(s)
		})
	}
}

// BenchmarkReviewYear runs a year of monthly batch reviews (1 February 2025 to 1 January
// 2026, the last also the yearly downgrade review) over n accounts: one op is the whole year.
func BenchmarkReviewYear(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var changed int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := populate(b, n)
				svc, err := tier.NewService(s, tier.Config{Ladder: airlineLadder(), Location: msk, BatchSize: 4096})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for m := 1; m <= 12; m++ {
					rep, err := svc.ReviewAll(context.Background(), loyalty.AddMonths(date(2025, 1, 1), m))
					if err != nil {
						b.Fatal(err)
					}
					changed += rep.Changed
				}
			}
			b.ReportMetric(float64(changed)/float64(b.N), "changes/year")
		})
	}
}

// BenchmarkProjectAll explains every account (level, distance to the next, what keeps the
// current one, the level projected for the yearly review) on 15 July 2025, after the 1 July
// batch review: one op projects all n accounts.
func BenchmarkProjectAll(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			s := populate(b, n)
			svc, err := tier.NewService(s, tier.Config{Ladder: airlineLadder(), Location: msk, BatchSize: 4096,
				Clock: loyalty.NewManualClock(date(2025, 7, 15))})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.ReviewAll(context.Background(), date(2025, 7, 1)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				count := 0
				if err := svc.ProjectAll(context.Background(), func(p tier.Projection) error {
					count++
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				if count != n {
					b.Fatalf("projected %d accounts, want %d", count, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/account")
		})
	}
}

// BenchmarkEffectiveAt looks up an account's level at a time after its last review, as
// campaign's Evaluate does for every order: the three-level spend ladder of the reference
// program (lifetime window, immediate reviews) in Moscow, for an account at Silver reviewed
// an hour earlier the same day, and a week earlier (seven days to go through).
func BenchmarkEffectiveAt(b *testing.B) {
	e := mustEvaluator(tier.Ladder{Currency: loyalty.MustCurrency("RUB"), Levels: []tier.Level{
		{Name: "Blue"},
		{Name: "Silver", Threshold: tier.Amount{Spend: rub("20000")}, Benefits: tier.Benefits{DiscountRate: dec("0.03"), EarnMultiplier: dec("1.5")}},
		{Name: "Gold", Threshold: tier.Amount{Spend: rub("60000")}, Benefits: tier.Benefits{DiscountRate: dec("0.05"), EarnMultiplier: dec("2")}},
	}})
	day := date(2026, 3, 2)
	a := tier.Account{ID: "acme", Enrolled: date(2026, 2, 1),
		History: tier.History{{Day: tier.DayOf(date(2026, 2, 20)), Units: 500000}, {Day: tier.DayOf(day), Units: 2500000}}}
	a, _, err := e.Advance(a, day.Add(14*time.Hour))
	if err != nil || a.Status.Level != 1 {
		b.Fatalf("level %d, %v; want Silver", a.Status.Level, err)
	}
	for _, tt := range []struct {
		name string
		at   time.Time
	}{{"same-day", day.Add(15 * time.Hour)}, {"week-later", day.Add(7*24*time.Hour + 15*time.Hour)}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if lv, src := e.EffectiveAt(a, tt.at); lv != 1 || src != tier.Earned {
					b.Fatal(lv, src)
				}
			}
		})
	}
	// The airline ladder (monthly upgrade and yearly downgrade reviews), between reviews.
	airline := mustEvaluator(airlineLadder())
	corp := tier.Account{ID: "corp", Enrolled: date(2025, 1, 1),
		History: tier.History{{Day: tier.DayOf(date(2026, 1, 20)), Units: 310000000}, {Day: tier.DayOf(day), Units: 2500000}}}
	corp, _, err = airline.Advance(corp, day.Add(14*time.Hour))
	if err != nil || corp.Status.Level != 1 {
		b.Fatalf("level %d, %v; want 1", corp.Status.Level, err)
	}
	b.Run("periodic/same-day", func(b *testing.B) {
		at := day.Add(15 * time.Hour)
		b.ReportAllocs()
		for range b.N {
			if lv, src := airline.EffectiveAt(corp, at); lv != 1 || src != tier.Earned {
				b.Fatal(lv, src)
			}
		}
	})
	// The same lookup through a service over the memory store, reading the account.
	store := tier.NewMemoryStore()
	if err := store.Update(context.Background(), func(tx tier.Tx) error { return tx.PutAccount(a) }); err != nil {
		b.Fatal(err)
	}
	svc, err := tier.NewService(store, tier.Config{Ladder: e.Ladder(), Location: msk})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("service/same-day", func(b *testing.B) {
		at := day.Add(15 * time.Hour)
		b.ReportAllocs()
		for range b.N {
			if lv, src, err := svc.EffectiveAt(context.Background(), "acme", at); lv != 1 || src != tier.Earned || err != nil {
				b.Fatal(lv, src, err)
			}
		}
	})
}
