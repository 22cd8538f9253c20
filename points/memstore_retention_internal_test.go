package points

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
	"github.com/shopspring/decimal"
)

// retained counts what a memory store holds: rows of every table and retained records of
// every log, and the aging queues.
func (s *memStore) retained() map[string]int {
	n := map[string]int{}
	s.db.View(context.Background(), func(tx *memtx.Tx) error {
		n["accounts"] = s.accounts.Len(tx)
		n["lots"] = s.lots.Count(tx)
		n["purchases"] = s.purchases.rows.Count(tx)
		n["records"] = s.records.rows.Count(tx)
		var k struct{}
		n["entries"] = s.entries.Count(tx)
		n["entry stamps"] = s.entryAge.Len(tx, k) - s.entryAge.First(tx, k)
		n["lot stamps"] = s.lotAge.Len(tx, k) - s.lotAge.First(tx, k)
		for id := range int32(s.holders.vals.Len(tx) + 1) {
			n["holder entries"] += s.holderLog.Len(tx, id) - s.holderLog.First(tx, id)
			n["holder lots"] += s.holderLots.Len(tx, id) - s.holderLots.First(tx, id)
		}
		n["entry side rows"] = s.entryMore.Count(tx)
		n["purchase side rows"] = s.purchaseMore.Count(tx)
		n["record side rows"] = s.recordIDs.Count(tx)
		n["string chunks"] = s.strs.Chunks(tx)
		return nil
	})
	return n
}

