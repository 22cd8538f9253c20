package discount

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Precision is the number of decimal places to which the margin-impact functions round the
// results of their one division (with [decimal.Decimal.DivRound], halves away from zero).
// Every other step is exact.
const Precision = 10

// ErrDiscountAtMargin reports a discount at or above the margin where the question has no
// finite answer: no sales uplift can make up for a discount that consumes the whole margin.
var ErrDiscountAtMargin = errors.New("discount: the discount is at or above the margin")

// All margin-impact functions take and return percentages (0–100, 30 means 30 %). A margin
// is gross profit as a share of the price, m = (price − cost) / price; a markup is gross
// profit as a share of the cost, k = (price − cost) / cost.

func mathErr(field string, v decimal.Decimal, reason string) error {
	return fmt.Errorf("discount: %w", loyalty.Invalid(field, v, reason))
}

// checkMargin accepts a margin strictly between 0 and 100.
func checkMargin(field string, m decimal.Decimal) error {
	if m.Sign() <= 0 || m.GreaterThanOrEqual(hundred) {
		return mathErr(field, m, "must be a margin above 0 and below 100 percent")
	}
	return nil
}

func checkPct(field string, p decimal.Decimal) error {
	if err := checkPercent(field, p); err != nil {
		return fmt.Errorf("discount: %w", err)
	}
	return nil
}

// ProfitShare returns the share of a sale's gross profit that a discount gives away, in
// percent:
//
//	share = d / m × 100
//
// for margin m and discount d, both in percent of the price. A 5 % discount at a 30 % margin
// gives away 5/30 = 16.67 % of the profit. A result above 100 means the discounted sale
// makes a loss. Errors: a margin outside (0, 100), a discount outside [0, 100].
func ProfitShare(margin, disc decimal.Decimal) (decimal.Decimal, error) {
	if err := errors.Join(checkMargin("margin", margin), checkPct("discount", disc)); err != nil {
		return decimal.Decimal{}, err
	}
	return disc.Mul(hundred).DivRound(margin, Precision), nil
}

// Bonus describes a bonus (points) benefit for [BonusProfitShare] and [CompareDiscountBonus]:
// points worth Rate % of the price are earned on one purchase and spent on a later one. It is
// a plain value, safe for concurrent use.
type Bonus struct {
	// Margin is the seller's gross margin, in percent of the price (0 < Margin < 100).
	Margin decimal.Decimal
	// Rate is the value of the points earned, in percent of the price.
	Rate decimal.Decimal
	// Redemption is the percentage of issued points that customers come back to redeem
	// (100 − Redemption is breakage).
	Redemption decimal.Decimal
	// Expired is the percentage of the points that would be redeemed but expire first.
	Expired decimal.Decimal
	// Purchases is the number of purchases (at the same price) whose profit carries the cost
	// of one earning: earn on the first, redeem on a later one. Defaults to 2.
	Purchases int
}

func (b Bonus) validate() (int64, error) {
	n := int64(b.Purchases)
	if n == 0 {
		n = 2
	}
	var errs []error
	errs = append(errs, checkMargin("margin", b.Margin), checkPct("rate", b.Rate),
		checkPct("redemption", b.Redemption), checkPct("expired", b.Expired))
	if n < 1 {
		errs = append(errs, fmt.Errorf("discount: %w", loyalty.Invalid("purchases", b.Purchases, "must be at least 1")))
	}
	return n, errors.Join(errs...)
}

