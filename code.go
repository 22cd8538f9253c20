package loyalty

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxCodeLength is the longest canonical code [NormalizeCode] accepts, in characters.
const MaxCodeLength = 64

// Errors of [NormalizeCode]. They say what is wrong with the typed text only, never anything
// about stored codes.
var (
	// ErrCodeEmpty reports a code with no letters or digits.
	ErrCodeEmpty = errors.New("loyalty: code is empty")
	// ErrCodeTooLong reports a code longer than MaxCodeLength characters.
	ErrCodeTooLong = errors.New("loyalty: code is too long")
	// ErrCodeCharset reports a character that is neither a letter, a digit nor a separator.
	ErrCodeCharset = errors.New("loyalty: code contains a character that is not allowed")
)

// NormalizeCode maps a promo or referral code as a person typed it to its canonical form:
// upper-case ASCII letters and digits. It folds case, removes separators (spaces, dashes,
// underscores, dots, and their Unicode variants), maps full-width forms to ASCII and maps
// Cyrillic and Greek letters that look like Latin ones (Cyrillic "С", Greek "Κ") to those
// Latin letters, so that "ｓａｌｅ–2024" and "SALE 2024" are the same code. Anything else is
// rejected before any lookup, with [ErrCodeEmpty], [ErrCodeTooLong] or [ErrCodeCharset].
//
// NormalizeCode is idempotent, and it does not allocate when the input is already canonical.
func NormalizeCode(s string) (string, error) {
	canonical := true
	for i := 0; i < len(s); i++ {
		if !canonicalByte[s[i]] {
			canonical = false
			break
		}
	}
	if canonical {
		switch {
		case len(s) == 0:
			return "", ErrCodeEmpty
		case len(s) > MaxCodeLength:
			return "", fmt.Errorf("%w: %d characters, at most %d", ErrCodeTooLong, len(s), MaxCodeLength)
		}
		return s, nil
	}
	if len(s) > 8*MaxCodeLength { // far too long even with separators and wide characters
		return "", fmt.Errorf("%w: %d bytes", ErrCodeTooLong, len(s))
	}
	var buf [MaxCodeLength]byte
	n := 0
	for i, r := range s {
		if r == utf8.RuneError {
			return "", fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrCodeCharset, i)
		}
		c, keep := foldCodeRune(r)
		if !keep {
			continue
		}
		if c == 0 {
			return "", fmt.Errorf("%w: %q at byte %d", ErrCodeCharset, r, i)
		}
		if n == MaxCodeLength {
			return "", fmt.Errorf("%w: more than %d characters", ErrCodeTooLong, MaxCodeLength)
		}
		buf[n] = c
		n++
	}
	if n == 0 {
		return "", ErrCodeEmpty
	}
	return string(buf[:n]), nil
}

// canonicalByte marks the bytes of canonical codes: 'A' to 'Z' and '0' to '9'.
var canonicalByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return t
}()

// foldCodeRune maps one typed rune to its canonical code byte. keep is false for separators;
// a zero byte with keep means the rune is not allowed.
func foldCodeRune(r rune) (c byte, keep bool) {
	if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII forms
		r -= 0xFEE0
	}
	switch {
	case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return byte(r), true
	case r >= 'a' && r <= 'z':
		return byte(r - 'a' + 'A'), true
	}
	switch r {
	case ' ', '\t', '-', '_', '.', '\u00A0', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014',
		'\u2015', '\u2212', '\u3000', '\u200B', '\uFEFF':
		return 0, false
	}
	if l, ok := lookAlikes[r]; ok {
		return l, true
	}
	return 0, true
}

// lookAlikes maps Cyrillic and Greek letters (both cases) that are drawn like a Latin capital
// to that capital.
var lookAlikes = map[rune]byte{
	// Cyrillic
	'А': 'A', 'а': 'A', 'В': 'B', 'в': 'B', 'Е': 'E', 'е': 'E', 'К': 'K', 'к': 'K',
	'М': 'M', 'м': 'M', 'Н': 'H', 'н': 'H', 'О': 'O', 'о': 'O', 'Р': 'P', 'р': 'P',
	'С': 'C', 'с': 'C', 'Т': 'T', 'т': 'T', 'У': 'Y', 'у': 'Y', 'Х': 'X', 'х': 'X',
	'Ѕ': 'S', 'ѕ': 'S', 'І': 'I', 'і': 'I', 'Ј': 'J', 'ј': 'J', 'Ԛ': 'Q', 'ԛ': 'Q',
	'Ԝ': 'W', 'ԝ': 'W',
	// Greek
	'Α': 'A', 'α': 'A', 'Β': 'B', 'β': 'B', 'Ε': 'E', 'ε': 'E', 'Ζ': 'Z', 'Η': 'H',
	'Ι': 'I', 'ι': 'I', 'Κ': 'K', 'κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'ο': 'O',
	'Ρ': 'P', 'ρ': 'P', 'Τ': 'T', 'τ': 'T', 'Υ': 'Y', 'υ': 'Y', 'Χ': 'X', 'χ': 'X',
}
