package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
)

// campaignRecords are records of every kind, stored under s (as key, ID, account and
// campaign) and holding s in their text.
func campaignRecords(s string) (campaign.CommitRecord, campaign.OrderRecord, campaign.AccountRecord, campaign.ReturnRecord, campaign.BudgetRecord, campaign.BudgetUse) {
	msk := time.FixedZone("MSK", 3*3600)
	at := time.Date(2026, 3, 2, 13, 0, 0, 123456789, msk)
	c := campaign.CommitRecord{Key: loyalty.IdempotencyKey(s), Order: loyalty.OrderID(s), Account: loyalty.AccountID(s),
		Request: s, State: campaign.Pending, Attempt: 2, Error: s, At: at,
		Quote: campaign.Quote{Program: "p", At: at, Order: loyalty.Order{ID: loyalty.OrderID(s), Account: loyalty.AccountID(s),
			Currency: campRUB, PlacedAt: at, Codes: []string{s}}}}
	o := campaign.OrderRecord{ID: loyalty.OrderID(s), Account: loyalty.AccountID(s), Key: loyalty.IdempotencyKey(s), Committed: true,
		Returned: []loyalty.ReturnLine{{Line: 0, Quantity: loyalty.MustQuantity("1.5")}}}
	a := campaign.AccountRecord{Account: loyalty.AccountID(s), Orders: 3, Since: at,
		History: discount.History{Purchases: []discount.Purchase{{At: at, Amount: loyalty.MustMoney("1234.56", "RUB")}},
			Carried: loyalty.MustMoney("-0.01", "RUB")}}
	r := campaign.ReturnRecord{Key: loyalty.IdempotencyKey(s), Order: loyalty.OrderID(s), Request: s, State: campaign.Done, At: at,
		Lines: []loyalty.ReturnLine{{Line: 1, Quantity: loyalty.MustQuantity("2")}}}
	b := campaign.BudgetRecord{Campaign: loyalty.CampaignID(s), Account: loyalty.AccountID(s), Uses: 9_000_000_000,
		Spent: loyalty.MustMoney("92233720368547758.07", "RUB")}
	u := campaign.BudgetUse{Key: loyalty.IdempotencyKey(s), Order: loyalty.OrderID(s), Account: loyalty.AccountID(s), At: at,
		Items: []campaign.BudgetItem{{Campaign: loyalty.CampaignID(s), Uses: -1, Money: loyalty.MustMoney("-500", "RUB")}}}
	return c, o, a, r, b, u
}

