package pointstest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

var holders = []points.Holder{alice, bob, points.ForAccount("carol")}

type done struct {
	key    loyalty.IdempotencyKey
	redo   func(key loyalty.IdempotencyKey) (points.Posting, error) // the same request
	other  func(key loyalty.IdempotencyKey) (points.Posting, error) // a different request
	result points.Posting
}

type machine struct {
	t      *rapid.T
	l      *points.Ledger
	store  points.Store
	clock  *loyalty.ManualClock
	m      *model
	n      int
	done   []done
	orders []orderRef
}

type orderRef struct {
	h     points.Holder
	id    loyalty.OrderID
	lines []loyalty.Line
}

func (s *machine) key() loyalty.IdempotencyKey {
	s.n++
	return loyalty.IdempotencyKey(fmt.Sprintf("op-%d", s.n))
}

func (s *machine) now() time.Time { return s.clock.Now() }

// settle brings the model's holders up to now, as the ledger does for holders it touches.
func (s *machine) settle(hs ...points.Holder) {
	for _, h := range hs {
		if s.m.exists(h) {
			s.m.settle(h, s.now())
		}
	}
}

func (s *machine) drawOrder(t *rapid.T, h points.Holder) loyalty.Order {
	o := loyalty.Order{ID: loyalty.OrderID(fmt.Sprintf("o%d", len(s.orders)+1)), Account: "acme", Currency: rub, PlacedAt: s.now()}
	for i := range rapid.IntRange(1, 3).Draw(t, "lines") {
		kop := rapid.Int64Range(100, 20000).Draw(t, "price")
		q := rapid.SampledFrom([]string{"1", "2", "3", "0.5", "2.5"}).Draw(t, "qty")
		o.Lines = append(o.Lines, loyalty.Line{SKU: loyalty.SKU(fmt.Sprintf("sku%d", i)), Quantity: loyalty.MustQuantity(q),
			UnitPrice: loyalty.MustPrice(fmt.Sprintf("%d.%02d", kop/100, kop%100), "RUB")})
	}
	s.orders = append(s.orders, orderRef{h: h, id: o.ID, lines: o.Lines})
	return o
}

func lineTotals(t *rapid.T, lines []loyalty.Line) (weights []int64, sum int64) {
	for _, l := range lines {
		m, err := l.Total()
		if err != nil {
			t.Fatal(err)
		}
		weights = append(weights, m.MinorUnits())
		sum += m.MinorUnits()
	}
	return
}

func split(t *rapid.T, n int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	if err := loyalty.AllocateInts(out, n, weights); err != nil {
		t.Fatal(err)
	}
	return out
}

func toPoints(xs []int64) []points.Points {
	out := make([]points.Points, len(xs))
	for i, x := range xs {
		out[i] = points.Points(x)
	}
	return out
}

// expectErr checks err against the model's expectation: want nil, or a sentinel.
func expectErr(t *rapid.T, op string, err, want error) bool {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", op, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error %v, want %v", op, err, want)
	}
	return err == nil
}

func (s *machine) remember(key loyalty.IdempotencyKey, p points.Posting, redo, other func(loyalty.IdempotencyKey) (points.Posting, error)) {
	s.done = append(s.done, done{key: key, redo: redo, other: other, result: p})
}

func testStateMachine(t *testing.T, newStore func(t *testing.T) points.Store) {
	rapid.Check(t, func(rt *rapid.T) {
		policy := rapid.SampledFrom([]points.ReturnPolicy{points.WithinBalance, points.NegativeBalance, points.PendingOnly}).Draw(rt, "policy")
		loc := rapid.SampledFrom([]*time.Location{time.UTC, time.FixedZone("MSK", 3*3600), time.FixedZone("EST", -5*3600)}).Draw(rt, "loc")
		clock := loyalty.NewManualClock(t0)
		store := newStore(t)
		l, err := points.New(store, ledgerConfig(clock, policy, loc))
		if err != nil {
			rt.Fatal(err)
		}
		s := &machine{t: rt, l: l, store: store, clock: clock, m: newModel(policy, loc)}
		rt.Repeat(map[string]func(*rapid.T){
			"":         s.check,
			"earn":     s.earn,
			"redeem":   s.redeem,
			"spend":    s.spend,
			"return":   s.ret,
			"transfer": s.transfer,
			"adjust":   s.adjust,
			"activate": s.activate,
			"advance":  s.advance,
			"expire":   s.expire,
			"replay":   s.replay,
			"conflict": s.conflict,
		})
	})
}

