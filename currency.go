package loyalty

import (
	"fmt"
	"sort"
	"strings"
)

// Currency is an ISO 4217 currency with its number of minor-unit digits (RUB, USD, EUR: 2;
// JPY, KRW: 0; KWD, BHD: 3). The zero Currency is "no currency": it is the currency of the
// zero [Money] and of an unknown [Price], and is rejected wherever a real currency is needed.
//
// Currency is a small comparable value, safe for concurrent use.
type Currency struct {
	idx uint16 // 1-based index into currencies; 0 means no currency
}

// currencyInfo is one row of the ISO 4217 table.
type currencyInfo struct {
	code   string
	digits uint8
}

// currencies lists the active ISO 4217 codes (plus a few recently withdrawn ones that old ERP
// histories still carry), sorted by code. Funds codes without minor units (XAU, XDR …) are
// left out: loyalty programs do not pay in gold.
var currencies = func() []currencyInfo {
	const digits0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
	const digits3 = "BHD IQD JOD KWD LYD OMR TND"
	const digits4 = "CLF UYW"
	const digits2 = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL " +
		"BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP " +
		"ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD " +
		"KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR " +
		"MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB " +
		"SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD " +
		"TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
	var list []currencyInfo
	for d, codes := range []string{digits0, "", digits2, digits3, digits4} {
		for _, c := range strings.Fields(codes) {
			list = append(list, currencyInfo{code: c, digits: uint8(d)})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].code < list[j].code })
	return list
}()

// digitsOf holds the minor-unit digits of every currency by its index (0 for no currency),
// so that Digits, which every amount's arithmetic asks for, is one load without a check:
// there are fewer than 256 currencies (building the table fails otherwise), so an index is
// its low byte.
var digitsOf = func() (d [256]uint8) {
	for i, c := range currencies {
		d[i+1] = c.digits
	}
	return d
}()

// ParseCurrency returns the currency with the given ISO 4217 code. The code must be three
// upper-case letters of a known currency; "rub" and "RUR" are errors, not guesses.
func ParseCurrency(code string) (Currency, error) {
	i := sort.Search(len(currencies), func(i int) bool { return currencies[i].code >= code })
	if i == len(currencies) || currencies[i].code != code {
		return Currency{}, Invalid("currency", code, "unknown ISO 4217 currency code")
	}
	return Currency{idx: uint16(i + 1)}, nil
}

// MustCurrency is like [ParseCurrency] but panics on an unknown code. It is meant for tests,
// examples and package-level constants, never for user input.
func MustCurrency(code string) Currency {
	c, err := ParseCurrency(code)
	if err != nil {
		panic(err)
	}
	return c
}

// Code returns the ISO 4217 code, or "" for the zero Currency.
func (c Currency) Code() string {
	if c.idx == 0 {
		return ""
	}
	return currencies[c.idx-1].code
}

// Digits returns the number of minor-unit digits: 2 for RUB, 0 for JPY, 3 for KWD.
// The zero Currency has 0 digits.
func (c Currency) Digits() int { return int(digitsOf[uint8(c.idx)]) }

// IsZero reports whether c is the zero Currency (no currency).
func (c Currency) IsZero() bool { return c.idx == 0 }

// String returns the ISO 4217 code, or "" for the zero Currency.
func (c Currency) String() string { return c.Code() }

func (c Currency) orNone() string {
	if c.idx == 0 {
		return "no-currency"
	}
	return c.Code()
}

// MarshalText encodes the currency as its ISO 4217 code (empty for the zero Currency).
func (c Currency) MarshalText() ([]byte, error) { return []byte(c.Code()), nil }

// UnmarshalText decodes an ISO 4217 code; the empty text decodes to the zero Currency.
func (c *Currency) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*c = Currency{}
		return nil
	}
	v, err := ParseCurrency(string(text))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Equal reports whether c and o are the same currency. It lets go-cmp compare values that
// hold a Currency.
func (c Currency) Equal(o Currency) bool { return c == o }

// GoString makes %#v print a readable currency in test failures.
func (c Currency) GoString() string {
	if c.idx == 0 {
		return "loyalty.Currency{}"
	}
	return fmt.Sprintf("loyalty.MustCurrency(%q)", c.Code())
}
