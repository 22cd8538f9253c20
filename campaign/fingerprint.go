package campaign

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/loyaltykit/loyalty"
)

// requestFingerprint is fingerprint(struct{O loyalty.Order; P EvaluateOptions}{o, opt}), the
// digest of a commit's request that its journal record keeps, computed without reflection:
// the JSON is written directly when every string of the request is printable ASCII that JSON
// writes as it is (the common case), and by encoding/json otherwise. Both give the same
// bytes, hence the same digest, which records stored by earlier versions rely on.
func requestFingerprint(o loyalty.Order, opt EvaluateOptions) (string, error) {
	w := jsonWriter{b: make([]byte, 0, 256+160*len(o.Lines)), ok: true}
	w.request(&o, &opt)
	if !w.ok {
		return fingerprint(struct {
			O loyalty.Order
			P EvaluateOptions
		}{o, opt})
	}
	sum := sha256.Sum256(w.b)
	return hex.EncodeToString(sum[:]), nil
}

// jsonWriter writes JSON as encoding/json does for the few types of a commit request; ok
// turns false when a value needs encoding/json's own handling (a string it escapes, a time
// it may refuse).
type jsonWriter struct {
	b  []byte
	ok bool
}

func (w *jsonWriter) raw(s string) { w.b = append(w.b, s...) }

func (w *jsonWriter) str(s string) {
	if !plain(s) {
		w.ok = false
		return
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

func (w *jsonWriter) strs(ss []string) {
	w.b = append(w.b, '[')
	for i, s := range ss {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(s)
	}
	w.b = append(w.b, ']')
}

// price writes p as loyalty.Price.MarshalJSON does: null for the unknown price, otherwise its
// amount without trailing fractional zeros (the form of a quantity of the same millionths)
// and its currency.
func (w *jsonWriter) price(p loyalty.Price) {
	if p.Currency().IsZero() {
		w.raw("null")
		return
	}
	w.raw(`{"amount":"`)
	w.raw(loyalty.QuantityFromMicros(p.Micros()).String())
	w.raw(`","currency":"`)
	w.raw(p.Currency().Code())
	w.raw(`"}`)
}

// request writes struct{O loyalty.Order; P EvaluateOptions}{*o, *opt}.
func (w *jsonWriter) request(o *loyalty.Order, opt *EvaluateOptions) {
	w.raw(`{"O":{"id":`)
	w.str(string(o.ID))
	w.raw(`,"account":`)
	w.str(string(o.Account))
	if o.Buyer != "" {
		w.raw(`,"buyer":`)
		w.str(string(o.Buyer))
	}
	w.raw(`,"currency":`)
	w.str(o.Currency.Code())
	w.raw(`,"placed_at":`)
	t, err := o.PlacedAt.MarshalJSON()
	if err != nil {
		w.ok = false
		return
	}
	w.b = append(w.b, t...)
	w.raw(`,"lines":`)
	if o.Lines == nil {
		w.raw("null")
	} else {
		w.b = append(w.b, '[')
		for i := range o.Lines {
			l := &o.Lines[i]
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.raw(`{"sku":`)
			w.str(string(l.SKU))
			if l.Category != "" {
				w.raw(`,"category":`)
				w.str(string(l.Category))
			}
			if len(l.Tags) > 0 {
				w.raw(`,"tags":`)
				w.strs(l.Tags)
			}
			w.raw(`,"quantity":"`)
			w.raw(l.Quantity.String())
			w.raw(`","unit_price":`)
			w.price(l.UnitPrice)
			w.raw(`,"unit_cost":`)
			w.price(l.UnitCost)
			if l.OnPromotion {
				w.raw(`,"on_promotion":true`)
			}
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if len(o.Codes) > 0 {
		w.raw(`,"codes":`)
		w.strs(o.Codes)
	}
	w.raw(`},"P":{`)
	if opt.RedeemPoints != 0 {
		w.raw(`"redeem_points":`)
		w.raw(opt.RedeemPoints.String())
		if len(opt.Segments) > 0 {
			w.b = append(w.b, ',')
		}
	}
	if len(opt.Segments) > 0 {
		w.raw(`"segments":`)
		w.strs(opt.Segments)
	}
	w.raw("}}")
}

// plain reports whether JSON writes s as it is between quotes: printable ASCII without the
// characters encoding/json escapes (", \ and the HTML-sensitive <, > and &).
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
