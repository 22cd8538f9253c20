package referral_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/shopspring/decimal"
)

func twoSided() referral.Rules {
	return referral.Rules{
		MinOrder:          rubs("10000"),
		ConvertWithinDays: 30,
		ReturnDays:        14,
		ConversionEvents:  []string{"contract-signed"},
		ReferrerRewards:   []referral.Reward{referral.PointsReward(500), referral.CreditReward(rubs("1000"))},
		RefereeRewards:    []referral.Reward{referral.PromoReward("THANKS")},
		WelcomeRewards:    []referral.Reward{referral.DiscountReward(decimal.RequireFromString("0.3"))},
	}
}

func TestOrderConversion(t *testing.T) {
	svc, clock := setup(t, twoSided())
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	attribute(t, svc, "a1", "ACME", "new-co")

	tests := []struct {
		key     string
		order   loyalty.Order
		outcome referral.Outcome
	}{
		{"o0", mkOrder("o0", "new-co", "20000", t0.Add(-days(1))), referral.OutcomeBeforeAttribution},
		{"o1", mkOrder("o1", "new-co", "9999.99", t0.Add(days(1))), referral.OutcomeBelowMinimum},
		{"o2", mkOrder("o2", "new-co", "10000", t0.Add(days(2))), referral.OutcomeConverted},
		{"o3", mkOrder("o3", "new-co", "50000", t0.Add(days(3))), referral.OutcomeAlreadyConverted},
	}
	var conv referral.Result
	for _, tt := range tests {
		res := recordOrder(t, svc, tt.key, tt.order)
		if res.Outcome != tt.outcome || res.Reason == "" {
			t.Errorf("%s: outcome %q (%s), want %q", tt.order.ID, res.Outcome, res.Reason, tt.outcome)
		}
		if tt.outcome == referral.OutcomeConverted {
			conv = res
		} else if len(res.Grants) != 0 {
			t.Errorf("%s: grants %v from a non-converting order", tt.order.ID, res.Grants)
		}
	}
	r := conv.Referral
	if r.Status != referral.StatusPending || r.Order != "o2" || !r.Amount.Equal(rubs("10000")) || r.Orders != 3 {
		t.Errorf("referral after conversion = %+v", r)
	}
	if want := t0.Add(days(16)); !r.FinalAt.Equal(want) {
		t.Errorf("FinalAt = %v, want %v (placed + 14 days)", r.FinalAt, want)
	}
	want := []referral.Grant{
		{ID: "new-co/referrer/2", Side: referral.SideReferrer, Referrer: "account:acme", Referee: "new-co", Reward: referral.PointsReward(500), Status: referral.GrantPending, At: t0},
		{ID: "new-co/referrer/3", Side: referral.SideReferrer, Referrer: "account:acme", Referee: "new-co", Reward: referral.CreditReward(rubs("1000")), Status: referral.GrantPending, At: t0},
		{ID: "new-co/referee/4", Side: referral.SideReferee, Referrer: "account:acme", Referee: "new-co", Reward: referral.PromoReward("THANKS"), Status: referral.GrantPending, At: t0},
	}
	if diff := cmp.Diff(want, conv.Grants); diff != "" {
		t.Errorf("conversion grants (-want +got):\n%s", diff)
	}

	// Settle before the window closes does nothing; after, everything is final.
	clock.Set(t0.Add(days(16) - 1))
	if s, err := svc.Settle(ctx); err != nil || len(s.Finalized) != 0 {
		t.Fatalf("early Settle = %+v, %v", s, err)
	}
	clock.Set(t0.Add(days(16)))
	s, err := svc.Settle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]loyalty.AccountID{"new-co"}, s.Finalized); diff != "" {
		t.Errorf("finalized (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]referral.GrantStatus{"final", "final", "final"}, statuses(s.Grants)); diff != "" {
		t.Errorf("settled grants (-want +got):\n%s", diff)
	}
	if s, _ := svc.Settle(ctx); len(s.Finalized)+len(s.Grants) != 0 {
		t.Errorf("second Settle did something: %+v", s)
	}
	got, _ := svc.Referral(ctx, "new-co")
	if diff := cmp.Diff([]referral.GrantStatus{"final", "final", "final", "final"}, statuses(got.Grants)); got.Status != referral.StatusFinal || diff != "" {
		t.Errorf("final referral %s, grants (-want +got):\n%s", got.Status, diff)
	}
}

