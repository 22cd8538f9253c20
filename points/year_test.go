package points_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// TestYearOfOrders carries a fuel-card program through a year of daily orders earned by
// companies and their drivers, payments with points, partial returns weeks later,
// transfers, adjustments and monthly expiry runs, then checks that no point was created or
// lost: every balance equals its history, every lot adds up, and orders returned in full
// gave back exactly what they earned and were paid with.
func TestYearOfOrders(t *testing.T) {
	for _, policy := range []points.ReturnPolicy{points.WithinBalance, points.NegativeBalance, points.PendingOnly} {
		t.Run(string(policy), func(t *testing.T) { yearOfOrders(t, policy) })
	}
}

type placed struct {
	h        points.Holder
	o        loyalty.Order
	returned []int64 // micros per line
	earned   points.Points
	paid     points.Points
	back     points.Points // reversed + forgiven
	restored points.Points
}

func yearOfOrders(t *testing.T, policy points.ReturnPolicy) {
	moscow := time.FixedZone("MSK", 3*3600)
	rules := fuelCardRules()
	rules.PendingDays = 14
	rules.Expiry = points.Expiry{Months: 6, RoundTo: loyalty.Month}
	f := newFixture(t, points.Config{Rules: rules, Returns: policy, Location: moscow,
		Redemption: points.Redemption{Currency: rub, PointValue: dec("0.25"), MaxShare: dec("0.2")}})
	rng := rand.New(rand.NewPCG(1, uint64(len(policy))))
	var holders []points.Holder
	for i := range 3 {
		holders = append(holders, points.ForAccount(loyalty.AccountID(fmt.Sprintf("fleet-%d", i))), points.ForBuyer(loyalty.BuyerID(fmt.Sprintf("driver-%d", i))))
	}
	var orders []*placed
	key := 0
	next := func() loyalty.IdempotencyKey { key++; return loyalty.IdempotencyKey(fmt.Sprintf("k%d", key)) }
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, moscow)
	for day := range 365 {
		f.clock.Set(start.AddDate(0, 0, day).Add(time.Duration(rng.IntN(12)) * time.Hour))
		for range rng.IntN(4) {
			fleet := rng.IntN(3)
			o := loyalty.Order{ID: loyalty.OrderID(fmt.Sprintf("d%d-%d", day, len(orders))), Account: loyalty.AccountID(fmt.Sprintf("fleet-%d", fleet)),
				Buyer: loyalty.BuyerID(fmt.Sprintf("driver-%d", fleet)), Currency: rub, PlacedAt: f.clock.Now(),
				Lines: []loyalty.Line{line("ai95", "fuel", fmt.Sprintf("%d.%02d", 10+rng.IntN(60), rng.IntN(100)), "55.40")}}
			if rng.IntN(2) == 0 {
				o.Lines = append(o.Lines, line("snack", "shop", fmt.Sprint(1+rng.IntN(4)), fmt.Sprintf("%d.90", 50+rng.IntN(300))))
			}
			for _, h := range []points.Holder{points.ForAccount(o.Account), points.ForBuyer(o.Buyer)} {
				p := &placed{h: h, o: o, returned: make([]int64, len(o.Lines))}
				if b, err := f.l.Balance(ctx, h); err == nil && rng.IntN(3) == 0 && b.Available > 0 {
					total, _ := o.Subtotal()
					most, _ := f.l.Config().Redemption.MaxPoints(total)
					if n := min(most, b.Available); n > 0 {
						f.must(f.l.Redeem(ctx, points.RedeemRequest{Key: next(), Holder: h, Order: o, Points: n, Acceptor: "station"}))
						p.paid = n
					}
				}
				m := decimal.Zero
				if h.Kind == points.BuyerHolder {
					m = dec("1.5")
				}
				plan, err := rules.Plan(o, m)
				if err != nil {
					t.Fatal(err)
				}
				e, _ := f.must(f.l.EarnOrder(ctx, next(), h, o, m)).Entry(points.KindEarn)
				if e.Points != plan.Total {
					t.Fatalf("order %s earned %d for %s, its plan says %d", o.ID, e.Points, h, plan.Total)
				}
				p.earned = e.Points
				orders = append(orders, p)
			}
		}
		// Returns, some inside the pending window and some long after.
		for range rng.IntN(2) {
			if len(orders) == 0 {
				break
			}
			p := orders[rng.IntN(len(orders))]
			i := rng.IntN(len(p.o.Lines))
			left := p.o.Lines[i].Quantity.Micros() - p.returned[i]
			if left == 0 {
				continue
			}
			q := left
			if rng.IntN(2) == 0 {
				q = 1 + rng.Int64N(left)
			}
			post := f.must(f.l.Return(ctx, points.ReturnRequest{Key: next(), Holder: p.h, Order: p.o.ID,
				Lines: []loyalty.ReturnLine{{Line: i, Quantity: loyalty.QuantityFromMicros(q)}}}))
			p.returned[i] += q
			if e, ok := post.Entry(points.KindReverse); ok {
				p.back += e.Points + e.Forgiven
			}
			p.restored += post.Points(points.KindRestore)
		}
		if rng.IntN(10) == 0 { // a fleet passes points to its driver
			from := points.ForAccount(loyalty.AccountID(fmt.Sprintf("fleet-%d", rng.IntN(3))))
			if b, err := f.l.Balance(ctx, from); err == nil && b.Available > 10 {
				f.must(f.l.Transfer(ctx, points.TransferRequest{Key: next(), From: from, To: points.ForBuyer(loyalty.BuyerID("driver-" + from.ID[len("fleet-"):])), Points: b.Available / 3}))
			}
		}
		if rng.IntN(30) == 0 {
			f.credit(holders[rng.IntN(len(holders))], points.Points(1+rng.IntN(500)), string(next()))
		}
		if f.clock.Now().In(moscow).Day() == 1 {
			if _, err := f.l.Expire(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.clock.Set(start.AddDate(1, 0, 0))
	if _, err := f.l.Expire(ctx); err != nil {
		t.Fatal(err)
	}

	full := 0
	for _, p := range orders {
		complete := true
		for i, l := range p.o.Lines {
			complete = complete && p.returned[i] == l.Quantity.Micros()
		}
		if complete {
			full++
			if p.back != p.earned || p.restored != p.paid {
				t.Errorf("order %s of %s returned in full: %d of %d earned points reversed, %d of %d paid points restored",
					p.o.ID, p.h, p.back, p.earned, p.restored, p.paid)
			}
		}
	}
	if full == 0 || len(orders) < 500 {
		t.Fatalf("the simulation is too thin: %d orders, %d returned in full", len(orders), full)
	}

	lots := map[points.Holder]points.Points{}
	if err := f.store.View(ctx, func(tx points.ReadTx) error {
		return tx.AllOpenLots(func(l points.Lot) bool {
			lots[l.Holder] += l.Remaining
			if l.Amount != l.Remaining+l.Spent+l.Expired+l.Reversed+l.Transferred+l.Debited {
				t.Errorf("lot %d does not add up: %+v", l.ID, l)
			}
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	var outstanding points.Points
	for _, h := range holders {
		b := f.balance(h)
		var sum points.Balance
		for _, e := range f.history(h) {
			switch e.Kind {
			case points.KindEarn, points.KindCredit, points.KindTransferIn:
				sum.Earned += e.Points
			case points.KindSpend:
				sum.Spent += e.Points
			case points.KindRestore:
				sum.Spent -= e.Points
			case points.KindExpire:
				sum.Expired += e.Points
			case points.KindReverse:
				sum.Reversed += e.Points - e.Debt
				sum.Debt += e.Debt
			case points.KindRepay:
				sum.Reversed += e.Points
				sum.Debt -= e.Points
			case points.KindTransferOut:
				sum.Transferred += e.Points
			case points.KindDebit:
				sum.Debited += e.Points
			}
		}
		got := points.Balance{Earned: b.Earned, Spent: b.Spent, Expired: b.Expired, Reversed: b.Reversed, Debt: b.Debt, Transferred: b.Transferred, Debited: b.Debited}
		if got != sum {
			t.Errorf("%s: balance %+v, history says %+v", h, got, sum)
		}
		if b.Earned != b.Active+b.Pending+b.Spent+b.Expired+b.Reversed+b.Transferred+b.Debited {
			t.Errorf("%s: points created or lost: %+v", h, b)
		}
		if lots[h] != b.Active+b.Pending {
			t.Errorf("%s: lots hold %d, balance %d", h, lots[h], b.Active+b.Pending)
		}
		if b.Available < 0 && policy != points.NegativeBalance {
			t.Errorf("%s: negative balance under %s", h, policy)
		}
		outstanding += b.Active + b.Pending
	}
	li, err := f.l.Liability(ctx, points.LiabilityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if li.Outstanding != outstanding {
		t.Errorf("liability counts %d outstanding points, balances %d", li.Outstanding, outstanding)
	}
}
