package referral_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
)

func TestAttributeGuards(t *testing.T) {
	type step struct {
		code    string
		referee loyalty.AccountID
	}
	tests := []struct {
		name   string
		rules  referral.Rules
		before []step // successful attributions first
		req    referral.Attribution
		want   error
		reason referral.Reason
	}{
		{name: "valid referral of another company", req: referral.Attribution{Code: "ACME", Referee: "new-co"}},
		{name: "account refers itself", req: referral.Attribution{Code: "ACME", Referee: "acme"},
			want: referral.ErrSelfReferral, reason: referral.ReasonSameAccount},
		{name: "buyer refers its own company", req: referral.Attribution{Code: "IVAN", Referee: "acme"},
			want: referral.ErrSelfReferral, reason: referral.ReasonSameCompany},
		{name: "buyer refers itself under another account", req: referral.Attribution{Code: "IVAN", Referee: "ivan-llc", Buyer: "ivan"},
			want: referral.ErrSelfReferral, reason: referral.ReasonSameBuyer},
		{name: "buyer refers a colleague's new company", req: referral.Attribution{Code: "IVAN", Referee: "other-co", Buyer: "petr"}},
		{name: "referee's buyer is a colleague of the referring buyer", req: referral.Attribution{Code: "IVAN", Referee: "side-co", Buyer: "olga"},
			want: referral.ErrSelfReferral, reason: referral.ReasonSameCompany},
		{name: "referee's buyer works for the referring account", req: referral.Attribution{Code: "ACME", Referee: "side-co", Buyer: "olga"},
			want: referral.ErrSelfReferral, reason: referral.ReasonSameCompany},
		{name: "referee's buyer works for another referrer's company", req: referral.Attribution{Code: "GLOBEX", Referee: "side-co", Buyer: "olga"}},
		{name: "partner refers its own account", req: referral.Attribution{Code: "DEALER", Referee: "dealer-co"},
			want: referral.ErrSelfReferral, reason: referral.ReasonSameAccount},
		{name: "matching tax id, formatted differently", req: referral.Attribution{Code: "ACME", Referee: "shell-co",
			Identity: referral.Identity{TaxIDs: []string{"77 07-083893"}}},
			want: referral.ErrSelfReferral, reason: referral.ReasonMatchingTaxID},
		{name: "matching e-mail, other case", req: referral.Attribution{Code: "ACME", Referee: "shell-co",
			Identity: referral.Identity{Emails: []string{" Boss@Acme.example "}}},
			want: referral.ErrSelfReferral, reason: referral.ReasonMatchingContact},
		{name: "matching phone, other format", req: referral.Attribution{Code: "ACME", Referee: "shell-co",
			Identity: referral.Identity{Phones: []string{"7 495 123 45 67"}}},
			want: referral.ErrSelfReferral, reason: referral.ReasonMatchingContact},
		{name: "different identifiers pass", req: referral.Attribution{Code: "ACME", Referee: "new-co",
			Identity: referral.Identity{TaxIDs: []string{"5001"}, Emails: []string{"a@new.example"}, Phones: []string{"+7 999 000 00 00"}}}},
		{name: "existing customer", req: referral.Attribution{Code: "ACME", Referee: "old-co", Customer: true},
			want: referral.ErrAlreadyCustomer, reason: referral.ReasonCustomer},
		{name: "first attribution wins", before: []step{{"IVAN", "new-co"}}, req: referral.Attribution{Code: "ACME", Referee: "new-co"},
			want: referral.ErrAlreadyAttributed, reason: referral.ReasonAttributed},
		{name: "duplicate attribution to the same referrer", before: []step{{"ACME", "new-co"}}, req: referral.Attribution{Code: "ACME", Referee: "new-co"},
			want: referral.ErrAlreadyAttributed, reason: referral.ReasonAttributed},
		{name: "direct cycle", before: []step{{"ACME", "globex"}}, req: referral.Attribution{Code: "GLOBEX", Referee: "acme"},
			want: referral.ErrCycle, reason: referral.ReasonCycle},
		{name: "longer cycle through a buyer", before: []step{{"ACME", "globex"}, {"GLOBEX", "initech"}}, req: referral.Attribution{Code: "INITECH", Referee: "acme"},
			want: referral.ErrCycle, reason: referral.ReasonCycle},
		{name: "chain without a cycle", before: []step{{"ACME", "globex"}, {"GLOBEX", "initech"}}, req: referral.Attribution{Code: "INITECH", Referee: "hooli"}},
		{name: "velocity limit", rules: referral.Rules{Velocity: []referral.VelocityLimit{{Max: 2, Within: time.Hour}}},
			before: []step{{"ACME", "a1"}, {"ACME", "a2"}}, req: referral.Attribution{Code: "ACME", Referee: "a3"},
			want: referral.ErrVelocity, reason: referral.ReasonVelocity},
		{name: "velocity of another referrer is separate", rules: referral.Rules{Velocity: []referral.VelocityLimit{{Max: 2, Within: time.Hour}}},
			before: []step{{"ACME", "a1"}, {"ACME", "a2"}}, req: referral.Attribution{Code: "IVAN", Referee: "a3"}},
		{name: "unknown code", req: referral.Attribution{Code: "NOPE42", Referee: "new-co"}, want: referral.ErrUnknownCode},
		{name: "code that cannot be a code", req: referral.Attribution{Code: "!!", Referee: "new-co"}, want: loyalty.ErrInvalid},
		{name: "missing referee", req: referral.Attribution{Code: "ACME"}, want: loyalty.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := setup(t, tt.rules)
			register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{
				TaxIDs: []string{"7707083893"}, Emails: []string{"boss@acme.example"}, Phones: []string{"+7 (495) 123-45-67"}})
			register(t, svc, referral.BuyerReferrer("acme", "ivan"), "IVAN", referral.Identity{})
			register(t, svc, referral.BuyerReferrer("acme", "olga"), "OLGA", referral.Identity{})
			register(t, svc, referral.PartnerReferrer("dealer-3", "dealer-co"), "DEALER", referral.Identity{})
			register(t, svc, referral.AccountReferrer("globex"), "GLOBEX", referral.Identity{})
			register(t, svc, referral.BuyerReferrer("initech", "bob"), "INITECH", referral.Identity{})
			for i, s := range tt.before {
				attribute(t, svc, "before-"+string(rune('a'+i)), s.code, s.referee)
			}
			before, beforeErr := svc.Referral(ctx, tt.req.Referee)
			tt.req.Key = "req"
			res, err := svc.Attribute(ctx, tt.req)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Attribute = %v, want success", err)
				}
				if res.Referral.Referee != tt.req.Referee || res.Referral.Status != referral.StatusAttributed {
					t.Errorf("referral = %+v", res.Referral)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Attribute = %v, want %v", err, tt.want)
			}
			if tt.reason != "" {
				var re *referral.RefusalError
				if !errors.As(err, &re) {
					t.Fatalf("error %v is not a *RefusalError", err)
				}
				if re.Reason != tt.reason || re.Referee != tt.req.Referee || re.Detail == "" {
					t.Errorf("refusal = %+v, want reason %s for %s", re, tt.reason, tt.req.Referee)
				}
			}
			// A refusal changes nothing, and the key stays free.
			after, afterErr := svc.Referral(ctx, tt.req.Referee)
			if diff := cmp.Diff(before, after); diff != "" || (afterErr == nil) != (beforeErr == nil) {
				t.Errorf("referral changed by a refusal (-before +after):\n%s\nerrors %v, %v", diff, beforeErr, afterErr)
			}
			if _, err := svc.Attribute(ctx, referral.Attribution{Key: "req", Code: "IVAN", Referee: "fresh-co"}); err != nil {
				t.Errorf("key of a refused request is not free: %v", err)
			}
		})
	}
}

