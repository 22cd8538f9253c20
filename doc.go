// Package loyalty is the shared vocabulary of loyaltykit, an embeddable, pure-Go library for
// B2B loyalty programs: tiers, bonus points, cumulative and volume discounts, promo codes,
// referrals and campaigns, correct to the last kopek and able to explain every decision.
//
// This root package holds only what every other package speaks: money, quantities and
// prices, identifiers, the order model, shared errors, and time. It imports nothing else
// of the library.
//
// # Map of the library
//
// Domain packages depend on this package and never on each other; only campaign combines
// them. Each returns decisions as data (a discount breakdown, a points posting, a reward to
// grant) that the orchestrator applies through stores.
//
//   - loyalty (this package): [Money], [Currency], [Price], [Quantity], [Order], [Line],
//     identifiers such as [AccountID], errors, [Clock] and calendar [Period]s.
//   - points: the bonus-points ledger: earn rules, pending points, expiry, redemption,
//     returns, coalitions, liability.
//   - tier: level ladders, qualification windows, asymmetric upgrade and downgrade reviews,
//     projection, batch review.
//   - discount: fixed, volume, cumulative and personal discounts, stacking, exact allocation,
//     margin floors, and margin-impact mathematics.
//   - promo: promo-code generation, normalisation, validation, reservation, redemption.
//   - referral: referral codes, two-sided rewards, conversion, fraud guards.
//   - campaign: the Program that wires everything together: evaluate, commit, return;
//     time-boxed campaigns and simulation are being built.
//   - examples: runnable programs for shops, ERP teams and educators.
//   - sqlstore: PostgreSQL and SQLite stores, in their own module (promo and referral so
//     far; points, tier and campaign are being built).
//
// Stateful packages share one store pattern: a small Store interface in the package that
// uses it, whose Update method runs a function in one atomic transaction (retried by SQL
// stores on serialization failures), an in-memory implementation for embedding, and a
// conformance suite (pointstest, tiertest, promotest, referraltest) that every
// implementation must pass.
//
// # Money and rounding
//
// A [Money] is an int64 count of minor units (kopeks, cents) and a [Currency]; it never holds
// a fraction of a minor unit, and arithmetic on it does not allocate. Overflow and mixing
// currencies are errors ([ErrOverflow], [*CurrencyMismatchError]), never a wrap-around, a
// panic or a silent conversion. No floats appear anywhere: amounts are parsed from strings
// or built from minor units, and rates are [github.com/shopspring/decimal] values.
//
// An operation that produces a fraction computes exactly and rounds once, with a named
// [RoundingMode] ([HalfUp] by default): [Money.MulRate] for an amount times a rate,
// [Price.Times] for a line total (prices and quantities are fixed-point with six decimals,
// so a price list may quote 0.3555 for a bolt and fuel may be sold by the hundredth of a
// litre). To apply several rates, combine the rates first and round once.
//
// Splitting an amount (a discount across order lines, a refund across lots) uses
// [Money.Allocate], largest-remainder allocation: the parts always sum exactly to the whole,
// deterministically; [AllocateInts] does the same for integer counts such as points.
// [Money.Split] divides evenly.
//
// # Errors
//
// Validation errors are [*FieldError] values that name the offending field by path and the
// offending value ("lines[3].quantity: must be positive (got -1)"); several are joined with
// [errors.Join] and all match [ErrInvalid]. Stores report [ErrNotFound] and [ErrConflict].
// Nothing in the library panics on user input; the Must… constructors are for tests and
// examples.
//
// # Time
//
// Pure calculations take the current time as an argument; services take a [Clock], which
// tests and simulations replace with a [ManualClock]. Calendar rules are computed in the
// program's [time.Location]: convert a time with [time.Time.In] before asking for its
// [Period]. [AddMonths] is explicit about month ends (31 January + 1 month is the end of
// February).
//
// # Concurrency
//
// Every value type of this package is immutable and safe for concurrent use; [ManualClock]
// is safe for concurrent use. The package has no global mutable state.
package loyalty
