package tier_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
	"pgregory.net/rapid"
)

var ctx = context.Background()

func newSvc(t testing.TB, l tier.Ladder, clock loyalty.Clock) (*tier.Service, *tier.MemoryStore) {
	t.Helper()
	s := tier.NewMemoryStore()
	svc, err := tier.NewService(s, tier.Config{Ladder: l, Location: msk, Clock: clock, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	return svc, s
}

func TestNewServiceRejectsBadConfig(t *testing.T) {
	l := airlineLadder()
	l.Levels[2].Threshold.Spend = rub("1")
	if _, err := tier.NewService(tier.NewMemoryStore(), tier.Config{Ladder: l}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("NewService(invalid ladder) = %v, want ErrInvalid", err)
	}
	if _, err := tier.NewService(nil, tier.Config{Ladder: airlineLadder()}); err == nil {
		t.Error("NewService(nil store) succeeded")
	}
}

func TestOverrideThroughService(t *testing.T) {
	clock := loyalty.NewManualClock(date(2025, 3, 10))
	svc, _ := newSvc(t, airlineLadder(), clock)
	if _, err := svc.Enroll(ctx, "acme", date(2025, 1, 1)); err != nil {
		t.Fatal(err)
	}
	o := tier.Override{Level: 2, Until: date(2025, 9, 1), Reason: "negotiated for the 2025 contract"}
	st, err := svc.SetOverride(ctx, "acme", o, "ov-1")
	if err != nil {
		t.Fatal(err)
	}
	if lv, src := svc.Evaluator().Effective(st, clock.Now()); lv != 2 || src != tier.Overridden {
		t.Errorf("effective = %d, %s; want 2, override", lv, src)
	}
	if _, err := svc.SetOverride(ctx, "acme", tier.Override{Level: 1, Until: date(2025, 9, 1)}, "ov-1"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("reusing the key for another override: %v, want ErrConflict", err)
	}
	p, err := svc.Project(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if p.LevelName != "7%" || p.Source != tier.Overridden || p.Earned != 0 ||
		!strings.Contains(p.Explain(), "is at level 7% by a manual override until 2025-09-01 (negotiated for the 2025 contract).") {
		t.Errorf("projection = %+v\n%s", p, p.Explain())
	}
	clock.Set(date(2025, 10, 1))
	st, changes, err := svc.Review(ctx, "acme", clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := []tier.Change{{Account: "acme", At: date(2025, 9, 1), Kind: tier.OverrideExpired, From: 2, To: 0, Earned: 0}}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if lv, _ := svc.Evaluator().Effective(st, clock.Now()); lv != 0 {
		t.Errorf("level after the override expired = %d", lv)
	}
	log, _ := svc.Changes(ctx, "acme")
	if len(log) != 2 || log[0].Kind != tier.OverrideSet || log[1].Kind != tier.OverrideExpired {
		t.Errorf("change log = %+v", log)
	}
}

func TestPaidMembership(t *testing.T) {
	l := milesLadder()
	l.Levels[1].Membership = &tier.MembershipTerms{Fee: rub("250"), Months: 12}
	clock := loyalty.NewManualClock(date(2025, 3, 10))
	svc, _ := newSvc(t, l, clock)
	svc.Enroll(ctx, "card", date(2025, 1, 1))
	m, err := svc.BuyMembership(ctx, "card", 1, time.Time{}, "fee-1")
	if err != nil {
		t.Fatal(err)
	}
	want := tier.Membership{Level: 1, From: date(2025, 3, 10), Until: date(2026, 3, 10), Fee: rub("250")}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("membership (-want +got):\n%s", diff)
	}
	again, err := svc.BuyMembership(ctx, "card", 1, time.Time{}, "fee-1")
	if err != nil || !cmp.Equal(m, again) {
		t.Errorf("retried purchase = %+v, %v; want the first result", again, err)
	}
	// renewing while active extends from the end
	clock.Set(date(2026, 3, 1))
	m2, err := svc.BuyMembership(ctx, "card", 1, time.Time{}, "fee-2")
	if err != nil {
		t.Fatal(err)
	}
	if !m2.From.Equal(date(2025, 3, 10)) || !m2.Until.Equal(date(2027, 3, 10)) {
		t.Errorf("renewed membership = %+v, want 2025-03-10 to 2027-03-10", m2)
	}
	a, _ := svc.Account(ctx, "card")
	if lv, src := svc.Evaluator().Effective(a.Status, date(2027, 3, 9)); lv != 1 || src != tier.Paid {
		t.Errorf("effective = %d, %s; want 1, membership", lv, src)
	}
	if _, err := svc.BuyMembership(ctx, "card", 2, time.Time{}, "fee-3"); !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "level: cannot be bought") {
		t.Errorf("buying Gold: %v", err)
	}
}

func TestProjectionAirline(t *testing.T) {
	e := mustEvaluator(airlineLadder())
	a := tier.Account{ID: "acme", Enrolled: date(2025, 1, 10), History: spendHistory(
		date(2025, 1, 20), "2000000",
		date(2025, 2, 15), "1500000",
	)}
	p := e.Project(a, time.Date(2025, 2, 20, 12, 0, 0, 0, msk))
	want := tier.Projection{
		Account: "acme", At: time.Date(2025, 2, 20, 12, 0, 0, 0, msk), Measure: tier.Spend,
		Level: 0, LevelName: "5%", Source: tier.Earned, Earned: 0, Since: date(2025, 1, 10),
		WindowStart: date(2025, 1, 1), WindowEnd: date(2026, 1, 1), Qualifying: tier.Amount{Spend: rub("3500000")},
		// 3,500,000 already supports 6% (granted at the March review), so the next level to
		// aim for is 7%: 5,000,000.01 - 3,500,000 = 1,500,000.01.
		Next: 2, NextName: "7%", NeededForNext: tier.Amount{Spend: rub("1500000.01")}, UpgradeAt: date(2025, 3, 1),
		// the yearly review judges 2025; the earned level is the entry level: nothing needed
		KeepBy: date(2026, 1, 1), NeededToKeep: tier.Amount{Spend: rub("0")},
		// with no more spend: 6% from 1 March, kept at the yearly review (3,500,000)
		Projected: 1, ProjectedName: "6%",
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("projection (-want +got):\n%s", diff)
	}
	wantText := `Account acme is at level 5% since 2025-01-10.
Qualifying spend from 2025-01-01 to 2025-12-31: 3500000.00 RUB.
1500000.01 RUB more reaches 7% at the review on 2025-03-01.
The earned level is secured for the review on 2026-01-01; projected level then: 6%.
`
	if diff := cmp.Diff(wantText, p.Explain()); diff != "" {
		t.Errorf("Explain (-want +got):\n%s", diff)
	}

	// at 6% in 2026 with 1,000,000 spent: 2,000,000.01 more keeps 6% at the yearly review
	a.History = append(a.History, spendHistory(date(2026, 2, 1), "1000000")...)
	p = e.Project(a, date(2026, 3, 1))
	if p.LevelName != "6%" || p.NeededToKeep.Spend.Amount() != "2000000.01" || p.ProjectedName != "5%" || p.NeededForNext.Spend.Amount() != "4000000.01" {
		t.Errorf("2026 projection: level %s, keep %s, projected %s, next %s", p.LevelName, p.NeededToKeep.Spend, p.ProjectedName, p.NeededForNext.Spend)
	}
}

// A year of monthly batch reviews: running every review twice gives the same state and
// events as running it once, and the batch review agrees with reviewing each account on its
// own.
func TestPropBatchReviewTwiceEqualsOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := genLadder(t)
		n := rapid.IntRange(0, 9).Draw(t, "accounts")
		histories := make([]tier.History, n)
		for i := range histories {
			histories[i] = genHistory(t, fmt.Sprint("h", i))
		}
		build := func() (*tier.Service, *tier.MemoryStore) {
			s := tier.NewMemoryStore()
			svc, err := tier.NewService(s, tier.Config{Ladder: l, Location: msk, BatchSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			s.Update(ctx, func(tx tier.Tx) error {
				for i, h := range histories {
					if err := tx.PutAccount(tier.Account{ID: loyalty.AccountID(fmt.Sprint("a", i)), Enrolled: propStart, History: h}); err != nil {
						return err
					}
				}
				return nil
			})
			return svc, s
		}
		once, onceStore := build()
		twice, twiceStore := build()
		var onceEvents, twiceEvents []tier.Change
		for m := 1; m <= 12; m++ {
			at := loyalty.AddMonths(propStart, m)
			r1, err := once.ReviewAll(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			onceEvents = append(onceEvents, r1.Changes...)
			for k := 0; k < 2; k++ {
				r2, err := twice.ReviewAll(ctx, at)
				if err != nil {
					t.Fatal(err)
				}
				twiceEvents = append(twiceEvents, r2.Changes...)
				if k == 1 && len(r2.Changes) != 0 {
					t.Fatalf("the second review at %v reported %d changes", at, len(r2.Changes))
				}
			}
		}
		if diff := cmp.Diff(onceEvents, twiceEvents); diff != "" {
			t.Fatalf("events (-once +twice):\n%s", diff)
		}
		e := once.Evaluator()
		for i, h := range histories {
			id := loyalty.AccountID(fmt.Sprint("a", i))
			a1, _ := once.Account(ctx, id)
			a2, _ := twice.Account(ctx, id)
			if diff := cmp.Diff(a1, a2); diff != "" {
				t.Fatalf("account %s (-once +twice):\n%s", id, diff)
			}
			solo, _, err := e.Advance(tier.Account{ID: id, Enrolled: propStart, History: h}, loyalty.AddMonths(propStart, 12))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(e.Compact(solo), a1); diff != "" {
				t.Fatalf("account %s: batch review differs from Advance (-advance +batch):\n%s", id, diff)
			}
		}
		_, _ = onceStore, twiceStore
	})
}

func TestProjectAll(t *testing.T) {
	clock := loyalty.NewManualClock(date(2025, 1, 1))
	svc, _ := newSvc(t, airlineLadder(), clock) // pages of 4
	spend := map[loyalty.AccountID]string{"a": "100", "b": "3500000", "c": "6000000", "d": "0", "e": "2999999.99", "f": "4000000"}
	for id, amount := range spend {
		svc.Enroll(ctx, id, date(2025, 1, 1))
		clock.Set(date(2025, 1, 5))
		if _, err := svc.Record(ctx, id, date(2025, 1, 5), tier.Amount{Spend: rub(amount)}, loyalty.IdempotencyKey("k-"+id)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(date(2025, 2, 10))
	var got []string
	err := svc.ProjectAll(ctx, func(p tier.Projection) error {
		got = append(got, fmt.Sprintf("%s %s next=%s needed=%s", p.Account, p.LevelName, p.NextName, p.NeededForNext.Spend))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// the February review upgraded on January's spend; "next" is the level above both the
	// current level and the one the spend supports
	want := []string{
		"a 5% next=6% needed=2999900.01 RUB",
		"b 6% next=7% needed=1500000.01 RUB",
		"c 7% next= needed=0",
		"d 5% next=6% needed=3000000.01 RUB",
		"e 5% next=6% needed=0.02 RUB",
		"f 6% next=7% needed=1000000.01 RUB",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	n := 0
	if err := svc.ProjectAll(ctx, func(tier.Projection) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("ProjectAll did not stop at the first error: %v after %d calls", err, n)
	}
}

// Large pages are advanced on several goroutines; the result must not depend on it.
func TestReviewAllLargePages(t *testing.T) {
	l := milesLadder()
	s := tier.NewMemoryStore()
	svc, err := tier.NewService(s, tier.Config{Ladder: l, Location: msk, BatchSize: 512})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1200
	var accounts []tier.Account
	for i := range n {
		a := tier.Account{ID: loyalty.AccountID(fmt.Sprintf("a%04d", i)), Enrolled: date(2025, 1, 1),
			History: tier.History{{Day: tier.DayOf(date(2025, 1, 1)) + tier.Day(i%300), Units: int64(i % 1300)}}}
		accounts = append(accounts, a)
	}
	if err := s.Update(ctx, func(tx tier.Tx) error {
		for _, a := range accounts {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	at := date(2026, 2, 1)
	rep, err := svc.ReviewAll(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reviewed != n {
		t.Errorf("reviewed %d, want %d", rep.Reviewed, n)
	}
	e := svc.Evaluator()
	var want []tier.Change
	for _, a := range accounts {
		solo, ch, _ := e.Advance(a, at)
		want = append(want, ch...)
		got, _ := svc.Account(ctx, a.ID)
		if diff := cmp.Diff(e.Compact(solo), got); diff != "" {
			t.Fatalf("account %s (-advance +batch):\n%s", a.ID, diff)
		}
	}
	if diff := cmp.Diff(want, rep.Changes); diff != "" {
		t.Errorf("events (-advance +batch):\n%s", diff)
	}
	if len(want) == 0 {
		t.Error("the population produced no events: the test checks nothing")
	}
}

// copyingStore hands its views' functions a ReadTx of the interface's methods only, so
// that accounts are read as copies.
type copyingStore struct{ tier.Store }

type readOnlyTx struct{ tier.ReadTx }

func (s copyingStore) View(ctx context.Context, fn func(tx tier.ReadTx) error) error {
	return s.Store.View(ctx, func(tx tier.ReadTx) error { return fn(readOnlyTx{tx}) })
}

// Service.EffectiveAt is Evaluator.EffectiveAt of the stored account, over the memory store
// (which lends the account) and over a store that copies it, changes nothing stored and
// allocates nothing over the memory store.
func TestServiceEffectiveAt(t *testing.T) {
	clock := loyalty.NewManualClock(date(2025, 1, 1))
	svc, store := newSvc(t, airlineLadder(), clock)
	copying, err := tier.NewService(copyingStore{store}, tier.Config{Ladder: airlineLadder(), Location: msk, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Enroll(ctx, "acme", date(2025, 1, 1)); err != nil {
		t.Fatal(err)
	}
	for i, amount := range []string{"2000000", "1500000", "-400000"} {
		clock.Set(date(2025, time.Month(2+i), 10))
		if _, err := svc.Record(ctx, "acme", clock.Now(), tier.Amount{Spend: rub(amount)}, loyalty.IdempotencyKey(fmt.Sprint("k", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.SetOverride(ctx, "acme", tier.Override{Level: 2, From: date(2025, 6, 1), Until: date(2025, 7, 1)}, "ov"); err != nil {
		t.Fatal(err)
	}
	stored, err := svc.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{date(2025, 3, 1), date(2025, 4, 11), date(2025, 6, 15), date(2025, 8, 1), date(2026, 2, 1)} {
		wantLevel, wantSource := svc.Evaluator().EffectiveAt(stored, at)
		for name, s := range map[string]*tier.Service{"memory": svc, "copying": copying} {
			level, source, err := s.EffectiveAt(ctx, "acme", at)
			if err != nil || level != wantLevel || source != wantSource {
				t.Errorf("%s: EffectiveAt(%s) = %d, %s, %v; want %d, %s", name, at.Format(time.DateOnly), level, source, err, wantLevel, wantSource)
			}
		}
	}
	if after, err := svc.Account(ctx, "acme"); err != nil || !cmp.Equal(stored, after) {
		t.Errorf("the stored account changed (-before +after):\n%s", cmp.Diff(stored, after))
	}
	if _, _, err := svc.EffectiveAt(ctx, "nobody", date(2025, 3, 1)); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("EffectiveAt of an account not enrolled: %v, want ErrNotFound", err)
	}
	// Reading the account costs no allocation: only the evaluation's own (the airline
	// ladder's periodic reviews walk the evaluation points).
	own := testing.AllocsPerRun(100, func() { _, _ = svc.Evaluator().EffectiveAt(stored, date(2025, 8, 1)) })
	if allocs := testing.AllocsPerRun(100, func() { _, _, _ = svc.EffectiveAt(ctx, "acme", date(2025, 8, 1)) }); allocs > own {
		t.Errorf("EffectiveAt over the memory store: %v allocations, want the evaluation's %v only", allocs, own)
	}
}
