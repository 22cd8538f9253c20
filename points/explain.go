package points

import (
	"fmt"
	"strings"

	"github.com/loyaltykit/loyalty"
)

// String describes the rate in plain words: "1 point per full 10 (fuel)", "5% of the price
// (tag business)", "10 points per whole unit (SKU tyre)".
func (r Rate) String() string {
	var s string
	switch {
	case !r.ShareOfPrice.IsZero():
		s = r.ShareOfPrice.Shift(2).String() + "% of the price"
	case r.PerUnit != 0:
		s = plural(r.PerUnit) + " per whole unit"
	default:
		s = plural(r.Points) + " per full " + r.Per.String()
	}
	var scope []string
	for _, c := range r.Categories {
		scope = append(scope, string(c))
	}
	for _, k := range r.SKUs {
		scope = append(scope, "SKU "+string(k))
	}
	for _, t := range r.Tags {
		scope = append(scope, "tag "+t)
	}
	if len(scope) > 0 {
		s += " (" + strings.Join(scope, ", ") + ")"
	}
	return s
}

func plural(p Points) string {
	if p == 1 || p == -1 {
		return fmt.Sprintf("%d point", p)
	}
	return fmt.Sprintf("%d points", p)
}

// Explain says in plain words what every line of o earned under r and why, one sentence per
// line, and the total: the explanation of plan, which [Rules.Plan] computed for o.
func (r Rules) Explain(o loyalty.Order, plan Plan) []string {
	var out []string
	for i, lp := range plan.Lines {
		if i >= len(o.Lines) {
			break
		}
		l := o.Lines[i]
		what := string(l.SKU)
		if t, err := l.Total(); err == nil {
			what += " (" + t.String() + ")"
		}
		switch {
		case lp.Excluded:
			out = append(out, what+": no points, excluded from earning")
		case lp.Rate < 0 || lp.Rate >= len(r.Rates):
			if lp.Points > 0 {
				out = append(out, fmt.Sprintf("%s: %s, its share of the order bonus", what, plural(lp.Points)))
			} else {
				out = append(out, what+": no points, no earning rate applies")
			}
		default:
			s := fmt.Sprintf("%s: %s at %s", what, plural(lp.Points), r.Rates[lp.Rate])
			if r.OrderBonus > 0 {
				s += ", with its share of the order bonus"
			}
			out = append(out, s)
		}
	}
	return append(out, "total: "+plural(plan.Total))
}