func TestRefusalDoesNotCountForVelocity(t *testing.T) {
	svc, _ := setup(t, referral.Rules{Velocity: []referral.VelocityLimit{{Max: 1, Within: time.Hour}}})
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	if _, err := svc.Attribute(ctx, referral.Attribution{Key: "k1", Code: "ACME", Referee: "acme"}); !errors.Is(err, referral.ErrSelfReferral) {
		t.Fatalf("self-referral = %v", err)
	}
	attribute(t, svc, "k2", "ACME", "new-co")
}

func TestVelocityWindowSlides(t *testing.T) {
	svc, clock := setup(t, referral.Rules{Velocity: []referral.VelocityLimit{{Max: 2, Within: time.Hour}, {Max: 3, Within: 24 * time.Hour}}})
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	attribute(t, svc, "k1", "ACME", "a1")
	attribute(t, svc, "k2", "ACME", "a2")
	if _, err := svc.Attribute(ctx, referral.Attribution{Key: "k3", Code: "ACME", Referee: "a3"}); !errors.Is(err, referral.ErrVelocity) {
		t.Fatalf("third within an hour = %v, want ErrVelocity", err)
	}
	clock.Advance(time.Hour)
	attribute(t, svc, "k3", "ACME", "a3")
	clock.Advance(time.Hour)
	if _, err := svc.Attribute(ctx, referral.Attribution{Key: "k4", Code: "ACME", Referee: "a4"}); !errors.Is(err, referral.ErrVelocity) {
		t.Fatalf("fourth within a day = %v, want ErrVelocity", err)
	}
	clock.Advance(days(1))
	attribute(t, svc, "k4", "ACME", "a4")
}

