package campaign

import (
	"bufio"
	"container/heap"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/loyaltykit/loyalty"
)

// GenerateOptions configure [GenerateHistory]. Zero fields mean the documented defaults. It
// is a plain value.
type GenerateOptions struct {
	// Seed seeds the random source: the same options always give the same history.
	Seed uint64
	// Orders is the number of orders. Defaults to 1,000.
	Orders int
	// Accounts is the number of company accounts. Defaults to Orders / 10, at least 1.
	Accounts int
	// OneTimePercent is the percentage (0–100) of accounts that buy once and never come
	// back. Zero means none.
	OneTimePercent int
	// ReturnPercent is the percentage (0–100) of orders of which a part is returned, 1 to
	// 20 days later. Zero means none.
	ReturnPercent int
	// Start is the earliest order date. Defaults to 2026-01-01 00:00 UTC.
	Start time.Time
	// Currency is the currency of prices and costs. Defaults to RUB.
	Currency loyalty.Currency
	// Format is the output format. Defaults to CSV.
	Format Format
}

// GenerateHistory writes a synthetic B2B order history in the [Format] [Simulate] reads,
// for examples, tests and benchmarks. It is deterministic for given options.
//
// Accounts have one to three buyers ("acct-0001/b2") and a repeat purchase cycle of 7 to
// 45 days; each first buys within 30 days of Start, then again every cycle (give or take a
// quarter of it), except the OneTimePercent of accounts that buy only once. Orders have one
// to four lines from a catalogue of 100 SKUs in five categories, at unit prices from 5.00
// to 500.00 with costs at 50–80 % of the price, quantities 1–20. ReturnPercent of the
// orders see one line returned in part or in full some days later. Orders and returns are
// written in time order; the generator's memory holds the accounts and the returns still
// to come, not the history.
func GenerateHistory(w io.Writer, opt GenerateOptions) error {
	var errs []error
	if opt.Orders < 0 {
		errs = append(errs, loyalty.Invalid("orders", opt.Orders, "must not be negative"))
	}
	if opt.Accounts < 0 {
		errs = append(errs, loyalty.Invalid("accounts", opt.Accounts, "must not be negative"))
	}
	if opt.OneTimePercent < 0 || opt.OneTimePercent > 100 {
		errs = append(errs, loyalty.Invalid("one_time_percent", opt.OneTimePercent, "must lie in [0, 100]"))
	}
	if opt.ReturnPercent < 0 || opt.ReturnPercent > 100 {
		errs = append(errs, loyalty.Invalid("return_percent", opt.ReturnPercent, "must lie in [0, 100]"))
	}
	if opt.Format != "" && opt.Format != CSV && opt.Format != JSONLines {
		errs = append(errs, loyalty.Invalid("format", string(opt.Format), `must be "csv" or "jsonl"`))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("campaign: generate history: %w", err)
	}
	if opt.Orders == 0 {
		opt.Orders = 1000
	}
	if opt.Accounts == 0 {
		opt.Accounts = max(1, opt.Orders/10)
	}
	if opt.Start.IsZero() {
		opt.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if opt.Currency.IsZero() {
		opt.Currency = loyalty.MustCurrency("RUB")
	}
	if opt.Format == "" {
		opt.Format = CSV
	}
	g := &generator{opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, 0x6c6f79616c7479)), bw: bufio.NewWriterSize(w, 64*1024)}
	if opt.Format == CSV {
		g.cw = csv.NewWriter(g.bw)
		if err := g.cw.Write(historyColumns[:]); err != nil {
			return err
		}
	}
	if err := g.run(); err != nil {
		return fmt.Errorf("campaign: generate history: %w", err)
	}
	if g.cw != nil {
		g.cw.Flush()
		if err := g.cw.Error(); err != nil {
			return fmt.Errorf("campaign: generate history: %w", err)
		}
	}
	if err := g.bw.Flush(); err != nil {
		return fmt.Errorf("campaign: generate history: %w", err)
	}
	return nil
}

const (
	genCategories  = 5
	genSKUsPerCat  = 20
	genSKUs        = genCategories * genSKUsPerCat
	genMaxLines    = 4
	genMaxQuantity = 20
)

var genCategoryNames = [genCategories]string{"tools", "hardware", "paint", "electrical", "garden"}

type genAccount struct {
	id      string
	buyers  int
	cycle   int // days
	oneTime bool
}

// genEvent is a purchase of an account or a return of an order line.
type genEvent struct {
	at      time.Time
	seq     int
	account int
	// returns only:
	order string
	sku   int
	qty   int
}

type genQueue []genEvent

