package promo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loyaltykit/loyalty"
)

// Normalize maps a code as a person typed it to its canonical form with
// [loyalty.NormalizeCode]: upper-case ASCII letters and digits, with case, separators,
// full-width forms and Cyrillic or Greek look-alikes folded ("skidka-30", " Skidka 30 " and
// "ＳＫＩＤＫＡ３０" are all "SKIDKA30"; Cyrillic "САКЕ" is Latin "CAKE"). Letters that look
// like no Latin letter are not transliterated: "скидка30" is refused. Anything else is
// refused before any lookup with
// [ErrCodeEmpty], [ErrCodeTooLong] or [ErrCodeCharset] (which also match the loyalty
// sentinels). Normalize is idempotent and does not allocate for canonical input.
func Normalize(s string) (string, error) {
	c, err := loyalty.NormalizeCode(s)
	if err == nil {
		return c, nil
	}
	reason := ErrCodeCharset
	var base error = loyalty.ErrCodeCharset
	switch {
	case errors.Is(err, loyalty.ErrCodeEmpty):
		reason, base = ErrCodeEmpty, loyalty.ErrCodeEmpty
	case errors.Is(err, loyalty.ErrCodeTooLong):
		reason, base = ErrCodeTooLong, loyalty.ErrCodeTooLong
	}
	detail := strings.TrimPrefix(strings.TrimPrefix(err.Error(), base.Error()), ": ")
	return "", &RefusalError{Reason: reason, Detail: detail, cause: err}
}

// Alphabet is the set of characters that the random positions of generated codes are drawn
// from: distinct upper-case ASCII letters and digits, at least two of them.
type Alphabet string

// DefaultAlphabet is the alphabet used when a [Format] names none: the 31 digits and
// upper-case letters without the look-alikes 0/O and 1/I/L, so that no code can be misread.
const DefaultAlphabet Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// DefaultPattern is the pattern used when a [Format] names none: eight random characters
// and a check character, in three groups.
const DefaultPattern = "###-###-##?"

// Validate reports whether a is a usable alphabet.
func (a Alphabet) Validate() error {
	if len(a) < 2 {
		return loyalty.Invalid("alphabet", string(a), "must have at least 2 characters")
	}
	var seen [256]bool
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return loyalty.Invalid("alphabet", string(a), fmt.Sprintf("must hold upper-case ASCII letters and digits only (%q at %d)", c, i))
		}
		if seen[c] {
			return loyalty.Invalid("alphabet", string(a), fmt.Sprintf("must not repeat a character (%q)", c))
		}
		seen[c] = true
	}
	return nil
}

// Format describes the shape of a family of generated codes. It is plain data; compile it
// with [NewScheme] to check, display and generate codes.
type Format struct {
	// Pattern is the code as printed: '#' is a random character from Alphabet, '?' is the
	// check character (at most one), letters and digits are literal (a prefix such as
	// "SALE" or a suffix), and spaces, dashes, underscores and dots are separators that
	// only affect display. Defaults to [DefaultPattern].
	Pattern string `json:"pattern,omitempty"`
	// Alphabet is the set of random characters. Defaults to [DefaultAlphabet].
	Alphabet Alphabet `json:"alphabet,omitempty"`
}

// Validate checks f; errors name the field ("pattern: ...").
func (f Format) Validate() error {
	_, err := NewScheme(f)
	return err
}

const (
	slotRandom = 0 // template byte of a random position
	slotCheck  = 1 // template byte of the check position
)

// Scheme is a compiled [Format]: it checks codes without any store lookup, renders them for
// display and generates new ones. It is immutable and safe for concurrent use.
type Scheme struct {
	format   Format
	alphabet string
	index    [256]int8 // position of a byte in alphabet, -1 when absent
	tmpl     []byte    // canonical template: a literal byte, slotRandom or slotCheck
	randPos  []int     // positions of the random characters in tmpl
	checkPos int       // position of the check character, -1 when none
	weights  []int     // check weight of each random position
	space    uint64    // number of distinct codes, saturated at max uint64
}

// NewScheme compiles f, applying its defaults.
func NewScheme(f Format) (*Scheme, error) {
	if f.Pattern == "" {
		f.Pattern = DefaultPattern
	}
	if f.Alphabet == "" {
		f.Alphabet = DefaultAlphabet
	}
	if err := f.Alphabet.Validate(); err != nil {
		return nil, err
	}
	s := &Scheme{format: f, alphabet: string(f.Alphabet), checkPos: -1}
	for i := range s.index {
		s.index[i] = -1
	}
	for i := 0; i < len(s.alphabet); i++ {
		s.index[s.alphabet[i]] = int8(i)
	}
	for i, r := range f.Pattern {
		switch {
		case r == '#':
			s.randPos = append(s.randPos, len(s.tmpl))
			s.tmpl = append(s.tmpl, slotRandom)
		case r == '?':
			if s.checkPos >= 0 {
				return nil, loyalty.Invalid("pattern", f.Pattern, "must have at most one check character '?'")
			}
			s.checkPos = len(s.tmpl)
			s.tmpl = append(s.tmpl, slotCheck)
		case r == ' ' || r == '-' || r == '_' || r == '.':
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			s.tmpl = append(s.tmpl, byte(r))
		case r >= 'a' && r <= 'z':
			s.tmpl = append(s.tmpl, byte(r-'a'+'A'))
		default:
			return nil, loyalty.Invalid("pattern", f.Pattern, fmt.Sprintf("must hold only '#', '?', letters, digits and separators (%q at byte %d)", r, i))
		}
	}
	switch {
	case len(s.randPos) == 0:
		return nil, loyalty.Invalid("pattern", f.Pattern, "must have at least one random character '#'")
	case len(s.tmpl) > loyalty.MaxCodeLength:
		return nil, loyalty.Invalid("pattern", f.Pattern, fmt.Sprintf("must describe codes of at most %d characters", loyalty.MaxCodeLength))
	}
	s.weights = checkWeights(len(s.randPos), len(s.alphabet))
	s.space = 1
	n := uint64(len(s.alphabet))
	for range s.randPos {
		if s.space > ^uint64(0)/n {
			s.space = ^uint64(0)
			break
		}
		s.space *= n
	}
	return s, nil
}

