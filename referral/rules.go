package referral

import (
	"errors"
	"fmt"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// RewardKind says what a [Reward] is.
type RewardKind string

// The reward kinds. Rewards are data: the orchestrator grants them through the package that
// owns the benefit (points, discount, promo); this package imports none of them.
const (
	RewardPoints   RewardKind = "points"   // Points bonus points
	RewardDiscount RewardKind = "discount" // a discount of Rate (0.30 for 30%)
	RewardPromo    RewardKind = "promo"    // one promo code of the code family Family
	RewardCredit   RewardKind = "credit"   // a money credit of Credit to the account
)

// Reward is one benefit to grant, as data. Exactly the field of its Kind is set:
// Points for points, Rate for a discount, Family for a promo code, Credit for a credit.
// Label is an optional name shown in explanations ("30% off the first order").
// A Reward is a plain value, safe for concurrent use when not modified.
type Reward struct {
	Kind   RewardKind      `json:"kind"`
	Points int64           `json:"points,omitempty"`
	Rate   decimal.Decimal `json:"rate"`
	Family string          `json:"family,omitempty"`
	Credit loyalty.Money   `json:"credit"`
	Label  string          `json:"label,omitempty"`
}

// PointsReward returns a reward of n points.
func PointsReward(n int64) Reward { return Reward{Kind: RewardPoints, Points: n} }

// DiscountReward returns a discount reward of rate (0.30 for 30%).
func DiscountReward(rate decimal.Decimal) Reward { return Reward{Kind: RewardDiscount, Rate: rate} }

// PromoReward returns a reward of one promo code of family.
func PromoReward(family string) Reward { return Reward{Kind: RewardPromo, Family: family} }

// CreditReward returns a money credit of m.
func CreditReward(m loyalty.Money) Reward { return Reward{Kind: RewardCredit, Credit: m} }

// String describes r: "500 points", "30% discount", "promo code of family WELCOME",
// "credit of 1000.00 RUB", or its Label when it has one.
func (r Reward) String() string {
	if r.Label != "" {
		return r.Label
	}
	switch r.Kind {
	case RewardPoints:
		return fmt.Sprintf("%d points", r.Points)
	case RewardDiscount:
		return r.Rate.Shift(2).String() + "% discount"
	case RewardPromo:
		return "promo code of family " + r.Family
	case RewardCredit:
		return "credit of " + r.Credit.String()
	}
	return string(r.Kind)
}

// Validate checks that r has a known kind and exactly its kind's field, with a sensible value.
func (r Reward) Validate() error {
	var errs []error
	set := func(field string, isSet bool, v any) {
		if isSet {
			errs = append(errs, loyalty.Invalid(field, v, "must be empty for a "+string(r.Kind)+" reward"))
		}
	}
	switch r.Kind {
	case RewardPoints:
		if r.Points <= 0 {
			errs = append(errs, loyalty.Invalid("points", r.Points, "must be positive"))
		}
	case RewardDiscount:
		if !r.Rate.IsPositive() || r.Rate.GreaterThan(decimal.NewFromInt(1)) {
			errs = append(errs, loyalty.Invalid("rate", r.Rate, "must be greater than 0 and at most 1 (0.30 is 30%)"))
		}
	case RewardPromo:
		if r.Family == "" {
			errs = append(errs, loyalty.Invalid("family", nil, "is required for a promo reward"))
		}
	case RewardCredit:
		if r.Credit.Currency().IsZero() || !r.Credit.IsPositive() {
			errs = append(errs, loyalty.Invalid("credit", r.Credit, "must be a positive amount with a currency"))
		}
	default:
		return loyalty.Invalid("kind", string(r.Kind), "must be points, discount, promo or credit")
	}
	set("points", r.Kind != RewardPoints && r.Points != 0, r.Points)
	set("rate", r.Kind != RewardDiscount && !r.Rate.IsZero(), r.Rate)
	set("family", r.Kind != RewardPromo && r.Family != "", r.Family)
	set("credit", r.Kind != RewardCredit && !r.Credit.IsZero(), r.Credit)
	return errors.Join(errs...)
}

// AttributionMode says which referral wins when a referee is referred more than once.
type AttributionMode string

// The attribution modes.
const (
	// FirstWins attributes a referee to the first referrer whose referral is valid; later
	// referrals are refused with [ErrAlreadyAttributed]. It is the default.
	FirstWins AttributionMode = "first"
	// LastWithinWindow lets a later valid referral take the referee over from the current
	// referrer while the referee has not ordered, and no later than
	// [Rules.AttributionWindowDays] after its first attribution; after that the attribution
	// is locked.
	LastWithinWindow AttributionMode = "last"
)

// Milestone grants Rewards to a referrer when its count of final conversions reaches a
// mark: every Every-th conversion (5, 10, 15, … for Every = 5), or once at the At-th. Exactly
// one of Every and At is set.
// A Milestone is a plain value, safe for concurrent use when not modified.
type Milestone struct {
	Every   int      `json:"every,omitempty"`
	At      int      `json:"at,omitempty"`
	Rewards []Reward `json:"rewards"`
}

// reached reports whether the milestone is reached at the n-th final conversion.
func (m Milestone) reached(n int) bool {
	if m.Every > 0 {
		return n > 0 && n%m.Every == 0
	}
	return n == m.At
}

func (m Milestone) name() string {
	if m.Every > 0 {
		return fmt.Sprintf("every %d conversions", m.Every)
	}
	return fmt.Sprintf("%d conversions", m.At)
}

// Cap limits what one referrer earns in one calendar [loyalty.Period] (computed in
// [Rules.Location]): at most MaxConversions rewarded conversions, MaxPoints points and
// MaxCredit of money credit. A zero limit means no limit on that measure. Points and credit
// rewards over a cap are cut down to what is left; once nothing is left, or once
// MaxConversions is reached, further referrer rewards of the period are withheld, each with
// the cap named as the reason. Referee rewards are never capped.
// A Cap is a plain value, safe for concurrent use when not modified.
type Cap struct {
	Period         loyalty.Period `json:"period"`
	MaxConversions int            `json:"max_conversions,omitempty"`
	MaxPoints      int64          `json:"max_points,omitempty"`
	MaxCredit      loyalty.Money  `json:"max_credit"`
}

// VelocityLimit refuses an attribution when the referrer already has Max attributions in the
// Within before it.
// A VelocityLimit is a plain value, safe for concurrent use when not modified.
type VelocityLimit struct {
	Max    int           `json:"max"`
	Within time.Duration `json:"within"`
}

// Rules is a referral program: how referrals are attributed and converted, what they earn,
// and which guards apply. It is a plain struct literal; zero fields mean the documented
// defaults. Call [Rules.Validate] (the service does) before use. Rules is safe for
// concurrent use once built, as long as nobody modifies it.
type Rules struct {
	// Attribution picks the winning referral. Defaults to FirstWins.
	Attribution AttributionMode `json:"attribution,omitempty"`
	// AttributionWindowDays is, for LastWithinWindow, how many days after its first
	// attribution a referee may still be taken over. Defaults to 30.
	AttributionWindowDays int `json:"attribution_window_days,omitempty"`

	// MinOrder is the smallest order amount that converts a referral (the order's
	// amount must be at least MinOrder). The zero Money lets any order convert.
	MinOrder loyalty.Money `json:"min_order"`
	// ConvertWithinDays is how many days after attribution a qualifying order or event still
	// converts the referral. Defaults to 90.
	ConvertWithinDays int `json:"convert_within_days,omitempty"`
	// ConversionEvents are the names of custom events ("contract-signed") that convert a
	// referral as a qualifying order does. Conversions by a custom event are final at once.
	ConversionEvents []string `json:"conversion_events,omitempty"`
	// ReturnDays is the return window of the converting order: its rewards stay pending
	// this many days after the order was placed and become final only then; a return inside
	// the window that leaves less than MinOrder (or nothing) kept cancels them. Defaults to 14.
	ReturnDays int `json:"return_days,omitempty"`

	// ReferrerRewards are granted to the referrer on conversion (pending until final).
	ReferrerRewards []Reward `json:"referrer_rewards,omitempty"`
	// RefereeRewards are granted to the referee on conversion (pending until final). With
	// both lists set the program is two-sided.
	RefereeRewards []Reward `json:"referee_rewards,omitempty"`
	// WelcomeRewards are granted to the referee at once on its attribution, such as 30% off
	// the first order; at most once per referee, whoever ends up referring it.
	WelcomeRewards []Reward `json:"welcome_rewards,omitempty"`
	// Milestones grant referrers extra rewards at counts of final conversions.
	Milestones []Milestone `json:"milestones,omitempty"`
	// Caps limit what one referrer earns per period.
	Caps []Cap `json:"caps,omitempty"`

	// Velocity limits how fast one referrer may attribute referees.
	Velocity []VelocityLimit `json:"velocity,omitempty"`
	// CodeLength is the length of generated referral codes, from 6 to 32. Defaults to 8.
	CodeLength int `json:"code_length,omitempty"`
	// Location is the time zone of calendar periods (caps) and day counts. Defaults to UTC.
	Location *time.Location `json:"-"`
}

// withDefaults returns r with its zero fields replaced by their defaults.
func (r Rules) withDefaults() Rules {
	if r.Attribution == "" {
		r.Attribution = FirstWins
	}
	if r.AttributionWindowDays == 0 {
		r.AttributionWindowDays = 30
	}
	if r.ConvertWithinDays == 0 {
		r.ConvertWithinDays = 90
	}
	if r.ReturnDays == 0 {
		r.ReturnDays = 14
	}
	if r.CodeLength == 0 {
		r.CodeLength = 8
	}
	if r.Location == nil {
		r.Location = time.UTC
	}
	return r
}

// Validate checks the rules and reports every problem as a [*loyalty.FieldError] naming its
// path ("milestones[1].every: must be positive (got -5)"), joined with [errors.Join].
func (r Rules) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch r.Attribution {
	case "", FirstWins, LastWithinWindow:
	default:
		add(loyalty.Invalid("attribution", string(r.Attribution), "must be first or last"))
	}
	nonNeg := func(field string, v int) {
		if v < 0 {
			add(loyalty.Invalid(field, v, "must not be negative"))
		}
	}
	nonNeg("attribution_window_days", r.AttributionWindowDays)
	nonNeg("convert_within_days", r.ConvertWithinDays)
	nonNeg("return_days", r.ReturnDays)
	if r.CodeLength != 0 && (r.CodeLength < 6 || r.CodeLength > 32) {
		add(loyalty.Invalid("code_length", r.CodeLength, "must be from 6 to 32"))
	}
	if r.MinOrder.IsNegative() {
		add(loyalty.Invalid("min_order", r.MinOrder, "must not be negative"))
	}
	// All money of the program is in one currency.
	cur := r.MinOrder.Currency()
	sameCurrency := func(field string, m loyalty.Money) {
		if m.Currency().IsZero() {
			return
		}
		if cur.IsZero() {
			cur = m.Currency()
			return
		}
		if m.Currency() != cur {
			add(loyalty.Invalid(field, m, "must be in the program currency "+cur.Code()))
		}
	}
	for i, e := range r.ConversionEvents {
		if e == "" {
			add(loyalty.Invalid(fmt.Sprintf("conversion_events[%d]", i), nil, "must not be empty"))
		}
	}
	rewards := func(field string, rs []Reward) {
		for i, rw := range rs {
			f := fmt.Sprintf("%s[%d]", field, i)
			add(loyalty.InField(f, rw.Validate()))
			sameCurrency(f+".credit", rw.Credit)
		}
	}
	rewards("referrer_rewards", r.ReferrerRewards)
	rewards("referee_rewards", r.RefereeRewards)
	rewards("welcome_rewards", r.WelcomeRewards)
	for i, m := range r.Milestones {
		f := fmt.Sprintf("milestones[%d]", i)
		switch {
		case m.Every < 0:
			add(loyalty.Invalid(f+".every", m.Every, "must be positive"))
		case m.At < 0:
			add(loyalty.Invalid(f+".at", m.At, "must be positive"))
		case m.Every == 0 && m.At == 0:
			add(loyalty.Invalid(f, nil, "must set every or at"))
		case m.Every > 0 && m.At > 0:
			add(loyalty.Invalid(f+".at", m.At, "must be empty when every is set"))
		}
		if len(m.Rewards) == 0 {
			add(loyalty.Invalid(f+".rewards", nil, "must not be empty"))
		}
		rewards(f+".rewards", m.Rewards)
	}
	for i, c := range r.Caps {
		f := fmt.Sprintf("caps[%d]", i)
		add(loyalty.InField(f, c.Period.Validate()))
		if c.MaxConversions < 0 {
			add(loyalty.Invalid(f+".max_conversions", c.MaxConversions, "must not be negative"))
		}
		if c.MaxPoints < 0 {
			add(loyalty.Invalid(f+".max_points", c.MaxPoints, "must not be negative"))
		}
		if c.MaxCredit.IsNegative() || !c.MaxCredit.IsZero() && c.MaxCredit.Currency().IsZero() {
			add(loyalty.Invalid(f+".max_credit", c.MaxCredit, "must be a positive amount with a currency, or zero"))
		}
		sameCurrency(f+".max_credit", c.MaxCredit)
		if c.MaxConversions == 0 && c.MaxPoints == 0 && c.MaxCredit.IsZero() {
			add(loyalty.Invalid(f, nil, "must set max_conversions, max_points or max_credit"))
		}
	}
	for i, v := range r.Velocity {
		f := fmt.Sprintf("velocity[%d]", i)
		if v.Max <= 0 {
			add(loyalty.Invalid(f+".max", v.Max, "must be positive"))
		}
		if v.Within <= 0 {
			add(loyalty.Invalid(f+".within", v.Within, "must be positive"))
		}
	}
	return errors.Join(errs...)
}
