package loyalty_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/loyaltykit/loyalty"
)

// Laws of money, checked with rapid over currencies of 0, 2, 3 and 4 minor digits.

var genCurrency = rapid.SampledFrom([]loyalty.Currency{
	loyalty.MustCurrency("RUB"), loyalty.MustCurrency("JPY"), loyalty.MustCurrency("KWD"), loyalty.MustCurrency("CLF"),
})

// genMoney draws amounts small enough that sums of a few never overflow.
func genMoney(cur loyalty.Currency) *rapid.Generator[loyalty.Money] {
	return rapid.Custom(func(t *rapid.T) loyalty.Money {
		return minor(rapid.Int64Range(-1e15, 1e15).Draw(t, "units"), cur)
	})
}

var genMode = rapid.SampledFrom([]loyalty.RoundingMode{
	loyalty.HalfUp, loyalty.HalfEven, loyalty.Up, loyalty.Down, loyalty.Ceiling, loyalty.Floor,
})

// genDecimal draws decimals with up to 18 digits and exponents from -20 to 3: rates,
// multipliers, prices.
var genDecimal = rapid.Custom(func(t *rapid.T) decimal.Decimal {
	digits := rapid.IntRange(0, 18).Draw(t, "digits")
	limit := int64(1)
	for range digits {
		limit *= 10
	}
	return decimal.New(rapid.Int64Range(-limit, limit).Draw(t, "coef"), int32(rapid.IntRange(-20, 3).Draw(t, "exp")))
})

// roundRef rounds d to places with decimal's own rounding: an oracle independent of the
// library's integer arithmetic.
func roundRef(d decimal.Decimal, places int32, mode loyalty.RoundingMode) decimal.Decimal {
	switch mode {
	case loyalty.HalfEven:
		return d.RoundBank(places)
	case loyalty.Up:
		return d.RoundUp(places)
	case loyalty.Down:
		return d.RoundDown(places)
	case loyalty.Ceiling:
		return d.RoundCeil(places)
	case loyalty.Floor:
		return d.RoundFloor(places)
	}
	return d.Round(places) // half away from zero
}

func TestPropAdditionCommutesAndAssociates(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		a, b, c := genMoney(cur).Draw(t, "a"), genMoney(cur).Draw(t, "b"), genMoney(cur).Draw(t, "c")
		ab, _ := a.Add(b)
		ba, _ := b.Add(a)
		if ab != ba {
			t.Fatalf("%v + %v = %v but %v + %v = %v", a, b, ab, b, a, ba)
		}
		abc1, _ := ab.Add(c)
		bc, _ := b.Add(c)
		abc2, _ := a.Add(bc)
		if abc1 != abc2 {
			t.Fatalf("(a+b)+c = %v, a+(b+c) = %v", abc1, abc2)
		}
	})
}

func TestPropSubThenAddRestores(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		a, b := genMoney(cur).Draw(t, "a"), genMoney(cur).Draw(t, "b")
		d, err := a.Sub(b)
		if err != nil {
			t.Fatal(err)
		}
		back, err := d.Add(b)
		if err != nil || back != a {
			t.Fatalf("(%v - %v) + %v = %v, %v", a, b, b, back, err)
		}
	})
}

func TestPropMulRateMatchesDecimalOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		m := genMoney(cur).Draw(t, "m")
		rate := genDecimal.Draw(t, "rate")
		mode := genMode.Draw(t, "mode")
		got, err := m.MulRate(rate, mode)
		want := roundRef(m.Decimal().Mul(rate), int32(cur.Digits()), mode)
		wantUnits := want.Shift(int32(cur.Digits()))
		if !wantUnits.Abs().LessThan(decimal.New(1, 18).Mul(decimal.NewFromInt(9))) {
			if err != nil && !errors.Is(err, loyalty.ErrOverflow) {
				t.Fatalf("%v × %s: unexpected error %v", m, rate, err)
			}
			return // out of range (or close to it): an overflow error is the right answer
		}
		if err != nil {
			t.Fatalf("%v × %s (%v): %v, want %s", m, rate, mode, err, want)
		}
		if !got.Decimal().Equal(want) {
			t.Fatalf("%v × %s (%v) = %v, want %s", m, rate, mode, got, want)
		}
	})
}

func TestPropLineTotalMatchesDecimalOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		price := rapid.Int64Range(1, 1e12).Draw(t, "price_micros")
		qty := rapid.Int64Range(1, 1e12).Draw(t, "qty_micros")
		mode := genMode.Draw(t, "mode")
		p, _ := loyalty.ParsePrice(decimal.New(price, -6).String(), cur.Code())
		q := loyalty.QuantityFromMicros(qty)
		got, err := p.Times(q, mode)
		if err != nil {
			t.Fatal(err)
		}
		want := roundRef(p.Decimal().Mul(q.Decimal()), int32(cur.Digits()), mode)
		if !got.Decimal().Equal(want) {
			t.Fatalf("%v × %v (%v) = %v, want %s", p, q, mode, got, want)
		}
	})
}

func TestPropRoundingIsIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		d := genDecimal.Draw(t, "d")
		mode := genMode.Draw(t, "mode")
		once, err := loyalty.MoneyFromDecimal(d, cur, mode)
		if err != nil {
			if !errors.Is(err, loyalty.ErrOverflow) {
				t.Fatal(err)
			}
			return
		}
		for _, m2 := range []loyalty.RoundingMode{mode, loyalty.HalfUp, loyalty.Floor} {
			twice, err := loyalty.MoneyFromDecimal(once.Decimal(), cur, m2)
			if err != nil || twice != once {
				t.Fatalf("rounding %s: once %v, again (%v) %v, %v", d, once, m2, twice, err)
			}
		}
	})
}