// MustScheme is like [NewScheme] but panics on error. It is meant for tests and examples.
func MustScheme(f Format) *Scheme {
	s, err := NewScheme(f)
	if err != nil {
		panic(err)
	}
	return s
}

// Format returns the format s was compiled from, with its defaults applied.
func (s *Scheme) Format() Format { return s.format }

// Len returns the length of the scheme's canonical codes.
func (s *Scheme) Len() int { return len(s.tmpl) }

// Space returns the number of distinct codes the scheme can produce (saturated at the
// largest uint64). The chance of guessing a code is the number issued divided by Space.
func (s *Scheme) Space() uint64 { return s.space }

// HasCheck reports whether codes of s carry a check character.
func (s *Scheme) HasCheck() bool { return s.checkPos >= 0 }

// Matches reports whether the canonical code has the scheme's shape: its length and its
// literal characters. A code that matches is either valid or refused by [Scheme.Check].
func (s *Scheme) Matches(code string) bool {
	if len(code) != len(s.tmpl) {
		return false
	}
	for i, t := range s.tmpl {
		if t > slotCheck && code[i] != t {
			return false
		}
	}
	return true
}

// Check verifies a canonical code against the scheme without any store lookup: its shape
// ([ErrUnknownCode] when it is not a code of this scheme), its characters
// ([ErrCodeCharset]) and its check character ([ErrCheckCharacter]). It does not allocate
// when the code is valid.
func (s *Scheme) Check(code string) error {
	if !s.Matches(code) {
		return refuse(ErrUnknownCode, "")
	}
	for _, p := range s.randPos {
		if s.index[code[p]] < 0 {
			return refuse(ErrCodeCharset, fmt.Sprintf("%q at position %d cannot occur in this code", code[p], p+1))
		}
	}
	if s.checkPos >= 0 {
		if s.index[code[s.checkPos]] < 0 {
			return refuse(ErrCodeCharset, fmt.Sprintf("%q at position %d cannot occur in this code", code[s.checkPos], s.checkPos+1))
		}
		if s.checkChar(code) != code[s.checkPos] {
			return refuse(ErrCheckCharacter, "")
		}
	}
	return nil
}

// Parse normalises a typed code with [Normalize] and checks it with [Scheme.Check].
func (s *Scheme) Parse(typed string) (string, error) {
	c, err := Normalize(typed)
	if err != nil {
		return "", err
	}
	if err := s.Check(c); err != nil {
		return "", err
	}
	return c, nil
}

// Display renders a canonical code of the scheme as its pattern prints it, with the
// separators ("SALE7KQ3XM9P" as "SALE-7KQ3-XM9P"). A code that does not match the scheme is
// returned unchanged.
func (s *Scheme) Display(code string) string {
	if !s.Matches(code) {
		return code
	}
	var b strings.Builder
	b.Grow(len(s.format.Pattern))
	i := 0
	for _, r := range s.format.Pattern {
		switch r {
		case ' ', '-', '_', '.':
			b.WriteRune(r)
		default:
			b.WriteByte(code[i])
			i++
		}
	}
	return b.String()
}

// checkChar computes the check character of code (canonical, of the scheme's shape, with
// valid random characters): the character whose value makes the weighted sum of the random
// characters' values and its own zero modulo the alphabet size N, with weights that are
// coprime with N and differ between neighbours (a pure check system in the manner of
// ISO/IEC 7064). It detects every single-character substitution, and for an alphabet of
// prime size (the default has 31) every transposition of two adjacent random characters.
func (s *Scheme) checkChar(code string) byte {
	n, sum := len(s.alphabet), 0
	for i, p := range s.randPos {
		sum += s.weights[i] * int(s.index[code[p]])
	}
	return s.alphabet[(n-sum%n)%n]
}

// checkCharBytes is checkChar for a code being built.
func (s *Scheme) checkCharBytes(code []byte) byte {
	n, sum := len(s.alphabet), 0
	for i, p := range s.randPos {
		sum += s.weights[i] * int(s.index[code[p]])
	}
	return s.alphabet[(n-sum%n)%n]
}

// checkWeights returns k weights for an alphabet of n characters: the integers from 1 to n-1
// coprime with n, in turn.
func checkWeights(k, n int) []int {
	var units []int
	for w := 1; w < n; w++ {
		a, b := w, n
		for b != 0 {
			a, b = b, a%b
		}
		if a == 1 {
			units = append(units, w)
		}
	}
	ws := make([]int, k)
	for i := range ws {
		ws[i] = units[i%len(units)]
	}
	return ws
}