func TestConversionWindowCloses(t *testing.T) {
	svc, _ := setup(t, twoSided())
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	attribute(t, svc, "a1", "ACME", "new-co")
	res := recordOrder(t, svc, "o1", mkOrder("o1", "new-co", "20000", t0.Add(days(30))))
	if res.Outcome != referral.OutcomeWindowClosed {
		t.Errorf("outcome = %s, want window-closed", res.Outcome)
	}
	res = recordOrder(t, svc, "o2", mkOrder("o2", "new-co", "20000", t0.Add(days(30)-1)))
	if res.Outcome != referral.OutcomeConverted {
		t.Errorf("last moment: outcome = %s, want converted", res.Outcome)
	}
}

func TestCustomEventConvertsFinal(t *testing.T) {
	rules := twoSided()
	rules.Milestones = []referral.Milestone{{At: 1, Rewards: []referral.Reward{referral.PointsReward(7)}}}
	svc, _ := setup(t, rules)
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	attribute(t, svc, "a1", "ACME", "new-co")
	res, err := svc.RecordEvent(ctx, referral.ConversionEvent{Key: "e1", Account: "new-co", Name: "newsletter"})
	if err != nil || res.Outcome != referral.OutcomeNotConversionEvent {
		t.Fatalf("other event = %+v, %v", res, err)
	}
	res, err = svc.RecordEvent(ctx, referral.ConversionEvent{Key: "e2", Account: "new-co", Name: "contract-signed"})
	if err != nil || res.Outcome != referral.OutcomeConverted || res.Referral.Status != referral.StatusFinal {
		t.Fatalf("conversion event = %+v, %v", res, err)
	}
	// Three conversion grants final, then the milestone.
	if diff := cmp.Diff([]referral.GrantStatus{"final", "final", "final", "final"}, statuses(res.Grants)); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
	if last := res.Grants[len(res.Grants)-1]; last.ID != "account:acme/milestone/1/0" || last.Reward.Points != 7 {
		t.Errorf("milestone grant = %+v", last)
	}
	if _, err := svc.RecordEvent(ctx, referral.ConversionEvent{Key: "e3", Account: "stranger", Name: "contract-signed"}); !errors.Is(err, referral.ErrUnknownReferee) || !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("event of an unknown referee = %v", err)
	}
}