// TestOrderStoreStoresHostileText stores records under keys and with text full of SQL
// metacharacters, Unicode and the longest keys, and reads every one back as it was (times
// in UTC, to the nanosecond); reads of keys that look alike find nothing, and accounts
// page in byte order.
func TestOrderStoreStoresHostileText(t *testing.T) {
	hostile := []string{
		`x'); DROP TABLE campaign_commits; --`, `' OR '1'='1`, `%`, `_`, `a%b_c`, `\`, `\'`, `"; SELECT 1; --`, `$1`, `?`,
		":name", "@p1", "ünïcødé 参照 🚀", " leading and trailing ", "line\nbreak\ttab", "\u200b", "B", "a", "Ä", "z", "~", "\x7f",
		strings.Repeat("k", MaxCampaignKeyBytes),
	}
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewOrderStore(openMigratedDB(t, d), d.dialect)
		if err := s.Update(campCtx, func(tx campaign.OrderTx) error {
			var errs []error
			for _, h := range hostile {
				c, o, a, r, b, u := campaignRecords(h)
				errs = append(errs, tx.PutCommit(c), tx.PutOrder(o), tx.PutAccount(a), tx.PutReturn(r), tx.PutBudget(b), tx.PutBudgetUse(u))
			}
			return errors.Join(errs...)
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.View(campCtx, func(tx campaign.OrderReadTx) error {
			for _, h := range hostile {
				c, o, a, r, b, u := campaignRecords(h)
				gc, err1 := tx.Commit(c.Key)
				gor, err2 := tx.Order(o.ID)
				ga, err3 := tx.Account(a.Account)
				gr, err4 := tx.Return(r.Key)
				gb, err5 := tx.Budget(b.Campaign, b.Account)
				gu, err6 := tx.BudgetUse(u.Key)
				if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
					t.Errorf("%.20q: %v", h, err)
					continue
				}
				for _, diff := range []string{cmp.Diff(c, gc), cmp.Diff(o, gor), cmp.Diff(a, ga), cmp.Diff(r, gr), cmp.Diff(b, gb), cmp.Diff(u, gu)} {
					if diff != "" {
						t.Errorf("%.20q (-put +got):\n%s", h, diff)
					}
				}
				for _, at := range []time.Time{gc.At, gc.Quote.Order.PlacedAt, ga.Since, ga.History.Purchases[0].At, gr.At, gu.At} {
					if at.Location() != time.UTC {
						t.Errorf("%.20q: a time read back in %v, want UTC", h, at.Location())
					}
				}
			}
			for _, miss := range []string{"x", "A", "b", "ab_c", "a%b_", `'`, "%%", strings.Repeat("k", MaxCampaignKeyBytes-1)} {
				_, err1 := tx.Commit(loyalty.IdempotencyKey(miss))
				_, err2 := tx.Order(loyalty.OrderID(miss))
				_, err3 := tx.Account(loyalty.AccountID(miss))
				_, err4 := tx.Return(loyalty.IdempotencyKey(miss))
				_, err5 := tx.Budget(loyalty.CampaignID(miss), loyalty.AccountID(miss))
				_, err6 := tx.BudgetUse(loyalty.IdempotencyKey(miss))
				for i, err := range []error{err1, err2, err3, err4, err5, err6} {
					if !errors.Is(err, loyalty.ErrNotFound) {
						t.Errorf("read %d of %q: %v, want ErrNotFound", i, miss, err)
					}
				}
			}
			if err := checkPaging(t, hostile, func(after string, limit int) ([]string, error) {
				page, err := tx.Accounts(loyalty.AccountID(after), limit)
				ids := make([]string, len(page))
				for i, a := range page {
					ids[i] = string(a.Account)
				}
				return ids, err
			}); err != nil {
				return err
			}
			if _, err := tx.Accounts("", 0); !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("Accounts with limit 0: %v, want ErrInvalid", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestOrderStoreRefusesBadText refuses, with an error naming the field and wrapping
// loyalty.ErrInvalid, writes of records with empty, over-long, invalid UTF-8 or
// NUL-holding keys, invalid UTF-8 text and times that cannot be stored; a refused write
// leaves the store as it was, and later statements of the same transaction still work.
// Reads of such keys find nothing.
func TestOrderStoreRefusesBadText(t *testing.T) {
	long := strings.Repeat("x", MaxCampaignKeyBytes+1)
	after9999 := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	type put = func(tx campaign.OrderTx) error
	commit := func(edit func(*campaign.CommitRecord)) put {
		return func(tx campaign.OrderTx) error {
			c, _, _, _, _, _ := campaignRecords("ok")
			edit(&c)
			return tx.PutCommit(c)
		}
	}
	order := func(edit func(*campaign.OrderRecord)) put {
		return func(tx campaign.OrderTx) error {
			_, o, _, _, _, _ := campaignRecords("ok")
			edit(&o)
			return tx.PutOrder(o)
		}
	}
	account := func(edit func(*campaign.AccountRecord)) put {
		return func(tx campaign.OrderTx) error {
			_, _, a, _, _, _ := campaignRecords("ok")
			edit(&a)
			return tx.PutAccount(a)
		}
	}
	ret := func(edit func(*campaign.ReturnRecord)) put {
		return func(tx campaign.OrderTx) error {
			_, _, _, r, _, _ := campaignRecords("ok")
			edit(&r)
			return tx.PutReturn(r)
		}
	}
	budget := func(edit func(*campaign.BudgetRecord)) put {
		return func(tx campaign.OrderTx) error {
			_, _, _, _, b, _ := campaignRecords("ok")
			edit(&b)
			return tx.PutBudget(b)
		}
	}
	use := func(edit func(*campaign.BudgetUse)) put {
		return func(tx campaign.OrderTx) error {
			_, _, _, _, _, u := campaignRecords("ok")
			edit(&u)
			return tx.PutBudgetUse(u)
		}
	}
	cases := []struct {
		name, field string
		put         put
	}{
		{"empty commit key", "key", commit(func(c *campaign.CommitRecord) { c.Key = "" })},
		{"long commit key", "key", commit(func(c *campaign.CommitRecord) { c.Key = loyalty.IdempotencyKey(long) })},
		{"invalid UTF-8 commit key", "key", commit(func(c *campaign.CommitRecord) { c.Key = "k\xff" })},
		{"NUL in a commit key", "key", commit(func(c *campaign.CommitRecord) { c.Key = "k\x00" })},
		{"NUL in a commit's order", "order", commit(func(c *campaign.CommitRecord) { c.Order = "o\x00" })},
		{"invalid UTF-8 in a quote", "quote.order.codes[0]", commit(func(c *campaign.CommitRecord) { c.Quote.Order.Codes = []string{"\xc3"} })},
		{"invalid UTF-8 error", "error", commit(func(c *campaign.CommitRecord) { c.Error = "\xff" })},
		{"commit after 9999", "at", commit(func(c *campaign.CommitRecord) { c.At = after9999 })},
		{"empty order ID", "order", order(func(o *campaign.OrderRecord) { o.ID = "" })},
		{"long order ID", "order", order(func(o *campaign.OrderRecord) { o.ID = loyalty.OrderID(long) })},
		{"invalid UTF-8 order key", "key", order(func(o *campaign.OrderRecord) { o.Key = "\xfe" })},
		{"empty account", "account", account(func(a *campaign.AccountRecord) { a.Account = "" })},
		{"long account", "account", account(func(a *campaign.AccountRecord) { a.Account = loyalty.AccountID(long) })},
		{"NUL in an account", "account", account(func(a *campaign.AccountRecord) { a.Account = "a\x00b" })},
		{"purchase before year 1", "history.purchases[0].at", account(func(a *campaign.AccountRecord) {
			a.History.Purchases[0].At = time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)
		})},
		{"empty return key", "key", ret(func(r *campaign.ReturnRecord) { r.Key = "" })},
		{"invalid UTF-8 return request", "request", ret(func(r *campaign.ReturnRecord) { r.Request = "\xff" })},
		{"NUL in a return's order", "order", ret(func(r *campaign.ReturnRecord) { r.Order = "\x00" })},
		{"budget without a campaign", "campaign", budget(func(b *campaign.BudgetRecord) { b.Campaign = "" })},
		{"long campaign", "campaign", budget(func(b *campaign.BudgetRecord) { b.Campaign = loyalty.CampaignID(long) })},
		{"invalid UTF-8 budget account", "account", budget(func(b *campaign.BudgetRecord) { b.Account = "\xff" })},
		{"empty budget use key", "key", use(func(u *campaign.BudgetUse) { u.Key = "" })},
		{"invalid UTF-8 budget item", "items[0].campaign", use(func(u *campaign.BudgetUse) { u.Items[0].Campaign = "\xff" })},
		{"NUL in a budget use's account", "account", use(func(u *campaign.BudgetUse) { u.Account = "\x00" })},
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewOrderStore(db, d.dialect)
		for _, c := range cases {
			err := s.Update(campCtx, func(tx campaign.OrderTx) error {
				err := c.put(tx)
				if !errors.Is(err, loyalty.ErrInvalid) {
					t.Errorf("%s: %v, want ErrInvalid", c.name, err)
				}
				var fe *loyalty.FieldError
				if !errors.As(err, &fe) || fe.Field != c.field {
					t.Errorf("%s: %v, want an error naming field %q", c.name, err, c.field)
				}
				// The transaction goes on after the refusal.
				return tx.PutBudget(campaign.BudgetRecord{Campaign: "after", Uses: 1})
			})
			if err != nil {
				t.Errorf("%s: the transaction failed after the refusal: %v", c.name, err)
			}
		}
		for _, table := range campaignTables {
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1}[table == "campaign_budgets"]; n != want {
				t.Errorf("%s holds %d rows after refused writes, want %d", table, n, want)
			}
		}
		if err := s.View(campCtx, func(tx campaign.OrderReadTx) error {
			for _, k := range []string{long, "k\xff", "k\x00"} {
				_, err1 := tx.Commit(loyalty.IdempotencyKey(k))
				_, err2 := tx.Account(loyalty.AccountID(k))
				_, err3 := tx.Budget(loyalty.CampaignID(k), "")
				for _, err := range []error{err1, err2, err3} {
					if !errors.Is(err, loyalty.ErrNotFound) {
						t.Errorf("read of %.20q: %v, want ErrNotFound", k, err)
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