func (s *machine) earn(t *rapid.T) {
	h := rapid.SampledFrom(holders).Draw(t, "holder")
	o := s.drawOrder(t, h)
	key := s.key()
	redo := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.EarnOrder(ctx, k, h, o, decimalZero)
	}
	other := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		o2 := o
		o2.ID += "-x"
		return s.l.EarnOrder(ctx, k, h, o2, decimalZero)
	}
	p, err := redo(key)
	expectErr(t, "earn", err, nil)
	s.settle(h)
	weights, sum := lineTotals(t, o.Lines)
	pts := sum / 1000 // 1 point per full 10.00 RUB
	lines := split(t, pts, weights)
	e, ok := p.Entry(points.KindEarn)
	if !ok || e.Points != points.Points(pts) || e.Pending != (pts > 0) {
		t.Fatalf("earn of %d kopeks: entry %+v, want %d pending points", sum, e, pts)
	}
	if d := cmp.Diff(toPoints(lines), e.Lines); d != "" {
		t.Fatalf("earn line points (-want +got):\n%s", d)
	}
	s.m.counters(h)
	mp := &mPurchase{earned: lines, redeemed: make([]int64, len(lines)), returned: make([]int64, len(lines))}
	for _, l := range o.Lines {
		mp.qty = append(mp.qty, l.Quantity.Micros())
	}
	if pts > 0 {
		mp.earnLot = s.m.credit(h, pts, s.now(), 2, 5)
		mp.earnLot.lotID = e.Lots[0].Lot
	}
	s.m.purchases[pkey(h, o.ID)] = mp
	s.m.repay(h)
	s.remember(key, p, redo, other)
}

var decimalZero = decimal.Zero

func pkey(h points.Holder, o loyalty.OrderID) string {
	return string(h.ID) + "/" + string(h.Kind) + "/" + string(o)
}

func (s *machine) redeem(t *rapid.T) {
	h := rapid.SampledFrom(holders).Draw(t, "holder")
	o := s.drawOrder(t, h)
	weights, sum := lineTotals(t, o.Lines)
	limit := sum / 200 // half the order, 1 RUB per point, floored
	s.settle(h)
	avail := int64(0)
	if s.m.exists(h) {
		avail = s.m.available(h)
	}
	want := rapid.Int64Range(1, max(min(limit, avail), 1)+3).Draw(t, "points")
	key := s.key()
	redo := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Redeem(ctx, points.RedeemRequest{Key: k, Holder: h, Order: o, Points: points.Points(want)})
	}
	other := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Redeem(ctx, points.RedeemRequest{Key: k, Holder: h, Order: o, Points: points.Points(want), Acceptor: "elsewhere"})
	}
	p, err := redo(key)
	var wantErr error
	switch {
	case want > limit:
		wantErr = points.ErrRedemptionLimit
	case !s.m.exists(h):
		wantErr = loyalty.ErrNotFound
	case want > avail:
		wantErr = points.ErrInsufficientPoints
	}
	if !expectErr(t, "redeem", err, wantErr) {
		return
	}
	parts := s.m.take(h, want)
	s.m.counters(h).spent += want
	lines := split(t, want, weights)
	mp := &mPurchase{earned: make([]int64, len(lines)), redeemed: lines, returned: make([]int64, len(lines)), parts: parts}
	for _, l := range o.Lines {
		mp.qty = append(mp.qty, l.Quantity.Micros())
	}
	s.m.purchases[pkey(h, o.ID)] = mp
	if e, _ := p.Entry(points.KindSpend); e.Value.MinorUnits() != want*100 {
		t.Fatalf("redemption of %d points valued %s, want %d.00 RUB", want, e.Value, want)
	}
	s.remember(key, p, redo, other)
}

func (s *machine) spend(t *rapid.T) {
	h := rapid.SampledFrom(holders).Draw(t, "holder")
	n := rapid.Int64Range(1, 60).Draw(t, "points")
	key := s.key()
	redo := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Spend(ctx, points.SpendRequest{Key: k, Holder: h, Points: points.Points(n)})
	}
	other := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Spend(ctx, points.SpendRequest{Key: k, Holder: h, Points: points.Points(n), Acceptor: "elsewhere"})
	}
	p, err := redo(key)
	s.settle(h)
	var wantErr error
	switch {
	case !s.m.exists(h):
		wantErr = loyalty.ErrNotFound
	case n > s.m.available(h):
		wantErr = points.ErrInsufficientPoints
		var ie *points.InsufficientPointsError
		if errors.As(err, &ie) && (int64(ie.Have) != max(s.m.available(h), 0) || int64(ie.Need) != n) {
			t.Fatalf("insufficient points error %+v, want have %d need %d", ie, s.m.available(h), n)
		}
	}
	if !expectErr(t, "spend", err, wantErr) {
		return
	}
	s.m.take(h, n)
	s.m.counters(h).spent += n
	s.remember(key, p, redo, other)
}

