package campaign

import (
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

// EvaluateOptions are what the buyer asks for beyond the order itself.
//
// EvaluateOptions values are plain data, safe for concurrent use.
type EvaluateOptions struct {
	// RedeemPoints is how many of the company account's points the buyer wants to pay with.
	// Zero means none.
	RedeemPoints points.Points `json:"redeem_points,omitempty"`
	// Segments are the named segments the caller puts the account in (campaign audiences
	// read them; the library does not compute segments).
	Segments []string `json:"segments,omitempty"`
}

// Quote is the whole outcome of an order under the program, as data: the account's tier and
// benefits, the codes accepted or refused, the discount on every line with the record of
// every candidate discount, the points each holder earns and when they activate, the points
// redeemed, the totals and the margin. [Engine.Evaluate] computes it without writing
// anything, [Quote.Explain] renders it as sentences, and [Engine.Commit] applies it.
//
// A Quote is plain data (JSON-able), safe for concurrent reads.
type Quote struct {
	Program loyalty.ProgramID `json:"program"`
	Order   loyalty.Order     `json:"order"`
	Options EvaluateOptions   `json:"options"`
	// At is when the quote was computed (the engine clock's now).
	At time.Time `json:"at"`
	// PriorOrders is the number of the account's committed orders not fully returned, as
	// first-order conditions read it.
	PriorOrders int `json:"prior_orders"`
	// Tier is the account's tier at At; nil for a program without tiers.
	Tier *TierOutcome `json:"tier,omitempty"`
	// Promotions are the policy's discounts that apply without any code, as codes that do
	// not combine with them see them (filled in only when a code family has such a rule).
	Promotions []loyalty.CampaignID `json:"promotions,omitempty"`
	// Codes are the outcomes of the codes entered on the order, in order.
	Codes []CodeOutcome `json:"codes,omitempty"`
	// Campaigns are the program's campaigns whose schedule covers the order, in the order
	// they were considered (priority, then ID): applied, or why not.
	Campaigns []CampaignOutcome `json:"campaigns,omitempty"`
	// Referral is what the order does to the account's referral, for a referred account or
	// one this order refers; nil otherwise.
	Referral *ReferralEffect `json:"referral,omitempty"`
	// Lines are the order's lines after discounts, with their points.
	Lines []LineOutcome `json:"lines"`
	// Discount is the discount calculator's full record: every candidate discount, applied
	// or not, and why.
	Discount discount.Result `json:"discount"`
	// Earnings are the points each holder earns: the company account first, then the buyer.
	Earnings []Earning `json:"earnings,omitempty"`
	// Redemption is the outcome of EvaluateOptions.RedeemPoints; nil when none were asked.
	Redemption *Redemption `json:"redemption,omitempty"`
	// Totals sum the order up.
	Totals Totals `json:"totals"`
	// Margin is the gross profit before and after the program's benefits.
	Margin Margin `json:"margin"`
}

// TierOutcome is the account's level when the order is evaluated and what it gives. It is
// plain data, safe for concurrent reads.
type TierOutcome struct {
	Level    int           `json:"level"`
	Name     string        `json:"name"`
	Source   tier.Source   `json:"source"`
	Benefits tier.Benefits `json:"benefits"`
	// Enrolled is false for an account the tier store does not know yet (it is enrolled at
	// the entry level by its first commit).
	Enrolled bool `json:"enrolled"`
}

// CodeKind says what kind of code an entered code turned out to be. It is a plain string
// value, safe for concurrent use.
type CodeKind string

// The kinds of entered codes.
const (
	PromoCode    CodeKind = "promo"
	ReferralCode CodeKind = "referral"
)

// CodeOutcome is what became of one code entered on the order. A refused code does not fail
// the evaluation: it is reported here with its reason. It is plain data, safe for
// concurrent reads.
type CodeOutcome struct {
	Typed    string        `json:"typed"`              // as the customer typed it
	Code     string        `json:"code,omitempty"`     // canonical form, when it has one
	Kind     CodeKind      `json:"kind,omitempty"`     // what it is, when known
	Accepted bool          `json:"accepted"`           // whether it applies to the order
	Reason   string        `json:"reason,omitempty"`   // refusal: a stable name, see CodeOutcome.Err
	Message  string        `json:"message,omitempty"`  // refusal: the message in words
	Grant    *promo.Grant  `json:"grant,omitempty"`    // accepted promo codes: what the code grants
	Discount string        `json:"discount,omitempty"` // the discount candidate the code enables, if any
	Points   points.Points `json:"points,omitempty"`   // bonus points the code adds to the company's earning
	Referrer string        `json:"referrer,omitempty"` // accepted referral codes: the referrer
}

// Err returns the refusal as an error matching its sentinel (promo.ErrCodeExpired,
// referral.ErrSelfReferral, [ErrDuplicateCode], …), or nil for an accepted code. It works on
// a quote read back from JSON too.
func (c CodeOutcome) Err() error {
	if c.Accepted || c.Reason == "" {
		return nil
	}
	return &CodeError{Code: c.Typed, Reason: c.Reason, Message: c.Message}
}

// LineOutcome is one order line after the program's benefits. It is plain data, safe for
// concurrent reads.
type LineOutcome struct {
	Base     loyalty.Money `json:"base"`     // the line total before discounts
	Discount loyalty.Money `json:"discount"` // every discount on the line
	Total    loyalty.Money `json:"total"`    // Base − Discount: what points are earned on
	Points   points.Points `json:"points"`   // points the company earns on the line
	Redeemed points.Points `json:"redeemed,omitempty"`
	Cost     loyalty.Money `json:"cost,omitzero"` // the line's cost, when known
}

// Earning is what one holder earns from the order. It is plain data, safe for concurrent
// reads.
type Earning struct {
	Holder points.Holder `json:"holder"`
	// Plan is the points of every line, as the ledger will credit them (before the cap,
	// which the ledger applies).
	Plan points.Plan `json:"plan"`
	// Base is what the earning rules give, multiplied by Multiplier; TierRate is the extra
	// points of the tier's earn rate; Bonus the points of codes and welcome rewards.
	// Base + TierRate + Bonus = Plan.Total.
	Base       points.Points   `json:"base"`
	Multiplier decimal.Decimal `json:"multiplier"`
	TierRate   points.Points   `json:"tier_rate,omitempty"`
	Bonus      points.Points   `json:"bonus,omitempty"`
	// ActivatesAt is when the points become usable if earned at the quote's time (zero: at
	// once); ExpiresAt when they expire (zero: never). A commit at another time shifts both.
	ActivatesAt time.Time `json:"activates_at,omitzero"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	// Value is the money value of the points at the program's point value (zero when
	// points have no money value).
	Value loyalty.Money `json:"value,omitzero"`
}

// Redemption is the outcome of a request to pay with points. It is plain data, safe for
// concurrent reads.
type Redemption struct {
	Requested points.Points `json:"requested"`
	Applied   points.Points `json:"applied"` // 0 when refused
	Value     loyalty.Money `json:"value"`   // the money the applied points pay
	Max       points.Points `json:"max"`     // the most the order allows
	Available points.Points `json:"available"`
	Reason    string        `json:"reason,omitempty"`  // refusal: "insufficient-points", "redemption-limit", "no-point-value"
	Message   string        `json:"message,omitempty"` // refusal in words
}

// Totals sum an evaluated order up: Subtotal − Discount − PointsValue = ToPay. It is plain
// data, safe for concurrent reads.
type Totals struct {
	Subtotal    loyalty.Money `json:"subtotal"`
	Discount    loyalty.Money `json:"discount"`
	PointsValue loyalty.Money `json:"points_value"`
	ToPay       loyalty.Money `json:"to_pay"`
}

// Margin is the order's gross profit before and after the program's benefits. It is computed
// over the lines whose cost is known; Known says whether that is every line. It is plain
// data, safe for concurrent reads.
type Margin struct {
	Known          bool          `json:"known"`
	Unknown        []int         `json:"unknown,omitempty"` // lines without a cost
	Revenue        loyalty.Money `json:"revenue"`           // subtotal of the costed lines
	Cost           loyalty.Money `json:"cost"`
	Before         loyalty.Money `json:"before"`          // profit before discounts
	AfterDiscounts loyalty.Money `json:"after_discounts"` // profit after discounts
	// After is the profit after discounts and the points redeemed (the points' value is
	// split over the lines like the redemption); EarnedValue is the value of the points the
	// order earns, a promise the program pays later.
	After       loyalty.Money `json:"after"`
	EarnedValue loyalty.Money `json:"earned_value,omitzero"`
}

// ReferralEffect is what an order does to its account's referral: whether it converts it
// (the referrer's reward then waits for the return window) and why not otherwise. It is
// plain data, safe for concurrent reads.
type ReferralEffect struct {
	Referrer string           `json:"referrer"`
	New      bool             `json:"new,omitempty"` // the order's referral code attributes the account
	Outcome  referral.Outcome `json:"outcome"`
	Reason   string           `json:"reason,omitempty"`
}

// CampaignOutcome is what one campaign does to the order: whether it applies (and why not),
// the lines it selected, what it gives and what that costs its budget. It is plain data,
// safe for concurrent reads.
type CampaignOutcome struct {
	ID   loyalty.CampaignID `json:"id"`
	Name string             `json:"name,omitempty"`
	// Applied reports whether the campaign applies to the order.
	Applied bool `json:"applied"`
	// Reason says why not: "excluded" (an exclusive campaign before it applies),
	// "audience", "conditions", "draw" (an instant win the order did not win) or "budget".
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Draw is the instant-win draw, for a campaign with a Chance.
	Draw *Draw `json:"draw,omitempty"`
	// Lines are the indexes of the lines the conditions select.
	Lines []int `json:"lines,omitempty"`
	// Discount is what the campaign's discount gave (after stacking, cap and floor).
	Discount loyalty.Money `json:"discount,omitzero"`
	// Points are the points the campaign adds: its bonus and its multiplier's extra.
	Points     points.Points        `json:"points,omitempty"`
	Multiplier decimal.Decimal      `json:"multiplier,omitzero"`
	Perks      []string             `json:"perks,omitempty"`
	Codes      []promo.DefinitionID `json:"codes,omitempty"` // promo families of the codes issued on commit
	// Cost is what the campaign gives, in money: the discount, the value of its points at
	// the program's point value, and its perks' values.
	Cost loyalty.Money `json:"cost,omitzero"`
	// Budgeted is set when the campaign has a budget the order consumes; LineCosts then
	// splits Cost over the order's lines, so that a return gives back its lines' share.
	Budgeted  bool            `json:"budgeted,omitempty"`
	LineCosts []loyalty.Money `json:"line_costs,omitempty"`
}

// Draw is the outcome of an instant-win draw: Roll in [0, OutOf) wins below Wins. It is
// plain data, safe for concurrent use when not modified.
type Draw struct {
	Roll  int  `json:"roll"`
	Wins  int  `json:"wins"`
	OutOf int  `json:"out_of"`
	Won   bool `json:"won"`
}
