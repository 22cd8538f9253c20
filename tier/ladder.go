package tier

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Measure names what a ladder's thresholds are measured in. It is a plain string value, safe
// for concurrent use.
type Measure string

// The qualifying measures.
const (
	// Spend is money spent, in the ladder's currency ([Amount.Spend]).
	Spend Measure = "spend"
	// Volume is a quantity bought: litres, tonnes, pieces ([Amount.Volume]).
	Volume Measure = "volume"
	// PointsEarned is bonus points earned, as an integer count ([Amount.Count]).
	PointsEarned Measure = "points"
	// Orders is a number of orders placed ([Amount.Count]).
	Orders Measure = "orders"
	// Tenure is whole calendar months since enrolment ([Amount.Count]). It is computed from
	// the enrolment date, not recorded, and ignores the qualification window.
	Tenure Measure = "tenure"
)

// Validate reports whether m is one of the named measures.
func (m Measure) Validate() error {
	switch m {
	case Spend, Volume, PointsEarned, Orders, Tenure:
		return nil
	}
	return loyalty.Invalid("measure", string(m), "must be one of spend, volume, points, orders, tenure")
}

// Amount is a quantity of a qualifying measure. Exactly one field is used, the one of the
// ladder's [Measure]: Spend for spend ladders, Volume for volume ladders, Count for points,
// orders and tenure (months). The others must be zero. The zero Amount is zero in every
// measure. Amount is a value type, safe for concurrent use, and works with go-cmp.
type Amount struct {
	Spend  loyalty.Money    `json:"spend"`
	Volume loyalty.Quantity `json:"volume"`
	Count  int64            `json:"count,omitempty"`
}

// Benefits are what a level gives, as data: the tier package does not apply them; an
// orchestrator (or the shop) reads them. Zero fields mean "no such benefit". Benefits is a
// plain value: safe for concurrent use as long as nobody modifies Perks.
type Benefits struct {
	// DiscountRate is a discount on price, such as 0.05 for 5%. It must lie in [0, 1].
	DiscountRate decimal.Decimal `json:"discount_rate"`
	// EarnRate is the share of the price credited as bonus points, such as 0.05 when an
	// airline credits points worth 5% of the ticket price. It must not be negative.
	EarnRate decimal.Decimal `json:"earn_rate"`
	// EarnMultiplier multiplies the points earned under the base earn rules: 1.5 for "+50%
	// points", 2 for "double miles". Zero means 1 (no bonus); it must not be negative.
	EarnMultiplier decimal.Decimal `json:"earn_multiplier"`
	// Perks are named non-monetary benefits: "personal manager", "deferred payment",
	// "extended warranty", "free delivery", "lounge access". Each is non-empty, without
	// surrounding spaces, and unique within the level.
	Perks []string `json:"perks,omitempty"`
}

// Multiplier returns EarnMultiplier, or 1 when it is zero.
func (b Benefits) Multiplier() decimal.Decimal {
	if b.EarnMultiplier.IsZero() {
		return decimal.NewFromInt(1)
	}
	return b.EarnMultiplier
}

// HasPerk reports whether the benefits include the named perk.
func (b Benefits) HasPerk(name string) bool {
	for _, p := range b.Perks {
		if p == name {
			return true
		}
	}
	return false
}

// Commitment is a contract minimum attached to a level: the account commits to at least
// Minimum of the ladder's measure in every Period (1,000,000 RUB a quarter). The shortfall is
// reported by projections; when Enforce is set, an account that missed the minimum in the last
// complete period neither keeps the level at a downgrade review nor reaches it by an upgrade
// (a period that began before the account's enrolment does not count as missed). It is a plain
// value, safe for concurrent use.
type Commitment struct {
	// Period is the commitment period: month, quarter, half-year or year.
	Period loyalty.Period `json:"period"`
	// Minimum is the committed amount per period, in the ladder's measure; it must be positive.
	Minimum Amount `json:"minimum"`
	// Enforce makes a missed minimum a reason to downgrade (and not to upgrade).
	Enforce bool `json:"enforce,omitempty"`
}

// MembershipTerms make a level purchasable: a fee buys the level for a number of months
// (a paid club card that unlocks member prices). The tier package records the membership; the
// fee is charged by the caller. It is a plain value, safe for concurrent use.
type MembershipTerms struct {
	// Fee is the price of one membership period; it must not be negative and needs a currency.
	Fee loyalty.Money `json:"fee"`
	// Months is the length of one membership period; it must be at least 1.
	Months int `json:"months"`
}

// Level is one rung of a [Ladder]. It is a plain value: safe for concurrent use as long as
// nobody modifies it.
type Level struct {
	// Name identifies the level in explanations and events: "Silver". Required and unique.
	Name string `json:"name"`
	// Threshold is the qualifying amount from which an account reaches the level. The first
	// level is the entry level: its threshold must be zero. Thresholds strictly increase.
	Threshold Amount `json:"threshold"`
	// Benefits are what the level gives.
	Benefits Benefits `json:"benefits"`
	// Commitment, when set, is a contract minimum attached to the level.
	Commitment *Commitment `json:"commitment,omitempty"`
	// Membership, when set, lets an account buy the level for a fee.
	Membership *MembershipTerms `json:"membership,omitempty"`
}

