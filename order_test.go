package loyalty_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loyaltykit/loyalty"
)

func TestParseQuantity(t *testing.T) {
	for _, tc := range []struct {
		in     string
		micros int64
		str    string
	}{
		{"3", 3_000_000, "3"},
		{"12.5", 12_500_000, "12.5"},
		{"0.000125", 125, "0.000125"},
		{"0.1250000", 125_000, "0.125"},
	} {
		q, err := loyalty.ParseQuantity(tc.in)
		if err != nil || q.Micros() != tc.micros || q.String() != tc.str {
			t.Errorf("ParseQuantity(%q) = %d (%s), %v; want %d (%s)", tc.in, q.Micros(), q, err, tc.micros, tc.str)
		}
	}
	for _, bad := range []string{"", "1,5", "1e3", "0.0000001", "NaN", "abc"} {
		if _, err := loyalty.ParseQuantity(bad); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("ParseQuantity(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if q, err := loyalty.Units(7); err != nil || q.String() != "7" || q.Floor() != 7 {
		t.Errorf("Units(7) = %v, %v", q, err)
	}
	if _, err := loyalty.Units(1 << 60); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("Units(2^60) = %v, want overflow", err)
	}
	if got := loyalty.MustQuantity("-2.5").Floor(); got != -3 {
		t.Errorf("Floor(-2.5) = %d, want -3", got)
	}
}

func TestLineTotal(t *testing.T) {
	for _, tc := range []struct {
		price, cur, qty, want string
	}{
		{"0.3555", "RUB", "1000", "355.50 RUB"},
		{"0.3555", "RUB", "3", "1.07 RUB"},       // 1.0665 → rounded once, half up
		{"52.99", "RUB", "40.25", "2132.85 RUB"}, // 2132.8475 → 2132.85
		{"0.125", "USD", "1", "0.13 USD"},        // exact half → away from zero
		{"199.5", "JPY", "3", "599 JPY"},         // 598.5 → 599
		{"1.2345", "KWD", "2", "2.469 KWD"},
		{"22000", "RUB", "1", "22000.00 RUB"},
	} {
		l := loyalty.Line{SKU: "x", Quantity: loyalty.MustQuantity(tc.qty), UnitPrice: loyalty.MustPrice(tc.price, tc.cur)}
		got, err := l.Total()
		if err != nil || got.String() != tc.want {
			t.Errorf("%s %s × %s = %v, %v; want %s", tc.price, tc.cur, tc.qty, got, err, tc.want)
		}
	}
	huge := loyalty.Line{SKU: "x", Quantity: loyalty.MustQuantity("9000000000000"), UnitPrice: loyalty.MustPrice("9000000000000", "RUB")}
	if _, err := huge.Total(); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("huge line total: %v, want overflow", err)
	}
}

func TestPriceFormatAndJSON(t *testing.T) {
	for _, tc := range []struct{ price, cur, want string }{
		{"0.3555", "RUB", "0.3555 RUB"},
		{"12.5", "RUB", "12.50 RUB"},
		{"12", "JPY", "12 JPY"},
		{"12.5", "JPY", "12.5 JPY"},
		{"0.1", "KWD", "0.100 KWD"},
	} {
		p := loyalty.MustPrice(tc.price, tc.cur)
		if p.String() != tc.want {
			t.Errorf("Price(%s %s).String() = %q, want %q", tc.price, tc.cur, p, tc.want)
		}
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back loyalty.Price
		if err := json.Unmarshal(data, &back); err != nil || back != p {
			t.Errorf("JSON round trip of %v via %s = %v, %v", p, data, back, err)
		}
	}
	var unknown loyalty.Price
	if data, _ := json.Marshal(unknown); string(data) != "null" {
		t.Errorf("unknown price JSON = %s, want null", data)
	}
	if err := json.Unmarshal([]byte(`{"amount":"1.5"}`), &unknown); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("price without currency: %v", err)
	}
	if p, err := loyalty.PriceOf(loyalty.MustMoney("12.34", "RUB")); err != nil || p != loyalty.MustPrice("12.34", "RUB") {
		t.Errorf("PriceOf = %v, %v", p, err)
	}
}

func validOrder() loyalty.Order {
	return loyalty.Order{
		ID:       "order-1",
		Account:  "acme",
		Buyer:    "acme/ivanov",
		Currency: rub,
		PlacedAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		Lines: []loyalty.Line{
			{SKU: "bolt-m8", Category: "fasteners", Quantity: loyalty.MustQuantity("1000"), UnitPrice: loyalty.MustPrice("0.3555", "RUB"), UnitCost: loyalty.MustPrice("0.2", "RUB")},
			{SKU: "diesel", Category: "fuel", Quantity: loyalty.MustQuantity("40.25"), UnitPrice: loyalty.MustPrice("52.99", "RUB")},
		},
		Codes: []string{"sale-2026"},
	}
}

