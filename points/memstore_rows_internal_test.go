package points

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"pgregory.net/rapid"
)

// genEntry draws entries with every field either zero or set, and lot and line lists nil,
// empty, short enough to be kept inline or longer.
func genEntry(t *rapid.T) Entry {
	str := func(label string) string {
		return rapid.SampledFrom([]string{"", "a", "b-1"}).Draw(t, label)
	}
	pts := func(label string) Points { return Points(rapid.SampledFrom([]int64{0, 1, 7}).Draw(t, label)) }
	holder := func(label string) Holder {
		if rapid.Bool().Draw(t, label+" set") {
			return Holder{Kind: HolderKind(str(label + " kind")), ID: str(label + " id")}
		}
		return Holder{}
	}
	var value loyalty.Money
	if rapid.Bool().Draw(t, "value set") {
		value = loyalty.MustMoney(rapid.SampledFrom([]string{"0", "1.50", "2"}).Draw(t, "value"), rapid.SampledFrom([]string{"RUB", "EUR"}).Draw(t, "currency"))
	}
	e := Entry{
		ID: EntryID(rapid.IntRange(0, 9).Draw(t, "id")), Holder: holder("holder"), Kind: EntryKind(str("kind")),
		Points: pts("points"), Key: loyalty.IdempotencyKey(str("key")), Order: loyalty.OrderID(str("order")),
		Event: str("event"), Pending: rapid.Bool().Draw(t, "pending"), Issuer: loyalty.PartnerID(str("issuer")),
		Acceptor: loyalty.PartnerID(str("acceptor")), Value: value, Reward: str("reward"), Capped: pts("capped"),
		Debt: pts("debt"), Forgiven: pts("forgiven"), Reason: str("reason"), Actor: str("actor"), Counter: holder("counter"),
	}
	if rapid.Bool().Draw(t, "at set") {
		loc := rapid.SampledFrom([]*time.Location{time.UTC, time.FixedZone("X", 3*3600)}).Draw(t, "loc")
		e.At = time.Date(2026, 1, 31, 23, 0, 0, 5, loc)
	}
	if n := rapid.IntRange(-1, 5).Draw(t, "lots"); n >= 0 {
		e.Lots = make([]LotPart, n)
		for i := range e.Lots {
			e.Lots[i] = LotPart{Lot: LotID(i + 1), Issuer: loyalty.PartnerID(str("lot issuer")), Points: pts("lot points")}
		}
	}
	if n := rapid.IntRange(-1, 7).Draw(t, "lines"); n >= 0 {
		e.Lines = make([]Points, n)
		for i := range e.Lines {
			e.Lines[i] = pts("line")
		}
	}
	return e
}

// roundTrip stores with put in a new transaction of s and reads back with get in a view.
func roundTrip(t *rapid.T, s *memStore, put func(tx Tx) error, get func(tx ReadTx) error) {
	ctx := context.Background()
	if err := s.Update(ctx, put); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, get); err != nil {
		t.Fatal(err)
	}
}

// genStore draws a memory store with or without a retention (whose clock stands still,
// so that it forgets nothing).
func genStore(t *rapid.T) *memStore {
	if rapid.Bool().Draw(t, "retention") {
		return NewMemoryStoreWith(MemoryOptions{Retention: time.Hour, Clock: loyalty.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}).(*memStore)
	}
	return NewMemoryStore().(*memStore)
}