// retentionRun replays days of daily business for 5 holders through a ledger over store:
// every holder earns on an order a day, spends some points every third day, returns half
// of an order of 20 days before every fifth day; expiry runs monthly. It returns every
// holder's balance at the end.
func retentionRun(t *testing.T, store Store, clock *loyalty.ManualClock, days int) map[Holder]Balance {
	t.Helper()
	ctx := context.Background()
	l, err := New(store, Config{
		Rules: Rules{Rates: []Rate{{Points: 1, Per: decimal.NewFromInt(10)}}, PendingDays: 14, Expiry: Expiry{Months: 2}},
		Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	rub := loyalty.MustCurrency("RUB")
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	holders := []Holder{ForAccount("a"), ForAccount("b"), ForAccount("c"), ForBuyer("d"), ForBuyer("e")}
	for d := range days {
		clock.Set(start.AddDate(0, 0, d))
		if clock.Now().Day() == 1 {
			if _, err := l.Expire(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for i, h := range holders {
			id := loyalty.OrderID(fmt.Sprintf("%s-%d", h.ID, d))
			o := loyalty.Order{ID: id, Account: "x", Currency: rub, PlacedAt: clock.Now(), Lines: []loyalty.Line{
				{SKU: "a", Quantity: loyalty.MustQuantity("2"), UnitPrice: loyalty.MustPrice(fmt.Sprint(100+10*i+d%7), "RUB")},
				{SKU: "b", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("55", "RUB")},
			}}
			if _, err := l.EarnOrder(ctx, loyalty.IdempotencyKey("earn/"+string(id)), h, o, decimal.Zero); err != nil {
				t.Fatal(err)
			}
			if d%3 == 2 {
				bal, err := l.Balance(ctx, h)
				if err != nil {
					t.Fatal(err)
				}
				if bal.Available > 3 {
					if _, err := l.Spend(ctx, SpendRequest{Key: loyalty.IdempotencyKey("spend/" + string(id)), Holder: h, Points: bal.Available / 3}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if d%5 == 4 && d >= 20 {
				old := loyalty.OrderID(fmt.Sprintf("%s-%d", h.ID, d-20))
				if _, err := l.Return(ctx, ReturnRequest{Key: loyalty.IdempotencyKey("ret/" + string(old)), Holder: h, Order: old,
					Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	out := map[Holder]Balance{}
	for _, h := range holders {
		b, err := l.Balance(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		out[h] = b
	}
	return out
}

// TestRetentionBoundsTheStore replays N and 4N days of the same business through a store
// with a 30-day retention: what it keeps does not grow with the history, and every balance
// equals the one of a store that keeps everything.
func TestRetentionBoundsTheStore(t *testing.T) {
	sizes := map[int]map[string]int{}
	for _, days := range []int{100, 400} {
		clock := loyalty.NewManualClock(time.Time{})
		s := NewMemoryStoreWith(MemoryOptions{Retention: 30 * 24 * time.Hour, Clock: clock}).(*memStore)
		got := retentionRun(t, s, clock, days)
		all := NewMemoryStore().(*memStore)
		want := retentionRun(t, all, loyalty.NewManualClock(time.Time{}), days)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d days: balances with a retention differ from those of a store keeping everything (-want +got):\n%s", days, diff)
		}
		sizes[days] = s.retained()
		if kept := all.retained(); kept["entries"] <= sizes[days]["entries"] {
			t.Errorf("%d days: the retaining store holds %d entries, the full one %d: nothing was forgotten", days, sizes[days]["entries"], kept["entries"])
		}
	}
	short, long := sizes[100], sizes[400]
	for k, n := range long {
		// The same business over 4 times the days: the retained state is the same give or
		// take a month's variation (expiries at month ends), never 4 times.
		if limit := short[k]*3/2 + 10; n > limit {
			t.Errorf("%s: %d retained after 400 days, %d after 100: grows with the history", k, n, short[k])
		}
	}
	t.Logf("retained after 100 days: %v", short)
	t.Logf("retained after 400 days: %v", long)
}

// TestRetentionErrors checks what a retaining store says about what it has forgotten, and
// that replays within the retention still return the first result.
func TestRetentionErrors(t *testing.T) {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	store := NewMemoryStoreWith(MemoryOptions{Retention: 10 * 24 * time.Hour, Clock: clock})
	l, err := New(store, Config{Rules: Rules{Rates: []Rate{{Points: 1, Per: decimal.NewFromInt(10)}}}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	h := ForAccount("a")
	rub := loyalty.MustCurrency("RUB")
	order := func(id loyalty.OrderID) loyalty.Order {
		return loyalty.Order{ID: id, Account: "a", Currency: rub, PlacedAt: clock.Now(),
			Lines: []loyalty.Line{{SKU: "x", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("100", "RUB")}}}
	}
	first, err := l.EarnOrder(ctx, "k1", h, order("o1"), decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	spent, err := l.Spend(ctx, SpendRequest{Key: "s1", Holder: h, Points: 10}) // closes o1's lot
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().Add(5 * 24 * time.Hour))
	again, err := l.EarnOrder(ctx, "k1", h, order("o1"), decimal.Zero)
	if err != nil || !again.Replayed {
		t.Fatalf("replay within the retention = %+v, %v", again, err)
	}
	if diff := cmp.Diff(first.Entries, again.Entries); diff != "" {
		t.Errorf("replayed entries (-first +replay):\n%s", diff)
	}
	clock.Set(clock.Now().Add(6 * 24 * time.Hour))
	if _, err := l.EarnOrder(ctx, "k2", h, order("o2"), decimal.Zero); err != nil { // forgets o1's records
		t.Fatal(err)
	}

	_, err = l.History(ctx, h, 0, 10)
	if !errors.Is(err, ErrForgotten) {
		t.Errorf("History from 0 = %v, want ErrForgotten", err)
	}
	hist, err := l.History(ctx, h, 2, 10)
	if err != nil || len(hist) != 1 || hist[0].Order != "o2" {
		t.Errorf("History from the first retained position = %+v, %v; want o2's earn", hist, err)
	}
	_, err = l.Return(ctx, ReturnRequest{Key: "r1", Holder: h, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}})
	if !errors.Is(err, loyalty.ErrNotFound) || !strings.Contains(err.Error(), "retention") {
		t.Errorf("Return of a forgotten order = %v, want ErrNotFound naming the retention", err)
	}
	_, err = l.Settlement(ctx, clock.Now().AddDate(0, 0, -30), clock.Now())
	if !errors.Is(err, ErrForgotten) {
		t.Errorf("Settlement over a forgotten period = %v, want ErrForgotten", err)
	}
	if _, err := l.Settlement(ctx, clock.Now().AddDate(0, 0, -1), clock.Now().Add(time.Hour)); err != nil {
		t.Errorf("Settlement within the retention: %v", err)
	}
	store.View(ctx, func(tx ReadTx) error {
		if _, err := tx.Entry(spent.Entries[0].ID); !errors.Is(err, ErrForgotten) || !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("Entry of a forgotten entry = %v, want ErrForgotten and ErrNotFound", err)
		}
		if _, err := tx.Lot(first.Entries[0].Lots[0].Lot); !errors.Is(err, ErrForgotten) {
			t.Errorf("Lot of a forgotten closed lot = %v, want ErrForgotten", err)
		}
		if _, err := tx.Lot(1000); errors.Is(err, ErrForgotten) || !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("Lot of a lot never created = %v, want ErrNotFound only", err)
		}
		return nil
	})
	// A key whose record was forgotten runs again: the retention must exceed the retry window.
	p, err := l.Spend(ctx, SpendRequest{Key: "s1", Holder: h, Points: 10})
	if err != nil || p.Replayed {
		t.Errorf("spend under a forgotten key = %+v, %v; want a new posting", p, err)
	}
}

// TestRetentionReleasesStrings earns every day under long keys and order IDs, whose bytes
// fill many chunks of the store's arena, with a 30-day retention: the chunks of forgotten
// rows are freed, so the arena does not grow with the history.
func TestRetentionReleasesStrings(t *testing.T) {
	ctx := context.Background()
	clock := loyalty.NewManualClock(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC))
	s := NewMemoryStoreWith(MemoryOptions{Retention: 30 * 24 * time.Hour, Clock: clock}).(*memStore)
	l, err := New(s, Config{Rules: Rules{Rates: []Rate{{Points: 1, Per: decimal.NewFromInt(10)}}, Expiry: Expiry{Months: 1}}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	rub := loyalty.MustCurrency("RUB")
	long := strings.Repeat("x", 1000)
	chunks := map[int]int{}
	for d := range 400 {
		clock.Set(clock.Now().Add(24 * time.Hour))
		for i := range 4 {
			id := loyalty.OrderID(fmt.Sprintf("%s-%d-%d", long, d, i))
			o := loyalty.Order{ID: id, Account: "a", Currency: rub, PlacedAt: clock.Now(),
				Lines: []loyalty.Line{{SKU: "a", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("100", "RUB")}}}
			if _, err := l.EarnOrder(ctx, loyalty.IdempotencyKey("earn/"+string(id)), ForAccount("a"), o, decimal.Zero); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := l.Expire(ctx); err != nil {
			t.Fatal(err)
		}
		if d == 99 || d == 399 {
			chunks[d+1] = s.retained()["string chunks"]
		}
	}
	// Lots expire after a month and are forgotten 30 days later: about two months of
	// earnings are kept, some 500 KB of keys and order IDs in 16 chunks of 32 KB. Without
	// forgetting, 400 days would fill about 100.
	if chunks[400] > chunks[100]+2 || chunks[400] > 20 {
		t.Errorf("string chunks after 100 days %d, after 400 days %d: the arena grows with the history", chunks[100], chunks[400])
	}
	t.Logf("string chunks: %v", chunks)
}
