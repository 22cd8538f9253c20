package loyalty_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/loyaltykit/loyalty"
)

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{
		"SALE2026":         "SALE2026",
		"sale-2026":        "SALE2026",
		" Sale 2026 ":      "SALE2026",
		"sale_20.26":       "SALE2026",
		"ｓａｌｅ－２０２６":        "SALE2026", // full-width forms
		"SALE–2026":        "SALE2026", // en dash
		"SALE\u00a02026":   "SALE2026", // no-break space
		"\u0421ALE\u04152": "CALEE2",   // Cyrillic С and Е
		"ΚΑΡΡΑ":            "KAPPA",    // Greek capitals
	} {
		got, err := loyalty.NormalizeCode(in)
		if err != nil || got != want {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]error{
		"":                         loyalty.ErrCodeEmpty,
		" - _ ":                    loyalty.ErrCodeEmpty,
		"СКИДКА":                   loyalty.ErrCodeCharset, // И and Д look like no Latin letter
		"SALE!":                    loyalty.ErrCodeCharset,
		"SALE\x00":                 loyalty.ErrCodeCharset,
		"SALE\xff":                 loyalty.ErrCodeCharset,
		"SAL😀E":                    loyalty.ErrCodeCharset,
		strings.Repeat("A", 65):    loyalty.ErrCodeTooLong,
		strings.Repeat("a", 65):    loyalty.ErrCodeTooLong,
		strings.Repeat("a-", 1000): loyalty.ErrCodeTooLong,
	} {
		got, err := loyalty.NormalizeCode(in)
		if !errors.Is(err, want) {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %v", in, got, err, want)
		}
	}
}

func TestNormalizeCodeDoesNotAllocateWhenCanonical(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { loyalty.NormalizeCode("SALE2026ABCD") }); n != 0 {
		t.Errorf("NormalizeCode of a canonical code allocates %v times", n)
	}
}
