// Package promotest is the conformance suite for implementations of [promo.Store]: contract
// tests of the transaction methods, lifecycle tests through a [promo.Service], a rapid
// state-machine test against a plain model, and concurrency tests (run them with -race).
//
// An implementation's test calls [Run] with a function returning a new, empty store:
//
//	func TestMemoryStore(t *testing.T) {
//		promotest.Run(t, func(t *testing.T) promo.Store { return promo.NewMemoryStore() })
//	}
package promotest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// Run runs the whole suite against stores made by newStore, each empty.
func Run(t *testing.T, newStore func(t *testing.T) promo.Store) {
	t.Run("Contract", func(t *testing.T) { testContract(t, newStore) })
	t.Run("ContractRevocations", func(t *testing.T) { testContractRevocations(t, newStore) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, newStore) })
	t.Run("Revoke", func(t *testing.T) { testRevoke(t, newStore) })
	t.Run("StateMachine", func(t *testing.T) { testStateMachine(t, newStore) })
	t.Run("ConcurrentTotalLimit", func(t *testing.T) { testConcurrentLimit(t, newStore, false) })
	t.Run("ConcurrentAccountLimit", func(t *testing.T) { testConcurrentLimit(t, newStore, true) })
	t.Run("ConcurrentExpiry", func(t *testing.T) { testConcurrentExpiry(t, newStore) })
	t.Run("ConcurrentMixed", func(t *testing.T) { testConcurrentMixed(t, newStore) })
	t.Run("ConcurrentGenerate", func(t *testing.T) { testConcurrentGenerate(t, newStore) })
	t.Run("ConcurrentRevoke", func(t *testing.T) { testConcurrentRevoke(t, newStore) })
}

var (
	ctx = context.Background()
	rub = loyalty.MustCurrency("RUB")
	t0  = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
)

