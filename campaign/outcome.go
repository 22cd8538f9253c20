package campaign

import (
	"bytes"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

// sameOutcome reports whether two quotes of one order decide the same thing: everything but
// the time of evaluation (At), the dates that follow from it (Earning.ActivatesAt and
// ExpiresAt) and the balance read for the redemption (Redemption.Available, and the message
// of an "insufficient-points" refusal, which quotes it).
//
// It compares field by field exactly as the quotes' JSON encodings would compare (which is
// what a quote read back from JSON keeps): amounts with their currency, decimals by value,
// times by their RFC 3339 text (instant and offset), the unknown price whatever its digits,
// fields the encoding omits when empty or zero alike whether nil or empty, and a nil slice
// or pointer apart from an empty one where the encoding writes null. It does not allocate.
func sameOutcome(a, b *Quote) bool {
	return a.Program == b.Program &&
		sameOrder(&a.Order, &b.Order) &&
		a.Options.RedeemPoints == b.Options.RedeemPoints &&
		sameSlice(a.Options.Segments, b.Options.Segments, eq[string]) &&
		a.PriorOrders == b.PriorOrders &&
		samePtr(a.Tier, b.Tier, sameTier) &&
		sameSlice(a.Promotions, b.Promotions, eq[loyalty.CampaignID]) &&
		sameSliceP(a.Codes, b.Codes, sameCode) &&
		sameSliceP(a.Campaigns, b.Campaigns, sameCampaign) &&
		samePtr(a.Referral, b.Referral, func(x, y *ReferralEffect) bool { return *x == *y }) &&
		sameNull(a.Lines, b.Lines) && sameSliceP(a.Lines, b.Lines, sameLineOutcome) &&
		sameResult(&a.Discount, &b.Discount) &&
		sameSliceP(a.Earnings, b.Earnings, sameEarning) &&
		samePtr(a.Redemption, b.Redemption, sameRedemption) &&
		a.Totals == b.Totals &&
		sameMargin(&a.Margin, &b.Margin)
}

func eq[T comparable](x, y T) bool { return x == y }

// sameSlice compares two slices element by element; nil and empty are alike (omitempty).
func sameSlice[T any](x, y []T, same func(a, b T) bool) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !same(x[i], y[i]) {
			return false
		}
	}
	return true
}

// sameSliceP is sameSlice for elements compared through pointers.
func sameSliceP[T any](x, y []T, same func(a, b *T) bool) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !same(&x[i], &y[i]) {
			return false
		}
	}
	return true
}

// sameNull reports whether two slices encode null alike: a field without omitempty writes a
// nil slice as null and an empty one as [].
func sameNull[T any](x, y []T) bool { return (x == nil) == (y == nil) }

func samePtr[T any](x, y *T, same func(a, b *T) bool) bool {
	if x == nil || y == nil {
		return x == nil && y == nil
	}
	return same(x, y)
}

// sameTime compares two times as their JSON texts: the same instant written with the same
// offset.
func sameTime(x, y time.Time) bool {
	if !x.Equal(y) {
		return false
	}
	_, ox := x.Zone()
	_, oy := y.Zone()
	if ox == oy {
		return true
	}
	var bx, by [64]byte
	return bytes.Equal(x.AppendFormat(bx[:0], time.RFC3339Nano), y.AppendFormat(by[:0], time.RFC3339Nano))
}

// samePrice compares prices as their JSON: the unknown price (no currency) is null.
func samePrice(x, y loyalty.Price) bool {
	if x.Currency().IsZero() || y.Currency().IsZero() {
		return x.Currency().IsZero() && y.Currency().IsZero()
	}
	return x == y
}

// sameOmitZero compares amounts of an omitzero field: every zero amount is omitted.
func sameOmitZero(x, y loyalty.Money) bool { return x == y || x.IsZero() && y.IsZero() }

func sameDecimal(x, y decimal.Decimal) bool { return x.Equal(y) }

func sameOrder(x, y *loyalty.Order) bool {
	return x.ID == y.ID && x.Account == y.Account && x.Buyer == y.Buyer && x.Currency == y.Currency &&
		sameTime(x.PlacedAt, y.PlacedAt) &&
		sameNull(x.Lines, y.Lines) && sameSliceP(x.Lines, y.Lines, sameLine) &&
		sameSlice(x.Codes, y.Codes, eq[string])
}

func sameLine(x, y *loyalty.Line) bool {
	return x.SKU == y.SKU && x.Category == y.Category && sameSlice(x.Tags, y.Tags, eq[string]) &&
		x.Quantity == y.Quantity && samePrice(x.UnitPrice, y.UnitPrice) && samePrice(x.UnitCost, y.UnitCost) &&
		x.OnPromotion == y.OnPromotion
}

func sameTier(x, y *TierOutcome) bool {
	return x.Level == y.Level && x.Name == y.Name && x.Source == y.Source && x.Enrolled == y.Enrolled &&
		sameBenefits(&x.Benefits, &y.Benefits)
}

func sameBenefits(x, y *tier.Benefits) bool {
	return sameDecimal(x.DiscountRate, y.DiscountRate) && sameDecimal(x.EarnRate, y.EarnRate) &&
		sameDecimal(x.EarnMultiplier, y.EarnMultiplier) && sameSlice(x.Perks, y.Perks, eq[string])
}

