package referral_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
	"pgregory.net/rapid"
)

func TestQualify(t *testing.T) {
	rules := referral.Rules{MinOrder: rubs("1000")}
	open := referral.Referral{Status: referral.StatusAttributed, AttributedAt: t0, ConvertBy: t0.Add(days(30))}
	with := func(st referral.Status) referral.Referral { r := open; r.Status = st; return r }
	tests := []struct {
		name   string
		r      referral.Referral
		amount loyalty.Money
		at     time.Time
		want   referral.Outcome
	}{
		{"at the minimum", open, rubs("1000"), t0, referral.OutcomeConverted},
		{"a kopek below", open, rubs("999.99"), t0, referral.OutcomeBelowMinimum},
		{"other currency", open, loyalty.MustMoney("5000", "EUR"), t0, referral.OutcomeBelowMinimum},
		{"before attribution", open, rubs("5000"), t0.Add(-1), referral.OutcomeBeforeAttribution},
		{"last instant of the window", open, rubs("5000"), t0.Add(days(30) - 1), referral.OutcomeConverted},
		{"window closed", open, rubs("5000"), t0.Add(days(30)), referral.OutcomeWindowClosed},
		{"pending", with(referral.StatusPending), rubs("5000"), t0, referral.OutcomeAlreadyConverted},
		{"final", with(referral.StatusFinal), rubs("5000"), t0, referral.OutcomeAlreadyConverted},
		{"cancelled", with(referral.StatusCancelled), rubs("5000"), t0, referral.OutcomeAlreadyConverted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := rules.Qualify(tt.r, tt.amount, tt.at)
			if got != tt.want || (got != referral.OutcomeConverted) != (why != "") {
				t.Errorf("Qualify = %s (%q), want %s", got, why, tt.want)
			}
		})
	}
	if got, _ := (referral.Rules{}).Qualify(open, rubs("0.01"), t0); got != referral.OutcomeConverted {
		t.Errorf("without a minimum any order converts; got %s", got)
	}
}

// Generated codes are canonical, use only the alphabet, and survive being typed in lower
// case with separators.
func TestGeneratedCodesAreCanonical(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.SliceOfN(rapid.Byte(), 64, 64).Draw(rt, "random")
		n := rapid.IntRange(6, 32).Draw(rt, "length")
		svc, err := referral.New(referral.Config{
			Rules:  referral.Rules{CodeLength: n},
			Store:  referral.NewMemoryStore(),
			Random: bytes.NewReader(bytes.Repeat(seed, 64)),
		})
		if err != nil {
			rt.Fatal(err)
		}
		p, err := svc.Register(ctx, referral.Registration{Referrer: referral.AccountReferrer("a")})
		if err != nil {
			rt.Fatal(err)
		}
		if len(p.Code) != n || strings.Trim(p.Code, referral.CodeAlphabet) != "" {
			rt.Fatalf("code %q: want %d characters of %s", p.Code, n, referral.CodeAlphabet)
		}
		if c, err := loyalty.NormalizeCode(p.Code); err != nil || c != p.Code {
			rt.Fatalf("code %q is not canonical: %q, %v", p.Code, c, err)
		}
		typed := strings.ToLower(p.Code[:3]) + "-" + p.Code[3:]
		if got, err := svc.Lookup(ctx, typed); err != nil || got.Code != p.Code {
			rt.Fatalf("Lookup(%q) = %+v, %v", typed, got, err)
		}
	})
}

// A tax identifier or phone matches however it is formatted.
func TestIdentityMatchIgnoresFormatting(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		digits := rapid.StringMatching(`[0-9]{10,12}`).Draw(rt, "digits")
		var b strings.Builder
		for _, c := range digits {
			b.WriteString(rapid.SampledFrom([]string{"", " ", "-", "(", ")", "."}).Draw(rt, "sep"))
			b.WriteRune(c)
		}
		formatted := b.String()
		field := rapid.SampledFrom([]string{"tax", "phone"}).Draw(rt, "field")
		var stored, typed referral.Identity
		if field == "tax" {
			stored.TaxIDs, typed.TaxIDs = []string{digits}, []string{formatted}
		} else {
			stored.Phones, typed.Phones = []string{digits}, []string{formatted}
		}
		p := referral.Profile{Referrer: referral.AccountReferrer("acme"), Identity: stored}
		err := referral.CheckSelfReferral(p, referral.Attribution{Referee: "other", Identity: typed})
		if !errors.Is(err, referral.ErrSelfReferral) {
			rt.Fatalf("%s %q vs %q: %v, want a self-referral", field, digits, formatted, err)
		}
		typed.TaxIDs, typed.Phones = []string{"1" + digits}, []string{"1" + digits}
		if err := referral.CheckSelfReferral(p, referral.Attribution{Referee: "other", Identity: typed}); err != nil {
			rt.Fatalf("different identifiers refused: %v", err)
		}
	})
}
