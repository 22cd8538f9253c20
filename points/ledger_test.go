package points_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

var (
	ctx   = context.Background()
	alice = points.ForAccount("alice")
	bob   = points.ForBuyer("bob")
	per10 = []points.Rate{{Points: 1, Per: dec("10")}} // 1 point per full 10 RUB
)

type fixture struct {
	t     *testing.T
	l     *points.Ledger
	store points.Store
	clock *loyalty.ManualClock
}

func newFixture(t *testing.T, cfg points.Config) *fixture {
	t.Helper()
	f := &fixture{t: t, store: points.NewMemoryStore(), clock: loyalty.NewManualClock(t0)}
	if cfg.Clock == nil {
		cfg.Clock = f.clock
	}
	l, err := points.New(f.store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.l = l
	return f
}

func (f *fixture) balance(h points.Holder) points.Balance {
	f.t.Helper()
	b, err := f.l.Balance(ctx, h)
	if err != nil {
		f.t.Fatalf("Balance(%s): %v", h, err)
	}
	return b
}

func (f *fixture) must(p points.Posting, err error) points.Posting {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) credit(h points.Holder, n points.Points, key string) {
	f.t.Helper()
	f.must(f.l.Adjust(ctx, points.Adjustment{Key: loyalty.IdempotencyKey(key), Holder: h, Points: n, Reason: "test", Actor: "tester"}))
}

// history returns every entry of h.
func (f *fixture) history(h points.Holder) []points.Entry {
	f.t.Helper()
	es, err := f.l.History(ctx, h, 0, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

func ord(id loyalty.OrderID, lines ...loyalty.Line) loyalty.Order {
	o := order(lines...)
	o.ID = id
	return o
}

func TestPendingPointsActivate(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, PendingDays: 14}})
	p := f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "1", "1000.00")), decimal.Zero))
	if e, _ := p.Entry(points.KindEarn); e.Points != 100 || !e.Pending {
		t.Fatalf("earn entry %+v, want 100 pending points", e)
	}
	if d := cmp.Diff(points.Balance{Holder: alice, Pending: 100, Earned: 100}, f.balance(alice)); d != "" {
		t.Errorf("balance after earning (-want +got):\n%s", d)
	}
	_, err := f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 10})
	var ie *points.InsufficientPointsError
	if !errors.As(err, &ie) || !errors.Is(err, points.ErrInsufficientPoints) {
		t.Fatalf("spending pending points: %v, want an InsufficientPointsError", err)
	}
	if d := cmp.Diff(&points.InsufficientPointsError{Holder: alice, Have: 0, Need: 10, Pending: 100}, ie); d != "" {
		t.Errorf("error (-want +got):\n%s", d)
	}
	f.clock.Set(t0.AddDate(0, 0, 14).Add(-time.Nanosecond))
	if b := f.balance(alice); b.Pending != 100 {
		t.Errorf("a moment before 14 days: %+v, want still pending", b)
	}
	f.clock.Set(t0.AddDate(0, 0, 14))
	if d := cmp.Diff(points.Balance{Holder: alice, Available: 100, Active: 100, Earned: 100}, f.balance(alice)); d != "" {
		t.Errorf("balance after 14 days (-want +got):\n%s", d)
	}
	es := f.history(alice)
	if last := es[len(es)-1]; last.Kind != points.KindActivate || last.Points != 100 || !last.At.Equal(t0.AddDate(0, 0, 14)) {
		t.Errorf("last entry %+v, want the activation of 100 points at the end of the delay", last)
	}

	// An explicit action activates before the delay ends; activating again does nothing.
	f.must(f.l.EarnOrder(ctx, "e2", alice, ord("o2", line("a", "x", "1", "500.00")), decimal.Zero))
	p = f.must(f.l.Activate(ctx, "a1", alice, "o2"))
	if e, ok := p.Entry(points.KindActivate); !ok || e.Points != 50 || e.Order != "o2" {
		t.Errorf("Activate posting %+v, want 50 points of o2 activated", p)
	}
	if p := f.must(f.l.Activate(ctx, "a2", alice, "o2")); len(p.Entries) != 0 {
		t.Errorf("activating active points wrote %+v", p.Entries)
	}
	if b := f.balance(alice); b.Active != 150 || b.Pending != 0 {
		t.Errorf("balance %+v, want 150 active", b)
	}
	if _, err := f.l.Activate(ctx, "a3", alice, "nope"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Activate of an unknown order: %v, want ErrNotFound", err)
	}
}

func TestEventPointsHaveNoReturnWindow(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, PendingDays: 14,
		Events: []points.EventRule{{Event: "course-completed", Points: 500}}}})
	p := f.must(f.l.EarnEvent(ctx, "ev1", alice, "course-completed", 1))
	if e, _ := p.Entry(points.KindEarn); e.Pending || e.Points != 500 {
		t.Errorf("event earning %+v, want 500 active points", e)
	}
	if b := f.balance(alice); b.Active != 500 || b.Pending != 0 {
		t.Errorf("balance %+v, want 500 active", b)
	}
}

func TestExpiryMonthEnd(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Expiry: points.Expiry{Months: 1}}})
	f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "1", "1000.00")), decimal.Zero)) // 31 January
	up, err := f.l.Upcoming(ctx, alice, 5)
	if err != nil {
		t.Fatal(err)
	}
	endOfFeb := mustTime("2026-03-01T00:00:00Z")
	if d := cmp.Diff([]points.Expiring{{At: endOfFeb, Points: 100}}, up); d != "" {
		t.Errorf("Upcoming (-want +got):\n%s", d)
	}
	f.clock.Set(endOfFeb.Add(-time.Second)) // 28 February 23:59:59
	run, err := f.l.Expire(ctx)
	if err != nil || run.Expired != 0 || run.Holders != 0 {
		t.Fatalf("expiry run on 28 February = %+v, %v; want nothing expired", run, err)
	}
	if b := f.balance(alice); b.Active != 100 {
		t.Errorf("balance on 28 February: %+v, want 100 active", b)
	}
	f.clock.Set(endOfFeb)
	run, err = f.l.Expire(ctx)
	if err != nil || run.Expired != 100 || run.Holders != 1 {
		t.Fatalf("expiry run on 1 March = %+v, %v; want 100 expired for 1 holder", run, err)
	}
	run, err = f.l.Expire(ctx)
	if err != nil || run.Expired != 0 || run.Holders != 0 {
		t.Fatalf("second expiry run = %+v, %v; want nothing", run, err)
	}
	if d := cmp.Diff(points.Balance{Holder: alice, Expired: 100, Earned: 100}, f.balance(alice)); d != "" {
		t.Errorf("balance after expiry (-want +got):\n%s", d)
	}
	if _, err := f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 1}); !errors.Is(err, points.ErrInsufficientPoints) {
		t.Errorf("spending expired points: %v, want ErrInsufficientPoints", err)
	}
	es := f.history(alice)
	if last := es[len(es)-1]; last.Kind != points.KindExpire || !last.At.Equal(endOfFeb) || last.Delta() != -100 {
		t.Errorf("last entry %+v, want 100 points expired at the end of February", last)
	}
}

