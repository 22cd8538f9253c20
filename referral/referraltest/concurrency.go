package referraltest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
)

const workers = 16

// parallel runs fn(i) for i in [0, n) on n goroutines started together.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func runConcurrency(t *testing.T, newStore func(t *testing.T) referral.Store) {
	clock := loyalty.NewManualClock(t0)
	rules := smRules()
	rules.Caps = []referral.Cap{{Period: loyalty.Month, MaxConversions: 5}}
	svc, err := referral.New(referral.Config{Rules: rules, Store: newStore(t), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}

	// The same referrer registered by many callers at once gets one code.
	codes := make([]string, workers)
	parallel(workers, func(i int) {
		p, err := svc.Register(bg, referral.Registration{Referrer: referral.AccountReferrer("acme")})
		if err != nil {
			t.Errorf("Register: %v", err)
		}
		codes[i] = p.Code
	})
	for _, c := range codes {
		if c != codes[0] {
			t.Fatalf("concurrent registrations gave codes %v", codes)
		}
	}
	acme := codes[0]
	globex, err := svc.Register(bg, referral.Registration{Referrer: referral.AccountReferrer("globex")})
	if err != nil {
		t.Fatal(err)
	}

	// Many referrals of one referee at once: exactly one wins.
	var mu sync.Mutex
	wins, replays := 0, 0
	parallel(workers, func(i int) {
		code := acme
		if i%2 == 1 {
			code = globex.Code
		}
		key := loyalty.IdempotencyKey(fmt.Sprintf("att-%d", i%4)) // some callers retry the same request
		res, err := svc.Attribute(bg, referral.Attribution{Key: key, Code: code, Referee: "new-co"})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil && res.Replayed:
			replays++
		case err == nil:
			wins++
		case !errors.Is(err, referral.ErrAlreadyAttributed):
			t.Errorf("Attribute: %v", err)
		}
	})
	if wins != 1 {
		t.Fatalf("%d attributions of one referee won (%d replays), want 1", wins, replays)
	}

	// The same order sent many times, under the same and under different keys: one
	// conversion, one set of grants.
	order := loyalty.Order{ID: "o1", Account: "new-co", Currency: loyalty.MustCurrency("RUB"), PlacedAt: t0,
		Lines: []loyalty.Line{{SKU: "s", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("5000", "RUB")}}}
	converted, grants := 0, 0
	parallel(workers, func(i int) {
		res, err := svc.RecordOrder(bg, referral.OrderEvent{Key: loyalty.IdempotencyKey(fmt.Sprintf("ord-%d", i%3)), Order: order})
		if err != nil {
			t.Errorf("RecordOrder: %v", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !res.Replayed && res.Outcome == referral.OutcomeConverted {
			converted++
			grants += len(res.Grants)
		}
	})
	if converted != 1 || grants != 2 {
		t.Fatalf("%d conversions with %d grants from one order, want 1 with 2", converted, grants)
	}

	// Many referees converting at once: the cap of 5 rewarded conversions holds.
	n := 3 * workers
	for i := range n {
		if _, err := svc.Attribute(bg, referral.Attribution{Key: loyalty.IdempotencyKey(fmt.Sprintf("a-%d", i)), Code: acme, Referee: loyalty.AccountID(fmt.Sprintf("r%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	rewarded := 0
	parallel(n, func(i int) {
		a := loyalty.AccountID(fmt.Sprintf("r%d", i))
		o := order
		o.ID, o.Account = loyalty.OrderID("o-"+a), a
		res, err := svc.RecordOrder(bg, referral.OrderEvent{Key: loyalty.IdempotencyKey("o-" + a), Order: o})
		if err != nil || res.Outcome != referral.OutcomeConverted {
			t.Errorf("RecordOrder(%s) = %+v, %v", a, res, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, g := range res.Grants {
			if g.Side == referral.SideReferrer && g.Status == referral.GrantPending {
				rewarded++
			}
		}
	})
	wantRewarded := 5
	if r, _ := svc.Referral(bg, "new-co"); r.Code == acme {
		wantRewarded-- // new-co's conversion took the first of the 5
	}
	if rewarded != wantRewarded {
		t.Fatalf("%d referrer rewards in a month capped at 5 conversions, want %d", rewarded, wantRewarded)
	}

	// Returns racing settlement and each other: each referral ends final or cancelled, with
	// its grants all final or all cancelled, and Settle finalises each referee once.
	clock.Set(t0.Add(time.Duration(smReturnDays)*24*time.Hour - time.Second))
	var settled []loyalty.AccountID
	returned := map[loyalty.AccountID]referral.Outcome{}
	parallel(n+4, func(i int) {
		if i >= n {
			clock.Set(t0.Add(time.Duration(smReturnDays) * 24 * time.Hour))
			res, err := svc.Settle(bg)
			if err != nil {
				t.Errorf("Settle: %v", err)
			}
			mu.Lock()
			settled = append(settled, res.Finalized...)
			mu.Unlock()
			return
		}
		if i%2 == 0 {
			return
		}
		a := loyalty.AccountID(fmt.Sprintf("r%d", i))
		res, err := svc.RecordReturn(bg, referral.ReturnEvent{Key: loyalty.IdempotencyKey("ret-" + a), Account: a, Order: loyalty.OrderID("o-" + a),
			Amount: loyalty.MustMoney("5000", "RUB"), At: t0.Add(time.Hour)})
		if err != nil {
			t.Errorf("RecordReturn(%s): %v", a, err)
		}
		mu.Lock()
		returned[a] = res.Outcome
		mu.Unlock()
	})
	if _, err := svc.Settle(bg); err != nil {
		t.Fatal(err)
	}
	once := map[loyalty.AccountID]int{}
	for _, a := range settled {
		once[a]++
		if once[a] > 1 {
			t.Errorf("%s finalised twice", a)
		}
	}
	for i := range n {
		a := loyalty.AccountID(fmt.Sprintf("r%d", i))
		r, err := svc.Referral(bg, a)
		if err != nil {
			t.Fatal(err)
		}
		// A return that lost the race to Settle finds the rewards final.
		want := referral.StatusFinal
		switch returned[a] {
		case referral.OutcomeCancelled:
			want = referral.StatusCancelled
		case "", referral.OutcomeFinal:
		default:
			t.Errorf("return of %s: outcome %s", a, returned[a])
		}
		if r.Status != want {
			t.Errorf("%s ended %s, want %s", a, r.Status, want)
		}
		for _, g := range r.Grants {
			if g.Note == "welcome" {
				continue
			}
			if want == referral.StatusFinal && g.Status != referral.GrantFinal && g.Status != referral.GrantWithheld ||
				want == referral.StatusCancelled && g.Status != referral.GrantCancelled && g.Status != referral.GrantWithheld {
				t.Errorf("%s (%s) has grant %s %s", a, r.Status, g.ID, g.Status)
			}
		}
	}
}