func sameCode(x, y *CodeOutcome) bool {
	return x.Typed == y.Typed && x.Code == y.Code && x.Kind == y.Kind && x.Accepted == y.Accepted &&
		x.Reason == y.Reason && x.Message == y.Message && x.Discount == y.Discount && x.Points == y.Points &&
		x.Referrer == y.Referrer && samePtr(x.Grant, y.Grant, sameGrant)
}

func sameGrant(x, y *promo.Grant) bool {
	return x.Code == y.Code && x.Definition == y.Definition && x.Promotion == y.Promotion &&
		sameDecimal(x.Benefit.Percent, y.Benefit.Percent) && x.Benefit.Amount == y.Benefit.Amount &&
		x.Benefit.Points == y.Benefit.Points && x.Benefit.Ref == y.Benefit.Ref &&
		sameNull(x.Lines, y.Lines) && sameSlice(x.Lines, y.Lines, eq[int]) && x.Eligible == y.Eligible
}

func sameCampaign(x, y *CampaignOutcome) bool {
	return x.ID == y.ID && x.Name == y.Name && x.Applied == y.Applied && x.Reason == y.Reason &&
		x.Message == y.Message && samePtr(x.Draw, y.Draw, func(a, b *Draw) bool { return *a == *b }) &&
		sameSlice(x.Lines, y.Lines, eq[int]) && sameOmitZero(x.Discount, y.Discount) && x.Points == y.Points &&
		sameDecimal(x.Multiplier, y.Multiplier) && sameSlice(x.Perks, y.Perks, eq[string]) &&
		sameSlice(x.Codes, y.Codes, eq[promo.DefinitionID]) && sameOmitZero(x.Cost, y.Cost) &&
		x.Budgeted == y.Budgeted && sameSlice(x.LineCosts, y.LineCosts, eq[loyalty.Money])
}

func sameLineOutcome(x, y *LineOutcome) bool {
	return x.Base == y.Base && x.Discount == y.Discount && x.Total == y.Total && x.Points == y.Points &&
		x.Redeemed == y.Redeemed && sameOmitZero(x.Cost, y.Cost)
}

func sameResult(x, y *discount.Result) bool {
	return x.Order == y.Order && x.Subtotal == y.Subtotal && x.Discount == y.Discount && x.Total == y.Total &&
		sameNull(x.Lines, y.Lines) && sameSlice(x.Lines, y.Lines, eq[discount.LineResult]) &&
		sameNull(x.Entries, y.Entries) && sameSliceP(x.Entries, y.Entries, sameEntry) &&
		sameOmitZero(x.Cap, y.Cap)
}

func sameEntry(x, y *discount.Entry) bool {
	return x.Discount == y.Discount && x.Name == y.Name && x.Kind == y.Kind && x.Group == y.Group &&
		x.Applied == y.Applied && x.Amount == y.Amount &&
		sameNull(x.Lines, y.Lines) && sameSlice(x.Lines, y.Lines, eq[loyalty.Money]) &&
		x.Reasons == y.Reasons && x.By == y.By && sameOmitZero(x.Forgone, y.Forgone) &&
		sameDecimal(x.Percent, y.Percent) && x.Tier == y.Tier &&
		sameMeasure(x.Have, y.Have) && sameMeasure(x.Need, y.Need) &&
		sameSlice(x.Notes, y.Notes, eq[discount.LineNote])
}

// sameMeasure compares an omitzero Measure: omitted only when it is the zero struct, and
// then written with its own omitzero fields.
func sameMeasure(x, y discount.Measure) bool {
	zx, zy := x == discount.Measure{}, y == discount.Measure{}
	if zx || zy {
		return zx && zy
	}
	return sameOmitZero(x.Amount, y.Amount) && x.Quantity == y.Quantity
}

func sameEarning(x, y *Earning) bool {
	return x.Holder == y.Holder && samePlan(&x.Plan, &y.Plan) && x.Base == y.Base &&
		sameDecimal(x.Multiplier, y.Multiplier) && x.TierRate == y.TierRate && x.Bonus == y.Bonus &&
		sameOmitZero(x.Value, y.Value)
}

func samePlan(x, y *points.Plan) bool {
	return x.Order == y.Order && x.Event == y.Event && x.Total == y.Total &&
		sameSlice(x.Lines, y.Lines, eq[points.LinePlan])
}

func sameRedemption(x, y *Redemption) bool {
	return x.Requested == y.Requested && x.Applied == y.Applied && x.Value == y.Value && x.Max == y.Max &&
		x.Reason == y.Reason && redemptionMessage(x) == redemptionMessage(y)
}

// redemptionMessage is the message of a redemption as quotes compare it: an
// "insufficient-points" refusal quotes the balance, which may change between quotes.
func redemptionMessage(r *Redemption) string {
	if r.Reason == "insufficient-points" {
		return ""
	}
	return r.Message
}

func sameMargin(x, y *Margin) bool {
	return x.Known == y.Known && sameSlice(x.Unknown, y.Unknown, eq[int]) && x.Revenue == y.Revenue &&
		x.Cost == y.Cost && x.Before == y.Before && x.AfterDiscounts == y.AfterDiscounts && x.After == y.After &&
		sameOmitZero(x.EarnedValue, y.EarnedValue)
}
