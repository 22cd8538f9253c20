package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/tier"
)

// event is one document of the batch, an order or a return, at its time.
type event struct {
	at  time.Time
	ord *orderDoc
	ret *returnDoc
}

// batch runs the documents of one batch through an engine.
type batch struct {
	w      io.Writer
	eng    *campaign.Engine
	st     campaign.Stores
	clock  *loyalty.ManualClock
	hooks  hooks
	stop   int // stop after this many orders; 0 means never
	orders int // orders handled so far
	// quote holds the quote of the order being committed: a batch needs it only until the
	// commit (which keeps its own), so one buffer serves every order without allocating.
	quote campaign.QuoteBuffer

	// What this run did.
	committed, replayed, refused              int
	returned, returnsReplayed, returnsRefused int
	retries                                   int
}

// Backoff of the retries of transient errors: attempts at most, the first delay, doubling
// up to the last.
const (
	attempts   = 5
	firstDelay = 50 * time.Millisecond
	maxDelay   = time.Second
)

// errStopped ends a batch stopped by -stop-after.
var errStopped = errors.New("stopped")

// transient reports whether err may go away by itself, so that the same step is worth
// trying again: a stale quote (the account changed between evaluation and commit) and any
// error that is none of the library's refusals (a busy or unreachable database, a lost
// connection). Invalid input, conflicts, unknown orders and business refusals are final.
func transient(err error) bool {
	switch {
	case errors.Is(err, campaign.ErrStaleQuote):
		return true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, loyalty.ErrInvalid), errors.Is(err, loyalty.ErrConflict),
		errors.Is(err, loyalty.ErrNotFound), errors.Is(err, loyalty.ErrCurrencyMismatch),
		errors.Is(err, loyalty.ErrOverflow), errors.Is(err, campaign.ErrBudgetExhausted),
		errors.Is(err, points.ErrInsufficientPoints):
		return false
	}
	return true
}

// retry runs fn until it succeeds, fails for good, or has failed transiently attempts
// times, waiting firstDelay, then twice as long each time, at most maxDelay, in between.
func (b *batch) retry(ctx context.Context, fn func() error) error {
	delay := firstDelay
	for n := 1; ; n++ {
		err := fn()
		if err == nil || !transient(err) || n == attempts {
			return err
		}
		b.retries++
		if err := b.hooks.sleep(ctx, delay); err != nil {
			return err
		}
		delay = min(2*delay, maxDelay)
	}
}

// run handles the events, which are in time order, and the nightly jobs of every day from
// the first event's through the batch date.
func (b *batch) run(ctx context.Context, events []event, first, last time.Time) error {
	i := 0
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		next := day.AddDate(0, 0, 1)
		header := false
		head := func() {
			if !header {
				fmt.Fprintf(b.w, "%s\n", day.Format(time.DateOnly))
				header = true
			}
		}
		for ; i < len(events) && events[i].at.Before(next); i++ {
			head()
			if err := b.handle(ctx, events[i]); err != nil {
				return err
			}
		}
		line, err := b.nightly(ctx, next)
		if err != nil {
			return err
		}
		if line != "" {
			head()
			fmt.Fprintf(b.w, "  nightly: %s\n", line)
		}
	}
	return nil
}

func (b *batch) handle(ctx context.Context, ev event) error {
	if ev.ord != nil {
		if b.stop > 0 && b.orders == b.stop {
			return errStopped
		}
		b.orders++
		return b.commit(ctx, ev.ord)
	}
	return b.ret(ctx, ev.ret)
}

