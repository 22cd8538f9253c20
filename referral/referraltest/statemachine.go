package referraltest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// The state machine's program: two-sided, a minimum order, a return window, milestones
// every second final conversion, and monthly caps.
func smRules() referral.Rules {
	return referral.Rules{
		MinOrder:          loyalty.MustMoney("1000", "RUB"),
		ConvertWithinDays: 30,
		ReturnDays:        10,
		ConversionEvents:  []string{"signed"},
		ReferrerRewards:   []referral.Reward{referral.PointsReward(100)},
		RefereeRewards:    []referral.Reward{referral.PromoReward("THANKS")},
		WelcomeRewards:    []referral.Reward{referral.DiscountReward(decimal.RequireFromString("0.3"))},
		Milestones:        []referral.Milestone{{Every: 2, Rewards: []referral.Reward{referral.PointsReward(10)}}},
		Caps:              []referral.Cap{{Period: loyalty.Month, MaxConversions: 3, MaxPoints: 150}},
	}
}

const (
	smMaxConversions = 3
	smMaxPoints      = 150
	smMinOrder       = 100000 // minor units of 1000 RUB
	smConvertDays    = 30
	smReturnDays     = 10
	smMilestoneEvery = 2
	smWindowDays     = 10 // attribution window of LastWithinWindow
)

var smReferrers = map[string]referral.Referrer{
	"CODEA0": referral.AccountReferrer("a0"),
	"CODEA1": referral.AccountReferrer("a1"),
	"CODEA2": referral.AccountReferrer("a2"),
	"CODEB0": referral.BuyerReferrer("a0", "b0"),
	"CODEP0": referral.PartnerReferrer("p0", ""),
}

var (
	smCodes    = []string{"CODEA0", "CODEA1", "CODEA2", "CODEB0", "CODEP0"}
	smAccounts = []loyalty.AccountID{"a0", "a1", "a2", "a3", "a4", "a5"}
	smAmounts  = []string{"500", "1000", "3000"}
	smReturns  = []string{"100", "1000", "2500", "3000"}
)

// mref is the model of one referral.
type mref struct {
	code      string
	firstAt   time.Time
	account   loyalty.AccountID // the referrer's account, if any
	status    referral.Status
	convertBy time.Time
	order     loyalty.OrderID
	amount    int64
	returned  int64
	finalAt   time.Time
	orders    int
}

// request is a successful request, kept to be retried.
type request struct {
	name  string
	key   loyalty.IdempotencyKey
	do    func() (any, bool, error) // result, replayed, error
	first any
}

type machine struct {
	svc         *referral.Service
	clock       *loyalty.ManualClock
	refs        map[loyalty.AccountID]*mref
	conversions map[loyalty.AccountID]int
	grants      map[string]referral.Grant // last seen state of every grant
	history     []request
	seq         int
	last        bool           // LastWithinWindow attribution
	superseded  map[string]int // take-overs from each code
}

func runStateMachine(t *testing.T, newStore func(t *testing.T) referral.Store) {
	rapid.Check(t, func(rt *rapid.T) {
		clock := loyalty.NewManualClock(t0)
		rules := smRules()
		last := rapid.Bool().Draw(rt, "lastWithinWindow")
		if last {
			rules.Attribution = referral.LastWithinWindow
			rules.AttributionWindowDays = smWindowDays
		}
		svc, err := referral.New(referral.Config{Rules: rules, Store: newStore(t), Clock: clock})
		if err != nil {
			rt.Fatal(err)
		}
		for _, code := range smCodes {
			if _, err := svc.Register(bg, referral.Registration{Referrer: smReferrers[code], Code: code}); err != nil {
				rt.Fatal(err)
			}
		}
		m := &machine{svc: svc, clock: clock, refs: map[loyalty.AccountID]*mref{},
			conversions: map[loyalty.AccountID]int{}, grants: map[string]referral.Grant{},
			last: last, superseded: map[string]int{}}
		rt.Repeat(map[string]func(*rapid.T){
			"":          m.check,
			"attribute": m.attribute,
			"order":     m.order,
			"return":    m.ret,
			"event":     m.event,
			"advance":   m.advance,
			"settle":    m.settle,
			"retry":     m.retry,
			"reuseKey":  m.reuseKey,
		})
	})
}

