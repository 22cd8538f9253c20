package tiertest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/tier"
	"pgregory.net/rapid"
)

// model is the plain reference a store is checked against.
type model struct {
	accounts map[loyalty.AccountID]tier.Account
	changes  map[loyalty.AccountID][]tier.Change
	receipts map[loyalty.IdempotencyKey]tier.Receipt
	last     time.Time
}

func newModel() *model {
	return &model{
		accounts: map[loyalty.AccountID]tier.Account{},
		changes:  map[loyalty.AccountID][]tier.Change{},
		receipts: map[loyalty.IdempotencyKey]tier.Receipt{},
	}
}

type machine struct {
	store tier.Store
	model *model
}

var ids = []loyalty.AccountID{"a", "b", "c", "d", "e", "ab"}

func genAccount(t *rapid.T) tier.Account {
	a := tier.Account{
		ID:       rapid.SampledFrom(ids).Draw(t, "id"),
		Enrolled: day(2025, 1, 1).AddDate(0, 0, rapid.IntRange(0, 30).Draw(t, "enrolled")),
	}
	a.Status.Level = rapid.IntRange(0, 2).Draw(t, "level")
	a.Status.Reviewed = day(2025, 2, 1).AddDate(0, 0, rapid.IntRange(0, 300).Draw(t, "reviewed"))
	a.Status.Since = a.Enrolled
	if rapid.Bool().Draw(t, "grace") {
		a.Status.Grace = &tier.Grace{Until: a.Status.Reviewed.AddDate(0, 1, 0), To: 0}
	}
	n := rapid.IntRange(0, 4).Draw(t, "days")
	for i := range n {
		a.History = append(a.History, tier.DayTotal{Day: tier.DayOf(a.Enrolled) + tier.Day(i*3), Units: rapid.Int64Range(-1000, 100000).Draw(t, "units")})
	}
	return a
}

func (m *machine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"put": func(t *rapid.T) {
			a := genAccount(t)
			if err := m.store.Update(ctx, func(tx tier.Tx) error { return tx.PutAccount(a) }); err != nil {
				t.Fatal(err)
			}
			m.model.accounts[a.ID] = a.Clone()
		},
		"append": func(t *rapid.T) {
			c := tier.Change{Account: rapid.SampledFrom(ids).Draw(t, "id"), At: day(2025, 3, rapid.IntRange(1, 28).Draw(t, "day")),
				Kind: rapid.SampledFrom([]tier.ChangeKind{tier.Upgraded, tier.Downgraded}).Draw(t, "kind"), From: rapid.IntRange(0, 2).Draw(t, "from"), To: rapid.IntRange(0, 2).Draw(t, "to")}
			if err := m.store.Update(ctx, func(tx tier.Tx) error { return tx.AppendChanges(c) }); err != nil {
				t.Fatal(err)
			}
			m.model.changes[c.Account] = append(m.model.changes[c.Account], c)
		},
		"receipt": func(t *rapid.T) {
			key := loyalty.IdempotencyKey(rapid.SampledFrom([]string{"k1", "k2", "k3"}).Draw(t, "key"))
			r := tier.Receipt{Payload: rapid.StringMatching(`[a-z]{1,5}`).Draw(t, "payload"), Account: rapid.SampledFrom(ids).Draw(t, "id")}
			err := m.store.Update(ctx, func(tx tier.Tx) error { return tx.PutReceipt(key, r) })
			if _, had := m.model.receipts[key]; had {
				if !errors.Is(err, loyalty.ErrConflict) {
					t.Fatalf("PutReceipt over an existing key: %v, want ErrConflict", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m.model.receipts[key] = r
		},
		"batch": func(t *rapid.T) {
			at := day(2025, 1, 1).AddDate(0, rapid.IntRange(0, 24).Draw(t, "months"), 0)
			if err := m.store.Update(ctx, func(tx tier.Tx) error { return tx.SetLastBatchReview(at) }); err != nil {
				t.Fatal(err)
			}
			m.model.last = at
		},
		"failed": func(t *rapid.T) {
			a := genAccount(t)
			err := m.store.Update(ctx, func(tx tier.Tx) error {
				if err := tx.PutAccount(a); err != nil {
					return err
				}
				if err := tx.AppendChanges(tier.Change{Account: a.ID, Kind: tier.Upgraded}); err != nil {
					return err
				}
				if err := tx.SetLastBatchReview(day(2030, 1, 1)); err != nil {
					return err
				}
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("failed Update returned %v", err)
			}
		},
		"page": func(t *rapid.T) {
			after := loyalty.AccountID(rapid.SampledFrom([]string{"", "a", "aa", "b", "z"}).Draw(t, "after"))
			limit := rapid.IntRange(0, 4).Draw(t, "limit")
			var got []loyalty.AccountID
			if err := m.store.View(ctx, func(tx tier.ReadTx) error {
				page, err := tx.Accounts(after, limit)
				for _, a := range page {
					got = append(got, a.ID)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var want []loyalty.AccountID
			for id := range m.model.accounts {
				if id > after {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			want = want[:min(limit, len(want))]
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []loyalty.AccountID) bool { return slices.Equal(a, b) })); diff != "" {
				t.Fatalf("Accounts(%q, %d) (-want +got):\n%s", after, limit, diff)
			}
		},
		"": func(t *rapid.T) { m.check(t) },
	}
}

func (m *machine) check(t *rapid.T) {
	err := m.store.View(ctx, func(tx tier.ReadTx) error {
		for _, id := range ids {
			a, err := tx.Account(id)
			want, ok := m.model.accounts[id]
			if !ok {
				if !errors.Is(err, loyalty.ErrNotFound) {
					return fmt.Errorf("account %q should not exist: %v", id, err)
				}
			} else if err != nil {
				return err
			} else if diff := cmp.Diff(want, a); diff != "" {
				return fmt.Errorf("account %q (-model +store):\n%s", id, diff)
			}
			ch, err := tx.Changes(id)
			if err != nil {
				return err
			}
			if len(ch) != 0 || len(m.model.changes[id]) != 0 {
				if diff := cmp.Diff(m.model.changes[id], ch); diff != "" {
					return fmt.Errorf("changes of %q (-model +store):\n%s", id, diff)
				}
			}
		}
		for key, want := range m.model.receipts {
			got, ok, err := tx.Receipt(key)
			if err != nil || !ok {
				return fmt.Errorf("receipt %q: %v, %v", key, ok, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				return fmt.Errorf("receipt %q (-model +store):\n%s", key, diff)
			}
		}
		last, err := tx.LastBatchReview()
		if err != nil {
			return err
		}
		if !last.Equal(m.model.last) {
			return fmt.Errorf("last batch review = %v, model %v", last, m.model.last)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