func update(t *testing.T, s promo.Store, fn func(tx promo.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s promo.Store, fn func(tx promo.ReadTx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func testContract(t *testing.T, newStore func(t *testing.T) promo.Store) {
	s := newStore(t)
	def := promo.Definition{ID: "d1", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: decimal.NewFromInt(30)},
		Conditions: promo.Conditions{NotWith: []loyalty.CampaignID{"R1"}, Include: promo.Scope{Tags: []string{"x"}}},
		Issuance:   promo.Issuance{DaysOfMonth: []int{15, 31}, ValidMonths: 2}}
	code := promo.Code{Code: "SKIDKA30", Definition: "d1", Valid: promo.Window{Until: t0}}
	res := promo.Reservation{Key: "k1", State: promo.Reserved, Account: "a", Order: "o",
		Grant:    promo.Grant{Code: "SKIDKA30", Definition: "d1", Lines: []int{0, 2}, Eligible: loyalty.Zero(rub)},
		Counters: []promo.Counter{{Definition: "d1"}, {Definition: "d1", Account: "a"}}, ReservedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	batch := promo.Batch{Key: "b1", Definition: "d1", Request: "r", Codes: []string{"A", "B"}, IssuedTo: []loyalty.AccountID{"", ""}}

	t.Run("NotFound", func(t *testing.T) {
		view(t, s, func(tx promo.ReadTx) error {
			if _, err := tx.Definition("d1"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Definition of an empty store = %v, want ErrNotFound", err)
			}
			if _, err := tx.Code("SKIDKA30"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Code = %v, want ErrNotFound", err)
			}
			if _, err := tx.Reservation("k1"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Reservation = %v, want ErrNotFound", err)
			}
			if _, err := tx.Batch("b1"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("Batch = %v, want ErrNotFound", err)
			}
			if n, err := tx.Usage(promo.Counter{Definition: "d1"}); n != 0 || err != nil {
				t.Errorf("Usage = %d, %v; want 0, nil", n, err)
			}
			if rs, err := tx.ExpiredReservations("d1", t0); len(rs) != 0 || err != nil {
				t.Errorf("ExpiredReservations = %v, %v; want none", rs, err)
			}
			return nil
		})
	})

	t.Run("RoundTrip", func(t *testing.T) {
		update(t, s, func(tx promo.Tx) error {
			return errors.Join(tx.PutDefinition(def), tx.InsertCode(code), tx.PutReservation(res), tx.InsertBatch(batch),
				tx.AddUsage(promo.Counter{Definition: "d1"}, 2), tx.AddUsage(promo.Counter{Definition: "d1", Period: "day/2026-11-20"}, 1))
		})
		view(t, s, func(tx promo.ReadTx) error {
			d, err := tx.Definition("d1")
			check(t, "Definition", def, d, err)
			c, err := tx.Code("SKIDKA30")
			check(t, "Code", code, c, err)
			r, err := tx.Reservation("k1")
			check(t, "Reservation", res, r, err)
			b, err := tx.Batch("b1")
			check(t, "Batch", batch, b, err)
			n, err := tx.Usage(promo.Counter{Definition: "d1"})
			check(t, "Usage", 2, n, err)
			n, err = tx.Usage(promo.Counter{Definition: "d1", Period: "day/2026-11-20"})
			check(t, "Usage(period)", 1, n, err)
			n, err = tx.Usage(promo.Counter{Definition: "d1", Account: "a"})
			check(t, "Usage(other counter)", 0, n, err)
			return nil
		})
	})

	t.Run("Conflicts", func(t *testing.T) {
		if err := s.Update(ctx, func(tx promo.Tx) error { return tx.InsertCode(code) }); !errors.Is(err, loyalty.ErrConflict) {
			t.Errorf("InsertCode twice = %v, want ErrConflict", err)
		}
		if err := s.Update(ctx, func(tx promo.Tx) error { return tx.InsertBatch(batch) }); !errors.Is(err, loyalty.ErrConflict) {
			t.Errorf("InsertBatch twice = %v, want ErrConflict", err)
		}
		if err := s.Update(ctx, func(tx promo.Tx) error { return tx.AddUsage(promo.Counter{Definition: "d1"}, -3) }); !errors.Is(err, loyalty.ErrConflict) {
			t.Errorf("AddUsage below zero = %v, want ErrConflict", err)
		}
		update(t, s, func(tx promo.Tx) error { return tx.AddUsage(promo.Counter{Definition: "d1"}, -2) })
		view(t, s, func(tx promo.ReadTx) error {
			n, err := tx.Usage(promo.Counter{Definition: "d1"})
			check(t, "Usage after -2", 0, n, err)
			return nil
		})
		update(t, s, func(tx promo.Tx) error { return tx.AddUsage(promo.Counter{Definition: "d1"}, 2) })
	})

	t.Run("ExpiredReservations", func(t *testing.T) {
		other := res
		other.Key, other.Grant.Definition, other.ExpiresAt = "k2", "d2", t0
		redeemed := res
		redeemed.Key, redeemed.State, redeemed.ExpiresAt = "k3", promo.Redeemed, t0
		update(t, s, func(tx promo.Tx) error {
			return errors.Join(tx.PutReservation(other), tx.PutReservation(redeemed))
		})
		view(t, s, func(tx promo.ReadTx) error {
			rs, err := tx.ExpiredReservations("d1", res.ExpiresAt.Add(-time.Nanosecond))
			check(t, "ExpiredReservations before expiry", 0, len(rs), err)
			rs, err = tx.ExpiredReservations("d1", res.ExpiresAt)
			check(t, "ExpiredReservations at expiry", []promo.Reservation{res}, rs, err)
			rs, err = tx.ExpiredReservations("d2", t0)
			check(t, "ExpiredReservations of d2", []promo.Reservation{other}, rs, err)
			return nil
		})
		ended := res
		ended.State, ended.EndedAt = promo.Expired, res.ExpiresAt
		update(t, s, func(tx promo.Tx) error { return tx.PutReservation(ended) })
		view(t, s, func(tx promo.ReadTx) error {
			rs, err := tx.ExpiredReservations("d1", res.ExpiresAt.Add(time.Hour))
			check(t, "ExpiredReservations after the state changed", 0, len(rs), err)
			return nil
		})
		update(t, s, func(tx promo.Tx) error { return tx.PutReservation(res) })
	})

	t.Run("FailedUpdateChangesNothing", func(t *testing.T) {
		boom := errors.New("boom")
		err := s.Update(ctx, func(tx promo.Tx) error {
			d2 := def
			d2.Kind = promo.Personal
			c2 := code
			c2.Code = "NEWCODE"
			r2 := res
			r2.State = promo.Released
			b2 := batch
			b2.Key = "b2"
			if err := errors.Join(tx.PutDefinition(d2), tx.InsertCode(c2), tx.PutReservation(r2), tx.InsertBatch(b2),
				tx.AddUsage(promo.Counter{Definition: "d1"}, 5)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want the function's error", err)
		}
		view(t, s, func(tx promo.ReadTx) error {
			d, err := tx.Definition("d1")
			check(t, "Definition", def, d, err)
			if _, err := tx.Code("NEWCODE"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("code of a failed update is stored: %v", err)
			}
			r, err := tx.Reservation("k1")
			check(t, "Reservation", res, r, err)
			if _, err := tx.Batch("b2"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("batch of a failed update is stored: %v", err)
			}
			n, err := tx.Usage(promo.Counter{Definition: "d1"})
			check(t, "Usage", 2, n, err)
			rs, err := tx.ExpiredReservations("d1", res.ExpiresAt)
			check(t, "ExpiredReservations", []promo.Reservation{res}, rs, err)
			return nil
		})
	})

	t.Run("NoAliasing", func(t *testing.T) {
		d2 := def
		d2.ID = "alias"
		d2.Conditions.NotWith = []loyalty.CampaignID{"R1"}
		update(t, s, func(tx promo.Tx) error { return tx.PutDefinition(d2) })
		d2.Conditions.NotWith[0] = "changed"
		view(t, s, func(tx promo.ReadTx) error {
			got, err := tx.Definition("alias")
			if err != nil || got.Conditions.NotWith[0] != "R1" {
				t.Errorf("stored definition aliases the caller's slice: %v, %v", got.Conditions.NotWith, err)
			}
			got.Conditions.NotWith[0] = "changed"
			r, _ := tx.Reservation("k1")
			r.Grant.Lines[0], r.Counters[0].Definition = 99, "changed"
			b, _ := tx.Batch("b1")
			b.Codes[0] = "changed"
			return nil
		})
		view(t, s, func(tx promo.ReadTx) error {
			got, _ := tx.Definition("alias")
			r, _ := tx.Reservation("k1")
			b, _ := tx.Batch("b1")
			if got.Conditions.NotWith[0] != "R1" || r.Grant.Lines[0] != 0 || r.Counters[0].Definition != "d1" || b.Codes[0] != "A" {
				t.Error("a returned value aliases stored data")
			}
			return nil
		})
	})
}

func testContractRevocations(t *testing.T, newStore func(t *testing.T) promo.Store) {
	s := newStore(t)
	def := promo.Definition{ID: "d1", Kind: promo.Personal, Benefit: promo.Benefit{Points: 10}}
	code := promo.Code{Code: "GIFT1", Definition: "d1", Account: "a", IssuedTo: "a", Valid: promo.Window{From: t0, Until: t0.Add(24 * time.Hour)}, IssuedAt: t0}
	revoked := code
	revoked.RevokedAt, revoked.RevokedReason = t0.Add(time.Hour), "order o-1 returned"
	rev := promo.Revocation{Key: "rk1", Code: "GIFT1", Definition: "d1", Reason: "order o-1 returned", At: t0.Add(time.Hour)}
	again := promo.Revocation{Key: "rk2", Code: "GIFT1", Definition: "d1", Reason: "fraud", At: t0.Add(time.Hour), Earlier: true}
	update(t, s, func(tx promo.Tx) error { return errors.Join(tx.PutDefinition(def), tx.InsertCode(code)) })

	view(t, s, func(tx promo.ReadTx) error {
		if _, err := tx.Revocation("rk1"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("Revocation of an empty store = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err := s.Update(ctx, func(tx promo.Tx) error { return tx.UpdateCode(promo.Code{Code: "NOSUCH", Definition: "d1"}) }); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("UpdateCode of a missing code = %v, want ErrNotFound", err)
	}
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx promo.Tx) error {
		if err := errors.Join(tx.UpdateCode(revoked), tx.InsertRevocation(rev)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	view(t, s, func(tx promo.ReadTx) error {
		c, err := tx.Code("GIFT1")
		check(t, "Code after a failed update", code, c, err)
		if _, err := tx.Revocation("rk1"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("revocation of a failed update is stored: %v", err)
		}
		return nil
	})
	update(t, s, func(tx promo.Tx) error {
		return errors.Join(tx.UpdateCode(revoked), tx.InsertRevocation(rev), tx.InsertRevocation(again))
	})
	view(t, s, func(tx promo.ReadTx) error {
		c, err := tx.Code("GIFT1")
		check(t, "revoked Code", revoked, c, err)
		if !c.Revoked() {
			t.Error("the stored code is not revoked")
		}
		r, err := tx.Revocation("rk1")
		check(t, "Revocation", rev, r, err)
		r, err = tx.Revocation("rk2")
		check(t, "Revocation (earlier)", again, r, err)
		return nil
	})
	if err := s.Update(ctx, func(tx promo.Tx) error { return tx.InsertRevocation(rev) }); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("InsertRevocation twice = %v, want ErrConflict", err)
	}
	// UpdateCode replaces every field, including clearing a revocation.
	update(t, s, func(tx promo.Tx) error { return tx.UpdateCode(code) })
	view(t, s, func(tx promo.ReadTx) error {
		c, err := tx.Code("GIFT1")
		check(t, "Code after UpdateCode", code, c, err)
		return nil
	})
}

func check[T any](t *testing.T, what string, want, got T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// fixture is a service over a fresh store with a manual clock.
type fixture struct {
	svc   *promo.Service
	clock *loyalty.ManualClock
}

func newFixture(t testing.TB, store promo.Store, defs ...promo.Definition) fixture {
	clock := loyalty.NewManualClock(t0)
	svc, err := promo.New(promo.Config{Store: store, Clock: clock, ReservationTTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if err := svc.Define(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	return fixture{svc, clock}
}

func (f fixture) addCode(t testing.TB, code string, def promo.DefinitionID) {
	if _, err := f.svc.AddCode(ctx, promo.Code{Code: code, Definition: def}); err != nil {
		t.Fatal(err)
	}
}

func checkout(account, order string) promo.Checkout {
	return promo.Checkout{Order: loyalty.Order{ID: loyalty.OrderID(order), Account: loyalty.AccountID(account), Currency: rub,
		PlacedAt: t0, Lines: []loyalty.Line{{SKU: "beans", Quantity: loyalty.MustQuantity("2"), UnitPrice: loyalty.MustPrice("6000", "RUB")}}}}
}

func request(key, code, account string) promo.Request {
	return promo.Request{Key: loyalty.IdempotencyKey(key), Code: code, Checkout: checkout(account, "o-"+key)}
}

func testLifecycle(t *testing.T, newStore func(t *testing.T) promo.Store) {
	def := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: decimal.NewFromInt(30)}, Limits: promo.Limits{Total: 1}}
	f := newFixture(t, newStore(t), def)
	f.addCode(t, "skidka-30", "d")
	total := promo.Counter{Definition: "d"}
	usage := func(want int) {
		t.Helper()
		if n, err := f.svc.Usage(ctx, total); n != want || err != nil {
			t.Errorf("Usage = %d, %v; want %d", n, err, want)
		}
	}
	r, err := f.svc.Reserve(ctx, request("k1", "SKIDKA 30", "a"))
	if err != nil || r.State != promo.Reserved || r.Grant.Code != "SKIDKA30" || !r.ExpiresAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("Reserve = %+v, %v", r, err)
	}
	usage(1)
	if _, err := f.svc.Reserve(ctx, request("k2", "SKIDKA30", "b")); !errors.Is(err, promo.ErrExhausted) {
		t.Errorf("second Reserve = %v, want ErrExhausted", err)
	}
	if again, err := f.svc.Reserve(ctx, request("k1", "skidka30", "a")); err != nil || again.State != promo.Reserved {
		t.Errorf("Reserve retried = %+v, %v", again, err)
	}
	if _, err := f.svc.Reserve(ctx, request("k1", "SKIDKA30", "b")); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Reserve with a reused key = %v, want ErrConflict", err)
	}
	r, err = f.svc.Redeem(ctx, "k1")
	if err != nil || r.State != promo.Redeemed || !r.RedeemedAt.Equal(t0) {
		t.Fatalf("Redeem = %+v, %v", r, err)
	}
	if again, err := f.svc.Redeem(ctx, "k1"); err != nil || again.State != promo.Redeemed {
		t.Errorf("Redeem retried = %+v, %v", again, err)
	}
	if _, err := f.svc.Release(ctx, "k1"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Release of a redemption = %v, want ErrConflict", err)
	}
	usage(1)
	f.clock.Advance(time.Hour) // redemptions do not expire
	usage(1)
	r, err = f.svc.Rollback(ctx, "k1")
	if err != nil || r.State != promo.RolledBack {
		t.Fatalf("Rollback = %+v, %v", r, err)
	}
	if again, err := f.svc.Rollback(ctx, "k1"); err != nil || again.State != promo.RolledBack {
		t.Errorf("Rollback retried = %+v, %v", again, err)
	}
	usage(0)
	if _, err := f.svc.Redeem(ctx, "k1"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Redeem after rollback = %v, want ErrConflict", err)
	}
	// The use is free again; a reservation that expires frees it too.
	if _, err := f.svc.Reserve(ctx, request("k2", "SKIDKA30", "b")); err != nil {
		t.Fatalf("Reserve after rollback: %v", err)
	}
	f.clock.Advance(10 * time.Minute)
	usage(0)
	if r, err := f.svc.Reservation(ctx, "k2"); err != nil || r.State != promo.Expired {
		t.Errorf("Reservation after its TTL = %+v, %v; want expired", r, err)
	}
	if _, err := f.svc.Redeem(ctx, "k2"); !errors.Is(err, promo.ErrReservationExpired) {
		t.Errorf("Redeem of an expired reservation = %v, want ErrReservationExpired", err)
	}
	if _, err := f.svc.Validate(ctx, "SKIDKA30", checkout("c", "o-3")); err != nil {
		t.Errorf("Validate after the reservation expired: %v", err)
	}
	if _, err := f.svc.Reserve(ctx, request("k3", "SKIDKA30", "c")); err != nil {
		t.Fatalf("Reserve after the reservation expired: %v", err)
	}
	if r, err := f.svc.Release(ctx, "k2"); err != nil || r.State != promo.Expired {
		t.Errorf("Release of the swept reservation = %+v, %v; want expired", r, err)
	}
	usage(1)
	r, err = f.svc.Release(ctx, "k3")
	if err != nil || r.State != promo.Released {
		t.Fatalf("Release = %+v, %v", r, err)
	}
	if again, err := f.svc.Release(ctx, "k3"); err != nil || again.State != promo.Released {
		t.Errorf("Release retried = %+v, %v", again, err)
	}
	usage(0)
	if _, err := f.svc.Redeem(ctx, "k3"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Redeem after release = %v, want ErrConflict", err)
	}
	if _, err := f.svc.Rollback(ctx, "k3"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Rollback of a released reservation = %v, want ErrConflict", err)
	}
	for _, op := range []func(context.Context, loyalty.IdempotencyKey) (promo.Reservation, error){f.svc.Redeem, f.svc.Release, f.svc.Rollback} {
		if _, err := op(ctx, "nope"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("unknown key = %v, want ErrNotFound", err)
		}
	}
	r, err = f.svc.RedeemNow(ctx, request("k4", "SKIDKA30", "d"))
	if err != nil || r.State != promo.Redeemed {
		t.Fatalf("RedeemNow = %+v, %v", r, err)
	}
	if again, err := f.svc.RedeemNow(ctx, request("k4", "SKIDKA30", "d")); err != nil || again.State != promo.Redeemed || !again.RedeemedAt.Equal(r.RedeemedAt) {
		t.Errorf("RedeemNow retried = %+v, %v", again, err)
	}
	usage(1)
}

func testRevoke(t *testing.T, newStore func(t *testing.T) promo.Store) {
	def := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 100}}
	f := newFixture(t, newStore(t), def)
	f.addCode(t, "GIFT", "d")
	f.addCode(t, "TEMP", "d")
	revoke := func(key, code, reason string) (promo.Revocation, error) {
		return f.svc.Revoke(ctx, promo.RevokeRequest{Key: loyalty.IdempotencyKey(key), Code: code, Reason: reason})
	}
	for _, tc := range []struct {
		key, code, reason string
		want              error
	}{
		{"", "GIFT", "r", loyalty.ErrInvalid},
		{"rk", "GIFT", " ", loyalty.ErrInvalid},
		{"rk", "!!", "r", loyalty.ErrInvalid},
		{"rk", "NOSUCH", "r", loyalty.ErrNotFound},
	} {
		if _, err := revoke(tc.key, tc.code, tc.reason); !errors.Is(err, tc.want) {
			t.Errorf("Revoke(%q, %q, %q) = %v, want %v", tc.key, tc.code, tc.reason, err, tc.want)
		}
	}
	// A use that holds keeps the code from being revoked.
	if _, err := f.svc.Reserve(ctx, request("k1", "GIFT", "a")); err != nil {
		t.Fatal(err)
	}
	if _, err := revoke("rk1", "GIFT", "order returned"); !errors.Is(err, promo.ErrCodeInUse) {
		t.Errorf("Revoke of a reserved code = %v, want ErrCodeInUse", err)
	}
	if _, err := f.svc.Redeem(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := revoke("rk1", "GIFT", "order returned"); !errors.Is(err, promo.ErrCodeInUse) {
		t.Errorf("Revoke of a redeemed code = %v, want ErrCodeInUse", err)
	}
	if c, err := f.svc.Code(ctx, "gift"); err != nil || c.Revoked() {
		t.Errorf("Code after refused revocations = %+v, %v; want it not revoked", c, err)
	}
	if _, err := f.svc.Rollback(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	// Once no use holds, it is revoked, exactly once per key.
	r, err := revoke("rk1", "gift", "order returned")
	want := promo.Revocation{Key: "rk1", Code: "GIFT", Definition: "d", Reason: "order returned", At: t0}
	check(t, "Revoke", want, r, err)
	f.clock.Advance(time.Minute)
	r, err = revoke("rk1", "GIFT", "order returned")
	check(t, "Revoke retried", want, r, err)
	if _, err := revoke("rk1", "GIFT", "another reason"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Revoke with a reused key and another reason = %v, want ErrConflict", err)
	}
	if _, err := revoke("rk1", "TEMP", "order returned"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Revoke with a reused key and another code = %v, want ErrConflict", err)
	}
	r, err = revoke("rk2", "GIFT", "fraud")
	check(t, "Revoke of a revoked code", promo.Revocation{Key: "rk2", Code: "GIFT", Definition: "d", Reason: "fraud", At: t0, Earlier: true}, r, err)
	if got, err := f.svc.Revocation(ctx, "rk1"); err != nil || got != want {
		t.Errorf("Revocation(rk1) = %+v, %v; want %+v", got, err, want)
	}
	if _, err := f.svc.Revocation(ctx, "nope"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Revocation of an unknown key = %v, want ErrNotFound", err)
	}
	c, err := f.svc.Code(ctx, "GIFT")
	if err != nil || !c.Revoked() || !c.RevokedAt.Equal(t0) || c.RevokedReason != "order returned" {
		t.Errorf("Code = %+v, %v; want revoked at t0 for the first reason", c, err)
	}
	// Every further use is refused, with the code and the reason.
	_, err = f.svc.Validate(ctx, "GIFT", checkout("b", "o-2"))
	if !errors.Is(err, promo.ErrRevoked) || !promo.IsRefusal(err) || !strings.Contains(err.Error(), "GIFT") || !strings.Contains(err.Error(), "order returned") {
		t.Errorf("Validate of a revoked code = %v, want an ErrRevoked refusal naming the code and reason", err)
	}
	if _, err := f.svc.Reserve(ctx, request("k2", "GIFT", "b")); !errors.Is(err, promo.ErrRevoked) {
		t.Errorf("Reserve of a revoked code = %v, want ErrRevoked", err)
	}
	if _, err := f.svc.RedeemNow(ctx, request("k3", "GIFT", "b")); !errors.Is(err, promo.ErrRevoked) {
		t.Errorf("RedeemNow of a revoked code = %v, want ErrRevoked", err)
	}
	if _, err := f.svc.Redeem(ctx, "k1"); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Redeem of the rolled-back use = %v, want ErrConflict", err)
	}
	// An expired reservation does not hold: the code can be revoked.
	if _, err := f.svc.Reserve(ctx, request("k4", "TEMP", "a")); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Minute)
	if r, err := revoke("rk3", "TEMP", "withdrawn"); err != nil || r.Earlier {
		t.Errorf("Revoke after the reservation expired = %+v, %v", r, err)
	}
	if _, err := f.svc.Redeem(ctx, "k4"); !errors.Is(err, promo.ErrReservationExpired) {
		t.Errorf("Redeem of the expired reservation = %v, want ErrReservationExpired", err)
	}
	// A revocation is not a difference for AddCode: adding the same code again changes nothing.
	if _, err := f.svc.AddCode(ctx, promo.Code{Code: "GIFT", Definition: "d"}); err != nil {
		t.Errorf("AddCode of the revoked code with its data: %v", err)
	}
	if c, err := f.svc.Code(ctx, "GIFT"); err != nil || !c.Revoked() {
		t.Errorf("AddCode un-revoked the code: %+v, %v", c, err)
	}
}

// testConcurrentRevoke races redemptions of a code without limits against its revocation:
// either a revocation comes first, and then every redemption is refused with ErrRevoked and
// exactly one revocation is not Earlier, or a redemption comes first, and then every
// revocation is refused with ErrCodeInUse and every redemption succeeds.
func testConcurrentRevoke(t *testing.T, newStore func(t *testing.T) promo.Store) {
	const redeemers, revokers = 24, 4
	def := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 1}}
	f := newFixture(t, newStore(t), def)
	f.addCode(t, "RACE", "d")
	var wg sync.WaitGroup
	var mu sync.Mutex
	redeemed, refused, revoked, earlier, inUse := 0, 0, 0, 0, 0
	for i := range redeemers + revokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i < redeemers {
				_, err := f.svc.RedeemNow(ctx, request(fmt.Sprintf("k%d", i), "RACE", fmt.Sprintf("a%d", i)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					redeemed++
				case errors.Is(err, promo.ErrRevoked):
					refused++
				default:
					t.Errorf("redeem %d: %v", i, err)
				}
				return
			}
			r, err := f.svc.Revoke(ctx, promo.RevokeRequest{Key: loyalty.IdempotencyKey(fmt.Sprintf("rk%d", i)), Code: "RACE", Reason: "race"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && r.Earlier:
				earlier++
			case err == nil:
				revoked++
			case errors.Is(err, promo.ErrCodeInUse):
				inUse++
			default:
				t.Errorf("revoke %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	first := revoked == 1 && earlier == revokers-1 && refused == redeemers && redeemed == 0
	last := revoked == 0 && earlier == 0 && inUse == revokers && redeemed == redeemers
	if !first && !last {
		t.Errorf("%d redeemed, %d refused; %d revoked, %d earlier, %d in use: neither the revocation nor the redemptions came first",
			redeemed, refused, revoked, earlier, inUse)
	}
	n, err := f.svc.Usage(ctx, promo.Counter{Definition: "d", Code: "RACE"})
	if err != nil || n != redeemed {
		t.Errorf("Usage = %d, %v; want %d", n, err, redeemed)
	}
	c, err := f.svc.Code(ctx, "RACE")
	if err != nil || c.Revoked() != first {
		t.Errorf("Code revoked = %v (%v), want %v", c.Revoked(), err, first)
	}
}

func testConcurrentLimit(t *testing.T, newStore func(t *testing.T) promo.Store, perAccount bool) {
	const limit, workers = 7, 64
	def := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 100}, Limits: promo.Limits{Total: limit}}
	if perAccount {
		def.Limits = promo.Limits{PerAccount: limit}
	}
	f := newFixture(t, newStore(t), def)
	f.addCode(t, "RUSH", "d")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			account := fmt.Sprintf("a%d", i)
			if perAccount {
				account = "same"
			}
			req := request(fmt.Sprintf("k%d", i), "RUSH", account)
			var err error
			if i%2 == 0 {
				_, err = f.svc.RedeemNow(ctx, req)
			} else if _, err = f.svc.Reserve(ctx, req); err == nil {
				_, err = f.svc.Redeem(ctx, req.Key)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case !perAccount && errors.Is(err, promo.ErrExhausted), perAccount && errors.Is(err, promo.ErrAccountLimit):
				refused++
			default:
				t.Errorf("worker %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok != limit || refused != workers-limit {
		t.Errorf("%d redeemed and %d refused, want %d and %d", ok, refused, limit, workers-limit)
	}
	c := promo.Counter{Definition: "d"}
	if perAccount {
		c.Account = "same"
	}
	if n, err := f.svc.Usage(ctx, c); n != limit || err != nil {
		t.Errorf("Usage = %d, %v; want %d", n, err, limit)
	}
}

func testConcurrentExpiry(t *testing.T, newStore func(t *testing.T) promo.Store) {
	const limit, workers = 5, 40
	def := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 100}, Limits: promo.Limits{Total: limit}}
	f := newFixture(t, newStore(t), def)
	f.addCode(t, "RUSH", "d")
	rush := func(round int) int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Reserve(ctx, request(fmt.Sprintf("r%d-k%d", round, i), "RUSH", fmt.Sprintf("a%d", i)))
				if err != nil && !errors.Is(err, promo.ErrExhausted) {
					t.Errorf("worker %d: %v", i, err)
				}
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				}
			}()
		}
		wg.Wait()
		return ok
	}
	if n := rush(1); n != limit {
		t.Fatalf("first rush: %d reservations, want %d", n, limit)
	}
	f.clock.Advance(9 * time.Minute)
	if n := rush(2); n != 0 {
		t.Fatalf("rush before the reservations expire: %d reservations, want 0", n)
	}
	f.clock.Advance(time.Minute)
	if n := rush(3); n != limit {
		t.Fatalf("rush after the reservations expired: %d reservations, want %d", n, limit)
	}
}

// testConcurrentMixed races reservations, redemptions, releases and rollbacks by a few
// accounts on one limited code while the clock moves; no reader ever sees a count above a
// limit, and at the end the counts equal the uses that hold.
func testConcurrentMixed(t *testing.T, newStore func(t *testing.T) promo.Store) {
	const total, perAccount, workers, steps = 6, 2, 8, 60
	def := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 1},
		Limits: promo.Limits{Total: total, PerAccount: perAccount}}
	f := newFixture(t, newStore(t), def)
	f.addCode(t, "MIX", "d")
	accounts := []string{"a", "b", "c", "d"}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range steps {
				key := loyalty.IdempotencyKey(fmt.Sprintf("w%d-%d", w, i/4))
				var err error
				switch (w + i) % 4 {
				case 0:
					_, err = f.svc.Reserve(ctx, request(string(key), "MIX", accounts[(w+i/4)%len(accounts)]))
				case 1:
					_, err = f.svc.Redeem(ctx, key)
				case 2:
					if w%3 == 0 {
						_, err = f.svc.Release(ctx, key)
					} else {
						_, err = f.svc.Rollback(ctx, key)
					}
				case 3:
					if w == 0 {
						f.clock.Advance(2 * time.Minute)
					}
				}
				if err != nil && !promo.IsRefusal(err) && !errors.Is(err, loyalty.ErrConflict) && !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("worker %d step %d: %v", w, i, err)
				}
				n, err := f.svc.Usage(ctx, promo.Counter{Definition: "d"})
				if err != nil || n > total {
					t.Errorf("total usage %d (%v) exceeds %d", n, err, total)
				}
				for _, a := range accounts {
					n, err := f.svc.Usage(ctx, promo.Counter{Definition: "d", Account: loyalty.AccountID(a)})
					if err != nil || n > perAccount {
						t.Errorf("usage by %s %d (%v) exceeds %d", a, n, err, perAccount)
					}
				}
			}
		}()
	}
	wg.Wait()
	holds := map[loyalty.AccountID]int{}
	sum := 0
	now := f.clock.Now()
	for w := range workers {
		for i := 0; i < steps/4+1; i++ {
			r, err := f.svc.Reservation(ctx, loyalty.IdempotencyKey(fmt.Sprintf("w%d-%d", w, i)))
			if errors.Is(err, loyalty.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Holds(now) {
				holds[r.Account]++
				sum++
			}
		}
	}
	if n, err := f.svc.Usage(ctx, promo.Counter{Definition: "d"}); n != sum || err != nil {
		t.Errorf("total usage %d, %v; %d uses hold", n, err, sum)
	}
	for _, a := range accounts {
		id := loyalty.AccountID(a)
		if n, err := f.svc.Usage(ctx, promo.Counter{Definition: "d", Account: id}); n != holds[id] || err != nil {
			t.Errorf("usage by %s %d, %v; %d uses hold", a, n, err, holds[id])
		}
	}
}

