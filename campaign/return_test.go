package campaign_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"pgregory.net/rapid"
)

// Concurrent returns of one order never return more than was bought.
func TestConcurrentReturns(t *testing.T) {
	e, _, _ := newHooked(t, reference())
	commit(t, e, evaluate(t, e, order("o1", "acme", t0, line("drill", "tools", "5", "1000", "")), campaign.EvaluateOptions{}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := e.Return(ctx, "o1", []loyalty.ReturnLine{{Line: 0, Quantity: qty("1")}}, loyalty.IdempotencyKey(fmt.Sprintf("r%d", i)))
			switch {
			case err == nil:
				mu.Lock()
				ok++
				mu.Unlock()
			case !errors.Is(err, loyalty.ErrInvalid):
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if ok != 5 {
		t.Errorf("%d returns of one unit succeeded, want 5", ok)
	}
	// 5,000 earned 2 × 50 = 100 points; all reversed.
	b, err := e.Points().Balance(ctx, points.ForAccount("acme"))
	if err != nil || b.Available != 0 || b.Reversed != 100 {
		t.Errorf("balance = %+v, %v; want 100 reversed, 0 available", b, err)
	}
}

// A failure in the middle of a return leaves it pending; the same key completes it once.
func TestReturnResumes(t *testing.T) {
	e, _, h := newHooked(t, reference())
	commit(t, e, evaluate(t, e, order("o1", "acme", t0, line("drill", "tools", "5", "1000", "")), campaign.EvaluateOptions{}))
	h.mu.Lock()
	h.failPts = 1
	h.mu.Unlock()
	lines := []loyalty.ReturnLine{{Line: 0, Quantity: qty("2")}}
	if _, err := e.Return(ctx, "o1", lines, "r1"); err == nil {
		t.Fatal("return succeeded over a failing store")
	}
	r, err := e.Return(ctx, "o1", lines, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Replayed || r.Points[0].Points(points.KindReverse) != 40 {
		t.Errorf("resumed return: replayed %v, reversed %d; want false and 40", r.Replayed, r.Points[0].Points(points.KindReverse))
	}
	if again, err := e.Return(ctx, "o1", lines, "r1"); err != nil || !again.Replayed {
		t.Errorf("third call: %v, replayed %v", err, again.Replayed)
	}
	b, _ := e.Points().Balance(ctx, points.ForAccount("acme"))
	if b.Available != 60 {
		t.Errorf("balance = %d, want 60", b.Available)
	}
}

// thanks is a campaign issuing a THANKS code for at least 5,000 of tools in March 2026.
func thanks() campaign.Campaign {
	return campaign.Campaign{ID: "thanks", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
		Conditions: campaign.Conditions{MinAmount: m("5000"), Categories: []loyalty.CategoryID{"tools"}},
		Actions:    []campaign.Action{{Kind: campaign.ActionCode, Definition: "THANKS"}}}
}

// validateCode checks the issued code on a new order of acme: nil when it would be
// accepted, the promo service's refusal otherwise. The engine's quote must agree.
func validateCode(t *testing.T, e *campaign.Engine, code string) error {
	t.Helper()
	o := order("probe", "acme", e.Clock().Now(), line("x", "tools", "1", "1000", ""))
	o.Codes = []string{code}
	_, err := e.Codes().Validate(ctx, code, promo.Checkout{Order: o})
	if q := evaluate(t, e, o, campaign.EvaluateOptions{}); q.Codes[0].Accepted != (err == nil) {
		t.Errorf("the quote accepts the code: %v; the promo service says %v", q.Codes[0].Accepted, err)
	}
	return err
}

// A full return revokes the code the order's campaign issued; replays change nothing.
func TestReturnRevokesIssuedCode(t *testing.T) {
	e, clock := newEngine(t, points1(thanks()))
	r := commit(t, e, evaluate(t, e, order("o1", "acme", t0, line("drill", "tools", "2", "3000", "")), campaign.EvaluateOptions{}))
	if len(r.Issued) != 1 {
		t.Fatalf("issued %+v, want one code", r.Issued)
	}
	code := r.Issued[0].Code
	if err := validateCode(t, e, code); err != nil {
		t.Fatalf("the issued code before the return: %v", err)
	}
	clock.Advance(time.Hour)
	all := []loyalty.ReturnLine{{Line: 0, Quantity: qty("2")}}
	rr, err := e.Return(ctx, "o1", all, "ret-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.Issued, rr.Plan.Revoke); diff != "" {
		t.Errorf("plan's codes to revoke (-want +got):\n%s", diff)
	}
	want := []campaign.RevokedCode{{IssuedCode: r.Issued[0], Revocation: &promo.Revocation{Key: "ret-1/revoke/0", Code: code,
		Definition: "THANKS", Reason: "order o1 returned (return ret-1)", At: clock.Now()}}}
	if diff := cmp.Diff(want, rr.Revoked); diff != "" {
		t.Errorf("revoked (-want +got):\n%s", diff)
	}
	err = validateCode(t, e, code)
	if !errors.Is(err, promo.ErrRevoked) || !strings.Contains(err.Error(), "order o1 returned") {
		t.Errorf("the issued code after the return: %v, want ErrRevoked with the reason", err)
	}
	later := order("o2", "acme", clock.Now(), line("drill", "tools", "1", "3000", ""))
	later.Codes = []string{code}
	q := evaluate(t, e, later, campaign.EvaluateOptions{})
	if len(q.Codes) != 1 || q.Codes[0].Reason != "revoked" || !errors.Is(q.Codes[0].Err(), promo.ErrRevoked) {
		t.Errorf("a quote with the revoked code: %+v, want it refused as revoked", q.Codes)
	}
	c, err := e.Codes().Code(ctx, code)
	if err != nil || !c.RevokedAt.Equal(clock.Now()) {
		t.Errorf("stored code %+v, %v; want revoked at the return", c, err)
	}
	// Replays return the first receipt and revoke nothing again.
	clock.Advance(time.Hour)
	again, err := e.Return(ctx, "o1", all, "ret-1")
	if err != nil || !again.Replayed {
		t.Fatalf("replayed return: %v, replayed %v", err, again.Replayed)
	}
	again.Replayed = false
	if diff := cmp.Diff(rr, again); diff != "" {
		t.Errorf("replayed receipt differs (-first +replay):\n%s", diff)
	}
	if c2, err := e.Codes().Code(ctx, code); err != nil || !c2.RevokedAt.Equal(c.RevokedAt) {
		t.Errorf("stored code after the replay %+v, %v; want it unchanged", c2, err)
	}
	if _, err := e.Codes().Revocation(ctx, "ret-1/revoke/1"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("a second revocation was recorded: %v", err)
	}
}

// A partial return revokes the issued code only once the kept lines no longer meet the
// campaign's conditions (at least 5,000 of tools); later returns revoke nothing more.
func TestPartialReturnsRevokeWhenConditionsFail(t *testing.T) {
	e, clock := newEngine(t, points1(thanks()))
	r := commit(t, e, evaluate(t, e, order("o1", "acme", t0,
		line("drill", "tools", "10", "1000", ""), line("tea", "food", "5", "100", "")), campaign.EvaluateOptions{}))
	if len(r.Issued) != 1 {
		t.Fatalf("issued %+v, want one code", r.Issued)
	}
	code := r.Issued[0].Code
	steps := []struct {
		lines  []loyalty.ReturnLine
		revoke bool
	}{
		{[]loyalty.ReturnLine{{Line: 1, Quantity: qty("5")}}, false},   // the tea is no tool
		{[]loyalty.ReturnLine{{Line: 0, Quantity: qty("5")}}, false},   // 5,000 of tools kept: still met
		{[]loyalty.ReturnLine{{Line: 0, Quantity: qty("0.5")}}, true},  // 4,500 kept: below the minimum
		{[]loyalty.ReturnLine{{Line: 0, Quantity: qty("4.5")}}, false}, // already revoked
	}
	for i, st := range steps {
		clock.Advance(time.Minute)
		rr, err := e.Return(ctx, "o1", st.lines, loyalty.IdempotencyKey(fmt.Sprintf("ret-%d", i)))
		if err != nil {
			t.Fatalf("return %d: %v", i, err)
		}
		if got := len(rr.Revoked) == 1 && rr.Revoked[0].Revocation != nil && !rr.Revoked[0].Revocation.Earlier; got != st.revoke || len(rr.Revoked) > 1 {
			t.Errorf("return %d revoked %+v, want a revocation: %v", i, rr.Revoked, st.revoke)
		}
		err = validateCode(t, e, code)
		if revoked := i >= 2; revoked != errors.Is(err, promo.ErrRevoked) || !revoked && err != nil {
			t.Errorf("after return %d the code is refused with %v; want revoked %v", i, err, revoked)
		}
	}
}

// A code already used is not revoked: the return reports it, and the use stays with the
// order it was used on.
func TestReturnReportsUsedIssuedCode(t *testing.T) {
	e, clock := newEngine(t, points1(thanks()))
	r := commit(t, e, evaluate(t, e, order("o1", "acme", t0, line("drill", "tools", "5", "1000", "")), campaign.EvaluateOptions{}))
	code := r.Issued[0].Code
	clock.Advance(time.Hour)
	o2 := order("o2", "acme", clock.Now(), line("saw", "tools", "1", "1000", ""))
	o2.Codes = []string{code}
	r2 := commit(t, e, evaluate(t, e, o2, campaign.EvaluateOptions{}))
	if len(r2.Codes) != 1 {
		t.Fatalf("the issued code was not used on o2: %+v", r2.Codes)
	}
	rr, err := e.Return(ctx, "o1", []loyalty.ReturnLine{{Line: 0, Quantity: qty("5")}}, "ret-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.Revoked) != 1 || rr.Revoked[0].Revocation != nil || !strings.Contains(rr.Revoked[0].Refused, "cannot be revoked") {
		t.Fatalf("revoked %+v, want the code reported as used", rr.Revoked)
	}
	if c, err := e.Codes().Code(ctx, code); err != nil || c.Revoked() {
		t.Errorf("stored code %+v, %v; want it not revoked", c, err)
	}
	if n, err := e.Codes().Usage(ctx, promo.Counter{Definition: "THANKS", Code: code}); err != nil || n != 1 {
		t.Errorf("uses of the code = %d, %v; want o2's use kept", n, err)
	}
}

// Commit then full return, in one or two steps, restores every balance, code use and
// budget (as TestPropCommitThenFullReturnRestores checks) and, in addition, leaves every
// code the order's campaigns issued revoked and unused.
func TestPropCommitThenFullReturnRevokesIssuedCodes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genProgram(t)
		p.Codes.Definitions = append(p.Codes.Definitions, promo.Definition{ID: "THANKS", Kind: promo.Personal,
			Benefit: promo.Benefit{Percent: d("5")}, Limits: promo.Limits{PerCode: 1}})
		c := thanks()
		c.Conditions.MinAmount = m(rapid.SampledFrom([]string{"0", "100", "5000"}).Draw(t, "thanks minimum"))
		p.Campaigns = append(p.Campaigns, c)
		e, clock, _ := newHooked(t, p)
		credit(t, e, "acme", points.Points(rapid.Int64Range(1, 5000).Draw(t, "credit")))
		history(t, e, clock, "acme")
		before := snapshot(t, e, "acme")
		o := genOrder(t, "o", "acme", clock.Now())
		q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{RedeemPoints: genRedeem(t, e, "acme")})
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Commit(ctx, q, "key")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		steps := drawFullReturn(t, o)
		revoked := map[string]int{}
		for i, lines := range steps {
			key := loyalty.IdempotencyKey(fmt.Sprintf("ret-%d", i))
			rr, err := e.Return(ctx, "o", lines, key)
			if err != nil {
				t.Fatal(err)
			}
			for _, rc := range rr.Revoked {
				if rc.Revocation == nil || rc.Revocation.Earlier {
					t.Fatalf("return %d: %+v not revoked by it", i, rc)
				}
				revoked[rc.Code]++
			}
			if again, err := e.Return(ctx, "o", lines, key); err != nil || !again.Replayed || len(again.Revoked) != len(rr.Revoked) {
				t.Fatalf("replayed return %d: %v, %+v", i, err, again)
			}
		}
		if diff := cmp.Diff(before, snapshot(t, e, "acme")); diff != "" {
			t.Fatalf("commit and full return did not restore the state (-before +after):\n%s", diff)
		}
		for _, ic := range r.Issued {
			if revoked[ic.Code] != 1 {
				t.Fatalf("issued code %s revoked %d times by the returns, want once", ic.Code, revoked[ic.Code])
			}
			cd, err := e.Codes().Code(ctx, ic.Code)
			if err != nil || !cd.Revoked() {
				t.Fatalf("issued code %s after the full return: %+v, %v; want it revoked", ic.Code, cd, err)
			}
			if n, err := e.Codes().Usage(ctx, promo.Counter{Definition: ic.Definition, Code: ic.Code}); err != nil || n != 0 {
				t.Fatalf("issued code %s has %d uses (%v)", ic.Code, n, err)
			}
		}
		if len(revoked) != len(r.Issued) {
			t.Fatalf("the returns revoked %v, the commit issued %+v", revoked, r.Issued)
		}
	})
}