func TestExpiryAtLocalMidnight(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*3600)
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Expiry: points.Expiry{Months: 1}}, Location: moscow})
	f.clock.Set(mustTime("2026-01-31T22:30:00Z")) // 1 February, 01:30 in Moscow
	f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "1", "1000.00")), decimal.Zero))
	// Usable through 1 March Moscow time; expired at 2 March 00:00 MSK = 1 March 21:00 UTC.
	f.clock.Set(mustTime("2026-03-01T20:59:59Z"))
	if b := f.balance(alice); b.Active != 100 {
		t.Errorf("at 23:59:59 Moscow time on 1 March: %+v, want 100 active", b)
	}
	f.clock.Set(mustTime("2026-03-01T21:00:00Z"))
	if b := f.balance(alice); b.Active != 0 || b.Expired != 100 {
		t.Errorf("at Moscow midnight: %+v, want 100 expired", b)
	}
}

func TestSpendTakesSoonestExpiringThenOldest(t *testing.T) {
	store := points.NewMemoryStore()
	clock := loyalty.NewManualClock(t0)
	forever, err := points.New(store, points.Config{Rules: points.Rules{Rates: per10}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	tenDays, err := points.New(store, points.Config{Rules: points.Rules{Rates: per10, Expiry: points.Expiry{Days: 10}}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	earn := func(l *points.Ledger, key string, id loyalty.OrderID) points.LotID {
		p, err := l.EarnOrder(ctx, loyalty.IdempotencyKey(key), alice, ord(id, line("a", "x", "1", "1000.00")), decimal.Zero)
		if err != nil {
			t.Fatal(err)
		}
		return p.Entries[0].Lots[0].Lot
	}
	never := earn(forever, "e1", "o1") // oldest, never expires
	clock.Advance(24 * time.Hour)
	first := earn(tenDays, "e2", "o2") // expires first
	clock.Advance(24 * time.Hour)
	second := earn(tenDays, "e3", "o3")
	p, err := forever.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 250})
	if err != nil {
		t.Fatal(err)
	}
	want := []points.LotPart{{Lot: first, Points: 100}, {Lot: second, Points: 100}, {Lot: never, Points: 50}}
	if d := cmp.Diff(want, p.Entries[0].Lots); d != "" {
		t.Errorf("lots spent (-want +got):\n%s", d)
	}
}

func TestPartialReturnsAreExact(t *testing.T) {
	// 3 × 33.40 = 100.20 earns 10 points; each third of the line carries 3⅓.
	tests := []struct {
		name    string
		returns []string
		want    []points.Points
	}{
		{"one by one", []string{"1", "1", "1"}, []points.Points{3, 4, 3}},
		{"two then one", []string{"2", "1"}, []points.Points{7, 3}},
		{"all at once", []string{"3"}, []points.Points{10}},
		{"fractions", []string{"0.5", "0.5", "2"}, []points.Points{2, 1, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, PendingDays: 14}})
			f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "3", "33.40"), line("b", "x", "1", "50.00")), decimal.Zero))
			var got []points.Points
			for i, q := range tt.returns {
				p := f.must(f.l.Return(ctx, points.ReturnRequest{Key: loyalty.IdempotencyKey(rune('a' + i)), Holder: alice, Order: "o1",
					Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity(q)}}}))
				e, _ := p.Entry(points.KindReverse)
				got = append(got, e.Points)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("points reversed per return (-want +got):\n%s", d)
			}
			// The other line's 5 points stay, still pending: returns cancel pending points.
			if d := cmp.Diff(points.Balance{Holder: alice, Pending: 5, Reversed: 10, Earned: 15}, f.balance(alice)); d != "" {
				t.Errorf("balance (-want +got):\n%s", d)
			}
			_, err := f.l.Return(ctx, points.ReturnRequest{Key: "more", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("0.000001")}}})
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("returning beyond the line: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestReturnPolicyWhenPointsWereSpent(t *testing.T) {
	// The order earned 100 active points; 80 were spent. The whole order comes back.
	tests := []struct {
		policy    points.ReturnPolicy
		extra     points.Points // other active points the holder has
		wantEntry points.Entry  // the reverse entry's Points, Debt, Forgiven
		want      points.Balance
	}{
		{points.WithinBalance, 0, points.Entry{Points: 20, Forgiven: 80},
			points.Balance{Spent: 80, Reversed: 20, Earned: 100}},
		{points.WithinBalance, 30, points.Entry{Points: 50, Forgiven: 50},
			points.Balance{Spent: 80, Reversed: 50, Earned: 130}},
		{points.NegativeBalance, 30, points.Entry{Points: 100, Debt: 50},
			points.Balance{Available: -50, Spent: 80, Reversed: 50, Earned: 130, Debt: 50}},
		{points.PendingOnly, 30, points.Entry{Points: 0, Forgiven: 100},
			points.Balance{Available: 50, Active: 50, Spent: 80, Earned: 130}},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10}, Returns: tt.policy})
			f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "1", "1000.00")), decimal.Zero))
			f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 80}))
			if tt.extra > 0 {
				f.credit(alice, tt.extra, "c1")
			}
			p := f.must(f.l.Return(ctx, points.ReturnRequest{Key: "r1", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}}))
			e, _ := p.Entry(points.KindReverse)
			got := points.Entry{Points: e.Points, Debt: e.Debt, Forgiven: e.Forgiven}
			if d := cmp.Diff(tt.wantEntry, got); d != "" {
				t.Errorf("reverse entry (-want +got):\n%s", d)
			}
			tt.want.Holder = alice
			if d := cmp.Diff(tt.want, f.balance(alice)); d != "" {
				t.Errorf("balance (-want +got):\n%s", d)
			}
		})
	}
}

