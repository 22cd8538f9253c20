package loyalty_test

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty"
)

var (
	rub = loyalty.MustCurrency("RUB")
	usd = loyalty.MustCurrency("USD")
	jpy = loyalty.MustCurrency("JPY")
	kwd = loyalty.MustCurrency("KWD")
)

func minor(units int64, cur loyalty.Currency) loyalty.Money {
	m, err := loyalty.MoneyFromMinor(units, cur)
	if err != nil {
		panic(err)
	}
	return m
}

func TestParseCurrency(t *testing.T) {
	for _, tc := range []struct {
		code   string
		digits int
	}{{"RUB", 2}, {"USD", 2}, {"EUR", 2}, {"JPY", 0}, {"KRW", 0}, {"KWD", 3}, {"BHD", 3}, {"CLF", 4}} {
		c, err := loyalty.ParseCurrency(tc.code)
		if err != nil {
			t.Errorf("ParseCurrency(%q): %v", tc.code, err)
			continue
		}
		if c.Code() != tc.code || c.Digits() != tc.digits {
			t.Errorf("ParseCurrency(%q) = %s with %d digits, want %d", tc.code, c.Code(), c.Digits(), tc.digits)
		}
	}
	for _, bad := range []string{"", "rub", "RUR", "XXX", "RUBB", "RU", "XAU", " RUB"} {
		_, err := loyalty.ParseCurrency(bad)
		if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "currency") {
			t.Errorf("ParseCurrency(%q) error = %v, want an invalid-currency error", bad, err)
		}
	}
}

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		amount, cur string
		units       int64
	}{
		{"1234.50", "RUB", 123450},
		{"1234.5", "RUB", 123450},
		{"1234", "RUB", 123400},
		{"-0.05", "RUB", -5},
		{"+7", "USD", 700},
		{".5", "USD", 50},
		{"5.", "USD", 500},
		{"10.500", "RUB", 1050}, // trailing zeros beyond the currency are exact
		{"100", "JPY", 100},
		{"1.234", "KWD", 1234},
		{"0", "RUB", 0},
		{"92233720368547758.07", "RUB", 9223372036854775807},
	} {
		got, err := loyalty.ParseMoney(tc.amount, tc.cur)
		if err != nil {
			t.Errorf("ParseMoney(%q, %q): %v", tc.amount, tc.cur, err)
			continue
		}
		if got.MinorUnits() != tc.units || got.Currency().Code() != tc.cur {
			t.Errorf("ParseMoney(%q, %q) = %d %s, want %d", tc.amount, tc.cur, got.MinorUnits(), got.Currency(), tc.units)
		}
	}
}

func TestParseMoneyRejectsBadInput(t *testing.T) {
	for _, tc := range []struct{ amount, cur, want string }{
		{"1,5", "RUB", "plain decimal"},
		{"1e400", "RUB", "plain decimal"},
		{"1E2", "RUB", "plain decimal"},
		{"NaN", "RUB", "plain decimal"},
		{"Inf", "RUB", "plain decimal"},
		{"", "RUB", "must not be empty"},
		{" 1", "RUB", "plain decimal"},
		{"1 000", "RUB", "plain decimal"},
		{"1.2.3", "RUB", "plain decimal"},
		{".", "RUB", "plain decimal"},
		{"-", "RUB", "plain decimal"},
		{"--1", "RUB", "plain decimal"},
		{"0x10", "RUB", "plain decimal"},
		{"10.005", "RUB", "more than 2 decimal places"},
		{"1.5", "JPY", "more than 0 decimal places"},
		{"92233720368547758.08", "RUB", "out of range"},
		{"99999999999999999999999", "RUB", "out of range"},
		{"10", "rub", "unknown ISO 4217"},
		{"10", "", "unknown ISO 4217"},
	} {
		_, err := loyalty.ParseMoney(tc.amount, tc.cur)
		if err == nil {
			t.Errorf("ParseMoney(%q, %q) succeeded, want an error", tc.amount, tc.cur)
			continue
		}
		if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMoney(%q, %q) error = %q, want ErrInvalid mentioning %q", tc.amount, tc.cur, err, tc.want)
		}
	}
}