func testConcurrentGenerate(t *testing.T, newStore func(t *testing.T) promo.Store) {
	def := promo.Definition{ID: "d", Benefit: promo.Benefit{Points: 1}}
	f := newFixture(t, newStore(t), def)
	format := promo.Format{Pattern: "##-##", Alphabet: "ABCDEFGH"} // 4096 codes
	var wg sync.WaitGroup
	batches := make([]promo.Batch, 8)
	for i := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := f.svc.Generate(ctx, promo.GenerateRequest{Key: loyalty.IdempotencyKey(fmt.Sprintf("b%d", i)), Definition: "d", Format: format, Count: 200})
			if err != nil {
				t.Errorf("Generate %d: %v", i, err)
			}
			batches[i] = b
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, b := range batches {
		for _, c := range b.Codes {
			if seen[c] {
				t.Fatalf("code %s generated twice", c)
			}
			seen[c] = true
		}
	}
	if len(seen) != 1600 {
		t.Errorf("%d distinct codes, want 1600", len(seen))
	}
}

// modelUse is the model's view of one reservation.
type modelUse struct {
	code, account string
	state         promo.State
	expires       time.Time
}

// model is the plain model of the state machine: uses by key, revoked codes, revocations
// by key and the time.
type model struct {
	total, perCode, perAccount int
	uses                       map[string]*modelUse
	revoked                    map[string]modelRevocation // by code: the first revocation
	revocations                map[string]modelRevocation // by key
	now                        time.Time
}

