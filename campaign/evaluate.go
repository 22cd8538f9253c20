package campaign

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
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

// Evaluate computes the whole outcome of order under the program at the clock's now — the
// account's tier and benefits, the codes accepted or refused, the discount on every line,
// the points each holder earns, the points redeemed, the totals and the margin — and writes
// nothing to any store. A refused code or redemption does not fail the evaluation: the quote
// reports it. Errors are bad input (an invalid order, another currency: loyalty.ErrInvalid)
// and store failures.
//
// The quote is the caller's to keep: it shares no memory with the engine or with other
// quotes. A caller that evaluates many orders and drops each quote soon after can spare
// the allocation of every quote with [Engine.EvaluateInto].
func (e *Engine) Evaluate(ctx context.Context, order loyalty.Order, opt EvaluateOptions) (Quote, error) {
	return e.evaluate(ctx, new(QuoteBuffer), order, opt)
}

// EvaluateInto is [Engine.Evaluate] into the memory of buf: the quote's lists and the
// values it points to are written into buf, reusing the memory of the quote buf held
// before, so that evaluating order after order allocates (almost) nothing once buf has held
// a quote of the size. The quote equals the one Evaluate returns.
//
// The quote lives in buf until the next EvaluateInto with buf, which overwrites it: keep
// what you need of it before, or use Evaluate for a quote you keep. [Engine.Commit] takes
// such a quote like any other: it evaluates the order again, compares, and applies and
// keeps its own quote, never the caller's memory; a quote committed after its buffer was
// overwritten by another order's is refused as stale ([ErrStaleQuote]). A buffer serves one
// evaluation at a time: while one runs, another EvaluateInto with the same buffer fails
// with an error wrapping [ErrBufferBusy] and overwrites nothing. A nil buf is Evaluate.
func (e *Engine) EvaluateInto(ctx context.Context, buf *QuoteBuffer, order loyalty.Order, opt EvaluateOptions) (Quote, error) {
	if buf == nil {
		return e.Evaluate(ctx, order, opt)
	}
	if !buf.busy.CompareAndSwap(false, true) {
		return Quote{}, fmt.Errorf("campaign: evaluate: %w", ErrBufferBusy)
	}
	defer buf.busy.Store(false)
	buf.reset()
	return e.evaluate(ctx, buf, order, opt)
}

// evaluate runs an evaluation of order into buf's memory (empty, or reset).
func (e *Engine) evaluate(ctx context.Context, buf *QuoteBuffer, order loyalty.Order, opt EvaluateOptions) (Quote, error) {
	ev := e.newEvaluation(ctx, buf, order, opt)
	defer func() {
		ev.release()
		e.evals.Put(ev) // released: the pool keeps working memory only
	}()
	if err := ev.run(); err != nil {
		return Quote{}, err
	}
	return ev.q, nil // copied out before the release
}

// newEvaluation returns an evaluation of order into buf, reusing the working memory of a
// finished one when the engine's pool has one (the pool holds released evaluations only:
// see evaluate).
func (e *Engine) newEvaluation(ctx context.Context, buf *QuoteBuffer, order loyalty.Order, opt EvaluateOptions) *evaluation {
	ev, _ := e.evals.Get().(*evaluation)
	if ev == nil {
		ev = new(evaluation)
	}
	ev.e, ev.ctx, ev.now, ev.order, ev.opt, ev.buf = e, ctx, e.clock.Now(), order, opt, buf
	return ev
}

// release drops everything of the evaluation but its working memory, so that the pool holds
// no order, quote or context. Of the working lists it clears only what the evaluation used:
// each keeps its length until here.
func (ev *evaluation) release() {
	w := &ev.work
	clear(w.hist[:min(len(ev.acct.History.Purchases), cap(w.hist))])
	clear(w.multPts[:min(len(w.camps), cap(w.multPts))])
	ev.state = state{}
	clear(w.paidBuf)
	clear(w.calcCodes)
	clear(w.budgets)
	clear(w.seen)
	clear(w.families)
	clear(w.promotions)
	w.camps, w.calcCodes, w.budgets, w.paidBuf = w.camps[:0], w.calcCodes[:0], w.budgets[:0], w.paidBuf[:0]
	w.seen, w.families, w.promotions = w.seen[:0], w.families[:0], w.promotions[:0]
	w.tmp.reset()
}

// evaluation is one run of the pipeline. Each step reads what the earlier ones left and adds
// to the quote; a campaign step (extra candidates, multipliers, bonuses) slots in as one more
// step. Its state is the run's own; its work is memory the next evaluation reuses.
type evaluation struct {
	state
	work
}

// state is what an evaluation computes, dropped when it is released.
type state struct {
	e     *Engine
	ctx   context.Context
	now   time.Time
	order loyalty.Order
	opt   EvaluateOptions
	q     Quote

	acct        AccountRecord
	level       int             // the account's tier level (0 without tiers)
	levelName   string          // its name ("" without tiers)
	bonus       []points.Points // bonus points per line (codes, welcome rewards)
	base        []loyalty.Money // every line's total before discounts
	lineCosts   []loyalty.Money // every line's total cost (zero when unknown)
	multiplier  decimal.Decimal // multiplies the base earning; rates are combined before Plan
	paid        loyalty.Order   // the order the planners price: the order itself with paidChecked, else repriced (paidOrder)
	paidTotals  []loyalty.Money // the line totals at the prices paid after discounts (scratch)
	paidChecked []loyalty.Money // paidTotals when they are all known, else nil
	basePts     []points.Points // per line: the earning rules' points with ev.multiplier
	plain       points.Plan     // the earning rules' plan with ev.baseMult, when plainSet
	plainSet    bool            // earn computed plain with the base plan
	campMult    bool            // the applied campaigns multiply the earning (ev.multiplier ≠ ev.baseMult)

	// The indexes of the campaigns scheduled at the order's time, and of those of them with a
	// budget: the engine's timeline's lists (read only), or sched in schedBuf and budgeted
	// nil for an engine without a timeline.
	sched, budgeted []int

	baseCodes int             // len(calcCodes) before the campaigns
	baseBonus []points.Points // bonus before the campaigns
	baseMult  decimal.Decimal // multiplier before the campaigns

	buf *QuoteBuffer // the memory of the quote
	// The memory of the quote's discount.Result (see discounts).
	discLines   []discount.LineResult
	discEntries []discount.Entry
	discAmounts []loyalty.Money
	// The memory of the lines of the quote's plans (see earn).
	planLines  []points.LinePlan
	buyerLines []points.LinePlan

	// The views' results.
	holder points.Holder
	avail  points.Points
}

