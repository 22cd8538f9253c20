package promo

import (
	"crypto/rand"
	"fmt"

	"github.com/loyaltykit/loyalty"
)

// Generate returns n distinct new canonical codes of the scheme, drawn uniformly with
// crypto/rand. exists, when not nil, reports codes that are already taken (in a store, or
// in earlier batches); they are never returned.
//
// Generate refuses, with an error matching [ErrPatternSpace], to issue more than half of the
// scheme's code space in one call, and gives up with the same error (instead of looping)
// when it meets too many taken codes, which happens only when most of the space is already
// used. Keep the space much larger than the number of codes issued: the chance that a
// guessed code exists is the number issued divided by [Scheme.Space].
func (s *Scheme) Generate(n int, exists func(code string) bool) ([]string, error) {
	if n < 0 {
		return nil, loyalty.Invalid("count", n, "must not be negative")
	}
	if uint64(n) > s.space/2 {
		return nil, fmt.Errorf("%w: %d codes requested, pattern %q holds %d of which at most half may be issued",
			ErrPatternSpace, n, s.format.Pattern, s.space)
	}
	codes := make([]string, 0, n)
	seen := make(map[string]struct{}, n)
	buf := make([]byte, len(s.tmpl))
	copy(buf, s.tmpl)
	rnd := newRandIndex(len(s.alphabet))
	budget := 4*n + 64
	for attempt := 0; len(codes) < n; attempt++ {
		if attempt == budget {
			return nil, fmt.Errorf("%w: no free code found after %d attempts; the pattern %q is nearly full",
				ErrPatternSpace, attempt, s.format.Pattern)
		}
		for _, p := range s.randPos {
			i, err := rnd.next()
			if err != nil {
				return nil, err
			}
			buf[p] = s.alphabet[i]
		}
		if s.checkPos >= 0 {
			buf[s.checkPos] = s.checkCharBytes(buf)
		}
		if _, dup := seen[string(buf)]; dup {
			continue
		}
		c := string(buf)
		if exists != nil && exists(c) {
			continue
		}
		seen[c] = struct{}{}
		codes = append(codes, c)
	}
	return codes, nil
}

// randIndex draws uniform indexes below n from crypto/rand, buffering the random bytes and
// rejecting the bytes that would bias the result.
type randIndex struct {
	n, limit int
	buf      [4096]byte
	pos      int
}

func newRandIndex(n int) *randIndex {
	r := &randIndex{n: n, limit: 256 - 256%n}
	r.pos = len(r.buf)
	return r
}

func (r *randIndex) next() (int, error) {
	for {
		if r.pos == len(r.buf) {
			if _, err := rand.Read(r.buf[:]); err != nil {
				return 0, fmt.Errorf("promo: reading random bytes: %w", err)
			}
			r.pos = 0
		}
		b := int(r.buf[r.pos])
		r.pos++
		if b < r.limit {
			return b % r.n, nil
		}
	}
}
