package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
)

// ErrBudgetExhausted refuses a commit that would take a campaign over its [Budget] (money,
// uses or uses per account); the campaign's budget was consumed by other orders since the
// quote. Evaluate again: the campaign then no longer applies.
var ErrBudgetExhausted = errors.New("campaign: campaign budget exhausted")

// BudgetError details an [ErrBudgetExhausted] refusal. It is plain data, safe for
// concurrent use.
type BudgetError struct {
	Campaign loyalty.CampaignID
	Limit    string // "money", "uses" or "per-account"
}

// Error implements the error interface.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("campaign: budget of campaign %s exhausted (%s)", e.Campaign, e.Limit)
}

// Unwrap returns [ErrBudgetExhausted].
func (e *BudgetError) Unwrap() error { return ErrBudgetExhausted }

// BudgetRecord is what a campaign has consumed of its budget: in all when Account is
// empty, by one account otherwise. It is plain data, safe for concurrent use when not
// modified.
type BudgetRecord struct {
	Campaign loyalty.CampaignID `json:"campaign"`
	Account  loyalty.AccountID  `json:"account,omitempty"`
	Uses     int64              `json:"uses"`
	Spent    loyalty.Money      `json:"spent,omitzero"`
}

// BudgetItem is one campaign's part of a [BudgetUse]: uses and money added to its counters
// (negative when given back). It is plain data, safe for concurrent use when not modified.
type BudgetItem struct {
	Campaign loyalty.CampaignID `json:"campaign"`
	Uses     int64              `json:"uses"`
	Money    loyalty.Money      `json:"money,omitzero"`
}

// BudgetUse is one idempotent change of budget counters — a commit's consumption, its
// compensation, a return's give-back — recorded under its key in the same transaction as
// the counters. It is plain data, safe for concurrent use when not modified.
type BudgetUse struct {
	Key     loyalty.IdempotencyKey `json:"key"`
	Order   loyalty.OrderID        `json:"order"`
	Account loyalty.AccountID      `json:"account"`
	Items   []BudgetItem           `json:"items"`
	At      time.Time              `json:"at"`
}

// Budget returns what campaign id has consumed of its budget: in all when account is
// empty, by that account otherwise. A campaign that consumed nothing has the zero record.
func (e *Engine) Budget(ctx context.Context, id loyalty.CampaignID, account loyalty.AccountID) (BudgetRecord, error) {
	var rec BudgetRecord
	err := e.stores.Orders.View(ctx, func(tx OrderReadTx) error {
		var err error
		rec, err = tx.Budget(id, account)
		if errors.Is(err, loyalty.ErrNotFound) {
			rec, err = BudgetRecord{Campaign: id, Account: account}, nil
		}
		return err
	})
	if err != nil {
		return BudgetRecord{}, fmt.Errorf("campaign: budget: %w", err)
	}
	return rec, nil
}

// changeBudgets applies one budget change exactly once per key, in one OrderStore
// transaction: the items are added to each campaign's total and to the account's counter.
// When check is set, a counter that would exceed its campaign's budget refuses the whole
// change with a *BudgetError and nothing is written.
func (e *Engine) changeBudgets(ctx context.Context, u BudgetUse, check bool) (BudgetUse, error) {
	var out BudgetUse
	err := e.stores.Orders.Update(ctx, func(tx OrderTx) error {
		if prev, err := tx.BudgetUse(u.Key); err == nil {
			out = prev
			return nil
		} else if !errors.Is(err, loyalty.ErrNotFound) {
			return err
		}
		for _, it := range u.Items {
			b := e.budgetOf(it.Campaign)
			for _, acct := range []loyalty.AccountID{"", u.Account} {
				r, err := tx.Budget(it.Campaign, acct)
				if errors.Is(err, loyalty.ErrNotFound) {
					r, err = BudgetRecord{Campaign: it.Campaign, Account: acct}, nil
				}
				if err != nil {
					return err
				}
				r.Uses += it.Uses
				if !it.Money.IsZero() {
					if r.Spent.IsZero() {
						r.Spent = loyalty.Zero(it.Money.Currency())
					}
					if r.Spent, err = r.Spent.Add(it.Money); err != nil {
						return err
					}
				}
				if check {
					switch {
					case acct == "" && b.Uses > 0 && it.Uses > 0 && r.Uses > b.Uses:
						return &BudgetError{Campaign: it.Campaign, Limit: "uses"}
					case acct == "" && b.Money.IsPositive() && it.Money.IsPositive():
						if c, err := r.Spent.Cmp(b.Money); err != nil || c > 0 {
							return &BudgetError{Campaign: it.Campaign, Limit: "money"}
						}
					case acct != "" && b.PerAccount > 0 && it.Uses > 0 && r.Uses > b.PerAccount:
						return &BudgetError{Campaign: it.Campaign, Limit: "per-account"}
					}
				}
				if err := tx.PutBudget(r); err != nil {
					return err
				}
			}
		}
		out = u
		return tx.PutBudgetUse(u)
	})
	return out, err
}

// budgetOf returns the budget of campaign id (zero when the program has no such campaign).
func (e *Engine) budgetOf(id loyalty.CampaignID) Budget {
	for _, c := range e.camps {
		if c.ID == id {
			return c.Budget
		}
	}
	return Budget{}
}

// budgetItems are what a quote's applied campaigns consume.
func budgetItems(q Quote) []BudgetItem {
	var items []BudgetItem
	for _, c := range q.Campaigns {
		if c.Applied && c.Budgeted {
			items = append(items, BudgetItem{Campaign: c.ID, Uses: 1, Money: c.Cost})
		}
	}
	return items
}

// negate returns the items that undo items.
func negate(items []BudgetItem) []BudgetItem {
	out := make([]BudgetItem, len(items))
	for i, it := range items {
		out[i] = BudgetItem{Campaign: it.Campaign, Uses: -it.Uses, Money: it.Money.Neg()}
	}
	return out
}