func TestNegativeBalanceIsRepaidByNextPoints(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, PendingDays: 3}, Returns: points.NegativeBalance})
	f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "1", "1000.00")), decimal.Zero))
	f.must(f.l.Activate(ctx, "a1", alice, "o1"))
	f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 100}))
	f.must(f.l.Return(ctx, points.ReturnRequest{Key: "r1", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}}))
	if b := f.balance(alice); b.Available != -100 || b.Debt != 100 {
		t.Fatalf("after returning spent points: %+v, want a balance of -100", b)
	}
	// New points repay the debt only once they are active.
	f.must(f.l.EarnOrder(ctx, "e2", alice, ord("o2", line("a", "x", "1", "600.00")), decimal.Zero))
	if b := f.balance(alice); b.Debt != 100 || b.Pending != 60 {
		t.Errorf("pending points repaid debt: %+v", b)
	}
	f.clock.Advance(3 * 24 * time.Hour)
	if d := cmp.Diff(points.Balance{Holder: alice, Available: -40, Spent: 100, Reversed: 60, Earned: 160, Debt: 40}, f.balance(alice)); d != "" {
		t.Errorf("after activation (-want +got):\n%s", d)
	}
	f.credit(alice, 100, "c1")
	if d := cmp.Diff(points.Balance{Holder: alice, Available: 60, Active: 60, Spent: 100, Reversed: 100, Earned: 260}, f.balance(alice)); d != "" {
		t.Errorf("after a credit (-want +got):\n%s", d)
	}
	if _, err := f.l.Spend(ctx, points.SpendRequest{Key: "s2", Holder: alice, Points: 61}); !errors.Is(err, points.ErrInsufficientPoints) {
		t.Errorf("overspending after repayment: %v", err)
	}
}

func TestReturnRestoresRedeemedPoints(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10},
		Redemption: points.Redemption{Currency: rub, PointValue: dec("1"), MaxShare: dec("0.2")}})
	f.credit(alice, 500, "c1")
	o := ord("o1", line("a", "x", "2", "500.00"), line("b", "x", "1", "1000.00"))
	p := f.must(f.l.Redeem(ctx, points.RedeemRequest{Key: "p1", Holder: alice, Order: o, Points: 300}))
	spend, _ := p.Entry(points.KindSpend)
	if d := cmp.Diff([]points.Points{150, 150}, spend.Lines); d != "" || !spend.Value.Equal(loyalty.MustMoney("300.00", "RUB")) {
		t.Errorf("redemption split %v (-want +got %s), value %s; want 300.00 RUB", spend.Lines, d, spend.Value)
	}
	if _, err := f.l.Redeem(ctx, points.RedeemRequest{Key: "p2", Holder: alice, Order: o, Points: 10}); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("paying for the order with points twice: %v, want ErrConflict", err)
	}
	f.must(f.l.EarnOrder(ctx, "e1", alice, o, decimal.Zero)) // 200 points
	// Return one of the two units of line 0: half its earned and half its paid points.
	p = f.must(f.l.Return(ctx, points.ReturnRequest{Key: "r1", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}}))
	restore, _ := p.Entry(points.KindRestore)
	reverse, _ := p.Entry(points.KindReverse)
	if restore.Points != 75 || !restore.Value.Equal(loyalty.MustMoney("75.00", "RUB")) || reverse.Points != 50 {
		t.Errorf("return: restored %d (%s), reversed %d; want 75 (75.00 RUB) and 50", restore.Points, restore.Value, reverse.Points)
	}
	// 500 − 300 + 200 + 75 − 50
	if d := cmp.Diff(points.Balance{Holder: alice, Available: 425, Active: 425, Spent: 225, Reversed: 50, Earned: 700}, f.balance(alice)); d != "" {
		t.Errorf("balance (-want +got):\n%s", d)
	}
	// The rest of the order: everything comes back exactly.
	f.must(f.l.Return(ctx, points.ReturnRequest{Key: "r2", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{
		{Line: 0, Quantity: loyalty.MustQuantity("1")}, {Line: 1, Quantity: loyalty.MustQuantity("1")}}}))
	if d := cmp.Diff(points.Balance{Holder: alice, Available: 500, Active: 500, Reversed: 200, Earned: 700}, f.balance(alice)); d != "" {
		t.Errorf("balance after the full return (-want +got):\n%s", d)
	}
}

func TestRestoredPointsPastTheirExpiryExpire(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Expiry: points.Expiry{Days: 5}},
		Redemption: points.Redemption{Currency: rub, PointValue: dec("1")}})
	f.credit(alice, 100, "c1")
	f.must(f.l.Redeem(ctx, points.RedeemRequest{Key: "p1", Holder: alice, Order: ord("o1", line("a", "x", "1", "100.00")), Points: 50}))
	f.clock.Advance(10 * 24 * time.Hour)
	if run, err := f.l.Expire(ctx); err != nil || run.Expired != 50 {
		t.Fatalf("expiry run = %+v, %v; want the 50 unspent points expired", run, err)
	}
	p := f.must(f.l.Return(ctx, points.ReturnRequest{Key: "r1", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}}))
	var kinds []points.EntryKind
	for _, e := range p.Entries {
		kinds = append(kinds, e.Kind)
	}
	if d := cmp.Diff([]points.EntryKind{points.KindRestore, points.KindExpire}, kinds); d != "" || p.Entries[1].Points != 50 ||
		!p.Entries[1].At.Equal(mustTime("2026-02-06T00:00:00Z")) {
		t.Errorf("return posting %+v, want 50 restored and expired at once, at the lot's expiry", p.Entries)
	}
	if d := cmp.Diff(points.Balance{Holder: alice, Expired: 100, Earned: 100}, f.balance(alice)); d != "" {
		t.Errorf("balance (-want +got):\n%s", d)
	}
}