// modelRevocation is the model's view of one revocation.
type modelRevocation struct {
	code, reason string
	at           time.Time
	earlier      bool
}

func (m *model) state(u *modelUse) promo.State {
	if u.state == promo.Reserved && !m.now.Before(u.expires) {
		return promo.Expired
	}
	return u.state
}

func (m *model) count(match func(u *modelUse) bool) int {
	n := 0
	for _, u := range m.uses {
		if s := m.state(u); (s == promo.Reserved || s == promo.Redeemed) && match(u) {
			n++
		}
	}
	return n
}

// refusal is the limit a new use of code by account would break, or nil.
func (m *model) refusal(code, account string) error {
	switch {
	case m.revoked[code].code != "":
		return promo.ErrRevoked
	case m.total > 0 && m.count(func(*modelUse) bool { return true }) >= m.total:
		return promo.ErrExhausted
	case m.perCode > 0 && m.count(func(u *modelUse) bool { return u.code == code }) >= m.perCode:
		return promo.ErrExhausted
	case m.perAccount > 0 && m.count(func(u *modelUse) bool { return u.account == account }) >= m.perAccount:
		return promo.ErrAccountLimit
	}
	return nil
}

var (
	smCodes    = []string{"AAA", "BBB"}
	smAccounts = []string{"x", "y", "z"}
	smKeys     = []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6"}
	smRevKeys  = []string{"r0", "r1", "r2"}
	smReasons  = []string{"returned", "fraud"}
)

