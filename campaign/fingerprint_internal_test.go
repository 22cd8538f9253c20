package campaign

import (
	"testing"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"pgregory.net/rapid"
)

// requestFingerprint must give the digest of the request's JSON encoding, which the journal
// records of earlier versions keep: on random requests, with plain and awkward strings
// (quotes, HTML characters, control characters, non-ASCII, invalid UTF-8), nil and empty
// lists, known and unknown prices, times in zones of every kind.
func TestRequestFingerprintIsTheJSONDigest(t *testing.T) {
	plainStrs := []string{"", "a", "acme-42", "SAVE10", "ok ~ fine!", "{x}[y]:'z'"}
	strs := append([]string{`q"uote`, `back\slash`, "<b>&amp;", "a<b", "x>y", "a&b", "tab\there", "line\nbreak",
		"\x01", "\x7f", "привет", "\u2028", "bad\xffutf8"}, plainStrs...)
	zones := []*time.Location{time.UTC, time.FixedZone("MSK", 3*3600), time.FixedZone("odd", -(5*3600 + 30*60 + 17)),
		time.FixedZone("Z0", 0), time.FixedZone("far", 25*3600)}
	curs := []loyalty.Currency{{}, loyalty.MustCurrency("RUB"), loyalty.MustCurrency("JPY"), loyalty.MustCurrency("KWD")}
	awkward := false // whether the request's strings may need escaping
	str := func(t *rapid.T, label string) string {
		if awkward {
			return rapid.SampledFrom(strs).Draw(t, label)
		}
		return rapid.SampledFrom(plainStrs).Draw(t, label)
	}
	list := func(t *rapid.T, label string) []string {
		switch n := rapid.IntRange(-1, 2).Draw(t, label); n {
		case -1:
			return nil
		default:
			out := make([]string, n)
			for i := range out {
				out[i] = str(t, label)
			}
			return out
		}
	}
	price := func(t *rapid.T, label string) loyalty.Price {
		cur := rapid.SampledFrom(curs).Draw(t, label+" currency")
		if cur.IsZero() {
			return loyalty.Price{}
		}
		p, err := loyalty.PriceFromMicros(rapid.Int64Range(-5_000_000, 5_000_000_000).Draw(t, label), cur)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	runs, fast := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		awkward = rapid.Bool().Draw(t, "awkward")
		o := loyalty.Order{ID: loyalty.OrderID(str(t, "id")), Account: loyalty.AccountID(str(t, "account")),
			Buyer: loyalty.BuyerID(str(t, "buyer")), Currency: rapid.SampledFrom(curs).Draw(t, "currency"),
			PlacedAt: time.Unix(rapid.Int64Range(-70_000_000_000, 300_000_000_000).Draw(t, "time"),
				rapid.Int64Range(0, 999_999_999).Draw(t, "nanos")).In(rapid.SampledFrom(zones).Draw(t, "zone")),
			Codes: list(t, "codes")}
		if rapid.Bool().Draw(t, "zero time") {
			o.PlacedAt = time.Time{}
		}
		if n := rapid.IntRange(-1, 3).Draw(t, "lines"); n >= 0 {
			o.Lines = make([]loyalty.Line, n)
			for i := range o.Lines {
				o.Lines[i] = loyalty.Line{SKU: loyalty.SKU(str(t, "sku")), Category: loyalty.CategoryID(str(t, "category")),
					Tags: list(t, "tags"), Quantity: loyalty.QuantityFromMicros(rapid.Int64Range(-10, 10_000_000_000).Draw(t, "quantity")),
					UnitPrice: price(t, "price"), UnitCost: price(t, "cost"), OnPromotion: rapid.Bool().Draw(t, "promotion")}
			}
		}
		opt := EvaluateOptions{RedeemPoints: points.Points(rapid.Int64Range(-3, 1000).Draw(t, "redeem")), Segments: list(t, "segments")}
		want, wantErr := fingerprint(struct {
			O loyalty.Order
			P EvaluateOptions
		}{o, opt})
		got, err := requestFingerprint(o, opt)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Fatalf("requestFingerprint = %q, %v; the JSON digest is %q, %v", got, err, want, wantErr)
		}
		w := jsonWriter{ok: true}
		w.request(&o, &opt)
		runs++
		if w.ok {
			fast++
		}
	})
	if fast*10 < runs {
		t.Fatalf("only %d of %d requests took the direct path", fast, runs)
	}
}

// The fast path is the common case: a plain request is written directly.
func TestRequestFingerprintWritesPlainRequests(t *testing.T) {
	o := loyalty.Order{ID: "o-1", Account: "acme", Currency: loyalty.MustCurrency("RUB"),
		PlacedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), Codes: []string{"SAVE10"},
		Lines: []loyalty.Line{{SKU: "drill", Category: "tools", Quantity: loyalty.QuantityFromMicros(2_000_000),
			UnitPrice: loyalty.MustPrice("5000", "RUB")}}}
	w := jsonWriter{ok: true}
	w.request(&o, &EvaluateOptions{RedeemPoints: 10})
	if !w.ok {
		t.Fatal("a plain request took the encoding/json path")
	}
	const want = `{"O":{"id":"o-1","account":"acme","currency":"RUB","placed_at":"2026-03-02T10:00:00Z",` +
		`"lines":[{"sku":"drill","category":"tools","quantity":"2","unit_price":{"amount":"5000","currency":"RUB"},"unit_cost":null}],` +
		`"codes":["SAVE10"]},"P":{"redeem_points":10}}`
	if string(w.b) != want {
		t.Fatalf("wrote\n%s\nwant\n%s", w.b, want)
	}
}

// Every kind of string JSON escapes, alone in an otherwise plain request, in each place a
// string goes.
func TestRequestFingerprintEscapes(t *testing.T) {
	for _, s := range []string{`q"uote`, `back\slash`, "a<b", "x>y", "a&b", "tab\there", "\x01", "\x7f", "привет",
		"\u2028", "bad\xffutf8"} {
		for place := range 7 {
			o := loyalty.Order{ID: "o-1", Account: "acme", Currency: loyalty.MustCurrency("RUB"),
				PlacedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
				Lines: []loyalty.Line{{SKU: "drill", Quantity: loyalty.QuantityFromMicros(1_000_000),
					UnitPrice: loyalty.MustPrice("5000", "RUB")}}}
			var opt EvaluateOptions
			switch place {
			case 0:
				o.ID = loyalty.OrderID(s)
			case 1:
				o.Buyer = loyalty.BuyerID(s)
			case 2:
				o.Lines[0].SKU = loyalty.SKU(s)
			case 3:
				o.Lines[0].Category = loyalty.CategoryID(s)
			case 4:
				o.Lines[0].Tags = []string{"x", s}
			case 5:
				o.Codes = []string{s}
			case 6:
				opt.Segments = []string{s}
			}
			want, err := fingerprint(struct {
				O loyalty.Order
				P EvaluateOptions
			}{o, opt})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := requestFingerprint(o, opt); err != nil || got != want {
				t.Errorf("%q in place %d: requestFingerprint = %q, %v; the JSON digest is %q", s, place, got, err, want)
			}
		}
	}
}