func TestReturns(t *testing.T) {
	type ret struct {
		order   loyalty.OrderID
		amount  string
		day     int
		outcome referral.Outcome
	}
	tests := []struct {
		name    string
		returns []ret
		status  referral.Status
		grants  []referral.GrantStatus // referrer and referee conversion grants
	}{
		{"full return inside the window", []ret{{"o1", "12000", 5, referral.OutcomeCancelled}},
			referral.StatusCancelled, []referral.GrantStatus{"cancelled", "cancelled", "cancelled"}},
		{"partial return keeping the minimum", []ret{{"o1", "2000", 5, referral.OutcomeKept}},
			referral.StatusPending, []referral.GrantStatus{"pending", "pending", "pending"}},
		{"partial returns falling below the minimum", []ret{{"o1", "2000", 5, referral.OutcomeKept}, {"o1", "0.01", 6, referral.OutcomeCancelled}, {"o1", "1", 7, referral.OutcomeAlreadyCancelled}},
			referral.StatusCancelled, []referral.GrantStatus{"cancelled", "cancelled", "cancelled"}},
		{"return after the window", []ret{{"o1", "12000", 15, referral.OutcomeFinal}},
			referral.StatusFinal, []referral.GrantStatus{"final", "final", "final"}},
		{"return of the last moment", []ret{{"o1", "12000", 14, referral.OutcomeFinal}},
			referral.StatusFinal, []referral.GrantStatus{"final", "final", "final"}},
		{"return of another order", []ret{{"o0", "500", 5, referral.OutcomeOtherOrder}},
			referral.StatusPending, []referral.GrantStatus{"pending", "pending", "pending"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, clock := setup(t, twoSided())
			register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
			attribute(t, svc, "a1", "ACME", "new-co")
			recordOrder(t, svc, "o1", mkOrder("o1", "new-co", "12000", t0))
			for i, r := range tt.returns {
				clock.Set(t0.Add(days(r.day)))
				res, err := svc.RecordReturn(ctx, referral.ReturnEvent{Key: loyalty.IdempotencyKey("r" + string(rune('0'+i))), Account: "new-co", Order: r.order, Amount: rubs(r.amount)})
				if err != nil {
					t.Fatalf("return %d: %v", i, err)
				}
				if res.Outcome != r.outcome || res.Reason == "" {
					t.Errorf("return %d: outcome %s (%s), want %s", i, res.Outcome, res.Reason, r.outcome)
				}
			}
			got, _ := svc.Referral(ctx, "new-co")
			if got.Status != tt.status {
				t.Errorf("status = %s, want %s", got.Status, tt.status)
			}
			// grants[0] is the welcome discount: granted at attribution, never taken back.
			if diff := cmp.Diff(append([]referral.GrantStatus{"final"}, tt.grants...), statuses(got.Grants)); diff != "" {
				t.Errorf("grants (-want +got):\n%s", diff)
			}
			// A cancelled referral never converts again.
			res := recordOrder(t, svc, "o9", mkOrder("o9", "new-co", "90000", t0.Add(days(20))))
			if res.Outcome == referral.OutcomeConverted || len(res.Grants) != 0 {
				t.Errorf("later order: %s with %v", res.Outcome, res.Grants)
			}
		})
	}
}

func TestReturnErrors(t *testing.T) {
	svc, _ := setup(t, twoSided())
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	attribute(t, svc, "a1", "ACME", "new-co")
	recordOrder(t, svc, "o1", mkOrder("o1", "new-co", "12000", t0))
	tests := []struct {
		name string
		ev   referral.ReturnEvent
		want error
		text string
	}{
		{"more than bought", referral.ReturnEvent{Key: "r", Account: "new-co", Order: "o1", Amount: rubs("12000.01")}, loyalty.ErrInvalid, "amount: exceeds the 12000.00 RUB still returnable"},
		{"zero amount", referral.ReturnEvent{Key: "r", Account: "new-co", Order: "o1", Amount: rubs("0")}, loyalty.ErrInvalid, "amount: must be a positive amount"},
		{"missing key", referral.ReturnEvent{Account: "new-co", Order: "o1", Amount: rubs("1")}, loyalty.ErrInvalid, "key: is required"},
		{"other currency", referral.ReturnEvent{Key: "r", Account: "new-co", Order: "o1", Amount: loyalty.MustMoney("1", "EUR")}, loyalty.ErrCurrencyMismatch, "EUR"},
		{"unknown referee", referral.ReturnEvent{Key: "r", Account: "stranger", Order: "o1", Amount: rubs("1")}, referral.ErrUnknownReferee, "stranger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.RecordReturn(ctx, tt.ev)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("RecordReturn = %v, want %v containing %q", err, tt.want, tt.text)
			}
		})
	}
	got, _ := svc.Referral(ctx, "new-co")
	if got.Status != referral.StatusPending || !got.Returned.IsZero() {
		t.Errorf("failed returns changed the referral: %+v", got)
	}
}

