package campaign

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

// Stores are the stores an [Engine] works over: one per domain package and the engine's own
// [OrderStore]. [MemoryStores] returns in-memory ones; the sqlstore module provides SQL ones.
// Tiers may be nil for a program without tiers and Referrals for one without referrals.
// Stores is a plain value; the stores themselves are safe for concurrent use.
type Stores struct {
	Points    points.Store
	Tiers     tier.Store
	Codes     promo.Store
	Referrals referral.Store
	Orders    OrderStore
}

// MemoryStores returns a fresh set of in-memory stores, the embedded default.
func MemoryStores() Stores {
	return Stores{
		Points:    points.NewMemoryStore(),
		Tiers:     tier.NewMemoryStore(),
		Codes:     promo.NewMemoryStore(),
		Referrals: referral.NewMemoryStore(),
		Orders:    NewMemoryStore(),
	}
}

// Config configures an [Engine]. Zero fields mean the documented defaults. It is a plain
// value, read once by [New].
type Config struct {
	// Clock tells the time of evaluations, commits and returns. Defaults to the system
	// clock; simulations pass a loyalty.ManualClock.
	Clock loyalty.Clock
}

// Engine runs one [Program] over a set of [Stores]: [Engine.Evaluate], [Engine.Commit] and
// [Engine.Return]. It builds the domain services once and is safe for concurrent use.
type Engine struct {
	prog   Program
	loc    *time.Location
	clock  loyalty.Clock
	stores Stores

	ledger      *points.Ledger
	redemption  points.Redemption // the ledger's redemption rules (ledger.Config().Redemption)
	buyerLedger *points.Ledger
	tiers       *tier.Service
	tierEval    *tier.Evaluator
	codes       *promo.Service
	referrals   *referral.Service
	calc        *discount.Calculator // nil when there is no candidate discount at all

	defIndex   map[promo.DefinitionID]int
	combos     bool              // some code family has NotWith or Exclusive conditions
	tierExtra  []*points.Rules   // per level: the rules of its EarnRate, nil when none
	tierPlan   []*points.Planner // per level: tierExtra's planner, nil when none or invalid
	earnPlan   *points.Planner   // the program's Earning, checked once
	buyerPlan  *points.Planner   // the program's BuyerEarning, nil when none
	welcomePts int64             // points of the referral welcome rewards
	welcomeOff bool              // whether a welcome discount candidate exists
	camps      []compiled        // the campaigns by priority
	timeline   *timeline         // their schedules together, nil when too large (newTimeline)
	meta       []campMeta        // per campaign of camps: what evaluations reuse
	levels     []tier.Level      // the ladder's levels, as tierEval.Level returns them
	levelMult  []decimal.Decimal // 1 × each level's earn multiplier
	// campMult[row][i]: the multiplier of an order at a level (row: the level, or 0 without
	// tiers) to which campaign camps[i] is the only multiplier applied, computed as
	// applyCampaigns computes it; zero for a campaign without a multiplier.
	campMult   [][]decimal.Decimal
	tierTokens []string  // tierToken(i) per level
	defTokens  []string  // defToken(i) per promo family
	codeIDs    []string  // per promo family: its discount candidate, codePrefix + its ID
	budgeted   int       // how many campaigns have a budget
	perks      int       // the most perks a quote lists: the campaigns' and a level's
	candidates int       // calc.Candidates(): the entries of every pricing
	evals      sync.Pool // *evaluation: the working memory of finished evaluations
}

// campMeta is what an evaluation needs of a campaign beyond its definition, computed once:
// its internal code and the messages of its refusals.
type campMeta struct {
	token      string // campaignToken(index), for a campaign with a discount
	discount   string // the ID of its discount candidate, campaignPrefix + its ID
	conditions string // the message of the "conditions" refusal
	draw       string // the message of a lost draw
	excludes   string // the message of the campaigns an exclusive one keeps out
	uses       string // the message of the "budget" refusal for the total uses
	perAccount string // the message of the "budget" refusal for the uses per account
	money      string // the message of the "budget" refusal for a spent money budget
}

