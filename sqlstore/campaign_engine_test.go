package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

var (
	campCtx = context.Background()
	campRUB = loyalty.MustCurrency("RUB")
	campT0  = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
)

// campaignProgram is a small program with every part the engine keeps state for: two
// tiers (a discount and a multiplier), a cumulative discount, points that pay up to half an
// order, a promo code with 2 uses in all, and two campaigns with budgets (bonus points for 3
// orders in all and 2 per account; 500.00 off while 1,000.00 lasts).
func campaignProgram() campaign.Program {
	d, m := decimal.RequireFromString, func(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }
	march := campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"}
	return campaign.Program{
		ID: "sql", Currency: campRUB, TimeZone: "Europe/Moscow",
		Tiers: &tier.Ladder{Currency: campRUB, Levels: []tier.Level{
			{Name: "Blue"},
			{Name: "Silver", Threshold: tier.Amount{Spend: m("20000")}, Benefits: tier.Benefits{DiscountRate: d("0.03"), EarnMultiplier: d("1.5")}},
		}},
		Discounts: discount.Policy{Currency: campRUB, Stacking: discount.Sequential, Discounts: []discount.Discount{{
			ID: "cumulative", Kind: discount.Cumulative, Scope: discount.Scope{All: true},
			Tiers: []discount.Tier{{From: m("10000"), Percent: d("2")}, {From: m("30000"), Percent: d("4")}},
		}}},
		Earning:    points.Rules{Rates: []points.Rate{{Points: 1, Per: d("100")}}},
		Redemption: points.Redemption{Currency: campRUB, PointValue: d("1"), MaxShare: d("0.5")},
		Codes: promo.Rules{Definitions: []promo.Definition{{ID: "SAVE10", Kind: promo.Shareable,
			Benefit: promo.Benefit{Percent: d("10")}, Limits: promo.Limits{Total: 2}}}},
		Campaigns: []campaign.Campaign{
			{ID: "bonus", Schedule: march, Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 25}},
				Budget: campaign.Budget{Uses: 3, PerAccount: 2}},
			{ID: "gift", Schedule: march, Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Amount: m("500")}},
				Budget: campaign.Budget{Money: m("1000")}},
		},
	}
}

// campaignOrder is an order of one line: qty drills at price.
func campaignOrder(id, account string, at time.Time, price string, qty string, codes ...string) loyalty.Order {
	return loyalty.Order{ID: loyalty.OrderID(id), Account: loyalty.AccountID(account), Currency: campRUB, PlacedAt: at,
		Lines: []loyalty.Line{{SKU: "drill", Quantity: loyalty.MustQuantity(qty), UnitPrice: loyalty.MustPrice(price, "RUB")}},
		Codes: codes}
}

// campaignRun is what a scenario produced: every receipt (and every refusal) in order,
// then the state it left.
type campaignRun struct {
	Steps    []string // one line per step: the error, or "ok"
	Receipts []campaign.Receipt
	Returns  []campaign.ReturnReceipt
	Balances map[loyalty.AccountID]points.Balance
	Accounts map[loyalty.AccountID]campaign.AccountRecord
	Tiers    map[loyalty.AccountID]tier.Account
	Budgets  []campaign.BudgetRecord
	CodeUses int // of SAVE10
}