// Ladder is the whole configuration of a tiered program: ordered levels with thresholds on
// one qualifying measure, the window the measure is summed over, and the review policy. It
// is a plain value, validated by [Ladder.Validate] and compiled by [NewEvaluator] (which copies
// it, so later changes to the Ladder do not affect the Evaluator). It marshals to and from
// JSON. Safe for concurrent use as long as nobody modifies it.
type Ladder struct {
	// Measure is what thresholds count. Defaults to [Spend].
	Measure Measure `json:"measure,omitempty"`
	// Currency is the currency of a spend ladder; required for spend ladders and unused
	// otherwise. Every threshold and recorded spend must be in it.
	Currency loyalty.Currency `json:"currency"`
	// Levels, lowest first. At least one; the first is the entry level every account starts at.
	Levels []Level `json:"levels"`
	// Window is the qualification window the measure is summed over. The zero Window is the
	// lifetime window.
	Window Window `json:"window"`
	// Review says when upgrades and downgrades take effect. The zero ReviewPolicy applies
	// both immediately.
	Review ReviewPolicy `json:"review"`
}

func (l Ladder) measure() Measure {
	if l.Measure == "" {
		return Spend
	}
	return l.Measure
}

// Validate checks the ladder. Errors are [*loyalty.FieldError] values naming the field path
// ("levels[2].threshold.spend: must be greater than the threshold of levels[1] (got …)"),
// joined when there are several, wrapped with the "tier:" prefix.
func (l Ladder) Validate() error {
	var errs []error
	m := l.measure()
	if err := m.Validate(); err != nil {
		errs = append(errs, err)
	} else if m == Spend && l.Currency.IsZero() {
		errs = append(errs, loyalty.Invalid("currency", nil, "is required for a spend ladder"))
	} else if m != Spend && !l.Currency.IsZero() {
		errs = append(errs, loyalty.Invalid("currency", l.Currency, "must be empty unless the measure is spend"))
	}
	if len(l.Levels) == 0 {
		errs = append(errs, loyalty.Invalid("levels", nil, "must have at least one level"))
	}
	names := make(map[string]int, len(l.Levels))
	var prev int64
	for i, lv := range l.Levels {
		path := fmt.Sprintf("levels[%d]", i)
		switch {
		case strings.TrimSpace(lv.Name) == "":
			errs = append(errs, loyalty.Invalid(path+".name", nil, "is required"))
		case strings.TrimSpace(lv.Name) != lv.Name:
			errs = append(errs, loyalty.Invalid(path+".name", lv.Name, "must not start or end with spaces"))
		default:
			if j, dup := names[lv.Name]; dup {
				errs = append(errs, loyalty.Invalid(path+".name", lv.Name, fmt.Sprintf("duplicates levels[%d].name", j)))
			} else {
				names[lv.Name] = i
			}
		}
		if m.Validate() == nil {
			u, err := amountUnits(m, l.Currency, lv.Threshold)
			if err != nil {
				errs = append(errs, loyalty.InField(path+".threshold", err))
			} else {
				f := path + ".threshold." + measureField(m)
				switch {
				case u < 0:
					errs = append(errs, loyalty.Invalid(f, formatAmount(lv.Threshold, m), "must not be negative"))
				case i == 0 && u != 0:
					errs = append(errs, loyalty.Invalid(f, formatAmount(lv.Threshold, m), "must be zero: the first level is the entry level"))
				case i > 0 && u <= prev:
					reason := fmt.Sprintf("must be greater than the threshold of levels[%d]", i-1)
					if u == prev {
						reason = fmt.Sprintf("duplicates the threshold of levels[%d]", i-1)
					}
					errs = append(errs, loyalty.Invalid(f, formatAmount(lv.Threshold, m), reason))
				}
				prev = max(prev, u)
			}
		}
		errs = append(errs, loyalty.InField(path+".benefits", lv.Benefits.validate()))
		if c := lv.Commitment; c != nil {
			errs = append(errs, loyalty.InField(path+".commitment", c.validate(m, l.Currency)))
		}
		if ms := lv.Membership; ms != nil {
			errs = append(errs, loyalty.InField(path+".membership", ms.validate()))
		}
	}
	errs = append(errs, loyalty.InField("window", l.Window.Validate()))
	errs = append(errs, loyalty.InField("review", l.Review.Validate()))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tier: invalid ladder: %w", err)
	}
	return nil
}

