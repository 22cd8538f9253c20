package referral

import (
	"fmt"
	"io"

	"github.com/loyaltykit/loyalty"
)

// CodeAlphabet is the alphabet of generated referral codes: upper-case letters and digits
// without the look-alikes 0/O, 1/I/L, 2/Z, 5/S and 8/B, so that a code read aloud, written
// down or typed from a screenshot survives. Every character is already canonical for
// [loyalty.NormalizeCode].
const CodeAlphabet = "34679ACDEFGHJKMNPQRTUVWXY"

// maxCodeAttempts bounds the retries when a generated code collides with a stored one.
const maxCodeAttempts = 32

// generateCode returns a random code of n characters of CodeAlphabet read from rnd, without
// modulo bias.
func generateCode(rnd io.Reader, n int) (string, error) {
	const k = len(CodeAlphabet)
	limit := byte(256 - 256%k) // bytes at or above limit would bias the draw
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		if _, err := io.ReadFull(rnd, buf[:]); err != nil {
			return "", fmt.Errorf("referral: reading randomness for a code: %w", err)
		}
		for _, b := range buf {
			if b < limit && len(out) < n {
				out = append(out, CodeAlphabet[int(b)%k])
			}
		}
	}
	return string(out), nil
}

// NormalizeCode returns the canonical form of a referral code as a person typed it, with the
// rules of [loyalty.NormalizeCode] (case, separators, full-width and Cyrillic look-alikes).
// Its errors wrap loyalty's code errors and name the field "code".
func NormalizeCode(s string) (string, error) {
	c, err := loyalty.NormalizeCode(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", loyalty.Invalid("code", s, "is not a valid referral code"), err)
	}
	return c, nil
}
