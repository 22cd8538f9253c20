package campaign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

// Program is a whole loyalty program as one value: its currency and time zone, the tier
// ladder, the discount policy, the earning, redemption and return rules of points, the promo
// code families and the referral program. It is plain data: build it as a struct literal or
// load it from JSON with [LoadProgram], check it with [Program.Validate] (which [New] calls)
// and save it with encoding/json. Zero fields mean "no such part" as documented per field.
//
// A Program is safe for concurrent use as long as nobody modifies it; [New] takes its own
// copy of what it compiles.
type Program struct {
	// ID names the program. Required.
	ID loyalty.ProgramID `json:"id"`
	// Currency is the currency of every order, amount and threshold of the program. Required.
	Currency loyalty.Currency `json:"currency"`
	// TimeZone is the IANA name of the program's time zone ("Europe/Moscow"), in which every
	// calendar rule is computed. "" means UTC.
	TimeZone string `json:"time_zone,omitempty"`
	// Tiers is the tier ladder; nil means a program without tiers. A level's DiscountRate
	// becomes a percent discount "tier:<level name>" over the whole order, its EarnMultiplier
	// multiplies the base earning, and its EarnRate earns extra points (see the package
	// documentation for how points are valued).
	Tiers *tier.Ladder `json:"tiers,omitempty"`
	// Discounts is the discount policy. It may declare no discounts at all; when it declares
	// some, its Currency must be the program's. The IDs "tier:…", "code:…" and "referral:…"
	// are reserved for the candidates the engine adds (tier rates, promo-code benefits,
	// referral welcome discounts); discounts may name them in NotWith.
	Discounts discount.Policy `json:"discounts"`
	// Earning are the points the company account earns on its orders.
	Earning points.Rules `json:"earning"`
	// BuyerEarning, when set, is a second earning for the individual buyer of an order (an
	// employee's personal miles beside the company's points). Tier benefits do not apply to
	// it: they belong to the company account.
	BuyerEarning *points.Rules `json:"buyer_earning,omitempty"`
	// Redemption says what a point is worth and how much of an order points may pay.
	Redemption points.Redemption `json:"redemption"`
	// Returns says what a return does to points already spent. Defaults to
	// points.WithinBalance.
	Returns points.ReturnPolicy `json:"returns,omitempty"`
	// Codes are the promo-code families. A Percent or Amount benefit becomes a discount
	// candidate "code:<definition>" on the lines the code applies to; a Ref benefit
	// "discount:<id>" enables the policy's discount of that ID (give it a Condition.Code);
	// a Points benefit adds bonus points to the company's earning.
	Codes promo.Rules `json:"codes"`
	// Referral, when set, is the referral program: referral codes typed on a first order
	// attribute the account to its referrer, and orders and returns of referred accounts
	// are reported to it.
	Referral *referral.Rules `json:"referral,omitempty"`
	// Campaigns are the program's time-boxed promotions with their budgets (see
	// [Campaign]). A campaign's discount is the candidate "campaign:<id>".
	Campaigns []Campaign `json:"campaigns,omitempty"`
	// SalesTargets are the partner programs for dealers ("sell N units of line Y, get a
	// bonus"), settled with [Engine.SettleSalesTarget] once their period is over. IDs are
	// unique among them.
	SalesTargets []SalesTarget `json:"sales_targets,omitempty"`
	// CoMarketing, when set, is the program's co-marketing reimbursement of dealers'
	// advertising ([Engine.Reimburse]).
	CoMarketing *CoMarketing `json:"co_marketing,omitempty"`
	// Contests rank accounts and award prizes ([Engine.AwardContest]). IDs are unique
	// among them.
	Contests []Contest `json:"contests,omitempty"`
}

// reserved prefixes of discount IDs and of the internal codes that enable candidates.
const (
	tierPrefix     = "tier:"
	codePrefix     = "code:"
	referralPrefix = "referral:"
	campaignPrefix = "campaign:"
	tokenPrefix    = "LKCAMPAIGN" // canonical internal codes: LKCAMPAIGNT<n>, LKCAMPAIGND<n>, LKCAMPAIGNR, LKCAMPAIGNC<n>
	refDiscount    = "discount:"
)

