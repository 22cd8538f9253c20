// Package referraltest is the conformance suite for implementations of [referral.Store]:
// the in-memory store and the SQL stores run the same tests.
//
//	func TestStore(t *testing.T) {
//		referraltest.Run(t, func(t *testing.T) referral.Store { return referral.NewMemoryStore() })
//	}
//
// [Run] checks the Store contract directly (not-found, conflicts, atomicity, copying,
// ordering), then runs the referral service over the store: a rapid state-machine test
// against a plain model (over any sequence of attributions, orders, returns, events, retries
// and settlements: no referee converts twice, no reward is granted twice, caps hold, and
// cancelled conversions grant nothing) and a concurrency test (run it with -race).
package referraltest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
)

// Run runs the whole suite against stores made by newStore, which must return a new, empty
// store on every call.
func Run(t *testing.T, newStore func(t *testing.T) referral.Store) {
	t.Run("Contract", func(t *testing.T) { runContract(t, newStore) })
	t.Run("StateMachine", func(t *testing.T) { runStateMachine(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { runConcurrency(t, newStore) })
}

var (
	bg = context.Background()
	t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
)

var errRollback = errors.New("referraltest: roll back")

func update(t *testing.T, s referral.Store, fn func(tx referral.Tx) error) {
	t.Helper()
	if err := s.Update(bg, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s referral.Store, fn func(tx referral.ReadTx) error) {
	t.Helper()
	if err := s.View(bg, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func profile(r referral.Referrer, code string) referral.Profile {
	return referral.Profile{
		Referrer:     r,
		Code:         code,
		Identity:     referral.Identity{Emails: []string{"a@x.example"}, TaxIDs: []string{"7707"}},
		RegisteredAt: t0,
		Recent:       []time.Time{t0},
		Usage:        []referral.CapUsage{{Period: loyalty.Month, Start: t0, Conversions: 1, Points: 5, Credit: loyalty.MustMoney("1", "RUB")}},
		Finalized:    4,
		Superseded:   1,
	}
}

func referralOf(referee loyalty.AccountID, r referral.Referrer, at time.Time) referral.Referral {
	return referral.Referral{
		Referee: referee, Referrer: r, Code: "C", Status: referral.StatusAttributed,
		AttributedAt: at, FirstAttributedAt: at, ConvertBy: at.Add(time.Hour),
		Amount: loyalty.MustMoney("10", "RUB"), Returned: loyalty.MustMoney("0", "RUB"),
		Grants: []referral.Grant{{ID: "g", Side: referral.SideReferee, Referee: referee, Reward: referral.PromoReward("X"), Status: referral.GrantFinal, At: at}},
	}
}

func runContract(t *testing.T, newStore func(t *testing.T) referral.Store) {
	acme := referral.AccountReferrer("acme")
	globex := referral.AccountReferrer("globex")

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		view(t, s, func(tx referral.ReadTx) error {
			_, e1 := tx.Profile(acme.ID())
			_, e2 := tx.ProfileByCode("NOPE")
			_, e3 := tx.Referral("nobody")
			_, e4 := tx.Receipt("k")
			_, e5 := tx.RefereeWith(referral.IdentifierTaxID, "7707")
			for i, err := range []error{e1, e2, e3, e4, e5} {
				if !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("read %d of a missing record = %v, want ErrNotFound", i, err)
				}
			}
			refs, err := tx.ReferralsBy(acme.ID())
			if err != nil || len(refs) != 0 {
				t.Errorf("ReferralsBy of a stranger = %v, %v", refs, err)
			}
			due, err := tx.Due(t0, 10)
			if err != nil || len(due) != 0 {
				t.Errorf("Due on an empty store = %v, %v", due, err)
			}
			return nil
		})
	})

	t.Run("RoundTripAndCopies", func(t *testing.T) {
		s := newStore(t)
		p := profile(acme, "ACME")
		r := referralOf("new-co", acme, t0)
		rc := referral.Receipt{Key: "k", Op: "attribute", Fingerprint: "f", Result: []byte(`{"a":1}`), At: t0}
		update(t, s, func(tx referral.Tx) error {
			return errors.Join(tx.PutProfile(p), tx.PutReferral(r), tx.PutReceipt(rc))
		})
		// Changing what was written must not change what is stored.
		p.Identity.Emails[0], p.Recent[0], p.Usage[0].Points = "x", t0.Add(1), 99
		r.Grants[0].ID = "changed"
		rc.Result[0] = 'X'
		view(t, s, func(tx referral.ReadTx) error {
			gp, err := tx.Profile(acme.ID())
			if err != nil {
				return err
			}
			if diff := cmp.Diff(profile(acme, "ACME"), gp, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("profile (-want +got):\n%s", diff)
			}
			gp.Usage[0].Points = -1
			if again, _ := tx.ProfileByCode("ACME"); again.Usage[0].Points != 5 {
				t.Errorf("a read aliases stored data")
			}
			gr, err := tx.Referral("new-co")
			if err != nil {
				return err
			}
			if diff := cmp.Diff(referralOf("new-co", acme, t0), gr, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("referral (-want +got):\n%s", diff)
			}
			grc, err := tx.Receipt("k")
			if err != nil {
				return err
			}
			if diff := cmp.Diff(referral.Receipt{Key: "k", Op: "attribute", Fingerprint: "f", Result: []byte(`{"a":1}`), At: t0}, grc); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
			return nil
		})
	})

	t.Run("Conflicts", func(t *testing.T) {
		s := newStore(t)
		update(t, s, func(tx referral.Tx) error {
			return errors.Join(tx.PutProfile(profile(acme, "ACME")), tx.PutReceipt(referral.Receipt{Key: "k", Op: "o"}))
		})
		for name, fn := range map[string]func(tx referral.Tx) error{
			"code held by another":     func(tx referral.Tx) error { return tx.PutProfile(profile(globex, "ACME")) },
			"code of a referrer moves": func(tx referral.Tx) error { return tx.PutProfile(profile(acme, "ACME2")) },
			"receipt key exists":       func(tx referral.Tx) error { return tx.PutReceipt(referral.Receipt{Key: "k", Op: "p"}) },
		} {
			if err := s.Update(bg, fn); !errors.Is(err, loyalty.ErrConflict) {
				t.Errorf("%s: %v, want ErrConflict", name, err)
			}
		}
		// Replacing a profile with the same code is fine.
		p := profile(acme, "ACME")
		p.Finalized = 7
		update(t, s, func(tx referral.Tx) error { return tx.PutProfile(p) })
		view(t, s, func(tx referral.ReadTx) error {
			got, err := tx.ProfileByCode("ACME")
			if err != nil || got.Finalized != 7 || got.Referrer != acme {
				t.Errorf("replaced profile = %+v, %v", got, err)
			}
			if _, err := tx.ProfileByCode("ACME2"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("refused code ACME2 is stored: %v", err)
			}
			return nil
		})
	})

	t.Run("Atomicity", func(t *testing.T) {
		s := newStore(t)
		update(t, s, func(tx referral.Tx) error { return tx.PutProfile(profile(acme, "ACME")) })
		err := s.Update(bg, func(tx referral.Tx) error {
			p := profile(acme, "ACME")
			p.Finalized = 3 // was 4
			if err := tx.PutProfile(p); err != nil {
				return err
			}
			if err := tx.PutProfile(profile(globex, "GLOBEX")); err != nil {
				return err
			}
			r := referralOf("new-co", acme, t0)
			r.Identity = referral.Identity{TaxIDs: []string{"5001"}}
			if err := tx.PutReferral(r); err != nil {
				return err
			}
			if err := tx.PutReceipt(referral.Receipt{Key: "k"}); err != nil {
				return err
			}
			// The transaction sees its own writes.
			if got, err := tx.Profile(acme.ID()); err != nil || got.Finalized != 3 {
				t.Errorf("read of an own write = %+v, %v", got, err)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("Update = %v, want the function's error", err)
		}
		view(t, s, func(tx referral.ReadTx) error {
			if got, _ := tx.Profile(acme.ID()); got.Finalized != 4 {
				t.Errorf("rolled-back profile write survived: %+v", got)
			}
			_, e1 := tx.Profile(globex.ID())
			_, e2 := tx.ProfileByCode("GLOBEX")
			_, e3 := tx.Referral("new-co")
			_, e4 := tx.Receipt("k")
			_, e5 := tx.RefereeWith(referral.IdentifierTaxID, "5001")
			for i, err := range []error{e1, e2, e3, e4, e5} {
				if !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("rolled-back write %d survived: %v", i, err)
				}
			}
			if refs, _ := tx.ReferralsBy(acme.ID()); len(refs) != 0 {
				t.Errorf("rolled-back referral listed: %v", refs)
			}
			return nil
		})
		ctx, cancel := context.WithCancel(bg)
		cancel()
		ran := false
		if err := s.Update(ctx, func(referral.Tx) error { ran = true; return nil }); err == nil || ran {
			t.Errorf("Update on a cancelled context = %v (ran %v)", err, ran)
		}
	})

	t.Run("RefereeWith", func(t *testing.T) {
		s := newStore(t)
		a := referralOf("twin-1", acme, t0)
		a.Identity = referral.Identity{Emails: []string{"cfo@twin.example"}, Phones: []string{"79001112233"}, TaxIDs: []string{"5001"}}
		update(t, s, func(tx referral.Tx) error { return tx.PutReferral(a) })
		// Identities only grow: a replaced referral adds its new identifiers.
		a.Identity.TaxIDs = append(a.Identity.TaxIDs, "5002")
		update(t, s, func(tx referral.Tx) error { return tx.PutReferral(a) })
		view(t, s, func(tx referral.ReadTx) error {
			for _, c := range []struct {
				kind  referral.IdentifierKind
				value string
			}{{referral.IdentifierEmail, "cfo@twin.example"}, {referral.IdentifierPhone, "79001112233"}, {referral.IdentifierTaxID, "5001"}, {referral.IdentifierTaxID, "5002"}} {
				got, err := tx.RefereeWith(c.kind, c.value)
				if err != nil || got != "twin-1" {
					t.Errorf("RefereeWith(%s, %s) = %q, %v; want twin-1", c.kind, c.value, got, err)
				}
			}
			// Kinds are separate: a phone is not a tax identifier.
			if _, err := tx.RefereeWith(referral.IdentifierTaxID, "79001112233"); !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("RefereeWith across kinds = %v, want ErrNotFound", err)
			}
			return nil
		})
	})

	t.Run("ReferralsByAndDue", func(t *testing.T) {
		s := newStore(t)
		update(t, s, func(tx referral.Tx) error {
			var errs []error
			errs = append(errs, tx.PutProfile(profile(acme, "ACME")), tx.PutProfile(profile(globex, "GLOBEX")))
			for i, a := range []loyalty.AccountID{"c", "a", "b", "d"} {
				errs = append(errs, tx.PutReferral(referralOf(a, acme, t0.Add(time.Duration(i%2)*time.Hour))))
			}
			return errors.Join(errs...)
		})
		// c and b were attributed at t0, a and d an hour later.
		wantOrder := []loyalty.AccountID{"b", "c", "a", "d"}
		view(t, s, func(tx referral.ReadTx) error {
			refs, err := tx.ReferralsBy(acme.ID())
			if diff := cmp.Diff(wantOrder, referees(refs)); err != nil || diff != "" {
				t.Errorf("ReferralsBy (-want +got):\n%s%v", diff, err)
			}
			return nil
		})
		// Move b to globex, make c and d pending, a final.
		update(t, s, func(tx referral.Tx) error {
			b := referralOf("b", globex, t0.Add(2*time.Hour))
			c := referralOf("c", acme, t0)
			c.Status, c.FinalAt = referral.StatusPending, t0.Add(48*time.Hour)
			d := referralOf("d", acme, t0.Add(time.Hour))
			d.Status, d.FinalAt = referral.StatusPending, t0.Add(24*time.Hour)
			a := referralOf("a", acme, t0.Add(time.Hour))
			a.Status, a.FinalAt = referral.StatusFinal, t0
			return errors.Join(tx.PutReferral(b), tx.PutReferral(c), tx.PutReferral(d), tx.PutReferral(a))
		})
		view(t, s, func(tx referral.ReadTx) error {
			refs, _ := tx.ReferralsBy(acme.ID())
			if diff := cmp.Diff([]loyalty.AccountID{"c", "a", "d"}, referees(refs)); diff != "" {
				t.Errorf("ReferralsBy after a take-over (-want +got):\n%s", diff)
			}
			refs, _ = tx.ReferralsBy(globex.ID())
			if diff := cmp.Diff([]loyalty.AccountID{"b"}, referees(refs)); diff != "" {
				t.Errorf("ReferralsBy of the new referrer (-want +got):\n%s", diff)
			}
			for _, tc := range []struct {
				now   time.Time
				limit int
				want  []loyalty.AccountID
			}{
				{t0.Add(24*time.Hour - 1), 10, nil},
				{t0.Add(24 * time.Hour), 10, []loyalty.AccountID{"d"}},
				{t0.Add(72 * time.Hour), 10, []loyalty.AccountID{"d", "c"}},
				{t0.Add(72 * time.Hour), 1, []loyalty.AccountID{"d"}},
			} {
				due, err := tx.Due(tc.now, tc.limit)
				if diff := cmp.Diff(tc.want, due, cmpopts.EquateEmpty()); err != nil || diff != "" {
					t.Errorf("Due(%v, %d) (-want +got):\n%s%v", tc.now, tc.limit, diff, err)
				}
			}
			return nil
		})
		// Finalising takes a referral out of Due.
		update(t, s, func(tx referral.Tx) error {
			d := referralOf("d", acme, t0.Add(time.Hour))
			d.Status = referral.StatusFinal
			return tx.PutReferral(d)
		})
		view(t, s, func(tx referral.ReadTx) error {
			due, _ := tx.Due(t0.Add(72*time.Hour), 10)
			if diff := cmp.Diff([]loyalty.AccountID{"c"}, due); diff != "" {
				t.Errorf("Due after finalising d (-want +got):\n%s", diff)
			}
			return nil
		})
	})
}

func referees(refs []referral.Referral) []loyalty.AccountID {
	var out []loyalty.AccountID
	for _, r := range refs {
		out = append(out, r.Referee)
	}
	return out
}