func TestPropAllocationSumsExactlyWithTheRightSigns(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		total := minor(rapid.Int64Range(-1<<62, 1<<62).Draw(t, "total"), cur)
		weights := rapid.SliceOfN(rapid.Int64Range(0, 1e12), 1, 50).Draw(t, "weights")
		if rapid.Bool().Draw(t, "ensure a positive weight") {
			weights[rapid.IntRange(0, len(weights)-1).Draw(t, "i")] = rapid.Int64Range(1, 1e12).Draw(t, "w")
		}
		parts, err := total.Allocate(weights)
		var sumW int64
		for _, w := range weights {
			sumW += w
		}
		if sumW == 0 && !total.IsZero() {
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("all-zero weights: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		sum := loyalty.Zero(cur)
		for i, p := range parts {
			if p.Sign()*total.Sign() < 0 {
				t.Fatalf("part %d = %v has the opposite sign of %v", i, p, total)
			}
			if weights[i] == 0 && !p.IsZero() {
				t.Fatalf("part %d has weight 0 but got %v", i, p)
			}
			// Each part is within one minor unit of its exact share.
			if sumW == 0 {
				continue
			}
			exact := total.Decimal().Mul(decimal.NewFromInt(weights[i])).DivRound(decimal.NewFromInt(sumW), 30)
			if p.Decimal().Sub(exact).Abs().GreaterThanOrEqual(decimal.New(1, -int32(cur.Digits()))) {
				t.Fatalf("part %d = %v is a whole unit or more from its share %s", i, p, exact)
			}
			sum, _ = sum.Add(p)
		}
		if sum != total {
			t.Fatalf("parts sum to %v, want %v", sum, total)
		}
		ints := make([]int64, len(weights))
		if err := loyalty.AllocateInts(ints, total.MinorUnits(), weights); err != nil {
			t.Fatal(err)
		}
		for i := range ints {
			if ints[i] != parts[i].MinorUnits() {
				t.Fatalf("AllocateInts part %d = %d, Money.Allocate gave %v", i, ints[i], parts[i])
			}
		}
	})
}

func TestPropSplitIsEven(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		total := genMoney(cur).Draw(t, "total")
		n := rapid.IntRange(1, 40).Draw(t, "n")
		parts, err := total.Split(n)
		if err != nil {
			t.Fatal(err)
		}
		sum := loyalty.Zero(cur)
		for _, p := range parts {
			diff, _ := p.Sub(parts[n-1])
			if diff.Abs().MinorUnits() > 1 {
				t.Fatalf("parts %v differ by more than one unit", parts)
			}
			sum, _ = sum.Add(p)
		}
		if sum != total {
			t.Fatalf("parts sum to %v, want %v", sum, total)
		}
	})
}

func TestPropTextAndJSONRoundTripsAreLossless(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		m := minor(rapid.Int64Range(-(1<<63-1), 1<<63-1).Draw(t, "units"), cur)
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back loyalty.Money
		if err := json.Unmarshal(data, &back); err != nil || back != m {
			t.Fatalf("JSON %s → %v, %v; want %v", data, back, err, m)
		}
		parsed, err := loyalty.ParseMoney(m.Amount(), cur.Code())
		if err != nil || parsed != m {
			t.Fatalf("ParseMoney(%q) = %v, %v; want %v", m.Amount(), parsed, err, m)
		}
		p, _ := loyalty.ParsePrice(decimal.New(rapid.Int64().Draw(t, "price"), -6).String(), cur.Code())
		if p.Micros() == -1<<63 {
			return
		}
		data, _ = json.Marshal(p)
		var pb loyalty.Price
		if err := json.Unmarshal(data, &pb); err != nil || pb != p {
			t.Fatalf("Price JSON %s → %v, %v; want %v", data, pb, err, p)
		}
		q := loyalty.QuantityFromMicros(rapid.Int64Range(-(1<<63-1), 1<<63-1).Draw(t, "qty"))
		data, _ = json.Marshal(q)
		var qb loyalty.Quantity
		if err := json.Unmarshal(data, &qb); err != nil || qb != q {
			t.Fatalf("Quantity JSON %s → %v, %v; want %v", data, qb, err, q)
		}
	})
}

func TestPropDivRateMatchesDecimalOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genCurrency.Draw(t, "cur")
		m := genMoney(cur).Draw(t, "m")
		rate := genDecimal.Draw(t, "rate")
		mode := genMode.Draw(t, "mode")
		got, err := m.DivRate(rate, mode)
		if rate.IsZero() {
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("%v ÷ 0: %v, want ErrInvalid", m, err)
			}
			return
		}
		// The quotient to 60 decimals rounds like the exact one: an 18-digit divisor cannot
		// produce a run of 55 nines or zeros that would hide which side of a half it is on.
		q := m.Decimal().DivRound(rate, 60)
		want := roundRef(q, int32(cur.Digits()), mode)
		if q.Abs().Shift(int32(cur.Digits())).GreaterThan(decimal.New(9, 18)) {
			if err != nil && !errors.Is(err, loyalty.ErrOverflow) {
				t.Fatalf("%v ÷ %s: unexpected error %v", m, rate, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%v ÷ %s (%v): %v, want %s", m, rate, mode, err, want)
		}
		if !got.Decimal().Equal(want) {
			t.Fatalf("%v ÷ %s (%v) = %v, want %s", m, rate, mode, got, want)
		}
	})
}