// LoadProgram reads one program from r as strict JSON — unknown fields and trailing data are
// errors — and validates it. Errors name the offending field.
func LoadProgram(r io.Reader) (Program, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Program
	if err := dec.Decode(&p); err != nil {
		return Program{}, fmt.Errorf("campaign: program: %w", err)
	}
	if dec.More() {
		return Program{}, fmt.Errorf("campaign: program: unexpected data after the program")
	}
	var rest [1]byte
	if n, _ := dec.Buffered().Read(rest[:]); n > 0 && !isSpace(rest[0]) {
		return Program{}, fmt.Errorf("campaign: program: unexpected data after the program")
	}
	if err := p.Validate(); err != nil {
		return Program{}, err
	}
	return p, nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\r' || b == '\t' }

// MarshalJSON encodes p; [LoadProgram] (or json.Unmarshal) reads it back to an equal Program.
// A discount policy without discounts may leave its stacking undeclared; it is then left out
// of the JSON instead of failing to encode.
func (p Program) MarshalJSON() ([]byte, error) {
	type plain Program // no methods: the default encoding
	if p.Discounts.Stacking != 0 {
		return json.Marshal(plain(p))
	}
	pol := p.Discounts
	pol.Stacking = discount.Additive
	raw, err := json.Marshal(pol)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	delete(fields, "stacking")
	out, err := json.Marshal(struct {
		plain
		Discounts map[string]json.RawMessage `json:"discounts"`
	}{plain(p), fields})
	return out, err
}

// UnmarshalJSON decodes the form written by [Program.MarshalJSON], rejecting unknown fields.
// It does not validate; [LoadProgram] does.
func (p *Program) UnmarshalJSON(data []byte) error {
	type plain Program
	var q plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return err
	}
	*p = Program(q)
	return nil
}

// policyEmpty reports whether a policy declares no discounts of its own.
func policyEmpty(p discount.Policy) bool {
	return len(p.Discounts) == 0 && len(p.Groups) == 0 && len(p.Terms) == 0
}

// Location returns the program's time zone (UTC for ""), or an error naming the field.
func (p Program) Location() (*time.Location, error) {
	if p.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil || strings.TrimSpace(p.TimeZone) != p.TimeZone {
		return nil, loyalty.Invalid("time_zone", p.TimeZone, "must be an IANA time zone name such as Europe/Moscow")
	}
	return loc, nil
}

// Validate checks the whole program and reports every problem as a *loyalty.FieldError
// naming its path ("discounts.discounts[2].percent: …", "tiers.currency: …"), joined with
// errors.Join; the result matches loyalty.ErrInvalid. Amounts in another currency than the
// program's are errors anywhere they occur.
func (p Program) Validate() error {
	errs := p.validate()
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("campaign: invalid program: %w", errors.Join(errs...))
}