func TestLastWithinWindow(t *testing.T) {
	rules := referral.Rules{
		Attribution:           referral.LastWithinWindow,
		AttributionWindowDays: 10,
		WelcomeRewards:        []referral.Reward{referral.PointsReward(100)},
	}
	svc, clock := setup(t, rules)
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	register(t, svc, referral.AccountReferrer("globex"), "GLOBEX", referral.Identity{})
	register(t, svc, referral.PartnerReferrer("d1", ""), "DEALER", referral.Identity{})

	first := attribute(t, svc, "k1", "ACME", "new-co")
	if len(first.Grants) != 1 {
		t.Fatalf("welcome grants = %v", first.Grants)
	}
	clock.Advance(days(3))
	second := attribute(t, svc, "k2", "GLOBEX", "new-co")
	if second.TookOver != "account:acme" || len(second.Grants) != 0 {
		t.Errorf("take-over = %+v, want from account:acme and no second welcome", second)
	}
	if diff := cmp.Diff([]referral.ReferrerID{"account:acme"}, second.Referral.Previous); diff != "" {
		t.Errorf("previous (-want +got):\n%s", diff)
	}
	if !second.Referral.FirstAttributedAt.Equal(t0) || !second.Referral.AttributedAt.Equal(t0.Add(days(3))) {
		t.Errorf("times = %v, %v", second.Referral.FirstAttributedAt, second.Referral.AttributedAt)
	}
	if _, err := svc.Attribute(ctx, referral.Attribution{Key: "k3", Code: "GLOBEX", Referee: "new-co"}); !errors.Is(err, referral.ErrAlreadyAttributed) {
		t.Errorf("same referrer again = %v", err)
	}
	clock.Advance(days(7)) // 10 days after the first attribution
	_, err := svc.Attribute(ctx, referral.Attribution{Key: "k4", Code: "DEALER", Referee: "new-co"})
	var re *referral.RefusalError
	if !errors.As(err, &re) || re.Reason != referral.ReasonWindowClosed {
		t.Errorf("after the window = %v, want %s", err, referral.ReasonWindowClosed)
	}

	// A referee that has ordered is locked too.
	attribute(t, svc, "k5", "ACME", "other-co")
	recordOrder(t, svc, "o1", mkOrder("o1", "other-co", "10", clock.Now()))
	if _, err := svc.Attribute(ctx, referral.Attribution{Key: "k6", Code: "GLOBEX", Referee: "other-co"}); !errors.Is(err, referral.ErrAlreadyAttributed) {
		t.Errorf("after a conversion = %v", err)
	}

	rep, err := svc.Report(ctx, referral.AccountReferrer("acme"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Superseded != 1 || rep.Attributed != 1 {
		t.Errorf("acme report = %+v, want 1 superseded, 1 attributed", rep)
	}
}

// The same company signing up again under a new account is not a new customer.
func TestKnownIdentity(t *testing.T) {
	svc, _ := setup(t, referral.Rules{})
	register(t, svc, referral.AccountReferrer("acme"), "ACME", referral.Identity{})
	register(t, svc, referral.AccountReferrer("globex"), "GLOBEX", referral.Identity{})
	first := referral.Attribution{Key: "k1", Code: "ACME", Referee: "twin-1",
		Identity: referral.Identity{TaxIDs: []string{"5001 234"}, Emails: []string{"cfo@twin.example"}}}
	if _, err := svc.Attribute(ctx, first); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    referral.Attribution
		want   error
		reason referral.Reason
	}{
		{"same tax id, other account", referral.Attribution{Code: "GLOBEX", Referee: "twin-2", Identity: referral.Identity{TaxIDs: []string{"5001234"}}},
			referral.ErrAlreadyCustomer, referral.ReasonKnownIdentity},
		{"same e-mail, other account, same referrer", referral.Attribution{Code: "ACME", Referee: "twin-3", Identity: referral.Identity{Emails: []string{"CFO@twin.example"}}},
			referral.ErrAlreadyCustomer, referral.ReasonKnownIdentity},
		{"the same account again", referral.Attribution{Code: "GLOBEX", Referee: "twin-1", Identity: referral.Identity{TaxIDs: []string{"5001234"}}},
			referral.ErrAlreadyAttributed, referral.ReasonAttributed},
		{"other identifiers", referral.Attribution{Code: "GLOBEX", Referee: "other", Identity: referral.Identity{TaxIDs: []string{"9009"}}}, nil, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Key = loyalty.IdempotencyKey(fmt.Sprint("t", i))
			_, err := svc.Attribute(ctx, tt.req)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Attribute = %v", err)
				}
				return
			}
			var re *referral.RefusalError
			if !errors.Is(err, tt.want) || !errors.As(err, &re) || re.Reason != tt.reason {
				t.Fatalf("Attribute = %v, want %v (%s)", err, tt.want, tt.reason)
			}
		})
	}
	// A refused referee's identifiers are not recorded: another account may use them.
	if _, err := svc.Attribute(ctx, referral.Attribution{Key: "k9", Code: "ACME", Referee: "fresh", Identity: referral.Identity{Phones: []string{"+7 900 111 22 33"}}}); err != nil {
		t.Fatal(err)
	}
	r, _ := svc.Referral(ctx, "fresh")
	if diff := cmp.Diff(referral.Identity{Phones: []string{"79001112233"}}, r.Identity); diff != "" {
		t.Errorf("stored identity (-want +got):\n%s", diff)
	}
}