func TestOrderValidateAndTotals(t *testing.T) {
	o := validOrder()
	if err := o.Validate(); err != nil {
		t.Fatalf("valid order: %v", err)
	}
	sub, err := o.Subtotal()
	if err != nil || sub != loyalty.MustMoney("2488.35", "RUB") { // 355.50 + 2132.85
		t.Errorf("Subtotal = %v, %v; want 2488.35 RUB", sub, err)
	}
	totals, _ := o.LineTotals()
	if diff := cmp.Diff([]loyalty.Money{loyalty.MustMoney("355.50", "RUB"), loyalty.MustMoney("2132.85", "RUB")}, totals); diff != "" {
		t.Errorf("LineTotals (-want +got):\n%s", diff)
	}
	cost, err := o.Lines[0].TotalCost()
	if err != nil || cost != loyalty.MustMoney("200", "RUB") || !o.Lines[0].HasCost() || o.Lines[1].HasCost() {
		t.Errorf("cost = %v, %v", cost, err)
	}
	if _, err := o.Lines[1].TotalCost(); err == nil {
		t.Error("TotalCost of a line without cost succeeded")
	}
}

func TestOrderValidateInto(t *testing.T) {
	o := validOrder()
	totals, costs := make([]loyalty.Money, 2), make([]loyalty.Money, 2)
	if err := o.ValidateInto(totals, costs); err != nil {
		t.Fatalf("valid order: %v", err)
	}
	wantTotals, _ := o.LineTotals()
	if diff := cmp.Diff(wantTotals, totals); diff != "" {
		t.Errorf("totals (-LineTotals +ValidateInto):\n%s", diff)
	}
	// Line 0 costs 200; line 1's cost is unknown: the zero Money.
	if diff := cmp.Diff([]loyalty.Money{loyalty.MustMoney("200", "RUB"), {}}, costs); diff != "" {
		t.Errorf("costs (-want +got):\n%s", diff)
	}
	// Slices of another length are left alone; the errors are Validate's.
	short := []loyalty.Money{loyalty.MustMoney("1", "RUB")}
	if err := o.ValidateInto(short, nil); err != nil || short[0] != loyalty.MustMoney("1", "RUB") {
		t.Errorf("ValidateInto with one total for two lines: %v, wrote %v", err, short)
	}
	bad := validOrder()
	bad.Lines[1].Quantity = loyalty.Quantity{}
	if err, want := bad.ValidateInto(totals, costs), bad.Validate(); err == nil || err.Error() != want.Error() {
		t.Errorf("ValidateInto of an invalid order = %v, want %v", err, want)
	}
	if n := testing.AllocsPerRun(100, func() { _ = o.ValidateInto(totals, costs) }); n != 0 {
		t.Errorf("ValidateInto of a valid order allocates %v times", n)
	}
}

func TestOrderValidateNamesEveryBadField(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*loyalty.Order)
		want   []string
	}{
		"empty order": {func(o *loyalty.Order) { *o = loyalty.Order{} },
			[]string{"id: is required", "account: is required", "currency: is required", "placed_at: is required", "lines: must not be empty"}},
		"no lines": {func(o *loyalty.Order) { o.Lines = nil }, []string{"lines: must not be empty"}},
		"negative quantity": {func(o *loyalty.Order) { o.Lines[1].Quantity = loyalty.MustQuantity("-1") },
			[]string{"lines[1].quantity: must be positive (got -1)"}},
		"zero quantity": {func(o *loyalty.Order) { o.Lines[0].Quantity = loyalty.Quantity{} },
			[]string{"lines[0].quantity: must be positive (got 0)"}},
		"zero price": {func(o *loyalty.Order) { o.Lines[0].UnitPrice = loyalty.MustPrice("0", "RUB") },
			[]string{`lines[0].unit_price: must be positive (got "0.00 RUB")`}},
		"negative price": {func(o *loyalty.Order) { o.Lines[0].UnitPrice = loyalty.MustPrice("-1", "RUB") },
			[]string{`lines[0].unit_price: must be positive (got "-1.00 RUB")`}},
		"missing price": {func(o *loyalty.Order) { o.Lines[0].UnitPrice = loyalty.Price{} },
			[]string{"lines[0].unit_price: is required"}},
		"foreign currency": {func(o *loyalty.Order) { o.Lines[1].UnitPrice = loyalty.MustPrice("1", "USD") },
			[]string{`lines[1].unit_price: must be in the order currency RUB (got "1.00 USD")`}},
		"foreign cost": {func(o *loyalty.Order) { o.Lines[0].UnitCost = loyalty.MustPrice("1", "EUR") },
			[]string{`lines[0].unit_cost: must be in the order currency RUB (got "1.00 EUR")`}},
		"negative cost": {func(o *loyalty.Order) { o.Lines[0].UnitCost = loyalty.MustPrice("-1", "RUB") },
			[]string{`lines[0].unit_cost: must not be negative (got "-1.00 RUB")`}},
		"missing sku": {func(o *loyalty.Order) { o.Lines[1].SKU = "" }, []string{"lines[1].sku: is required"}},
		"empty tag":   {func(o *loyalty.Order) { o.Lines[1].Tags = []string{"ok", ""} }, []string{"lines[1].tags[1]: must not be empty"}},
		"empty code":  {func(o *loyalty.Order) { o.Codes = []string{""} }, []string{"codes[0]: must not be empty"}},
		"overflowing total": {func(o *loyalty.Order) {
			o.Lines[0].Quantity = loyalty.MustQuantity("9000000000000")
			o.Lines[0].UnitPrice = loyalty.MustPrice("9000000000000", "RUB")
		}, []string{"lines[0].quantity: times unit_price is out of range (got 9000000000000)"}},
		"overflowing subtotal": {func(o *loyalty.Order) { // each line's total fits, their sum does not
			o.Lines[0].Quantity, o.Lines[0].UnitPrice = loyalty.MustQuantity("6000"), loyalty.MustPrice("9000000000000", "RUB")
			o.Lines[1].Quantity, o.Lines[1].UnitPrice = loyalty.MustQuantity("6000"), loyalty.MustPrice("9000000000000", "RUB")
		}, []string{"lines: total is out of range"}},
	} {
		t.Run(name, func(t *testing.T) {
			o := validOrder()
			tc.mutate(&o)
			err := o.Validate()
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			got := strings.Split(err.Error(), "\n")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			var fe *loyalty.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("no *FieldError in %v", err)
			}
		})
	}
}

