package discount

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/shopspring/decimal"
)

// Calculator prices orders under one validated [Policy]. It is immutable after [New] and
// safe for concurrent use.
type Calculator struct {
	cur       loyalty.Currency
	stacking  Stacking
	rounding  loyalty.RoundingMode
	program   []compiled // every discount, in evaluation order
	personal  map[loyalty.AccountID][]compiled
	units     []unit // the top-level units, in evaluation order
	capAmount loyalty.Money
	capRate   rate // fraction of the subtotal; zero = none
	floorOn   bool
	floorRate rate            // floor = cost × floorRate, rounded up
	floorCost bool            // floorRate is 1: the floor is the cost itself
	floorDen  decimal.Decimal // or, when non-zero, floor = cost ÷ floorDen, rounded up
	codes     []string        // every canonical code a discount requires
	tails     *[256]uint64    // by last byte, the codes ending in it (bit i: codes[i]), for up to 64 codes
	minCode   int             // the length of the shortest code
	codeIndex map[string]int  // the index in codes of every code (New's; kept when there are more than 64)
	runs      sync.Pool       // *run: the scratch memory of finished evaluations, reused
}

// compiled is a discount prepared for the hot path: rates as fractions, its code as an
// index, its entry as an evaluation starts it.
type compiled struct {
	d         *Discount
	rate      rate            // Percent: the fraction
	pct       decimal.Decimal // Percent: the percent
	tiers     []ctier
	override  bool // a personal Override: rate/pct replace every tier
	personal  bool
	scope     scopeKind
	checks    bool  // cond has accounts, a window or a minimum subtotal to check
	fixed     bool  // the rate is rate whatever the order: Percent, or a personal Override
	maxAmount int64 // the discount's MaxAmount in minor units, 0 for none
	cond      *Condition
	code      int           // 1 + the index in Calculator.codes of the code required, 0 for none
	entry     Entry         // its entry before evaluation (without Lines and Notes)
	unitPrice loyalty.Price // AmountPerUnit: Amount as a price per unit
	conflicts []int
}

// scopeKind is how a discount's scope is matched: the common scopes without a call per line.
type scopeKind uint8

const (
	scopeGeneral    scopeKind = iota // [Scope.match]
	scopeAll                         // every line, without exclusions: no line needs matching
	scopeNoPromo                     // every line not on promotion: the flag is the match
	scopeCategories                  // lines of the categories, without exclusions
)

type ctier struct {
	rate, decRate rate // the rate, and the rate while decayed
	pct, decPct   decimal.Decimal
}

// rate is a fraction prepared once for the hot path: the decimal, and its coefficient and
// exponent for [loyalty.MulRound] when it has at most 18 significant digits. [rate.mul]
// gives exactly what [loyalty.Money.MulRate] gives with the decimal, which is the same
// routine, without measuring the decimal's digits on every call.
type rate struct {
	dec  decimal.Decimal
	coef int64
	exp  int
	fast bool
}

func newRate(d decimal.Decimal) rate {
	r := rate{dec: d}
	if d.NumDigits() <= 18 {
		r.coef, r.exp, r.fast = d.CoefficientInt64(), int(d.Exponent()), true
	}
	return r
}

// mul returns m × r rounded once with mode, as m.MulRate(r.dec, mode) does (errors too).
func (r *rate) mul(m loyalty.Money, mode loyalty.RoundingMode) (loyalty.Money, error) {
	if r.fast {
		if v, err := loyalty.MulRound(m.MinorUnits(), r.coef, r.exp, mode); err == nil {
			return loyalty.MoneyFromMinor(v, m.Currency())
		}
	}
	return m.MulRate(r.dec, mode) // big rates, and the error of an overflow
}

// mulUnits is [rate.mul] of v minor units of cur, in minor units.
func (r *rate) mulUnits(v int64, cur loyalty.Currency, mode loyalty.RoundingMode) (int64, error) {
	if r.fast {
		if p, err := loyalty.MulRound(v, r.coef, r.exp, mode); err == nil && p != math.MinInt64 {
			return p, nil
		}
	}
	m, err := loyalty.MoneyFromMinor(v, cur)
	if err == nil {
		m, err = m.MulRate(r.dec, mode) // big rates, and the error of an overflow
	}
	return m.MinorUnits(), err
}

// unit is one discount or one group in a combination.
type unit struct {
	id        string
	disc      int // index into the compiled list; -1 for a group
	members   []unit
	stacking  Stacking
	stopAfter bool
}