func (s *machine) ret(t *rapid.T) {
	if len(s.orders) == 0 {
		t.Skip("no orders")
	}
	ref := rapid.SampledFrom(s.orders).Draw(t, "order")
	mp, known := s.m.purchases[pkey(ref.h, ref.id)]
	line := rapid.IntRange(0, len(ref.lines)-1).Draw(t, "line")
	total := ref.lines[line].Quantity.Micros()
	left := total
	if known {
		left -= mp.returned[line]
	}
	q := rapid.Int64Range(1, max(left, 1)+1).Draw(t, "micros") // sometimes one too many
	key := s.key()
	req := points.ReturnRequest{Key: key, Holder: ref.h, Order: ref.id, Lines: []loyalty.ReturnLine{{Line: line, Quantity: loyalty.QuantityFromMicros(q)}}}
	redo := func(k loyalty.IdempotencyKey) (points.Posting, error) { r := req; r.Key = k; return s.l.Return(ctx, r) }
	other := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		r := req
		r.Key = k
		r.Lines = append([]loyalty.ReturnLine(nil), r.Lines...)
		r.Lines[0].Quantity = loyalty.QuantityFromMicros(q + 7)
		return s.l.Return(ctx, r)
	}
	p, err := redo(key)
	var wantErr error
	switch {
	case !s.m.exists(ref.h):
		wantErr = loyalty.ErrNotFound
	case !known:
		wantErr = loyalty.ErrNotFound
	case q > left:
		wantErr = loyalty.ErrInvalid
	}
	if !expectErr(t, "return", err, wantErr) {
		return
	}
	h := ref.h
	s.settle(h)
	c := s.m.counters(h)
	was, now := mp.returned[line], mp.returned[line]+q
	rev := share(mp.earned[line], now, total) - share(mp.earned[line], was, total)
	rest := share(mp.redeemed[line], now, total) - share(mp.redeemed[line], was, total)
	mp.returned[line] = now
	if rest > 0 { // back to the lots that paid, latest taken first
		skip, left := mp.restored, rest
		for i := len(mp.parts) - 1; i >= 0 && left > 0; i-- {
			avail := mp.parts[i].n
			d := min(skip, avail)
			skip -= d
			avail -= d
			x := min(avail, left)
			mp.parts[i].lot.remaining += x
			left -= x
		}
		mp.restored += rest
		c.spent -= rest
	}
	var forgiven, debt int64
	if rev > 0 {
		need := rev
		if l := mp.earnLot; l != nil && l.remaining > 0 && (l.pending || s.m.policy != points.PendingOnly) {
			x := min(need, l.remaining)
			l.remaining -= x
			c.reversed += x
			need -= x
		}
		if need > 0 && s.m.policy != points.PendingOnly {
			x := min(need, max(s.m.available(h), 0))
			if x > 0 {
				s.m.take(h, x)
				c.reversed += x
				need -= x
			}
			if need > 0 && s.m.policy == points.NegativeBalance {
				c.debt += need
				debt = need
				need = 0
			}
		}
		forgiven = need
	}
	s.m.settle(h, s.now())
	if got := p.Points(points.KindRestore); int64(got) != rest {
		t.Fatalf("return restored %d points, want %d", got, rest)
	}
	e, _ := p.Entry(points.KindReverse)
	if int64(e.Forgiven) != forgiven || int64(e.Debt) != debt || int64(e.Points+e.Forgiven) != rev {
		t.Fatalf("return reversal %+v, want %d reversed of which %d forgiven and %d to debt", e, rev, forgiven, debt)
	}
	s.remember(key, p, redo, other)
}

