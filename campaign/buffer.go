package campaign

import (
	"sync/atomic"

	"github.com/loyaltykit/loyalty/discount"
)

// A QuoteBuffer is memory that [Engine.EvaluateInto] writes quotes into and reuses for the
// next one, for callers that evaluate order after order and drop each quote soon (a
// checkout pricing carts as they change, a server answering price requests, a replay of
// orders). A quote written into a buffer lives there until the next EvaluateInto with it.
// The zero value is an empty buffer, ready to use.
//
// A QuoteBuffer serves one evaluation at a time (EvaluateInto refuses a second one running
// at once); give each goroutine its own, or keep them in a sync.Pool. It keeps the memory of
// the largest quote it has held, until it is dropped. It must not be copied after first use.
type QuoteBuffer struct {
	busy atomic.Bool // an evaluation is writing into the buffer
	mem  quoteMem    // the quote's values it points to, and its short lists
	out  outs        // the arenas of the quote's many short lists
	// The quote's lists of one element per line or per campaign.
	lines       []LineOutcome
	camps       []CampaignOutcome
	discLines   []discount.LineResult
	discEntries []discount.Entry
}

// reset empties the buffer for the next quote, clearing what the last one used: the
// evaluation writes into zeroed memory (see arena).
func (b *QuoteBuffer) reset() {
	b.out.reset()
	b.mem = quoteMem{}
}
