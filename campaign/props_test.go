package campaign_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"pgregory.net/rapid"
)

// genOrder draws an order of the reference program: one to four lines of tools or other
// goods, whole or fractional quantities, prices with up to four decimals, costs sometimes
// known, and sometimes the promo code.
func genOrder(t *rapid.T, id, account string, at time.Time) loyalty.Order {
	n := rapid.IntRange(1, 4).Draw(t, "lines")
	o := order(id, account, at)
	for i := 0; i < n; i++ {
		cat := rapid.SampledFrom([]string{"tools", "misc"}).Draw(t, "category")
		q := loyalty.QuantityFromMicros(rapid.SampledFrom([]int64{1, 2, 3, 7, 12}).Draw(t, "units") * 1_000_000)
		if rapid.Bool().Draw(t, "fractional") {
			q = loyalty.QuantityFromMicros(rapid.Int64Range(1_000, 50_000_000).Draw(t, "micros"))
		}
		price := rapid.Int64Range(100, 2_000_000).Draw(t, "price") // in units of 0.0001
		l := loyalty.Line{SKU: loyalty.SKU(fmt.Sprintf("sku-%d", i)), Category: loyalty.CategoryID(cat), Quantity: q,
			UnitPrice: pr(fmt.Sprintf("%d.%04d", price/10000, price%10000))}
		if rapid.Bool().Draw(t, "cost") {
			c := price * rapid.Int64Range(30, 90).Draw(t, "cost%") / 100
			if c > 0 {
				l.UnitCost = pr(fmt.Sprintf("%d.%04d", c/10000, c%10000))
			}
		}
		o.Lines = append(o.Lines, l)
	}
	if rapid.Bool().Draw(t, "code") {
		o.Codes = []string{rapid.SampledFrom([]string{"SAVE10", "save-10", "NOPE"}).Draw(t, "typed")}
	}
	return o
}

// genProgram draws a variant of the reference program: its stacking, tier benefits,
// cumulative rates, earn rates, pending delay, redemption share and margin floor.
func genProgram(t *rapid.T) campaign.Program {
	p := reference()
	p.Discounts.Stacking = rapid.SampledFrom([]discount.Stacking{discount.Sequential, discount.Additive, discount.BestOf, discount.Exclusive}).Draw(t, "stacking")
	rates := []string{"0", "0.01", "0.03", "0.05"}
	mults := []string{"1", "1.5", "2"}
	for i := 1; i < len(p.Tiers.Levels); i++ {
		b := &p.Tiers.Levels[i].Benefits
		b.DiscountRate = d(rapid.SampledFrom(rates).Draw(t, "tier discount"))
		b.EarnMultiplier = d(rapid.SampledFrom(mults).Draw(t, "multiplier"))
		b.EarnRate = d(rapid.SampledFrom([]string{"0", "0", "0.02"}).Draw(t, "earn rate"))
	}
	cum := &p.Discounts.Discounts[0]
	cum.Tiers[0].Percent = d(rapid.SampledFrom([]string{"1", "2", "5"}).Draw(t, "cumulative 1"))
	cum.Tiers[1].Percent = d(rapid.SampledFrom([]string{"5", "10", "50"}).Draw(t, "cumulative 2"))
	cum.Accumulation.IncludeCurrentOrder = rapid.Bool().Draw(t, "include current")
	p.Discounts.Floor.MinMarkup = d(rapid.SampledFrom([]string{"0", "10"}).Draw(t, "floor"))
	p.Earning.Rates[0].Points = points.Points(rapid.IntRange(1, 3).Draw(t, "tool points"))
	p.Earning.PendingDays = rapid.SampledFrom([]int{0, 0, 14}).Draw(t, "pending days")
	p.Redemption.MaxShare = d(rapid.SampledFrom([]string{"0.2", "0.5", "1"}).Draw(t, "max share"))
	if rapid.Bool().Draw(t, "campaigns") {
		p.Campaigns = referenceCampaigns().Campaigns
		p.Campaigns[0].Budget.Money = m(rapid.SampledFrom([]string{"0", "50", "500", "5000"}).Draw(t, "tools budget"))
		p.Campaigns[1].Budget.PerAccount = rapid.Int64Range(0, 3).Draw(t, "double per account")
		p.Campaigns[2].Budget.Uses = rapid.Int64Range(0, 3).Draw(t, "big-order uses")
		p.Campaigns[3].Budget.Money = m(rapid.SampledFrom([]string{"0", "100", "250"}).Draw(t, "gift budget"))
	}
	return p
}