// New validates p and compiles it into a Calculator. The Calculator keeps its own copy of
// the policy: changing p afterwards has no effect on it.
func New(p Policy) (*Calculator, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	c := &Calculator{cur: p.Currency, stacking: p.Stacking, rounding: p.Rounding}
	// Own copies of every discount, sorted into evaluation order.
	groupOf := map[string]Group{}
	for _, g := range p.Groups {
		groupOf[g.ID] = g
	}
	ds := slices.Clone(p.Discounts)
	for i := range ds {
		ds[i].Tiers = slices.Clone(ds[i].Tiers)
		ds[i].NotWith = slices.Clone(ds[i].NotWith)
		ds[i].Scope = cloneScope(ds[i].Scope)
		ds[i].Condition.Accounts = slices.Clone(ds[i].Condition.Accounts)
	}
	// Top-level units: groups (by their priority) and ungrouped discounts.
	type key struct {
		prio int
		id   string
	}
	unitKey := func(d Discount) key {
		if d.Group != "" {
			return key{groupOf[d.Group].Priority, d.Group}
		}
		return key{d.Priority, d.ID}
	}
	slices.SortFunc(ds, func(a, b Discount) int {
		ka, kb := unitKey(a), unitKey(b)
		if c := cmp.Compare(ka.prio, kb.prio); c != 0 {
			return c
		}
		if c := cmp.Compare(ka.id, kb.id); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	index := make(map[string]int, len(ds))
	for i := range ds {
		index[ds[i].ID] = i
	}
	c.program = make([]compiled, len(ds))
	for i := range ds {
		cd, err := compile(&ds[i], index)
		if err != nil {
			return nil, err
		}
		cd.code = c.codeOf(ds[i].Condition.Code)
		c.program[i] = cd
	}
	// Conflicts are symmetric.
	for i := range c.program {
		for _, j := range c.program[i].conflicts {
			if !slices.Contains(c.program[j].conflicts, i) {
				c.program[j].conflicts = append(c.program[j].conflicts, i)
			}
		}
	}
	for i := 0; i < len(ds); {
		d := ds[i]
		if d.Group == "" {
			c.units = append(c.units, unit{id: d.ID, disc: i, stopAfter: d.StopAfter})
			i++
			continue
		}
		g := groupOf[d.Group]
		u := unit{id: g.ID, disc: -1, stacking: g.Stacking, stopAfter: g.StopAfter}
		for ; i < len(ds) && ds[i].Group == g.ID; i++ {
			u.members = append(u.members, unit{id: ds[i].ID, disc: i, stopAfter: ds[i].StopAfter})
		}
		c.units = append(c.units, u)
	}
	// Personal terms: a full compiled list per account.
	for _, t := range p.Terms {
		if c.personal == nil {
			c.personal = map[loyalty.AccountID][]compiled{}
		}
		list, ok := c.personal[t.Account]
		if !ok {
			list = slices.Clone(c.program)
			c.personal[t.Account] = list
		}
		i := index[t.Discount]
		cd := &list[i]
		cd.personal = true
		if t.Condition != nil {
			cond := *t.Condition
			cd.cond = &cond
			cd.code = c.codeOf(cond.Code)
		}
		switch t.Mode {
		case Override:
			cd.override = true
			cd.pct = t.Percent
			cd.rate = newRate(t.Percent.Shift(-2))
		case Add:
			if cd.d.Kind == Percent {
				cd.pct = cd.pct.Add(t.Percent)
				cd.rate = newRate(cd.pct.Shift(-2))
			} else {
				tiers := make([]ctier, len(cd.tiers))
				for k, tr := range cd.d.Tiers {
					tiers[k] = makeTier(tr.Percent.Add(t.Percent), cd.d.Decay)
				}
				cd.tiers = tiers
			}
		}
	}
	c.indexCodes()
	// The entries as an evaluation starts them.
	for i := range c.program {
		c.program[i].setEntry(c.cur)
	}
	for _, list := range c.personal {
		for i := range list {
			list[i].setEntry(c.cur)
		}
	}
	if !p.Cap.MaxAmount.IsZero() {
		c.capAmount = p.Cap.MaxAmount
	}
	c.capRate = newRate(p.Cap.MaxPercent.Shift(-2))
	if !p.Floor.Disabled {
		c.floorOn = true
		switch {
		case !p.Floor.MinMargin.IsZero():
			c.floorDen = hundred.Sub(p.Floor.MinMargin).Shift(-2)
		default:
			c.floorRate = newRate(decimal.NewFromInt(1).Add(p.Floor.MinMarkup.Shift(-2)))
			c.floorCost = c.floorRate.dec.Equal(decimal.NewFromInt(1))
		}
	}
	return c, nil
}

// setEntry sets cd.entry, the entry of the discount as an evaluation starts it: nothing
// given, no tier, the discount's percent, and ReasonPersonal for a personal term; and
// cd.checks, whether its condition has more than a code to check, and cd.fixed.
func (cd *compiled) setEntry(cur loyalty.Currency) {
	d := cd.d
	c := cd.cond
	cd.checks = len(c.Accounts) > 0 || !c.From.IsZero() || !c.Until.IsZero() || !c.MinSubtotal.IsZero()
	cd.fixed = d.Kind == Percent || cd.override && (d.Kind == Volume || d.Kind == Cumulative)
	cd.entry = Entry{Discount: d.ID, Name: d.Name, Kind: d.Kind, Group: d.Group,
		Amount: loyalty.Zero(cur), Percent: cd.pct, Tier: -1}
	if cd.personal {
		cd.entry.Reasons = ReasonPersonal
	}
}

func makeTier(pct decimal.Decimal, dec Decay) ctier {
	t := ctier{rate: newRate(pct.Shift(-2)), pct: pct}
	if dec.AfterDays > 0 {
		t.decPct = pct.Mul(dec.Keep).Shift(-2) // combine the rates before multiplying money
		t.decRate = newRate(t.decPct.Shift(-2))
	}
	return t
}

func compile(d *Discount, index map[string]int) (compiled, error) {
	cd := compiled{d: d, cond: &d.Condition, maxAmount: d.MaxAmount.MinorUnits()}
	sc := &d.Scope
	noExcl := len(sc.ExcludeCategories) == 0 && len(sc.ExcludeSKUs) == 0 && len(sc.ExcludeTags) == 0
	switch {
	case sc.All && noExcl && !sc.ExcludePromotional:
		cd.scope = scopeAll
	case sc.All && noExcl:
		cd.scope = scopeNoPromo
	case !sc.All && noExcl && !sc.ExcludePromotional && len(sc.SKUs) == 0 && len(sc.Tags) == 0:
		cd.scope = scopeCategories
	}
	switch d.Kind {
	case Percent:
		cd.pct = d.Percent
		cd.rate = newRate(d.Percent.Shift(-2))
	case Volume, Cumulative:
		cd.tiers = make([]ctier, len(d.Tiers))
		for i, t := range d.Tiers {
			cd.tiers[i] = makeTier(t.Percent, d.Decay)
		}
	case AmountPerUnit:
		p, err := loyalty.PriceOf(d.Amount)
		if err != nil {
			return compiled{}, fmt.Errorf("discount: %s: %w", d.ID, err)
		}
		cd.unitPrice = p
	}
	for _, o := range d.NotWith {
		cd.conflicts = append(cd.conflicts, index[o])
	}
	return cd, nil
}

// codeOf returns 1 + the index in c.codes of the canonical form of the required code s
// (added when new), or 0 when s is empty. The policy's codes are valid.
func (c *Calculator) codeOf(s string) int {
	if s == "" {
		return 0
	}
	cc, _ := loyalty.NormalizeCode(s)
	i, ok := c.codeIndex[cc]
	if !ok {
		if c.codeIndex == nil {
			c.codeIndex = map[string]int{}
		}
		i = len(c.codes)
		c.codes = append(c.codes, cc)
		c.codeIndex[cc] = i
	}
	return i + 1
}

// indexCodes prepares the lookup of c.codes: a table of their last bytes for up to 64
// codes (codes often share a prefix, and an order carries few: a map lookup costs more
// than comparing the few codes ending in the same byte), a map for more.
func (c *Calculator) indexCodes() {
	if len(c.codes) > 64 {
		return // codeOf filled codeIndex
	}
	c.codeIndex = nil
	if len(c.codes) > 0 {
		c.tails = new([256]uint64)
		for i, s := range c.codes {
			c.tails[s[len(s)-1]] |= 1 << i // codes are not empty
		}
	}
	c.minCode = math.MaxInt
	for _, s := range c.codes {
		c.minCode = min(c.minCode, len(s))
	}
}

// code returns the index in c.codes of the canonical code s, and whether it is one.
func (c *Calculator) code(s string) (int, bool) {
	if c.tails == nil {
		i, ok := c.codeIndex[s]
		return i, ok
	}
	if s == "" {
		return 0, false
	}
	for m := c.tails[s[len(s)-1]]; m != 0; m &= m - 1 {
		if i := bits.TrailingZeros64(m); c.codes[i] == s {
			return i, true
		}
	}
	return 0, false
}

func cloneScope(s Scope) Scope {
	s.Categories = slices.Clone(s.Categories)
	s.SKUs = slices.Clone(s.SKUs)
	s.Tags = slices.Clone(s.Tags)
	s.ExcludeCategories = slices.Clone(s.ExcludeCategories)
	s.ExcludeSKUs = slices.Clone(s.ExcludeSKUs)
	s.ExcludeTags = slices.Clone(s.ExcludeTags)
	return s
}

// Candidates returns the number of candidate discounts of c's policy: the length of the
// Entries of every Result c gives, whatever the order.
func (c *Calculator) Candidates() int { return len(c.program) }

// Evaluate is [New] followed by [Calculator.Apply], for one-off use.
func Evaluate(p Policy, o loyalty.Order, h History) (Result, error) {
	c, err := New(p)
	if err != nil {
		return Result{}, err
	}
	return c.Apply(o, h)
}

// Apply prices order o: it evaluates every candidate discount under the policy's stacking,
// enforces scopes, caps and the margin floor, allocates every order-level discount across
// its lines exactly, and records why each discount did or did not apply. h supplies the
// account's past purchases for cumulative discounts (the zero History when there are none).
// The order is evaluated at o.PlacedAt. Apply never modifies o or h.
//
// Errors: an invalid order or history ([loyalty.ErrInvalid]), an order in another currency
// ([loyalty.ErrCurrencyMismatch]) or an amount out of range ([loyalty.ErrOverflow]).
func (c *Calculator) Apply(o loyalty.Order, h History) (Result, error) {
	var res Result
	if err := c.apply(&res, o, h, false, nil); err != nil {
		return Result{}, err
	}
	return res, nil
}

// ApplyInto is [Calculator.Apply] writing the result into *res and reusing the memory of
// the result res held before: its Lines (when their capacity holds the order's lines), its
// Entries (when their capacity holds [Calculator.Candidates] entries), and, for every one of
// those entries, its Lines (capacity for the order's lines) and Notes, in the backing array
// of res.Entries beyond its length too. Whatever is too small is allocated anew. Pricing
// order after order into the same Result allocates nothing once it has grown, which suits
// callers that read a result and then discard it; [Result.UseMemory] hands it memory of the
// caller's own. Whatever res held before is overwritten, including the slices it shared
// with earlier results (keep a copy of anything needed later, or use Apply); the
// Calculator keeps no reference to res's memory. On error *res holds no result (empty
// Lines and Entries) and the error is the one Apply returns. Like Apply, it is safe for
// concurrent use, as long as every goroutine writes into a Result of its own.
func (c *Calculator) ApplyInto(res *Result, o loyalty.Order, h History) error {
	return c.applyInto(res, o, h, false, nil)
}

// ApplyChecked is [Calculator.ApplyInto] for an order the caller has already validated
// ([loyalty.Order.Validate] returned nil): it does not validate o again. totals, when not
// nil, are o's line totals ([loyalty.Line.Total] of every line, in order, as
// [loyalty.Order.LineTotals] and [loyalty.Order.ValidateInto] give them), which it then
// does not compute again. It suits an orchestrator that validates an order once and prices
// it in several steps. The result is ApplyInto's for such an order; for an order that is
// not valid, or totals that are not its line totals, it is undefined (but never a panic).
// totals of another length than o.Lines is an [loyalty.ErrInvalid] error; the other errors
// are Apply's.
func (c *Calculator) ApplyChecked(res *Result, o loyalty.Order, h History, totals []loyalty.Money) error {
	if totals != nil && len(totals) != len(o.Lines) {
		*res = Result{Lines: res.Lines[:0], Entries: res.Entries[:0]}
		return fmt.Errorf("discount: %w", loyalty.Invalid("totals", len(totals),
			fmt.Sprintf("must hold one total per order line (%d)", len(o.Lines))))
	}
	if err := c.apply(res, o, h, true, totals); err != nil { // applyInto, without its call
		*res = Result{Lines: res.Lines[:0], Entries: res.Entries[:0]}
		return err
	}
	return nil
}

// applyInto is apply leaving res empty on error.
func (c *Calculator) applyInto(res *Result, o loyalty.Order, h History, checked bool, totals []loyalty.Money) error {
	if err := c.apply(res, o, h, checked, totals); err != nil {
		*res = Result{Lines: res.Lines[:0], Entries: res.Entries[:0]}
		return err
	}
	return nil
}

// apply is Apply writing into res, reusing its memory. checked skips the validation of o,
// and totals (when not nil) are its line totals.
func (c *Calculator) apply(res *Result, o loyalty.Order, h History, checked bool, totals []loyalty.Money) error {
	n := len(o.Lines)
	r := c.newRun(&o, &h, n)
	defer c.putRun(r)
	if !checked {
		// The validation computes every line's total: they are kept.
		r.totals = grow(r.totals, n)
		if err := o.ValidateInto(r.totals, nil); err != nil {
			return fmt.Errorf("discount: invalid order: %w", err)
		}
		totals = r.totals
	}
	if o.Currency != c.cur {
		return fmt.Errorf("discount: %w", &loyalty.CurrencyMismatchError{Op: "price", A: c.cur, B: o.Currency})
	}
	if err := h.Validate(c.cur); err != nil {
		return err
	}
	base0, st := r.base0, &r.states[preStates]
	// The result's lines, in res's memory: their floors now, the rest at the end.
	lines := res.Lines
	if cap(lines) >= n {
		lines = lines[:n]
	} else {
		lines = make([]LineResult, n)
	}
	if totals == nil { // ApplyChecked without them
		r.totals = grow(r.totals, n)
		for i := range o.Lines {
			t, err := o.Lines[i].Total()
			if err != nil {
				return fmt.Errorf("discount: lines[%d]: %w", i, err)
			}
			r.totals[i] = t
		}
		totals = r.totals
	}
	cur := c.cur
	// The subtotal in int64: a total in another currency, a negative one or a sum out of
	// range (an invalid order) is left to Money, for its error or its sum.
	sub, ok := sumTotals(base0[:n], totals[:n], cur)
	if !ok {
		m := loyalty.Zero(cur)
		for i, t := range totals[:n] {
			base0[i] = t.MinorUnits()
			var err error
			if m, err = m.Add(t); err != nil {
				return fmt.Errorf("discount: %w", err)
			}
		}
		sub = m.MinorUnits()
	}
	r.sub = r.money(sub)
	qtyOver, floorsNonneg, err := c.floors(o.Lines, r.floor[:n], lines)
	if err != nil {
		return err
	}
	r.qtyOver = qtyOver
	// Every amount of the evaluation is now a part of the subtotal, which fits: the sums
	// below cannot overflow.
	copy(st.rem, base0)
	st.left, st.known = sub, ok && floorsNonneg // then no discount makes a price left negative
	// The policy cap.
	var capTotal loyalty.Money
	if !c.capAmount.IsZero() || !c.capRate.dec.IsZero() {
		r.hasCap = true
		capTotal = c.capAmount
		if !c.capRate.dec.IsZero() {
			byRate, err := c.capRate.mul(r.sub, loyalty.Down)
			if err != nil {
				return fmt.Errorf("discount: cap: %w", err)
			}
			if capTotal.IsZero() || byRate.MinorUnits() < capTotal.MinorUnits() {
				capTotal = byRate
			}
		}
		st.capLeft = capTotal.MinorUnits()
	}
	if len(c.codes) > 0 {
		// The codes the order carries, by index: a code typed in its canonical form is
		// found without normalising it.
		r.codes = grow(r.codes, len(c.codes))
		for _, s := range o.Codes {
			if len(s) < c.minCode {
				continue // its canonical form, one ASCII byte per character kept, is no shorter
			}
			j, ok := c.code(s)
			if !ok {
				cc, err := loyalty.NormalizeCode(s)
				if err != nil || cc == s { // invalid, or canonical and not required
					continue
				}
				j, ok = c.code(cc)
			}
			if ok {
				r.codes[j] = true
			}
		}
	}
	// The entries, in res's memory (new ones get their Lines in one block). Their Lines are
	// the zero Money until their discount's amounts are computed ([run.limit]); their Notes
	// are written at the end, from the run's, and keep their old memory meanwhile. The rest
	// of every entry is set when its discount is evaluated or marked ([run.reset]): every
	// unit is.
	k := len(r.ds)
	if cap(res.Entries) >= k {
		r.entries = res.Entries[:k]
	} else {
		r.entries = make([]Entry, k)
		newLines(r.entries, n)
	}

	// The top level computes on st's prices: they are the original prices until a unit
	// commits a discount, and every combination reads its base as it was when it started
	// (see run.combine).
	r.combine(c.units, c.stacking, st.rem, st)
	if r.err != nil {
		return r.err
	}

	r.entryNotes()
	discount, total := lineResults(lines, base0, st.rem, cur)
	if !ok { // the totals as they were given (an invalid order's)
		for i, t := range totals[:n] {
			lines[i].Base = t
		}
	}
	*res = Result{Order: o.ID, Subtotal: r.sub, Discount: r.money(discount), Total: r.money(total),
		Lines: lines, Entries: r.entries, Cap: capTotal}
	return nil
}

// newLines gives the new entries n line amounts each, in one block.
func newLines(entries []Entry, n int) {
	block := make([]loyalty.Money, len(entries)*n)
	for i := range entries {
		entries[i].Lines, block = block[:n:n], block[n:]
	}
}

// entryNotes writes every entry's Notes from the run's, into the entry's own memory when it
// is large enough, otherwise into one new block for all those that need one.
func (r *run) entryNotes() {
	if len(r.notes) == 0 {
		for i := range r.entries {
			r.entries[i].Notes = nil
		}
		return
	}
	notes := 0
	for i := range r.entries {
		if s := r.spans[i]; cap(r.entries[i].Notes) < s.end-s.start {
			notes += s.end - s.start
		}
	}
	var block []LineNote
	if notes > 0 {
		block = make([]LineNote, notes)
	}
	for i := range r.entries {
		e := &r.entries[i]
		s := r.spans[i]
		switch m := s.end - s.start; {
		case m == 0:
			e.Notes = nil
			continue
		case cap(e.Notes) < m:
			e.Notes, block = block[:m:m], block[m:]
		default:
			e.Notes = e.Notes[:m]
		}
		copy(e.Notes, r.notes[s.start:s.end])
	}
}

// sumTotals writes the minor units of the line totals into base0 (as long) and returns their
// sum, or reports false when a total is not in cur or negative, or the sum is out of range.
// With no negative part, the sum is out of range exactly when it carries beyond 63 bits:
// one check at the end instead of one per line.
func sumTotals(base0 []int64, totals []loyalty.Money, cur loyalty.Currency) (int64, bool) {
	var signs int64
	var sum, carry uint64
	totals = totals[:len(base0)]
	for i, t := range totals {
		v := t.MinorUnits()
		if t.Currency() != cur {
			return 0, false
		}
		base0[i] = v
		signs |= v
		var c uint64
		sum, c = bits.Add64(sum, uint64(v), 0)
		carry |= c
	}
	if signs < 0 || carry != 0 || sum > math.MaxInt64 {
		return 0, false
	}
	return int64(sum), true
}

// floors writes the margin floor of every line of ls into floor (minor units, 0 when none)
// and the result's lines (the zero Money when none), and reports whether the sum of the
// lines' quantities is out of range (see quantitiesOverflow), and whether no floor is
// negative (as none is for a valid order).
func (c *Calculator) floors(ls []loyalty.Line, floor []int64, lines []LineResult) (qtyOver, nonneg bool, err error) {
	var signs, qsigns int64
	var qty, carry uint64 // the unsigned sum of the quantities, and whether it carried
	floor, lines = floor[:len(ls)], lines[:len(ls)]
	for i := range ls {
		l := &ls[i]
		q := l.Quantity.Micros()
		qsigns |= q
		var cy uint64
		qty, cy = bits.Add64(qty, uint64(q), 0)
		carry |= cy
		var f loyalty.Money
		if c.floorOn && l.UnitCost.IsKnown() {
			if c.floorCost { // the floor is the cost (rounded up): floorOf's common case without its call
				f, err = l.UnitCost.Times(l.Quantity, loyalty.Ceiling)
			} else {
				f, err = c.floorOf(l)
			}
			if err != nil {
				return false, false, fmt.Errorf("discount: lines[%d]: floor: %w", i, err)
			}
		}
		floor[i] = f.MinorUnits() // 0 when none: the scratch memory is not cleared
		signs |= floor[i]
		lines[i].Floor = f
	}
	// Quantities none of which is negative (a valid order's) overflow a sum line after line
	// exactly when their whole sum is beyond 63 bits.
	if qsigns >= 0 {
		qtyOver = carry != 0 || qty > math.MaxInt64
	} else {
		qtyOver = quantitiesOverflow(ls)
	}
	return qtyOver, signs >= 0, nil
}

// quantitiesOverflow reports whether the sum of the quantities of ls is out of range, as
// [loyalty.Quantity.Add] says, adding line after line (a line whose quantity would overflow
// the sum is left out of it).
func quantitiesOverflow(ls []loyalty.Line) (over bool) {
	var qty int64
	for i := range ls {
		q := ls[i].Quantity.Micros()
		if s := qty + q; (qty^s)&(q^s) < 0 || s == math.MinInt64 {
			over = true
		} else {
			qty = s
		}
	}
	return over
}

// lineResults writes the line results' Base, Discount and Total from the line totals base0
// and what is left of them, rem (minor units of cur, parts of the subtotal), and returns the
// order's discount and total.
func lineResults(lines []LineResult, base0, rem []int64, cur loyalty.Currency) (discount, total int64) {
	discount, total, from := lineResultsFast(lines, base0, rem, cur)
	for i := from; i < len(lines); i++ { // an invalid order's amounts
		b, left := base0[i], rem[i]
		discount += b - left
		total += left
		lines[i].Base, lines[i].Discount, lines[i].Total = money(b, cur), money(b-left, cur), money(left, cur)
	}
	return discount, total
}

// lineResultsFast is lineResults for as long as the amounts are not negative (always, for
// a valid order), returning the index it stopped at; a leaf loop without MoneyFromMinor's
// checks.
//
//go:noinline
func lineResultsFast(lines []LineResult, base0, rem []int64, cur loyalty.Currency) (discount, total int64, stop int) {
	if cur.IsZero() {
		return 0, 0, 0
	}
	base0, rem = base0[:len(lines)], rem[:len(lines)]
	for i := range lines {
		b, left := base0[i], rem[i]
		if b < 0 || left < 0 || b-left < 0 {
			return discount, total, i
		}
		discount += b - left
		total += left
		l := &lines[i]
		l.Base, _ = loyalty.MoneyFromMinor(b, cur)
		l.Discount, _ = loyalty.MoneyFromMinor(b-left, cur)
		l.Total, _ = loyalty.MoneyFromMinor(left, cur)
	}
	return discount, total, len(lines)
}

// money is MoneyFromMinor(v, cur) without the error.
func money(v int64, cur loyalty.Currency) loyalty.Money {
	m, _ := loyalty.MoneyFromMinor(v, cur)
	return m
}

// floorOf returns the margin floor of line l, rounded up to whole minor units: its cost
// (rounded up) times floorRate, or divided by floorDen.
func (c *Calculator) floorOf(l *loyalty.Line) (loyalty.Money, error) {
	cost, err := l.UnitCost.Times(l.Quantity, loyalty.Ceiling)
	switch {
	case err != nil:
		return loyalty.Money{}, err
	case c.floorDen.IsZero():
		if c.floorCost {
			return cost, nil // cost × 1, exactly
		}
		return c.floorRate.mul(cost, loyalty.Ceiling)
	}
	return cost.DivRate(c.floorDen, loyalty.Ceiling) // cost ÷ (1 − margin)
}

// state is the running position of an evaluation: the price left on every line and the
// cap left, in minor units of the policy currency, and which discounts applied.
type state struct {
	rem     []int64
	capLeft int64
	applied []bool
	// left is the sum of rem when known: then no line's price left is negative (a valid
	// order's), and a scope of every line weighs the lines by rem itself, summing to left.
	// The states of the evaluation's position keep it ([run.limit] updates it), and so do
	// best-of's trial states, copies of one (copyFrom); the scratch chains of a combination
	// have it unknown.
	left  int64
	known bool
}

func (s *state) copyFrom(o *state) {
	copy(s.rem, o.rem)
	copy(s.applied, o.applied)
	s.capLeft, s.left, s.known = o.capLeft, o.left, o.known
}

// span is a range of the run's notes.
type span struct{ start, end int }

// run is one evaluation of one order. It computes in int64 minor units of the policy
// currency: every amount is a part of the order's subtotal, which fits, so that its sums
// cannot overflow. Line amounts become Money only in the result.
type run struct {
	c       *Calculator
	ds      []compiled
	o       *orderLines
	h       *History
	now     time.Time
	n       int
	sub     loyalty.Money // the subtotal
	qtyOver bool          // the order's quantity overflows: sums of line quantities are checked
	base0   []int64       // the line totals before any discount
	floor   []int64       // the margin floor of every line, 0 when none
	amts    [][]int64     // the line amounts of every entry, while evaluating
	spans   []span        // by entry: its notes
	hasCap  bool
	codes   []bool  // by index in Calculator.codes: the order carries the code
	entries []Entry // the result's
	w       []int64
	idx     []int
	free    []*state // the states to take, freeBuf's unless an evaluation took more
	took    bool     // a state was taken since free was last set to freeBuf
	err     error
	notes   []LineNote      // every entry's notes, recorded as they come
	totals  []loyalty.Money // the line totals the validation computed
	order   orderLines      // what of the order o points to
	hist    History         // the history h points to
	ints    []int64         // scratch: base0, floor, amts, w and the states' amounts
	flags   []bool          // scratch: the states' applied flags
	states  [preStates + 1]state
	freeBuf [preStates]*state
}

// orderLines is what an evaluation reads of the order besides its totals: a copy of these
// fields is cheaper than one of the whole order.
type orderLines struct {
	Lines   []loyalty.Line
	Account loyalty.AccountID
}

// lines returns the scratch line amounts of entry i.
func (r *run) lines(i int) []int64 { return r.amts[i] }

// money returns v minor units of the policy currency.
func (r *run) money(v int64) loyalty.Money {
	return money(v, r.c.cur) // the currency is valid and v a part of the subtotal
}

func (r *run) get() *state {
	r.took = true
	if k := len(r.free); k > 0 {
		s := r.free[k-1]
		r.free = r.free[:k-1]
		s.known = false
		return s
	}
	return &state{rem: make([]int64, r.n), applied: make([]bool, len(r.ds))}
}

// newRun returns a run for an order of n lines with its scratch memory ready: a finished
// run's from the pool when there is one, so that an evaluation allocates nothing but its
// result.
func (c *Calculator) newRun(o *loyalty.Order, h *History, n int) *run {
	r, _ := c.runs.Get().(*run)
	if r == nil {
		r = &run{c: c, took: true}
	}
	r.ds = c.program
	if list, ok := c.personal[o.Account]; ok {
		r.ds = list
	}
	r.order, r.hist = orderLines{Lines: o.Lines, Account: o.Account}, *h
	r.o, r.h, r.now, r.n = &r.order, &r.hist, o.PlacedAt, n
	k := len(r.ds)
	// One backing array for the scratch amounts: base, floor, w, the entries' and the
	// states'.
	ni, nf := n*(3+k+preStates+1), k*(preStates+1)
	same := len(r.base0) == n && len(r.amts) == k && cap(r.ints) >= ni && cap(r.flags) >= nf
	// The amounts are not cleared: every one is written before it is read (base0 and floor
	// by apply, w by the weighing, an entry's by its discount, a state's by a copy).
	r.ints = resize(r.ints, ni)
	r.flags = grow(r.flags, nf)
	if !same {
		// The slices into the scratch memory (the last run's are still right when it had
		// as many lines and discounts).
		r.base0 = r.ints[:n:n]
		r.floor = r.ints[n : 2*n : 2*n]
		r.w = r.ints[2*n : 3*n : 3*n]
		r.amts = grow(r.amts, k)
		for i := range r.amts {
			at := (3 + i) * n
			r.amts[i] = r.ints[at : at+n : at+n]
		}
		for i := range r.states {
			at := (3 + k + i) * n
			f := i * k
			r.states[i] = state{rem: r.ints[at : at+n : at+n], applied: r.flags[f : f+k : f+k]}
		}
	}
	r.states[preStates].capLeft, r.states[preStates].known = 0, false
	if r.took { // the last run took states (not always in this order, maybe others)
		for i := range r.freeBuf {
			r.freeBuf[i] = &r.states[i]
		}
		r.free, r.took = r.freeBuf[:], false
	}
	r.spans = grow(r.spans, k)
	r.idx = r.idx[:0]
	r.notes = r.notes[:0]
	r.hasCap, r.err = false, nil
	r.qtyOver = false
	return r
}

// putRun returns r's scratch memory to the pool, keeping nothing of the order or the result.
func (c *Calculator) putRun(r *run) {
	if cap(r.ints) > maxPooled {
		return
	}
	r.order, r.hist = orderLines{}, History{}
	r.o, r.h, r.entries, r.err = nil, nil, nil, nil
	c.runs.Put(r)
}

// maxPooled bounds the scratch memory a pooled run keeps (in amounts): a run of a huge
// order is left to the garbage collector.
const maxPooled = 1 << 17

// resize returns s resized to n elements, reusing its memory when it is large enough,
// without clearing it.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// grow returns s resized to n zeroed elements, reusing its memory when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// preStates is how many scratch states an evaluation prepares in one allocation: enough for
// a best-of over groups that stack additively or by best-of.
const preStates = 5

func (r *run) put(s ...*state) { r.free = append(r.free, s...) }

// note records a line note of the entry being evaluated.
func (r *run) note(n LineNote) { r.notes = append(r.notes, n) }

func (r *run) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// combine evaluates units under mode, computing on base (the prices the combination starts
// from: the original prices at the top level, or what the enclosing combination hands its
// units), limited by and committed into st. It returns the discount the units gave.
//
// base may be st.rem itself (the top level passes it): no combination reads base after one
// of its units committed into st, except a sequential one, which then computes on st.rem
// on purpose. An additive one copies base first; an exclusive one evaluates no unit after
// the first that gives something; a best-of one commits its trials elsewhere and into st
// only at the end.
func (r *run) combine(units []unit, mode Stacking, base []int64, st *state) int64 {
	switch mode {
	case Additive, Sequential:
		return r.chain(units, mode, base, st)
	case Exclusive:
		return r.exclusive(units, base, st)
	case BestOf:
		return r.bestOf(units, base, st)
	}
	return 0
}

// chain is [run.combine] of additive or sequential units. Each way of combining is a
// function of its own, which keeps its loop to registers without the others' locals.
func (r *run) chain(units []unit, mode Stacking, base []int64, st *state) int64 {
	// Additive units all compute on a fixed copy of base; sequential ones on a chain that
	// starts at base and loses what each unit gave. A sequential combination whose base is
	// st's own prices (at the top level, or in a sequential group of a sequential one)
	// computes on them directly: its chain would be a copy of st.rem losing exactly what
	// st.rem loses.
	if mode == Sequential && sameSlice(base, st.rem) {
		return r.sequential(units, st)
	}
	var total int64
	chain, prev := r.get(), (*state)(nil)
	copy(chain.rem, base)
	if mode == Sequential {
		prev = r.get()
	}
	stopped := ""
	for i := range units {
		u := &units[i]
		if stopped != "" {
			r.mark(u, ReasonStopped, stopped)
			continue
		}
		group := u.disc < 0
		if prev != nil && group {
			copy(prev.rem, st.rem)
		}
		a := r.evalUnit(u, chain.rem, st)
		switch {
		case prev == nil || a <= 0: // nothing to follow (additive units compute on base)
		case group: // what the group's members gave together
			for li, left := range st.rem {
				chain.rem[li] -= prev.rem[li] - left
			}
		default: // one discount gave exactly its entry's lines
			for li, given := range r.lines(u.disc) {
				chain.rem[li] -= given
			}
		}
		if a > 0 && u.stopAfter {
			stopped = u.id
		}
		total += a
	}
	r.put(chain)
	if prev != nil {
		r.put(prev)
	}
	return total
}

// sequential is [run.chain] of sequential units on st's own prices: every unit computes on
// st.rem, which loses what each gave, with nothing else to follow.
func (r *run) sequential(units []unit, st *state) int64 {
	var total int64
	for i := range units {
		u := &units[i]
		a := r.evalUnit(u, st.rem, st)
		total += a
		if a > 0 && u.stopAfter {
			for j := i + 1; j < len(units); j++ {
				r.mark(&units[j], ReasonStopped, u.id)
			}
			break
		}
	}
	return total
}

// exclusive is [run.combine] of exclusive units.
func (r *run) exclusive(units []unit, base []int64, st *state) int64 {
	var total int64
	winner := ""
	for i := range units {
		u := &units[i]
		if winner != "" {
			r.mark(u, ReasonOutranked, winner)
			continue
		}
		if a := r.evalUnit(u, base, st); a > 0 {
			winner = u.id
			total = a
		}
	}
	return total
}

// bestOf is [run.combine] of best-of units.
func (r *run) bestOf(units []unit, base []int64, st *state) int64 {
	var total int64
	best := -1
	bestSt, trial := r.get(), r.get()
	var small [8]int64
	amts := small[:0]
	if len(units) > len(small) {
		amts = make([]int64, 0, len(units))
	}
	for i := range units {
		trial.copyFrom(st)
		a := r.evalUnit(&units[i], base, trial)
		amts = append(amts, a)
		if a > total {
			best, total = i, a
			bestSt, trial = trial, bestSt
		}
	}
	for i := range units {
		if i != best && amts[i] > 0 {
			r.lose(&units[i], units[best].id)
		}
	}
	if best >= 0 {
		st.copyFrom(bestSt)
	}
	r.put(bestSt, trial)
	return total
}

// sameSlice reports whether a and b are the same memory.
func sameSlice(a, b []int64) bool { return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0] }

// evalUnit evaluates one unit on base, commits it into st and returns what it gave. base
// may be st.rem itself: a discount reads its base before it commits.
func (r *run) evalUnit(u *unit, base []int64, st *state) int64 {
	if u.disc < 0 {
		return r.combine(u.members, u.stacking, base, st)
	}
	i := u.disc
	e := &r.entries[i]
	// Compute the discount on base, limited by st, into e and its scratch line amounts; limit
	// commits them into st.rem. The notes it makes are the entry's.
	r.reset(i, e)
	start := len(r.notes)
	if !r.compute(i, base, st, e) {
		clear(e.Lines) // the zero Money, for a discount not computed
	}
	if end := len(r.notes); end > start {
		r.spans[i] = span{start, end}
	}
	a := e.Amount.MinorUnits()
	if e.Applied {
		st.capLeft -= a // unused without a cap
		st.applied[u.disc] = true
	}
	return a
}

// mark records reason for every discount of u without evaluating it.
func (r *run) mark(u *unit, reason Reason, by string) {
	if u.disc < 0 {
		for i := range u.members {
			r.mark(&u.members[i], reason, by)
		}
		return
	}
	e := &r.entries[u.disc]
	r.reset(u.disc, e)
	clear(e.Lines)
	e.Reasons |= reason
	e.By = by
}

// lose turns the applied discounts of u into lost-to-better ones.
func (r *run) lose(u *unit, by string) {
	if u.disc < 0 {
		for i := range u.members {
			r.lose(&u.members[i], by)
		}
		return
	}
	e := &r.entries[u.disc]
	if !e.Applied {
		return
	}
	e.Forgone = e.Amount
	e.Amount = loyalty.Zero(r.c.cur)
	clear(r.lines(u.disc))
	clear(e.Lines) // the zero Money, as for a discount not computed
	e.Applied = false
	e.Reasons |= ReasonLostToBetter
	e.By = by
}

// reset sets entry e of discount i as an evaluation starts it (the template New prepared),
// keeping the memory of its Lines (resized to the order's lines, or new when too small) and
// Notes: field by field, which is cheaper than copying the whole template over and
// restoring them. entryFields makes sure no field is forgotten.
// The discount's scratch amounts are not cleared: they are read only once computed (once its
// entry applied), and every kind writes all of them. Neither are the entry's line amounts:
// limit writes them all, and the callers clear them otherwise.
func (r *run) reset(i int, e *Entry) {
	if n := r.n; cap(e.Lines) < n {
		e.Lines = make([]loyalty.Money, n) // the memory of res was too small
	} else if len(e.Lines) != n {
		e.Lines = e.Lines[:n]
	}
	t := &r.ds[i].entry
	e.Discount, e.Name, e.Kind, e.Group = t.Discount, t.Name, t.Kind, t.Group
	e.Applied, e.Amount, e.Reasons, e.By, e.Forgone = false, t.Amount, t.Reasons, "", loyalty.Money{}
	e.Percent, e.Tier, e.Have, e.Need = t.Percent, t.Tier, Measure{}, Measure{}
}

// entryFields is Entry's fields, which [run.reset] sets: the conversion stops compiling
// when Entry gains a field, for reset to set it too.
var _ = entryFields(Entry{})

type entryFields struct {
	Discount string
	Name     string
	Kind     Kind
	Group    string
	Applied  bool
	Amount   loyalty.Money
	Lines    []loyalty.Money
	Reasons  Reason
	By       string
	Forgone  loyalty.Money
	Percent  decimal.Decimal
	Tier     int
	Have     Measure
	Need     Measure
	Notes    []LineNote
}

// compute computes discount i on base, limited by st, into e and its scratch line amounts,
// which [run.limit] commits into st.rem. It reports whether it reached limit (which writes
// the entry's lines); false when the discount gives nothing before.
func (r *run) compute(i int, base []int64, st *state, e *Entry) (limited bool) {
	cd := &r.ds[i]
	d := cd.d
	o := r.o
	// Conditions.
	if cd.checks {
		r.conditions(cd.cond, e)
	}
	if cd.code > 0 && !r.codes[cd.code-1] {
		e.Reasons |= ReasonCodeMissing
	}
	if e.Reasons&notApplied != 0 {
		return false
	}
	for _, j := range cd.conflicts {
		if st.applied[j] {
			e.Reasons |= ReasonNotCombinable
			e.By = r.ds[j].d.ID
			return false
		}
	}
	// Scope: the weights of the eligible lines (what is left to discount on them) and
	// their sum. A line with nothing left is not eligible.
	var eligBase int64
	var matched bool
	ls := o.Lines
	w := r.w // the weighing functions slice it and base to the lines
	switch cd.scope {
	case scopeAll:
		if st.known && sameSlice(base, st.rem) {
			// The weights are the prices left themselves, none negative: no pass to weigh
			// them (amounts reads them before limit commits into st.rem).
			w, eligBase = base, st.left
		} else {
			eligBase = weighAll(w, base)
		}
		matched = true
	case scopeCategories:
		eligBase, matched = weighCategories(w, base, ls, d.Scope.Categories)
	default:
		eligBase, matched = r.weigh(cd, w, base, e)
	}
	found := eligBase > 0
	switch {
	case !matched:
		e.Reasons |= ReasonNoEligibleLines
		return false
	case !found: // in scope, but nothing is left to discount
		e.Reasons |= ReasonNoEffect
		return false
	}
	out := r.lines(i)
	if cd.fixed && !r.qtyOver {
		// A fixed rate, the common case: amounts' rate case, which reads nothing else of
		// the order, without its call.
		amt, err := cd.rate.mulUnits(eligBase, r.c.cur, r.c.rounding)
		if err == nil {
			err = loyalty.AllocateInts(out, amt, w)
		}
		if err != nil {
			r.fail(fmt.Errorf("discount: %s: %w", d.ID, err))
			return false
		}
	} else if !r.amounts(cd, w, base, e, eligBase, out) {
		return false
	}
	r.limit(cd, i, st, e)
	return true
}

// amounts computes the raw line amounts out of discount cd on base, for the eligible lines
// with the weights w summing to eligBase, or reports false (with the reason or the error
// recorded) when it gives nothing.
func (r *run) amounts(cd *compiled, w, base []int64, e *Entry, eligBase int64, out []int64) bool {
	d := cd.d
	o := r.o
	ls := o.Lines
	w, base = w[:len(ls)], base[:len(ls)]
	// The eligible lines' value and quantity before any discount (the order's size), read
	// by volume ladders only (not by a fixed rate: a personal override). The quantity is
	// summed for every discount when the order's quantity overflows, to report it as before.
	var eligOrig, qty int64
	ladder := d.Kind == Volume && !cd.fixed
	if ladder && d.Basis != ByQuantity {
		for li, x := range w {
			if x > 0 {
				eligOrig += r.base0[li]
			}
		}
	}
	switch {
	case r.qtyOver:
		for li, x := range w {
			if x > 0 {
				q, err := loyalty.QuantityFromMicros(qty).Add(ls[li].Quantity)
				if err != nil {
					r.fail(fmt.Errorf("discount: %s: %w", d.ID, err))
					return false
				}
				qty = q.Micros()
			}
		}
	case ladder && d.Basis == ByQuantity:
		for li, x := range w {
			if x > 0 {
				qty += ls[li].Quantity.Micros() // a part of the order's quantity, which fits
			}
		}
	}
	eligQty := loyalty.QuantityFromMicros(qty)
	mode := r.c.rounding
	switch d.Kind {
	case Percent, Volume, Cumulative:
		rt := r.rate(cd, e, eligOrig, eligQty)
		if rt == nil {
			return false
		}
		amt, err := rt.mulUnits(eligBase, r.c.cur, mode)
		if err == nil {
			err = loyalty.AllocateInts(out, amt, w)
		}
		if err != nil {
			r.fail(fmt.Errorf("discount: %s: %w", d.ID, err))
			return false
		}
	case AmountOff:
		amt := d.Amount.MinorUnits()
		if amt > eligBase {
			amt = eligBase
			e.Reasons |= ReasonTrimmedByPrice
		}
		if err := loyalty.AllocateInts(out, amt, w); err != nil {
			r.fail(fmt.Errorf("discount: %s: %w", d.ID, err))
			return false
		}
	case AmountPerUnit:
		clear(out)
		for li := range out {
			if w[li] > 0 {
				a, err := cd.unitPrice.Times(o.Lines[li].Quantity, mode)
				if err != nil {
					r.fail(fmt.Errorf("discount: %s: lines[%d]: %w", d.ID, li, err))
					return false
				}
				out[li] = a.MinorUnits()
			}
		}
	case FixedPrice:
		clear(out)
		for li := range out {
			if w[li] > 0 {
				target, err := d.Price.Times(o.Lines[li].Quantity, mode)
				if err != nil {
					r.fail(fmt.Errorf("discount: %s: lines[%d]: %w", d.ID, li, err))
					return false
				}
				if diff := base[li] - target.MinorUnits(); diff > 0 {
					out[li] = diff
				}
			}
		}
	case BuyXGetY, NthFree, CheapestFree:
		clear(out)
		if !r.freeItems(cd, w, base, e, out) {
			return false
		}
	}
	return true
}

// weigh sets the weights w of the lines in cd's scope (what is left of them, base, and 0
// for the others), recording the lines an exclusion removed, and returns their sum and
// whether a line is in scope.
func (r *run) weigh(cd *compiled, w, base []int64, e *Entry) (eligBase int64, matched bool) {
	ls := r.o.Lines
	w, base = w[:len(ls)], base[:len(ls)]
	for li := range ls {
		l := &ls[li]
		in, excluded := !l.OnPromotion, l.OnPromotion
		if cd.scope == scopeGeneral {
			in, excluded = cd.d.Scope.match(l)
		}
		if excluded {
			r.note(LineNote{Line: li, Reason: ReasonExcluded})
			e.Reasons |= ReasonExcluded
		}
		matched = matched || in
		b := base[li]
		if !in || b <= 0 {
			b = 0
		}
		w[li] = b
		eligBase += b
	}
	return eligBase, matched
}

// conditions records in e the reasons cond (a discount's condition but its code) gives.
func (r *run) conditions(cond *Condition, e *Entry) {
	if len(cond.Accounts) > 0 && !slices.Contains(cond.Accounts, r.o.Account) {
		e.Reasons |= ReasonNotForAccount
	}
	if !cond.From.IsZero() && r.now.Before(cond.From) || !cond.Until.IsZero() && !r.now.Before(cond.Until) {
		e.Reasons |= ReasonInactive
	}
	if !cond.MinSubtotal.IsZero() && r.sub.MinorUnits() < cond.MinSubtotal.MinorUnits() {
		e.Reasons |= ReasonThresholdNotMet
		e.Have, e.Need = Measure{Amount: r.sub}, Measure{Amount: cond.MinSubtotal}
	}
}

// weighAll sets the weights w of a scope of every line, without exclusions: what is left
// of every line, base, and returns their sum. Not inlined, the loop keeps to registers.
//
//go:noinline
func weighAll(w, base []int64) int64 {
	var sum int64
	w = w[:len(base)]
	for li, b := range base {
		b = max(b, 0)
		w[li] = b
		sum += b
	}
	return sum
}

// weighCategories sets the weights w of a scope of categories, without exclusions: what is
// left of the lines in them, base, and 0 for the others. It returns their sum and whether a
// line is in scope.
func weighCategories(w, base []int64, ls []loyalty.Line, cats []loyalty.CategoryID) (sum int64, in bool) {
	w, base = w[:len(ls)], base[:len(ls)]
	if len(cats) == 1 { // the common case, without a loop per line
		cat := cats[0]
		for li := range ls {
			var b int64
			if c := ls[li].Category; c == cat && c != "" {
				in = true
				b = max(base[li], 0)
			}
			w[li] = b
			sum += b
		}
		return sum, in
	}
	for li := range ls {
		var b int64
		if c := ls[li].Category; c != "" && slices.Contains(cats, c) {
			in = true
			b = max(base[li], 0)
		}
		w[li] = b
		sum += b
	}
	return sum, in
}

// rate picks the fraction a rate-based discount applies, recording its tier and percent,
// or returns nil (with the reason recorded) when no tier is reached.
// A volume discount measures the eligible lines' value before any discount (eligOrig) and
// quantity: the size of the order, whatever other discounts did.
func (r *run) rate(cd *compiled, e *Entry, eligOrig int64, eligQty loyalty.Quantity) *rate {
	d := cd.d
	if d.Kind == Percent || cd.override {
		return &cd.rate
	}
	var have Measure
	tier := -1
	switch {
	case d.Kind == Volume && d.Basis == ByQuantity:
		have.Quantity = eligQty
		for t := range d.Tiers {
			if eligQty.Cmp(d.Tiers[t].FromQuantity) >= 0 {
				tier = t
			}
		}
		if tier < 0 {
			e.Need = Measure{Quantity: d.Tiers[0].FromQuantity}
		}
	case d.Kind == Volume:
		have.Amount = r.money(eligOrig)
		tier = moneyTier(d.Tiers, eligOrig)
		if tier < 0 {
			e.Need = Measure{Amount: d.Tiers[0].From}
		}
	default: // Cumulative
		spend, last, err := r.h.Accumulated(d.Accumulation, r.now, r.c.cur)
		if err == nil && d.Accumulation.IncludeCurrentOrder {
			spend, err = spend.Add(r.sub)
		}
		if err != nil {
			r.fail(err)
			return nil
		}
		have.Amount = spend
		tier = moneyTier(d.Tiers, spend.MinorUnits())
		if tier < 0 {
			e.Need = Measure{Amount: d.Tiers[0].From}
			break
		}
		if d.Decay.AfterDays > 0 && !last.IsZero() && r.now.Sub(last) > time.Duration(d.Decay.AfterDays)*24*time.Hour {
			e.Reasons |= ReasonDecayed
			e.Tier = tier
			e.Percent = cd.tiers[tier].decPct
			return &cd.tiers[tier].decRate
		}
	}
	if tier < 0 {
		e.Reasons |= ReasonThresholdNotMet
		e.Have = have
		return nil
	}
	e.Tier = tier
	e.Percent = cd.tiers[tier].pct
	return &cd.tiers[tier].rate
}

// moneyTier returns the highest tier whose threshold v (in minor units) reaches, or -1.
func moneyTier(tiers []Tier, v int64) int {
	tier := -1
	for t := range tiers {
		if v >= tiers[t].From.MinorUnits() {
			tier = t
		}
	}
	return tier
}

// freeItems makes the cheapest eligible whole units (of the lines of positive weight w)
// free, writing their value into out. It reports false (with the reason recorded) when the
// order has too few units.
func (r *run) freeItems(cd *compiled, w, base []int64, e *Entry, out []int64) bool {
	d := cd.d
	o := r.o
	r.idx = r.idx[:0]
	var units int64
	for li := range o.Lines {
		if w[li] > 0 {
			if wu := o.Lines[li].Quantity.Floor(); wu > 0 {
				r.idx = append(r.idx, li)
				units += wu
			}
		}
	}
	var free, need int64
	switch d.Kind {
	case BuyXGetY:
		need = d.Buy + d.Get
		free = units / need * d.Get
	case NthFree:
		need = d.N
		free = units / d.N
	case CheapestFree:
		need = d.N
		if units >= d.N {
			free = 1
		}
	}
	if free == 0 {
		e.Reasons |= ReasonThresholdNotMet
		hq, _ := loyalty.Units(units)
		nq, _ := loyalty.Units(need)
		e.Have, e.Need = Measure{Quantity: hq}, Measure{Quantity: nq}
		return false
	}
	slices.SortFunc(r.idx, func(a, b int) int {
		if c := cmp.Compare(o.Lines[a].UnitPrice.Micros(), o.Lines[b].UnitPrice.Micros()); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var parts [2]int64
	for _, li := range r.idx {
		if free == 0 {
			break
		}
		q := o.Lines[li].Quantity
		k := min(free, q.Floor())
		free -= k
		// The free units' share of what is left of the line: base × k / q, exactly.
		kq, _ := loyalty.Units(k)
		ws := [2]int64{kq.Micros(), q.Micros() - kq.Micros()}
		if err := loyalty.AllocateInts(parts[:], base[li], ws[:]); err != nil {
			r.fail(fmt.Errorf("discount: %s: lines[%d]: %w", d.ID, li, err))
			return false
		}
		out[li] = parts[0]
	}
	return true
}

// limit trims discount i's raw line amounts to the price left, the margin floor, the
// discount's own maximum and the policy cap, in that order, sets e.Amount and e.Applied and
// the entry's line amounts, and commits the amounts into st.rem (the price left).
func (r *run) limit(cd *compiled, i int, st *state, e *Entry) {
	out := r.lines(i)
	total, from := commit(out, st.rem, r.floor, e.Lines, r.c.cur)
	if from < len(out) {
		total = r.limitFrom(from, out, st.rem, e, total)
	}
	if mx := cd.maxAmount; mx != 0 && total > mx {
		r.trim(out, mx, st.rem, e.Lines)
		total = mx
		e.Reasons |= ReasonTrimmedByCap
	}
	if r.hasCap && total > st.capLeft {
		r.trim(out, st.capLeft, st.rem, e.Lines)
		total = st.capLeft
		e.Reasons |= ReasonTrimmedByCap
		e.By = "cap"
	}
	st.left -= total // what the lines lost together, trims included
	e.Amount = r.money(total)
	e.Applied = total > 0
	if !e.Applied && e.Reasons&(ReasonTrimmedByPrice|ReasonTrimmedByFloor|ReasonTrimmedByCap) == 0 {
		e.Reasons |= ReasonNoEffect
	}
}

// limitFrom is [run.limit]'s commit from line from on, where [commit] stopped: line by
// line, trimming amounts to the room above the floor, and returns the total, given the
// total committed before.
func (r *run) limitFrom(from int, out, rem []int64, e *Entry, total int64) int64 {
	rem, floor, dst := rem[:len(out)], r.floor[:len(out)], e.Lines[:len(out)]
	cur := r.c.cur
	for li := from; li < len(out); li++ {
		a := out[li]
		if a <= 0 {
			out[li] = 0
			dst[li] = loyalty.Zero(cur)
			continue
		}
		// The room is what is left above the floor (0 when none); a line with a floor
		// never has less than nothing.
		if room := rem[li] - floor[li]; a > room {
			a = r.trimLine(li, a, rem[li], floor[li], e)
			out[li] = a
		}
		rem[li] -= a
		dst[li] = money(a, cur) // valid: a part of the subtotal
		total += a
	}
	return total
}

// commit subtracts the amounts out from rem, the price left, and writes them to dst as
// Money of cur, for as long as every line has room for its amount above its floor, and
// returns the total committed and the index of the first line it stopped at (len(out) when
// none), which [run.limit] then takes over. It is not inlined: on its own the loop keeps its
// values in registers, and MoneyFromMinor's checks fall away (cur is valid, a ≥ 0).
//
//go:noinline
func commit(out, rem, floor []int64, dst []loyalty.Money, cur loyalty.Currency) (total int64, stop int) {
	if cur.IsZero() {
		return 0, 0 // never: the policy's currency is valid
	}
	rem, floor, dst = rem[:len(out)], floor[:len(out)], dst[:len(out)]
	for li, a := range out {
		if a < 0 || a > rem[li]-floor[li] {
			return total, li
		}
		rem[li] -= a
		total += a
		dst[li], _ = loyalty.MoneyFromMinor(a, cur)
	}
	return total, len(out)
}

// trimLine returns the part of amount a that line li has room for, given the price left on
// it and its floor (0 when none), recording the trim as a line note and a reason of e.
func (r *run) trimLine(li int, a, rem, floor int64, e *Entry) int64 {
	room, reason := rem, ReasonTrimmedByPrice
	if floor > 0 {
		room, reason = max(rem-floor, 0), ReasonTrimmedByFloor
	}
	r.note(LineNote{Line: li, Reason: reason, Amount: r.money(a - room)})
	e.Reasons |= reason
	return room
}

// trim reallocates the line amounts out, committed into rem and written to dst, to the
// smaller total to, in proportion to the amounts themselves, so that no line gets more than
// before and the parts sum exactly; rem gets back what the lines lose.
func (r *run) trim(out []int64, to int64, rem []int64, dst []loyalty.Money) {
	was := r.w[:len(out)]
	copy(was, out)
	if err := loyalty.AllocateInts(out, to, was); err != nil {
		r.fail(fmt.Errorf("discount: trim: %w", err))
		return
	}
	for li, a := range out {
		rem[li] += was[li] - a
		dst[li] = r.money(a)
	}
}

// match reports whether line l is in scope s, and whether an exclusion removed a line that
// the inclusion matched.
func (s *Scope) match(l *loyalty.Line) (in, excluded bool) {
	in = s.All ||
		len(s.Categories) > 0 && l.Category != "" && slices.Contains(s.Categories, l.Category) ||
		len(s.SKUs) > 0 && slices.Contains(s.SKUs, l.SKU) ||
		len(s.Tags) > 0 && anyTag(l, s.Tags)
	if !in {
		return false, false
	}
	excluded = s.ExcludePromotional && l.OnPromotion ||
		len(s.ExcludeCategories) > 0 && l.Category != "" && slices.Contains(s.ExcludeCategories, l.Category) ||
		len(s.ExcludeSKUs) > 0 && slices.Contains(s.ExcludeSKUs, l.SKU) ||
		len(s.ExcludeTags) > 0 && anyTag(l, s.ExcludeTags)
	return !excluded, excluded
}

func anyTag(l *loyalty.Line, tags []string) bool {
	for _, t := range tags {
		if slices.Contains(l.Tags, t) { // l.HasTag(t), without copying the line
			return true
		}
	}
	return false
}