func testStateMachine(t *testing.T, newStore func(t *testing.T) promo.Store) {
	rapid.Check(t, func(rt *rapid.T) {
		m := &model{
			total:       rapid.IntRange(0, 4).Draw(rt, "total"),
			perCode:     rapid.IntRange(0, 3).Draw(rt, "perCode"),
			perAccount:  rapid.IntRange(0, 2).Draw(rt, "perAccount"),
			uses:        map[string]*modelUse{},
			revoked:     map[string]modelRevocation{},
			revocations: map[string]modelRevocation{},
			now:         t0,
		}
		def := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 5},
			Limits: promo.Limits{Total: m.total, PerCode: m.perCode, PerAccount: m.perAccount}}
		f := newFixture(t, newStore(t), def)
		for _, c := range smCodes {
			f.addCode(t, c, "d")
		}
		// expect checks a result against the model's expected state or error.
		expect := func(op string, r promo.Reservation, err error, wantState promo.State, wantErr error) {
			rt.Helper()
			if wantErr != nil {
				if !errors.Is(err, wantErr) {
					rt.Fatalf("%s = %v, want %v", op, err, wantErr)
				}
				return
			}
			if err != nil || r.State != wantState {
				rt.Fatalf("%s = %s, %v; want %s", op, r.State, err, wantState)
			}
		}
		// use draws a request; existing is the model's use under its key, if any.
		use := func() (promo.Request, *modelUse, bool) {
			key := rapid.SampledFrom(smKeys).Draw(rt, "key")
			code := rapid.SampledFrom(smCodes).Draw(rt, "code")
			account := rapid.SampledFrom(smAccounts).Draw(rt, "account")
			u, exists := m.uses[key]
			return request(key, code, account), u, exists && (u.code != code || u.account != account)
		}
		// redeemModel applies Redeem to u in the model and returns the expected outcome.
		redeemModel := func(u *modelUse) (promo.State, error) {
			switch m.state(u) {
			case promo.Reserved, promo.Redeemed:
				u.state = promo.Redeemed
				return promo.Redeemed, nil
			case promo.Expired:
				return "", promo.ErrReservationExpired
			}
			return "", loyalty.ErrConflict
		}
		rt.Repeat(map[string]func(*rapid.T){
			"reserve": func(rt *rapid.T) {
				req, u, mismatch := use()
				r, err := f.svc.Reserve(ctx, req)
				switch {
				case mismatch:
					expect("Reserve(reused key)", r, err, "", loyalty.ErrConflict)
				case u != nil:
					expect("Reserve(retry)", r, err, m.state(u), nil)
				default:
					if want := m.refusal(req.Code, string(req.Checkout.Order.Account)); want != nil {
						expect("Reserve", r, err, "", want)
						return
					}
					expect("Reserve", r, err, promo.Reserved, nil)
					m.uses[string(req.Key)] = &modelUse{req.Code, string(req.Checkout.Order.Account), promo.Reserved, m.now.Add(10 * time.Minute)}
				}
			},
			"redeemNow": func(rt *rapid.T) {
				req, u, mismatch := use()
				r, err := f.svc.RedeemNow(ctx, req)
				switch {
				case mismatch:
					expect("RedeemNow(reused key)", r, err, "", loyalty.ErrConflict)
				case u != nil:
					st, werr := redeemModel(u)
					expect("RedeemNow(existing)", r, err, st, werr)
				default:
					if want := m.refusal(req.Code, string(req.Checkout.Order.Account)); want != nil {
						expect("RedeemNow", r, err, "", want)
						return
					}
					expect("RedeemNow", r, err, promo.Redeemed, nil)
					m.uses[string(req.Key)] = &modelUse{req.Code, string(req.Checkout.Order.Account), promo.Redeemed, m.now.Add(10 * time.Minute)}
				}
			},
			"redeem": func(rt *rapid.T) {
				key := rapid.SampledFrom(smKeys).Draw(rt, "key")
				r, err := f.svc.Redeem(ctx, loyalty.IdempotencyKey(key))
				u, ok := m.uses[key]
				if !ok {
					expect("Redeem(unknown)", r, err, "", loyalty.ErrNotFound)
					return
				}
				st, werr := redeemModel(u)
				expect("Redeem", r, err, st, werr)
			},
			"release": func(rt *rapid.T) {
				key := rapid.SampledFrom(smKeys).Draw(rt, "key")
				r, err := f.svc.Release(ctx, loyalty.IdempotencyKey(key))
				u, ok := m.uses[key]
				if !ok {
					expect("Release(unknown)", r, err, "", loyalty.ErrNotFound)
					return
				}
				switch st := m.state(u); st {
				case promo.Reserved:
					u.state = promo.Released
					expect("Release", r, err, promo.Released, nil)
				case promo.Expired, promo.Released:
					u.state = st
					expect("Release(ended)", r, err, st, nil)
				default:
					expect("Release("+string(st)+")", r, err, "", loyalty.ErrConflict)
				}
			},
			"rollback": func(rt *rapid.T) {
				key := rapid.SampledFrom(smKeys).Draw(rt, "key")
				r, err := f.svc.Rollback(ctx, loyalty.IdempotencyKey(key))
				u, ok := m.uses[key]
				if !ok {
					expect("Rollback(unknown)", r, err, "", loyalty.ErrNotFound)
					return
				}
				switch st := m.state(u); st {
				case promo.Redeemed, promo.RolledBack:
					u.state = promo.RolledBack
					expect("Rollback", r, err, promo.RolledBack, nil)
				default:
					expect("Rollback("+string(st)+")", r, err, "", loyalty.ErrConflict)
				}
			},
			"validate": func(rt *rapid.T) {
				code := rapid.SampledFrom(smCodes).Draw(rt, "code")
				account := rapid.SampledFrom(smAccounts).Draw(rt, "account")
				_, err := f.svc.Validate(ctx, code, checkout(account, "o-validate"))
				if want := m.refusal(code, account); want != nil {
					if !errors.Is(err, want) {
						rt.Fatalf("Validate(%s, %s) = %v, want %v", code, account, err, want)
					}
				} else if err != nil {
					rt.Fatalf("Validate(%s, %s) = %v, want success", code, account, err)
				}
			},
			"revoke": func(rt *rapid.T) {
				key := rapid.SampledFrom(smRevKeys).Draw(rt, "revocation key")
				code := rapid.SampledFrom(smCodes).Draw(rt, "code")
				reason := rapid.SampledFrom(smReasons).Draw(rt, "reason")
				r, err := f.svc.Revoke(ctx, promo.RevokeRequest{Key: loyalty.IdempotencyKey(key), Code: code, Reason: reason})
				want, known := m.revocations[key]
				switch {
				case known && (want.code != code || want.reason != reason):
					if !errors.Is(err, loyalty.ErrConflict) {
						rt.Fatalf("Revoke(reused key %s) = %v, want ErrConflict", key, err)
					}
					return
				case known:
				case m.revoked[code].code != "":
					want = modelRevocation{code: code, reason: reason, at: m.revoked[code].at, earlier: true}
				case m.count(func(u *modelUse) bool { return u.code == code }) > 0:
					if !errors.Is(err, promo.ErrCodeInUse) {
						rt.Fatalf("Revoke(%s) with uses that hold = %v, want ErrCodeInUse", code, err)
					}
					return
				default:
					want = modelRevocation{code: code, reason: reason, at: m.now}
					m.revoked[code] = want
				}
				m.revocations[key] = want
				if err != nil || r.Key != loyalty.IdempotencyKey(key) || r.Code != code || r.Definition != "d" || r.Reason != reason ||
					!r.At.Equal(want.at) || r.Earlier != want.earlier {
					rt.Fatalf("Revoke(%s, %s, %s) = %+v, %v; want %+v", key, code, reason, r, err, want)
				}
			},
			"advance": func(rt *rapid.T) {
				d := time.Duration(rapid.IntRange(1, 12).Draw(rt, "minutes")) * time.Minute
				m.now = f.clock.Advance(d)
			},
			"": func(rt *rapid.T) {
				counters := []struct {
					c     promo.Counter
					match func(u *modelUse) bool
					limit int
				}{{promo.Counter{Definition: "d"}, func(*modelUse) bool { return true }, m.total}}
				for _, code := range smCodes {
					counters = append(counters, struct {
						c     promo.Counter
						match func(u *modelUse) bool
						limit int
					}{promo.Counter{Definition: "d", Code: code}, func(u *modelUse) bool { return u.code == code }, m.perCode})
				}
				for _, a := range smAccounts {
					counters = append(counters, struct {
						c     promo.Counter
						match func(u *modelUse) bool
						limit int
					}{promo.Counter{Definition: "d", Account: loyalty.AccountID(a)}, func(u *modelUse) bool { return u.account == a }, m.perAccount})
				}
				for _, code := range smCodes {
					c, err := f.svc.Code(ctx, code)
					rev := m.revoked[code]
					if err != nil || c.Revoked() != (rev.code != "") || c.Revoked() && (!c.RevokedAt.Equal(rev.at) || c.RevokedReason != rev.reason) {
						rt.Fatalf("Code(%s) = %+v, %v; model says revoked %+v", code, c, err, rev)
					}
					// A revoked code has no use that holds: none could start after it, and it
					// was not revoked while one held.
					if n := m.count(func(u *modelUse) bool { return u.code == code }); c.Revoked() && n > 0 {
						rt.Fatalf("revoked code %s has %d uses that hold", code, n)
					}
				}
				for _, c := range counters {
					want := m.count(c.match)
					got, err := f.svc.Usage(ctx, c.c)
					if err != nil || got != want {
						rt.Fatalf("Usage(%+v) = %d, %v; model says %d", c.c, got, err, want)
					}
					if c.limit > 0 && got > c.limit {
						rt.Fatalf("Usage(%+v) = %d exceeds the limit %d", c.c, got, c.limit)
					}
				}
			},
		})
	})
}
