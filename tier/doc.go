// Package tier implements tiered (multi-level) loyalty programs: ladders of levels with
// thresholds on a qualifying measure, qualification windows, upgrade and downgrade reviews on
// their own schedules, grace periods, manual overrides, paid memberships, contract minimums,
// projection ("what is needed to reach the next level") and batch review of every account.
//
// # Configuration
//
// A [Ladder] is one plain value: the qualifying [Measure] (spend, volume, points earned,
// orders or tenure), the [Level]s with their thresholds ([Amount]) and [Benefits], the
// qualification [Window] (lifetime, calendar month/quarter/half-year/year, rolling N months,
// anniversary of enrolment) and the [ReviewPolicy] (upgrades immediately or at periodic
// reviews, downgrades on their own schedule, one level at a time or straight to the level the
// measure supports, a grace period). [Ladder.Validate] names every bad field by path:
// "levels[2].threshold.spend: duplicates the threshold of levels[1] (got 100.00 RUB)".
//
// Benefits are data (a discount rate, an earn rate, an earn multiplier, named perks): this
// package does not import the discount or points packages; the orchestrator reads them.
//
// # Pure calculation
//
// [NewEvaluator] compiles a ladder for the program's [time.Location]. Its methods are pure:
//   - [Evaluator.LevelFor]: the level a qualifying amount supports, in a few nanoseconds;
//   - [Evaluator.Qualifying]: an account's measure in the window containing a time;
//   - [Evaluator.Advance]: run every review between an account's last review and a time;
//   - [Evaluator.Effective] and [Evaluator.Benefits]: the level (earned, raised by an active
//     override or paid membership) and benefits in effect; [Evaluator.EffectiveAt] the level
//     an account would have after advancing to a time, copying nothing (a dry run's lookup;
//     for a ladder with immediate reviews both ways, no grace and no enforced commitment,
//     simply the level the measure supports then);
//   - [Evaluator.Project]: current level, what is needed to reach the next one and to keep the
//     current one, the projected level, rendered in plain sentences by [Projection.Explain];
//   - [Evaluator.ExplainChange]: one sentence per event, for notifications;
//   - [Evaluator.Compact]: drop history no later evaluation can see;
//   - [Evaluator.OrderAmount]: what an order qualifies for.
//
// Every rule about dates is computed in the program's location, in whole local days: a review
// "on the first of the month" happens at local midnight and judges the window that contains
// the day before.
//
// # Service and stores
//
// A [Service] keeps accounts in a [Store] — status and day totals of qualifying activity per
// account — and offers [Service.Enroll], [Service.Record], [Service.Review],
// [Service.ReviewAll] (the batch review: deterministic, idempotent, a [Change] event for every
// change of every account), [Service.SetOverride], [Service.BuyMembership], [Service.Project]
// and [Service.ProjectAll] (explain every account), and [Service.EffectiveAt], the dry-run
// level lookup of a stored account (over the memory store, copying nothing). Mutations an ERP may retry take an [loyalty.IdempotencyKey]. [NewMemoryStore] is the
// in-memory Store; package tiertest is the conformance suite every Store must pass.
//
// # Rounding and units
//
// The package never rounds: qualifying amounts are exact integers in the measure's units
// (minor units of the ladder's currency, millionths of a unit of volume, counts).
//
// # Concurrency
//
// Ladder and the other configuration types are plain values. [Evaluator] is immutable and
// safe for concurrent use; [Service] and the memory store are safe for concurrent use.
package tier