// BonusProfitShare returns the share of gross profit that a bonus gives away, in percent,
// over the purchases that carry it:
//
//	share = b × ρ / (n × m) × 100,    ρ = Redemption/100 × (1 − Expired/100)
//
// for margin m, bonus rate b (both in percent of the price), n purchases and ρ the share of
// issued points actually spent. The cost is paid only on the points redeemed, and the profit
// of every purchase in the cycle carries it. 5 % points at a 30 % margin, earned on one
// purchase and spent on the next (n = 2), all redeemed: 5/(2 × 30) = 8.33 %; with 70 %
// redeemed: 5.83 %.
func BonusProfitShare(b Bonus) (decimal.Decimal, error) {
	n, err := b.validate()
	if err != nil {
		return decimal.Decimal{}, err
	}
	// b × R × (100 − E) / (100 × n × m), in percent.
	num := b.Rate.Mul(b.Redemption).Mul(hundred.Sub(b.Expired))
	den := hundred.Mul(decimal.NewFromInt(n)).Mul(b.Margin)
	return num.DivRound(den, Precision), nil
}

// Comparison is the discount-versus-bonus comparison of one price, in money and in shares of
// profit. The amounts are rounded half-up to minor units; the shares come from the exact
// formulas of [ProfitShare] and [BonusProfitShare], not from the rounded amounts. It is a
// plain value, safe for concurrent use.
type Comparison struct {
	Price loyalty.Money `json:"price"`
	// Profit is the gross profit on one sale, Price × margin.
	Profit loyalty.Money `json:"profit"`
	// DiscountCost is the discount given on one sale, Price × rate.
	DiscountCost loyalty.Money `json:"discount_cost"`
	// DiscountShare is DiscountCost as a percentage of Profit.
	DiscountShare decimal.Decimal `json:"discount_share"`
	// BonusProfit is the gross profit on the purchases of the bonus cycle, n × Profit.
	BonusProfit loyalty.Money `json:"bonus_profit"`
	// BonusCost is the expected cost of the points earned on one purchase:
	// Price × rate × ρ (see [BonusProfitShare]).
	BonusCost loyalty.Money `json:"bonus_cost"`
	// BonusShare is BonusCost as a percentage of BonusProfit.
	BonusShare decimal.Decimal `json:"bonus_share"`
}

// CompareDiscountBonus compares giving b.Rate % as a discount on every purchase with giving
// it as points earned on one purchase and spent on a later one, for a price: what each costs
// and which share of the profit it gives away.
func CompareDiscountBonus(price loyalty.Money, b Bonus) (Comparison, error) {
	n, err := b.validate()
	if err != nil {
		return Comparison{}, err
	}
	if !price.IsPositive() {
		return Comparison{}, mathErr("price", price.Decimal(), "must be positive")
	}
	c := Comparison{Price: price}
	rho := b.Redemption.Mul(hundred.Sub(b.Expired)).Shift(-4)
	var errs [5]error
	c.Profit, errs[0] = price.MulRate(b.Margin.Shift(-2), loyalty.HalfUp)
	c.DiscountCost, errs[1] = price.MulRate(b.Rate.Shift(-2), loyalty.HalfUp)
	c.BonusProfit, errs[2] = price.MulRate(b.Margin.Shift(-2).Mul(decimal.NewFromInt(n)), loyalty.HalfUp)
	c.BonusCost, errs[3] = price.MulRate(b.Rate.Shift(-2).Mul(rho), loyalty.HalfUp) // rates combined, one rounding
	c.DiscountShare, errs[4] = ProfitShare(b.Margin, b.Rate)
	if err := errors.Join(errs[:]...); err != nil {
		return Comparison{}, err
	}
	c.BonusShare, err = BonusProfitShare(b)
	return c, err
}

// BreakEvenUplift returns the sales-volume increase, in percent, that keeps gross profit
// unchanged after a discount d at margin m (both in percent of the price):
//
//	m × Q = (m − d) × Q′   ⇒   Q′/Q − 1 = d / (m − d)
//
// A 5 % discount at a 30 % margin needs 5/25 = 20 % more sales. A discount at or above the
// margin has no break-even: the error wraps [ErrDiscountAtMargin].
func BreakEvenUplift(margin, disc decimal.Decimal) (decimal.Decimal, error) {
	if err := errors.Join(checkMargin("margin", margin), checkPct("discount", disc)); err != nil {
		return decimal.Decimal{}, err
	}
	if disc.GreaterThanOrEqual(margin) {
		return decimal.Decimal{}, fmt.Errorf("%w: %w", ErrDiscountAtMargin,
			loyalty.Invalid("discount", disc, "must be below the margin "+margin.String()))
	}
	return disc.Mul(hundred).DivRound(margin.Sub(disc), Precision), nil
}

