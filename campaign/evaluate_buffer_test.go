package campaign_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"pgregory.net/rapid"
)

// Order after order into one buffer, from two engines of different programs, each quote
// equals the quote Evaluate gives for the same order, and a failed evaluation leaves the
// buffer fit for the next. Orders of different sizes make the buffer's lists grow and
// shrink; commits between evaluations change the account's state. No quote shares memory
// with a later evaluation: every quote of Evaluate is as it was when returned at the end of
// the run, and a buffered quote is unchanged by the commits and evaluations (without its
// buffer) that follow it.
func TestPropEvaluateIntoEqualsEvaluate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var engines [2]*campaign.Engine
		for i := range engines {
			e, clock, _ := newHooked(t, genProgram(t))
			credit(t, e, "acme", points.Points(rapid.Int64Range(1, 5000).Draw(t, "credit")))
			history(t, e, clock, "acme")
			engines[i] = e
		}
		type kept struct {
			q    campaign.Quote
			json string // as returned
		}
		var evaluated []kept
		var buf campaign.QuoteBuffer
		for k := range rapid.IntRange(1, 8).Draw(t, "orders") {
			e := engines[rapid.IntRange(0, 1).Draw(t, "engine")]
			o := genOrder(t, fmt.Sprintf("o%d", k), "acme", e.Clock().Now())
			if rapid.IntRange(0, 5).Draw(t, "invalid") == 0 {
				o.Lines[0].Quantity = loyalty.QuantityFromMicros(-1)
			}
			opt := campaign.EvaluateOptions{RedeemPoints: genRedeem(t, e, "acme")}
			want, wantErr := e.Evaluate(ctx, o, opt)
			evaluated = append(evaluated, kept{want, snapshotJSON(t, want)})
			got, err := e.EvaluateInto(ctx, &buf, o, opt)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("order %d: EvaluateInto error %v, Evaluate error %v", k, err, wantErr)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("order %d (-Evaluate +EvaluateInto):\n%s", k, d)
			}
			if err != nil {
				continue
			}
			before := snapshotJSON(t, got)
			if rapid.Bool().Draw(t, "commit") {
				if _, err := e.Commit(ctx, got, loyalty.IdempotencyKey("k-"+string(o.ID))); err != nil {
					t.Fatalf("order %d: commit of the buffered quote: %v", k, err)
				}
			}
			other := engines[rapid.IntRange(0, 1).Draw(t, "other engine")]
			if _, err := other.Evaluate(ctx, genOrder(t, fmt.Sprintf("x%d", k), "acme", other.Clock().Now()), campaign.EvaluateOptions{}); err != nil {
				t.Fatal(err)
			}
			if after := snapshotJSON(t, got); after != before {
				t.Fatalf("order %d: the buffered quote changed with a commit or another evaluation:\n%s\n%s", k, before, after)
			}
		}
		for i, w := range evaluated {
			if now := snapshotJSON(t, w.q); now != w.json {
				t.Fatalf("order %d: the quote of Evaluate changed with later evaluations:\n%s\n%s", i, w.json, now)
			}
		}
	})
}

