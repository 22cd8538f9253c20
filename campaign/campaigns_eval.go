package campaign

import (
	"fmt"
	"math"
	"slices"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

var one = decimal.NewFromInt(1)

// campRun is one scheduled campaign in an evaluation; ev.camps[k] is q.Campaigns[k].
type campRun struct {
	c     *compiled
	meta  *campMeta
	bonus []points.Points // the campaign's own bonus points per order line
}

// budgetCounters are what an evaluation reads of a budgeted campaign's counters: only
// those its budget caps (see readBudgets), the others stay zero.
type budgetCounters struct {
	uses     int64         // the campaign's uses in all (for Budget.Uses)
	spent    loyalty.Money // the campaign's money spent in all (for Budget.Money)
	acctUses int64         // the account's uses (for Budget.PerAccount)
}

// budgetCounterOf is memReader.budgetCounter over any read transaction.
func budgetCounterOf(tx OrderReadTx, id loyalty.CampaignID, account loyalty.AccountID) (int64, loyalty.Money, error) {
	mem, _ := tx.(memReader)
	return readCounter(mem, tx, id, account)
}

// readCounter is mem.budgetCounter, or tx's counter when mem is nil.
func readCounter(mem memReader, tx OrderReadTx, id loyalty.CampaignID, account loyalty.AccountID) (int64, loyalty.Money, error) {
	if mem != nil {
		return mem.budgetCounter(id, account)
	}
	r, err := budgetOrZero(tx, id, account)
	return r.Uses, r.Spent, err
}

// readBudgets reads the budget counters of the scheduled budgeted campaigns (inside the
// facts view) into ev.budgets[c.budget]: only those the budget caps (its total for uses
// or money, the account's for uses per account), which are all usesLeft and costs read.
func (ev *evaluation) readBudgets(tx OrderReadTx) error {
	e := ev.e
	if e.budgeted == 0 {
		return nil
	}
	if cap(ev.budgets) < e.budgeted {
		ev.budgets = make([]budgetCounters, e.budgeted)
	}
	ev.budgets = ev.budgets[:e.budgeted]
	mem, _ := tx.(memReader)
	account := ev.order.Account
	sched := ev.sched
	if e.timeline != nil { // the scheduled campaigns with a budget
		sched = ev.budgeted
	}
	for _, i := range sched {
		c := &e.camps[i]
		if c.budget < 0 {
			continue
		}
		r := &ev.budgets[c.budget]
		*r = budgetCounters{}
		var err error
		if c.capsTotal {
			if r.uses, r.spent, err = readCounter(mem, tx, c.ID, ""); err != nil {
				return err
			}
		}
		if c.Budget.PerAccount > 0 {
			if r.acctUses, _, err = readCounter(mem, tx, c.ID, account); err != nil {
				return err
			}
		}
	}
	return nil
}

// scheduled lists in ev.sched the campaigns whose schedule covers the order's time and
// returns how many of them have a budget: the engine's lists from its timeline (which
// ev.sched and ev.budgeted then share, read only), or a list of the evaluation's own made
// by testing every schedule for an engine without a timeline.
func (ev *evaluation) scheduled() int {
	e := ev.e
	sec := ev.order.PlacedAt.Unix() // the schedules were compiled in e.loc
	if e.timeline != nil {
		st := e.timeline.at(sec)
		ev.sched, ev.budgeted = st.sched, st.budgeted
		return len(st.budgeted)
	}
	sched := ev.schedBuf[:0]
	budgeted := 0
	for i := range e.camps {
		if e.camps[i].sched.activeAt(sec) {
			sched = append(sched, i)
			if e.camps[i].budget >= 0 {
				budgeted++
			}
		}
	}
	ev.sched, ev.schedBuf = sched, sched
	return budgeted
}

// campaigns selects the campaigns whose schedule covers the order's time: by priority, each
// applies unless an exclusive one applied before it, or its audience, conditions, draw or
// remaining uses refuse it.
func (ev *evaluation) campaigns() error {
	e := ev.e
	ev.baseCodes, ev.baseMult = len(ev.calcCodes), ev.multiplier
	if len(ev.sched) == 0 {
		return nil
	}
	// The outcomes are written in place, field by field, in the quote's zeroed list: no
	// outcome is copied.
	outs := zeroed(&ev.buf.camps, len(ev.sched))
	ev.q.Campaigns = outs
	if cap(ev.camps) < len(ev.sched) {
		ev.camps = make([]campRun, 0, len(e.camps))
	}
	sched := ev.sched
	camps := ev.camps[:len(sched)]
	ev.camps = camps
	cs, metas := e.camps, e.meta[:len(e.camps)]
	excluded := -1            // the exclusive campaign that applied
	var all allLines          // the lines of the campaigns that select every line, and their sums
	for k, i := range sched { // the campaigns scheduled at the order's time (validate)
		c, mt := &cs[i], &metas[i]
		camps[k] = campRun{c: c, meta: mt}
		out := &outs[k]
		out.ID, out.Name = c.ID, c.Name
		if excluded >= 0 {
			out.Reason, out.Message = "excluded", metas[excluded].excludes
			continue
		}
		lines, why := ev.qualifies(c, &all)
		switch why {
		case notAudience:
			out.Reason, out.Message = "audience", "the account is not in the campaign's audience"
			continue
		case notConditions:
			out.Reason, out.Message, out.Lines = "conditions", mt.conditions, lines
			continue
		}
		if c.Chance != nil {
			roll, won := c.Chance.Draw(c.ID, ev.order.ID)
			out.Draw = ev.newDraw(Draw{Roll: roll, Wins: c.Chance.Wins, OutOf: c.Chance.OutOf, Won: won})
			if !won {
				out.Reason, out.Message = "draw", mt.draw
				continue
			}
		}
		if c.budget >= 0 {
			if msg := ev.usesLeft(c, mt); msg != "" {
				out.Reason, out.Message = "budget", msg
				continue
			}
		}
		out.Applied, out.Lines, out.Multiplier = true, lines, c.multiplier
		if len(c.perks) > 0 {
			out.Perks = ev.ownStrings(c.perks)
		}
		if len(c.codes) > 0 {
			out.Codes = slices.Clone(c.codes)
		}
		if c.Exclusive {
			excluded = i
		}
	}
	return ev.applyCampaigns()
}

// The reasons qualifies refuses a campaign.
const (
	qualified = iota
	notAudience
	notConditions
)

// qualifies checks the audience and the conditions; it returns the eligible lines and
// qualified or the reason the campaign does not apply. all is as eligible takes it.
func (ev *evaluation) qualifies(c *compiled, all *allLines) ([]int, int) {
	if c.audience && !ev.inAudience(&c.Audience) {
		return nil, notAudience
	}
	lines := ev.eligible(c, all)
	if len(lines) == 0 {
		return nil, notConditions
	}
	if cn := &c.Conditions; c.minimum {
		// The eligible lines' amount (in the order's currency, the program's, as MinAmount
		// is) and quantity: those of every line computed once for the campaigns that select
		// every line.
		var s lineSums
		if c.selective {
			s = sumLines(ev.base, ev.order.Lines, lines)
		} else {
			if !all.summed {
				all.sums, all.summed = sumLines(ev.base, ev.order.Lines, lines), true
			}
			s = all.sums
		}
		if s.out < 0 || !cn.MinAmount.IsZero() && s.amount < cn.MinAmount.MinorUnits() || s.qty < cn.MinQuantity.Micros() {
			return lines, notConditions
		}
	}
	return lines, qualified
}

// lineSums are the amount (minor units of the lines' totals before discounts) and the
// quantity (micros) of some lines. A sum out of range, as Money.Add and Quantity.Add
// decide (a signed overflow, or the minimum int64), sets out's sign bit, and the sums
// after it do not matter.
type lineSums struct{ amount, qty, out int64 }

// sumLines returns the sums of the lines of ol (whose totals are base) listed in lines.
func sumLines(base []loyalty.Money, ol []loyalty.Line, lines []int) lineSums {
	// While the sums are not negative, adding a term overflows exactly when it makes a
	// sum negative (a negative term cannot overflow a non-negative sum), and the minimum
	// int64 is negative: sums that are never negative are in range. The usual lines add
	// no negative amount nor quantity, so one loop sums and ORs the sums to find out; a
	// negative sum takes the exact loop.
	var amount, qty, neg int64
	for _, i := range lines {
		a, q := base[i].MinorUnits(), ol[i].Quantity.Micros()
		amount, qty = amount+a, qty+q
		neg |= amount | qty
	}
	if neg >= 0 {
		return lineSums{amount, qty, 0}
	}
	var out int64
	amount, qty = 0, 0
	for _, i := range lines {
		a, q := base[i].MinorUnits(), ol[i].Quantity.Micros()
		sa, sq := amount+a, qty+q
		out |= (amount^sa)&(a^sa) | (qty^sq)&(q^sq)
		if sa == math.MinInt64 || sq == math.MinInt64 {
			out = -1
		}
		amount, qty = sa, sq
	}
	return lineSums{amount, qty, out}
}

// allLines is what the campaigns selecting every line share in an evaluation: the list
// of every line (a campaign's own, which is never changed) to copy, nil until a campaign
// made it, and the lines' sums once summed.
type allLines struct {
	list   []int
	sums   lineSums
	summed bool
}

// inAudience reports whether the order's account is in the audience a.
func (ev *evaluation) inAudience(a *Audience) bool {
	switch {
	case a.Account != "" && a.Account != ev.order.Account,
		len(a.Tiers) > 0 && (ev.q.Tier == nil || !slices.Contains(a.Tiers, ev.levelName)),
		a.Newcomers && ev.acct.Orders > 0,
		a.MinTenureMonths > 0 && (ev.acct.Since.IsZero() || loyalty.AddMonths(ev.acct.Since, a.MinTenureMonths).After(ev.order.PlacedAt)):
		return false
	}
	if len(a.Segments) > 0 {
		for _, s := range ev.opt.Segments {
			if slices.Contains(a.Segments, s) {
				return true
			}
		}
		return false
	}
	return true
}

// conditionsText is the message of a campaign refused for its conditions.
func conditionsText(cn Conditions) string {
	s := "the order does not meet the campaign's conditions"
	if !cn.MinAmount.IsZero() {
		s += " (at least " + cn.MinAmount.String() + " of eligible goods"
		if !cn.MinQuantity.IsZero() {
			s += ", " + cn.MinQuantity.String() + " units"
		}
		s += ")"
	} else if !cn.MinQuantity.IsZero() {
		s += " (at least " + cn.MinQuantity.String() + " units of eligible goods)"
	}
	return s
}

// eligible returns the indexes of the order's lines the campaign's conditions select, like
// Conditions.eligible, in the evaluation's memory (nil when none). all.list is copied, or
// made, for a campaign that selects every line.
func (ev *evaluation) eligible(c *compiled, all *allLines) []int {
	lines := ev.order.Lines
	out := ev.buf.out.idx.take(len(lines))
	if !c.selective { // every line
		if all.list != nil {
			copy(out, all.list)
			return out
		}
		for i := range out {
			out[i] = i
		}
		all.list = out
		return out
	}
	n := 0
	if c.oneCat { // the usual selective campaign: a string compared per line
		cat := c.Conditions.Categories[0]
		for i := range lines {
			if lines[i].Category == cat {
				out[n] = i
				n++
			}
		}
	} else {
		for i := range lines {
			if c.selects(&lines[i]) {
				out[n] = i
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	return out[:n:n]
}

// usesLeft returns "" when the budgeted campaign's uses allow one more order of the
// account, or the message of the limit reached.
func (ev *evaluation) usesLeft(c *compiled, mt *campMeta) string {
	b := &c.Budget
	r := &ev.budgets[c.budget]
	switch {
	case b.Uses > 0 && r.uses+1 > b.Uses:
		return mt.uses
	case b.PerAccount > 0 && r.acctUses+1 > b.PerAccount:
		return mt.perAccount
	case b.Money.IsPositive() && !r.spent.IsZero():
		if c, err := r.spent.Cmp(b.Money); err != nil || c >= 0 {
			return mt.money
		}
	}
	return ""
}

// applyCampaigns puts the applied campaigns' internal codes, bonus points and multipliers
// on top of what the earlier steps left.
func (ev *evaluation) applyCampaigns() error {
	ev.calcCodes = ev.calcCodes[:ev.baseCodes]
	if ev.baseBonus != nil { // a campaign added bonus points: back to those before them
		copy(ev.bonus, ev.baseBonus)
	}
	n, only := 0, -1 // the applied multiplier campaigns: how many, and the index of one
	outs := ev.q.Campaigns[:len(ev.camps)]
	for i := range ev.camps {
		r, out := &ev.camps[i], &outs[i]
		r.bonus = nil
		if !out.Applied {
			continue
		}
		if r.c.discount {
			ev.calcCodes = append(ev.calcCodes, r.meta.token)
		}
		if r.c.points > 0 {
			if ev.baseBonus == nil { // the bonus points before the campaigns, kept once
				ev.baseBonus = ev.tmp.pts.take(len(ev.bonus))
				copy(ev.baseBonus, ev.bonus)
			}
			// Split by the eligible lines' values (their parts sum to the points).
			r.bonus = ev.tmp.pts.take(len(ev.order.Lines))
			weights := ev.tmp.ints.take(len(out.Lines))
			for j, l := range out.Lines {
				weights[j] = ev.base[l].MinorUnits()
			}
			parts := ev.tmp.pts.take(len(out.Lines))
			if err := allocatePointsInto(parts, r.c.points, weights); err != nil {
				return fmt.Errorf("campaign: evaluate: %w", err)
			}
			for j, l := range out.Lines {
				r.bonus[l] = parts[j]
				ev.bonus[l] += parts[j]
			}
		}
		if r.c.weight > 0 {
			n, only = n+1, r.c.pos
		}
	}
	ev.multiplier, ev.campMult = ev.baseMult, false
	if n == 0 {
		return nil
	}
	if n == 1 {
		// One multiplier: the engine computed the result when it started.
		if m := ev.e.campMult[ev.level][only]; !m.IsZero() {
			ev.multiplier, ev.campMult = m, true
		}
		return nil
	}
	extra := decimal.Zero
	for i := range ev.camps {
		if r := &ev.camps[i]; outs[i].Applied && r.c.weight > 0 {
			extra = extra.Add(r.c.extra)
		}
	}
	ev.campMult = extra.IsPositive()
	if ev.campMult {
		ev.multiplier = ev.baseMult.Mul(extra.Add(one))
	}
	return nil
}

// campaignCosts prices every applied campaign; those whose cost exceeds what is left of
// their money budget are dropped, and the discounts and points are computed again without
// them, until every applied campaign fits.
func (ev *evaluation) campaignCosts() error {
	if len(ev.camps) == 0 {
		return nil
	}
	for {
		dropped, err := ev.costs()
		if err != nil {
			return fmt.Errorf("campaign: evaluate: campaigns: %w", err)
		}
		if !dropped {
			return nil
		}
		if err := ev.applyCampaigns(); err != nil {
			return err
		}
		ev.q.Earnings = nil
		if err := ev.discounts(); err != nil {
			return err
		}
		if err := ev.earn(); err != nil {
			return err
		}
	}
}

// costs prices the applied campaigns (see campaignCosts) and reports whether it dropped one
// over its money budget.
func (ev *evaluation) costs() (bool, error) {
	multPts, only, single, singleSum, err := ev.multiplierPoints()
	if err != nil {
		return false, err
	}
	dropped := false
	outs := ev.q.Campaigns[:len(ev.camps)]
	for i := range ev.camps {
		r, out := &ev.camps[i], &outs[i]
		if !out.Applied {
			continue
		}
		out.Discount = loyalty.Money{}
		var en *discount.Entry
		if r.c.discount {
			if en = ev.entry(r.meta.discount); en != nil && en.Applied {
				out.Discount = en.Amount
			} else {
				en = nil
			}
		}
		var mp []points.Points     // the campaign's multiplier points per line
		mpSum := points.Points(-1) // their sum, when known
		switch {
		case i == only:
			mp, mpSum = single, singleSum
		case multPts != nil:
			mp = multPts[i]
		}
		if r.c.budget < 0 {
			if err := ev.unbudgetedCost(out, r, en, mp, mpSum); err != nil {
				return false, err
			}
			continue
		}
		drop, err := ev.budgetedCost(out, r, en, mp, mpSum)
		if err != nil {
			return false, err
		}
		dropped = dropped || drop
	}
	return dropped, nil
}

// multiplierPoints returns the points the applied multipliers add to each line: the
// lines' extra points over the plan without the campaigns' multipliers, shared among the
// multipliers by their extras. With one multiplier (the usual case) they are single, the
// points of campaign run only, which sum to singleSum; with more, multPts lists them per
// campaign run (nil for a run without an applied multiplier). Without any, all are nil and
// only is -1. The points are never negative.
func (ev *evaluation) multiplierPoints() (multPts [][]points.Points, only int, single []points.Points, singleSum points.Points, err error) {
	n := len(ev.order.Lines)
	nm := 0 // the applied multiplier campaigns: how many, and one of them (only)
	only = -1
	outs := ev.q.Campaigns[:len(ev.camps)]
	for i := range ev.camps {
		if ev.camps[i].c.weight > 0 && outs[i].Applied {
			nm, only = nm+1, i
		}
	}
	if nm == 0 {
		return nil, -1, nil, 0, nil
	}
	plain := ev.plain
	if !ev.plainSet {
		if plain, err = ev.e.earnPlan.PlanTotalsInto(reuse(&ev.plainBuf, n), ev.paid, ev.paidChecked, ev.baseMult); err != nil {
			return nil, -1, nil, 0, err
		}
	}
	if nm == 1 { // one campaign's weight takes all: no split to compute
		extra := ev.tmp.pts.take(n)
		base, pl := ev.basePts[:n], plain.Lines[:n]
		var sum points.Points
		for l := range extra {
			if x := base[l] - pl[l].Points; x > 0 {
				extra[l] = x
				sum += x
			}
		}
		return nil, only, extra, sum, nil
	}
	if cap(ev.multPts) < len(ev.camps) {
		ev.multPts = make([][]points.Points, len(ev.camps))
	}
	multPts = ev.multPts[:len(ev.camps)]
	clear(multPts)
	mults := ev.tmp.idx.take(nm)[:0] // indexes into ev.camps
	multWeights := ev.tmp.ints.take(nm)[:0]
	for i := range ev.camps {
		if r := &ev.camps[i]; r.c.weight > 0 && outs[i].Applied {
			mults = append(mults, i)
			multWeights = append(multWeights, r.c.weight)
			multPts[i] = ev.tmp.pts.take(n)
		}
	}
	parts := ev.tmp.pts.take(nm)
	weights := ev.tmp.ints.take(nm)
	for l := 0; l < n; l++ {
		extra := ev.basePts[l] - plain.Lines[l].Points
		if extra <= 0 {
			continue
		}
		copy(weights, multWeights)
		if err := allocatePointsInto(parts, extra, weights); err != nil {
			return nil, -1, nil, 0, err
		}
		for j, i := range mults {
			multPts[i][l] = parts[j]
		}
	}
	return multPts, -1, nil, 0, nil
}

// unbudgetedCost sets the cost of an applied campaign without a budget: only the total is
// kept, the sum of what the lines' shares would sum to (the discount's amount, the points'
// value, the perks' value).
func (ev *evaluation) unbudgetedCost(out *CampaignOutcome, r *campRun, en *discount.Entry, mp []points.Points, mpSum points.Points) error {
	var total int64
	if en != nil {
		total = en.Amount.MinorUnits()
	}
	var pts int64
	if r.bonus != nil {
		pts = int64(r.c.points) // the sum of its split
	}
	ok := true
	if mpSum >= 0 {
		pts, ok = addInt64(pts, int64(mpSum))
	} else {
		for _, p := range mp {
			if pts, ok = addInt64(pts, int64(p)); !ok {
				break
			}
		}
	}
	if !ok {
		return costOverflow(r)
	}
	out.Points = points.Points(pts)
	if red := &ev.e.redemption; pts > 0 && red.PointValue.IsPositive() {
		v, err := red.Value(points.Points(pts))
		if err != nil {
			return err
		}
		total, ok = addInt64(total, v.MinorUnits())
	}
	if ok {
		total, ok = addInt64(total, r.c.perkValue.MinorUnits())
	}
	if !ok {
		return costOverflow(r)
	}
	cost, err := loyalty.MoneyFromMinor(total, ev.order.Currency)
	if err != nil {
		return err
	}
	out.Cost = cost
	out.Budgeted, out.LineCosts = false, nil
	return nil
}

// addInt64 returns a + b, and whether the sum is in range (false: it overflowed).
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

// costOverflow is the error of a campaign's cost beyond the range of amounts (or of its
// points beyond the range of points).
func costOverflow(r *campRun) error {
	return fmt.Errorf("campaign: evaluate: the cost of campaign %s: %w", r.c.ID, loyalty.ErrOverflow)
}

// budgetedCost sets the cost of an applied campaign with a budget and its split over the
// lines (LineCosts: the discount's line amounts, the points' value in proportion to the
// lines' points, the perks' value in proportion to the eligible lines' value); it drops
// the campaign, and reports it, when the cost exceeds what is left of its money budget.
// The cost is the sum of its parts' totals (each split sums exactly to its total), known
// before the lines' costs are written.
func (ev *evaluation) budgetedCost(out *CampaignOutcome, r *campRun, en *discount.Entry, mp []points.Points, mpSum points.Points) (bool, error) {
	n := len(ev.order.Lines)
	cur := ev.order.Currency
	var total int64
	var disc []loyalty.Money // the discount's line amounts
	if en != nil {
		disc = en.Lines[:min(n, len(en.Lines))]
		if len(disc) == len(en.Lines) {
			total = en.Amount.MinorUnits() // the sum of its lines
		} else {
			for _, m := range disc {
				total += m.MinorUnits()
			}
		}
	}
	w, pts, negative, ok := ev.linePoints(r.bonus, r.c.points, mp, mpSum) // the points per line, nil for none
	if !ok {
		return false, costOverflow(r)
	}
	out.Points = pts
	var k int64      // a point's value in whole minor units, when every line's share is k × its points
	var rest []int64 // the shares split by largest remainder, nil for none
	if red := &ev.e.redemption; pts > 0 && red.PointValue.IsPositive() {
		v, err := red.Value(pts)
		if err != nil {
			return false, err
		}
		if total, ok = addInt64(total, v.MinorUnits()); !ok {
			return false, costOverflow(r)
		}
		if k = v.MinorUnits() / int64(pts); k*int64(pts) != v.MinorUnits() || negative {
			// The split by largest remainder (k × points is what it gives when exact).
			k = 0
			rest = ev.tmp.ints.take(n)
			weights := ev.tmp.ints.take(n)
			for l, p := range w {
				weights[l] = int64(p)
			}
			if err := ev.addSplit(rest, v, weights); err != nil {
				return false, err
			}
		}
	}
	if pv := r.c.perkValue; !pv.IsZero() {
		weights := ev.tmp.ints.take(n)
		for _, l := range out.Lines {
			weights[l] = ev.base[l].MinorUnits() + 1 // +1: a free line still carries a share
		}
		if rest == nil {
			rest = ev.tmp.ints.take(n)
		}
		if err := ev.addSplit(rest, pv, weights); err != nil {
			return false, err
		}
		if total, ok = addInt64(total, pv.MinorUnits()); !ok {
			return false, costOverflow(r)
		}
	}
	cost, err := loyalty.MoneyFromMinor(total, cur)
	if err != nil {
		return false, err
	}
	out.Cost = cost
	out.Budgeted, out.LineCosts = false, nil
	if b := r.c.Budget.Money; b.IsPositive() {
		spent := ev.budgets[r.c.budget].spent
		left := b
		if !spent.IsZero() {
			if left, err = b.Sub(spent); err != nil {
				return false, err
			}
		}
		if c, err := cost.Cmp(left); err != nil || c > 0 {
			*out = CampaignOutcome{ID: out.ID, Name: out.Name, Draw: out.Draw, Lines: out.Lines, Reason: "budget",
				Message: fmt.Sprintf("the order would cost the campaign %s and its budget has %s left", cost, left)}
			return true, nil
		}
	}
	// Each line's cost: its amount in disc (none past its end), k × its points in w when k
	// is not zero, and its share in rest when rest is not nil. The usual campaigns have one
	// part only: a loop each.
	lc := ev.buf.out.amount.take(n)
	switch {
	case k == 0 && rest == nil:
		// The discount's amounts as they are, but those in another currency than cur (a
		// zero without one).
		nd := copy(lc, disc)
		other := false
		for l := range lc[:nd] {
			if lc[l].Currency() != cur {
				other = true
				break
			}
		}
		if other {
			for l := range lc[:nd] {
				if m := lc[l]; m.Currency() != cur {
					if lc[l], err = loyalty.MoneyFromMinor(m.MinorUnits(), cur); err != nil {
						return false, err
					}
				}
			}
		}
		for l := nd; l < len(lc); l++ {
			lc[l] = loyalty.Zero(cur)
		}
	case disc == nil && rest == nil:
		for l, p := range w[:len(lc)] {
			if lc[l], err = loyalty.MoneyFromMinor(k*int64(p), cur); err != nil {
				return false, err
			}
		}
	default:
		for l := range lc {
			var c int64
			if l < len(disc) {
				c = disc[l].MinorUnits()
			}
			if k != 0 {
				c += k * int64(w[l])
			}
			if rest != nil {
				c += rest[l]
			}
			if lc[l], err = loyalty.MoneyFromMinor(c, cur); err != nil {
				return false, err
			}
		}
	}
	out.Budgeted, out.LineCosts = true, lc
	return false, nil
}

// linePoints returns a campaign's points per line, its bonus plus its multiplier's (nil
// when it has neither; one of them itself when the other is nil), their sum, and whether a
// line has negative points. The bonus is the split of bonusSum points; multSum is the sum
// of mult when known, else negative. Neither has negative points.
func (ev *evaluation) linePoints(bonus []points.Points, bonusSum points.Points, mult []points.Points, multSum points.Points) (w []points.Points, sum points.Points, negative, ok bool) {
	switch {
	case bonus == nil && mult == nil:
		return nil, 0, false, true
	case bonus == nil:
		if multSum >= 0 {
			return mult, multSum, false, true
		}
		w = mult
	case mult == nil:
		return bonus, bonusSum, false, true
	default:
		w = ev.tmp.pts.take(len(ev.order.Lines))
		for l := range w {
			p, fits := addInt64(int64(bonus[l]), int64(mult[l]))
			if !fits {
				return nil, 0, false, false
			}
			w[l] = points.Points(p)
		}
	}
	var s, neg int64 // neg's sign bit is set by a negative line
	ok = true
	for _, p := range w {
		if s, ok = addInt64(s, int64(p)); !ok {
			return nil, 0, false, false
		}
		neg |= int64(p)
	}
	return w, points.Points(s), neg < 0, true
}

// addSplit adds to dst the split of m in proportion to weights (Money.AllocateInto).
func (ev *evaluation) addSplit(dst []int64, m loyalty.Money, weights []int64) error {
	parts := ev.tmp.amount.take(len(dst))
	if err := m.AllocateInto(parts, weights); err != nil {
		return err
	}
	for l, p := range parts {
		dst[l] += p.MinorUnits()
	}
	return nil
}

// entry returns the quote's discount entry of the candidate id, or nil.
func (ev *evaluation) entry(id string) *discount.Entry {
	for i := range ev.q.Discount.Entries {
		if en := &ev.q.Discount.Entries[i]; en.Discount == id {
			return en
		}
	}
	return nil
}