// New validates p and returns an Engine running it over s. The stores of the parts p uses
// are required.
func New(p Program, s Stores, cfg Config) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var errs []error
	if s.Points == nil {
		errs = append(errs, loyalty.Invalid("stores.points", nil, "is required"))
	}
	if s.Codes == nil {
		errs = append(errs, loyalty.Invalid("stores.codes", nil, "is required"))
	}
	if s.Orders == nil {
		errs = append(errs, loyalty.Invalid("stores.orders", nil, "is required"))
	}
	if p.Tiers != nil && s.Tiers == nil {
		errs = append(errs, loyalty.Invalid("stores.tiers", nil, "is required for a program with tiers"))
	}
	if p.Referral != nil && s.Referrals == nil {
		errs = append(errs, loyalty.Invalid("stores.referrals", nil, "is required for a program with referrals"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("campaign: new: %w", err)
	}
	loc, _ := p.Location()
	clock := cfg.Clock
	if clock == nil {
		clock = loyalty.SystemClock()
	}
	ownPartnerRules(&p)
	e := &Engine{prog: p, loc: loc, clock: clock, stores: s, defIndex: map[promo.DefinitionID]int{}}
	var err error
	red := p.Redemption
	if red.Currency.IsZero() && !red.PointValue.IsZero() {
		red.Currency = p.Currency
	}
	e.ledger, err = points.New(s.Points, points.Config{Rules: p.Earning, Redemption: red,
		Returns: p.Returns, Location: loc, Clock: clock})
	if err != nil {
		return nil, fmt.Errorf("campaign: new: points: %w", err)
	}
	e.redemption = e.ledger.Config().Redemption
	if e.earnPlan, err = points.NewPlanner(p.Earning); err != nil {
		return nil, fmt.Errorf("campaign: new: points: %w", err)
	}
	if p.BuyerEarning != nil {
		e.buyerLedger, err = points.New(s.Points, points.Config{Rules: *p.BuyerEarning, Redemption: red,
			Returns: p.Returns, Location: loc, Clock: clock})
		if err != nil {
			return nil, fmt.Errorf("campaign: new: buyer points: %w", err)
		}
		if e.buyerPlan, err = points.NewPlanner(*p.BuyerEarning); err != nil {
			return nil, fmt.Errorf("campaign: new: buyer points: %w", err)
		}
	}
	if p.Tiers != nil {
		e.tiers, err = tier.NewService(s.Tiers, tier.Config{Ladder: *p.Tiers, Location: loc, Clock: clock})
		if err != nil {
			return nil, fmt.Errorf("campaign: new: tiers: %w", err)
		}
		e.tierEval = e.tiers.Evaluator()
		e.tierExtra = make([]*points.Rules, len(p.Tiers.Levels))
		e.tierPlan = make([]*points.Planner, len(p.Tiers.Levels))
		for i, l := range p.Tiers.Levels {
			if l.Benefits.EarnRate.IsPositive() {
				r := earnRateRules(p, l.Benefits.EarnRate)
				e.tierExtra[i] = &r
				// Rules a tiny rate makes invalid fail in Evaluate, as Rules.Plan reports them.
				e.tierPlan[i], _ = points.NewPlanner(r)
			}
		}
	}
	e.codes, err = promo.New(promo.Config{Store: s.Codes, Clock: clock, Location: loc})
	if err != nil {
		return nil, fmt.Errorf("campaign: new: promo: %w", err)
	}
	if len(p.Codes.Definitions) > 0 {
		if err := e.codes.DefineAll(context.Background(), p.Codes); err != nil {
			return nil, fmt.Errorf("campaign: new: promo: %w", err)
		}
	}
	for i, d := range p.Codes.Definitions {
		e.defIndex[d.ID] = i
		e.combos = e.combos || len(d.Conditions.NotWith) > 0 || d.Conditions.Exclusive
	}
	if p.Referral != nil {
		rules := *p.Referral
		rules.Location = loc
		e.referrals, err = referral.New(referral.Config{Rules: rules, Store: s.Referrals, Clock: clock})
		if err != nil {
			return nil, fmt.Errorf("campaign: new: referral: %w", err)
		}
		for _, rw := range rules.WelcomeRewards {
			switch rw.Kind {
			case referral.RewardPoints:
				e.welcomePts += rw.Points
			case referral.RewardDiscount:
				e.welcomeOff = true
			}
		}
	}
	e.camps, e.budgeted = compileCampaigns(p, loc)
	e.timeline = newTimeline(e.camps)
	e.meta = make([]campMeta, len(e.camps))
	for i := range e.camps {
		c := &e.camps[i]
		mt := campMeta{conditions: conditionsText(c.Conditions),
			excludes: "exclusive campaign " + string(c.ID) + " applies"}
		if c.discount {
			mt.token, mt.discount = campaignToken(c.index), campaignPrefix+string(c.ID)
		}
		if c.Chance != nil {
			mt.draw = fmt.Sprintf("the order did not win the draw (%d in %d)", c.Chance.Wins, c.Chance.OutOf)
		}
		if b := c.Budget; !b.IsZero() {
			mt.uses = "the campaign's budget of " + fmt.Sprintf("%d uses", b.Uses) + " is used up"
			mt.perAccount = "the campaign's budget of " + fmt.Sprintf("%d uses per account", b.PerAccount) + " is used up"
			mt.money = "the campaign's budget of " + b.Money.String() + " is used up"
		}
		e.meta[i] = mt
	}
	if e.tierEval != nil {
		e.levels = make([]tier.Level, e.tierEval.Levels())
		e.tierTokens = make([]string, len(e.levels))
		e.levelMult = make([]decimal.Decimal, len(e.levels))
		for i := range e.levels {
			e.levels[i] = e.tierEval.Level(i)
			e.levelMult[i] = one.Mul(e.levels[i].Benefits.Multiplier())
			e.tierTokens[i] = tierToken(i)
		}
	}
	for i := range e.camps {
		e.perks += len(e.camps[i].perks)
	}
	most := 0
	for _, l := range e.levels {
		most = max(most, len(l.Benefits.Perks))
	}
	e.perks += most
	bases := e.levelMult
	if e.tierEval == nil {
		bases = []decimal.Decimal{one}
	}
	e.campMult = make([][]decimal.Decimal, len(bases))
	for row, base := range bases {
		e.campMult[row] = make([]decimal.Decimal, len(e.camps))
		for i := range e.camps {
			if c := &e.camps[i]; c.weight > 0 && c.extra.IsPositive() {
				e.campMult[row][i] = base.Mul(decimal.Zero.Add(c.extra).Add(one))
			}
		}
	}
	e.defTokens = make([]string, len(p.Codes.Definitions))
	e.codeIDs = make([]string, len(p.Codes.Definitions))
	for i, d := range p.Codes.Definitions {
		e.defTokens[i] = defToken(i)
		e.codeIDs[i] = codePrefix + string(d.ID)
	}
	pol, err := extendPolicy(p)
	if err != nil {
		return nil, err
	}
	if len(pol.Discounts) > 0 {
		e.calc, err = discount.New(pol)
		if err != nil {
			return nil, fmt.Errorf("campaign: new: discounts: %w", err)
		}
		e.candidates = e.calc.Candidates()
	}
	return e, nil
}

// earnRateRules are the points rules of a tier's earn rate: rate × value in points worth
// PointValue each (one point per major unit when points have no money value), excluding the
// lines the base earning excludes, rounded like it.
func earnRateRules(p Program, rate decimal.Decimal) points.Rules {
	share := rate
	if pv := p.Redemption.PointValue; pv.IsPositive() {
		share = rate.DivRound(pv, 16)
	}
	return points.Rules{Rates: []points.Rate{{ShareOfPrice: share}}, Exclude: p.Earning.Exclude,
		Rounding: p.Earning.Rounding}
}

// Tokens are the internal codes that enable the engine's candidate discounts in the order
// the calculator sees.
func tierToken(level int) string { return tokenPrefix + "T" + strconv.Itoa(level) }
func defToken(i int) string      { return tokenPrefix + "D" + strconv.Itoa(i) }

const welcomeToken = tokenPrefix + "R"

// extendPolicy returns the program's discount policy with the engine's candidates added:
// one percent discount per tier level with a discount rate, one per promo-code family with
// a percent or amount benefit, one per campaign with a discount action (on the lines its
// conditions select), and the referral welcome discount. Each is enabled by an
// internal code that only the engine puts in the order it prices.
func extendPolicy(p Program) (discount.Policy, error) {
	pol := p.Discounts
	pol.Discounts = append([]discount.Discount(nil), p.Discounts.Discounts...)
	if policyEmpty(pol) {
		pol.Currency = p.Currency
		if pol.Stacking == 0 {
			pol.Stacking = discount.Additive
		}
	}
	hundred := decimal.NewFromInt(100)
	if p.Tiers != nil {
		for i, l := range p.Tiers.Levels {
			if !l.Benefits.DiscountRate.IsPositive() {
				continue
			}
			pol.Discounts = append(pol.Discounts, discount.Discount{
				ID: tierPrefix + l.Name, Name: "tier " + l.Name + " discount", Kind: discount.Percent,
				Percent: l.Benefits.DiscountRate.Mul(hundred), Scope: discount.Scope{All: true},
				Condition: discount.Condition{Code: tierToken(i)},
			})
		}
	}
	for i, d := range p.Codes.Definitions {
		b := d.Benefit
		if !b.Percent.IsPositive() && !b.Amount.IsPositive() {
			continue
		}
		c := discount.Discount{ID: codePrefix + string(d.ID), Name: "promo code " + string(d.ID),
			Scope: promoScope(d.Conditions), Condition: discount.Condition{Code: defToken(i)}}
		if b.Percent.IsPositive() {
			c.Kind, c.Percent = discount.Percent, b.Percent
		} else {
			c.Kind, c.Amount = discount.AmountOff, b.Amount
		}
		pol.Discounts = append(pol.Discounts, c)
	}
	for i, c := range p.Campaigns {
		for _, a := range c.Actions {
			if a.Kind != ActionDiscount {
				continue
			}
			cd := discount.Discount{ID: campaignPrefix + string(c.ID), Name: c.Name,
				Scope:     discount.Scope{All: true},
				Condition: discount.Condition{Code: campaignToken(i)}}
			if cd.Name == "" {
				cd.Name = "campaign " + string(c.ID)
			}
			if cn := c.Conditions; len(cn.Categories) > 0 || len(cn.SKUs) > 0 {
				cd.Scope = discount.Scope{Categories: cn.Categories, SKUs: cn.SKUs}
			}
			if a.Percent.IsPositive() {
				cd.Kind, cd.Percent = discount.Percent, a.Percent
			} else {
				cd.Kind, cd.Amount = discount.AmountOff, a.Amount
			}
			pol.Discounts = append(pol.Discounts, cd)
			break
		}
	}
	if p.Referral != nil {
		rate := decimal.Zero
		for _, rw := range p.Referral.WelcomeRewards {
			if rw.Kind == referral.RewardDiscount {
				rate = rate.Add(rw.Rate)
			}
		}
		if rate.IsPositive() {
			pol.Discounts = append(pol.Discounts, discount.Discount{
				ID: referralPrefix + "welcome", Name: "referral welcome discount", Kind: discount.Percent,
				Percent: decimal.Min(rate, decimal.NewFromInt(1)).Mul(hundred), Scope: discount.Scope{All: true},
				Condition: discount.Condition{Code: welcomeToken},
			})
		}
	}
	return pol, nil
}

// promoScope translates the line conditions of a promo-code family into a discount scope
// selecting the same lines as the family's grants.
func promoScope(c promo.Conditions) discount.Scope {
	s := discount.Scope{
		ExcludeCategories:  c.Exclude.Categories,
		ExcludeSKUs:        c.Exclude.SKUs,
		ExcludeTags:        c.Exclude.Tags,
		ExcludePromotional: c.ExcludePromotional,
	}
	if c.Include.IsZero() {
		s.All = true
	} else {
		s.Categories, s.SKUs, s.Tags = c.Include.Categories, c.Include.SKUs, c.Include.Tags
	}
	return s
}

// Program returns the engine's program.
func (e *Engine) Program() Program { return e.prog }

// Location returns the program's time zone.
func (e *Engine) Location() *time.Location { return e.loc }

// Clock returns the engine's clock.
func (e *Engine) Clock() loyalty.Clock { return e.clock }

// Points returns the ledger of the company accounts' points, to query balances, history and
// liability, or to run expiry.
func (e *Engine) Points() *points.Ledger { return e.ledger }

// BuyerPoints returns the ledger of the buyers' earning, or nil when the program has no
// BuyerEarning. It shares the points store with [Engine.Points].
func (e *Engine) BuyerPoints() *points.Ledger { return e.buyerLedger }

// Tiers returns the tier service (to run reviews, set overrides, project), or nil for a
// program without tiers.
func (e *Engine) Tiers() *tier.Service { return e.tiers }

// Codes returns the promo-code service, to generate, add and issue codes.
func (e *Engine) Codes() *promo.Service { return e.codes }

// Referrals returns the referral service (to register referrers and settle conversions), or
// nil for a program without referrals.
func (e *Engine) Referrals() *referral.Service { return e.referrals }

// Account returns what the engine knows of an account's purchases: its order count and
// purchase history. An account without committed orders has the zero record.
func (e *Engine) Account(ctx context.Context, id loyalty.AccountID) (AccountRecord, error) {
	var rec AccountRecord
	err := e.stores.Orders.View(ctx, func(tx OrderReadTx) error {
		var err error
		rec, err = tx.Account(id)
		if errors.Is(err, loyalty.ErrNotFound) {
			rec, err = AccountRecord{Account: id}, nil
		}
		return err
	})
	return rec, err
}
