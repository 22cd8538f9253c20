// Package discount prices an order under a shop's discount policy and answers the domain's
// central question: what a discount costs in profit.
//
// It is pure calculation: no storage, no I/O, no clock. The accumulated spend a cumulative
// discount reads is supplied by the caller as a [History].
//
// # Pricing an order
//
// A [Policy] declares the candidate [Discount]s (kinds: [Percent], [AmountOff],
// [AmountPerUnit], [FixedPrice], [BuyXGetY], [NthFree], [CheapestFree], [Volume] and
// [Cumulative]), each with a [Scope] of lines (categories, SKUs, tags, exclusions such as
// items already on promotion) and a [Condition] (minimum subtotal, promo code, accounts,
// validity window); personal [Term]s per account; how the discounts stack ([Stacking]:
// exclusive, best-of, additive, sequential, in optional [Group]s with stop-after); a [Cap]
// and a margin [Floor]. [New] validates and compiles it into a [Calculator], whose
// [Calculator.Apply] returns a [Result]: totals, every line, and an [Entry] for every
// candidate recording whether it applied, how much on each line, and the [Reason] codes
// for what it did not give (threshold-not-met, excluded, lost-to-better, trimmed-by-floor,
// trimmed-by-cap, …). [Result.Explain] renders that record as plain sentences, on demand,
// so that the hot path only records data.
//
// Evaluation order never depends on the order in which discounts are listed: units are
// evaluated by Priority (lower first), then by ID.
//
// # Percentages and rounding
//
// Every percentage in this package is a percent value from 0 to 100 as a
// [github.com/shopspring/decimal.Decimal] (15 means 15 %); no floats appear anywhere. A
// rate-based discount is computed once on the sum of its eligible lines with
// [loyalty.Money.MulRate] and the policy's rounding mode (half-up by default), then split
// across the lines with [loyalty.Money.AllocateInto] (largest remainder), so the line amounts
// always sum exactly to the discount. Rates that multiply (a decayed cumulative rate, a
// personal term added to a rate) are combined before the single multiplication. Trims by a
// cap are re-allocated the same way. Margin floors are rounded up ([loyalty.Ceiling]) so
// they are never undercut; caps given as a percentage are rounded down.
//
// Invariants: a discount never exceeds the price left on the line it applies to, a line
// total never goes negative, and a line whose unit cost is known never falls below its
// floor (by default its cost).
//
// # Margin-impact mathematics
//
// [ProfitShare], [BonusProfitShare], [BreakEvenUplift], [MaxDiscountForUplift],
// [MarkupToMargin], [MarginToMarkup], [EffectiveCashback] and [TeachingTable] are exact
// decimal functions, documented with their formulas; they divide with
// [github.com/shopspring/decimal.Decimal.DivRound] at [Precision] decimal places and return
// errors, never infinities, for inputs that make no sense.
//
// # Concurrency
//
// Policies and results are plain values. A [Calculator] is immutable and safe for
// concurrent use; it reuses the scratch memory of finished evaluations (a sync.Pool of its
// own), and a [Result] shares none of it. [Calculator.ApplyInto] writes into a Result the
// caller reuses, so that pricing order after order allocates nothing once it has grown;
// [Calculator.ApplyChecked] does the same for an order the caller has validated, with its
// line totals, for orchestrators that validate an order once and price it in several steps.
// [Result.UseMemory] hands either of them memory of the caller's own (an arena holding
// several results: [Calculator.Candidates] says how many entries a Result has); the memory
// is the Result's from then on, and the Calculator keeps no reference to it.
// The package has no global mutable state.
//
// # Performance
//
// An evaluation computes in int64 minor units of the policy currency: every amount it
// handles is a part of the order's subtotal, so its sums cannot overflow once the subtotal
// fits. Rates are prepared once by [New] for [loyalty.MulRound], the routine
// [loyalty.Money.MulRate] rounds with, and splits go through [loyalty.AllocateInts], the
// routine of [loyalty.Money.AllocateInto]: the results are exactly those of the Money
// operations. New also prepares what does not depend on the order: every candidate's entry
// as an evaluation starts it, and an index of the codes the discounts require (an order's
// codes become a set of flags once). An evaluation's scratch memory is pooled; a
// discount's line amounts are limited, written into its entry and taken off the price left
// in one pass.
package discount