func (m *machine) key() loyalty.IdempotencyKey {
	m.seq++
	return loyalty.IdempotencyKey(fmt.Sprintf("k%d", m.seq))
}

func (m *machine) now() time.Time { return m.clock.Now() }

func (m *machine) remember(name string, key loyalty.IdempotencyKey, first any, do func() (any, bool, error)) {
	m.history = append(m.history, request{name: name, key: key, do: do, first: first})
}

// wantAttribute predicts the error of attributing referee to code's referrer.
func (m *machine) wantAttribute(referee loyalty.AccountID, code string) error {
	ref := smReferrers[code]
	if ref.Account == referee {
		return referral.ErrSelfReferral
	}
	if cur := m.refs[referee]; cur != nil {
		switch {
		case cur.status != referral.StatusAttributed, !m.last, cur.code == code:
			return referral.ErrAlreadyAttributed
		case cur.orders > 0:
			return referral.ErrAlreadyCustomer
		case !m.now().Before(cur.firstAt.AddDate(0, 0, smWindowDays)):
			return referral.ErrAlreadyAttributed
		}
	}
	seen := map[loyalty.AccountID]bool{}
	for cur := ref.Account; cur != "" && !seen[cur]; {
		seen[cur] = true
		r := m.refs[cur]
		if r == nil {
			break
		}
		if r.account == referee {
			return referral.ErrCycle
		}
		cur = r.account
	}
	return nil
}

func (m *machine) attribute(t *rapid.T) {
	referee := rapid.SampledFrom(smAccounts).Draw(t, "referee")
	code := rapid.SampledFrom(smCodes).Draw(t, "code")
	a := referral.Attribution{Key: m.key(), Code: code, Referee: referee}
	res, err := m.svc.Attribute(bg, a)
	want := m.wantAttribute(referee, code)
	if want != nil {
		if !errors.Is(err, want) {
			t.Fatalf("Attribute(%s, %s) = %v, want %v", referee, code, err, want)
		}
		return
	}
	if err != nil {
		t.Fatalf("Attribute(%s, %s) = %v, want success", referee, code, err)
	}
	first := m.now()
	if cur := m.refs[referee]; cur != nil {
		first = cur.firstAt
		m.superseded[cur.code]++
		if res.TookOver != smReferrers[cur.code].ID() {
			t.Fatalf("take-over of %s reports %q, want %s", referee, res.TookOver, smReferrers[cur.code].ID())
		}
	}
	m.refs[referee] = &mref{code: code, firstAt: first, account: smReferrers[code].Account, status: referral.StatusAttributed,
		convertBy: m.now().AddDate(0, 0, smConvertDays)}
	m.remember("attribute", a.Key, res, func() (any, bool, error) {
		r, err := m.svc.Attribute(bg, a)
		return r, r.Replayed, err
	})
}

