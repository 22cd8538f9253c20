// Package points is the bonus-points ledger of loyaltykit: earn rules, holders, pending
// points, expiry, redemption, returns, idempotency, balances, coalitions and liability.
//
// # Earning
//
// [Rules] are a program's earning rules as one plain value: [Rate]s per category, SKU or
// tag ("fuel: 1 point per full 10 spent; shop goods: 3 per full 10", "5% of the ticket
// price", "10 points per unit"), [Exclusions] (items on promotion, gift cards), a bonus per
// order, [EventRule]s for earning that is not a purchase (a completed course, a recycled
// cartridge), a [Cap] per period, the pending delay and the [Expiry]. [Rules.Plan] is pure:
// given a [loyalty.Order] and a multiplier (a tier's ×1.5) it returns a [Plan], the points
// of every order line, so that a return can reverse exactly what a line earned, and
// [Rules.Explain] puts it into plain words. A [Planner] checks the rules once and then plans
// many orders exactly as Rules.Plan does, in integer arithmetic; [Planner.PlanPair] plans
// one order at two multipliers at once, and [Planner.PlanTotals] and [Planner.PlanPairTotals]
// plan an order the caller has validated, with its line totals (from
// [loyalty.Order.ValidateInto]); [Planner.PlanTotalsInto] and [Planner.PlanPairTotalsInto]
// keep the plans' lines in memory the caller provides (a quote's) and allocate nothing.
// [Rate.Cashback] gives a rate's effective cashback at a point value.
//
// # The ledger
//
// A [Ledger] applies plans and every other change to a [Store] as immutable [Entry] values
// (earn, activate, spend, expire, reverse, restore, repay, credit, debit, transfer) and keeps
// a balance row per [Holder] — a company account or an individual buyer; one order can
// credit both — so that [Ledger.Balance] reads one row however long the history.
//
// Every credit is a [Lot] with its own activation time and expiry, computed in the program's
// time zone with explicit month ends (31 January + 1 month: usable through the end of
// February). Spending takes the soonest-expiring lots first, then the oldest. Pending lots
// activate by themselves after the delay or by [Ledger.Activate]. Due activations and
// expiries are applied by [Ledger.Expire] and, lazily, by every operation that touches the
// holder, so balances are always those of the clock's now.
//
// [Ledger.Redeem] lets points pay part of an order within the limits of [Redemption] (at
// most a share of the order, at least a minimum, at a stated value per point);
// [Ledger.RedeemReward] buys from the reward catalogue. [Ledger.Return] reverses per line,
// in proportion to the quantity returned, what the line earned and restores the points
// that paid for it, under a [ReturnPolicy] for points already spent. [Ledger.Transfer] moves
// points between holders with their expiry, [Ledger.Adjust] corrects a balance with a
// reason and an actor. Entries record the issuing and accepting coalition partner;
// [Ledger.Settlement] nets them per partner pair, and [Ledger.Liability] values outstanding
// points with an expected redemption rate and forecasts expiry.
//
// [Ledger.Balance] reports active, pending, spent, expired, reversed points and any negative
// balance; [Ledger.History] pages through a holder's entries, and [Ledger.Upcoming] says
// what expires next and when.
//
// Every mutation takes a [loyalty.IdempotencyKey]: repeating it returns the first result
// and changes nothing; reusing it for a different request fails with [loyalty.ErrConflict].
// A failed operation leaves the store exactly as it was. Spending more than is available
// fails with [ErrInsufficientPoints] (an [*InsufficientPointsError] with have and need).
//
// # Stores
//
// [Store] is a small transactional interface ([Store.Update] with a [Tx], [Store.View] with
// a [ReadTx]) that maps onto one SQL transaction. [NewMemoryStore] is the embedded default;
// the conformance suite in package pointstest checks any implementation.
// [NewMemoryStoreWith] with a [MemoryOptions.Retention] gives a memory store that forgets
// idempotency records, purchase records, entries and closed lots older than the retention,
// so that a long replay (campaign.Simulate) keeps per-holder state only; what it has
// forgotten is reported with [ErrForgotten].
//
// # Rounding
//
// [Points] are integers and never rounded by a currency. Block rates ("per full 10") floor
// to whole blocks of the value of all the order's lines under that rate; a fraction of a
// point (a share of the price, a multiplier) is rounded once per rate and order with
// [Rules.Rounding] (half-up unless set), and the result is split over the lines by largest
// remainder, so line points always sum to the order's points. Partial returns use
// cumulative largest-remainder shares, exact over any sequence of returns. Converting points
// to money rounds once with [Redemption.Rounding]; the cap on an order is computed so the
// converted value never exceeds it.
//
// # Concurrency
//
// [Ledger] and the memory store are safe for concurrent use: every operation is one
// serializable transaction, so concurrent spends from one holder never overspend. Rule and
// configuration values are safe for concurrent use when not modified.
package points
