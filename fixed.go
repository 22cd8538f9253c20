package loyalty

import (
	"math"
	"strconv"
)

// parseFixed parses a plain decimal numeral ("-12.50", "+3", "0.3555") into an integer count
// of 10^-scale units, exactly. It accepts an optional sign, digits, and at most one '.', with
// digits on at least one side; digits beyond scale are accepted only when they are zeros.
// Exponents, grouping separators, spaces, "NaN" and "Inf" are rejected. field names the value
// in the error.
func parseFixed(field, s string, scale int) (int64, error) {
	if s == "" {
		return 0, Invalid(field, nil, "must not be empty")
	}
	i, neg := 0, false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i++
	}
	var v uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
			continue
		case c < '0' || c > '9':
			return 0, Invalid(field, s, "must be a plain decimal number such as 1234.56")
		}
		digits++
		if dot {
			frac++
			if frac > scale {
				if c != '0' {
					return 0, Invalid(field, s, "has more than "+strconv.Itoa(scale)+" decimal places")
				}
				continue
			}
		}
		if v > (math.MaxInt64-uint64(c-'0'))/10 {
			return 0, Invalid(field, s, "is out of range")
		}
		v = v*10 + uint64(c-'0')
	}
	if digits == 0 {
		return 0, Invalid(field, s, "must be a plain decimal number such as 1234.56")
	}
	for ; frac < scale; frac++ {
		if v > math.MaxInt64/10 {
			return 0, Invalid(field, s, "is out of range")
		}
		v *= 10
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// appendFixed appends v·10^-scale as a plain decimal numeral with exactly scale decimals.
func appendFixed(b []byte, v int64, scale int) []byte {
	u := absU(v)
	if v < 0 {
		b = append(b, '-')
	}
	var buf [24]byte
	n := len(buf)
	for i := 0; i <= scale || u > 0; i++ {
		if i == scale && scale > 0 {
			n--
			buf[n] = '.'
		}
		n--
		buf[n] = byte('0' + u%10)
		u /= 10
	}
	return append(b, buf[n:]...)
}

// trimFixed formats v·10^-scale with trailing fractional zeros (and a bare '.') removed.
func trimFixed(v int64, scale int) string {
	b := appendFixed(nil, v, scale)
	if scale > 0 {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}
