// Package promo issues and checks promo codes: generation, normalisation, definitions with
// conditions and limits, and the lifecycle of a use — validate, reserve, redeem, release,
// roll back — exact under concurrent checkouts.
//
// # Codes
//
// A code as typed is first brought to its canonical form by [Normalize] (case, separators,
// full-width forms and Cyrillic or Greek look-alikes folded; anything else refused before
// any lookup). Generated codes follow a [Format], a pattern such as "SALE-####-###?" over an
// [Alphabet] ([DefaultAlphabet] has no look-alikes 0/O, 1/I/L) with an optional check
// character (a weighted sum modulo the alphabet size), compiled into a [Scheme] that checks a typed code without a store
// lookup ([Scheme.Check]), prints it ([Scheme.Display]) and generates batches of unique codes
// from crypto/rand ([Scheme.Generate]), refusing with [ErrPatternSpace] rather than looping
// when the pattern is too small.
//
// # Definitions
//
// A [Definition] is a family of codes: its [Kind] (single-use, multi-use, shareable,
// personal), the [Benefit] it grants (a percentage, an amount, points or a reference: data
// the orchestrator applies; promo computes no discount), its [Conditions] (validity
// [Window] in the program's time zone, minimum amounts, scopes and exclusions including
// items already on promotion, first order only, eligible accounts, tiers and segments,
// promotions it cannot be combined with), its [Limits] (total, per code, per account, per
// calendar period) and an optional periodic [Issuance] (fresh codes to recent buyers).
// A program declares its families together as [Rules].
// [Evaluate] checks the conditions purely and returns a [Grant]: the benefit and the order
// lines it applies to.
//
// # Service and store
//
// A [Service] runs the lifecycle over a [Store] (a [MemoryStore] by default; SQL stores
// live in sqlstore): [Service.Validate] is a dry run ([Service.ValidateChecked] for a
// checkout its caller has validated already, [Service.ValidateCheckedInto] with the grant's
// lines in the caller's memory; over a [MemoryStore] they read the stored definition
// without copying it), [Service.Reserve] holds a use for a
// checkout for a time-to-live (an expired reservation frees its use), [Service.Redeem]
// consumes it, [Service.Release] cancels it and [Service.Rollback] reverses a redemption on
// a return. Each is idempotent by the caller's key. [Service.Revoke] withdraws a code (a
// code a campaign issued for an order that was returned, say): every later use is refused
// with [ErrRevoked]; a code with a use that holds is not revoked ([ErrCodeInUse]), since
// that use belongs to its order. A [Revocation] is recorded under the caller's key. Every check-and-count runs in one store
// transaction, so however many checkouts race for the last use, exactly as many succeed as
// the limits allow. Conformance tests for stores are in promo/promotest.
//
// # Refusals
//
// Every refusal is a [*RefusalError] matching one sentinel, so a shop can show the right
// message: [ErrCodeEmpty], [ErrCodeTooLong], [ErrCodeCharset], [ErrCheckCharacter],
// [ErrUnknownCode], [ErrNotYetValid], [ErrCodeExpired], [ErrExhausted], [ErrAccountLimit],
// [ErrPeriodLimit], [ErrForeignAccount], [ErrNotEligible], [ErrFirstOrderOnly],
// [ErrNotCombinable], [ErrMinimumOrder], [ErrNotApplicable], [ErrRevoked]. Errors speak only of the typed
// code and the order, never of other codes: nothing distinguishes a code that never
// existed from one of another shape, and a personal code of another account reveals
// nothing but that.
//
// # Concurrency, money and time
//
// [Service], [Scheme] and [MemoryStore] are safe for concurrent use; definitions and other
// values are plain data, safe to share as long as nobody modifies them. promo does no money arithmetic beyond comparing subtotals with
// minimums (exactly, in minor units); it never rounds. Times come from the [loyalty.Clock]
// given to the service; periods and issue dates are computed in the program's location.
package promo