// campaignScenario drives an engine of campaignProgram over stores through commits (a
// replayed one, ones the budgets and the code's limit refuse parts of, one paying with
// points) and returns (partial, full, replayed) over three days, and reports what it saw.
func campaignScenario(t *testing.T, stores campaign.Stores) campaignRun {
	t.Helper()
	clock := loyalty.NewManualClock(campT0)
	e, err := campaign.New(campaignProgram(), stores, campaign.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Codes().AddCode(campCtx, promo.Code{Code: "SAVE10", Definition: "SAVE10"}); err != nil {
		t.Fatal(err)
	}
	run := campaignRun{Balances: map[loyalty.AccountID]points.Balance{}, Accounts: map[loyalty.AccountID]campaign.AccountRecord{},
		Tiers: map[loyalty.AccountID]tier.Account{}}
	step := func(err error) {
		if err != nil {
			run.Steps = append(run.Steps, err.Error())
		} else {
			run.Steps = append(run.Steps, "ok")
		}
	}
	commit := func(o loyalty.Order, redeem points.Points, key string) {
		q, err := e.Evaluate(campCtx, o, campaign.EvaluateOptions{RedeemPoints: redeem})
		if err != nil {
			t.Fatalf("evaluate %s: %v", o.ID, err)
		}
		r, err := e.Commit(campCtx, q, loyalty.IdempotencyKey(key))
		step(err)
		if err == nil {
			run.Receipts = append(run.Receipts, r)
		}
	}
	ret := func(order string, qty string, key string) {
		r, err := e.Return(campCtx, loyalty.OrderID(order), []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity(qty)}}, loyalty.IdempotencyKey(key))
		step(err)
		if err == nil {
			run.Returns = append(run.Returns, r)
		}
	}
	commit(campaignOrder("o-1", "acme", clock.Now(), "12500", "2", "save10"), 0, "c-1")
	commit(campaignOrder("o-1", "acme", clock.Now(), "12500", "2", "save10"), 0, "c-1") // replayed
	commit(campaignOrder("o-2", "globex", clock.Now(), "700", "3", "SAVE10"), 0, "c-2")
	clock.Advance(24 * time.Hour)
	commit(campaignOrder("o-3", "acme", clock.Now(), "10000", "1"), 150, "c-3")
	commit(campaignOrder("o-4", "acme", clock.Now(), "999.99", "7", "SAVE10"), 0, "c-4") // the code is used up, bonus per account too
	commit(campaignOrder("o-5", "globex", clock.Now(), "3000", "1"), 0, "c-5")
	clock.Advance(26 * time.Hour)
	ret("o-3", "1", "r-1")
	ret("o-1", "0.5", "r-2")
	ret("o-1", "0.5", "r-2") // replayed
	ret("o-1", "2", "r-3")   // more than is left: refused
	commit(campaignOrder("o-6", "globex", clock.Now(), "20000", "1"), 40, "c-6")
	for _, id := range []loyalty.AccountID{"acme", "globex"} {
		b, err := e.Points().Balance(campCtx, points.ForAccount(id))
		if err != nil {
			t.Fatal(err)
		}
		run.Balances[id] = b
		a, err := e.Account(campCtx, id)
		if err != nil {
			t.Fatal(err)
		}
		run.Accounts[id] = a
		ta, err := e.Tiers().Account(campCtx, id)
		if err != nil {
			t.Fatal(err)
		}
		run.Tiers[id] = ta
		for _, c := range []loyalty.CampaignID{"bonus", "gift"} {
			b, err := e.Budget(campCtx, c, id)
			if err != nil {
				t.Fatal(err)
			}
			run.Budgets = append(run.Budgets, b)
		}
	}
	for _, c := range []loyalty.CampaignID{"bonus", "gift"} {
		b, err := e.Budget(campCtx, c, "")
		if err != nil {
			t.Fatal(err)
		}
		run.Budgets = append(run.Budgets, b)
	}
	if run.CodeUses, err = e.Codes().Usage(campCtx, promo.Counter{Definition: "SAVE10"}); err != nil {
		t.Fatal(err)
	}
	return run
}

// TestCampaignEngineSameOnEveryStore runs one program through the same commits and returns
// on the in-memory stores, on SQLite and on PostgreSQL: every receipt, refusal, balance,
// account record, tier account, budget and code use reads the same.
func TestCampaignEngineSameOnEveryStore(t *testing.T) {
	want := campaignScenario(t, campaign.MemoryStores())
	// The scenario must exercise what it claims to, or the comparison proves little.
	if len(want.Receipts) != 7 || len(want.Returns) != 3 || want.Steps[9] == "ok" {
		t.Fatalf("the scenario on the memory stores: steps %q", want.Steps)
	}
	if !want.Receipts[1].Replayed || !want.Returns[2].Replayed {
		t.Errorf("the repeated commit and return were not replays")
	}
	if b := want.Budgets[len(want.Budgets)-2]; b.Uses != 3 {
		t.Errorf("bonus campaign used %d times, want its budget of 3 (the scenario should use it up)", b.Uses)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		got := campaignScenario(t, CampaignStores(db, d.dialect))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the %s stores differ from the memory stores (-memory +%s):\n%s", d.dialect, d.dialect, diff)
		}
	})
}