// commit commits one order document exactly once. The engine's journal answers a key it
// has seen by the order alone: a finished commit is replayed, an interrupted one resumed,
// another order under the same document number is a conflict. Only a new key is evaluated
// (at the order's time) and committed.
func (b *batch) commit(ctx context.Context, d *orderDoc) error {
	o := d.order
	var r campaign.Receipt
	var state, before campaign.State
	seen := false
	err := b.retry(ctx, func() error {
		err := b.st.Orders.View(ctx, func(tx campaign.OrderReadTx) error {
			rec, err := tx.Commit(d.key)
			if errors.Is(err, loyalty.ErrNotFound) {
				state = ""
				return nil
			}
			state = rec.State
			return err
		})
		if err != nil {
			return err
		}
		if !seen {
			before, seen = state, true
		}
		b.clock.Set(o.PlacedAt)
		if state == campaign.Done || state == campaign.Pending {
			r, err = b.eng.Commit(ctx, campaign.Quote{Order: o}, d.key)
			return err
		}
		q, err := b.eng.EvaluateInto(ctx, &b.quote, o, campaign.EvaluateOptions{})
		if err != nil {
			return err
		}
		r, err = b.eng.Commit(ctx, q, d.key)
		return err
	})
	head := fmt.Sprintf("  %s %s order %s (%s)", o.PlacedAt.Format("15:04"), d.document, o.ID, o.Account)
	if err != nil {
		if transient(err) {
			return fmt.Errorf("%s: %w", strings.TrimSpace(head), err)
		}
		b.refused++
		reason := refusal(err)
		if errors.Is(err, loyalty.ErrConflict) {
			if state != "" {
				reason = "document " + d.document + " was committed before with other contents"
			} else {
				reason = "order " + string(o.ID) + " was committed before under another document"
			}
		}
		fmt.Fprintf(b.w, "%s: refused: %s\n", head, reason)
		return nil
	}
	// An order is already done when it was before this run; a commit that this run retried
	// after its last step succeeded replays, but it was this run's.
	what := "committed"
	if r.Replayed && before == campaign.Done {
		what = "already done"
		b.replayed++
	} else {
		b.committed++
	}
	t := r.Quote.Totals
	fmt.Fprintf(b.w, "%s: %s: %s, discount %s, to pay %s, %+d points%s\n", head, what,
		t.Subtotal, t.Discount, t.ToPay, r.Earned(points.ForAccount(o.Account)), b.levelNote(r))
	return nil
}

// levelNote names the tier level an order was priced at, and the level it earned.
func (b *batch) levelNote(r campaign.Receipt) string {
	q := r.Quote.Tier
	if q == nil {
		return ""
	}
	note := " (" + q.Name
	if r.Tier != nil && r.Tier.Level != q.Level {
		note += ", now " + b.eng.Program().Tiers.Levels[r.Tier.Level].Name
	}
	return note + ")"
}

// refusal says why the library refused a document: the field error of invalid input, in
// the library's words; what is unknown; or the error itself.
func refusal(err error) string {
	var fe *loyalty.FieldError
	switch {
	case errors.As(err, &fe):
		return fe.Error()
	case errors.Is(err, loyalty.ErrNotFound):
		return "not found: " + err.Error()
	}
	return err.Error()
}

// ret applies one return document exactly once. The returned SKUs are found among the lines
// of the committed order.
func (b *batch) ret(ctx context.Context, d *returnDoc) error {
	var rr campaign.ReturnReceipt
	var before campaign.State
	seen := false
	err := b.retry(ctx, func() error {
		if !seen {
			err := b.st.Orders.View(ctx, func(tx campaign.OrderReadTx) error {
				r, err := tx.Return(d.key)
				if errors.Is(err, loyalty.ErrNotFound) {
					before = ""
					return nil
				}
				before = r.State
				return err
			})
			if err != nil {
				return err
			}
			seen = true
		}
		lines, err := b.returnLines(ctx, d)
		if err != nil {
			return err
		}
		b.clock.Set(d.at)
		rr, err = b.eng.Return(ctx, d.order, lines, d.key)
		return err
	})
	head := fmt.Sprintf("  %s %s return from order %s", d.at.Format("15:04"), d.document, d.order)
	if err != nil {
		if transient(err) {
			return fmt.Errorf("%s: %w", strings.TrimSpace(head), err)
		}
		b.returnsRefused++
		fmt.Fprintf(b.w, "%s: refused: %s\n", head, refusal(err))
		return nil
	}
	what := "returned"
	if rr.Replayed && before == campaign.Done {
		what = "already done"
		b.returnsReplayed++
	} else {
		b.returned++
	}
	var reversed points.Points
	for _, p := range rr.Points {
		reversed += p.Points(points.KindReverse)
	}
	fmt.Fprintf(b.w, "  %s %s return from order %s (%s): %s: %s paid back, %d points taken back\n",
		d.at.Format("15:04"), d.document, d.order, rr.Plan.Account, what, rr.Plan.Paid, reversed)
	return nil
}

