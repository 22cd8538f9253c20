// Package campaigntest is the conformance suite for implementations of
// [campaign.OrderStore]: the in-memory store runs it, and so do the SQL stores of the
// sqlstore module.
//
// Run checks the contract documented on campaign.OrderStore: records read back as written,
// absent records report loyalty.ErrNotFound, a failed Update keeps nothing, values are copied
// in and out, a rapid state machine against a plain map model, concurrent
// read-modify-write transactions that lose no update, and an engine over the store whose
// campaign budgets are never exceeded by many goroutines committing at once (run it with
// -race).
package campaigntest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// Run runs the conformance suite against stores made by newStore, which must return a new,
// empty store on every call.
func Run(t *testing.T, newStore func(t *testing.T) campaign.OrderStore) {
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("FailedUpdateKeepsNothing", func(t *testing.T) { testRollback(t, newStore(t)) })
	t.Run("Copies", func(t *testing.T) { testCopies(t, newStore(t)) })
	t.Run("AccountsInOrder", func(t *testing.T) { testAccounts(t, newStore(t)) })
	t.Run("StateMachine", func(t *testing.T) { testStateMachine(t, newStore) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("Budgets", func(t *testing.T) { testBudgets(t, newStore(t)) })
	t.Run("BudgetsUnderConcurrentCommits", func(t *testing.T) { testBudgetCommits(t, newStore) })
}

var (
	ctx = context.Background()
	rub = loyalty.MustCurrency("RUB")
	t0  = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
)

func money(minor int64) loyalty.Money {
	m, err := loyalty.MoneyFromMinor(minor, rub)
	if err != nil {
		panic(err)
	}
	return m
}

func sampleCommit(key string, attempt int) campaign.CommitRecord {
	o := loyalty.Order{ID: loyalty.OrderID("o-" + key), Account: "acme", Currency: rub, PlacedAt: t0,
		Lines: []loyalty.Line{{SKU: "drill", Quantity: loyalty.QuantityFromMicros(2_000_000),
			UnitPrice: loyalty.MustPrice("1500.25", "RUB")}}, Codes: []string{"SAVE10"}}
	q := campaign.Quote{Program: "p", Order: o, At: t0, PriorOrders: attempt,
		Totals: campaign.Totals{Subtotal: money(300050), Discount: money(0), PointsValue: money(0), ToPay: money(300050)}}
	return campaign.CommitRecord{Key: loyalty.IdempotencyKey(key), Order: o.ID, Account: o.Account, Request: "req-" + key,
		State: campaign.Pending, Attempt: attempt, Quote: q, At: t0.Add(time.Duration(attempt) * time.Minute)}
}

func sampleOrder(id string, returned int64) campaign.OrderRecord {
	r := campaign.OrderRecord{ID: loyalty.OrderID(id), Account: "acme", Key: loyalty.IdempotencyKey("k-" + id), Committed: returned > 0}
	if returned > 0 {
		r.Returned = []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.QuantityFromMicros(returned)}}
	}
	return r
}

func sampleAccount(id string, orders int) campaign.AccountRecord {
	a := campaign.AccountRecord{Account: loyalty.AccountID(id), Orders: orders}
	for i := 0; i < orders; i++ {
		a.History.Purchases = append(a.History.Purchases, discount.Purchase{At: t0.Add(time.Duration(i) * time.Hour), Amount: money(int64(1000 * (i + 1)))})
	}
	return a
}

func sampleReturn(key string, q int64) campaign.ReturnRecord {
	return campaign.ReturnRecord{Key: loyalty.IdempotencyKey(key), Order: "o-1", Request: "req-" + key, State: campaign.Done,
		Lines: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.QuantityFromMicros(q)}},
		Plan:  campaign.ReturnPlan{CommitKey: "k", Account: "acme", Paid: money(q), Base: money(q), Volume: loyalty.QuantityFromMicros(q)},
		At:    t0}
}