func TestCapPerPeriod(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Cap: points.Cap{Points: 100},
		Events: []points.EventRule{{Event: "cartridge-recycled", Points: 10}}}})
	f.clock.Set(mustTime("2026-02-01T09:00:00Z"))
	f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "1", "800.00")), decimal.Zero))
	p := f.must(f.l.EarnOrder(ctx, "e2", alice, ord("o2", line("a", "x", "1", "300.00"), line("b", "x", "1", "200.00")), decimal.Zero))
	e, _ := p.Entry(points.KindEarn)
	if e.Points != 20 || e.Capped != 30 || !cmp.Equal([]points.Points{12, 8}, e.Lines) {
		t.Errorf("capped earn %+v, want 20 points (12 and 8), 30 capped", e)
	}
	p = f.must(f.l.EarnEvent(ctx, "ev1", alice, "cartridge-recycled", 2))
	if e, _ := p.Entry(points.KindEarn); e.Points != 0 || e.Capped != 20 || e.Event != "cartridge-recycled" {
		t.Errorf("event over the cap %+v, want 0 points and 20 capped", e)
	}
	if _, err := f.l.EarnOrder(ctx, "e3", bob, ord("o3", line("a", "x", "1", "500.00")), decimal.Zero); err != nil {
		t.Fatal(err)
	}
	if b := f.balance(bob); b.Active != 50 {
		t.Errorf("the cap is per holder: bob has %+v", b)
	}
	f.clock.Set(mustTime("2026-03-01T00:00:00Z")) // a new month
	p = f.must(f.l.EarnEvent(ctx, "ev2", alice, "cartridge-recycled", 3))
	if e, _ := p.Entry(points.KindEarn); e.Points != 30 || e.Capped != 0 {
		t.Errorf("next month's event %+v, want 30 points", e)
	}
	if b := f.balance(alice); b.Active != 130 {
		t.Errorf("alice %+v, want 130 active", b)
	}
}

func TestIdempotency(t *testing.T) {
	f := newFixture(t, points.Config{Rules: fuelCardRules()})
	o := fuelOrder("o1")
	first := f.must(f.l.EarnOrder(ctx, "e1", alice, o, decimal.Zero))
	again, err := f.l.EarnOrder(ctx, "e1", alice, o, decimal.Zero)
	if err != nil || !again.Replayed {
		t.Fatalf("retry = %+v, %v; want the replayed first result", again, err)
	}
	again.Replayed = false
	if d := cmp.Diff(first, again); d != "" {
		t.Errorf("retry result (-first +retry):\n%s", d)
	}
	if b := f.balance(alice); b.Earned != 263 || len(f.history(alice)) != 1 {
		t.Errorf("after a retry: %+v with %d entries; want 263 points once", b, len(f.history(alice)))
	}
	other := fuelOrder("o2")
	if _, err := f.l.EarnOrder(ctx, "e1", alice, other, decimal.Zero); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("key reused for another order: %v, want ErrConflict", err)
	}
	if _, err := f.l.EarnOrder(ctx, "e2", alice, o, decimal.Zero); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("the same order earned again under a new key: %v, want ErrConflict", err)
	}
	small := ord("small", line("a", "fuel", "1", "5.00")) // earns nothing, but earns once
	f.must(f.l.EarnOrder(ctx, "e3", alice, small, decimal.Zero))
	if _, err := f.l.EarnOrder(ctx, "e4", alice, small, decimal.Zero); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("an order that earned nothing earned again under a new key: %v, want ErrConflict", err)
	}
	// A spend retried after the balance changed still returns its first result.
	s1 := f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 200}))
	f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s2", Holder: alice, Points: 63}))
	s1again, err := f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 200})
	if err != nil || !s1again.Replayed || s1again.Entries[0].ID != s1.Entries[0].ID {
		t.Errorf("retried spend = %+v, %v; want the first result", s1again, err)
	}
	if b := f.balance(alice); b.Active != 0 || b.Spent != 263 {
		t.Errorf("balance %+v, want everything spent once", b)
	}
}

func TestDualEarning(t *testing.T) {
	f := newFixture(t, points.Config{Rules: fuelCardRules()})
	o := fuelOrder("o1")
	company, driver := points.ForAccount(o.Account), points.ForBuyer(o.Buyer)
	f.must(f.l.EarnOrder(ctx, "o1/company", company, o, decimal.Zero))
	f.must(f.l.EarnOrder(ctx, "o1/driver", driver, o, dec("2")))
	if c, d := f.balance(company), f.balance(driver); c.Active != 263 || d.Active != 526 {
		t.Errorf("company %d, driver %d; want 263 and 526", c.Active, d.Active)
	}
	f.must(f.l.Return(ctx, points.ReturnRequest{Key: "r/driver", Holder: driver, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 1, Quantity: loyalty.MustQuantity("1")}}}))
	if c, d := f.balance(company), f.balance(driver); c.Active != 263 || d.Active != 442 {
		t.Errorf("after the driver's return: company %d, driver %d; want 263 and 442", c.Active, d.Active)
	}
	if got := company.String() + " " + driver.String(); got != "account:acme buyer:driver-7" {
		t.Errorf("holder strings %q", got)
	}
}

func TestTransferKeepsExpiryAndIssuer(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Expiry: points.Expiry{Months: 1}},
		Redemption: points.Redemption{Currency: rub, PointValue: dec("1")}})
	plan, err := f.l.Config().Rules.Plan(ord("o1", line("a", "x", "1", "1000.00")), decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	f.must(f.l.Earn(ctx, points.EarnRequest{Key: "e1", Holder: alice, Plan: plan, Issuer: "fuel-co"}))
	f.clock.Advance(10 * 24 * time.Hour)
	p := f.must(f.l.Transfer(ctx, points.TransferRequest{Key: "t1", From: alice, To: bob, Points: 30, Reason: "trip"}))
	if p.Points(points.KindTransferOut) != 30 || p.Points(points.KindTransferIn) != 30 {
		t.Errorf("transfer posting %+v", p.Entries)
	}
	up, err := f.l.Upcoming(ctx, bob, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]points.Expiring{{At: mustTime("2026-03-01T00:00:00Z"), Points: 30}}, up); d != "" {
		t.Errorf("bob's points expire (-want +got):\n%s", d)
	}
	if a, b := f.balance(alice), f.balance(bob); a.Active != 70 || a.Transferred != 30 || b.Active != 30 || b.Earned != 30 {
		t.Errorf("alice %+v, bob %+v", a, b)
	}
	f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: bob, Points: 30, Acceptor: "cafe"}))
	rep, err := f.l.Settlement(ctx, t0, t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]points.SettlementLine{{Issuer: "fuel-co", Acceptor: "cafe", Points: 30, Value: loyalty.MustMoney("30.00", "RUB")}}, rep); d != "" {
		t.Errorf("settlement (-want +got):\n%s", d)
	}
}