// work is an evaluation's working memory, kept (emptied) for the next one.
type work struct {
	tmp       scratch             // the evaluation's working lists
	calcCodes []string            // accepted codes and internal tokens, for the calculator
	camps     []campRun           // the scheduled campaigns, as in q.Campaigns
	budgets   []budgetCounters    // what readBudgets read, by compiled.budget
	multPts   [][]points.Points   // per campaign run: its multiplier's points per line (costs)
	paidBuf   []loyalty.Line      // the lines of paid, when repriced
	hist      []discount.Purchase // the memory of acct's history
	schedBuf  []int               // the memory of sched, for an engine without a timeline
	plainBuf  []points.LinePlan   // the memory of the plain plan's lines
	extraBuf  []points.LinePlan   // the memory of the lines of a tier's earn rate plan

	// The codes step's pricing without codes and lists.
	promoPricing discount.Result
	seen         []string
	families     []promo.DefinitionID
	promotions   []loyalty.CampaignID

	// The views' functions, bound to the evaluation once.
	factsFn func(OrderReadTx) error
	availFn func(points.ReadTx) error
}

// quoteMem holds the parts of a quote that it refers to by pointer or that have a typical
// size, so that a quote takes no allocation of its own for them (they are its buffer's).
type quoteMem struct {
	tier       TierOutcome
	redemption Redemption
	referral   ReferralEffect
	earnings   [2]Earning     // the account's and, in a program of dual earning, the buyer's
	codes      [1]CodeOutcome // the code entered, when there is one
	grant      [1]promo.Grant // the grant of the code accepted
	grants     int            // how many of grant are used
	draw       [1]Draw        // the draw of a campaign with a chance (more take their own)
	draws      int            // how many of draw are used
	perks      [4]string      // the perks of the tier and the campaigns, when they fit
}

// newDraw returns the quote's own copy of d.
func (ev *evaluation) newDraw(d Draw) *Draw {
	m := ev.mem()
	if m.draws == len(m.draw) {
		p := new(Draw) // not &d: that would move every d to the heap
		*p = d
		return p
	}
	m.draw[m.draws] = d
	m.draws++
	return &m.draw[m.draws-1]
}

// ownStrings returns the quote's own copy of s (nil for nil) in the evaluation's memory.
func (ev *evaluation) ownStrings(s []string) []string {
	if len(s) == 0 {
		return slices.Clone(s)
	}
	out := ev.buf.out.str.take(len(s))
	copy(out, s)
	return out
}

// mem returns the quote's parts in its buffer.
func (ev *evaluation) mem() *quoteMem { return &ev.buf.mem }

// run runs the steps in order. Campaigns are two steps: campaigns (after tier and codes)
// selects them and adds their candidate discounts' internal codes, bonus points and
// multipliers; campaignCosts (after earn) prices them and drops those over their money
// budget, running discounts and earn again without them.
func (ev *evaluation) run() error {
	for _, step := range steps {
		if err := step(ev); err != nil {
			return err
		}
	}
	return nil
}

// steps are the evaluation's steps in order, as method expressions: one list for every
// evaluation (a list of method values would be made anew for each).
var steps = [...]func(*evaluation) error{
	(*evaluation).validate, (*evaluation).facts, (*evaluation).tier, (*evaluation).codes,
	(*evaluation).campaigns, (*evaluation).discounts, (*evaluation).earn, (*evaluation).campaignCosts,
	(*evaluation).redeem, (*evaluation).totals, (*evaluation).referral,
}