func TestOrderErrors(t *testing.T) {
	svc, _ := setup(t, twoSided())
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	attribute(t, svc, "a1", "ACME", "new-co")
	bad := mkOrder("o1", "new-co", "100", t0)
	bad.Lines[0].Quantity = loyalty.MustQuantity("-1")
	eur := mkOrder("o2", "new-co", "100", t0)
	eur.Currency = loyalty.MustCurrency("EUR")
	eur.Lines[0].UnitPrice = loyalty.MustPrice("100", "EUR")
	tests := []struct {
		name string
		ev   referral.OrderEvent
		want error
		text string
	}{
		{"invalid order", referral.OrderEvent{Key: "k", Order: bad}, loyalty.ErrInvalid, "order.lines[0].quantity: must be positive"},
		{"missing key", referral.OrderEvent{Order: mkOrder("o1", "new-co", "1", t0)}, loyalty.ErrInvalid, "key: is required"},
		{"unknown referee", referral.OrderEvent{Key: "k", Order: mkOrder("o1", "stranger", "1", t0)}, referral.ErrUnknownReferee, "stranger"},
		{"currency other than the minimum's", referral.OrderEvent{Key: "k", Order: eur}, loyalty.ErrCurrencyMismatch, "EUR"},
		{"amount in another currency", referral.OrderEvent{Key: "k", Order: mkOrder("o1", "new-co", "1", t0), Amount: loyalty.MustMoney("1", "EUR")}, loyalty.ErrInvalid, "amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.RecordOrder(ctx, tt.ev)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("RecordOrder = %v, want %v containing %q", err, tt.want, tt.text)
			}
		})
	}
	if got, _ := svc.Referral(ctx, "new-co"); got.Orders != 0 {
		t.Errorf("failed orders were counted: %d", got.Orders)
	}
}

func TestIdempotency(t *testing.T) {
	svc, _ := setup(t, twoSided())
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	first := attribute(t, svc, "a1", "ACME", "new-co")
	again, err := svc.Attribute(ctx, referral.Attribution{Key: "a1", Code: "acme", Referee: "new-co"})
	if err != nil || !again.Replayed {
		t.Fatalf("retry = %+v, %v; want a replay", again, err)
	}
	again.Replayed = false
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("replayed result differs (-first +replay):\n%s", diff)
	}
	if _, err := svc.Attribute(ctx, referral.Attribution{Key: "a1", Code: "ACME", Referee: "other-co"}); !errors.Is(err, referral.ErrKeyReused) || !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("key reused with another payload = %v", err)
	}
	o := mkOrder("o1", "new-co", "12000", t0)
	conv := recordOrder(t, svc, "o1", o)
	for range 3 {
		res := recordOrder(t, svc, "o1", o)
		res.Replayed = !res.Replayed
		if diff := cmp.Diff(conv, res); diff != "" {
			t.Errorf("order retry (-first +replay):\n%s", diff)
		}
	}
	// The same order under another key converts nothing more.
	if res := recordOrder(t, svc, "o1-resent", o); res.Outcome != referral.OutcomeAlreadyConverted || len(res.Grants) != 0 {
		t.Errorf("resent order = %s, %v", res.Outcome, res.Grants)
	}
	if _, err := svc.RecordReturn(ctx, referral.ReturnEvent{Key: "o1", Account: "new-co", Order: "o1", Amount: rubs("1")}); !errors.Is(err, referral.ErrKeyReused) {
		t.Errorf("order key reused for a return = %v", err)
	}
	ret := referral.ReturnEvent{Key: "r1", Account: "new-co", Order: "o1", Amount: rubs("12000")}
	r1, err := svc.RecordReturn(ctx, ret)
	if err != nil || r1.Outcome != referral.OutcomeCancelled {
		t.Fatalf("return = %+v, %v", r1, err)
	}
	r2, err := svc.RecordReturn(ctx, ret)
	if err != nil || !r2.Replayed || r2.Outcome != referral.OutcomeCancelled {
		t.Errorf("return retry = %+v, %v", r2, err)
	}
}