func TestCoalitionSettlement(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Events: []points.EventRule{{Event: "stay", Points: 100}}},
		Redemption: points.Redemption{Currency: rub, PointValue: dec("0.5")}})
	for _, issuer := range []loyalty.PartnerID{"airline", "hotel"} {
		plan, err := f.l.Config().Rules.PlanEvent("stay", 1)
		if err != nil {
			t.Fatal(err)
		}
		f.must(f.l.Earn(ctx, points.EarnRequest{Key: loyalty.IdempotencyKey("e-" + issuer), Holder: alice, Plan: plan, Issuer: issuer}))
	}
	// 150 points pay at the hotel: the airline's lot is older, so it goes first.
	o := ord("o1", line("room", "hotel", "1", "1000.00"))
	f.must(f.l.Redeem(ctx, points.RedeemRequest{Key: "p1", Holder: alice, Order: o, Points: 150, Acceptor: "hotel"}))
	f.clock.Advance(time.Hour)
	f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s1", Holder: alice, Points: 20, Acceptor: "airline"}))
	// A return gives back 150 × ½ = 75 points to the lots taken last: the hotel's 50, then 25 of the airline's.
	f.must(f.l.Return(ctx, points.ReturnRequest{Key: "r1", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("0.5")}}}))
	rep, err := f.l.Settlement(ctx, t0, t0.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := []points.SettlementLine{
		{Issuer: "airline", Acceptor: "hotel", Points: 75, Value: loyalty.MustMoney("37.50", "RUB")},
		{Issuer: "hotel", Acceptor: "airline", Points: 20, Value: loyalty.MustMoney("10.00", "RUB")},
	} // the hotel's own 50 points, spent at the hotel and given back, net to nothing

	if d := cmp.Diff(want, rep); d != "" {
		t.Errorf("settlement (-want +got):\n%s", d)
	}
	rep, err = f.l.Settlement(ctx, t0.Add(30*time.Minute), t0.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	want = []points.SettlementLine{ // the later spend and the return only
		{Issuer: "airline", Acceptor: "hotel", Points: -25, Value: loyalty.MustMoney("-12.50", "RUB")},
		{Issuer: "hotel", Acceptor: "airline", Points: 20, Value: loyalty.MustMoney("10.00", "RUB")},
		{Issuer: "hotel", Acceptor: "hotel", Points: -50, Value: loyalty.MustMoney("-25.00", "RUB")},
	}
	if d := cmp.Diff(want, rep); d != "" {
		t.Errorf("settlement from a later time (-want +got):\n%s", d)
	}
	if _, err := f.l.Settlement(ctx, t0, t0); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("empty period: %v, want ErrInvalid", err)
	}
}

func TestLiability(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, PendingDays: 14, Expiry: points.Expiry{Months: 1}},
		Redemption: points.Redemption{Currency: rub, PointValue: dec("0.5")}})
	f.credit(alice, 1000, "c1") // active, expires 1 March
	f.clock.Advance(5 * 24 * time.Hour)
	f.must(f.l.EarnOrder(ctx, "e1", bob, ord("o1", line("a", "x", "1", "5000.00")), decimal.Zero)) // 500 pending, expires 6 March
	got, err := f.l.Liability(ctx, points.LiabilityOptions{RedemptionRate: dec("0.7"), ExpiringBy: mustTime("2026-03-01T00:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	want := points.Liability{At: f.clock.Now(), Outstanding: 1500, Active: 1000, Pending: 500,
		Value: loyalty.MustMoney("750.00", "RUB"), Expected: loyalty.MustMoney("525.00", "RUB"), ExpiringBy: 1000}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("liability (-want +got):\n%s", d)
	}
	got, err = f.l.Liability(ctx, points.LiabilityOptions{ExpiringBy: mustTime("2026-03-06T00:00:00Z")})
	if err != nil || got.ExpiringBy != 1500 || !got.Expected.Equal(got.Value) {
		t.Errorf("liability by 6 March with full redemption = %+v, %v", got, err)
	}
	f.clock.Set(mustTime("2026-03-02T00:00:00Z")) // alice's points are past expiry even before a run
	got, err = f.l.Liability(ctx, points.LiabilityOptions{})
	if err != nil || got.Outstanding != 500 {
		t.Errorf("liability after alice's expiry = %+v, %v; want 500 outstanding", got, err)
	}
	if _, err := f.l.Liability(ctx, points.LiabilityOptions{RedemptionRate: dec("1.5")}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("rate 1.5: %v, want ErrInvalid", err)
	}
	// bob is a buyer and alice a company: each kind can be asked for on its own.
	for kind, want := range map[points.HolderKind]points.Points{points.BuyerHolder: 500, points.AccountHolder: 0} {
		got, err := f.l.Liability(ctx, points.LiabilityOptions{Holders: kind})
		if err != nil || got.Outstanding != want {
			t.Errorf("liability of %s holders = %+v, %v; want %d outstanding", kind, got, err, want)
		}
	}
	if _, err := f.l.Liability(ctx, points.LiabilityOptions{Holders: "partner"}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("holders partner: %v, want ErrInvalid", err)
	}
}

func TestRewardCatalogue(t *testing.T) {
	f := newFixture(t, points.Config{Rules: fuelCardRules(), Redemption: points.Redemption{
		Rewards: []points.Reward{{ID: "fuel-20l", Name: "20 litres of any fuel", Cost: 3999}}}})
	f.credit(alice, 4000, "c1")
	p := f.must(f.l.RedeemReward(ctx, "rw1", alice, "fuel-20l", ""))
	if e, _ := p.Entry(points.KindSpend); e.Points != 3999 || e.Reward != "fuel-20l" {
		t.Errorf("reward entry %+v", e)
	}
	_, err := f.l.RedeemReward(ctx, "rw2", alice, "fuel-20l", "")
	var ie *points.InsufficientPointsError
	if !errors.As(err, &ie) || ie.Have != 1 || ie.Need != 3999 {
		t.Errorf("second reward: %v, want have 1, need 3999", err)
	}
	if _, err := f.l.RedeemReward(ctx, "rw3", alice, "lounge", ""); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("unknown reward: %v, want ErrNotFound", err)
	}
}