// MaxDiscountForUplift returns the largest discount, in percent of the price, that a margin
// m allows when the sales uplift u (in percent) is expected: the d for which
// [BreakEvenUplift] equals u,
//
//	d / (m − d) = u   ⇒   d = m × u / (100 + u)    (u in percent).
//
// At a 30 % margin a 20 % uplift pays for at most a 5 % discount. u must not be negative.
func MaxDiscountForUplift(margin, uplift decimal.Decimal) (decimal.Decimal, error) {
	if err := checkMargin("margin", margin); err != nil {
		return decimal.Decimal{}, err
	}
	if uplift.Sign() < 0 {
		return decimal.Decimal{}, mathErr("uplift", uplift, "must not be negative")
	}
	return margin.Mul(uplift).DivRound(hundred.Add(uplift), Precision), nil
}

// MarkupToMargin converts a markup k (profit as a percentage of cost) to a margin (profit
// as a percentage of price): m = k / (100 + k) × 100. A 50 % markup is a 33.33 % margin.
func MarkupToMargin(markup decimal.Decimal) (decimal.Decimal, error) {
	if markup.Sign() < 0 {
		return decimal.Decimal{}, mathErr("markup", markup, "must not be negative")
	}
	return markup.Mul(hundred).DivRound(hundred.Add(markup), Precision), nil
}

// MarginToMarkup converts a margin m (percent of price, 0 ≤ m < 100) to a markup (percent of
// cost): k = m / (100 − m) × 100. A 30 % margin is a 42.86 % markup. A margin of 100 % or
// more has no markup (the cost would be zero or negative) and is an error.
func MarginToMarkup(margin decimal.Decimal) (decimal.Decimal, error) {
	if margin.Sign() < 0 || margin.GreaterThanOrEqual(hundred) {
		return decimal.Decimal{}, mathErr("margin", margin, "must be from 0 to below 100 percent")
	}
	return margin.Mul(hundred).DivRound(hundred.Sub(margin), Precision), nil
}

// Scheme is a points scheme for [EffectiveCashback]: Points are earned per full Per spent,
// and a reward that costs RewardPoints is worth RewardValue to the customer. It is a plain
// value, safe for concurrent use.
type Scheme struct {
	Points       int64         `json:"points"`
	Per          loyalty.Money `json:"per"`
	RewardPoints int64         `json:"reward_points"`
	RewardValue  loyalty.Money `json:"reward_value"`
}

// EffectiveCashback returns the share of spend that a points scheme returns, in percent:
//
//	cashback = Points / Per × RewardValue / RewardPoints × 100
//
// A fuel card earning 1 point per full 10 spent, whose 3,999 points buy 20 litres worth
// 1,100 (55 a litre), returns 1/10 × 1100/3999 = 2.75 %. Because points are earned per full
// step, this is the rate on whole multiples of Per, the most a purchase can get.
func EffectiveCashback(s Scheme) (decimal.Decimal, error) {
	var errs []error
	if s.Points <= 0 {
		errs = append(errs, loyalty.Invalid("points", s.Points, "must be positive"))
	}
	if !s.Per.IsPositive() {
		errs = append(errs, loyalty.Invalid("per", s.Per, "must be positive"))
	}
	if s.RewardPoints <= 0 {
		errs = append(errs, loyalty.Invalid("reward_points", s.RewardPoints, "must be positive"))
	}
	if s.RewardValue.IsNegative() || s.RewardValue.IsZero() && s.RewardValue.Currency().IsZero() {
		errs = append(errs, loyalty.Invalid("reward_value", s.RewardValue, "must be a non-negative amount"))
	}
	if err := errors.Join(errs...); err != nil {
		return decimal.Decimal{}, fmt.Errorf("discount: %w", err)
	}
	if s.Per.Currency() != s.RewardValue.Currency() {
		return decimal.Decimal{}, fmt.Errorf("discount: %w",
			&loyalty.CurrencyMismatchError{Op: "compare", A: s.Per.Currency(), B: s.RewardValue.Currency()})
	}
	num := decimal.NewFromInt(s.Points).Mul(s.RewardValue.Decimal()).Mul(hundred)
	den := s.Per.Decimal().Mul(decimal.NewFromInt(s.RewardPoints))
	return num.DivRound(den, Precision), nil
}