func TestMoneyFromMinorRejects(t *testing.T) {
	if _, err := loyalty.MoneyFromMinor(1, loyalty.Currency{}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("MoneyFromMinor without currency: %v", err)
	}
	if _, err := loyalty.MoneyFromMinor(-1<<63, rub); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("MoneyFromMinor(MinInt64): %v", err)
	}
}

func TestMoneyString(t *testing.T) {
	for _, tc := range []struct {
		m    loyalty.Money
		want string
	}{
		{minor(123450, rub), "1234.50 RUB"},
		{minor(-5, rub), "-0.05 RUB"},
		{minor(0, rub), "0.00 RUB"},
		{minor(100, jpy), "100 JPY"},
		{minor(-1, kwd), "-0.001 KWD"},
		{loyalty.Money{}, "0"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestMoneyArithmetic(t *testing.T) {
	a, b := loyalty.MustMoney("10.25", "RUB"), loyalty.MustMoney("0.80", "RUB")
	sum, err := a.Add(b)
	if err != nil || !sum.Equal(loyalty.MustMoney("11.05", "RUB")) {
		t.Errorf("10.25 + 0.80 = %v, %v", sum, err)
	}
	diff, err := b.Sub(a)
	if err != nil || !diff.Equal(loyalty.MustMoney("-9.45", "RUB")) {
		t.Errorf("0.80 - 10.25 = %v, %v", diff, err)
	}
	if got := a.Neg(); !got.Equal(loyalty.MustMoney("-10.25", "RUB")) || !got.Abs().Equal(a) {
		t.Errorf("Neg/Abs: %v, %v", got, got.Abs())
	}
	prod, err := a.MulInt(3)
	if err != nil || !prod.Equal(loyalty.MustMoney("30.75", "RUB")) {
		t.Errorf("10.25 × 3 = %v, %v", prod, err)
	}
	if c, err := a.Cmp(b); c != 1 || err != nil {
		t.Errorf("Cmp = %d, %v", c, err)
	}
	if m, _ := a.Min(b); !m.Equal(b) {
		t.Errorf("Min = %v", m)
	}
	if m, _ := a.Max(b); !m.Equal(a) {
		t.Errorf("Max = %v", m)
	}
	if a.Sign() != 1 || a.Neg().Sign() != -1 || loyalty.Zero(rub).Sign() != 0 || !loyalty.Zero(rub).IsZero() {
		t.Error("Sign/IsZero wrong")
	}
}

func TestZeroMoneyIsTheIdentity(t *testing.T) {
	a := loyalty.MustMoney("10.25", "USD")
	for _, got := range []func() (loyalty.Money, error){
		func() (loyalty.Money, error) { return a.Add(loyalty.Money{}) },
		func() (loyalty.Money, error) { return loyalty.Money{}.Add(a) },
		func() (loyalty.Money, error) { return a.Sub(loyalty.Money{}) },
	} {
		m, err := got()
		if err != nil || m != a {
			t.Errorf("adding the zero Money: %v, %v; want %v", m, err, a)
		}
	}
	if !loyalty.Zero(rub).Equal(loyalty.Money{}) {
		t.Error("0 RUB should equal the zero Money")
	}
}

func TestMoneyErrors(t *testing.T) {
	r, u := loyalty.MustMoney("1", "RUB"), loyalty.MustMoney("1", "USD")
	var mismatch *loyalty.CurrencyMismatchError
	_, err := r.Add(u)
	if !errors.As(err, &mismatch) || !errors.Is(err, loyalty.ErrCurrencyMismatch) || mismatch.A != rub || mismatch.B != usd {
		t.Errorf("RUB + USD error = %v", err)
	}
	if _, err := r.Cmp(u); !errors.Is(err, loyalty.ErrCurrencyMismatch) {
		t.Errorf("Cmp RUB USD error = %v", err)
	}
	if _, err := loyalty.Zero(rub).Add(u); !errors.Is(err, loyalty.ErrCurrencyMismatch) {
		t.Errorf("0 RUB + 1 USD must not adopt a currency: %v", err)
	}
	huge := minor(1<<62, rub)
	if _, err := huge.Add(huge); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("overflow on Add: %v", err)
	}
	if _, err := huge.Neg().Sub(huge); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("overflow on Sub: %v", err)
	}
	max := minor(1<<63-1, rub)
	if _, err := max.Neg().Sub(minor(1, rub)); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("-MaxInt64 - 1 must overflow (Money's range is symmetric): %v", err)
	}
	if _, err := huge.MulInt(4); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("overflow on MulInt: %v", err)
	}
	if _, err := huge.MulRate(decimal.RequireFromString("2.5"), loyalty.HalfUp); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("overflow on MulRate: %v", err)
	}
}