// TestEntryRowRoundTrip checks that a stored entry reads back equal to what was stored,
// nil lists as nil and empty ones as empty, times in their location, and shares nothing
// with either side.
func TestEntryRowRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genStore(t)
		var entries []Entry
		for range rapid.IntRange(1, 3).Draw(t, "entries") { // several, so that rows share strings
			e := genEntry(t)
			want := e
			want.Lots, want.Lines = append([]LotPart(nil), e.Lots...), append([]Points(nil), e.Lines...)
			if e.Lots != nil && want.Lots == nil {
				want.Lots = []LotPart{}
			}
			if e.Lines != nil && want.Lines == nil {
				want.Lines = []Points{}
			}
			roundTrip(t, s, func(tx Tx) error {
				stored, err := tx.AppendEntry(e)
				want.ID = stored.ID
				return err
			}, func(ReadTx) error { return nil })
			for i := range e.Lots { // the caller's lists change after the store took its copy
				e.Lots[i].Points = -1
			}
			for i := range e.Lines {
				e.Lines[i] = -1
			}
			entries = append(entries, want)
		}
		read := func() []Entry {
			var got []Entry
			s.View(context.Background(), func(tx ReadTx) error {
				for _, w := range entries {
					e, err := tx.Entry(w.ID)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, e)
				}
				return nil
			})
			return got
		}
		got := read()
		if d := cmp.Diff(entries, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		for i := range got {
			if got[i].At.String() != entries[i].At.String() {
				t.Fatalf("At = %v, want %v (in a location of the same name and offset)", got[i].At, entries[i].At)
			}
			for j := range got[i].Lots { // and the reader's copy changes too
				got[i].Lots[j].Points = -2
			}
			for j := range got[i].Lines {
				got[i].Lines[j] = -2
			}
		}
		if d := cmp.Diff(entries, read()); d != "" {
			t.Fatalf("second read after the first was changed (-want +got):\n%s", d)
		}
	})
}

// TestPurchaseRowRoundTrip checks that a stored purchase, and a purchase stored again over
// it, reads back equal to what was stored, nil lists as nil and empty ones as empty, and
// shares nothing with either side.
func TestPurchaseRowRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genStore(t)
		str := func(label string) string { return rapid.SampledFrom([]string{"", "a", "b-1"}).Draw(t, label) }
		pts := func(label string) Points { return Points(rapid.SampledFrom([]int64{0, 1, 7}).Draw(t, label)) }
		h := ForBuyer(loyalty.BuyerID(str("holder")))
		order := loyalty.OrderID(str("order"))
		for range rapid.IntRange(1, 3).Draw(t, "puts") {
			p := Purchase{Holder: h, Order: order,
				EarnKey: loyalty.IdempotencyKey(str("earn key")), EarnLot: LotID(pts("earn lot")),
				PayKey: loyalty.IdempotencyKey(str("pay key")), Issuer: loyalty.PartnerID(str("issuer")),
				Acceptor: loyalty.PartnerID(str("acceptor")), Restored: pts("restored")}
			if n := rapid.IntRange(-1, 4).Draw(t, "lines"); n >= 0 {
				p.Lines = make([]PurchaseLine, n)
				for i := range p.Lines {
					p.Lines[i] = PurchaseLine{Quantity: loyalty.MustQuantity(rapid.SampledFrom([]string{"0", "1", "2.5"}).Draw(t, "quantity")),
						Returned: loyalty.MustQuantity("1"), Earned: pts("earned"), Redeemed: pts("redeemed")}
				}
			}
			if n := rapid.IntRange(-1, 3).Draw(t, "redeemed"); n >= 0 {
				p.Redeemed = make([]LotPart, n)
				for i := range p.Redeemed {
					p.Redeemed[i] = LotPart{Lot: LotID(i + 1), Issuer: loyalty.PartnerID(str("lot issuer")), Points: pts("lot points")}
				}
			}
			want := p
			want.Lines, want.Redeemed = slices.Clone(p.Lines), slices.Clone(p.Redeemed)
			var got Purchase
			roundTrip(t, s, func(tx Tx) error { return tx.PutPurchase(p) }, func(tx ReadTx) (err error) {
				got, err = tx.Purchase(h, order)
				return err
			})
			for i := range p.Lines {
				p.Lines[i].Earned = -1
			}
			for i := range p.Redeemed {
				p.Redeemed[i].Points = -1
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("round trip (-want +got):\n%s", d)
			}
			for i := range got.Lines {
				got.Lines[i].Earned = -2
			}
			for i := range got.Redeemed {
				got.Redeemed[i].Points = -2
			}
			roundTrip(t, s, func(Tx) error { return nil }, func(tx ReadTx) (err error) {
				got, err = tx.Purchase(h, order)
				return err
			})
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("second read after the first was changed (-want +got):\n%s", d)
			}
		}
	})
}