func TestRedemptionQuote(t *testing.T) {
	r := points.Redemption{Currency: rub, PointValue: dec("1"), MaxShare: dec("0.2"), MinPoints: 100}
	half := points.Redemption{Currency: rub, PointValue: dec("0.5"), MaxShare: dec("0.2")}
	tests := []struct {
		name  string
		r     points.Redemption
		total string
		want  points.Points
		quote points.Quote
		err   error
	}{
		{"20% of 10,000.00", r, "10000.00", 2000, points.Quote{Points: 2000, Value: loyalty.MustMoney("2000.00", "RUB"), Max: 2000}, nil},
		{"one point too many", r, "10000.00", 2001, points.Quote{}, points.ErrRedemptionLimit},
		{"below the minimum", r, "10000.00", 99, points.Quote{}, points.ErrRedemptionLimit},
		{"order too small for the minimum", r, "400.00", 100, points.Quote{}, points.ErrRedemptionLimit},
		// 20% of 999.99 is 199.998, rounded down to 199.99: 399 half-ruble points (199.50).
		{"half-ruble points", half, "999.99", 399, points.Quote{Points: 399, Value: loyalty.MustMoney("199.50", "RUB"), Max: 399}, nil},
		{"half-ruble points, one too many", half, "999.99", 400, points.Quote{}, points.ErrRedemptionLimit},
		{"zero points", r, "10000.00", 0, points.Quote{}, loyalty.ErrInvalid},
		{"another currency", r, "10000.00 USD", 200, points.Quote{}, loyalty.ErrCurrencyMismatch},
		{"no money value", points.Redemption{}, "10000.00", 200, points.Quote{}, points.ErrRedemptionLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			amount, code, ok := strings.Cut(tt.total, " ")
			if !ok {
				code = "RUB"
			}
			q, err := tt.r.Quote(loyalty.MustMoney(amount, code), tt.want)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Quote error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.quote, q); d != "" {
				t.Errorf("quote (-want +got):\n%s", d)
			}
		})
	}
	var le *points.RedemptionLimitError
	_, err := r.Quote(loyalty.MustMoney("10000.00", "RUB"), 2001)
	if !errors.As(err, &le) || le.Max != 2000 || le.Min != 100 || err.Error() != "points: redemption of 2001 points is above the share of the order points may pay (allowed 100 to 2000)" {
		t.Errorf("limit error = %v", err)
	}
}

func TestRedemptionValueRounding(t *testing.T) {
	for _, tt := range []struct {
		value string
		mode  loyalty.RoundingMode
		n     points.Points
		want  string
	}{
		{"0.005", loyalty.HalfUp, 1, "0.01"},
		{"0.005", loyalty.Down, 1, "0.00"},
		{"0.005", loyalty.HalfUp, 3, "0.02"}, // 0.015, rounded once: not 3 × 0.01
		{"0.3", loyalty.HalfUp, 7, "2.10"},
	} {
		r := points.Redemption{Currency: rub, PointValue: dec(tt.value), Rounding: tt.mode}
		got, err := r.Value(tt.n)
		if err != nil || !got.Equal(loyalty.MustMoney(tt.want, "RUB")) {
			t.Errorf("%d points at %s (%s) = %s, %v; want %s", tt.n, tt.value, tt.mode, got, err, tt.want)
		}
	}
}

func TestRedemptionValidate(t *testing.T) {
	err := points.Redemption{PointValue: dec("-1"), MaxShare: dec("1.5"), MinPoints: -1,
		Rewards: []points.Reward{{ID: "a", Cost: 1}, {ID: "a", Cost: 0}}}.Validate()
	want := []string{
		"point_value: must not be negative (got -1)",
		"max_share: must be between 0 and 1 (got 1.5)",
		"min_points: must not be negative (got -1)",
		"rewards[1].id: is listed twice (got a)",
		"rewards[1].cost: must be positive (got 0)",
	}
	if !errors.Is(err, loyalty.ErrInvalid) {
		t.Fatalf("Validate = %v", err)
	}
	if d := cmp.Diff(want, strings.Split(err.Error(), "\n")); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	if err := (points.Redemption{PointValue: dec("1")}).Validate(); err == nil || err.Error() != "currency: is required with point_value" {
		t.Errorf("missing currency: %v", err)
	}
}

