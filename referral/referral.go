package referral

import (
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Status is where a [Referral] stands.
type Status string

// The referral statuses. A referral moves Attributed → Pending → Final, or
// Attributed → Pending → Cancelled; Attributed → Final directly for a custom conversion
// event. Final and Cancelled are terminal.
const (
	// StatusAttributed: the referee is attributed to the referrer and has not converted.
	StatusAttributed Status = "attributed"
	// StatusPending: the referee converted; the rewards wait for the return window to close.
	StatusPending Status = "pending"
	// StatusFinal: the conversion is final; its rewards can no longer be cancelled.
	StatusFinal Status = "final"
	// StatusCancelled: a return inside the return window cancelled the conversion and its
	// rewards. The referral never converts again.
	StatusCancelled Status = "cancelled"
)

// Side says who receives a [Grant].
type Side string

// The sides of a referral.
const (
	SideReferrer Side = "referrer"
	SideReferee  Side = "referee"
)

// GrantStatus says where a [Grant] stands.
type GrantStatus string

// The grant statuses.
const (
	// GrantPending: earned, but a return may still cancel it; do not pay it out yet (or
	// grant it as pending, as a points ledger does).
	GrantPending GrantStatus = "pending"
	// GrantFinal: earned for good; the orchestrator grants it.
	GrantFinal GrantStatus = "final"
	// GrantCancelled: cancelled by a return inside the return window; never grant it.
	GrantCancelled GrantStatus = "cancelled"
	// GrantWithheld: not granted because a cap was reached; Note names the cap.
	GrantWithheld GrantStatus = "withheld"
)

// Grant is one reward decision: who gets which reward and where it stands. ID is stable
// and unique ("acme-2/referrer/0", "partner:d-3/milestone/5/0"), so the orchestrator can use it
// as the idempotency key when it grants the reward downstream.
// A Grant is a plain value, safe for concurrent use when not modified.
type Grant struct {
	ID       string            `json:"id"`
	Side     Side              `json:"side"`
	Referrer ReferrerID        `json:"referrer"`
	Referee  loyalty.AccountID `json:"referee"`         // for a milestone, the referee whose conversion reached it
	Buyer    loyalty.BuyerID   `json:"buyer,omitempty"` // the referee's buyer, if known
	Reward   Reward            `json:"reward"`
	Status   GrantStatus       `json:"status"`
	At       time.Time         `json:"at"`             // when it was earned
	Note     string            `json:"note,omitempty"` // why: "welcome", "milestone: every 5 conversions", a cap
	// Milestone is, for a milestone grant, the count of final conversions it rewards; 0
	// for other grants.
	Milestone int `json:"milestone,omitempty"`
}

// Referral is the attribution of one referee account to one referrer and what became of
// it. It is a plain value, safe for concurrent use when not
// modified; copies do not share memory with the store.
type Referral struct {
	Referee      loyalty.AccountID `json:"referee"`
	RefereeBuyer loyalty.BuyerID   `json:"referee_buyer,omitempty"` // the buyer who used the code, if known
	// Identity holds the referee's identifiers as the caller supplied them on attribution,
	// normalised; no other referee may share one of them.
	Identity Identity `json:"identity"`
	Referrer Referrer `json:"referrer"`
	Code     string   `json:"code"`
	Status   Status   `json:"status"`
	// AttributedAt is when the current referrer was attributed; FirstAttributedAt when the
	// referee was first attributed to anyone (they differ after a take-over).
	AttributedAt      time.Time `json:"attributed_at"`
	FirstAttributedAt time.Time `json:"first_attributed_at"`
	// ConvertBy is the exclusive end of the conversion window.
	ConvertBy time.Time `json:"convert_by"`
	// Previous lists referrers the referee was taken over from, oldest first.
	Previous []ReferrerID `json:"previous,omitempty"`
	// Orders counts the referee's orders recorded since attribution.
	Orders int `json:"orders"`

	// Conversion: the converting order (or custom event), its amount and what was returned.
	Order       loyalty.OrderID `json:"order,omitempty"`
	Event       string          `json:"event,omitempty"`
	Amount      loyalty.Money   `json:"amount"`
	Returned    loyalty.Money   `json:"returned"`
	ConvertedAt time.Time       `json:"converted_at"`
	// CountedAt is when the conversion was counted against the referrer's caps (zero when
	// a cap withheld its rewards).
	CountedAt time.Time `json:"counted_at"`
	// FinalAt is when the return window closes (for a pending referral) or closed.
	FinalAt time.Time `json:"final_at"`
	// CancelledAt and CancelReason explain a cancellation.
	CancelledAt  time.Time `json:"cancelled_at"`
	CancelReason string    `json:"cancel_reason,omitempty"`

	// Grants are the welcome and conversion rewards of this referral, and the referrer's
	// milestone rewards its conversion reached, in the order granted.
	Grants []Grant `json:"grants,omitempty"`
	// Seq counts the grants ever created for this referee; grant IDs use it.
	Seq int `json:"seq"`
}

// Clone returns a deep copy of r.
func (r Referral) Clone() Referral {
	r.Identity = r.Identity.clone()
	r.Previous = slices.Clone(r.Previous)
	r.Grants = slices.Clone(r.Grants)
	return r
}

// Receipt records the outcome of one idempotent operation under its key, in the same
// transaction as the operation. Fingerprint identifies the payload; Result is the JSON
// encoding of the operation's first result, returned again on a retry.
// A Receipt is a plain value, safe for concurrent use when not modified.
type Receipt struct {
	Key         loyalty.IdempotencyKey `json:"key"`
	Op          string                 `json:"op"`
	Fingerprint string                 `json:"fingerprint"`
	Result      []byte                 `json:"result"`
	At          time.Time              `json:"at"`
}

// Clone returns a deep copy of r.
func (r Receipt) Clone() Receipt {
	r.Result = slices.Clone(r.Result)
	return r
}