// TestRecordRowRoundTrip checks that a stored idempotency record reads back equal to what
// was stored, whatever its fingerprint (the hex the ledger makes, or any other string) and
// its entries (consecutive or not, none, nil).
func TestRecordRowRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genStore(t)
		fps := []string{
			"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
			"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
			"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00ag8",
			"", "x",
		}
		rec := Record{Key: loyalty.IdempotencyKey(rapid.SampledFrom([]string{"k", "key-2"}).Draw(t, "key")),
			Fingerprint: rapid.SampledFrom(fps).Draw(t, "fingerprint"),
			At:          time.Date(2026, 2, 3, 4, 5, 6, 7, rapid.SampledFrom([]*time.Location{time.UTC, time.FixedZone("Y", -3600)}).Draw(t, "loc"))}
		switch rapid.IntRange(0, 3).Draw(t, "entries") {
		case 1:
			rec.Entries = []EntryID{}
		case 2:
			rec.Entries = []EntryID{4, 5, 6}
		case 3:
			rec.Entries = []EntryID{7, 3}
		}
		want := rec
		want.Entries = slices.Clone(rec.Entries)
		var got Record
		roundTrip(t, s, func(tx Tx) error { return tx.PutRecord(rec) }, func(tx ReadTx) (err error) {
			got, err = tx.Record(rec.Key)
			return err
		})
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		if got.At.String() != want.At.String() {
			t.Fatalf("At = %v, want %v (in a location of the same name and offset)", got.At, want.At)
		}
	})
}

// TestStoredTimes checks that a time stored in a row reads back identical (==, so in the
// same location, when no other location of the same name and offset came first) but for
// the monotonic clock reading: the zero time, times before 1970
// and far in the future, in UTC, fixed zones and Local.
func TestStoredTimes(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*3600)
	s := NewMemoryStore().(*memStore)
	times := []time.Time{{}, time.Time{}.In(moscow), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(1900, 5, 6, 7, 8, 9, 10, moscow), time.Date(2026, 1, 31, 23, 59, 59, 999999999, time.FixedZone("X", 5*3600)),
		time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.Local),
		time.Now(), time.Now().In(moscow)}
	s.Update(context.Background(), func(Tx) error {
		for _, x := range times {
			want := x.Round(0) // without the monotonic reading
			if got := s.unpackTime(s.w.time(x)); got != want {
				t.Errorf("stored %#v, read %#v", want, got)
			}
		}
		return nil
	})
}

// TestStoredLocationsDoNotGrowWithParsedTimes: time.Parse makes a new *time.Location for
// every time it reads with an offset; a store keeps one per name and offset, not one per
// posting.
func TestStoredLocationsDoNotGrowWithParsedTimes(t *testing.T) {
	s := NewMemoryStore().(*memStore)
	s.Update(context.Background(), func(Tx) error {
		for i := range 1000 {
			stamp := fmt.Sprintf("2026-01-%02dT10:00:00+03:00", 1+i%28)
			x, err := time.Parse(time.RFC3339, stamp)
			if err != nil {
				t.Fatal(err)
			}
			s.w.time(time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 5*3600))) // another location in between
			if got := s.unpackTime(s.w.time(x)); !got.Equal(x) || got.Format(time.RFC3339) != stamp {
				t.Fatalf("stored %s, read %s", stamp, got.Format(time.RFC3339))
			}
		}
		return nil
	})
	if len(s.locs) != 2 {
		t.Errorf("the store keeps %d locations after 1000 parsed times in one offset and 1000 FixedZone values of another; want 2", len(s.locs))
	}
}

// TestRowsHaveNoPointers checks that the rows a memory store keeps for every earning and
// spending (lots, entries, purchases, idempotency records, and the index) have no pointers,
// so that the garbage collector does not scan them: a string or slice added to one of them
// would make every chunk of that table scanned again on every collection.
func TestRowsHaveNoPointers(t *testing.T) {
	var hasPointers func(reflect.Type) bool
	hasPointers = func(t reflect.Type) bool {
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				if hasPointers(t.Field(i).Type) {
					return true
				}
			}
			return false
		case reflect.Array:
			return hasPointers(t.Elem())
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
			return true
		}
		return false
	}
	for _, v := range []any{lotRow{}, entryRow{}, hashRow[purchaseRow]{}, hashRow[recordRow]{}, stamp{}} {
		if typ := reflect.TypeOf(v); hasPointers(typ) {
			t.Errorf("%v has pointers", typ)
		}
	}
	for _, v := range []any{"", []int(nil), struct{ p *int }{}, [2]struct{ s string }{}} { // the check itself
		if typ := reflect.TypeOf(v); !hasPointers(typ) {
			t.Errorf("%v reported without pointers", typ)
		}
	}
}