// Cell is one cell of a [Table]: a margin and a discount, the share of profit the discount
// gives away and the break-even uplift (undefined, with NoBreakEven set, when the discount
// is at or above the margin).
type Cell struct {
	Margin      decimal.Decimal `json:"margin"`
	Discount    decimal.Decimal `json:"discount"`
	ProfitShare decimal.Decimal `json:"profit_share"`
	Uplift      decimal.Decimal `json:"uplift"`
	NoBreakEven bool            `json:"no_break_even,omitempty"`
}

// Table is a teaching table over margins × discounts. Cells[i][j] is margin i, discount j.
// It is plain data, safe for concurrent reads.
type Table struct {
	Margins   []decimal.Decimal `json:"margins"`
	Discounts []decimal.Decimal `json:"discounts"`
	Cells     [][]Cell          `json:"cells"`
}

// TeachingTable computes a [Table] for every margin × discount: the share of profit given
// away and the sales uplift needed to break even. Margins must be in (0, 100), discounts in
// [0, 100].
func TeachingTable(margins, discounts []decimal.Decimal) (Table, error) {
	var errs []error
	if len(margins) == 0 {
		errs = append(errs, fmt.Errorf("discount: %w", loyalty.Invalid("margins", nil, "must not be empty")))
	}
	if len(discounts) == 0 {
		errs = append(errs, fmt.Errorf("discount: %w", loyalty.Invalid("discounts", nil, "must not be empty")))
	}
	for i, m := range margins {
		errs = append(errs, checkMargin(fmt.Sprintf("margins[%d]", i), m))
	}
	for j, d := range discounts {
		errs = append(errs, checkPct(fmt.Sprintf("discounts[%d]", j), d))
	}
	if err := errors.Join(errs...); err != nil {
		return Table{}, err
	}
	t := Table{Margins: margins, Discounts: discounts, Cells: make([][]Cell, len(margins))}
	for i, mg := range margins {
		t.Cells[i] = make([]Cell, len(discounts))
		for j, d := range discounts {
			c := Cell{Margin: mg, Discount: d}
			c.ProfitShare, _ = ProfitShare(mg, d)
			if u, err := BreakEvenUplift(mg, d); err != nil {
				c.NoBreakEven = true
			} else {
				c.Uplift = u
			}
			t.Cells[i][j] = c
		}
	}
	return t, nil
}

// String renders the table for a terminal: one row per margin, one column per discount,
// each cell "profit share / break-even uplift" rounded to whole percents ("—" when there is
// no break-even).
func (t Table) String() string {
	var b strings.Builder
	b.WriteString("margin \\ discount")
	for _, d := range t.Discounts {
		fmt.Fprintf(&b, " | %12s", d.String()+"%")
	}
	b.WriteString("\n")
	for i, row := range t.Cells {
		fmt.Fprintf(&b, "%16s%%", t.Margins[i].String())
		for _, c := range row {
			up := "—"
			if !c.NoBreakEven {
				up = c.Uplift.StringFixed(0) + "%"
			}
			fmt.Fprintf(&b, " | %12s", c.ProfitShare.StringFixed(0)+"% / "+up)
		}
		b.WriteString("\n")
	}
	return b.String()
}