// snapshotJSON returns q encoded: a deep copy of what it shows, to compare later.
func snapshotJSON(t interface{ Fatal(...any) }, q campaign.Quote) string {
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A committed quote is the engine's own: evaluating the next order into the buffer changes
// nothing of what the commit recorded.
func TestEvaluateIntoThenCommitKeepsNothingOfTheBuffer(t *testing.T) {
	e, clock, _ := newHooked(t, referenceCampaigns())
	credit(t, e, "acme", 5000)
	var buf campaign.QuoteBuffer
	o := order("o1", "acme", clock.Now(), line("drill", "tools", "2", "5000", "3000"), line("nails", "misc", "7", "12.5", ""))
	o.Codes = []string{"SAVE10"}
	q, err := e.EvaluateInto(ctx, &buf, o, campaign.EvaluateOptions{RedeemPoints: 40})
	if err != nil {
		t.Fatal(err)
	}
	want := evaluate(t, e, o, campaign.EvaluateOptions{RedeemPoints: 40})
	r, err := e.Commit(ctx, q, "k1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // overwrite the buffer with other orders
		clock.Advance(1)
		other := order(fmt.Sprintf("x%d", i), "acme", clock.Now(), line("saw", "tools", "1", "99.99", "50"))
		if _, err := e.EvaluateInto(ctx, &buf, other, campaign.EvaluateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(want, r.Quote); d != "" {
		t.Errorf("the receipt's quote changed with the buffer (-evaluated +receipt):\n%s", d)
	}
	r2, err := e.Commit(ctx, want, "k1")
	if err != nil || !r2.Replayed {
		t.Fatalf("replay: replayed %v, %v", r2.Replayed, err)
	}
	if d := cmp.Diff(want, r2.Quote); d != "" {
		t.Errorf("the recorded quote changed with the buffer (-evaluated +recorded):\n%s", d)
	}
}

// blockingOrders holds every View of the orders store until release is closed, telling
// entered when one starts.
type blockingOrders struct {
	campaign.OrderStore
	entered chan struct{}
	release chan struct{}
}

func (s blockingOrders) View(ctx context.Context, fn func(campaign.OrderReadTx) error) error {
	s.entered <- struct{}{}
	<-s.release
	return s.OrderStore.View(ctx, fn)
}

// A buffer serves one evaluation at a time: a second one while the first runs is refused
// with ErrBufferBusy, and the first one's quote is whole.
func TestEvaluateIntoRefusesABusyBuffer(t *testing.T) {
	s := campaign.MemoryStores()
	block := blockingOrders{s.Orders, make(chan struct{}, 1), make(chan struct{})}
	s.Orders = block
	e, err := campaign.New(reference(), s, campaign.Config{Clock: loyalty.NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	o := order("o1", "acme", t0, line("drill", "tools", "2", "5000", "3000"))
	var buf campaign.QuoteBuffer
	type result struct {
		q   campaign.Quote
		err error
	}
	first := make(chan result)
	go func() {
		q, err := e.EvaluateInto(ctx, &buf, o, campaign.EvaluateOptions{})
		first <- result{q, err}
	}()
	<-block.entered // the first evaluation is running
	other := order("o2", "acme", t0, line("saw", "tools", "1", "10", ""))
	if _, err := e.EvaluateInto(ctx, &buf, other, campaign.EvaluateOptions{}); !errors.Is(err, campaign.ErrBufferBusy) {
		t.Errorf("second evaluation into a busy buffer: %v, want ErrBufferBusy", err)
	}
	close(block.release)
	r := <-first
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d := cmp.Diff(evaluate(t, e, o, campaign.EvaluateOptions{}), r.q); d != "" {
		t.Errorf("the first quote (-Evaluate +EvaluateInto):\n%s", d)
	}
	// Free again: the buffer takes the next evaluation.
	go func() { <-block.entered }()
	if _, err := e.EvaluateInto(ctx, &buf, other, campaign.EvaluateOptions{}); err != nil {
		t.Errorf("evaluation into the freed buffer: %v", err)
	}
}

// Once a buffer has held a quote of the reference evaluation, evaluating the same order
// into it again allocates nothing; Evaluate allocates the quote's memory only: one buffer
// and one list per element type of the quote's lists (8). The race detector's sync.Pool
// drops pooled items at random, so the counts are checked without it (.ci/run runs this
// test so too).
func TestEvaluateAllocations(t *testing.T) {
	for _, n := range []int{10, 100} {
		e, o, opt := referenceEvaluation(t, n)
		var want campaign.Quote
		allocs := testing.AllocsPerRun(20, func() { want = evaluate(t, e, o, opt) })
		if allocs > 8 && !raceEnabled {
			t.Errorf("lines=%d: Evaluate makes %v allocations, want at most 8", n, allocs)
		}
		var buf campaign.QuoteBuffer
		var got campaign.Quote
		allocs = testing.AllocsPerRun(20, func() {
			var err error
			if got, err = e.EvaluateInto(ctx, &buf, o, opt); err != nil {
				t.Fatal(err)
			}
		})
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("lines=%d (-Evaluate +EvaluateInto):\n%s", n, d)
		}
		if allocs != 0 && !raceEnabled {
			t.Errorf("lines=%d: %v allocations per evaluation into a used buffer, want 0", n, allocs)
		}
	}
	// Dual earning (the airline's company points and the employee's miles), a tier's earn
	// rate, no discounts and a redemption: none allocates either, for an account the stores
	// know (reading an unknown account makes its not-found errors).
	e, clock := newEngine(t, airline())
	o := order("t0", "acme", t0, line("ticket", "flight", "1", "100000", ""))
	commit(t, e, evaluate(t, e, o, campaign.EvaluateOptions{}))
	clock.Advance(time.Hour)
	o = order("t1", "acme", clock.Now(), line("ticket", "flight", "1", "100000", ""), line("bag", "extra", "2", "2500", ""))
	o.Buyer = "ivanov"
	opt := campaign.EvaluateOptions{RedeemPoints: 300}
	want := evaluate(t, e, o, opt)
	var buf campaign.QuoteBuffer
	var got campaign.Quote
	allocs := testing.AllocsPerRun(20, func() {
		var err error
		if got, err = e.EvaluateInto(ctx, &buf, o, opt); err != nil {
			t.Fatal(err)
		}
	})
	if d := cmp.Diff(want, got); d != "" || len(got.Earnings) != 2 || got.Redemption.Applied != 300 {
		t.Fatalf("airline (-Evaluate +EvaluateInto):\n%s\nearnings %d, redemption %+v", d, len(got.Earnings), got.Redemption)
	}
	if allocs != 0 && !raceEnabled {
		t.Errorf("airline: %v allocations per evaluation into a used buffer, want 0", allocs)
	}
}

// A quote kept past the next evaluation into its buffer no longer holds its order's outcome:
// committing it is refused as stale, and nothing is applied.
func TestCommitOfAnOverwrittenQuoteIsStale(t *testing.T) {
	e, clock, h := newHooked(t, referenceCampaigns())
	credit(t, e, "acme", 5000)
	var buf campaign.QuoteBuffer
	a := order("a", "acme", clock.Now(), line("drill", "tools", "2", "5000", "3000"), line("nails", "misc", "7", "12.5", ""))
	q, err := e.EvaluateInto(ctx, &buf, a, campaign.EvaluateOptions{RedeemPoints: 40})
	if err != nil {
		t.Fatal(err)
	}
	b := order("b", "acme", clock.Now(), line("saw", "tools", "1", "99.99", "50"), line("glue", "misc", "3", "7", ""))
	if _, err := e.EvaluateInto(ctx, &buf, b, campaign.EvaluateOptions{}); err != nil {
		t.Fatal(err)
	}
	writes := h.Writes()
	if _, err := e.Commit(ctx, q, "k-a"); !errors.Is(err, campaign.ErrStaleQuote) {
		t.Fatalf("commit of a quote overwritten in its buffer: %v, want ErrStaleQuote", err)
	}
	if got := h.Writes(); got != writes {
		t.Errorf("the refused commit wrote %d times", got-writes)
	}
}