func TestMulRate(t *testing.T) {
	d := decimal.RequireFromString
	for _, tc := range []struct {
		amount, rate string
		mode         loyalty.RoundingMode
		want         string
	}{
		{"9000", "0.05", loyalty.HalfUp, "450.00"},
		{"100.01", "1.5", loyalty.HalfUp, "150.02"},   // 150.015 → halves away
		{"100.01", "1.5", loyalty.HalfEven, "150.02"}, // 150.015 → even neighbour 150.02
		{"100.03", "1.5", loyalty.HalfEven, "150.04"}, // 150.045 → even neighbour 150.04
		{"100.01", "1.5", loyalty.Down, "150.01"},
		{"100.01", "1.5", loyalty.Up, "150.02"},
		{"-100.01", "1.5", loyalty.Ceiling, "-150.01"},
		{"-100.01", "1.5", loyalty.Floor, "-150.02"},
		{"-100.01", "1.5", loyalty.HalfUp, "-150.02"},
		{"0.99", "0.333333333333333333", loyalty.HalfUp, "0.33"},
		{"1", "0.0000000000000000000000001", loyalty.Up, "0.01"},        // beyond the fast path
		{"12.34", "123456789012345678901234", loyalty.Down, "overflow"}, // big rate
		{"12.34", "100", loyalty.HalfUp, "1234.00"},
		{"12.34", "1e3", loyalty.HalfUp, "12340.00"}, // positive exponent
		{"12.34", "0", loyalty.HalfUp, "0.00"},
		{"12.34", "-0.1", loyalty.HalfUp, "-1.23"},
	} {
		got, err := loyalty.MustMoney(tc.amount, "RUB").MulRate(d(tc.rate), tc.mode)
		if tc.want == "overflow" {
			if !errors.Is(err, loyalty.ErrOverflow) {
				t.Errorf("%s × %s: %v, %v; want overflow", tc.amount, tc.rate, got, err)
			}
			continue
		}
		if err != nil || got.Amount() != tc.want {
			t.Errorf("%s × %s (%v) = %v, %v; want %s", tc.amount, tc.rate, tc.mode, got.Amount(), err, tc.want)
		}
	}
}

func TestMoneyFromDecimalModes(t *testing.T) {
	// The classic rounding table, in whole yen (0 digits).
	inputs := []string{"5.5", "2.5", "1.6", "1.1", "1.0", "-1.0", "-1.1", "-1.6", "-2.5", "-5.5"}
	want := map[loyalty.RoundingMode][]int64{
		loyalty.HalfUp:   {6, 3, 2, 1, 1, -1, -1, -2, -3, -6},
		loyalty.HalfEven: {6, 2, 2, 1, 1, -1, -1, -2, -2, -6},
		loyalty.Up:       {6, 3, 2, 2, 1, -1, -2, -2, -3, -6},
		loyalty.Down:     {5, 2, 1, 1, 1, -1, -1, -1, -2, -5},
		loyalty.Ceiling:  {6, 3, 2, 2, 1, -1, -1, -1, -2, -5},
		loyalty.Floor:    {5, 2, 1, 1, 1, -1, -2, -2, -3, -6},
	}
	for mode, units := range want {
		for i, in := range inputs {
			got, err := loyalty.MoneyFromDecimal(decimal.RequireFromString(in), jpy, mode)
			if err != nil || got.MinorUnits() != units[i] {
				t.Errorf("%s rounded %v = %v, %v; want %d", in, mode, got, err, units[i])
			}
		}
	}
	if _, err := loyalty.MoneyFromDecimal(decimal.RequireFromString("1e30"), rub, loyalty.HalfUp); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("1e30 RUB: %v, want overflow", err)
	}
}