func TestOrderJSONRoundTrip(t *testing.T) {
	o := validOrder()
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back loyalty.Order
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("Unmarshal(%s): %v", data, err)
	}
	if diff := cmp.Diff(o, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestValidateReturn(t *testing.T) {
	o := validOrder()
	q := loyalty.MustQuantity
	if err := o.ValidateReturn([]loyalty.ReturnLine{{Line: 1, Quantity: q("40.25")}, {Line: 0, Quantity: q("400")}}, nil); err != nil {
		t.Errorf("valid return: %v", err)
	}
	prior := []loyalty.ReturnLine{{Line: 1, Quantity: q("40")}}
	for _, tc := range []struct {
		lines []loyalty.ReturnLine
		want  string
	}{
		{nil, "lines: must not be empty"},
		{[]loyalty.ReturnLine{{Line: 2, Quantity: q("1")}}, "lines[0].line: must be an order line index from 0 to 1 (got 2)"},
		{[]loyalty.ReturnLine{{Line: -1, Quantity: q("1")}}, "lines[0].line: must be an order line index from 0 to 1 (got -1)"},
		{[]loyalty.ReturnLine{{Line: 0, Quantity: q("0")}}, "lines[0].quantity: must be positive (got 0)"},
		{[]loyalty.ReturnLine{{Line: 1, Quantity: q("0.5")}}, "lines[0].quantity: exceeds the 0.25 still returnable (got 0.5)"},
		{[]loyalty.ReturnLine{{Line: 1, Quantity: q("0.2")}, {Line: 1, Quantity: q("0.2")}}, "lines[1].quantity: exceeds the 0.05 still returnable (got 0.2)"},
	} {
		err := o.ValidateReturn(tc.lines, prior)
		if !errors.Is(err, loyalty.ErrInvalid) || err.Error() != tc.want {
			t.Errorf("ValidateReturn(%v) = %v, want %q", tc.lines, err, tc.want)
		}
	}
}

func TestInFieldPrefixesNestedErrors(t *testing.T) {
	err := errors.Join(loyalty.Invalid("rate", "2", "must be at most 1"), loyalty.Invalid("[3]", nil, "is required"), errors.New("other"))
	got := loyalty.InField("rules", err).Error()
	want := "rules.rate: must be at most 1 (got 2)\nrules[3]: is required\nother"
	if got != want {
		t.Errorf("InField = %q, want %q", got, want)
	}
	if loyalty.InField("x", nil) != nil {
		t.Error("InField(nil) != nil")
	}
	wrapped := fmt.Errorf("tier: %w", errors.Join(loyalty.Invalid("levels[1].threshold", "5", "must increase"), loyalty.Invalid("window", nil, "is required")))
	got = loyalty.InField("tiers", wrapped).Error()
	want = "tiers.levels[1].threshold: must increase (got 5)\ntiers.window: is required"
	if got != want {
		t.Errorf("InField through a wrapper = %q, want %q", got, want)
	}
	plain := fmt.Errorf("tier: %w", loyalty.ErrNotFound)
	if loyalty.InField("tiers", plain) != plain {
		t.Error("InField changed an error that holds no field")
	}
}

func TestOrderValidateDoesNotAllocateWhenValid(t *testing.T) {
	o := validOrder()
	o.Lines[0].UnitCost = loyalty.Price{} // unknown costs must not cost an error value each
	if n := testing.AllocsPerRun(100, func() { _ = o.Validate() }); n != 0 {
		t.Errorf("Validate of a valid order allocates %v times", n)
	}
}

func TestPriceFromMicros(t *testing.T) {
	p, err := loyalty.PriceFromMicros(355500, rub)
	if err != nil || p != loyalty.MustPrice("0.3555", "RUB") {
		t.Errorf("PriceFromMicros = %v, %v", p, err)
	}
	if _, err := loyalty.PriceFromMicros(1, loyalty.Currency{}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("without currency: %v", err)
	}
	if _, err := loyalty.PriceFromMicros(-1<<63, rub); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("MinInt64: %v", err)
	}
}
