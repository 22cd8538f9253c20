// Package campaign is the orchestrator of loyaltykit: a [Program] declares a whole loyalty
// program — tier ladder, discount policy, points earning and redemption, promo codes,
// referrals — and an [Engine] runs it with three calls: [Engine.Evaluate] (a dry run that
// writes nothing), [Engine.Commit] (exactly once per idempotency key) and [Engine.Return].
// It is the only package that imports points, tier, discount, promo and referral.
//
// # Program
//
// A Program is one plain, JSON-able value. [LoadProgram] reads it strictly (unknown fields
// and trailing data are errors) and [Program.Validate] checks it as a whole, naming every
// problem by its path ("discounts.discounts[2].percent: …", "tiers.currency: …"); amounts in
// another currency than the program's are errors wherever they occur.
//
// # Evaluate
//
// [Engine.Evaluate] runs a pipeline of small steps over the order and the account's state at
// the clock's now, and returns a [Quote], plain data:
//
//  1. the order is validated and must be in the program's currency;
//  2. the engine's own [OrderStore] gives the account's purchase history (for cumulative
//     discounts) and its number of orders (for first-order conditions);
//  3. the tier service gives the account's effective level at now (tier.Service.EffectiveAt,
//     which stores nothing; an account the tier store does not know is at the entry level);
//  4. every entered code is checked: a promo code with promo.Service.Validate (its refusal
//     is kept in the quote, matching the promo sentinel through [CodeOutcome.Err]); a code
//     that is no promo code is looked up as a referral code, valid on a first order of an
//     account not yet referred;
//  5. the program's campaigns whose schedule covers the order's time (see Campaigns below)
//     are selected, by priority; a selected campaign's discount is one more candidate
//     "campaign:<id>" enabled by an internal code (on the lines its conditions select), its
//     bonus points and multiplier join the earning;
//  6. the discount calculator prices the order. Besides the policy's discounts it holds the
//     engine's candidates: "tier:<level>" (the level's DiscountRate over the whole order),
//     "code:<family>" (a promo family's Percent or Amount benefit on the lines its
//     conditions select) and "referral:welcome" (a referral welcome discount). Each is enabled
//     by an internal code (prefix LKCAMPAIGN, reserved) that only the engine adds to the order
//     it prices, together with the accepted promo codes, so that a policy discount whose
//     Condition.Code names a promo code applies when, and only when, that code was accepted
//     (a promo Ref benefit "discount:<id>" names such a discount). All of them stack by the
//     policy's Stacking (Additive when the policy declares no discounts of its own), under its
//     cap and margin floor. Codes that refuse to combine with a promotion (NotWith,
//     Exclusive) see the policy discounts that apply without any code as the order's
//     promotions;
//  7. points are planned on the prices paid after discounts: every discounted line is
//     repriced at total ÷ quantity (exact with six-decimal prices for any quantity below
//     10,000 units in a two-digit currency, 5,000 for a line made free; otherwise the
//     nearest price, off by at most a few minor units). The company earns
//     by Program.Earning with the level's EarnMultiplier (multipliers are multiplied together
//     before the single rounding of the plan), plus the level's EarnRate: a share of the
//     price paid, in points worth Redemption.PointValue each (one point per major unit when
//     points have no money value: 5 % of 9,000.00 at 1 RUB a point is 450 points), plus the
//     bonus points of codes and welcome rewards, spread over their lines by value. The buyer,
//     if the order names one and the program has BuyerEarning, earns by those rules, without
//     tier benefits. Points that pay part of the order do not reduce what it earns;
//  8. every applied campaign is priced (its discount, its points at the point value, its
//     perks' values); one whose cost exceeds what is left of its money budget is dropped
//     and steps 6 and 7 run again without it;
//  9. a redemption (EvaluateOptions.RedeemPoints) is checked against the company account's
//     available balance (read without writing) and Redemption's limits on the total after
//     discounts; a refusal is kept in the quote;
//  10. totals, and the margin over the lines whose cost is known, before and after discounts
//     and points.
//
// The explanation is recorded as data; [Quote.Explain] renders it as sentences on demand,
// reusing discount.Result.Explain for the discounts.
//
// A quote from Evaluate is the caller's to keep. A caller that evaluates order after order
// and needs each quote only briefly (a cart priced as it changes, a price server) uses
// [Engine.EvaluateInto] with a [QuoteBuffer]: the quote is written into the buffer's memory,
// which the next evaluation into it reuses, so a warm buffer makes no allocation at all.
//
// # Commit: a saga of idempotent steps
//
// [Engine.Commit] first looks up the journal record of its key in the OrderStore: a finished
// commit is returned again (Replayed), a pending one is resumed, a key used for another order
// is loyalty.ErrConflict. A new attempt evaluates the order again and refuses with
// [ErrStaleQuote] when the outcome differs from the quote (a tier change, a code used up,
// points spent, a purchase that moved a cumulative discount; the outcomes are compared field
// by field, as their JSON encodings would compare, ignoring only the time of evaluation, the
// dates derived from it and the balance read for a redemption). It then writes a pending
// journal record (attempt n) claiming the order, and runs the steps, each idempotent by a
// sub-key derived from the key, the attempt and the step:
//
//   - steps that may refuse, first: each accepted promo code's use (promo.Service.RedeemNow),
//     the referral attribution, the consumption of the applied campaigns' budgets (one
//     OrderStore transaction that checks and adds to every counter, refusing with
//     [ErrBudgetExhausted]), then the points redemption (points.Ledger.Redeem), last
//     because the ledger pays an order with points only once. A refusal compensates the
//     steps done, in reverse (the budgets get the consumption back, promo.Service.Rollback),
//     marks the attempt failed and returns the refusal (matching promo.ErrExhausted,
//     ErrBudgetExhausted, points.ErrInsufficientPoints, …); a later
//     Commit with the key starts attempt n+1. A referral attribution is not undone (the
//     referral package has no such operation): it stays, attributed and unconverted, and the
//     next attempt finds it;
//   - steps that cannot refuse: points earned by the company and by the buyer
//     (points.Ledger.Earn), the promo codes campaigns issue (promo.Service.Generate), the
//     tier's qualifying purchase (tier.Service.Record; the account is enrolled at the start
//     of the local day of its first committed order), the referral
//     conversion (referral.Service.RecordOrder), and finally, in one OrderStore transaction,
//     the journal record marked done with the [Receipt], the order marked committed and the
//     purchase added to the account's history. These are not compensated but completed: an
//     error (a store failure, a crash) leaves the attempt pending, and calling Commit again
//     with the same key resumes it, each step replaying its first result, so it completes
//     exactly once.
//
// The sub-keys have the shapes "<key>/a<attempt>/code/<i>", "<key>/a<attempt>/budget" (and
// "…/budget/undo"), "<key>/a<attempt>/campaign/<id>/code/<j>", "<key>/a<attempt>/redeem",
// "<key>/a<attempt>/earn/<holder kind>", "<key>/a<attempt>/tier", "<key>/referral" and
// "<key>/a<attempt>/referral-order"; returns use "<key>/points/<holder kind>",
// "<key>/tier", "<key>/referral" and "<key>/revoke/<i>"; referral rewards "referral/<grant
// id>"; settlements of sales targets and contests claim "campaign/sales-target/<id>" or
// "campaign/contest/<id>" among the points store's idempotency records and credit under
// "<key>/<account>". Callers that
// also use the services directly should key their own operations differently.
//
// # Return
//
// [Engine.Return] validates the returned lines against the committed order and the earlier
// returns (loyalty.Order.ValidateReturn) and claims them in the same OrderStore transaction
// that writes its pending journal record, so concurrent returns never exceed the order. Then
// it reverses what the order did for those lines: points earned and redeemed for each holder
// (points.Ledger.Return), the tier's qualifying amount (a negative record), the referral
// (referral.Service.RecordReturn) and, once every line is fully returned, the code uses
// (promo.Service.Rollback) and the campaigns' budget uses; the money a campaign spent on the
// returned quantities goes back to its budget at once (its cost per line, by cumulative
// shares). The promo codes the order's campaigns issued are revoked (promo.Service.Revoke)
// by the return after which the kept quantities no longer meet the campaign's [Conditions]
// — a full return always; a code already used is not revoked but reported in
// [ReturnReceipt].Revoked as refused. Finally the purchase history gets a negative purchase and a
// fully returned order stops counting as an order. Shares of partial returns are cumulative,
// so that a sequence of returns adds up exactly to the whole order. Like Commit it is
// idempotent by key and resumes a pending return.
//
// # Campaigns
//
// A [Campaign] is a time-boxed promotion of the program: a [Schedule] of local calendar
// days in the program's time zone (from a start through an end, or windows around each
// holiday of a calendar: "from 7 days before each holiday"), an [Audience] (tier levels,
// segments the caller names in EvaluateOptions.Segments, newcomers, one account, a minimum
// tenure since the first committed order), [Conditions] on the order (categories and SKUs
// select the eligible lines, which must reach an amount and a quantity), [Action] values (a
// percent or amount discount, bonus points, a points multiplier, a promo code issued on
// commit, a perk), an optional instant-win [Chance] whose draw is a pure function of a seed,
// the campaign and the order ID, a priority (an exclusive campaign keeps the later ones
// out) and a [Budget] of money, uses and uses per account. The schedule is read at the
// order's PlacedAt. The quote lists every scheduled campaign ([CampaignOutcome]): applied,
// with what it gives and its cost, or why not.
//
// Budgets are counters in the OrderStore ([BudgetRecord], one per campaign and one per
// campaign and account), changed only by idempotent [BudgetUse] records in the same
// transaction, so a budget is never exceeded however many commits run at once: Evaluate
// reads the counters to leave out a spent campaign, and the commit's budget step checks
// them again. [Engine.Budget] reads them.
//
// # Partner programs and contests
//
// A Program declares SalesTargets, CoMarketing and Contests over [Sale] records the caller
// reports (sell-in or sell-out). The pure calculations are [SalesTarget].Evaluate ("sell N
// units of line Y between two dates, get a bonus", once or for every N),
// [CoMarketing].Reimburse (a share of a dealer's advertising cost: 50 % with only our
// products, less with other manufacturers in the advert, rounded down) and [Contest].Rank
// (rank the eligible accounts by spend, units or orders over a window — or newcomers by their
// first month — ties broken by who reached the value first, then by account ID).
// [Engine.SettleSalesTarget] and [Engine.AwardContest] run them once the period is over
// ([ErrPeriodOpen] before) and credit points bonuses and prizes to the dealers' company
// accounts (points.Ledger.Adjust) exactly once per target or contest, idempotent by key;
// money credits and perks are returned for the caller to pay or deliver, since the library
// keeps no money accounts. [Engine.Reimburse] applies the program's co-marketing rule.
//
// # Referrals
//
// A referral code typed on an account's first order attributes the account to its referrer
// when the order commits; the program's welcome rewards apply to that order (a discount
// "referral:welcome", bonus points). Orders and returns of referred accounts are reported to
// the referral service, which converts the referral or cancels it. [Engine.SettleReferrals],
// run periodically, makes conversions final and credits their points rewards
// ([Engine.GrantReferral], keyed by the grant's ID); other rewards are returned to the caller.
//
// # Periodic codes
//
// [Engine.IssueCodes] issues a promo family's periodic codes (its Issuance schedule) to the
// accounts the engine knows, each with its latest purchase, so that only recent buyers
// receive them; [Engine.Buyers] lists those accounts.
//
// # Simulate
//
// [Simulate] replays an order history (CSV or JSON Lines, see [Format]; returns are rows of
// kind "return" or negative quantities) through one or more programs, each on its own
// Engine with a [loyalty.ManualClock], running point activation and expiry and tier reviews
// at every local month start, and reports per program ([Run]): revenue, discount cost, points
// issued, redeemed, expired, reversed and outstanding with their value and liability, gross
// margin before and after, erosion, break-even uplift, campaign and budget consumption and the
// tier distribution per month. Rows are read one at a time, and a simulation keeps
// per-account state and the records of the orders still within the return window, not the
// history (its stores forget the rest: points.MemoryOptions.Retention). Malformed rows are
// reported with their row and column, and the run stops or skips them as [SimulateOptions]
// say.
// [GenerateHistory] writes a seeded, deterministic B2B history for teaching and benchmarks.
// The examples/simulate command compares a cumulative discount with a bonus program this way.
//
// # Stores
//
// [Stores] holds one store per domain package and the engine's [OrderStore];
// [MemoryStores] returns in-memory ones. [NewMemoryStore] is the in-memory OrderStore; the
// conformance suite in package campaigntest checks any implementation. For state kept in a
// database and shared by several processes, the separate module
// github.com/loyaltykit/loyalty/sqlstore returns every store on PostgreSQL or SQLite:
// campaign.New(prog, sqlstore.CampaignStores(db, sqlstore.Postgres), cfg).
//
// # Rounding
//
// The engine does no money arithmetic of its own beyond sums: discounts round in the
// discount package, points in the points package (once per rate and order), and the shares of
// returns and redemptions are exact integer splits (largest remainder, or floors of
// cumulative shares).
//
// # Concurrency
//
// An Engine is safe for concurrent use: its state is in the stores, whose transactions keep
// code limits and balances exact under concurrent commits. It reuses the working memory of
// finished evaluations; quotes share none of it. A QuoteBuffer serves one evaluation at a
// time (one per goroutine). Program, Quote, Receipt and the other data types are plain
// values, safe for concurrent reads.
package campaign
