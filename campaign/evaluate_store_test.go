package campaign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
)

// plainOrders is an OrderStore whose views hand out a transaction with the OrderReadTx
// methods only, as a store other than the memory store does: the engine reads accounts and
// budget counters through them (not-found errors included) instead of the memory store's
// shortcuts.
type plainOrders struct{ campaign.OrderStore }

type plainReadTx struct{ campaign.OrderReadTx }

func (s plainOrders) View(ctx context.Context, fn func(campaign.OrderReadTx) error) error {
	return s.OrderStore.View(ctx, func(tx campaign.OrderReadTx) error { return fn(plainReadTx{tx}) })
}

// Quotes over a store without the memory store's shortcuts are those over the memory store:
// for an account with a purchase history and budget counters, and for a new one whose
// counters are not stored yet.
func TestEvaluateOverAPlainOrderStore(t *testing.T) {
	clock := loyalty.NewManualClock(t0)
	engines := make([]*campaign.Engine, 2)
	for i := range engines {
		s := campaign.MemoryStores()
		if i == 1 {
			s.Orders = plainOrders{s.Orders}
		}
		p := referenceCampaigns()
		p.Campaigns = append(p.Campaigns, campaign.Campaign{ID: "once-each",
			Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
			Actions:  []campaign.Action{{Kind: campaign.ActionPoints, Points: 7}}, Budget: campaign.Budget{Uses: 10, PerAccount: 1}})
		e, err := campaign.New(p, s, campaign.Config{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		credit(t, e, "acme", 5000)
		engines[i] = e
	}
	for i := 0; i < 3; i++ {
		clock.Advance(time.Hour)
		for _, e := range engines {
			commit(t, e, evaluate(t, e, order(fmt.Sprintf("h%d", i), "acme", clock.Now(), line("drill", "tools", "1", "5000", "3000")), campaign.EvaluateOptions{}))
		}
	}
	clock.Advance(time.Hour)
	for _, account := range []string{"acme", "newcomer"} {
		o := order("o-"+account, account, clock.Now(), line("drill", "tools", "2", "3000", "2000"), line("tea", "misc", "3", "123.45", ""))
		o.Codes = []string{"SAVE10"}
		var got [2][]byte
		for i, e := range engines {
			b, err := json.Marshal(evaluate(t, e, o, campaign.EvaluateOptions{}))
			if err != nil {
				t.Fatal(err)
			}
			got[i] = b
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Errorf("account %s: over the memory store\n%s\nover a plain store\n%s", account, got[0], got[1])
		}
		if !bytes.Contains(got[0], []byte(`"id":"tools-week","applied":true`)) {
			t.Errorf("account %s: the money-budgeted campaign does not apply: %s", account, got[0])
		}
		// acme used its one use in its first order; the newcomer has no counter yet.
		once := []byte(`"id":"once-each","applied":true`)
		if account == "acme" {
			once = []byte(`"id":"once-each","applied":false,"reason":"budget"`)
		}
		if !bytes.Contains(got[0], once) {
			t.Errorf("account %s: want %s in %s", account, once, got[0])
		}
	}
}

// Conditions with long lists of categories and SKUs (looked up in sets) select the lines
// they name, like short ones (scanned).
func TestCampaignLongConditionLists(t *testing.T) {
	for _, n := range []int{3, 30} {
		var cats []loyalty.CategoryID
		var skus []loyalty.SKU
		for i := 0; i < n; i++ {
			cats = append(cats, loyalty.CategoryID(fmt.Sprintf("cat-%d", i)))
			skus = append(skus, loyalty.SKU(fmt.Sprintf("sku-%d", i)))
		}
		c := campaign.Campaign{ID: "listed", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
			Conditions: campaign.Conditions{Categories: cats, SKUs: skus},
			Actions:    []campaign.Action{{Kind: campaign.ActionPerk, Perk: "gift"}}}
		e, _ := newEngine(t, points1(c))
		o := order("o", "acme", t0, line("sku-2", "other", "1", "10", ""), line("x", "other", "1", "10", ""),
			line("y", fmt.Sprintf("cat-%d", n-1), "1", "10", ""), line("sku-99", "cat-99", "1", "10", ""))
		got := outcome(t, evaluate(t, e, o, campaign.EvaluateOptions{}), "listed")
		if !got.Applied || fmt.Sprint(got.Lines) != "[0 2]" {
			t.Errorf("%d categories and SKUs: %+v, want lines [0 2]", n, got)
		}
	}
}

// Every campaign with a chance gets a draw of its own in the quote, however many there are.
func TestEvaluateManyDraws(t *testing.T) {
	var cs []campaign.Campaign
	for i := 0; i < 3; i++ {
		cs = append(cs, campaign.Campaign{ID: loyalty.CampaignID(fmt.Sprintf("lucky-%d", i)),
			Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
			Chance:   &campaign.Chance{Wins: 1, OutOf: 3 + i, Seed: uint64(i)},
			Actions:  []campaign.Action{{Kind: campaign.ActionPoints, Points: 5}}})
	}
	e, _ := newEngine(t, points1(cs...))
	o := order("o", "acme", t0, line("x", "tools", "1", "100", ""))
	q := evaluate(t, e, o, campaign.EvaluateOptions{})
	for i, c := range cs {
		got := outcome(t, q, string(c.ID))
		roll, won := c.Chance.Draw(c.ID, o.ID)
		want := campaign.Draw{Roll: roll, Wins: 1, OutOf: 3 + i, Won: won}
		if got.Draw == nil || *got.Draw != want {
			t.Errorf("%s: draw %+v, want %+v", c.ID, got.Draw, want)
		}
	}
}
