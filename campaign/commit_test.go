package campaign_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/tier"
)

// reference is a program with every part: three tiers (discount and multiplier), a
// cumulative discount ladder, a promo code family (10 % off, 3 uses in total), category
// earn rates and points that pay up to half an order.
func reference() campaign.Program {
	return campaign.Program{
		ID: "reference", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers: &tier.Ladder{Currency: rub, Levels: []tier.Level{
			{Name: "Blue"},
			{Name: "Silver", Threshold: tier.Amount{Spend: m("20000")}, Benefits: tier.Benefits{DiscountRate: d("0.03"), EarnMultiplier: d("1.5")}},
			{Name: "Gold", Threshold: tier.Amount{Spend: m("60000")}, Benefits: tier.Benefits{DiscountRate: d("0.05"), EarnMultiplier: d("2")}},
		}},
		Discounts: discount.Policy{Currency: rub, Stacking: discount.Sequential, Discounts: []discount.Discount{{
			ID: "cumulative", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
			Tiers: []discount.Tier{{From: m("10000"), Percent: d("2")}, {From: m("30000"), Percent: d("4")}},
		}}},
		Earning: points.Rules{Rates: []points.Rate{
			{Categories: []loyalty.CategoryID{"tools"}, Points: 2, Per: d("100")},
			{Points: 1, Per: d("100")},
		}},
		Redemption: points.Redemption{Currency: rub, PointValue: d("1"), MaxShare: d("0.5")},
		Codes: promo.Rules{Definitions: []promo.Definition{{ID: "SAVE10", Kind: promo.Shareable,
			Benefit: promo.Benefit{Percent: d("10")}, Limits: promo.Limits{Total: 3}}}},
	}
}

// hookStores wraps the stores to count write transactions and to inject failures.
type hookStores struct {
	mu      sync.Mutex
	writes  int
	failPts int    // fail the next n points writes
	onCode  func() // run once before the next promo write
}

func (h *hookStores) write() {
	h.mu.Lock()
	h.writes++
	h.mu.Unlock()
}

func (h *hookStores) Writes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.writes
}

type pointsHook struct {
	points.Store
	h *hookStores
}

func (s pointsHook) Update(ctx context.Context, fn func(points.Tx) error) error {
	s.h.write()
	s.h.mu.Lock()
	fail := s.h.failPts > 0
	if fail {
		s.h.failPts--
	}
	s.h.mu.Unlock()
	if fail {
		return errors.New("points store unavailable")
	}
	return s.Store.Update(ctx, fn)
}

type codesHook struct {
	promo.Store
	h *hookStores
}

func (s codesHook) Update(ctx context.Context, fn func(promo.Tx) error) error {
	s.h.write()
	s.h.mu.Lock()
	hook := s.h.onCode
	s.h.onCode = nil
	s.h.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.Store.Update(ctx, fn)
}

type tiersHook struct {
	tier.Store
	h *hookStores
}

func (s tiersHook) Update(ctx context.Context, fn func(tier.Tx) error) error {
	s.h.write()
	return s.Store.Update(ctx, fn)
}

type ordersHook struct {
	campaign.OrderStore
	h *hookStores
}

func (s ordersHook) Update(ctx context.Context, fn func(campaign.OrderTx) error) error {
	s.h.write()
	return s.OrderStore.Update(ctx, fn)
}