func (s *machine) transfer(t *rapid.T) {
	from := rapid.SampledFrom(holders).Draw(t, "from")
	to := rapid.SampledFrom(holders).Filter(func(h points.Holder) bool { return h != from }).Draw(t, "to")
	n := rapid.Int64Range(1, 40).Draw(t, "points")
	key := s.key()
	redo := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Transfer(ctx, points.TransferRequest{Key: k, From: from, To: to, Points: points.Points(n)})
	}
	other := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Transfer(ctx, points.TransferRequest{Key: k, From: from, To: to, Points: points.Points(n + 1)})
	}
	p, err := redo(key)
	s.settle(from, to)
	var wantErr error
	switch {
	case !s.m.exists(from):
		wantErr = loyalty.ErrNotFound
	case n > s.m.available(from):
		wantErr = points.ErrInsufficientPoints
	}
	if !expectErr(t, "transfer", err, wantErr) {
		return
	}
	parts := s.m.take(from, n)
	s.m.counters(from).transferred += n
	s.m.counters(to).earned += n
	in, _ := p.Entry(points.KindTransferIn)
	if len(in.Lots) != len(parts) {
		t.Fatalf("transfer-in entry %+v, want one lot per lot taken (%d)", in, len(parts))
	}
	for i, part := range parts {
		s.m.lots = append(s.m.lots, &mLot{id: len(s.m.lots) + 1, lotID: in.Lots[i].Lot, holder: to, earnedAt: part.lot.earnedAt, expires: part.lot.expires, remaining: part.n})
	}
	s.m.settle(to, s.now())
	s.remember(key, p, redo, other)
}

func (s *machine) adjust(t *rapid.T) {
	h := rapid.SampledFrom(holders).Draw(t, "holder")
	n := rapid.Int64Range(-30, 50).Filter(func(n int64) bool { return n != 0 }).Draw(t, "points")
	key := s.key()
	redo := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Adjust(ctx, points.Adjustment{Key: k, Holder: h, Points: points.Points(n), Reason: "goodwill", Actor: "ops"})
	}
	other := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Adjust(ctx, points.Adjustment{Key: k, Holder: h, Points: points.Points(n), Reason: "other", Actor: "ops"})
	}
	p, err := redo(key)
	s.settle(h)
	var wantErr error
	switch {
	case n < 0 && !s.m.exists(h):
		wantErr = loyalty.ErrNotFound
	case n < 0 && -n > s.m.available(h):
		wantErr = points.ErrInsufficientPoints
	}
	if !expectErr(t, "adjust", err, wantErr) {
		return
	}
	if n > 0 {
		e, _ := p.Entry(points.KindCredit)
		s.m.credit(h, n, s.now(), 0, 5).lotID = e.Lots[0].Lot
		s.m.repay(h)
	} else {
		s.m.take(h, -n)
		s.m.counters(h).debited += -n
	}
	s.remember(key, p, redo, other)
}

func (s *machine) activate(t *rapid.T) {
	if len(s.orders) == 0 {
		t.Skip("no orders")
	}
	ref := rapid.SampledFrom(s.orders).Draw(t, "order")
	key := s.key()
	redo := func(k loyalty.IdempotencyKey) (points.Posting, error) { return s.l.Activate(ctx, k, ref.h, ref.id) }
	other := func(k loyalty.IdempotencyKey) (points.Posting, error) {
		return s.l.Activate(ctx, k, ref.h, ref.id+"-x")
	}
	p, err := redo(key)
	mp, known := s.m.purchases[pkey(ref.h, ref.id)]
	var wantErr error
	if !s.m.exists(ref.h) || !known {
		wantErr = loyalty.ErrNotFound
	}
	if !expectErr(t, "activate", err, wantErr) {
		return
	}
	s.settle(ref.h)
	if l := mp.earnLot; l != nil && l.pending {
		l.pending = false
		s.m.repay(ref.h)
	}
	s.remember(key, p, redo, other)
}

func (s *machine) advance(t *rapid.T) {
	s.clock.Advance(time.Duration(rapid.IntRange(1, 100).Draw(t, "hours")) * time.Hour)
}

