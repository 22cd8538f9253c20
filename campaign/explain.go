package campaign

import (
	"fmt"
	"strings"

	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/shopspring/decimal"
)

// Explain renders the quote in plain sentences, one per line: the totals, the tier and its
// benefits, every code, every candidate discount (discount.Result.Explain), the points each
// holder earns, the redemption and the margin. It is computed from the quote's data on
// demand; Evaluate does not render anything.
func (q Quote) Explain() string {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	t := q.Totals
	line("Order %s of account %s: subtotal %s, discounts %s, paid with points %s, to pay %s.",
		q.Order.ID, q.Order.Account, t.Subtotal, t.Discount, t.PointsValue, t.ToPay)
	if tr := q.Tier; tr != nil {
		var parts []string
		bn := tr.Benefits
		if bn.DiscountRate.IsPositive() {
			parts = append(parts, "a "+percent(bn.DiscountRate)+" discount")
		}
		if m := bn.Multiplier(); !m.Equal(decimal.NewFromInt(1)) {
			parts = append(parts, "points ×"+m.String())
		}
		if bn.EarnRate.IsPositive() {
			parts = append(parts, percent(bn.EarnRate)+" of the price in points")
		}
		parts = append(parts, bn.Perks...)
		benefits := "no benefits"
		if len(parts) > 0 {
			benefits = strings.Join(parts, ", ")
		}
		src := ""
		if tr.Source != "" && tr.Source != "earned" {
			src = " (by " + string(tr.Source) + ")"
		}
		line("Tier %s%s: %s.", tr.Name, src, benefits)
	}
	for _, c := range q.Codes {
		switch {
		case c.Accepted && c.Kind == ReferralCode:
			line("Referral code %s of %s accepted: the account will be referred by it.", c.Typed, c.Referrer)
		case c.Accepted:
			what := "accepted"
			switch {
			case c.Discount != "":
				what += ", enabling discount " + c.Discount
			case c.Points > 0:
				what += fmt.Sprintf(", adding %d bonus points", c.Points)
			}
			line("Code %s %s.", c.Typed, what)
		default:
			line("Code %s refused: %s.", c.Typed, c.Message)
		}
	}
	for _, c := range q.Campaigns {
		name := "Campaign " + string(c.ID)
		if c.Name != "" {
			name += " (" + c.Name + ")"
		}
		if !c.Applied {
			line("%s does not apply: %s.", name, c.Message)
			continue
		}
		var parts []string
		if c.Draw != nil {
			parts = append(parts, fmt.Sprintf("won the draw (%d of %d)", c.Draw.Roll, c.Draw.OutOf))
		}
		if !c.Discount.IsZero() {
			parts = append(parts, "a discount of "+c.Discount.String())
		}
		if c.Points > 0 {
			parts = append(parts, fmt.Sprintf("%d points", c.Points))
		}
		if c.Multiplier.IsPositive() {
			parts = append(parts, "points ×"+c.Multiplier.String())
		}
		parts = append(parts, c.Perks...)
		for _, d := range c.Codes {
			parts = append(parts, "a "+string(d)+" code on commit")
		}
		what := "nothing on this order"
		if len(parts) > 0 {
			what = strings.Join(parts, ", ")
		}
		cost := ""
		if !c.Cost.IsZero() {
			cost = ", costing " + c.Cost.String()
		}
		line("%s applies: %s%s.", name, what, cost)
	}
	if d := q.Discount; len(d.Entries) > 0 {
		// The engine's own candidates that no code or tier enabled are noise: leave them out.
		d.Entries = make([]discount.Entry, 0, len(q.Discount.Entries))
		for _, en := range q.Discount.Entries {
			if engineCandidate(en.Discount) && en.Reasons.Has(discount.ReasonCodeMissing) {
				continue
			}
			d.Entries = append(d.Entries, en)
		}
		b.WriteString(strings.TrimRight(d.Explain(), "\n"))
		b.WriteByte('\n')
	}
	for _, er := range q.Earnings {
		if er.Plan.Total == 0 && er.Base == 0 {
			continue // nothing to say: the order earns nothing for this holder
		}
		who := "Account " + er.Holder.ID
		if er.Holder.Kind == points.BuyerHolder {
			who = "Buyer " + er.Holder.ID
		}
		detail := fmt.Sprintf("%d by the earning rules", er.Base)
		if !er.Multiplier.Equal(decimal.NewFromInt(1)) {
			detail += " ×" + er.Multiplier.String()
		}
		if er.TierRate > 0 {
			detail += fmt.Sprintf(", %d by the tier's earn rate", er.TierRate)
		}
		if er.Bonus > 0 {
			detail += fmt.Sprintf(", %d bonus", er.Bonus)
		}
		when := ""
		if !er.ActivatesAt.IsZero() {
			when = ", usable from " + er.ActivatesAt.Format("2006-01-02")
		}
		if !er.ExpiresAt.IsZero() {
			when += ", expiring " + er.ExpiresAt.Format("2006-01-02 15:04 MST")
		}
		line("%s earns %d points (%s)%s.", who, er.Plan.Total, detail, when)
	}
	if r := q.Redemption; r != nil {
		if r.Applied > 0 {
			line("%d points pay %s of the order.", r.Applied, r.Value)
		} else {
			line("Paying with %d points refused: %s.", r.Requested, r.Message)
		}
	}
	if r := q.Referral; r != nil {
		if r.Outcome == referral.OutcomeConverted {
			line("The order converts the referral by %s; the rewards are final after the return window.", r.Referrer)
		} else {
			line("The order does not convert the referral by %s: %s.", r.Referrer, r.Reason)
		}
	}
	m := q.Margin
	if !m.Known && len(m.Unknown) == len(q.Lines) {
		line("Gross profit unknown: no line has a known cost.")
		return b.String()
	}
	known := "costs known for every line"
	if !m.Known {
		known = fmt.Sprintf("over the lines with a known cost; unknown for lines %v", m.Unknown)
	}
	line("Gross profit %s before discounts, %s after discounts, %s after points (%s).",
		m.Before, m.AfterDiscounts, m.After, known)
	return b.String()
}

func percent(rate decimal.Decimal) string {
	return rate.Mul(decimal.NewFromInt(100)).String() + "%"
}

func engineCandidate(id string) bool {
	return strings.HasPrefix(id, tierPrefix) || strings.HasPrefix(id, codePrefix) || strings.HasPrefix(id, referralPrefix) ||
		strings.HasPrefix(id, campaignPrefix)
}