func testNotFound(t *testing.T, s campaign.OrderStore) {
	err := s.View(ctx, func(tx campaign.OrderReadTx) error {
		if _, err := tx.Commit("k"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("Commit of an absent key: %v, want ErrNotFound", err)
		}
		if _, err := tx.Order("o"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("Order of an absent order: %v, want ErrNotFound", err)
		}
		if _, err := tx.Account("a"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("Account of an absent account: %v, want ErrNotFound", err)
		}
		if _, err := tx.Return("k"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("Return of an absent key: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testRoundTrip(t *testing.T, s campaign.OrderStore) {
	c, o, a, r := sampleCommit("k1", 1), sampleOrder("o1", 500_000), sampleAccount("acme", 3), sampleReturn("r1", 1_000_000)
	err := s.Update(ctx, func(tx campaign.OrderTx) error {
		return errors.Join(tx.PutCommit(c), tx.PutOrder(o), tx.PutAccount(a), tx.PutReturn(r))
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		err := s.View(ctx, func(tx campaign.OrderReadTx) error {
			gc, err1 := tx.Commit(c.Key)
			gor, err2 := tx.Order(o.ID)
			ga, err3 := tx.Account(a.Account)
			gr, err4 := tx.Return(r.Key)
			if err := errors.Join(err1, err2, err3, err4); err != nil {
				return err
			}
			for _, d := range []string{cmp.Diff(c, gc), cmp.Diff(o, gor), cmp.Diff(a, ga), cmp.Diff(r, gr)} {
				if d != "" {
					t.Errorf("%s: record differs (-put +got):\n%s", when, d)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check("after put")
	// Replacing a record replaces it.
	c.State, c.Attempt, c.Error = campaign.Failed, 2, "refused"
	a = sampleAccount("acme", 4)
	if err := s.Update(ctx, func(tx campaign.OrderTx) error {
		return errors.Join(tx.PutCommit(c), tx.PutAccount(a))
	}); err != nil {
		t.Fatal(err)
	}
	check("after replace")
}

func testRollback(t *testing.T, s campaign.OrderStore) {
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx campaign.OrderTx) error { return tx.PutAccount(sampleAccount("acme", 1)) }); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx campaign.OrderTx) error {
		if err := errors.Join(tx.PutCommit(sampleCommit("k1", 1)), tx.PutOrder(sampleOrder("o1", 0)),
			tx.PutAccount(sampleAccount("acme", 5)), tx.PutReturn(sampleReturn("r1", 1))); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if a, err := tx.Account("acme"); err != nil || a.Orders != 5 {
			t.Errorf("read inside the transaction: %+v, %v", a, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	err = s.View(ctx, func(tx campaign.OrderReadTx) error {
		if _, err := tx.Commit("k1"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("commit of a failed update kept: %v", err)
		}
		if _, err := tx.Order("o1"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("order of a failed update kept: %v", err)
		}
		if _, err := tx.Return("r1"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("return of a failed update kept: %v", err)
		}
		if a, err := tx.Account("acme"); err != nil || a.Orders != 1 {
			t.Errorf("account after a failed update: %+v, %v; want the earlier record", a, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testCopies(t *testing.T, s campaign.OrderStore) {
	a := sampleAccount("acme", 2)
	if err := s.Update(ctx, func(tx campaign.OrderTx) error { return tx.PutAccount(a) }); err != nil {
		t.Fatal(err)
	}
	a.History.Purchases[0].Amount = money(1) // the caller's copy changes; the store's must not
	err := s.View(ctx, func(tx campaign.OrderReadTx) error {
		got, err := tx.Account("acme")
		if err != nil {
			return err
		}
		if !got.History.Purchases[0].Amount.Equal(money(1000)) {
			t.Errorf("the store aliases the caller's record: %v", got.History.Purchases[0].Amount)
		}
		got.History.Purchases[0].Amount = money(7)
		again, err := tx.Account("acme")
		if err != nil {
			return err
		}
		if !again.History.Purchases[0].Amount.Equal(money(1000)) {
			t.Errorf("the store aliases a record it returned: %v", again.History.Purchases[0].Amount)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testAccounts(t *testing.T, s campaign.OrderStore) {
	ids := []loyalty.AccountID{"b", "a", "d", "c", "aa", "e"}
	err := s.Update(ctx, func(tx campaign.OrderTx) error {
		for i, id := range ids {
			if err := tx.PutAccount(sampleAccount(string(id), i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []loyalty.AccountID
	var after loyalty.AccountID
	for page := 0; page < 10; page++ {
		var recs []campaign.AccountRecord
		if err := s.View(ctx, func(tx campaign.OrderReadTx) error {
			var err error
			recs, err = tx.Accounts(after, 4)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(recs) > 4 {
			t.Fatalf("page of %d records, limit 4", len(recs))
		}
		for _, r := range recs {
			got = append(got, r.Account)
		}
		if len(recs) < 4 {
			break
		}
		after = recs[len(recs)-1].Account
	}
	want := []loyalty.AccountID{"a", "aa", "b", "c", "d", "e"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("accounts in pages (-want +got):\n%s", d)
	}
	if err := s.View(ctx, func(tx campaign.OrderReadTx) error {
		r, err := tx.Accounts("d", 10)
		if err == nil && (len(r) != 1 || r[0].Account != "e" || r[0].Orders != 5) {
			t.Errorf("accounts after d = %+v, want e with its record", r)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// model is the plain model of the state machine.
type model struct {
	commits  map[loyalty.IdempotencyKey]campaign.CommitRecord
	orders   map[loyalty.OrderID]campaign.OrderRecord
	accounts map[loyalty.AccountID]campaign.AccountRecord
	returns  map[loyalty.IdempotencyKey]campaign.ReturnRecord
	budgets  map[loyalty.AccountID]campaign.BudgetRecord // campaign "spring", by account ("" for its total)
	uses     map[loyalty.IdempotencyKey]campaign.BudgetUse
}

func testStateMachine(t *testing.T, newStore func(t *testing.T) campaign.OrderStore) {
	rapid.Check(t, func(rt *rapid.T) {
		s := newStore(t)
		md := model{commits: map[loyalty.IdempotencyKey]campaign.CommitRecord{}, orders: map[loyalty.OrderID]campaign.OrderRecord{},
			accounts: map[loyalty.AccountID]campaign.AccountRecord{}, returns: map[loyalty.IdempotencyKey]campaign.ReturnRecord{},
			budgets: map[loyalty.AccountID]campaign.BudgetRecord{}, uses: map[loyalty.IdempotencyKey]campaign.BudgetUse{}}
		key := rapid.SampledFrom([]string{"a", "b"})
		// verify compares every record stored under k with the model.
		verify := func(rt *rapid.T, k string) {
			err := s.View(ctx, func(tx campaign.OrderReadTx) error {
				c, err := tx.Commit(loyalty.IdempotencyKey(k))
				e1 := same(md.commits, loyalty.IdempotencyKey(k), c, err)
				o, err := tx.Order(loyalty.OrderID(k))
				e2 := same(md.orders, loyalty.OrderID(k), o, err)
				a, err := tx.Account(loyalty.AccountID(k))
				e3 := same(md.accounts, loyalty.AccountID(k), a, err)
				r, err := tx.Return(loyalty.IdempotencyKey(k))
				e4 := same(md.returns, loyalty.IdempotencyKey(k), r, err)
				b, err := tx.Budget("spring", loyalty.AccountID(k))
				e5 := same(md.budgets, loyalty.AccountID(k), b, err)
				bt, err := tx.Budget("spring", "")
				e6 := same(md.budgets, "", bt, err)
				u, err := tx.BudgetUse(loyalty.IdempotencyKey(k))
				e7 := same(md.uses, loyalty.IdempotencyKey(k), u, err)
				return errors.Join(e1, e2, e3, e4, e5, e6, e7)
			})
			if err != nil {
				rt.Fatal(err)
			}
		}
		put := func(rt *rapid.T, k string, fail bool, fn func(tx campaign.OrderTx) error, apply func()) {
			err := s.Update(ctx, func(tx campaign.OrderTx) error {
				if err := fn(tx); err != nil {
					return err
				}
				if fail {
					return errors.New("rolled back")
				}
				return nil
			})
			switch {
			case fail && err == nil:
				rt.Fatal("a failing update succeeded")
			case !fail && err != nil:
				rt.Fatal(err)
			case !fail:
				apply()
			}
			verify(rt, k)
		}
		rt.Repeat(map[string]func(*rapid.T){
			"commit": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				r := sampleCommit(k, rapid.IntRange(1, 5).Draw(rt, "attempt"))
				put(rt, k, rapid.Bool().Draw(rt, "fail"), func(tx campaign.OrderTx) error { return tx.PutCommit(r) }, func() { md.commits[r.Key] = r })
			},
			"order": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				r := sampleOrder(k, rapid.Int64Range(0, 3_000_000).Draw(rt, "returned"))
				put(rt, k, rapid.Bool().Draw(rt, "fail"), func(tx campaign.OrderTx) error { return tx.PutOrder(r) }, func() { md.orders[r.ID] = r })
			},
			"account": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				r := sampleAccount(k, rapid.IntRange(0, 4).Draw(rt, "orders"))
				put(rt, k, rapid.Bool().Draw(rt, "fail"), func(tx campaign.OrderTx) error { return tx.PutAccount(r) }, func() { md.accounts[r.Account] = r })
			},
			"return": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				r := sampleReturn(k, rapid.Int64Range(1, 3_000_000).Draw(rt, "quantity"))
				put(rt, k, rapid.Bool().Draw(rt, "fail"), func(tx campaign.OrderTx) error { return tx.PutReturn(r) }, func() { md.returns[r.Key] = r })
			},
			"budget": func(rt *rapid.T) {
				k := rapid.SampledFrom([]string{"a", "b", ""}).Draw(rt, "account")
				r := sampleBudget("spring", k, rapid.Int64Range(-2, 5).Draw(rt, "uses"))
				put(rt, "a", rapid.Bool().Draw(rt, "fail"), func(tx campaign.OrderTx) error { return tx.PutBudget(r) }, func() { md.budgets[r.Account] = r })
			},
			"budget use": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				u := sampleUse(k, rapid.Int64Range(-1, 1).Draw(rt, "uses"))
				put(rt, k, rapid.Bool().Draw(rt, "fail"), func(tx campaign.OrderTx) error { return tx.PutBudgetUse(u) }, func() { md.uses[u.Key] = u })
			},
			"": func(rt *rapid.T) {
				// The invariant: the account listing agrees with the model (the actions check
				// the records they touch in full).
				err := s.View(ctx, func(tx campaign.OrderReadTx) error {
					list, err := tx.Accounts("", 10)
					if err != nil {
						return err
					}
					var want []campaign.AccountRecord
					for _, k := range []loyalty.AccountID{"a", "b"} {
						if a, ok := md.accounts[k]; ok {
							want = append(want, a)
						}
					}
					if d := cmp.Diff(want, list, cmpopts.EquateEmpty()); d != "" {
						return fmt.Errorf("account listing differs from the model (-model +store):\n%s", d)
					}
					return nil
				})
				if err != nil {
					rt.Fatal(err)
				}
			},
		})
	})
}

// same compares a read with the model.
func same[K comparable, V any](md map[K]V, k K, got V, err error) error {
	want, ok := md[k]
	if !ok {
		if !errors.Is(err, loyalty.ErrNotFound) {
			return fmt.Errorf("%v: read %v, %v; want ErrNotFound", k, got, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%v: %w", k, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		return fmt.Errorf("%v differs from the model (-model +store):\n%s", k, d)
	}
	return nil
}

// testConcurrent runs read-modify-write transactions from many goroutines: serializable
// transactions lose no increment.
func testConcurrent(t *testing.T, s campaign.OrderStore) {
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				err := s.Update(ctx, func(tx campaign.OrderTx) error {
					a, err := tx.Account("acme")
					if errors.Is(err, loyalty.ErrNotFound) {
						a, err = campaign.AccountRecord{Account: "acme"}, nil
					}
					if err != nil {
						return err
					}
					a.Orders++
					a.History.Purchases = append(a.History.Purchases, discount.Purchase{At: t0, Amount: money(1)})
					return tx.PutAccount(a)
				})
				if err != nil {
					t.Error(err)
					return
				}
				if err := s.View(ctx, func(tx campaign.OrderReadTx) error {
					a, err := tx.Account("acme")
					if err == nil && a.Orders != len(a.History.Purchases) {
						t.Errorf("inconsistent read: %d orders, %d purchases", a.Orders, len(a.History.Purchases))
					}
					return err
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	err := s.View(ctx, func(tx campaign.OrderReadTx) error {
		a, err := tx.Account("acme")
		if err != nil {
			return err
		}
		if a.Orders != workers*each {
			t.Errorf("orders = %d after %d increments", a.Orders, workers*each)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func sampleBudget(id, account string, uses int64) campaign.BudgetRecord {
	return campaign.BudgetRecord{Campaign: loyalty.CampaignID(id), Account: loyalty.AccountID(account), Uses: uses, Spent: money(uses * 150)}
}

func sampleUse(key string, uses int64) campaign.BudgetUse {
	return campaign.BudgetUse{Key: loyalty.IdempotencyKey(key), Order: "o-1", Account: "acme", At: t0,
		Items: []campaign.BudgetItem{{Campaign: "spring", Uses: uses, Money: money(uses * 150)}, {Campaign: "gift", Uses: 1}}}
}

// testBudgets checks budget counters and budget uses: absent, round trip (a campaign's
// total and an account's counter are distinct records), replaced, rolled back, copied.
func testBudgets(t *testing.T, s campaign.OrderStore) {
	err := s.View(ctx, func(tx campaign.OrderReadTx) error {
		if _, err := tx.Budget("spring", ""); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("Budget of an absent campaign: %v, want ErrNotFound", err)
		}
		if _, err := tx.BudgetUse("k"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("BudgetUse of an absent key: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	total, acct, other, u := sampleBudget("spring", "", 3), sampleBudget("spring", "acme", 1), sampleBudget("gift", "acme", 2), sampleUse("k1", 1)
	if err := s.Update(ctx, func(tx campaign.OrderTx) error {
		return errors.Join(tx.PutBudget(total), tx.PutBudget(acct), tx.PutBudget(other), tx.PutBudgetUse(u))
	}); err != nil {
		t.Fatal(err)
	}
	check := func(when string, want ...campaign.BudgetRecord) {
		t.Helper()
		err := s.View(ctx, func(tx campaign.OrderReadTx) error {
			for _, w := range want {
				got, err := tx.Budget(w.Campaign, w.Account)
				if err != nil {
					return err
				}
				if d := cmp.Diff(w, got); d != "" {
					t.Errorf("%s: budget %s/%s (-put +got):\n%s", when, w.Campaign, w.Account, d)
				}
			}
			got, err := tx.BudgetUse(u.Key)
			if err != nil {
				return err
			}
			if d := cmp.Diff(u, got); d != "" {
				t.Errorf("%s: budget use (-put +got):\n%s", when, d)
			}
			got.Items[0].Uses = 99 // a returned record is a copy
			again, err := tx.BudgetUse(u.Key)
			if err == nil && again.Items[0].Uses != u.Items[0].Uses {
				t.Errorf("%s: the store aliases a budget use it returned", when)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check("after put", total, acct, other)
	// A failed update keeps nothing; a successful one replaces.
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx campaign.OrderTx) error {
		if err := errors.Join(tx.PutBudget(sampleBudget("spring", "", 9)), tx.PutBudgetUse(sampleUse("k1", 5)), tx.PutBudgetUse(sampleUse("k2", 1))); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	check("after a failed update", total, acct, other)
	if err := s.View(ctx, func(tx campaign.OrderReadTx) error {
		if _, err := tx.BudgetUse("k2"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("budget use of a failed update kept: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	total = sampleBudget("spring", "", 4)
	if err := s.Update(ctx, func(tx campaign.OrderTx) error { return tx.PutBudget(total) }); err != nil {
		t.Fatal(err)
	}
	check("after replace", total, acct, other)
}

// testBudgetCommits runs an engine over the store with three campaigns, each capped by one
// kind of budget — 5 uses in all, 2 uses per account, 1,000.00 of money (each order costs
// it 300.00) — and commits 24 orders of 4 accounts from 8 goroutines at once, evaluating an
// order again when its commit is refused: every budget is used up exactly and never
// exceeded, and each counter is the sum of what the receipts consumed (refused commits
// changed nothing).
func testBudgetCommits(t *testing.T, newStore func(t *testing.T) campaign.OrderStore) {
	spring := campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"}
	prog := campaign.Program{ID: "budgets", Currency: rub, TimeZone: "Europe/Moscow",
		Earning:    points.Rules{Rates: []points.Rate{{Points: 1, Per: decimal.NewFromInt(100)}}},
		Redemption: points.Redemption{Currency: rub, PointValue: decimal.NewFromInt(1)},
		Campaigns: []campaign.Campaign{
			{ID: "uses", Schedule: spring, Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 10}}, Budget: campaign.Budget{Uses: 5}},
			{ID: "per-account", Schedule: spring, Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 1}}, Budget: campaign.Budget{PerAccount: 2}},
			{ID: "money", Schedule: spring, Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Amount: money(30000)}}, Budget: campaign.Budget{Money: money(100000)}},
		}}
	stores := campaign.MemoryStores()
	stores.Orders = newStore(t)
	e, err := campaign.New(prog, stores, campaign.Config{Clock: loyalty.NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each, accounts = 8, 3, 4
	var mu sync.Mutex
	consumed := map[[2]string]int64{} // (campaign, account or "") → uses by successful commits
	spent := money(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				acct := loyalty.AccountID(fmt.Sprintf("acct-%d", (w+i)%accounts))
				o := loyalty.Order{ID: loyalty.OrderID(fmt.Sprintf("o-%d-%d", w, i)), Account: acct, Currency: rub, PlacedAt: t0,
					Lines: []loyalty.Line{{SKU: "drill", Quantity: loyalty.QuantityFromMicros(1_000_000), UnitPrice: loyalty.MustPrice("1000", "RUB")}}}
				var r campaign.Receipt
				for attempt := 0; ; attempt++ { // a refused commit is evaluated again
					q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{})
					if err != nil {
						t.Error(err)
						return
					}
					r, err = e.Commit(ctx, q, loyalty.IdempotencyKey("k-"+string(o.ID)))
					if err == nil {
						break
					}
					if attempt > 100 || !errors.Is(err, campaign.ErrStaleQuote) && !errors.Is(err, campaign.ErrBudgetExhausted) {
						t.Error(err)
						return
					}
				}
				if r.Budget == nil {
					continue
				}
				mu.Lock()
				for _, it := range r.Budget.Items {
					consumed[[2]string{string(it.Campaign), ""}] += it.Uses
					consumed[[2]string{string(it.Campaign), string(acct)}] += it.Uses
					if it.Campaign == "money" && !it.Money.IsZero() {
						spent, _ = spent.Add(it.Money)
					}
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	get := func(id string, acct loyalty.AccountID) campaign.BudgetRecord {
		b, err := e.Budget(ctx, loyalty.CampaignID(id), acct)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := get("uses", ""); b.Uses != 5 || b.Uses != consumed[[2]string{"uses", ""}] {
		t.Errorf("uses campaign: %d uses counted, %d by the receipts; want 5", b.Uses, consumed[[2]string{"uses", ""}])
	}
	for a := 0; a < accounts; a++ {
		acct := loyalty.AccountID(fmt.Sprintf("acct-%d", a))
		if b := get("per-account", acct); b.Uses != 2 || b.Uses != consumed[[2]string{"per-account", string(acct)}] {
			t.Errorf("per-account campaign, %s: %d uses counted, %d by the receipts; want 2 (6 orders each)", acct, b.Uses, consumed[[2]string{"per-account", string(acct)}])
		}
	}
	b := get("money", "")
	if c, _ := b.Spent.Cmp(money(100000)); c > 0 || !b.Spent.Equal(spent) || b.Uses*30000 != b.Spent.MinorUnits() {
		t.Errorf("money campaign: spent %s in %d uses, receipts say %s; want equal, at most 1000.00", b.Spent, b.Uses, spent)
	}
	if b.Uses != 3 {
		t.Errorf("money campaign: %d uses of 300.00 from 1,000.00, want 3", b.Uses)
	}
}