func (q genQueue) Len() int { return len(q) }
func (q genQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q genQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *genQueue) Push(x any)   { *q = append(*q, x.(genEvent)) }
func (q *genQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type generator struct {
	opt      GenerateOptions
	rng      *rand.Rand
	bw       *bufio.Writer
	cw       *csv.Writer
	price    [genSKUs]int64 // minor units
	cost     [genSKUs]int64
	accounts []genAccount
	q        genQueue
	seq      int
	rec      [len(historyColumns)]string
}

func (g *generator) push(e genEvent) {
	g.seq++
	e.seq = g.seq
	heap.Push(&g.q, e)
}

func (g *generator) run() error {
	scale := int64(1)
	for range g.opt.Currency.Digits() {
		scale *= 10
	}
	for i := range g.price {
		major := 5 + g.rng.Int64N(496)           // 5 … 500
		minor := g.rng.Int64N(100) * scale / 100 // cents
		g.price[i] = major*scale + minor
		g.cost[i] = g.price[i] * (50 + g.rng.Int64N(31)) / 100
	}
	g.accounts = make([]genAccount, g.opt.Accounts)
	for i := range g.accounts {
		a := genAccount{id: fmt.Sprintf("acct-%04d", i+1), buyers: 1 + g.rng.IntN(3), cycle: 7 + g.rng.IntN(39),
			oneTime: g.rng.IntN(100) < g.opt.OneTimePercent}
		g.accounts[i] = a
		at := g.opt.Start.Add(time.Duration(g.rng.IntN(30*24*60)) * time.Minute)
		g.push(genEvent{at: at, account: i})
	}
	orders := 0
	for g.q.Len() > 0 {
		e := heap.Pop(&g.q).(genEvent)
		if e.order != "" {
			if err := g.writeReturn(e); err != nil {
				return err
			}
			continue
		}
		if orders == g.opt.Orders {
			continue // only returns are left to write
		}
		orders++
		if err := g.writeOrder(e, orders); err != nil {
			return err
		}
		a := g.accounts[e.account]
		if !a.oneTime {
			days := a.cycle*3/4 + g.rng.IntN(a.cycle/2+1)
			next := e.at.AddDate(0, 0, max(1, days))
			next = time.Date(next.Year(), next.Month(), next.Day(), 8+g.rng.IntN(11), g.rng.IntN(60), 0, 0, time.UTC)
			if next.Before(e.at) {
				next = e.at.Add(time.Hour)
			}
			g.push(genEvent{at: next, account: e.account})
		}
	}
	return nil
}

func (g *generator) writeOrder(e genEvent, n int) error {
	a := g.accounts[e.account]
	id := fmt.Sprintf("o%07d", n)
	buyer := a.id + "/b" + strconv.Itoa(1+g.rng.IntN(a.buyers))
	nlines := 1 + g.rng.IntN(genMaxLines)
	var skus [genMaxLines]int
	var qtys [genMaxLines]int
	for i := 0; i < nlines; i++ {
	pick:
		for {
			skus[i] = g.rng.IntN(genSKUs)
			for j := 0; j < i; j++ {
				if skus[j] == skus[i] {
					continue pick
				}
			}
			break
		}
		qtys[i] = 1 + g.rng.IntN(genMaxQuantity)
		if err := g.write(id, "", e.at, a.id, buyer, skus[i], strconv.Itoa(qtys[i]), true); err != nil {
			return err
		}
	}
	if g.rng.IntN(100) < g.opt.ReturnPercent {
		l := g.rng.IntN(nlines)
		g.push(genEvent{at: e.at.AddDate(0, 0, 1+g.rng.IntN(20)), account: e.account, order: id, sku: skus[l], qty: 1 + g.rng.IntN(qtys[l])})
	}
	return nil
}

func (g *generator) writeReturn(e genEvent) error {
	return g.write(e.order, "return", e.at, g.accounts[e.account].id, "", e.sku, strconv.Itoa(e.qty), false)
}

func (g *generator) write(order, kind string, at time.Time, account, buyer string, sku int, qty string, sale bool) error {
	r := &g.rec
	*r = [len(historyColumns)]string{}
	r[0], r[1], r[2], r[3], r[4] = order, kind, at.UTC().Format(time.RFC3339), account, buyer
	r[5], r[6], r[7] = fmt.Sprintf("sku-%03d", sku), genCategoryNames[sku/genSKUsPerCat], qty
	if sale {
		p, err := loyalty.MoneyFromMinor(g.price[sku], g.opt.Currency)
		if err != nil {
			return err
		}
		c, err := loyalty.MoneyFromMinor(g.cost[sku], g.opt.Currency)
		if err != nil {
			return err
		}
		r[8], r[9] = p.Amount(), c.Amount()
	}
	if g.cw != nil {
		return g.cw.Write(r[:])
	}
	obj := make(map[string]string, len(historyColumns))
	for i, c := range historyColumns {
		if r[i] != "" {
			obj[c] = r[i]
		}
	}
	b, err := json.Marshal(obj) // keys sorted: deterministic
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = g.bw.Write(b)
	return err
}