func TestRegister(t *testing.T) {
	svc, _ := setup(t, referral.Rules{})
	acme := referral.AccountReferrer("acme")
	p := register(t, svc, acme, "", referral.Identity{Emails: []string{"A@acme.example"}})
	if len(p.Code) != 8 || strings.Trim(p.Code, referral.CodeAlphabet) != "" {
		t.Errorf("generated code %q is not 8 characters of the alphabet", p.Code)
	}
	q := register(t, svc, acme, "", referral.Identity{TaxIDs: []string{"123"}})
	if q.Code != p.Code {
		t.Errorf("code changed on re-registration: %s → %s", p.Code, q.Code)
	}
	if diff := cmp.Diff(referral.Identity{Emails: []string{"a@acme.example"}, TaxIDs: []string{"123"}}, q.Identity); diff != "" {
		t.Errorf("merged identity (-want +got):\n%s", diff)
	}
	got, err := svc.Lookup(ctx, strings.ToLower(p.Code[:4])+"-"+p.Code[4:])
	if err != nil || got.Referrer != acme {
		t.Errorf("Lookup = %+v, %v", got, err)
	}

	v := register(t, svc, referral.BuyerReferrer("acme", "ivan"), "ivan 2024", referral.Identity{})
	if v.Code != "IVAN2024" {
		t.Errorf("vanity code = %q", v.Code)
	}
	// Cyrillic І, В, А look like Latin letters: the same code.
	if got, err := svc.Lookup(ctx, "ІВАN-2024"); err == nil {
		t.Errorf("Lookup of a Cyrillic spelling found %+v; В maps to B, so it is another code", got)
	}
	if got, err := svc.Lookup(ctx, "ІVАN-2024"); err != nil || got.Code != "IVAN2024" {
		t.Errorf("Lookup of a look-alike spelling = %+v, %v", got, err)
	}
	tests := []struct {
		name string
		reg  referral.Registration
		want error
	}{
		{"code held by another", referral.Registration{Referrer: referral.AccountReferrer("globex"), Code: "IVAN-2024"}, referral.ErrCodeTaken},
		{"another code for a registered referrer", referral.Registration{Referrer: acme, Code: "ACME"}, referral.ErrCodeTaken},
		{"buyer without company", referral.Registration{Referrer: referral.Referrer{Kind: referral.KindBuyer, Buyer: "x"}}, loyalty.ErrInvalid},
		{"unknown kind", referral.Registration{Referrer: referral.Referrer{Kind: "friend", Account: "x"}}, loyalty.ErrInvalid},
		{"bad code", referral.Registration{Referrer: referral.AccountReferrer("x"), Code: "ÿ"}, loyalty.ErrInvalid},
		{"buyer re-registered under another company", referral.Registration{Referrer: referral.BuyerReferrer("globex", "ivan")}, loyalty.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.Register(ctx, tt.reg); !errors.Is(err, tt.want) {
				t.Errorf("Register = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := svc.Lookup(ctx, "ZZZZ9999"); !errors.Is(err, referral.ErrUnknownCode) || !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Lookup of an unknown code = %v", err)
	}
	if _, err := svc.Lookup(ctx, " - "); !errors.Is(err, loyalty.ErrInvalid) || !errors.Is(err, loyalty.ErrCodeEmpty) {
		t.Errorf("Lookup of an empty code = %v", err)
	}
}

// repeatReader returns the same bytes forever: every generated code is the same.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestGeneratedCodesNeverCollide(t *testing.T) {
	svc, err := referral.New(referral.Config{Store: referral.NewMemoryStore(), Random: repeatReader(3)})
	if err != nil {
		t.Fatal(err)
	}
	p := register(t, svc, referral.AccountReferrer("a"), "", referral.Identity{})
	if p.Code != strings.Repeat(string(referral.CodeAlphabet[3]), 8) {
		t.Errorf("code = %s", p.Code)
	}
	if _, err := svc.Register(ctx, referral.Registration{Referrer: referral.AccountReferrer("b")}); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("second registration with a stuck random source = %v, want a conflict, not a duplicate code", err)
	}
	// A vanity code equal to a generated one is refused as well.
	if _, err := svc.Register(ctx, referral.Registration{Referrer: referral.AccountReferrer("c"), Code: p.Code}); !errors.Is(err, referral.ErrCodeTaken) {
		t.Errorf("vanity copy of a generated code = %v", err)
	}
}

