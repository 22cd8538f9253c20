package points

import (
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

// TestEntryRowRoundTrip checks that a stored entry reads back equal to what was stored,
// nil lists as nil and empty ones as empty, and shares nothing with either side.
func TestEntryRowRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := genEntry(t)
		want := e
		want.Lots, want.Lines = append([]LotPart(nil), e.Lots...), append([]Points(nil), e.Lines...)
		if e.Lots != nil && want.Lots == nil {
			want.Lots = []LotPart{}
		}
		if e.Lines != nil && want.Lines == nil {
			want.Lines = []Points{}
		}
		var r entryRow
		r.pack(&e)
		for i := range e.Lots { // the caller's lists change after the store took its copy
			e.Lots[i].Points = -1
		}
		for i := range e.Lines {
			e.Lines[i] = -1
		}
		got := r.unpack()
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		if got.At != want.At {
			t.Fatalf("At = %#v, want %#v (the same location)", got.At, want.At)
		}
		for i := range got.Lots { // and the reader's copy changes too
			got.Lots[i].Points = -2
		}
		for i := range got.Lines {
			got.Lines[i] = -2
		}
		if d := cmp.Diff(want, r.unpack()); d != "" {
			t.Fatalf("second read after the first was changed (-want +got):\n%s", d)
		}
	})
}

// TestPurchaseRowRoundTrip checks that a stored purchase reads back equal to what was
// stored, nil lists as nil and empty ones as empty, and shares nothing with either side.
func TestPurchaseRowRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		str := func(label string) string { return rapid.SampledFrom([]string{"", "a", "b-1"}).Draw(t, label) }
		pts := func(label string) Points { return Points(rapid.SampledFrom([]int64{0, 1, 7}).Draw(t, label)) }
		p := Purchase{Holder: ForBuyer(loyalty.BuyerID(str("holder"))), Order: loyalty.OrderID(str("order")),
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
		want := clonePurchase(p)
		r := packPurchase(&p)
		for i := range p.Lines {
			p.Lines[i].Earned = -1
		}
		for i := range p.Redeemed {
			p.Redeemed[i].Points = -1
		}
		got := r.unpack(want.Holder, want.Order)
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		for i := range got.Lines {
			got.Lines[i].Earned = -2
		}
		for i := range got.Redeemed {
			got.Redeemed[i].Points = -2
		}
		if d := cmp.Diff(want, r.unpack(want.Holder, want.Order)); d != "" {
			t.Fatalf("second read after the first was changed (-want +got):\n%s", d)
		}
	})
}