func (ev *evaluation) validate() error {
	o := &ev.order
	ev.tmp.reserve(len(o.Lines), len(ev.e.camps))
	ev.base = ev.tmp.amount.take(len(o.Lines))
	ev.lineCosts = ev.tmp.amount.take(len(o.Lines))
	var errs []error
	if err := o.ValidateInto(ev.base, ev.lineCosts); err != nil {
		errs = append(errs, inField("order", err))
	} else if o.Currency != ev.e.prog.Currency {
		errs = append(errs, loyalty.Invalid("order.currency", o.Currency, "must be the program currency "+ev.e.prog.Currency.Code()))
	}
	if ev.opt.RedeemPoints < 0 {
		errs = append(errs, loyalty.Invalid("options.redeem_points", ev.opt.RedeemPoints, "must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("campaign: evaluate: %w", err)
	}
	q := &ev.q // zero: released (see Evaluate)
	q.Program, q.Order, q.Options, q.At = ev.e.prog.ID, *o, ev.opt, ev.now
	if ev.e.prog.BuyerEarning != nil && o.Buyer != "" {
		ev.buf.out.plans.reserve(2 * len(o.Lines)) // the account's plan and the buyer's
	}
	// The quote's memory for the campaigns scheduled at the order's time (the others are
	// not in the quote, nor are their budgets read).
	budgeted := ev.scheduled()
	ev.buf.out.reserve(len(o.Lines), len(ev.sched)+len(o.Codes), budgeted, ev.e.candidates, ev.e.perks, ev.mem().perks[:])
	ev.bonus = ev.tmp.pts.take(len(o.Lines))
	ev.multiplier = one
	if n := 2 + 2*len(o.Codes) + len(ev.e.camps); cap(ev.calcCodes) < n {
		ev.calcCodes = make([]string, 0, n)
	}
	if len(o.Codes) > 0 {
		if len(o.Codes) <= len(ev.mem().codes) {
			ev.q.Codes = ev.mem().codes[:0:len(o.Codes)]
		} else {
			ev.q.Codes = make([]CodeOutcome, 0, len(o.Codes))
		}
	}
	return nil
}

// facts reads what the engine knows of the account: its order count and purchase history.
func (ev *evaluation) facts() error {
	if ev.factsFn == nil { // bound once per pooled evaluation
		ev.factsFn = ev.factsView
	}
	if err := ev.e.stores.Orders.View(ev.ctx, ev.factsFn); err != nil {
		return fmt.Errorf("campaign: evaluate: %w", err)
	}
	return nil
}

func (ev *evaluation) factsView(tx OrderReadTx) error {
	var a AccountRecord
	var err error
	if r, ok := tx.(memReader); ok {
		// The history in the evaluation's own memory: only the evaluation reads it.
		a, err = r.accountInto(ev.order.Account, ev.hist)
		if cap(a.History.Purchases) > cap(ev.hist) {
			ev.hist = a.History.Purchases[:0]
		}
	} else {
		a, err = tx.Account(ev.order.Account)
	}
	if errors.Is(err, loyalty.ErrNotFound) {
		a, err = AccountRecord{Account: ev.order.Account}, nil
	}
	ev.acct = a
	ev.q.PriorOrders = a.Orders
	if err != nil {
		return err
	}
	return ev.readBudgets(tx)
}

// memReader is implemented by the memory store's read transaction (and the simulation's
// over it): Account with the history copied into the caller's memory, and a budget
// counter's uses and money spent, zero for one not stored, without an error made for it
// nor its record copied out.
type memReader interface {
	accountInto(id loyalty.AccountID, buf []discount.Purchase) (AccountRecord, error)
	budgetCounter(id loyalty.CampaignID, account loyalty.AccountID) (int64, loyalty.Money, error)
}

// budgetOrZero is tx.Budget with the zero counter of (id, account) for one not stored.
func budgetOrZero(tx OrderReadTx, id loyalty.CampaignID, account loyalty.AccountID) (BudgetRecord, error) {
	r, err := tx.Budget(id, account)
	if errors.Is(err, loyalty.ErrNotFound) {
		return BudgetRecord{Campaign: id, Account: account}, nil
	}
	return r, err
}

// tier finds the account's effective level at now, without storing anything.
func (ev *evaluation) tier() error {
	e := ev.e
	if e.tiers == nil {
		return nil
	}
	out := &ev.mem().tier
	*out = TierOutcome{Source: tier.Earned}
	// The account's level at now, advanced through the reviews due (stores nothing).
	level, source, err := e.tiers.EffectiveAt(ev.ctx, ev.order.Account, ev.now)
	switch {
	case errors.Is(err, loyalty.ErrNotFound):
	case err != nil:
		return fmt.Errorf("campaign: evaluate: %w", err)
	default:
		out.Enrolled, out.Level, out.Source = true, level, source
	}
	lvl := &e.levels[out.Level]
	out.Name, out.Benefits = lvl.Name, lvl.Benefits
	out.Benefits.Perks = ev.ownStrings(lvl.Benefits.Perks) // the quote's own copy
	ev.level, ev.levelName = out.Level, out.Name
	ev.q.Tier = out
	if lvl.Benefits.DiscountRate.IsPositive() {
		ev.calcCodes = append(ev.calcCodes, e.tierTokens[out.Level])
	}
	ev.multiplier = e.levelMult[out.Level] // 1 × the level's multiplier
	return nil
}

// codes checks every entered code: promo codes with the promo service, referral codes with
// the referral service. Refusals are kept in the quote.
func (ev *evaluation) codes() error {
	e := ev.e
	seen := ev.seen[:0]         // canonical codes entered
	families := ev.families[:0] // families of the accepted promo codes
	promotions := ev.promotions[:0]
	defer func() { // keep the lists' memory for the next evaluation (release clears them)
		ev.seen, ev.families, ev.promotions = seen, families, promotions
	}()
	if e.combos && len(ev.order.Codes) > 0 && e.calc != nil {
		// The policy's own discounts that apply without any code are promotions a code may
		// refuse to combine with ("not with R1").
		priced := ev.order
		priced.Codes = ev.calcCodes
		// A pricing only read here: into the evaluation's reused Result, the order being
		// validated (ev.validate) with its line totals in ev.base.
		r := &ev.promoPricing
		if err := e.calc.ApplyChecked(r, priced, ev.acct.History, ev.base); err != nil {
			return fmt.Errorf("campaign: evaluate: discounts: %w", err)
		}
		for _, en := range r.Entries {
			if en.Applied && !engineCandidate(en.Discount) {
				promotions = append(promotions, loyalty.CampaignID(en.Discount))
			}
		}
		ev.q.Promotions = append([]loyalty.CampaignID(nil), promotions...)
	}
	for _, typed := range ev.order.Codes {
		out := CodeOutcome{Typed: typed}
		canon, nerr := loyalty.NormalizeCode(typed)
		if nerr == nil {
			out.Code = canon
			if slices.Contains(seen, canon) {
				out.Reason, out.Message = "duplicate", ErrDuplicateCode.Error()
				ev.q.Codes = append(ev.q.Codes, out)
				continue
			}
			seen = append(seen, canon)
		}
		co := promo.Checkout{Order: ev.order, PriorOrders: ev.acct.Orders, Tier: ev.levelName, Promotions: promotions}
		// The order was validated (ev.validate) and its line totals are ev.base.
		// The grant's lines in the quote's memory.
		g, err := e.codes.ValidateCheckedInto(ev.ctx, ev.buf.out.idx.take(len(ev.order.Lines)), typed, co, ev.base)
		switch {
		case err == nil && slices.Contains(families, g.Definition):
			// One use per promotion and order: a second code of the same family would be
			// used up for a benefit the order already has.
			out.Kind, out.Code = PromoCode, g.Code
			out.Reason = "duplicate"
			out.Message = fmt.Sprintf("%v: another code of promotion %s is already applied", ErrDuplicateCode, g.Promotion)
		case err == nil:
			families = append(families, g.Definition)
			out.Kind, out.Accepted, out.Code = PromoCode, true, g.Code
			if m := ev.mem(); m.grants < len(m.grant) {
				m.grant[m.grants] = g
				out.Grant = &m.grant[m.grants]
				m.grants++
			} else {
				gg := g
				out.Grant = &gg
			}
			promotions = append(promotions, g.Promotion)
			if !strings.HasPrefix(g.Code, tokenPrefix) { // never let a typed code pass as an internal one
				ev.calcCodes = append(ev.calcCodes, g.Code)
			}
			switch b := g.Benefit; {
			case b.Percent.IsPositive() || b.Amount.IsPositive():
				k := e.defIndex[g.Definition]
				out.Discount = e.codeIDs[k] // codePrefix + the family
				// One token per family: families are accepted once each.
				ev.calcCodes = append(ev.calcCodes, e.defTokens[k])
			case b.Ref != "":
				id, _ := cutPrefix(b.Ref, refDiscount)
				out.Discount = id
			case b.Points > 0:
				out.Points = points.Points(b.Points)
				if err := ev.addBonus(out.Points, g.Lines); err != nil {
					return err
				}
			}
		case errors.Is(err, promo.ErrUnknownCode) && e.referrals != nil && nerr == nil:
			if err := ev.referralCode(&out, canon); err != nil {
				return err
			}
		case promo.IsRefusal(err):
			out.Kind = PromoCode
			out.Reason, out.Message = refusalName(err), err.Error()
		default:
			return fmt.Errorf("campaign: evaluate: code %q: %w", typed, err)
		}
		ev.q.Codes = append(ev.q.Codes, out)
	}
	return nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

func refusalName(err error) string {
	if r := reasonOf(err); r != "" {
		return r
	}
	return "refused"
}

// referralCode checks a code that is not a promo code against the referral program: it is
// accepted on the first order of an account not yet referred, and its welcome rewards apply.
func (ev *evaluation) referralCode(out *CodeOutcome, canon string) error {
	e := ev.e
	prof, err := e.referrals.Lookup(ev.ctx, canon)
	if errors.Is(err, loyalty.ErrNotFound) {
		out.Reason, out.Message = "unknown", promo.ErrUnknownCode.Error()
		return nil
	}
	if err != nil {
		return fmt.Errorf("campaign: evaluate: code %q: %w", out.Typed, err)
	}
	out.Kind, out.Referrer = ReferralCode, prof.Referrer.String()
	if ev.acct.Orders > 0 {
		out.Reason, out.Message = "not-first-order", ErrNotReferralOrder.Error()
		return nil
	}
	att := referral.Attribution{Key: "evaluate", Code: canon, Referee: ev.order.Account, Buyer: ev.order.Buyer}
	if err := referral.CheckSelfReferral(prof, att); err != nil {
		out.Reason, out.Message = refusalName(err), err.Error()
		return nil
	}
	if ref, err := e.referrals.Referral(ev.ctx, ev.order.Account); err == nil {
		// An attribution by this very code that never saw an order is one an earlier,
		// failed commit attempt left: the next attempt finds it again.
		if ref.Code != canon || ref.Status != referral.StatusAttributed || ref.Orders > 0 {
			out.Reason, out.Message = "already-attributed", referral.ErrAlreadyAttributed.Error()
			return nil
		}
	} else if !errors.Is(err, loyalty.ErrNotFound) {
		return fmt.Errorf("campaign: evaluate: %w", err)
	}
	out.Accepted = true
	if e.welcomeOff {
		out.Discount = referralPrefix + "welcome"
		ev.calcCodes = append(ev.calcCodes, welcomeToken)
	}
	if e.welcomePts > 0 {
		out.Points = points.Points(e.welcomePts)
		all := ev.tmp.idx.take(len(ev.order.Lines))
		for i := range all {
			all[i] = i
		}
		return ev.addBonus(out.Points, all)
	}
	return nil
}

// addBonus spreads bonus points over the given lines in proportion to their value (largest
// remainder), so that a return takes back the share of the lines returned.
func (ev *evaluation) addBonus(p points.Points, lines []int) error {
	if len(lines) == 0 || p <= 0 {
		return nil
	}
	weights := ev.tmp.ints.take(len(lines))
	for i, l := range lines {
		if l < 0 || l >= len(ev.order.Lines) {
			return fmt.Errorf("campaign: evaluate: grant names line %d of %d", l, len(ev.order.Lines))
		}
		weights[i] = ev.base[l].MinorUnits()
	}
	parts := ev.tmp.pts.take(len(lines))
	if err := allocatePointsInto(parts, p, weights); err != nil {
		return fmt.Errorf("campaign: evaluate: %w", err)
	}
	for i, l := range lines {
		ev.bonus[l] += parts[i]
	}
	return nil
}

// discounts prices the order under the policy with the candidates the earlier steps enabled.
func (ev *evaluation) discounts() error {
	o := &ev.order
	if ev.e.calc == nil {
		// No discounts: every line at its total (ev.base, as the validation computed them).
		zero := loyalty.Zero(o.Currency)
		sub, lines := zero, reuse(&ev.buf.discLines, len(ev.base))
		for i, t := range ev.base {
			var err error
			if sub, err = sub.Add(t); err != nil {
				return fmt.Errorf("campaign: evaluate: subtotal: %w", err)
			}
			lines[i] = discount.LineResult{Base: t, Discount: zero, Total: t}
		}
		ev.q.Discount = discount.Result{Order: o.ID, Subtotal: sub, Discount: zero, Total: sub, Lines: lines}
		return nil
	}
	priced := *o
	priced.Codes = ev.calcCodes
	// The quote's own Result, in the quote's memory (a second pricing, without the campaigns
	// over their budget, overwrites the first); the order was validated (ev.validate), its
	// line totals are ev.base.
	if ev.discLines == nil {
		ev.discLines = reuse(&ev.buf.discLines, len(o.Lines))
		ev.discEntries = reuse(&ev.buf.discEntries, ev.e.candidates)
		ev.discAmounts = ev.buf.out.amount.take(ev.e.candidates * len(o.Lines))
	}
	var r discount.Result
	r.UseMemory(ev.discLines, ev.discEntries, ev.discAmounts)
	if err := ev.e.calc.ApplyChecked(&r, priced, ev.acct.History, ev.base); err != nil {
		return fmt.Errorf("campaign: evaluate: discounts: %w", err)
	}
	ev.q.Discount = r
	return nil
}

// earn plans the points of the company account (and of the buyer) on the prices paid after
// discounts.
func (ev *evaluation) earn() error {
	e, o := ev.e, &ev.order
	n := len(o.Lines)
	if ev.paidTotals == nil {
		ev.paidTotals = ev.tmp.amount.take(n)
	}
	ok, err := paidTotalsInto(ev.paidTotals, ev.base, o.Lines, ev.q.Discount.Lines)
	if err != nil {
		return fmt.Errorf("campaign: evaluate: %w", err)
	}
	// Given the line totals, the planners price the lines at them and read of the order only
	// what the discounts leave as it is (its lines' quantities, SKUs, categories and tags):
	// they take the order itself, not a copy repriced. Should a paid total not be computable,
	// they get the repriced order (see paidOrder) and check it themselves, reporting it.
	ev.paid, ev.paidChecked = *o, ev.paidTotals
	if !ok {
		if ev.paid, err = ev.repriced(); err != nil {
			return fmt.Errorf("campaign: evaluate: %w", err)
		}
		ev.paidChecked = nil
	}
	paid, totals := &ev.paid, ev.paidChecked
	var base points.Plan
	ev.plainSet = false
	// The base plan's lines in the quote's memory (a second earn, without the campaigns over
	// their budget, overwrites the first), the plain plan's in the evaluation's.
	if ev.planLines == nil {
		ev.planLines = ev.buf.out.plans.take(n)
	}
	if ev.campMult {
		// The campaigns' multipliers are priced by the plan without them: both at once.
		base, ev.plain, err = e.earnPlan.PlanPairTotalsInto(ev.planLines, reuse(&ev.plainBuf, n), *paid, totals, ev.multiplier, ev.baseMult)
		ev.plainSet = err == nil
	} else {
		base, err = e.earnPlan.PlanTotalsInto(ev.planLines, *paid, totals, ev.multiplier)
	}
	if err != nil {
		return fmt.Errorf("campaign: evaluate: earning: %w", err)
	}
	if ev.q.Earnings == nil {
		ev.q.Earnings = ev.mem().earnings[:0]
	}
	if len(ev.q.Earnings) == cap(ev.q.Earnings) {
		ev.q.Earnings = slices.Grow(ev.q.Earnings, 1)
	}
	ev.q.Earnings = ev.q.Earnings[:len(ev.q.Earnings)+1]
	earning := &ev.q.Earnings[len(ev.q.Earnings)-1] // written in place, whole
	*earning = Earning{Holder: points.ForAccount(o.Account), Base: base.Total, Multiplier: ev.multiplier}
	var extra []points.LinePlan
	if e.tierExtra != nil && e.tierExtra[ev.level] != nil {
		var xp points.Plan
		if pl := e.tierPlan[ev.level]; pl != nil {
			xp, err = pl.PlanTotalsInto(reuse(&ev.extraBuf, n), *paid, totals, decimal.Zero)
		} else {
			var rp loyalty.Order
			if rp, err = ev.repriced(); err == nil {
				xp, err = e.tierExtra[ev.level].Plan(rp, decimal.Zero)
			}
		}
		if err != nil {
			return fmt.Errorf("campaign: evaluate: tier earn rate: %w", err)
		}
		extra = xp.Lines[:n]
		earning.TierRate = xp.Total
	}
	// The plan's lines are zeroed memory of the quote's buffer (they carry the lines' quantities already): the
	// quote's plan adds the tier's rate and the bonus to them in place, and the campaigns'
	// costs read the base points from ev.basePts.
	plan := base
	lines, basePts, bonus := plan.Lines[:n], ev.tmp.pts.take(n), ev.bonus[:n]
	for i := range lines {
		l := &lines[i]
		basePts[i] = l.Points
		if extra != nil {
			l.Points += extra[i].Points
			if l.Rate < 0 && extra[i].Points > 0 {
				l.Excluded = false
			}
		}
		b := bonus[i]
		l.Points += b
		earning.Bonus += b
		if b > 0 {
			l.Excluded = false
		}
	}
	ev.basePts = basePts
	plan.Total = earning.Base + earning.TierRate + earning.Bonus
	earning.Plan = plan
	if err := ev.times(earning, &e.prog.Earning); err != nil {
		return err
	}
	if e.prog.BuyerEarning != nil && o.Buyer != "" {
		if ev.buyerLines == nil {
			ev.buyerLines = ev.buf.out.plans.take(n)
		}
		bp, err := e.buyerPlan.PlanTotalsInto(ev.buyerLines, *paid, totals, decimal.Zero)
		if err != nil {
			return fmt.Errorf("campaign: evaluate: buyer earning: %w", err)
		}
		ev.q.Earnings = append(ev.q.Earnings, Earning{Holder: points.ForBuyer(o.Buyer), Plan: bp, Base: bp.Total, Multiplier: one})
		if err := ev.times(&ev.q.Earnings[len(ev.q.Earnings)-1], e.prog.BuyerEarning); err != nil {
			return err
		}
	}
	return nil
}

// repriced returns the order at the prices paid after discounts (paidOrder), its lines in
// the evaluation's memory.
func (ev *evaluation) repriced() (loyalty.Order, error) {
	paid, err := paidOrderInto(ev.paidBuf, ev.order, ev.q.Discount.Lines)
	if err == nil {
		ev.paidBuf = paid.Lines
	}
	return paid, err
}

// reuse returns n elements of the reused memory *buf, growing it when it is too small.
func reuse[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// zeroed is reuse with the n elements cleared.
func zeroed[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
		return *buf
	}
	*buf = (*buf)[:n]
	clear(*buf)
	return *buf
}

func (ev *evaluation) times(er *Earning, r *points.Rules) error {
	if r.PendingDays > 0 {
		er.ActivatesAt = ev.now.In(ev.e.loc).AddDate(0, 0, r.PendingDays)
	}
	er.ExpiresAt = r.Expiry.Until(ev.now, ev.e.loc)
	red := &ev.e.redemption
	if red.PointValue.IsPositive() && er.Plan.Total > 0 {
		v, err := red.Value(er.Plan.Total)
		if err != nil {
			return fmt.Errorf("campaign: evaluate: %w", err)
		}
		er.Value = v
	}
	return nil
}

// paidOrder returns o with every discounted line repriced so that its line total is what
// the discount left: the same quantity at a unit price of total ÷ quantity (prices carry six
// decimals, so this is exact whenever such a price exists — always below 10,000 units in a
// two-digit currency); a line the discount made free gets the smallest positive price, whose
// total rounds to zero below 5,000 units. When no six-decimal price gives the total exactly,
// the nearest price is used.
func paidOrder(o loyalty.Order, lines []discount.LineResult) (loyalty.Order, error) {
	return paidOrderInto(nil, o, lines)
}

// paidOrderInto is paidOrder with the lines in buf's memory when it has room.
func paidOrderInto(buf []loyalty.Line, o loyalty.Order, lines []discount.LineResult) (loyalty.Order, error) {
	paid := o
	paid.Lines = append(buf[:0], o.Lines...)
	paid.Codes = nil
	for i := range paid.Lines {
		if i >= len(lines) || lines[i].Discount.IsZero() {
			continue
		}
		l := &paid.Lines[i]
		p, _, _, err := priceFor(lines[i].Total, l.Quantity)
		if err != nil {
			return loyalty.Order{}, err
		}
		l.UnitPrice = p
	}
	return paid, nil
}

// paidTotalsInto writes into totals the line totals ([loyalty.Line.Total]) of the lines ol
// of an order o repriced by paidOrder(o, lines), given base, ol's totals, and reports
// whether they are all known; its errors are paidOrder's. A line not discounted keeps its
// total; a discounted one has the total the discount left whenever its price gives it
// exactly (see exactBounds), the total of its price otherwise.
func paidTotalsInto(totals, base []loyalty.Money, ol []loyalty.Line, lines []discount.LineResult) (bool, error) {
	ok := true
	totals, base = totals[:len(ol)], base[:len(ol)] // one length: no bounds checks
	var x exactBounds
	for i := range ol {
		if i >= len(lines) || lines[i].Discount.IsZero() {
			totals[i] = base[i]
			continue
		}
		q, t := ol[i].Quantity, lines[i].Total
		if x.cur != t.Currency() {
			x = newExactBounds(t.Currency())
		}
		if x.exact(t, q) {
			totals[i] = t
			continue
		}
		p, pt, exact, err := priceFor(t, q)
		if err != nil {
			return false, err
		}
		if !exact {
			pt, err = p.Times(q, loyalty.HalfUp)
			ok = ok && err == nil
		}
		totals[i] = pt
	}
	return ok, nil
}

// exactBounds decide, without computing it, that priceFor finds the price of a line whose
// total (positive, in cur) is the total exactly, for quantities and totals within them. A
// step of one micro-unit in the price moves the line's total by r = q ÷ (a minor unit in
// micro-units of a major unit) minor units before rounding; priceFor tries first the price
// nearest total ÷ r, whose total before rounding lies within r/2 of total. For q of at most
// one minor unit's worth of micro-units (10,000 units in a two-digit currency), r ≤ 1 and
// that is within one half: the price rounds half up to total. The bound on total keeps
// priceFor's arithmetic (total in micro-units of a major unit, times 10⁶) within 64 bits,
// as it requires.
type exactBounds struct {
	cur        loyalty.Currency
	maxQ, maxT int64 // the largest quantity in micro-units and total in minor units
}

func newExactBounds(cur loyalty.Currency) exactBounds {
	x := exactBounds{cur: cur} // no bounds (nothing is exact) for more than 6 digits
	if d := cur.Digits(); d <= 6 {
		scale := microScale[d]
		x.maxQ, x.maxT = 1_000_000*scale, math.MaxInt64/1_000_000/scale
	}
	return x
}

// exact reports that priceFor finds the price of a line of quantity q and total, in x.cur,
// exactly.
func (x *exactBounds) exact(total loyalty.Money, q loyalty.Quantity) bool {
	t, qm := total.MinorUnits(), q.Micros()
	return t >= 1 && qm >= 1 && qm <= x.maxQ && t <= x.maxT
}

// priceFor returns the unit price of a line of quantity q whose total is total (see
// paidOrder) and whether that price gives total exactly (then total is the line's total).
func priceFor(total loyalty.Money, q loyalty.Quantity) (loyalty.Price, loyalty.Money, bool, error) {
	cur := total.Currency()
	// A minor unit in micro-units of a major unit.
	scale := microScale[min(cur.Digits(), 6)]
	th, t := bits.Mul64(uint64(total.MinorUnits()), uint64(scale)) // total in micro-units of a major unit
	qm := uint64(q.Micros())
	hi, lo := bits.Mul64(t, 1_000_000)
	if th != 0 || hi >= qm || qm == 0 {
		return loyalty.Price{}, loyalty.Money{}, false, fmt.Errorf("campaign: line total %s: %w", total, loyalty.ErrOverflow)
	}
	quo, rem := bits.Div64(hi, lo, qm)
	if 2*rem >= qm {
		quo++
	}
	best := int64(quo)
	for _, c := range []int64{best, best - 1, best + 1} {
		if c <= 0 {
			continue
		}
		p, err := loyalty.PriceFromMicros(c, cur)
		if err != nil {
			return loyalty.Price{}, loyalty.Money{}, false, err
		}
		if got, err := p.Times(q, loyalty.HalfUp); err == nil && got.Equal(total) {
			return p, got, true, nil
		}
	}
	if best <= 0 {
		best = 1
	}
	p, err := loyalty.PriceFromMicros(best, cur)
	return p, loyalty.Money{}, false, err
}

// microScale[d] is 10^(6-d): a minor unit of a currency of d digits in micro-units.
var microScale = [...]int64{1_000_000, 100_000, 10_000, 1000, 100, 10, 1}

// redeem checks the requested points against the balance and the redemption rules on the
// total after discounts.
func (ev *evaluation) redeem() error {
	want := ev.opt.RedeemPoints
	if want == 0 {
		return nil
	}
	e := ev.e
	r := &ev.mem().redemption
	*r = Redemption{Requested: want, Value: loyalty.Zero(ev.order.Currency)}
	ev.q.Redemption = r
	red := &e.redemption
	total := ev.q.Discount.Total
	if !red.PointValue.IsPositive() {
		r.Reason, r.Message = "no-point-value", "points have no money value in this program; they buy catalogue rewards only"
		return nil
	}
	// The order's maximum comes with the quote; a refusal (rare) works it out again.
	pq, qerr := red.Quote(total, want)
	refused := errors.Is(qerr, points.ErrRedemptionLimit)
	switch {
	case qerr == nil:
		r.Max = pq.Max
	case refused:
		max, err := red.MaxPoints(total)
		if err != nil {
			return fmt.Errorf("campaign: evaluate: redemption: %w", err)
		}
		r.Max = max
	default:
		return fmt.Errorf("campaign: evaluate: redemption: %w", qerr)
	}
	avail, err := ev.available(points.ForAccount(ev.order.Account))
	if err != nil {
		return fmt.Errorf("campaign: evaluate: %w", err)
	}
	r.Available = avail
	switch {
	case refused:
		r.Reason, r.Message = "redemption-limit", qerr.Error()
		return nil
	case avail < want:
		r.Reason = "insufficient-points"
		r.Message = (&points.InsufficientPointsError{Holder: points.ForAccount(ev.order.Account), Have: avail, Need: want}).Error()
		return nil
	}
	r.Applied, r.Value = want, pq.Value
	return nil
}

// available is the holder's spendable balance at the evaluation's now, read without
// writing: the balance row when no activation or expiry has fallen due since it was written
// (one read), otherwise the open lots that are active (or due to activate) and not expired,
// less any negative balance.
func (ev *evaluation) available(h points.Holder) (points.Points, error) {
	ev.holder, ev.avail = h, 0
	if ev.availFn == nil { // bound once per pooled evaluation
		ev.availFn = ev.availView
	}
	err := ev.e.stores.Points.View(ev.ctx, ev.availFn)
	return ev.avail, err
}

func (ev *evaluation) availView(tx points.ReadTx) error {
	h, now := ev.holder, ev.now
	ev.avail = 0
	a, err := tx.Account(h)
	if errors.Is(err, loyalty.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.NextDue.IsZero() || now.Before(a.NextDue) {
		// Nothing has fallen due since the row was written: it is the balance now.
		ev.avail = a.Active - a.Debt
		return nil
	}
	lots, err := tx.OpenLots(h)
	if err != nil {
		return err
	}
	var sum points.Points
	for _, l := range lots {
		if l.Pending && (l.ActiveAt.IsZero() || l.ActiveAt.After(now)) {
			continue
		}
		if !l.Expires.IsZero() && !now.Before(l.Expires) {
			continue
		}
		sum += l.Remaining
	}
	ev.avail = sum - a.Debt
	return nil
}

// totals sums the quote up, fills in the lines and computes the margin, in few simple
// passes over the lines in minor units: every amount is the order's currency (validate
// checked the order), so the sums need no currency checks, and each field's Money is made
// once.
func (ev *evaluation) totals() error {
	cur := ev.order.Currency
	d := &ev.q.Discount
	dl := d.Lines
	n := len(dl)
	t := Totals{Subtotal: d.Subtotal, Discount: d.Discount, PointsValue: loyalty.Zero(cur)}
	if t.Discount.IsZero() {
		t.Discount = loyalty.Zero(cur)
	}
	r := ev.q.Redemption
	redeem := r != nil && r.Applied > 0
	var weights []int64 // the lines' totals: the shares of the points redeemed and their value
	if redeem {
		weights = ev.tmp.ints.take(n)
		for i := range dl {
			weights[i] = dl[i].Total.MinorUnits()
		}
	}
	var pv []loyalty.Money // the points' value per line (margin)
	var pvErr error
	if redeem && r.Value.IsPositive() {
		// Before the points' split, which replaces all-zero weights with ones.
		pv = ev.tmp.amount.take(n)
		pvErr = r.Value.AllocateInto(pv, weights)
	}
	var redeemed []points.Points
	if redeem {
		t.PointsValue = r.Value
		redeemed = ev.tmp.pts.take(n)
		if err := allocatePointsInto(redeemed, r.Applied, weights); err != nil {
			return fmt.Errorf("campaign: evaluate: %w", err)
		}
	}
	pay, err := d.Total.Sub(t.PointsValue)
	if err != nil {
		return fmt.Errorf("campaign: evaluate: %w", err)
	}
	t.ToPay = pay
	ev.q.Totals = t
	if pvErr != nil {
		return fmt.Errorf("campaign: evaluate: margin: %w", pvErr)
	}

	// The lines, in zeroed memory of the quote's buffer: only what is not zero is written. The costs are computed
	// by ValidateInto: zero (no currency) when unknown.
	ev.q.Lines = zeroed(&ev.buf.lines, n)
	lines, costs := ev.q.Lines[:n], ev.lineCosts[:n] // one length: no bounds checks
	zero := loyalty.Zero(cur)
	for i := range dl {
		l, lo := &dl[i], &lines[i]
		lo.Base, lo.Discount, lo.Total, lo.Cost = l.Base, l.Discount, l.Total, costs[i]
		if l.Discount.IsZero() {
			lo.Discount = zero
		}
	}
	if len(ev.q.Earnings) > 0 {
		pts := ev.q.Earnings[0].Plan.Lines[:n]
		for i := range lines {
			lines[i].Points = pts[i].Points
		}
	}
	if redeemed != nil {
		redeemed = redeemed[:n]
		for i := range lines {
			lines[i].Redeemed = redeemed[i]
		}
	}

	// Over the lines whose cost is known: revenue, cost, what was paid and what points paid.
	// The margins are their differences: Before = revenue − cost, AfterDiscounts = paid −
	// cost, After = paid − cost − points. The amounts are never negative and each is below
	// 2⁶³, so a sum that goes beyond int64 sets the sign bit before it can wrap around:
	// every sum is or-ed into over to see it. Should that happen (or an amount be negative),
	// marginMoney does it all again with the Money arithmetic, which reports the overflow.
	var rev, cost, paid, byPoints, over uint64
	unknown := 0
	for i := range dl {
		c := &costs[i]
		if c.Currency().IsZero() {
			unknown++
			continue
		}
		b, p, k := dl[i].Base.MinorUnits(), dl[i].Total.MinorUnits(), c.MinorUnits()
		rev, paid, cost = rev+uint64(b), paid+uint64(p), cost+uint64(k)
		over |= uint64(b|p|k) | rev | paid | cost
	}
	var m Margin
	m.Known = unknown == 0
	if unknown > 0 {
		m.Unknown = ev.buf.out.idx.take(unknown)[:0]
		for i := range costs {
			if costs[i].Currency().IsZero() {
				m.Unknown = append(m.Unknown, i)
			}
		}
	}
	if pv != nil {
		// The points' value of the costed lines: all of it (the parts sum to it exactly)
		// but the parts of the lines without a cost. Every part is between zero and it.
		byPoints = uint64(r.Value.MinorUnits())
		for _, i := range m.Unknown {
			byPoints -= uint64(pv[i].MinorUnits())
		}
	}
	// Non-negative sums of at most 2⁶³ − 1: the differences of two are in range, that of
	// three is checked as Money.Sub checks it.
	afterDisc := int64(paid) - int64(cost)
	after := afterDisc - int64(byPoints)
	if int64(over) < 0 || (afterDisc^int64(byPoints))&(afterDisc^after) < 0 || after == math.MinInt64 {
		mm, err := ev.marginMoney(pv)
		if err != nil {
			return fmt.Errorf("campaign: evaluate: margin: %w", err)
		}
		m.Revenue, m.Cost, m.Before, m.AfterDiscounts, m.After = mm.Revenue, mm.Cost, mm.Before, mm.AfterDiscounts, mm.After
	} else {
		m.Revenue, m.Cost, m.Before = minor(int64(rev), cur), minor(int64(cost), cur), minor(int64(rev)-int64(cost), cur)
		m.AfterDiscounts, m.After = minor(afterDisc, cur), minor(after, cur)
	}
	for i := range ev.q.Earnings {
		if er := &ev.q.Earnings[i]; !er.Value.IsZero() {
			v, err := m.EarnedValue.Add(er.Value)
			if err != nil {
				return fmt.Errorf("campaign: evaluate: margin: %w", err)
			}
			m.EarnedValue = v
		}
	}
	ev.q.Margin = m
	return nil
}

// minor returns units minor units of cur, a valid currency, for units of a sum checked to
// be in range (never math.MinInt64).
func minor(units int64, cur loyalty.Currency) loyalty.Money {
	m, _ := loyalty.MoneyFromMinor(units, cur)
	return m
}

// marginMoney returns the sums and margins of the quote's lines (of Margin: Revenue, Cost,
// Before, AfterDiscounts and After) with the Money arithmetic, or its overflow error (pv:
// the points' value per line). totals uses it when its sums in minor units go beyond int64.
func (ev *evaluation) marginMoney(pv []loyalty.Money) (Margin, error) {
	z := loyalty.Zero(ev.order.Currency)
	m := Margin{Revenue: z, Cost: z, Before: z, AfterDiscounts: z, After: z}
	paid, byPoints := z, z
	var err error
	for i := range ev.q.Lines {
		l := &ev.q.Lines[i]
		if l.Cost.Currency().IsZero() {
			continue
		}
		if m.Revenue, err = m.Revenue.Add(l.Base); err != nil {
			return Margin{}, err
		}
		if m.Cost, err = m.Cost.Add(l.Cost); err != nil {
			return Margin{}, err
		}
		if paid, err = paid.Add(l.Total); err != nil {
			return Margin{}, err
		}
		if pv != nil {
			if byPoints, err = byPoints.Add(pv[i]); err != nil {
				return Margin{}, err
			}
		}
	}
	if m.Before, err = m.Revenue.Sub(m.Cost); err != nil {
		return Margin{}, err
	}
	if m.AfterDiscounts, err = paid.Sub(m.Cost); err != nil {
		return Margin{}, err
	}
	if m.After, err = m.AfterDiscounts.Sub(byPoints); err != nil {
		return Margin{}, err
	}
	return m, nil
}

// referral says what the order does to the account's referral, without recording it.
func (ev *evaluation) referral() error {
	e := ev.e
	if e.referrals == nil {
		return nil
	}
	rules := e.referrals.Rules()
	at := ev.order.PlacedAt
	ref, err := e.referrals.Referral(ev.ctx, ev.order.Account)
	var eff ReferralEffect
	switch {
	case err == nil:
		eff.Referrer = ref.Referrer.String()
	case errors.Is(err, loyalty.ErrNotFound):
		var code *CodeOutcome
		for i := range ev.q.Codes {
			if c := &ev.q.Codes[i]; c.Accepted && c.Kind == ReferralCode {
				code = c
			}
		}
		if code == nil {
			return nil
		}
		// Attributed by this very order: a fresh referral.
		ref = referral.Referral{Referee: ev.order.Account, Status: referral.StatusAttributed, AttributedAt: at,
			FirstAttributedAt: at, ConvertBy: at.AddDate(0, 0, rules.ConvertWithinDays)}
		eff.Referrer, eff.New = code.Referrer, true
	default:
		return fmt.Errorf("campaign: evaluate: %w", err)
	}
	eff.Outcome, eff.Reason = rules.Qualify(ref, ev.q.Discount.Total, at)
	ev.mem().referral = eff
	ev.q.Referral = &ev.mem().referral
	return nil
}