// TestBadInputChangesNothing runs every kind of bad request against a ledger with some
// history and checks the error and that balances and histories are exactly as before.
func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, PendingDays: 14},
		Redemption: points.Redemption{Currency: rub, PointValue: dec("1"), MaxShare: dec("0.2"), MinPoints: 10}})
	f.credit(alice, 100, "c1")
	f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "3", "100.00")), decimal.Zero))
	big := ord("o9", line("a", "x", "1", "10000.00"))
	tests := []struct {
		name string
		do   func() error
		want error
		msg  string // a part of the message, if checked
	}{
		{"spend zero", func() error {
			_, err := f.l.Spend(ctx, points.SpendRequest{Key: "x", Holder: alice})
			return err
		}, loyalty.ErrInvalid, "points: must be positive (got 0)"},
		{"spend negative", func() error {
			_, err := f.l.Spend(ctx, points.SpendRequest{Key: "x", Holder: alice, Points: -5})
			return err
		}, loyalty.ErrInvalid, "(got -5)"},
		{"spend without a key", func() error {
			_, err := f.l.Spend(ctx, points.SpendRequest{Holder: alice, Points: 5})
			return err
		}, loyalty.ErrInvalid, "key: is required"},
		{"spend from an unknown holder", func() error {
			_, err := f.l.Spend(ctx, points.SpendRequest{Key: "x", Holder: bob, Points: 5})
			return err
		}, loyalty.ErrNotFound, "buyer:bob"},
		{"spend from a malformed holder", func() error {
			_, err := f.l.Spend(ctx, points.SpendRequest{Key: "x", Holder: points.Holder{ID: "alice"}, Points: 5})
			return err
		}, loyalty.ErrInvalid, "holder.kind: is required"},
		{"spend more than the balance", func() error {
			_, err := f.l.Spend(ctx, points.SpendRequest{Key: "x", Holder: alice, Points: 101})
			return err
		}, points.ErrInsufficientPoints, "points: account:alice has 100 available points, needs 101 (30 pending)"},
		{"redeem above 20%", func() error {
			_, err := f.l.Redeem(ctx, points.RedeemRequest{Key: "x", Holder: alice, Order: ord("o8", line("a", "x", "1", "400.00")), Points: 81})
			return err
		}, points.ErrRedemptionLimit, "allowed 10 to 80"},
		{"redeem below the minimum", func() error {
			_, err := f.l.Redeem(ctx, points.RedeemRequest{Key: "x", Holder: alice, Order: big, Points: 9})
			return err
		}, points.ErrRedemptionLimit, "below the minimum"},
		{"redeem more than the balance", func() error {
			_, err := f.l.Redeem(ctx, points.RedeemRequest{Key: "x", Holder: alice, Order: big, Points: 1000})
			return err
		}, points.ErrInsufficientPoints, ""},
		{"redeem an invalid order", func() error {
			_, err := f.l.Redeem(ctx, points.RedeemRequest{Key: "x", Holder: alice, Order: ord(""), Points: 10})
			return err
		}, loyalty.ErrInvalid, "id: is required"},
		{"return more than bought", func() error {
			_, err := f.l.Return(ctx, points.ReturnRequest{Key: "x", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("4")}}})
			return err
		}, loyalty.ErrInvalid, "lines[0].quantity: exceeds the 3 still returnable (got 4)"},
		{"return a line that does not exist", func() error {
			_, err := f.l.Return(ctx, points.ReturnRequest{Key: "x", Holder: alice, Order: "o1", Lines: []loyalty.ReturnLine{{Line: 1, Quantity: loyalty.MustQuantity("1")}}})
			return err
		}, loyalty.ErrInvalid, "lines[0].line"},
		{"return nothing", func() error {
			_, err := f.l.Return(ctx, points.ReturnRequest{Key: "x", Holder: alice, Order: "o1"})
			return err
		}, loyalty.ErrInvalid, "lines: must not be empty"},
		{"return an unknown order", func() error {
			_, err := f.l.Return(ctx, points.ReturnRequest{Key: "x", Holder: alice, Order: "o7", Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}})
			return err
		}, loyalty.ErrNotFound, "o7"},
		{"transfer to oneself", func() error {
			_, err := f.l.Transfer(ctx, points.TransferRequest{Key: "x", From: alice, To: alice, Points: 5})
			return err
		}, loyalty.ErrInvalid, "to: must differ from from"},
		{"transfer more than the balance", func() error {
			_, err := f.l.Transfer(ctx, points.TransferRequest{Key: "x", From: alice, To: bob, Points: 500})
			return err
		}, points.ErrInsufficientPoints, ""},
		{"adjust without reason and actor", func() error {
			_, err := f.l.Adjust(ctx, points.Adjustment{Key: "x", Holder: alice, Points: 5})
			return err
		}, loyalty.ErrInvalid, "reason: is required\nactor: is required"},
		{"adjust by zero", func() error {
			_, err := f.l.Adjust(ctx, points.Adjustment{Key: "x", Holder: alice, Reason: "r", Actor: "a"})
			return err
		}, loyalty.ErrInvalid, "points: must not be zero"},
		{"debit beyond the balance", func() error {
			_, err := f.l.Adjust(ctx, points.Adjustment{Key: "x", Holder: alice, Points: -101, Reason: "r", Actor: "a"})
			return err
		}, points.ErrInsufficientPoints, ""},
		{"earn a malformed plan", func() error {
			_, err := f.l.Earn(ctx, points.EarnRequest{Key: "x", Holder: alice, Plan: points.Plan{Order: "o5", Total: -1,
				Lines: []points.LinePlan{{Quantity: loyalty.MustQuantity("1"), Points: -1}}}})
			return err
		}, loyalty.ErrInvalid, "lines[0].points: must not be negative (got -1)"},
		{"earn an order under a reused key", func() error {
			_, err := f.l.EarnOrder(ctx, "e1", alice, ord("o2", line("a", "x", "1", "100.00")), decimal.Zero)
			return err
		}, loyalty.ErrConflict, ""},
		{"earn an unknown event", func() error {
			_, err := f.l.EarnEvent(ctx, "x", alice, "party", 1)
			return err
		}, loyalty.ErrInvalid, "event"},
		{"history of an unknown holder", func() error {
			_, err := f.l.History(ctx, bob, 0, 10)
			return err
		}, loyalty.ErrNotFound, ""},
		{"balance of an unknown holder", func() error {
			_, err := f.l.Balance(ctx, bob)
			return err
		}, loyalty.ErrNotFound, ""},
	}
	before := f.balance(alice)
	entries := len(f.history(alice))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if d := cmp.Diff(before, f.balance(alice)); d != "" {
				t.Errorf("balance changed (-before +after):\n%s", d)
			}
			if n := len(f.history(alice)); n != entries {
				t.Errorf("history grew from %d to %d entries", entries, n)
			}
			if _, err := f.l.Balance(ctx, bob); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("a failed request opened bob's account: %v", err)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := points.New(points.NewMemoryStore(), points.Config{Rules: points.Rules{Rates: []points.Rate{{Points: 1}}}, Returns: "sometimes"})
	if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "rules.rates[0].per: must be positive (got 0)") ||
		!strings.Contains(err.Error(), "returns: must be within-balance, negative-balance or pending-only (got sometimes)") {
		t.Errorf("New = %v", err)
	}
	if _, err := points.New(nil, points.Config{}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("New without a store = %v", err)
	}
}

func TestHistoryPages(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10}})
	for i := range 5 {
		f.credit(alice, points.Points(i+1), string(rune('a'+i)))
	}
	page, err := f.l.History(ctx, alice, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Points != 2 || page[1].Points != 3 || page[0].Reason != "test" || page[0].Actor != "tester" {
		t.Errorf("page = %+v", page)
	}
	if _, err := f.l.History(ctx, alice, -1, 2); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("negative from: %v", err)
	}
}