func (p Program) validate() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	cur := p.Currency
	if p.ID == "" {
		add(loyalty.Invalid("id", nil, "is required"))
	}
	if cur.IsZero() {
		add(loyalty.Invalid("currency", nil, "is required"))
	}
	if _, err := p.Location(); err != nil {
		add(err)
	}
	money := func(field string, m loyalty.Money) {
		if !m.IsZero() && !cur.IsZero() && m.Currency() != cur {
			add(loyalty.Invalid(field, m, "must be in the program currency "+cur.Code()))
		}
	}
	// Tiers.
	if p.Tiers != nil {
		add(inField("tiers", p.Tiers.Validate()))
		m := p.Tiers.Measure
		if (m == "" || m == tier.Spend) && !p.Tiers.Currency.IsZero() && !cur.IsZero() && p.Tiers.Currency != cur {
			add(loyalty.Invalid("tiers.currency", p.Tiers.Currency, "must be the program currency "+cur.Code()))
		}
		names := map[string]bool{}
		for i, l := range p.Tiers.Levels {
			if l.Membership != nil {
				money(fmt.Sprintf("tiers.levels[%d].membership.fee", i), l.Membership.Fee)
			}
			if names[l.Name] {
				continue // the ladder reports it
			}
			names[l.Name] = true
		}
	}
	// Discounts: validated together with the candidates the engine adds, so that NotWith may
	// name them.
	if policyEmpty(p.Discounts) {
		if !p.Discounts.Currency.IsZero() && p.Discounts.Currency != cur {
			add(loyalty.Invalid("discounts.currency", p.Discounts.Currency, "must be the program currency "+cur.Code()))
		} else if ext, err := extendPolicy(p); err == nil && !cur.IsZero() {
			if len(ext.Discounts) == 0 { // still check the floor, cap and rounding
				ext.Discounts = []discount.Discount{{ID: "probe", Kind: discount.Percent,
					Percent: decimal.NewFromInt(1), Scope: discount.Scope{All: true}}}
			}
			add(inField("discounts", ext.Validate()))
		}
	} else {
		if p.Discounts.Currency != cur {
			add(loyalty.Invalid("discounts.currency", p.Discounts.Currency, "must be the program currency "+cur.Code()))
		}
		for i, d := range p.Discounts.Discounts {
			for _, pre := range []string{tierPrefix, codePrefix, referralPrefix, campaignPrefix} {
				if strings.HasPrefix(d.ID, pre) {
					add(loyalty.Invalid(fmt.Sprintf("discounts.discounts[%d].id", i), d.ID, "must not start with the reserved prefix "+pre))
				}
			}
			if c, err := loyalty.NormalizeCode(d.Condition.Code); err == nil && strings.HasPrefix(c, tokenPrefix) {
				add(loyalty.Invalid(fmt.Sprintf("discounts.discounts[%d].condition.code", i), d.Condition.Code, "must not start with the reserved "+tokenPrefix))
			}
		}
		if ext, err := extendPolicy(p); err == nil {
			add(inField("discounts", ext.Validate()))
		}
	}
	// Points.
	add(inField("earning", p.Earning.Validate()))
	if p.BuyerEarning != nil {
		add(inField("buyer_earning", p.BuyerEarning.Validate()))
	}
	add(inField("redemption", p.Redemption.Validate()))
	if !p.Redemption.Currency.IsZero() && !cur.IsZero() && p.Redemption.Currency != cur {
		add(loyalty.Invalid("redemption.currency", p.Redemption.Currency, "must be the program currency "+cur.Code()))
	}
	switch p.Returns {
	case "", points.WithinBalance, points.NegativeBalance, points.PendingOnly:
	default:
		add(loyalty.Invalid("returns", p.Returns, "must be within-balance, negative-balance or pending-only"))
	}
	// Codes.
	add(inField("codes", p.Codes.Validate()))
	for i, d := range p.Codes.Definitions {
		f := fmt.Sprintf("codes.definitions[%d]", i)
		money(f+".benefit.amount", d.Benefit.Amount)
		money(f+".conditions.min_order", d.Conditions.MinOrder)
		money(f+".conditions.min_eligible", d.Conditions.MinEligible)
		if ref := d.Benefit.Ref; ref != "" {
			id, ok := strings.CutPrefix(ref, refDiscount)
			if !ok || !hasDiscount(p.Discounts, id) {
				add(loyalty.Invalid(f+".benefit.ref", ref, "must be discount:<id> naming a discount of the policy"))
			}
		}
	}
	// Campaigns.
	p.validateCampaigns(add)
	// Partner programs and contests.
	p.validatePartners(add, money)
	// Referral.
	if r := p.Referral; r != nil {
		add(inField("referral", r.Validate()))
		money("referral.min_order", r.MinOrder)
		rewards := func(field string, rs []referral.Reward) {
			for i, rw := range rs {
				money(fmt.Sprintf("%s[%d].credit", field, i), rw.Credit)
			}
		}
		rewards("referral.referrer_rewards", r.ReferrerRewards)
		rewards("referral.referee_rewards", r.RefereeRewards)
		rewards("referral.welcome_rewards", r.WelcomeRewards)
		for i, m := range r.Milestones {
			rewards(fmt.Sprintf("referral.milestones[%d].rewards", i), m.Rewards)
		}
		for i, c := range r.Caps {
			money(fmt.Sprintf("referral.caps[%d].max_credit", i), c.MaxCredit)
		}
		for i, rw := range r.WelcomeRewards {
			if rw.Kind == referral.RewardPromo || rw.Kind == referral.RewardCredit {
				add(loyalty.Invalid(fmt.Sprintf("referral.welcome_rewards[%d].kind", i), rw.Kind, "must be points or discount: the engine applies welcome rewards to the first order"))
			}
		}
	}
	return errs
}

func hasDiscount(p discount.Policy, id string) bool {
	for _, d := range p.Discounts {
		if d.ID == id {
			return true
		}
	}
	return false
}

// inField is [loyalty.InField] for a part of the program: the sub-packages report
// *loyalty.FieldError values behind their package prefixes, and InField prefixes their paths
// and drops those wrappers. An error that holds no field error at all (none is known, but
// Program.Validate promises field errors only) becomes one naming prefix.
func inField(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var fe *loyalty.FieldError
	if !errors.As(err, &fe) {
		return loyalty.Invalid(prefix, nil, err.Error())
	}
	return loyalty.InField(prefix, err)
}
