package promo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"pgregory.net/rapid"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"SKIDKA30", "SKIDKA30"},
		{"skidka30", "SKIDKA30"},
		{" skidka-30 ", "SKIDKA30"},
		{"ＳＫＩＤＫＡ３０", "SKIDKA30"},  // full-width forms
		{"САКЕ-2024", "CAKE2024"}, // Cyrillic С, А, К, Е
		{"sale_2024.x", "SALE2024X"},
		{"ΚΑΤΕ 7", "KATE7"}, // Greek capitals
	}
	for _, tt := range tests {
		got, err := promo.Normalize(tt.in)
		if err != nil {
			t.Errorf("Normalize(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeRefusals(t *testing.T) {
	tests := []struct {
		in        string
		want, lib error
	}{
		{"", promo.ErrCodeEmpty, loyalty.ErrCodeEmpty},
		{" - _ ", promo.ErrCodeEmpty, loyalty.ErrCodeEmpty},
		{strings.Repeat("A", loyalty.MaxCodeLength+1), promo.ErrCodeTooLong, loyalty.ErrCodeTooLong},
		{strings.Repeat("a-", loyalty.MaxCodeLength+1), promo.ErrCodeTooLong, loyalty.ErrCodeTooLong},
		{"SALE!", promo.ErrCodeCharset, loyalty.ErrCodeCharset},
		{"СКИДКА30", promo.ErrCodeCharset, loyalty.ErrCodeCharset}, // И, Д have no Latin look-alike
		{"SALE\xff", promo.ErrCodeCharset, loyalty.ErrCodeCharset},
		{"SALE 😀", promo.ErrCodeCharset, loyalty.ErrCodeCharset},
	}
	for _, tt := range tests {
		_, err := promo.Normalize(tt.in)
		if !errors.Is(err, tt.want) || !errors.Is(err, tt.lib) || !promo.IsRefusal(err) {
			t.Errorf("Normalize(%q) error = %v, want %v (and %v)", tt.in, err, tt.want, tt.lib)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "promo: ") {
			t.Errorf("Normalize(%q) error %q lacks the package prefix", tt.in, err)
		}
	}
}

func TestDefaultAlphabetHasNoLookAlikes(t *testing.T) {
	if err := promo.DefaultAlphabet.Validate(); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(promo.DefaultAlphabet), "0O1IL") {
		t.Errorf("DefaultAlphabet %q holds a look-alike", promo.DefaultAlphabet)
	}
	if n := len(promo.DefaultAlphabet); n != 36-5 {
		t.Errorf("DefaultAlphabet has %d characters, want 31", n)
	}
}

func TestAlphabetValidate(t *testing.T) {
	for _, a := range []promo.Alphabet{"", "A", "AA", "ab", "AB-", "ABCA"} {
		if err := a.Validate(); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("Alphabet(%q).Validate() = %v, want ErrInvalid", a, err)
		}
	}
	if err := promo.Alphabet("AB").Validate(); err != nil {
		t.Errorf("Alphabet(AB).Validate() = %v", err)
	}
}

func TestNewSchemeRefusesBadFormats(t *testing.T) {
	tests := []struct {
		f     promo.Format
		field string
	}{
		{promo.Format{Pattern: "SALE"}, "pattern"},
		{promo.Format{Pattern: "##??"}, "pattern"},
		{promo.Format{Pattern: "##/##"}, "pattern"},
		{promo.Format{Pattern: strings.Repeat("#", loyalty.MaxCodeLength+1)}, "pattern"},
		{promo.Format{Pattern: "####", Alphabet: "A"}, "alphabet"},
	}
	for _, tt := range tests {
		_, err := promo.NewScheme(tt.f)
		var fe *loyalty.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("NewScheme(%+v) = %v, want a field error on %s", tt.f, err, tt.field)
		}
	}
}

