package campaign_test

import (
	"context"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

var (
	rub = loyalty.MustCurrency("RUB")
	ctx = context.Background()
	t0  = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
)

func m(s string) loyalty.Money      { return loyalty.MustMoney(s, "RUB") }
func pr(s string) loyalty.Price     { return loyalty.MustPrice(s, "RUB") }
func qty(s string) loyalty.Quantity { return loyalty.MustQuantity(s) }
func d(s string) decimal.Decimal    { return decimal.RequireFromString(s) }

// line is an order line; cost "" means unknown.
func line(sku, cat, q, price, cost string) loyalty.Line {
	l := loyalty.Line{SKU: loyalty.SKU(sku), Category: loyalty.CategoryID(cat), Quantity: qty(q), UnitPrice: pr(price)}
	if cost != "" {
		l.UnitCost = pr(cost)
	}
	return l
}

func order(id, account string, at time.Time, lines ...loyalty.Line) loyalty.Order {
	return loyalty.Order{ID: loyalty.OrderID(id), Account: loyalty.AccountID(account), Currency: rub, PlacedAt: at, Lines: lines}
}

// newEngine runs p over fresh memory stores with a manual clock at t0.
func newEngine(t tb, p campaign.Program) (*campaign.Engine, *loyalty.ManualClock) {
	t.Helper()
	clock := loyalty.NewManualClock(t0)
	e, err := campaign.New(p, campaign.MemoryStores(), campaign.Config{Clock: clock})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e, clock
}

func evaluate(t tb, e *campaign.Engine, o loyalty.Order, opt campaign.EvaluateOptions) campaign.Quote {
	t.Helper()
	q, err := e.Evaluate(ctx, o, opt)
	if err != nil {
		t.Fatalf("Evaluate %s: %v", o.ID, err)
	}
	return q
}

func commit(t tb, e *campaign.Engine, q campaign.Quote) campaign.Receipt {
	t.Helper()
	r, err := e.Commit(ctx, q, loyalty.IdempotencyKey("commit-"+string(q.Order.ID)))
	if err != nil {
		t.Fatalf("Commit %s: %v", q.Order.ID, err)
	}
	return r
}

// lineTotals returns the lines' totals after discounts.
func lineTotals(q campaign.Quote) []loyalty.Money {
	out := make([]loyalty.Money, len(q.Lines))
	for i, l := range q.Lines {
		out[i] = l.Total
	}
	return out
}

func ms(ss ...string) []loyalty.Money {
	out := make([]loyalty.Money, len(ss))
	for i, s := range ss {
		out[i] = m(s)
	}
	return out
}

// tb is what the helpers need of a *testing.T, a *testing.B or a *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Error(args ...any)
}

func pointsOf(n int64) points.Points { return points.Points(n) }
