package discount_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty/discount"
)

// TestPolicyJSON: a policy survives a JSON round trip and prices orders the same way.
func TestPolicyJSON(t *testing.T) {
	p := coffeeShop()
	p.Terms = []discount.Term{{Account: "cafe-on-the-corner", Discount: "beans15", Mode: discount.Add, Percent: dec("2.5")}}
	p.Cap = discount.Cap{MaxPercent: dec("40")}
	p.Floor = discount.Floor{MinMargin: dec("12.5")}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, string(data), `"stacking":"sequential"`, `"kind":"amount-per-unit"`, `"mode":"add"`,
		`"percent":"15"`, `"amount":{"amount":"500.00","currency":"RUB"}`)
	var back discount.Policy
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("Unmarshal: %v\n%s", err, data)
	}
	o := coffeeOrder(time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC), "SKIDKA30")
	r1 := apply(t, p, o, discount.History{})
	r2 := apply(t, back, o, discount.History{})
	diff(t, "result after a JSON round trip", r1, r2)

	for _, bad := range []string{`{"stacking":"random"}`, `{"discounts":[{"kind":"bogus"}]}`,
		`{"terms":[{"mode":"replace"}]}`, `{"discounts":[{"basis":"weight"}]}`} {
		var q discount.Policy
		if err := json.Unmarshal([]byte(bad), &q); err == nil || !strings.Contains(err.Error(), "must be one of") {
			t.Errorf("Unmarshal(%s) = %v, want an error listing the names", bad, err)
		}
	}
	// Results are JSON-able too, reasons as codes.
	out, err := json.Marshal(r1)
	if err != nil {
		t.Fatalf("Marshal(result): %v", err)
	}
	contains(t, string(out), `"reasons":"inactive"`, `"reasons":"excluded"`)
	var rr discount.Result
	if err := json.Unmarshal(out, &rr); err != nil {
		t.Fatalf("Unmarshal(result): %v", err)
	}
	diff(t, "result after a JSON round trip", r1, rr)
	var bad discount.Reason
	if err := bad.UnmarshalText([]byte("excluded,bogus")); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown reason code: %v", err)
	}
}

// TestConcurrentApply: one Calculator prices orders from many goroutines (run with -race).
func TestConcurrentApply(t *testing.T) {
	c := mustNew(t, coffeeShop())
	want, err := c.Apply(coffeeOrder(day, "SKIDKA30"), discount.History{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				got, err := c.Apply(coffeeOrder(day, "SKIDKA30"), discount.History{})
				if err != nil || !got.Discount.Equal(want.Discount) {
					errs <- "different result"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestPolicyCopied: changing a policy after New does not change the Calculator.
func TestPolicyCopied(t *testing.T) {
	p := coffeeShop()
	c := mustNew(t, p)
	o := coffeeOrder(time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC), "SKIDKA30")
	before, _ := c.Apply(o, discount.History{})
	p.Discounts[0].Percent = dec("90")
	p.Discounts[0].Scope.Categories[0] = "machines"
	p.Discounts[3].NotWith[0] = "beans15"
	after, _ := c.Apply(o, discount.History{})
	diff(t, "result", before, after)
}
