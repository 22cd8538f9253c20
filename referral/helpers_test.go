package referral_test

import (
	"context"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	rub = loyalty.MustCurrency("RUB")
)

func setup(t testing.TB, rules referral.Rules) (*referral.Service, *loyalty.ManualClock) {
	t.Helper()
	clock := loyalty.NewManualClock(t0)
	svc, err := referral.New(referral.Config{Rules: rules, Store: referral.NewMemoryStore(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return svc, clock
}

func register(t testing.TB, svc *referral.Service, r referral.Referrer, code string, id referral.Identity) referral.Profile {
	t.Helper()
	p, err := svc.Register(ctx, referral.Registration{Referrer: r, Code: code, Identity: id})
	if err != nil {
		t.Fatalf("Register(%s): %v", r, err)
	}
	return p
}

func attribute(t testing.TB, svc *referral.Service, key, code string, referee loyalty.AccountID) referral.AttributionResult {
	t.Helper()
	res, err := svc.Attribute(ctx, referral.Attribution{Key: loyalty.IdempotencyKey(key), Code: code, Referee: referee})
	if err != nil {
		t.Fatalf("Attribute(%s, %s): %v", code, referee, err)
	}
	return res
}

// mkOrder returns a one-line order of amount RUB.
func mkOrder(id loyalty.OrderID, account loyalty.AccountID, amount string, at time.Time) loyalty.Order {
	return loyalty.Order{
		ID: id, Account: account, Currency: rub, PlacedAt: at,
		Lines: []loyalty.Line{{SKU: "sku", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice(amount, "RUB")}},
	}
}

func recordOrder(t testing.TB, svc *referral.Service, key string, o loyalty.Order) referral.Result {
	t.Helper()
	res, err := svc.RecordOrder(ctx, referral.OrderEvent{Key: loyalty.IdempotencyKey(key), Order: o})
	if err != nil {
		t.Fatalf("RecordOrder(%s): %v", o.ID, err)
	}
	return res
}

func rubs(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// statuses returns the status of every grant, in order.
func statuses(gs []referral.Grant) []referral.GrantStatus {
	var out []referral.GrantStatus
	for _, g := range gs {
		out = append(out, g.Status)
	}
	return out
}