func (m *machine) order(t *rapid.T) {
	referee := rapid.SampledFrom(smAccounts).Draw(t, "referee")
	amount := rapid.SampledFrom(smAmounts).Draw(t, "amount")
	id := loyalty.OrderID(fmt.Sprintf("o%d", m.seq+1))
	o := loyalty.Order{ID: id, Account: referee, Currency: loyalty.MustCurrency("RUB"), PlacedAt: m.now(),
		Lines: []loyalty.Line{{SKU: "s", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice(amount, "RUB")}}}
	ev := referral.OrderEvent{Key: m.key(), Order: o}
	res, err := m.svc.RecordOrder(bg, ev)
	r := m.refs[referee]
	if r == nil {
		if !errors.Is(err, referral.ErrUnknownReferee) {
			t.Fatalf("order of unreferred %s = %v, want ErrUnknownReferee", referee, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("RecordOrder(%s) = %v", referee, err)
	}
	r.orders++
	units := loyalty.MustMoney(amount, "RUB").MinorUnits()
	var want referral.Outcome
	switch {
	case r.status != referral.StatusAttributed:
		want = referral.OutcomeAlreadyConverted
	case !m.now().Before(r.convertBy):
		want = referral.OutcomeWindowClosed
	case units < smMinOrder:
		want = referral.OutcomeBelowMinimum
	default:
		want = referral.OutcomeConverted
		r.status, r.order, r.amount, r.returned = referral.StatusPending, id, units, 0
		r.finalAt = m.now().AddDate(0, 0, smReturnDays)
		m.conversions[referee]++
	}
	if res.Outcome != want {
		t.Fatalf("order %s of %s for %s: outcome %s (%s), want %s", id, amount, referee, res.Outcome, res.Reason, want)
	}
	m.remember("order", ev.Key, res, func() (any, bool, error) {
		r, err := m.svc.RecordOrder(bg, ev)
		return r, r.Replayed, err
	})
}

func (m *machine) ret(t *rapid.T) {
	referee := rapid.SampledFrom(smAccounts).Draw(t, "referee")
	amount := rapid.SampledFrom(smReturns).Draw(t, "amount")
	r := m.refs[referee]
	order := loyalty.OrderID("other")
	if r != nil && r.order != "" && rapid.IntRange(0, 3).Draw(t, "which") > 0 {
		order = r.order
	}
	ev := referral.ReturnEvent{Key: m.key(), Account: referee, Order: order, Amount: loyalty.MustMoney(amount, "RUB")}
	res, err := m.svc.RecordReturn(bg, ev)
	if r == nil {
		if !errors.Is(err, referral.ErrUnknownReferee) {
			t.Fatalf("return of unreferred %s = %v, want ErrUnknownReferee", referee, err)
		}
		return
	}
	units := loyalty.MustMoney(amount, "RUB").MinorUnits()
	var want referral.Outcome
	switch {
	case order != r.order:
		want = referral.OutcomeOtherOrder
	case r.status == referral.StatusCancelled:
		want = referral.OutcomeAlreadyCancelled
	case r.status == referral.StatusFinal:
		want = referral.OutcomeFinal
	case !m.now().Before(r.finalAt):
		want = referral.OutcomeFinal
		r.status = referral.StatusFinal
	case r.returned+units > r.amount:
		if !errors.Is(err, loyalty.ErrInvalid) {
			t.Fatalf("return of %s beyond what was bought = %v, want ErrInvalid", amount, err)
		}
		return
	default:
		r.returned += units
		if kept := r.amount - r.returned; kept > 0 && kept >= smMinOrder {
			want = referral.OutcomeKept
		} else {
			want = referral.OutcomeCancelled
			r.status = referral.StatusCancelled
		}
	}
	if err != nil {
		t.Fatalf("RecordReturn(%s, %s) = %v", referee, order, err)
	}
	if res.Outcome != want {
		t.Fatalf("return of %s from %s of %s: outcome %s (%s), want %s", amount, order, referee, res.Outcome, res.Reason, want)
	}
	m.remember("return", ev.Key, res, func() (any, bool, error) {
		r, err := m.svc.RecordReturn(bg, ev)
		return r, r.Replayed, err
	})
}

func (m *machine) event(t *rapid.T) {
	referee := rapid.SampledFrom(smAccounts).Draw(t, "referee")
	name := rapid.SampledFrom([]string{"signed", "visited"}).Draw(t, "name")
	ev := referral.ConversionEvent{Key: m.key(), Account: referee, Name: name}
	res, err := m.svc.RecordEvent(bg, ev)
	r := m.refs[referee]
	if r == nil {
		if !errors.Is(err, referral.ErrUnknownReferee) {
			t.Fatalf("event of unreferred %s = %v, want ErrUnknownReferee", referee, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("RecordEvent(%s) = %v", referee, err)
	}
	var want referral.Outcome
	switch {
	case name != "signed":
		want = referral.OutcomeNotConversionEvent
	case r.status != referral.StatusAttributed:
		want = referral.OutcomeAlreadyConverted
	case !m.now().Before(r.convertBy):
		want = referral.OutcomeWindowClosed
	default:
		want = referral.OutcomeConverted
		r.status = referral.StatusFinal
		m.conversions[referee]++
	}
	if res.Outcome != want {
		t.Fatalf("event %s of %s: outcome %s (%s), want %s", name, referee, res.Outcome, res.Reason, want)
	}
	m.remember("event", ev.Key, res, func() (any, bool, error) {
		r, err := m.svc.RecordEvent(bg, ev)
		return r, r.Replayed, err
	})
}

func (m *machine) advance(t *rapid.T) {
	hours := rapid.IntRange(1, 12*24).Draw(t, "hours")
	m.clock.Advance(time.Duration(hours) * time.Hour)
}

func (m *machine) settle(t *rapid.T) {
	res, err := m.svc.Settle(bg)
	if err != nil {
		t.Fatalf("Settle: %v", err)
	}
	var want []loyalty.AccountID
	for _, a := range smAccounts {
		if r := m.refs[a]; r != nil && r.status == referral.StatusPending && !r.finalAt.After(m.now()) {
			want = append(want, a)
			r.status = referral.StatusFinal
		}
	}
	got := slices.Clone(res.Finalized)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Settle finalized (-want +got):\n%s", diff)
	}
}

func (m *machine) retry(t *rapid.T) {
	if len(m.history) == 0 {
		t.Skip("nothing to retry")
	}
	req := rapid.SampledFrom(m.history).Draw(t, "request")
	got, replayed, err := req.do()
	if err != nil || !replayed {
		t.Fatalf("retry of %s: replayed %v, %v", req.name, replayed, err)
	}
	if diff := cmp.Diff(req.first, got, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Replayed"
	}, cmp.Ignore())); diff != "" {
		t.Fatalf("retry of %s returned another result (-first +retry):\n%s", req.name, diff)
	}
}

func (m *machine) reuseKey(t *rapid.T) {
	if len(m.history) == 0 {
		t.Skip("no key used yet")
	}
	req := rapid.SampledFrom(m.history).Draw(t, "request")
	_, err := m.svc.Attribute(bg, referral.Attribution{Key: req.key, Code: "CODEP0", Referee: "never-referred"})
	if !errors.Is(err, referral.ErrKeyReused) || !errors.Is(err, loyalty.ErrConflict) {
		t.Fatalf("key %s of a %s reused with another payload = %v, want ErrKeyReused", req.key, req.name, err)
	}
}

// check compares the store with the model and checks the invariants.
func (m *machine) check(t *rapid.T) {
	type usage struct {
		referrer referral.ReferrerID
		month    time.Time
	}
	points := map[usage]int64{}
	conversions := map[usage]int{}
	finals := map[referral.ReferrerID]int{}
	attributed := map[referral.ReferrerID]int{}
	milestones := map[referral.ReferrerID]int{}
	seen := map[string]bool{}
	month := func(at time.Time) time.Time { return loyalty.Month.Start(at.In(time.UTC)) }

	checkGrant := func(g referral.Grant) {
		if seen[g.ID] {
			t.Fatalf("grant ID %s appears twice", g.ID)
		}
		seen[g.ID] = true
		if old, ok := m.grants[g.ID]; ok {
			if diff := cmp.Diff(old.Reward, g.Reward); diff != "" || old.Side != g.Side || old.Referrer != g.Referrer {
				t.Fatalf("grant %s changed (-old +new):\n%s", g.ID, diff)
			}
			if old.Status != g.Status && old.Status != referral.GrantPending {
				t.Fatalf("grant %s went from %s to %s", g.ID, old.Status, g.Status)
			}
		}
		m.grants[g.ID] = g
		if g.Side == referral.SideReferrer && g.Reward.Kind == referral.RewardPoints &&
			(g.Status == referral.GrantPending || g.Status == referral.GrantFinal) {
			points[usage{g.Referrer, month(g.At)}] += g.Reward.Points
		}
	}
	for _, a := range smAccounts {
		if m.conversions[a] > 1 {
			t.Fatalf("%s converted %d times", a, m.conversions[a])
		}
		got, err := m.svc.Referral(bg, a)
		want := m.refs[a]
		if want == nil {
			if !errors.Is(err, referral.ErrUnknownReferee) {
				t.Fatalf("Referral(%s) = %+v, %v; want ErrUnknownReferee", a, got, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Referral(%s): %v", a, err)
		}
		if got.Status != want.status || got.Code != want.code || got.Order != want.order || got.Orders != want.orders {
			t.Fatalf("referral of %s = %s by %s, order %q, %d orders; model: %s by %s, order %q, %d orders",
				a, got.Status, got.Code, got.Order, got.Orders, want.status, want.code, want.order, want.orders)
		}
		rid := got.Referrer.ID()
		attributed[rid]++
		if got.Status == referral.StatusFinal {
			finals[rid]++
		}
		if !got.CountedAt.IsZero() && got.Status != referral.StatusCancelled {
			conversions[usage{rid, month(got.CountedAt)}]++
		}
		for _, g := range got.Grants {
			checkGrant(g)
			welcome := g.Note == "welcome"
			if g.Milestone > 0 {
				milestones[g.Referrer]++
			}
			switch {
			case g.Milestone > 0 && (got.Status != referral.StatusFinal || g.Status == referral.GrantPending):
				t.Fatalf("milestone grant %s is %s on a %s referral", g.ID, g.Status, got.Status)
			case welcome && g.Status != referral.GrantFinal:
				t.Fatalf("welcome grant %s is %s", g.ID, g.Status)
			case welcome:
			case got.Status == referral.StatusAttributed:
				t.Fatalf("unconverted referral of %s has grant %+v", a, g)
			case got.Status == referral.StatusCancelled && (g.Status == referral.GrantFinal || g.Status == referral.GrantPending):
				t.Fatalf("cancelled referral of %s grants %+v", a, g)
			case got.Status == referral.StatusPending && g.Status == referral.GrantFinal:
				t.Fatalf("pending referral of %s has a final grant %+v", a, g)
			case got.Status == referral.StatusFinal && g.Status == referral.GrantPending:
				t.Fatalf("final referral of %s has a pending grant %+v", a, g)
			}
		}
	}
	for _, code := range smCodes {
		ref := smReferrers[code]
		p, err := m.svc.Profile(bg, ref)
		if err != nil {
			t.Fatalf("Profile(%s): %v", ref, err)
		}
		if p.Finalized != finals[ref.ID()] {
			t.Fatalf("%s: profile counts %d final conversions, store has %d", ref, p.Finalized, finals[ref.ID()])
		}
		if n := milestones[ref.ID()]; n != p.Finalized/smMilestoneEvery {
			t.Fatalf("%s: %d milestone grants for %d final conversions", ref, n, p.Finalized)
		}
		rep, err := m.svc.Report(bg, ref)
		if err != nil {
			t.Fatalf("Report(%s): %v", ref, err)
		}
		if rep.Superseded != m.superseded[code] {
			t.Fatalf("%s: %d referees taken over, model %d", ref, rep.Superseded, m.superseded[code])
		}
		if rep.Attributed != attributed[ref.ID()] || rep.Open+rep.Expired+rep.Pending+rep.Converted+rep.Cancelled != rep.Attributed || rep.Converted != finals[ref.ID()] {
			t.Fatalf("report of %s = %+v; store: %d attributed, %d final", ref, rep, attributed[ref.ID()], finals[ref.ID()])
		}
	}
	for u, n := range points {
		if n > smMaxPoints {
			t.Fatalf("%s earned %d points in %s, cap %d", u.referrer, n, u.month.Format("2006-01"), smMaxPoints)
		}
	}
	for u, n := range conversions {
		if n > smMaxConversions {
			t.Fatalf("%s had %d rewarded conversions in %s, cap %d", u.referrer, n, u.month.Format("2006-01"), smMaxConversions)
		}
	}
}