func TestRoundingModeText(t *testing.T) {
	for m := loyalty.HalfUp; m <= loyalty.Floor; m++ {
		text, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back loyalty.RoundingMode
		if err := back.UnmarshalText(text); err != nil || back != m {
			t.Errorf("%v round trip = %v, %v", m, back, err)
		}
	}
	var m loyalty.RoundingMode
	if err := m.UnmarshalText([]byte("bankers")); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("unknown mode: %v", err)
	}
	if _, err := loyalty.RoundingMode(42).MarshalText(); err == nil {
		t.Error("marshalling an unknown mode succeeded")
	}
}

func TestMoneyJSON(t *testing.T) {
	type doc struct {
		Price loyalty.Money `json:"price"`
	}
	in := doc{Price: loyalty.MustMoney("1234.50", "RUB")}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"price":{"amount":"1234.50","currency":"RUB"}}`; string(data) != want {
		t.Errorf("JSON = %s, want %s", data, want)
	}
	var out doc
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, bad := range []string{
		`{"amount":1234.5,"currency":"RUB"}`,
		`{"amount":"1234.505","currency":"RUB"}`,
		`{"amount":"1","currency":"XYZ"}`,
		`{"amount":"1","currency":""}`,
		`{"amount":"1","currency":"RUB","extra":1}`,
		`"1234.50 RUB"`,
	} {
		var m loyalty.Money
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("Unmarshal(%s) succeeded with %v", bad, m)
		}
	}
}

func TestMoneySQL(t *testing.T) {
	in := loyalty.MustMoney("-12.34", "KWD")
	v, err := in.Value()
	if err != nil {
		t.Fatal(err)
	}
	var out loyalty.Money
	if err := out.Scan(v); err != nil || out != in {
		t.Errorf("Scan(Value()) = %v, %v; want %v", out, err, in)
	}
	if err := out.Scan([]byte("5.00 USD")); err != nil || out != loyalty.MustMoney("5", "USD") {
		t.Errorf("Scan([]byte) = %v, %v", out, err)
	}
	for _, bad := range []any{nil, 12.5, int64(3), "12.34", "12.34 usd", "12.345 USD"} {
		if err := out.Scan(bad); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("Scan(%#v) = %v, want ErrInvalid", bad, err)
		}
	}
	var _ driver.Valuer = in
}

func TestCurrencyText(t *testing.T) {
	var c loyalty.Currency
	if err := json.Unmarshal([]byte(`"KWD"`), &c); err != nil || c != kwd {
		t.Errorf("Unmarshal KWD = %v, %v", c, err)
	}
	if err := json.Unmarshal([]byte(`"kwd"`), &c); err == nil {
		t.Error("lower-case code accepted")
	}
	if data, _ := json.Marshal(usd); string(data) != `"USD"` {
		t.Errorf("Marshal USD = %s", data)
	}
}

func TestDivRate(t *testing.T) {
	d := decimal.RequireFromString
	for _, tc := range []struct {
		amount, rate string
		mode         loyalty.RoundingMode
		want         string
	}{
		{"100", "0.8", loyalty.Ceiling, "125.00"},
		{"1", "3", loyalty.HalfUp, "0.33"},
		{"1", "3", loyalty.Ceiling, "0.34"},
		{"-1", "3", loyalty.Ceiling, "-0.33"},
		{"-1", "3", loyalty.Floor, "-0.34"},
		{"0.05", "2", loyalty.HalfEven, "0.02"}, // 0.025 → even
		{"0.05", "2", loyalty.HalfUp, "0.03"},
		{"10", "-0.5", loyalty.HalfUp, "-20.00"},
		{"10", "1e2", loyalty.HalfUp, "0.10"},
		{"10", "0.0000000000000000000001", loyalty.HalfUp, "overflow"},
	} {
		got, err := loyalty.MustMoney(tc.amount, "RUB").DivRate(d(tc.rate), tc.mode)
		if tc.want == "overflow" {
			if !errors.Is(err, loyalty.ErrOverflow) {
				t.Errorf("%s ÷ %s = %v, %v; want overflow", tc.amount, tc.rate, got, err)
			}
			continue
		}
		if err != nil || got.Amount() != tc.want {
			t.Errorf("%s ÷ %s (%v) = %v, %v; want %s", tc.amount, tc.rate, tc.mode, got.Amount(), err, tc.want)
		}
	}
	if _, err := loyalty.MustMoney("1", "RUB").DivRate(decimal.Zero, loyalty.HalfUp); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("÷ 0: %v, want ErrInvalid", err)
	}
}