// The same request with its times written in another zone is a retry, not a new payload.
func TestRetryInAnotherZone(t *testing.T) {
	svc, _ := setup(t, twoSided())
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	moscow := time.FixedZone("MSK", 3*3600)
	a := referral.Attribution{Key: "a1", Code: "ACME", Referee: "new-co", At: t0}
	attribute(t, svc, "a0", "ACME", "other-co")
	if _, err := svc.Attribute(ctx, a); err != nil {
		t.Fatal(err)
	}
	a.At = t0.In(moscow)
	if res, err := svc.Attribute(ctx, a); err != nil || !res.Replayed {
		t.Errorf("attribution retried in another zone = %v, %v", res.Replayed, err)
	}
	o := mkOrder("o1", "new-co", "12000", t0)
	recordOrder(t, svc, "o1", o)
	o.PlacedAt = t0.In(moscow)
	if res := recordOrder(t, svc, "o1", o); !res.Replayed {
		t.Errorf("order retried in another zone was not a replay: %+v", res)
	}
}

// Settle works through any number of due conversions, batch by batch, oldest first.
func TestSettleManyInBatches(t *testing.T) {
	svc, clock := setup(t, twoSided())
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	const n = 250
	var want []loyalty.AccountID
	for i := range n {
		a := loyalty.AccountID(fmt.Sprintf("r%03d", n-1-i)) // placed in reverse name order
		attribute(t, svc, "a"+string(a), "ACME", a)
		recordOrder(t, svc, "o"+string(a), mkOrder(loyalty.OrderID("o"+a), a, "10000", t0.Add(time.Duration(i)*time.Minute)))
		want = append(want, a)
	}
	clock.Set(t0.Add(days(15)))
	s, err := svc.Settle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, s.Finalized); diff != "" {
		t.Errorf("finalized (-want +got):\n%s", diff)
	}
	if len(s.Grants) != 3*n {
		t.Errorf("%d grants made final, want %d", len(s.Grants), 3*n)
	}
	rep, _ := svc.Report(ctx, referral.AccountReferrer("acme"))
	if rep.Converted != n || rep.Granted.Points != 500*n {
		t.Errorf("report after settling: %d converted, %d points", rep.Converted, rep.Granted.Points)
	}
}

func TestExplain(t *testing.T) {
	rules := twoSided()
	rules.Attribution = referral.LastWithinWindow
	svc, clock := setup(t, rules)
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	register(t, svc, referral.AccountReferrer("globex"), "GLOBEX", referral.Identity{})
	attribute(t, svc, "a1", "ACME", "new-co")
	r, _ := svc.Referral(ctx, "new-co")
	if got := r.Explain(); !strings.Contains(got, "It has not converted; it can until 2026-02-04.") {
		t.Errorf("open referral:\n%s", got)
	}
	clock.Advance(days(1))
	attribute(t, svc, "a2", "GLOBEX", "new-co")
	recordOrder(t, svc, "o1", mkOrder("o1", "new-co", "12000", clock.Now()))
	res, err := svc.RecordReturn(ctx, referral.ReturnEvent{Key: "r1", Account: "new-co", Order: "o1", Amount: rubs("12000")})
	if err != nil {
		t.Fatal(err)
	}
	want := `Account new-co was referred by account globex with code GLOBEX on 2026-01-06.
It was first referred by account:acme, and taken over.
It converted by order o1 of 12000.00 RUB on 2026-01-06.
The conversion was cancelled on 2026-01-06: order o1 was returned inside its return window (0.00 RUB kept).
- 30% discount to the referee: final (welcome)
- 500 points to the referrer: cancelled
- credit of 1000.00 RUB to the referrer: cancelled
- promo code of family THANKS to the referee: cancelled`
	if diff := cmp.Diff(want, res.Referral.Explain()); diff != "" {
		t.Errorf("Explain (-want +got):\n%s", diff)
	}
}