func TestSchemeShape(t *testing.T) {
	s := promo.MustScheme(promo.Format{Pattern: "sale-####-###?"})
	if s.Len() != 12 || !s.HasCheck() {
		t.Errorf("Len = %d, HasCheck = %v; want 12, true", s.Len(), s.HasCheck())
	}
	if want := uint64(31 * 31 * 31 * 31 * 31 * 31 * 31); s.Space() != want {
		t.Errorf("Space = %d, want 31^7 = %d", s.Space(), want)
	}
	huge := promo.MustScheme(promo.Format{Pattern: strings.Repeat("#", 20)})
	if huge.Space() != ^uint64(0) {
		t.Errorf("Space of 31^20 = %d, want saturated", huge.Space())
	}
	if got := promo.MustScheme(promo.Format{}).Format(); got.Pattern != promo.DefaultPattern || got.Alphabet != promo.DefaultAlphabet {
		t.Errorf("defaults = %+v", got)
	}
}

// validCode builds a code of s by brute force over the check character: the one
// alphabet character that Check accepts. It relies only on Check, not on Generate.
func validCode(t *testing.T, s *promo.Scheme, body string) string {
	t.Helper()
	var ok []string
	for _, c := range promo.DefaultAlphabet {
		code := body + string(c)
		if s.Check(code) == nil {
			ok = append(ok, code)
		}
	}
	if len(ok) != 1 {
		t.Fatalf("%d check characters accepted for %s, want exactly 1: %v", len(ok), body, ok)
	}
	return ok[0]
}

func TestSchemeCheck(t *testing.T) {
	s := promo.MustScheme(promo.Format{Pattern: "SALE-####-###?"})
	good := validCode(t, s, "SALE7KQ3XM9")
	if got := s.Display(good); got != "SALE-7KQ3-XM9"+good[11:] {
		t.Errorf("Display(%s) = %s", good, got)
	}
	if c, err := s.Parse(strings.ToLower(s.Display(good))); err != nil || c != good {
		t.Errorf("Parse(display, lower-case) = %q, %v; want %q", c, err, good)
	}
	wrongCheck := good[:11] + string(nextInAlphabet(good[11]))
	tests := []struct {
		code string
		want error
	}{
		{wrongCheck, promo.ErrCheckCharacter},
		{"SALE7KQ3XM9" + "0", promo.ErrCodeCharset},       // 0 is not in the alphabet
		{"SALE7KQ0XM9" + good[11:], promo.ErrCodeCharset}, // nor in a random position
		{"SALA7KQ3XM9" + good[11:], promo.ErrUnknownCode}, // another prefix: not this format
		{"SALE7KQ3XM9", promo.ErrUnknownCode},             // too short
		{good + "A", promo.ErrUnknownCode},                // too long
	}
	for _, tt := range tests {
		if err := s.Check(tt.code); !errors.Is(err, tt.want) {
			t.Errorf("Check(%s) = %v, want %v", tt.code, err, tt.want)
		}
	}
	if got := s.Display("SKIDKA30"); got != "SKIDKA30" {
		t.Errorf("Display of a foreign code = %q, want it unchanged", got)
	}
}

func nextInAlphabet(c byte) byte {
	a := string(promo.DefaultAlphabet)
	i := strings.IndexByte(a, c)
	return a[(i+1)%len(a)]
}

// The check character detects every single-character substitution (within the alphabet;
// others are charset errors) and, the default alphabet having a prime size, every
// transposition of two adjacent random characters.
func TestCheckCharacterDetectsMistypes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alphabet := rapid.SampledFrom([]promo.Alphabet{"", "0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "AB"}).Draw(t, "alphabet")
		s := promo.MustScheme(promo.Format{Pattern: "####-####-?", Alphabet: alphabet})
		codes, err := s.Generate(1, nil)
		if err != nil {
			t.Fatal(err)
		}
		code := codes[0]
		pos := rapid.IntRange(0, len(code)-1).Draw(t, "pos")
		repl := rapid.SampledFrom([]byte(s.Format().Alphabet)).Draw(t, "repl")
		if repl == code[pos] {
			t.Skip("same character")
		}
		typo := code[:pos] + string(repl) + code[pos+1:]
		if err := s.Check(typo); !errors.Is(err, promo.ErrCheckCharacter) {
			t.Fatalf("Check(%s), a typo of %s, = %v, want ErrCheckCharacter", typo, code, err)
		}
	})
	// Adjacent transpositions among the random characters.
	s := promo.MustScheme(promo.Format{Pattern: "####-####-?"})
	codes, err := s.Generate(2000, nil)
	if err != nil {
		t.Fatal(err)
	}
	caught, total := 0, 0
	for _, code := range codes {
		for i := 0; i+1 < 8; i++ {
			if code[i] == code[i+1] {
				continue
			}
			b := []byte(code)
			b[i], b[i+1] = b[i+1], b[i]
			total++
			if s.Check(string(b)) != nil {
				caught++
			}
		}
	}
	if caught != total || total == 0 {
		t.Errorf("only %d of %d adjacent transpositions detected", caught, total)
	}
}

func TestNormalizeIsIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		c, err := promo.Normalize(s)
		if err != nil {
			return
		}
		again, err := promo.Normalize(c)
		if err != nil || again != c {
			t.Fatalf("Normalize(Normalize(%q)) = %q, %v; want %q", s, again, err, c)
		}
	})
}

func TestGeneratedCodesValidate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pattern := rapid.SampledFrom([]string{"####", "SALE-####-###?", "?###", "AB#C#D?", "## ## ##", ""}).Draw(t, "pattern")
		alphabet := rapid.SampledFrom([]promo.Alphabet{"", "ABC", "0123456789", "XY"}).Draw(t, "alphabet")
		s, err := promo.NewScheme(promo.Format{Pattern: pattern, Alphabet: alphabet})
		if err != nil {
			t.Fatal(err)
		}
		n := rapid.IntRange(0, int(min(s.Space()/2, 300))).Draw(t, "n")
		codes, err := s.Generate(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != n {
			t.Fatalf("Generate(%d) returned %d codes", n, len(codes))
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if seen[c] {
				t.Fatalf("duplicate %s", c)
			}
			seen[c] = true
			if err := s.Check(c); err != nil {
				t.Fatalf("generated %s does not check: %v", c, err)
			}
			if got, err := s.Parse(s.Display(c)); err != nil || got != c {
				t.Fatalf("Parse(Display(%s)) = %q, %v", c, got, err)
			}
		}
	})
}

func TestGenerateAvoidsTakenCodes(t *testing.T) {
	s := promo.MustScheme(promo.Format{Pattern: "###", Alphabet: "ABCD"}) // 64 codes
	first, err := s.Generate(32, nil)
	if err != nil {
		t.Fatal(err)
	}
	taken := map[string]bool{}
	for _, c := range first {
		taken[c] = true
	}
	second, err := s.Generate(16, func(c string) bool { return taken[c] })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range second {
		if taken[c] {
			t.Errorf("Generate returned the taken code %s", c)
		}
	}
}

func TestGenerateRefusesTooSmallPatterns(t *testing.T) {
	s := promo.MustScheme(promo.Format{Pattern: "##", Alphabet: "ABCD"}) // 16 codes
	if _, err := s.Generate(9, nil); !errors.Is(err, promo.ErrPatternSpace) {
		t.Errorf("Generate(9 of 16) = %v, want ErrPatternSpace", err)
	}
	if codes, err := s.Generate(8, nil); err != nil || len(codes) != 8 {
		t.Errorf("Generate(8 of 16) = %d codes, %v", len(codes), err)
	}
	// Every code taken: an error, not an endless loop.
	if _, err := s.Generate(1, func(string) bool { return true }); !errors.Is(err, promo.ErrPatternSpace) {
		t.Errorf("Generate into a full space = %v, want ErrPatternSpace", err)
	}
	if _, err := s.Generate(-1, nil); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Generate(-1) = %v, want ErrInvalid", err)
	}
}

func TestGenerateIsUniform(t *testing.T) {
	// 31 characters, 31,000 draws of 4 positions: every character close to 4,000 times.
	s := promo.MustScheme(promo.Format{Pattern: "####"})
	codes, err := s.Generate(31000, nil)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[rune]int{}
	for _, c := range codes {
		for _, r := range c {
			counts[r]++
		}
	}
	want := map[rune]bool{}
	for _, r := range promo.DefaultAlphabet {
		want[r] = true
		if n := counts[r]; n < 3400 || n > 4600 {
			t.Errorf("%c drawn %d times, want about 4000", r, n)
		}
	}
	for r := range counts {
		if !want[r] {
			t.Errorf("%c is not in the alphabet", r)
		}
	}
	if diff := cmp.Diff(len(want), len(counts)); diff != "" {
		t.Error(diff)
	}
}
