// Package campaign is the orchestrator of loyaltykit: a [Program] declares a whole loyalty
// program — tiers, discounts, points, promo codes, referrals — and an [Engine] runs it with
// three calls: [Engine.Evaluate], [Engine.Commit] and [Engine.Return]. It is the only package
// that imports points, tier, discount, promo and referral.
package campaign