// returnLines maps the SKUs of a return document to the lines of the committed order.
func (b *batch) returnLines(ctx context.Context, d *returnDoc) ([]loyalty.ReturnLine, error) {
	var order loyalty.Order
	err := b.st.Orders.View(ctx, func(tx campaign.OrderReadTx) error {
		o, err := tx.Order(d.order)
		if err != nil {
			return err
		}
		c, err := tx.Commit(o.Key)
		if err != nil {
			return err
		}
		if c.State != campaign.Done {
			return fmt.Errorf("order %s is not committed: %w", d.order, loyalty.ErrNotFound)
		}
		order = c.Quote.Order
		return nil
	})
	if err != nil {
		return nil, err
	}
	lines := make([]loyalty.ReturnLine, 0, len(d.lines))
	for _, rr := range d.lines {
		i := slices.IndexFunc(order.Lines, func(l loyalty.Line) bool { return l.SKU == rr.sku })
		if i < 0 {
			return nil, fmt.Errorf("row %d: %w", rr.row, loyalty.Invalid("sku", rr.sku, "is not a line of order "+string(d.order)))
		}
		lines = append(lines, loyalty.ReturnLine{Line: i, Quantity: rr.qty})
	}
	return lines, nil
}

// lastReview returns the time of the last nightly tier review, or the zero time when there
// was none (or the program has no tiers).
func (b *batch) lastReview(ctx context.Context) (time.Time, error) {
	var last time.Time
	if b.eng.Tiers() == nil {
		return last, nil
	}
	err := b.retry(ctx, func() error {
		return b.st.Tiers.View(ctx, func(tx tier.ReadTx) error {
			var err error
			last, err = tx.LastBatchReview()
			return err
		})
	})
	return last, err
}

// nightly runs the jobs of the night that starts the day at: due point activations and
// expiries, and the tier review. A night whose tier review has already run (a batch run
// again) is skipped: the review refuses a time before its last one, and the expiry job
// changes nothing at an earlier time anyway. It returns what the jobs did in words, or ""
// when they did nothing.
func (b *batch) nightly(ctx context.Context, at time.Time) (string, error) {
	last, err := b.lastReview(ctx)
	if err != nil {
		return "", err
	}
	if !last.Before(at) {
		return "", nil
	}
	b.clock.Set(at)
	var run points.ExpiryRun
	for _, l := range []*points.Ledger{b.eng.Points(), b.eng.BuyerPoints()} {
		if l == nil {
			continue
		}
		var r points.ExpiryRun
		err := b.retry(ctx, func() error {
			var err error
			r, err = l.Expire(ctx)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("nightly jobs of %s: %w", at.AddDate(0, 0, -1).Format(time.DateOnly), err)
		}
		run.Activated += r.Activated
		run.Expired += r.Expired
	}
	var parts []string
	if run.Activated > 0 {
		parts = append(parts, fmt.Sprintf("%d points activated", run.Activated))
	}
	if run.Expired > 0 {
		parts = append(parts, fmt.Sprintf("%d points expired", run.Expired))
	}
	if ts := b.eng.Tiers(); ts != nil {
		var rep tier.BatchReport
		err := b.retry(ctx, func() error {
			var err error
			rep, err = ts.ReviewAll(ctx, at)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("nightly jobs of %s: %w", at.AddDate(0, 0, -1).Format(time.DateOnly), err)
		}
		levels := b.eng.Program().Tiers.Levels
		for _, c := range rep.Changes {
			if c.From != c.To {
				parts = append(parts, fmt.Sprintf("%s %s → %s", c.Account, levels[c.From].Name, levels[c.To].Name))
			}
		}
	}
	return strings.Join(parts, "; "), nil
}
