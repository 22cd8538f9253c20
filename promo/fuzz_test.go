package promo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/loyaltykit/loyalty/promo"
)

// FuzzNormalizeValidate feeds arbitrary text to normalisation, to a format's check and to a
// service's validation: nothing panics, accepted codes are canonical and check, and every
// refusal is one of the documented sentinels. Plain `go test` runs the seeds.
func FuzzNormalizeValidate(f *testing.F) {
	for _, seed := range []string{
		"", " ", "SKIDKA30", "skidka-30", "СКИДКА30", "САКЕ", "ＳＫＩＤＫＡ３０", "sale-2345-6789",
		"SALE-ABCD-EFG2", "SALE-0000-0000", "\xff\xfe", "a\u200bb", strings.Repeat("x", 65),
		strings.Repeat("-", 600), "ΚΑΤΕ", "😀", "SALE\u2013ABCD", "\x00",
	} {
		f.Add(seed)
	}
	s := promo.MustScheme(saleFormat)
	e := newEnv(f, skidka30())
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "SKIDKA30", Definition: "skidka30"}); err != nil {
		f.Fatal(err)
	}
	co := req("k", "", "a").Checkout
	f.Fuzz(func(t *testing.T, typed string) {
		code, err := promo.Normalize(typed)
		if err != nil {
			if !promo.IsRefusal(err) || !oneOf(err, promo.ErrCodeEmpty, promo.ErrCodeTooLong, promo.ErrCodeCharset) {
				t.Fatalf("Normalize(%q) = %v, not a normalisation refusal", typed, err)
			}
		} else {
			if code == "" || len(code) > 64 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
				t.Fatalf("Normalize(%q) = %q, not canonical", typed, code)
			}
			if again, err := promo.Normalize(code); err != nil || again != code {
				t.Fatalf("Normalize is not idempotent on %q: %q, %v", code, again, err)
			}
		}
		parsed, perr := s.Parse(typed)
		switch {
		case err != nil && !errors.Is(perr, err.(*promo.RefusalError).Reason):
			t.Fatalf("Parse(%q) = %v, want the normalisation error %v", typed, perr, err)
		case perr == nil && (parsed != code || s.Check(parsed) != nil):
			t.Fatalf("Parse(%q) = %q, which does not check", typed, parsed)
		case perr != nil && !oneOf(perr, promo.ErrCodeEmpty, promo.ErrCodeTooLong, promo.ErrCodeCharset, promo.ErrCheckCharacter, promo.ErrUnknownCode):
			t.Fatalf("Parse(%q) = %v, not a documented refusal", typed, perr)
		}
		g, verr := e.svc.Validate(ctx, typed, co)
		switch {
		case verr == nil && (code != "SKIDKA30" || g.Code != "SKIDKA30"):
			t.Fatalf("Validate(%q) accepted %q", typed, g.Code)
		case verr != nil && code == "SKIDKA30":
			t.Fatalf("Validate(%q) = %v, want it accepted", typed, verr)
		case verr != nil && !promo.IsRefusal(verr):
			t.Fatalf("Validate(%q) = %v, not a refusal", typed, verr)
		case verr != nil && strings.Contains(verr.Error(), "SKIDKA30"):
			t.Fatalf("Validate(%q) = %v reveals another code", typed, verr)
		}
	})
}

func oneOf(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
