// Package referral runs B2B referral programs: existing customers and partners bring new
// company accounts and are rewarded for it, once, only when the referee really buys, and
// only after the referee can no longer return the order. It is the field's advice made into
// code: reward the referrer rather than give newcomers better terms than regulars.
//
// # Referrers and codes
//
// A [Referrer] is a company account, an individual buyer of a company, or a partner
// (dealer). [Service.Register] gives each a stable, shareable code: generated from
// crypto/rand (or the [Config] Random source) over [CodeAlphabet], which leaves out
// look-alike characters, checked against every stored code so that it never collides, and
// never changed afterwards; a chosen ("vanity") code may be requested instead. Codes are
// compared in the canonical form of [loyalty.NormalizeCode], so "ivan-2024", "IVAN 2024" and
// a Cyrillic "ІVАN2024" are one code.
//
// # Attribution and fraud guards
//
// [Service.Attribute] attributes a new account (the referee) to the referrer of a code, at
// most one referrer per referee: the first valid referral wins ([FirstWins], the default), or
// the last one within a window ([LastWithinWindow]). Every refusal is a [*RefusalError] with a
// [Reason], matching one sentinel: [ErrSelfReferral] (same account, same buyer, a buyer's own
// company or a colleague, matching contacts or tax identifiers supplied by the caller in an
// [Identity]),
// [ErrAlreadyCustomer] (by the caller's word, or an identifier of
// another referee), [ErrAlreadyAttributed], [ErrCycle] (A refers B refers A, or any longer
// chain) and [ErrVelocity] ([VelocityLimit]). An unknown code is [ErrUnknownCode].
//
// # Conversion, rewards and finality
//
// A referral converts on the referee's first order of at least [Rules].MinOrder placed
// within ConvertWithinDays of the attribution ([Service.RecordOrder]), or on a custom event
// ([Service.RecordEvent]). Rewards are data ([Reward]: points, a discount rate, a promo-code
// family, a money credit) in [Grant] records that the orchestrator grants through the
// packages that own them; this package imports none of them. Programs are one-sided
// (ReferrerRewards) or two-sided (RefereeRewards too; WelcomeRewards give the referee a
// first-order benefit at once). Conversion rewards stay [GrantPending] until the order's
// return window closes ([Service.Settle] makes them [GrantFinal]); a return inside it that
// leaves less than the minimum kept cancels them ([Service.RecordReturn]), and a cancelled
// referral never converts again. [Milestone] rewards are reached on counts of final
// conversions (every 5th, a bonus at the 10th), so they are never taken back. Caps
// ([Cap]) limit what a referrer earns per calendar period.
//
// # The flow, for an orchestrator
//
//  1. [Service.Register] when a customer or partner asks for its code.
//  2. [Service.Attribute] when a new account signs up with a code; grant the returned
//     welcome grants ([Grant]: the referee's first-order benefit).
//  3. [Service.RecordOrder] for every order of a referred account (an account that was
//     never referred fails with [ErrUnknownReferee]); [Rules.Qualify] answers the same
//     question without changing anything, for dry runs. Conversion grants come back
//     [GrantPending]: show them, or book them as pending.
//  4. [Service.RecordReturn] for every return of a referred account.
//  5. [Service.Settle] periodically (daily): grant the returned [GrantFinal] grants, each
//     under its Grant.ID as the idempotency key downstream.
//
// [Referral.Explain] and the Reason of every [Result] say in words what happened and why.
//
// # Idempotency
//
// Every event carries a [loyalty.IdempotencyKey]: a retry with the same key and payload
// returns the first result, marked Replayed, and changes nothing; the same key with another
// payload is [ErrKeyReused]. Each referee converts at most once and every grant has a stable
// ID, so nothing is rewarded twice, also under concurrent calls.
//
// # Stores
//
// The [Service] works over a [Store] whose writes run in one atomic Update transaction;
// [NewMemoryStore] is the embedded default, and package referraltest is the conformance
// suite every Store must pass. [Service.Report] reports per referrer.
//
// # Time, rounding and concurrency
//
// The service takes a [loyalty.Clock]; day counts and cap periods are computed in
// [Rules].Location. Points are integers and money is [loyalty.Money]; caps cut rewards down
// exactly, and nothing here rounds. [Service] and [MemoryStore] are safe for concurrent use;
// the other types are plain values.
package referral