// TestCampaignEngineOnCallersTransaction commits an order through stores on a caller's
// transaction: rolled back, nothing of it stays; committed, all of it does.
func TestCampaignEngineOnCallersTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		for _, commit := range []bool{false, true} {
			tx, err := db.BeginTx(campCtx, nil)
			if err != nil {
				t.Fatal(err)
			}
			e, err := campaign.New(campaignProgram(), CampaignStores(tx, d.dialect), campaign.Config{Clock: loyalty.NewManualClock(campT0)})
			if err != nil {
				t.Fatal(err)
			}
			q, err := e.Evaluate(campCtx, campaignOrder("o-1", "acme", campT0, "1000", "1"), campaign.EvaluateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Commit(campCtx, q, "c-1"); err != nil {
				t.Fatal(err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM campaign_commits`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			after, _ := campaign.New(campaignProgram(), CampaignStores(db, d.dialect), campaign.Config{Clock: loyalty.NewManualClock(campT0)})
			b, err := after.Points().Balance(campCtx, points.ForAccount("acme"))
			if errors.Is(err, loyalty.ErrNotFound) {
				b, err = points.Balance{}, nil
			}
			if err != nil {
				t.Fatal(err)
			}
			bonus, err := after.Budget(campCtx, "bonus", "")
			if err != nil {
				t.Fatal(err)
			}
			// 5 points for the 500.00 paid after the gift campaign's 500.00 off, 25 from the
			// bonus campaign.
			if want := map[bool][3]int64{false: {0, 0, 0}, true: {1, 30, 1}}[commit]; [3]int64{int64(n), int64(b.Available), bonus.Uses} != want {
				t.Errorf("commit=%v: %d journal records, %d points, %d bonus uses; want %v", commit, n, b.Available, bonus.Uses, want)
			}
		}
	})
}

// errCampaignInjected is the failure a test function returns.
var errCampaignInjected = errors.New("injected failure")

// TestOrderStoreFailedUpdateRollsBack checks, at the database, that an Update whose
// function fails after writing keeps none of its writes, and one that panics neither.
func TestOrderStoreFailedUpdateRollsBack(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewOrderStore(db, d.dialect)
		write := func(tx campaign.OrderTx) error {
			return errors.Join(tx.PutBudget(campaign.BudgetRecord{Campaign: "c", Uses: 1}),
				tx.PutAccount(campaign.AccountRecord{Account: "a", Orders: 1}))
		}
		if err := s.Update(campCtx, func(tx campaign.OrderTx) error {
			if err := write(tx); err != nil {
				return err
			}
			return errCampaignInjected
		}); !errors.Is(err, errCampaignInjected) {
			t.Fatalf("Update: %v, want the injected failure", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic did not go on")
				}
			}()
			_ = s.Update(campCtx, func(tx campaign.OrderTx) error {
				if err := write(tx); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		for _, table := range campaignTables {
			var n int
			if err := db.QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM %s`, table)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s has %d rows after failed updates", table, n)
			}
		}
	})
}

// BenchmarkPostgresCommit evaluates and commits one-line orders of 1000 accounts through an
// engine of campaignProgram (tiers, a cumulative discount, points, and two campaigns with
// budgets, the bonus one large enough never to run out, the gift one used up by the first
// orders, which are then evaluated again) over the SQL stores, from about 8 parallel clients: each commit writes the journal, the order, the account, the budgets
// (under the campaign write lock), the tier account and the points earned.
func BenchmarkPostgresCommit(b *testing.B) { benchmarkCommit(b, postgresDB(b)) }

// BenchmarkSQLiteCommit is BenchmarkPostgresCommit on a SQLite file.
func BenchmarkSQLiteCommit(b *testing.B) { benchmarkCommit(b, sqliteDB(b)) }

func benchmarkCommit(b *testing.B, d testDB) {
	db := openMigratedDB(b, d)
	prog := campaignProgram()
	prog.Campaigns[0].Budget = campaign.Budget{Uses: 1 << 40}
	e, err := campaign.New(prog, CampaignStores(db, d.dialect), campaign.Config{Clock: loyalty.NewManualClock(campT0)})
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	parallelClients(b, db)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			o := campaignOrder(fmt.Sprintf("o-%d", i), fmt.Sprintf("acct-%d", i%1000), campT0, strconv.FormatInt(1000+i%1000, 10), "1")
			if _, err := campaignCommit(e, o, loyalty.IdempotencyKey("k-"+string(o.ID))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