// newHooked runs p over hooked memory stores.
func newHooked(t tb, p campaign.Program) (*campaign.Engine, *loyalty.ManualClock, *hookStores) {
	t.Helper()
	h := &hookStores{}
	s := campaign.MemoryStores()
	s.Points = pointsHook{s.Points, h}
	s.Codes = codesHook{s.Codes, h}
	s.Tiers = tiersHook{s.Tiers, h}
	s.Orders = ordersHook{s.Orders, h}
	clock := loyalty.NewManualClock(t0)
	e, err := campaign.New(p, s, campaign.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Codes().AddCode(ctx, promo.Code{Code: "SAVE10", Definition: "SAVE10"}); err != nil {
		t.Fatal(err)
	}
	return e, clock, h
}

func credit(t tb, e *campaign.Engine, account string, n points.Points) {
	t.Helper()
	if _, err := e.Points().Adjust(ctx, points.Adjustment{Key: loyalty.IdempotencyKey("credit-" + account + "-" + n.String()),
		Holder: points.ForAccount(loyalty.AccountID(account)), Points: n, Reason: "test", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
}

func TestCommitIdempotent(t *testing.T) {
	e, clock, h := newHooked(t, reference())
	o := order("o1", "acme", t0, line("drill", "tools", "2", "5000", "3000"))
	o.Codes = []string{"save10"}
	q := evaluate(t, e, o, campaign.EvaluateOptions{})
	r1, err := e.Commit(ctx, q, "k1")
	if err != nil {
		t.Fatal(err)
	}
	writes := h.Writes()
	clock.Advance(time.Minute)
	r2, err := e.Commit(ctx, q, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if !r2.Replayed || r1.Replayed {
		t.Errorf("Replayed = %v then %v, want false then true", r1.Replayed, r2.Replayed)
	}
	r2.Replayed = false
	if diff := cmp.Diff(r1, r2); diff != "" {
		t.Errorf("second commit's receipt differs (-first +second):\n%s", diff)
	}
	if h.Writes() != writes {
		t.Errorf("the replay wrote %d times", h.Writes()-writes)
	}
	// 10 % off 10,000 = 9,000; 2 points per full 100 of tools: 180.
	if got := r1.Earned(points.ForAccount("acme")); got != 180 {
		t.Errorf("earned %d, want 180", got)
	}

	// The same key for another order, and another key for the same order, conflict.
	o2 := order("o2", "acme", t0, line("saw", "tools", "1", "100", ""))
	_, err = e.Commit(ctx, evaluate(t, e, o2, campaign.EvaluateOptions{}), "k1")
	if want := `campaign: commit: key "k1" was used for another request (order o1): loyalty: conflict`; !errors.Is(err, loyalty.ErrConflict) || err.Error() != want {
		t.Errorf("same key, other order: %v, want ErrConflict: %s", err, want)
	}
	o.Codes = nil
	_, err = e.Commit(ctx, evaluate(t, e, o, campaign.EvaluateOptions{}), "k2")
	if want := "campaign: commit: order o1 is already committed under another key: loyalty: conflict"; !errors.Is(err, loyalty.ErrConflict) || err.Error() != want {
		t.Errorf("other key, same order: %v, want ErrConflict: %s", err, want)
	}
	if _, err := e.Commit(ctx, q, ""); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("empty key: %v, want ErrInvalid", err)
	}
}

func TestCommitStaleQuote(t *testing.T) {
	e, clock, h := newHooked(t, reference())
	commit(t, e, evaluate(t, e, order("o1", "acme", t0, line("drill", "tools", "1", "9000", "")), campaign.EvaluateOptions{}))
	clock.Advance(time.Hour)
	// Quoted while the account has 9,000 of history: no cumulative discount.
	q := evaluate(t, e, order("o2", "acme", clock.Now(), line("drill", "tools", "1", "5000", "")), campaign.EvaluateOptions{})
	// Another order lifts the history over 10,000: the quote's outcome no longer holds.
	commit(t, e, evaluate(t, e, order("o3", "acme", clock.Now(), line("saw", "tools", "1", "2000", "")), campaign.EvaluateOptions{}))
	clock.Advance(time.Minute)
	writes := h.Writes()
	if _, err := e.Commit(ctx, q, "k-o2"); !errors.Is(err, campaign.ErrStaleQuote) {
		t.Fatalf("commit of a stale quote: %v, want ErrStaleQuote", err)
	}
	if h.Writes() != writes {
		t.Errorf("a refused stale quote wrote %d times", h.Writes()-writes)
	}
	// Evaluated again, it commits.
	if _, err := e.Commit(ctx, evaluate(t, e, q.Order, q.Options), "k-o2"); err != nil {
		t.Fatal(err)
	}
}

// A refusal after a step succeeded is compensated: a competing spend lands between the
// code's use and the redemption; the code use is rolled back and the attempt fails. Once
// the balance is back, the same key commits in a second attempt.
func TestCommitCompensates(t *testing.T) {
	e, _, h := newHooked(t, reference())
	credit(t, e, "acme", 600)
	o := order("o1", "acme", t0, line("drill", "tools", "2", "5000", ""))
	o.Codes = []string{"SAVE10"}
	q := evaluate(t, e, o, campaign.EvaluateOptions{RedeemPoints: 500})
	if q.Redemption.Applied != 500 {
		t.Fatalf("redemption = %+v", q.Redemption)
	}
	h.mu.Lock()
	h.onCode = func() {
		if _, err := e.Points().Spend(ctx, points.SpendRequest{Key: "elsewhere", Holder: points.ForAccount("acme"), Points: 300}); err != nil {
			t.Error(err)
		}
	}
	h.mu.Unlock()
	_, err := e.Commit(ctx, q, "k1")
	if !errors.Is(err, points.ErrInsufficientPoints) {
		t.Fatalf("commit: %v, want ErrInsufficientPoints", err)
	}
	if n, _ := e.Codes().Usage(ctx, promo.Counter{Definition: "SAVE10"}); n != 0 {
		t.Errorf("code uses after the compensation = %d, want 0", n)
	}
	acct, _ := e.Account(ctx, "acme")
	if acct.Orders != 0 {
		t.Errorf("orders = %d, want 0", acct.Orders)
	}
	credit(t, e, "acme", 200)
	r, err := e.Commit(ctx, q, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Attempt != 2 {
		t.Errorf("attempt = %d, want 2", r.Attempt)
	}
	if n, _ := e.Codes().Usage(ctx, promo.Counter{Definition: "SAVE10"}); n != 1 {
		t.Errorf("code uses = %d, want 1", n)
	}
	// 600 − 300 + 200 − 500, plus 2 per full 100 of the 9,000 − 500... points are earned on
	// the price after discounts (9,000): 180.
	b, _ := e.Points().Balance(ctx, points.ForAccount("acme"))
	if b.Available != 600-300+200-500+180 {
		t.Errorf("balance = %d, want %d", b.Available, 600-300+200-500+180)
	}
}

// A failure in a step that cannot refuse leaves the commit pending; the same key completes
// it exactly once.
func TestCommitResumes(t *testing.T) {
	e, _, h := newHooked(t, reference())
	o := order("o1", "acme", t0, line("drill", "tools", "2", "5000", ""))
	o.Codes = []string{"SAVE10"}
	q := evaluate(t, e, o, campaign.EvaluateOptions{})
	h.mu.Lock()
	h.failPts = 1 // the earning
	h.mu.Unlock()
	if _, err := e.Commit(ctx, q, "k1"); err == nil {
		t.Fatal("commit succeeded over a failing store")
	}
	if n, _ := e.Codes().Usage(ctx, promo.Counter{Definition: "SAVE10"}); n != 1 {
		t.Errorf("code uses while pending = %d, want 1 (held by the pending commit)", n)
	}
	r, err := e.Commit(ctx, q, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Attempt != 1 || r.Earned(points.ForAccount("acme")) != 180 {
		t.Errorf("resumed receipt: attempt %d, earned %d; want 1 and 180", r.Attempt, r.Earned(points.ForAccount("acme")))
	}
	if n, _ := e.Codes().Usage(ctx, promo.Counter{Definition: "SAVE10"}); n != 1 {
		t.Errorf("code uses = %d, want 1", n)
	}
	b, _ := e.Points().Balance(ctx, points.ForAccount("acme"))
	if b.Available != 180 {
		t.Errorf("balance = %d, want 180", b.Available)
	}
}

func TestEvaluateBadInput(t *testing.T) {
	e, _ := newEngine(t, reference())
	usd := order("o1", "acme", t0, line("drill", "tools", "1", "10", ""))
	usd.Currency = loyalty.MustCurrency("USD")
	usd.Lines[0].UnitPrice = loyalty.MustPrice("10", "USD")
	tests := map[string]struct {
		o     loyalty.Order
		opt   campaign.EvaluateOptions
		field string
	}{
		"no lines":          {order("o1", "acme", t0), campaign.EvaluateOptions{}, "order.lines"},
		"negative quantity": {order("o1", "acme", t0, line("drill", "tools", "-1", "10", "")), campaign.EvaluateOptions{}, "order.lines[0].quantity"},
		"no account":        {order("o1", "", t0, line("drill", "tools", "1", "10", "")), campaign.EvaluateOptions{}, "order.account"},
		"other currency":    {usd, campaign.EvaluateOptions{}, "order.currency"},
		"negative redeem":   {order("o1", "acme", t0, line("drill", "tools", "1", "10", "")), campaign.EvaluateOptions{RedeemPoints: -5}, "options.redeem_points"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := e.Evaluate(ctx, tt.o, tt.opt)
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
			var fe *loyalty.FieldError
			if !errors.As(err, &fe) || !containsField(err, tt.field) {
				t.Errorf("error %v does not name %s", err, tt.field)
			}
		})
	}
}

func containsField(err error, field string) bool {
	found := false
	var walk func(error)
	walk = func(e error) {
		var fe *loyalty.FieldError
		if errors.As(e, &fe) && len(fe.Field) >= len(field) && fe.Field[:len(field)] == field {
			found = true
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, c := range j.Unwrap() {
				walk(c)
			}
		} else if u := errors.Unwrap(e); u != nil {
			walk(u)
		}
	}
	walk(err)
	return found
}

func TestReturn(t *testing.T) {
	e, clock, _ := newHooked(t, reference())
	credit(t, e, "acme", 1000)
	o := order("o1", "acme", t0, line("drill", "tools", "3", "1000", ""), line("tape", "misc", "7", "100", ""))
	q := evaluate(t, e, o, campaign.EvaluateOptions{RedeemPoints: 370})
	// 3,700: tools 2 × 30 = 60, misc 1 × 7 = 7; 370 points paid, split 300 + 70.
	if q.Earnings[0].Plan.Total != 67 || q.Lines[0].Redeemed != 300 || q.Lines[1].Redeemed != 70 {
		t.Fatalf("quote: earn %d, redeemed %d + %d", q.Earnings[0].Plan.Total, q.Lines[0].Redeemed, q.Lines[1].Redeemed)
	}
	commit(t, e, q)
	clock.Advance(time.Hour)
	bal := func() points.Points {
		b, err := e.Points().Balance(ctx, points.ForAccount("acme"))
		if err != nil {
			t.Fatal(err)
		}
		return b.Available
	}
	if got := bal(); got != 1000-370+67 {
		t.Fatalf("balance after commit = %d", got)
	}
	// Bad returns change nothing.
	for name, tt := range map[string]struct {
		id    loyalty.OrderID
		lines []loyalty.ReturnLine
		want  error
	}{
		"too many":     {"o1", []loyalty.ReturnLine{{Line: 0, Quantity: qty("4")}}, loyalty.ErrInvalid},
		"no such line": {"o1", []loyalty.ReturnLine{{Line: 5, Quantity: qty("1")}}, loyalty.ErrInvalid},
		"no lines":     {"o1", nil, loyalty.ErrInvalid},
		"no order":     {"nope", []loyalty.ReturnLine{{Line: 0, Quantity: qty("1")}}, loyalty.ErrNotFound},
	} {
		if _, err := e.Return(ctx, tt.id, tt.lines, loyalty.IdempotencyKey("bad-"+name)); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
	}
	if got := bal(); got != 1000-370+67 {
		t.Errorf("balance after bad returns = %d", got)
	}
	// Return one drill, then the rest in two steps: the shares add up exactly.
	r1, err := e.Return(ctx, "o1", []loyalty.ReturnLine{{Line: 0, Quantity: qty("1")}}, "ret-1")
	if err != nil {
		t.Fatal(err)
	}
	if !r1.Plan.Paid.Equal(m("1000")) || r1.Plan.Full {
		t.Errorf("first return plan = %+v", r1.Plan)
	}
	again, err := e.Return(ctx, "o1", []loyalty.ReturnLine{{Line: 0, Quantity: qty("1")}}, "ret-1")
	if err != nil || !again.Replayed {
		t.Errorf("replayed return: %v, replayed %v", err, again.Replayed)
	}
	_, err = e.Return(ctx, "o1", []loyalty.ReturnLine{{Line: 1, Quantity: qty("1")}}, "ret-1")
	if want := `campaign: return: key "ret-1" was used for another request (order o1): loyalty: conflict`; !errors.Is(err, loyalty.ErrConflict) || err.Error() != want {
		t.Errorf("same key, other lines: %v, want ErrConflict: %s", err, want)
	}
	_, err = e.Return(ctx, "nope", []loyalty.ReturnLine{{Line: 0, Quantity: qty("1")}}, "ret-nope")
	if want := "campaign: return: order nope was not committed: loyalty: not found"; err == nil || err.Error() != want {
		t.Errorf("return of an unknown order: %v, want %s", err, want)
	}
	if _, err := e.Return(ctx, "o1", []loyalty.ReturnLine{{Line: 0, Quantity: qty("2")}, {Line: 1, Quantity: qty("3")}}, "ret-2"); err != nil {
		t.Fatal(err)
	}
	r3, err := e.Return(ctx, "o1", []loyalty.ReturnLine{{Line: 1, Quantity: qty("4")}}, "ret-3")
	if err != nil {
		t.Fatal(err)
	}
	if !r3.Plan.Full {
		t.Errorf("last return not full: %+v", r3.Plan)
	}
	if got := bal(); got != 1000 {
		t.Errorf("balance after returning everything = %d, want 1000", got)
	}
	if _, err := e.Return(ctx, "o1", []loyalty.ReturnLine{{Line: 1, Quantity: qty("1")}}, "ret-4"); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("return beyond the order: %v, want ErrInvalid", err)
	}
}

// Points that became active since the balance row was written count in a dry run, which
// still writes nothing.
func TestEvaluateSeesDueActivations(t *testing.T) {
	p := reference()
	p.Earning.PendingDays = 14
	e, clock, h := newHooked(t, p)
	commit(t, e, evaluate(t, e, order("o1", "acme", t0, line("drill", "tools", "1", "5000", "")), campaign.EvaluateOptions{}))
	o2 := order("o2", "acme", t0, line("drill", "tools", "1", "5000", ""))
	if q := evaluate(t, e, o2, campaign.EvaluateOptions{RedeemPoints: 100}); q.Redemption.Applied != 0 || q.Redemption.Available != 0 {
		t.Errorf("pending points were available: %+v", q.Redemption)
	}
	clock.Advance(15 * 24 * time.Hour)
	o2.PlacedAt = clock.Now()
	writes := h.Writes()
	q := evaluate(t, e, o2, campaign.EvaluateOptions{RedeemPoints: 100})
	if q.Redemption.Available != 100 || q.Redemption.Applied != 100 {
		t.Errorf("after the pending delay: %+v, want 100 available and applied", q.Redemption)
	}
	if h.Writes() != writes {
		t.Errorf("Evaluate wrote %d times", h.Writes()-writes)
	}
}

// A quote altered by its holder is refused like a stale one: Commit applies only what the
// program decides.
func TestCommitTamperedQuote(t *testing.T) {
	e, _, h := newHooked(t, reference())
	q := evaluate(t, e, order("o1", "acme", t0, line("drill", "tools", "1", "5000", "")), campaign.EvaluateOptions{})
	for name, tamper := range map[string]func(q *campaign.Quote){
		"to pay":   func(q *campaign.Quote) { q.Totals.ToPay = m("1") },
		"points":   func(q *campaign.Quote) { q.Earnings[0].Plan.Total = 1_000_000 },
		"discount": func(q *campaign.Quote) { q.Lines[0].Total = m("10") },
	} {
		bad := q
		bad.Totals = q.Totals
		bad.Earnings = append([]campaign.Earning(nil), q.Earnings...)
		bad.Lines = append([]campaign.LineOutcome(nil), q.Lines...)
		tamper(&bad)
		writes := h.Writes()
		if _, err := e.Commit(ctx, bad, loyalty.IdempotencyKey("k-"+name)); !errors.Is(err, campaign.ErrStaleQuote) {
			t.Errorf("%s: %v, want ErrStaleQuote", name, err)
		}
		if h.Writes() != writes {
			t.Errorf("%s: the refused commit wrote", name)
		}
	}
}
