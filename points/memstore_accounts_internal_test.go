package points

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"pgregory.net/rapid"
)

// TestAccountRowRoundTrip checks that a balance row reads back equal to what was stored,
// times in their location, and that the memory store's balance read agrees with balanceOf
// of the Account and with the due test of the ledger's reader.
func TestAccountRowRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genStore(t)
		pts := func(label string) Points { return Points(rapid.Int64Range(-3, 1<<40).Draw(t, label)) }
		when := func(label string) time.Time {
			if !rapid.Bool().Draw(t, label+" set") {
				return time.Time{}
			}
			loc := rapid.SampledFrom([]*time.Location{time.UTC, time.FixedZone("X", 3*3600)}).Draw(t, label+" loc")
			return time.Date(2026, 1, rapid.IntRange(1, 31).Draw(t, label+" day"), 23, 0, 0, rapid.IntRange(0, 2).Draw(t, label+" ns"), loc)
		}
		h := ForBuyer(rapid.SampledFrom([]loyalty.BuyerID{"a", "b"}).Draw(t, "holder"))
		a := Account{Holder: h, Earned: pts("earned"), Active: pts("active"), Pending: pts("pending"), Spent: pts("spent"),
			Expired: pts("expired"), Reversed: pts("reversed"), Transferred: pts("transferred"), Debited: pts("debited"),
			Debt: pts("debt"), NextDue: when("next due"), CapPeriod: when("cap period"), CapEarned: pts("cap earned"),
			Entries: rapid.IntRange(0, 1<<20).Draw(t, "entries")}
		now := when("now")
		roundTrip(t, s, func(tx Tx) error { return tx.PutAccount(a) }, func(tx ReadTx) error {
			got, err := tx.Account(h)
			if err != nil {
				return err
			}
			if d := cmp.Diff(a, got); d != "" {
				t.Errorf("Account (-want +got):\n%s", d)
			}
			if got.NextDue.Location().String() != a.NextDue.Location().String() {
				t.Errorf("NextDue in %s, stored in %s", got.NextDue.Location(), a.NextDue.Location())
			}
			bal, due, ok := tx.(*memTx).balance(h, now)
			if !ok {
				t.Fatalf("balance of %s: no account", h)
			}
			if d := cmp.Diff(balanceOf(a), bal); d != "" {
				t.Errorf("balance (-want +got):\n%s", d)
			}
			if want := !a.NextDue.IsZero() && !now.Before(a.NextDue); due != want {
				t.Errorf("due at %s with next due %s: %t, want %t", now, a.NextDue, due, want)
			}
			if _, _, ok := tx.(*memTx).balance(ForBuyer("c"), now); ok {
				t.Errorf("balance of a holder without an account: found")
			}
			return nil
		})
	})
}

// TestZeroHolderAccount checks that the memory store refuses a balance row of the zero
// Holder (its holder number 0 has no row) and that reading it finds nothing.
func TestZeroHolderAccount(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	err := s.Update(ctx, func(tx Tx) error { return tx.PutAccount(Account{Earned: 1}) })
	if !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("PutAccount of the zero holder: %v, want an error wrapping ErrInvalid", err)
	}
	err = s.View(ctx, func(tx ReadTx) error {
		_, err := tx.Account(Holder{})
		return err
	})
	if !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Account of the zero holder: %v, want an error wrapping ErrNotFound", err)
	}
}
