// Package campaigntest is the conformance suite for implementations of
// [campaign.OrderStore]: the in-memory store runs it, and so do the SQL stores of the
// sqlstore module.
//
// Run checks the contract documented on campaign.OrderStore: records read back as written,
// absent records report loyalty.ErrNotFound, a failed Update keeps nothing, values are copied
// in and out, a rapid state machine against a plain map model, and concurrent
// read-modify-write transactions that lose no update (run it with -race).
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
}

func testStateMachine(t *testing.T, newStore func(t *testing.T) campaign.OrderStore) {
	rapid.Check(t, func(rt *rapid.T) {
		s := newStore(t)
		md := model{commits: map[loyalty.IdempotencyKey]campaign.CommitRecord{}, orders: map[loyalty.OrderID]campaign.OrderRecord{},
			accounts: map[loyalty.AccountID]campaign.AccountRecord{}, returns: map[loyalty.IdempotencyKey]campaign.ReturnRecord{}}
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
				return errors.Join(e1, e2, e3, e4)
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