func TestRestoreAcrossLotsOverTwoReturns(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Expiry: points.Expiry{Days: 30}},
		Redemption: points.Redemption{Currency: rub, PointValue: dec("1")}})
	f.credit(alice, 60, "c1") // lot A, expires first
	f.clock.Advance(24 * time.Hour)
	f.credit(alice, 40, "c2") // lot B
	o := ord("o1", line("a", "x", "2", "100.00"))
	p := f.must(f.l.Redeem(ctx, points.RedeemRequest{Key: "p1", Holder: alice, Order: o, Points: 100}))
	lotA, lotB := p.Entries[0].Lots[0].Lot, p.Entries[0].Lots[1].Lot
	restored := func(key string) []points.LotPart {
		p := f.must(f.l.Return(ctx, points.ReturnRequest{Key: loyalty.IdempotencyKey(key), Holder: alice, Order: "o1",
			Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1")}}}))
		e, _ := p.Entry(points.KindRestore)
		return e.Lots
	}
	// Latest taken first: B's 40 and 10 of A, then A's other 50.
	if d := cmp.Diff([]points.LotPart{{Lot: lotB, Points: 40}, {Lot: lotA, Points: 10}}, restored("r1")); d != "" {
		t.Errorf("first return restored (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]points.LotPart{{Lot: lotA, Points: 50}}, restored("r2")); d != "" {
		t.Errorf("second return restored (-want +got):\n%s", d)
	}
	up, err := f.l.Upcoming(ctx, alice, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []points.Expiring{{At: mustTime("2026-03-03T00:00:00Z"), Points: 60}, {At: mustTime("2026-03-04T00:00:00Z"), Points: 40}}
	if d := cmp.Diff(want, up); d != "" {
		t.Errorf("every lot got its own points back (-want +got):\n%s", d)
	}
}

func TestCapPeriodInProgramTimeZone(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*3600)
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Cap: points.Cap{Points: 100, Period: loyalty.Month}}, Location: moscow})
	f.clock.Set(mustTime("2026-02-28T20:00:00Z")) // 23:00 on 28 February in Moscow
	f.must(f.l.EarnOrder(ctx, "e1", alice, ord("o1", line("a", "x", "1", "1000.00")), decimal.Zero))
	f.clock.Set(mustTime("2026-02-28T21:30:00Z")) // 00:30 on 1 March in Moscow: a new month
	p := f.must(f.l.EarnOrder(ctx, "e2", alice, ord("o2", line("a", "x", "1", "1000.00")), decimal.Zero))
	if e, _ := p.Entry(points.KindEarn); e.Points != 100 || e.Capped != 0 {
		t.Errorf("first earning of the Moscow month %+v, want 100 points uncapped", e)
	}
}

func TestRedemptionPointsFor(t *testing.T) {
	for _, tt := range []struct {
		value  string
		mode   loyalty.RoundingMode
		amount string
		want   points.Points
	}{
		{"1", loyalty.HalfUp, "500.00", 500},
		{"1", loyalty.HalfUp, "500.01", 501},
		{"0.25", loyalty.HalfUp, "100.00", 400},
		{"0.3", loyalty.HalfUp, "1.00", 4},   // 3 points are 0.90
		{"0.003", loyalty.HalfUp, "0.01", 2}, // 2 points are 0.006, rounded to 0.01
		{"0.003", loyalty.Down, "0.01", 4},   // 3 points are 0.009, rounded down to 0.00
		{"0.277069", loyalty.HalfUp, "1108.00", 3999},
	} {
		r := points.Redemption{Currency: rub, PointValue: dec(tt.value), Rounding: tt.mode}
		got, err := r.PointsFor(loyalty.MustMoney(tt.amount, "RUB"))
		if err != nil || got != tt.want {
			t.Errorf("points for %s at %s (%s) = %d, %v; want %d", tt.amount, tt.value, tt.mode, got, err, tt.want)
			continue
		}
		v, _ := r.Value(got)
		if c, _ := v.Cmp(loyalty.MustMoney(tt.amount, "RUB")); c < 0 {
			t.Errorf("%d points are worth %s, less than %s", got, v, tt.amount)
		}
	}
	r := points.Redemption{Currency: rub, PointValue: dec("1")}
	if _, err := r.PointsFor(loyalty.MustMoney("0", "RUB")); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("points for nothing: %v", err)
	}
	if _, err := r.PointsFor(loyalty.MustMoney("5", "USD")); !errors.Is(err, loyalty.ErrCurrencyMismatch) {
		t.Errorf("points for dollars: %v", err)
	}
	if _, err := (points.Redemption{Currency: rub}).PointsFor(loyalty.MustMoney("5", "RUB")); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("points without a value: %v", err)
	}
}

func TestHolder(t *testing.T) {
	if err := (points.Holder{Kind: "partner", ID: "x"}).Validate(); err == nil || err.Error() != "kind: must be account or buyer (got partner)" {
		t.Errorf("unknown kind: %v", err)
	}
	if err := (points.Holder{}).Validate(); !errors.Is(err, loyalty.ErrInvalid) || err.Error() != "kind: is required\nid: is required" {
		t.Errorf("zero holder: %v", err)
	}
	if !(points.Holder{}).IsZero() || alice.IsZero() {
		t.Error("IsZero")
	}
	if err := bob.Validate(); err != nil || bob.String() != "buyer:bob" {
		t.Errorf("bob: %v, %q", err, bob)
	}
}

func TestUpcoming(t *testing.T) {
	f := newFixture(t, points.Config{Rules: points.Rules{Rates: per10, Expiry: points.Expiry{Days: 10}}})
	for day := range 3 {
		f.must(f.l.EarnOrder(ctx, loyalty.IdempotencyKey(fmt.Sprint("e", day)), alice, ord(loyalty.OrderID(fmt.Sprint("o", day)), line("a", "x", "1", "100.00")), decimal.Zero))
		f.must(f.l.EarnOrder(ctx, loyalty.IdempotencyKey(fmt.Sprint("f", day)), alice, ord(loyalty.OrderID(fmt.Sprint("p", day)), line("a", "x", "1", "50.00")), decimal.Zero))
		f.clock.Advance(24 * time.Hour)
	}
	f.must(f.l.Spend(ctx, points.SpendRequest{Key: "s", Holder: alice, Points: 20}))
	got, err := f.l.Upcoming(ctx, alice, 2)
	if err != nil {
		t.Fatal(err)
	}
	// 15 points a day expire 10 days later; the 20 spent took the first day's 15 and 5 of
	// the second day's, and the limit of 2 instants leaves nothing more to show.
	want := []points.Expiring{{At: mustTime("2026-02-12T00:00:00Z"), Points: 10}, {At: mustTime("2026-02-13T00:00:00Z"), Points: 15}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Upcoming (-want +got):\n%s", d)
	}
	if got, err := f.l.Upcoming(ctx, alice, 1); err != nil || len(got) != 1 || got[0] != want[0] {
		t.Errorf("Upcoming with limit 1 = %v, %v; want %v", got, err, want[:1])
	}
	if _, err := f.l.Upcoming(ctx, bob, 2); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("unknown holder: %v", err)
	}
	if _, err := f.l.Upcoming(ctx, alice, 0); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("limit 0: %v", err)
	}
}