// campaignIDs are the campaigns of referenceCampaigns.
var campaignIDs = []loyalty.CampaignID{"tools-week", "double-points", "big-order", "womens-day", "lucky"}

// state is what the stores show of some accounts: balances, code uses, purchase records,
// tier standing and campaign budgets.
type state struct {
	Points map[string][2]points.Points // available, pending
	Uses   int
	Orders map[string]int
	Spend  map[string]loyalty.Money
	Level  map[string]int
	Qual   map[string]loyalty.Money
	// Budgets are the campaigns' counters, in all and per account: uses and minor units spent.
	Budgets map[string][2]int64
}

func snapshot(t *rapid.T, e *campaign.Engine, accounts ...string) state {
	s := state{Points: map[string][2]points.Points{}, Orders: map[string]int{}, Spend: map[string]loyalty.Money{},
		Level: map[string]int{}, Qual: map[string]loyalty.Money{}, Budgets: map[string][2]int64{}}
	var err error
	for _, id := range campaignIDs {
		for _, a := range append([]string{""}, accounts...) {
			b, err := e.Budget(ctx, id, loyalty.AccountID(a))
			if err != nil {
				t.Fatal(err)
			}
			s.Budgets[string(id)+"/"+a] = [2]int64{b.Uses, b.Spent.MinorUnits()}
		}
	}
	if s.Uses, err = e.Codes().Usage(ctx, promo.Counter{Definition: "SAVE10"}); err != nil {
		t.Fatal(err)
	}
	now := e.Clock().Now()
	for _, a := range accounts {
		id := loyalty.AccountID(a)
		b, err := e.Points().Balance(ctx, points.ForAccount(id))
		if err != nil && !errors.Is(err, loyalty.ErrNotFound) {
			t.Fatal(err)
		}
		s.Points[a] = [2]points.Points{b.Available, b.Pending}
		rec, err := e.Account(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s.Orders[a] = rec.Orders
		if s.Spend[a], _, err = rec.History.Accumulated(discount.Accumulation{}, now.Add(time.Second), rub); err != nil {
			t.Fatal(err)
		}
		p, err := e.Tiers().Project(ctx, id)
		if err != nil && !errors.Is(err, loyalty.ErrNotFound) {
			t.Fatal(err)
		}
		s.Level[a], s.Qual[a] = p.Level, p.Qualifying.Spend
	}
	return s
}

// history commits a few random orders for account, so that later orders meet tiers, the
// cumulative discount and points to redeem.
func history(t *rapid.T, e *campaign.Engine, clock *loyalty.ManualClock, account string) {
	for i := rapid.IntRange(0, 3).Draw(t, "history"); i > 0; i-- {
		clock.Advance(time.Minute)
		o := genOrder(t, fmt.Sprintf("h-%s-%d", account, i), account, clock.Now())
		q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Commit(ctx, q, loyalty.IdempotencyKey("k-"+string(o.ID))); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
}

func genRedeem(t *rapid.T, e *campaign.Engine, account string) points.Points {
	if !rapid.Bool().Draw(t, "redeem") {
		return 0
	}
	b, err := e.Points().Balance(ctx, points.ForAccount(loyalty.AccountID(account)))
	if err != nil || b.Available <= 0 {
		return 0
	}
	return points.Points(rapid.Int64Range(1, int64(b.Available)).Draw(t, "points"))
}

func TestPropEvaluateNeverWrites(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e, clock, h := newHooked(t, genProgram(t))
		credit(t, e, "acme", points.Points(rapid.Int64Range(1, 5000).Draw(t, "credit")))
		history(t, e, clock, "acme")
		redeem := genRedeem(t, e, "acme")
		before := snapshot(t, e, "acme")
		writes := h.Writes() // measured after the snapshot: Balance may apply due work
		q, err := e.Evaluate(ctx, genOrder(t, "o", "acme", clock.Now()), campaign.EvaluateOptions{RedeemPoints: redeem})
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Writes(); got != writes {
			t.Fatalf("Evaluate wrote %d times", got-writes)
		}
		if diff := cmp.Diff(before, snapshot(t, e, "acme")); diff != "" {
			t.Fatalf("state changed by Evaluate (-before +after):\n%s", diff)
		}
		// The quote is consistent: totals add up, line points sum to the plan.
		sum, _ := q.Totals.Discount.Add(q.Totals.PointsValue)
		if pay, _ := q.Totals.Subtotal.Sub(sum); !pay.Equal(q.Totals.ToPay) {
			t.Fatalf("totals do not add up: %+v", q.Totals)
		}
		var lp points.Points
		for _, l := range q.Lines {
			lp += l.Points
		}
		if lp != q.Earnings[0].Plan.Total {
			t.Fatalf("line points %d, plan %d", lp, q.Earnings[0].Plan.Total)
		}
	})
}

func TestPropCommitTwiceIsOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e, clock, _ := newHooked(t, genProgram(t))
		credit(t, e, "acme", points.Points(rapid.Int64Range(1, 5000).Draw(t, "credit")))
		history(t, e, clock, "acme")
		q, err := e.Evaluate(ctx, genOrder(t, "o", "acme", clock.Now()), campaign.EvaluateOptions{RedeemPoints: genRedeem(t, e, "acme")})
		if err != nil {
			t.Fatal(err)
		}
		r1, err := e.Commit(ctx, q, "key")
		if err != nil {
			t.Fatal(err)
		}
		once := snapshot(t, e, "acme")
		clock.Advance(time.Minute)
		r2, err := e.Commit(ctx, q, "key")
		if err != nil {
			t.Fatal(err)
		}
		if !r2.Replayed {
			t.Fatal("second commit not replayed")
		}
		r2.Replayed = false
		if diff := cmp.Diff(r1, r2); diff != "" {
			t.Fatalf("receipts differ (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(once, snapshot(t, e, "acme")); diff != "" {
			t.Fatalf("state after two commits differs from one (-once +twice):\n%s", diff)
		}
	})
}

func TestPropCommitThenFullReturnRestores(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e, clock, _ := newHooked(t, genProgram(t))
		credit(t, e, "acme", points.Points(rapid.Int64Range(1, 5000).Draw(t, "credit")))
		history(t, e, clock, "acme")
		before := snapshot(t, e, "acme")
		o := genOrder(t, "o", "acme", clock.Now())
		q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{RedeemPoints: genRedeem(t, e, "acme")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Commit(ctx, q, "key"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		// Return everything, in one or two steps.
		steps := drawFullReturn(t, o)
		for i, lines := range steps {
			if _, err := e.Return(ctx, "o", lines, loyalty.IdempotencyKey(fmt.Sprintf("ret-%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(before, snapshot(t, e, "acme")); diff != "" {
			t.Fatalf("commit and full return did not restore the state (-before +after):\n%s", diff)
		}
	})
}

// Concurrent commits never use a code beyond its limit or spend more points than there are.
func TestConcurrentCommitsRespectLimits(t *testing.T) {
	e, _, _ := newHooked(t, reference())
	credit(t, e, "acme", 100)
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	codeOK, pointsOK := 0, 0
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) { // SAVE10 has 3 uses in total
			defer wg.Done()
			o := order(fmt.Sprintf("c%d", i), fmt.Sprintf("acct-%d", i), t0, line("drill", "tools", "1", "1000", ""))
			o.Codes = []string{"SAVE10"}
			q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			if !q.Codes[0].Accepted {
				return // the uses were gone when evaluated
			}
			_, err = e.Commit(ctx, q, loyalty.IdempotencyKey("k-"+string(o.ID)))
			switch {
			case err == nil:
				mu.Lock()
				codeOK++
				mu.Unlock()
			case errors.Is(err, campaign.ErrStaleQuote) || errors.Is(err, promo.ErrExhausted):
			default:
				t.Error(err)
			}
		}(i)
		go func(i int) { // acme has 100 points; each order wants 60
			defer wg.Done()
			o := order(fmt.Sprintf("p%d", i), "acme", t0, line("saw", "misc", "1", "1000", ""))
			q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{RedeemPoints: 60})
			if err != nil {
				t.Error(err)
				return
			}
			if q.Redemption.Applied == 0 {
				return
			}
			_, err = e.Commit(ctx, q, loyalty.IdempotencyKey("k-"+string(o.ID)))
			switch {
			case err == nil:
				mu.Lock()
				pointsOK++
				mu.Unlock()
			case errors.Is(err, campaign.ErrStaleQuote) || errors.Is(err, points.ErrInsufficientPoints):
			default:
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	uses, err := e.Codes().Usage(ctx, promo.Counter{Definition: "SAVE10"})
	if err != nil {
		t.Fatal(err)
	}
	if codeOK > 3 || uses != codeOK || codeOK == 0 {
		t.Errorf("%d commits with the code succeeded, %d uses counted; want between 1 and 3, equal", codeOK, uses)
	}
	if pointsOK != 1 {
		t.Errorf("%d commits paying 60 of 100 points succeeded, want 1", pointsOK)
	}
	b, err := e.Points().Balance(ctx, points.ForAccount("acme"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Available < 0 || b.Spent != 60 {
		t.Errorf("balance = %+v, want 60 spent and nothing negative", b)
	}
}

// Budgets are never exceeded under concurrent commits: orders of a few accounts are
// committed from several goroutines at once (an order refused for a stale quote or a spent
// budget is evaluated again), and every counter stays within its budget and equals what the
// receipts consumed.
func TestPropBudgetsNeverExceededConcurrently(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := campaign.Budget{
			Money:      m(fmt.Sprint(rapid.Int64Range(1, 40).Draw(t, "money") * 100)),
			Uses:       rapid.Int64Range(0, 6).Draw(t, "uses"),
			PerAccount: rapid.Int64Range(0, 3).Draw(t, "per account"),
		}
		c := campaign.Campaign{ID: "c", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
			Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Percent: d("10")}, {Kind: campaign.ActionPoints, Points: 7}},
			Budget:  b}
		e, _ := newEngine(t, points1(c))
		n := rapid.IntRange(2, 8).Draw(t, "orders")
		orders := make([]loyalty.Order, n)
		for i := range orders {
			acct := rapid.SampledFrom([]string{"a", "b"}).Draw(t, "account")
			price := rapid.Int64Range(1, 3000).Draw(t, "price")
			orders[i] = order(fmt.Sprintf("o%d", i), acct, t0, line("x", "tools", "1", fmt.Sprint(price), ""))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		uses := map[string]int64{}
		spent := int64(0)
		var failed error
		for _, o := range orders {
			wg.Add(1)
			go func(o loyalty.Order) {
				defer wg.Done()
				for attempt := 0; ; attempt++ {
					q, err := e.Evaluate(ctx, o, campaign.EvaluateOptions{})
					if err == nil {
						var r campaign.Receipt
						if r, err = e.Commit(ctx, q, loyalty.IdempotencyKey(o.ID)); err == nil {
							mu.Lock()
							if r.Budget != nil {
								for _, it := range r.Budget.Items {
									uses[""] += it.Uses
									uses[string(o.Account)] += it.Uses
									spent += it.Money.MinorUnits()
								}
							}
							mu.Unlock()
							return
						}
					}
					if attempt > 100 || !errors.Is(err, campaign.ErrStaleQuote) && !errors.Is(err, campaign.ErrBudgetExhausted) {
						mu.Lock()
						failed = err
						mu.Unlock()
						return
					}
				}
			}(o)
		}
		wg.Wait()
		if failed != nil {
			t.Fatal(failed)
		}
		total, err := e.Budget(ctx, "c", "")
		if err != nil {
			t.Fatal(err)
		}
		if total.Uses != uses[""] || total.Spent.MinorUnits() != spent {
			t.Fatalf("counter %+v, receipts %d uses and %d spent", total, uses[""], spent)
		}
		if b.Uses > 0 && total.Uses > b.Uses {
			t.Fatalf("%d uses of a budget of %d", total.Uses, b.Uses)
		}
		if total.Spent.MinorUnits() > b.Money.MinorUnits() {
			t.Fatalf("spent %s of a budget of %s", total.Spent, b.Money)
		}
		for _, a := range []loyalty.AccountID{"a", "b"} {
			r, err := e.Budget(ctx, "c", a)
			if err != nil {
				t.Fatal(err)
			}
			if r.Uses != uses[string(a)] || b.PerAccount > 0 && r.Uses > b.PerAccount {
				t.Fatalf("account %s: %d uses, receipts %d, budget %d per account", a, r.Uses, uses[string(a)], b.PerAccount)
			}
		}
	})
}

// drawFullReturn draws the return of every line of o, in one step or in two.
func drawFullReturn(t *rapid.T, o loyalty.Order) [][]loyalty.ReturnLine {
	var all, first, second []loyalty.ReturnLine
	for i, l := range o.Lines {
		all = append(all, loyalty.ReturnLine{Line: i, Quantity: l.Quantity})
		part := rapid.Int64Range(0, l.Quantity.Micros()).Draw(t, "part")
		if part > 0 {
			first = append(first, loyalty.ReturnLine{Line: i, Quantity: loyalty.QuantityFromMicros(part)})
		}
		if rest := l.Quantity.Micros() - part; rest > 0 {
			second = append(second, loyalty.ReturnLine{Line: i, Quantity: loyalty.QuantityFromMicros(rest)})
		}
	}
	if rapid.Bool().Draw(t, "two steps") && len(first) > 0 && len(second) > 0 {
		return [][]loyalty.ReturnLine{first, second}
	}
	return [][]loyalty.ReturnLine{all}
}
