package campaign_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/promo"
)

// An Engine reuses the working memory of finished evaluations: quotes evaluated at once from
// many goroutines, orders of different sizes one after the other, must equal the quotes of
// the same orders evaluated alone, and a quote must not change when later evaluations run.
func TestEvaluateReusesNothingOfAQuote(t *testing.T) {
	s := campaign.MemoryStores()
	clock := loyalty.NewManualClock(t0)
	e, err := campaign.New(referenceCampaigns(), s, campaign.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Codes().AddCode(ctx, promo.Code{Code: "SAVE10", Definition: "SAVE10"}); err != nil {
		t.Fatal(err)
	}
	credit(t, e, "acme", 5000)
	for i := 0; i < 3; i++ {
		clock.Advance(time.Hour)
		commit(t, e, evaluate(t, e, order(fmt.Sprintf("h%d", i), "acme", clock.Now(), line("drill", "tools", "1", "5000", "3000")), campaign.EvaluateOptions{}))
	}
	clock.Advance(time.Hour)
	var orders []loyalty.Order
	for k, n := range []int{10, 1, 57, 3} {
		o := order(fmt.Sprintf("o%d", k), "acme", clock.Now())
		for i := 0; i < n; i++ {
			cat, cost := "tools", "80.50"
			if i%3 == 0 {
				cat, cost = "misc", ""
			}
			o.Lines = append(o.Lines, line(fmt.Sprintf("sku-%d", i), cat, fmt.Sprint(1+i%7), "123.45", cost))
		}
		if k%2 == 0 {
			o.Codes = []string{"SAVE10"}
		}
		orders = append(orders, o)
	}
	opt := campaign.EvaluateOptions{RedeemPoints: 100}
	// The reference: each order on an engine that has evaluated nothing else since New.
	var want []campaign.Quote
	for _, o := range orders {
		fresh, err := campaign.New(referenceCampaigns(), s, campaign.Config{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, evaluate(t, fresh, o, opt))
	}
	first := make([]campaign.Quote, len(orders))
	for i, o := range orders {
		first[i] = evaluate(t, e, o, opt)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				i := (g + r) % len(orders)
				q, err := e.Evaluate(ctx, orders[i], opt)
				if err != nil {
					errs <- err.Error()
					return
				}
				if d := cmp.Diff(want[i], q); d != "" {
					errs <- fmt.Sprintf("order %s evaluated concurrently (-want +got):\n%s", orders[i].ID, d)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	for i := range orders {
		if d := cmp.Diff(want[i], first[i]); d != "" {
			t.Fatalf("order %s: the first quote changed after later evaluations (-want +got):\n%s", orders[i].ID, d)
		}
	}
}
