package campaign_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
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