func (s *machine) expire(t *rapid.T) {
	if _, err := s.l.Expire(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := s.l.Expire(ctx)
	if err != nil || again.Expired != 0 || again.Activated != 0 {
		t.Fatalf("a second expiry run at the same time = %+v, %v; want nothing to do", again, err)
	}
	for h := range s.m.c {
		s.m.settle(h, s.now())
	}
}

func (s *machine) snapshot(t *rapid.T) map[points.Holder]points.Balance {
	out := map[points.Holder]points.Balance{}
	for _, h := range holders {
		if b, err := s.l.Balance(ctx, h); err == nil {
			out[h] = b
		} else if !errors.Is(err, loyalty.ErrNotFound) {
			t.Fatal(err)
		}
	}
	return out
}

func (s *machine) replay(t *rapid.T) {
	if len(s.done) == 0 {
		t.Skip("nothing to replay")
	}
	d := rapid.SampledFrom(s.done).Draw(t, "done")
	before := s.snapshot(t)
	p, err := d.redo(d.key)
	if err != nil {
		t.Fatalf("replay of %s: %v", d.key, err)
	}
	if !p.Replayed {
		t.Fatalf("replay of %s was applied again", d.key)
	}
	if diff := cmp.Diff(d.result, p, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Replayed" }, cmp.Ignore())); diff != "" {
		t.Fatalf("replay of %s returned another result (-first +replay):\n%s", d.key, diff)
	}
	if diff := cmp.Diff(before, s.snapshot(t)); diff != "" {
		t.Fatalf("replay of %s changed balances (-before +after):\n%s", d.key, diff)
	}
}

func (s *machine) conflict(t *rapid.T) {
	if len(s.done) == 0 {
		t.Skip("nothing to reuse")
	}
	d := rapid.SampledFrom(s.done).Draw(t, "done")
	before := s.snapshot(t)
	if _, err := d.other(d.key); !errors.Is(err, loyalty.ErrConflict) {
		t.Fatalf("reusing key %s for another request: %v, want ErrConflict", d.key, err)
	}
	if diff := cmp.Diff(before, s.snapshot(t)); diff != "" {
		t.Fatalf("a refused request changed balances (-before +after):\n%s", diff)
	}
}

// check compares every holder's balance with the model and checks the ledger's laws.
func (s *machine) check(t *rapid.T) {
	lots := map[points.Holder]points.Points{}
	for _, h := range holders {
		b, err := s.l.Balance(ctx, h)
		if !s.m.exists(h) {
			if !errors.Is(err, loyalty.ErrNotFound) {
				t.Fatalf("balance of %s, who never had points: %v, want ErrNotFound", h, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s.m.settle(h, s.now())
		if d := cmp.Diff(s.m.balance(h), b); d != "" {
			t.Fatalf("balance of %s (-model +ledger):\n%s", h, d)
		}
		if sum := b.Active + b.Pending + b.Spent + b.Expired + b.Reversed + b.Transferred + b.Debited; sum != b.Earned {
			t.Fatalf("%s: earned %d != active+pending+spent+expired+reversed+transferred+debited %d: %+v", h, b.Earned, sum, b)
		}
		if b.Available < 0 && s.m.policy != points.NegativeBalance {
			t.Fatalf("%s: negative balance %d under policy %s", h, b.Available, s.m.policy)
		}
		if b.Debt > 0 && b.Active > 0 {
			t.Fatalf("%s: debt %d left unpaid beside %d active points", h, b.Debt, b.Active)
		}
		es, err := s.l.History(ctx, h, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		var net points.Points
		for _, e := range es {
			net += e.Delta()
		}
		if net != b.Active+b.Pending-b.Debt {
			t.Fatalf("%s: history nets to %d, balance is %d", h, net, b.Active+b.Pending-b.Debt)
		}
	}
	err := s.store.View(ctx, func(tx points.ReadTx) error {
		return tx.AllOpenLots(func(l points.Lot) bool {
			lots[l.Holder] += l.Remaining
			if l.Amount != l.Remaining+l.Spent+l.Expired+l.Reversed+l.Transferred+l.Debited {
				t.Fatalf("lot %d does not add up: %+v", l.ID, l)
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range holders {
		if !s.m.exists(h) {
			continue
		}
		a, p := s.m.active(h)
		if lots[h] != points.Points(a+p) {
			t.Fatalf("%s: open lots hold %d, balance %d", h, lots[h], a+p)
		}
	}
	// Lot by lot, by the IDs the postings reported.
	err = s.store.View(ctx, func(tx points.ReadTx) error {
		for _, ml := range s.m.lots {
			l, err := tx.Lot(ml.lotID)
			if err != nil {
				return err
			}
			if l.Holder != ml.holder || int64(l.Remaining) != ml.remaining || l.Pending != ml.pending ||
				!l.Expires.Equal(ml.expires) {
				t.Fatalf("lot %d = %+v; model: holder %s, %d remaining, pending %v, expires %v", l.ID, l, ml.holder, ml.remaining, ml.pending, ml.expires)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