func (b Benefits) validate() error {
	var errs []error
	if b.DiscountRate.IsNegative() || b.DiscountRate.GreaterThan(decimal.NewFromInt(1)) {
		errs = append(errs, loyalty.Invalid("discount_rate", b.DiscountRate, "must lie between 0 and 1"))
	}
	if b.EarnRate.IsNegative() {
		errs = append(errs, loyalty.Invalid("earn_rate", b.EarnRate, "must not be negative"))
	}
	if b.EarnMultiplier.IsNegative() {
		errs = append(errs, loyalty.Invalid("earn_multiplier", b.EarnMultiplier, "must not be negative"))
	}
	seen := make(map[string]bool, len(b.Perks))
	for i, p := range b.Perks {
		f := fmt.Sprintf("perks[%d]", i)
		switch {
		case strings.TrimSpace(p) == "":
			errs = append(errs, loyalty.Invalid(f, nil, "must not be empty"))
		case strings.TrimSpace(p) != p:
			errs = append(errs, loyalty.Invalid(f, p, "must not start or end with spaces"))
		case seen[p]:
			errs = append(errs, loyalty.Invalid(f, p, "is listed twice"))
		}
		seen[p] = true
	}
	return errors.Join(errs...)
}

func (c Commitment) validate(m Measure, cur loyalty.Currency) error {
	var errs []error
	switch c.Period {
	case loyalty.Month, loyalty.Quarter, loyalty.HalfYear, loyalty.Year:
	default:
		errs = append(errs, loyalty.Invalid("period", string(c.Period), "must be one of month, quarter, half-year, year"))
	}
	if m == Tenure {
		errs = append(errs, loyalty.Invalid("minimum", nil, "is not possible on a tenure ladder"))
	} else if m.Validate() == nil {
		u, err := amountUnits(m, cur, c.Minimum)
		if err != nil {
			errs = append(errs, loyalty.InField("minimum", err))
		} else if u <= 0 {
			errs = append(errs, loyalty.Invalid("minimum."+measureField(m), formatAmount(c.Minimum, m), "must be positive"))
		}
	}
	return errors.Join(errs...)
}

func (t MembershipTerms) validate() error {
	var errs []error
	if t.Fee.Currency().IsZero() {
		errs = append(errs, loyalty.Invalid("fee", nil, "needs a currency"))
	} else if t.Fee.IsNegative() {
		errs = append(errs, loyalty.Invalid("fee", t.Fee, "must not be negative"))
	}
	if t.Months < 1 {
		errs = append(errs, loyalty.Invalid("months", t.Months, "must be at least 1"))
	}
	return errors.Join(errs...)
}

// measureField is the JSON name of the Amount field a measure uses.
func measureField(m Measure) string {
	switch m {
	case Spend:
		return "spend"
	case Volume:
		return "volume"
	}
	return "count"
}

// amountUnits converts a to the integer units of measure m: minor units of cur for spend,
// millionths for volume, the count otherwise. Fields of other measures must be zero.
func amountUnits(m Measure, cur loyalty.Currency, a Amount) (int64, error) {
	var errs []error
	if m != Spend && !a.Spend.IsZero() {
		errs = append(errs, loyalty.Invalid("spend", a.Spend, "must be zero unless the measure is spend"))
	}
	if m != Volume && !a.Volume.IsZero() {
		errs = append(errs, loyalty.Invalid("volume", a.Volume, "must be zero unless the measure is volume"))
	}
	if (m == Spend || m == Volume) && a.Count != 0 {
		errs = append(errs, loyalty.Invalid("count", a.Count, "must be zero on a "+string(m)+" ladder"))
	}
	if m == Spend && !a.Spend.IsZero() && a.Spend.Currency() != cur {
		errs = append(errs, loyalty.Invalid("spend", a.Spend, "must be in "+cur.Code()+" like the ladder"))
	}
	if len(errs) > 0 {
		return 0, errors.Join(errs...)
	}
	switch m {
	case Spend:
		return a.Spend.MinorUnits(), nil
	case Volume:
		return a.Volume.Micros(), nil
	}
	return a.Count, nil
}

// unitsAmount is the inverse of amountUnits.
func unitsAmount(m Measure, cur loyalty.Currency, u int64) Amount {
	switch m {
	case Spend:
		if u == -u && u != 0 { // math.MinInt64 cannot be Money; saturate
			u = -u - 1
		}
		v, _ := loyalty.MoneyFromMinor(u, cur)
		return Amount{Spend: v}
	case Volume:
		return Amount{Volume: loyalty.QuantityFromMicros(u)}
	}
	return Amount{Count: u}
}

// formatAmount renders the field of a that measure m uses.
func formatAmount(a Amount, m Measure) string {
	switch m {
	case Spend:
		return a.Spend.String()
	case Volume:
		return a.Volume.String()
	case PointsEarned:
		return plural(a.Count, "point")
	case Orders:
		return plural(a.Count, "order")
	case Tenure:
		return plural(a.Count, "month")
	}
	return fmt.Sprint(a.Count)
}

func plural(n int64, unit string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
