package main

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
)

// The HTML report is hand-written, without dependencies, and well-formed XML (XHTML
// syntax), so that any XML parser reads it. Every figure in it is printed from the exact
// values of the report; floats are used only for drawing coordinates (bar heights and
// positions), never for a printed amount.

// palette colours the series of a chart, in order.
var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"}

// writeHTML writes the report: the key figures side by side, a chart of the gross margin
// of each program before and after its benefits, a chart of where the cost goes, the tier
// distribution month by month, and the full text comparison.
func writeHTML(w io.Writer, rep campaign.Report, source string) error {
	var b strings.Builder
	e := html.EscapeString
	names := make([]string, len(rep.Runs))
	for i, r := range rep.Runs {
		names[i] = string(r.Program)
	}
	title := "Loyalty program simulation: " + strings.Join(names, " vs ")
	b.WriteString("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
	fmt.Fprintf(&b, "<title>%s</title>\n", e(title))
	b.WriteString(`<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1000px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; }
</style>
</head>
<body>
`)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", e(title))
	fmt.Fprintf(&b, "<p>%s; %d orders, %d returns, %d accounts, %s to %s.</p>\n",
		e(source), rep.Orders, rep.Returns, rep.Accounts, rep.From.Format("2006-01-02"), rep.To.Format("2006-01-02"))

	// Key figures.
	b.WriteString("<h2>Key figures</h2>\n<table>\n<tr><th></th>")
	for _, n := range names {
		fmt.Fprintf(&b, "<th>%s</th>", e(n))
	}
	b.WriteString("</tr>\n")
	rows := []struct {
		label string
		value func(r campaign.Run) string
	}{
		{"Revenue", func(r campaign.Run) string { return r.Revenue.Amount() }},
		{"Discount cost", func(r campaign.Run) string { return r.Discount.Amount() }},
		{"Points issued", func(r campaign.Run) string { return fmt.Sprint(r.Points.Issued) }},
		{"Points redeemed", func(r campaign.Run) string { return fmt.Sprint(r.Points.Redeemed) }},
		{"Points expired", func(r campaign.Run) string { return fmt.Sprint(r.Points.Expired) }},
		{"Points outstanding", func(r campaign.Run) string { return fmt.Sprint(r.Points.Outstanding) }},
		{"Points liability", func(r campaign.Run) string { return r.Points.Liability.Amount() }},
		{"Gross margin before", func(r campaign.Run) string { return r.Margin.Before.Amount() }},
		{"Gross margin after", func(r campaign.Run) string { return r.Margin.AfterLiability.Amount() }},
		{"Program cost", func(r campaign.Run) string { return r.ProgramCost.Amount() }},
		{"Program cost rate, %", func(r campaign.Run) string { return r.CostRate.StringFixed(2) }},
		{"Margin erosion, %", func(r campaign.Run) string { return r.Margin.Erosion.StringFixed(2) }},
	}
	for _, row := range rows {
		fmt.Fprintf(&b, "<tr><td>%s</td>", e(row.label))
		for _, r := range rep.Runs {
			fmt.Fprintf(&b, "<td class=\"n\">%s</td>", e(row.value(r)))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")

	// Gross margin before and after.
	b.WriteString("<h2>Gross margin before and after the program</h2>\n")
	steps := []string{"before", "after discounts", "after points redeemed", "after liability"}
	groups := make([]barGroup, len(rep.Runs))
	for i, r := range rep.Runs {
		groups[i] = barGroup{label: names[i], values: []loyalty.Money{
			r.Margin.Before, r.Margin.AfterDiscounts, r.Margin.AfterPoints, r.Margin.AfterLiability,
		}}
	}
	b.WriteString(barChart("Gross margin, "+currencyOf(rep), steps, groups))

	// Where the cost goes.
	b.WriteString("<h2>What each program gave away</h2>\n")
	parts := []string{"discounts", "points redeemed", "points liability"}
	groups = make([]barGroup, len(rep.Runs))
	for i, r := range rep.Runs {
		groups[i] = barGroup{label: names[i], values: []loyalty.Money{r.Discount, r.Points.RedeemedValue, r.Points.Liability}, total: r.ProgramCost}
	}
	b.WriteString(stackChart("Program cost, "+currencyOf(rep), parts, groups))

	// Tier distribution.
	for _, r := range rep.Runs {
		if r.Tiers == nil || len(r.Tiers.Months) == 0 {
			continue
		}
		fmt.Fprintf(&b, "<h2>%s: accounts per tier at month end</h2>\n", e(string(r.Program)))
		b.WriteString(tierChart(*r.Tiers))
	}

	b.WriteString("<h2>Full comparison</h2>\n<pre>")
	b.WriteString(e(rep.String()))
	b.WriteString("</pre>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func currencyOf(rep campaign.Report) string {
	if len(rep.Runs) == 0 {
		return ""
	}
	return rep.Runs[0].Currency.Code()
}

// barGroup is one group of bars: one program's values of the chart's series.
type barGroup struct {
	label  string
	values []loyalty.Money
	total  loyalty.Money // the exact total printed by stackChart
}

// toFloat converts an amount to a float for drawing only.
func toFloat(m loyalty.Money) float64 {
	return m.Decimal().InexactFloat64()
}

// barChart draws grouped vertical bars: a group per program, a bar per series, with the
// exact amount written above every bar and a legend of the series. Negative amounts (a
// program costing more than the margin) draw below the zero line.
func barChart(title string, series []string, groups []barGroup) string {
	const (
		width, height       = 900.0, 360.0
		left, right         = 60.0, 20.0
		top, bottom         = 40.0, 50.0
		plotW, plotH        = width - left - right, height - top - bottom
		groupGap, barGapPct = 40.0, 0.1
	)
	hi, lo := 0.0, 0.0
	for _, g := range groups {
		for _, v := range g.values {
			f := toFloat(v)
			hi, lo = max(hi, f), min(lo, f)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	y := func(f float64) float64 { return top + (hi-f)/(hi-lo)*plotH }
	var b strings.Builder
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", width, height, width, height)
	fmt.Fprintf(&b, "<title>%s</title>\n", html.EscapeString(title))
	fmt.Fprintf(&b, "<text x=\"%.0f\" y=\"20\" font-weight=\"bold\">%s</text>\n", left, html.EscapeString(title))
	zero := y(0)
	fmt.Fprintf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", left, zero, left+plotW, zero)
	groupW := (plotW - groupGap*float64(len(groups)-1)) / float64(max(1, len(groups)))
	barW := groupW / float64(max(1, len(series)))
	for gi, g := range groups {
		gx := left + float64(gi)*(groupW+groupGap)
		for si, v := range g.values {
			f := toFloat(v)
			x := gx + float64(si)*barW + barW*barGapPct/2
			top, bot := y(max(f, 0)), y(min(f, 0))
			fmt.Fprintf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s</title></rect>\n",
				x, top, barW*(1-barGapPct), bot-top, palette[si%len(palette)],
				html.EscapeString(g.label), html.EscapeString(series[si]), v.Amount())
			fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%s</text>\n",
				x+barW*(1-barGapPct)/2, top-4, v.Amount())
		}
		fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			gx+groupW/2, height-bottom+18, html.EscapeString(g.label))
	}
	b.WriteString(legend(series, left, height-12))
	b.WriteString("</svg>\n")
	return b.String()
}

// stackChart draws a horizontal bar per group, stacked from its (non-negative) values, with
// the exact total written after the bar and the share of each part in its tooltip.
func stackChart(title string, series []string, groups []barGroup) string {
	const (
		width, left, right = 900.0, 130.0, 120.0
		top, rowH, barH    = 40.0, 44.0, 28.0
		plotW              = width - left - right
	)
	height := top + rowH*float64(len(groups)) + 40
	most := 0.0
	for _, g := range groups {
		sum := 0.0
		for _, v := range g.values {
			sum += max(0, toFloat(v))
		}
		most = max(most, sum)
	}
	if most == 0 {
		most = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", width, height, width, height)
	fmt.Fprintf(&b, "<title>%s</title>\n", html.EscapeString(title))
	fmt.Fprintf(&b, "<text x=\"%.0f\" y=\"20\" font-weight=\"bold\">%s</text>\n", left, html.EscapeString(title))
	for gi, g := range groups {
		y := top + float64(gi)*rowH
		fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left-8, y+barH/2+4, html.EscapeString(g.label))
		x := left
		for si, v := range g.values {
			wd := max(0, toFloat(v)) / most * plotW
			fmt.Fprintf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s</title></rect>\n",
				x, y, wd, barH, palette[si%len(palette)], html.EscapeString(g.label), html.EscapeString(series[si]), v.Amount())
			x += wd
		}
		fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x+6, y+barH/2+4, g.total.Amount())
	}
	b.WriteString(legend(series, left, height-12))
	b.WriteString("</svg>\n")
	return b.String()
}

// legend draws a row of coloured squares with the series' names.
func legend(series []string, x, y float64) string {
	var b strings.Builder
	for i, s := range series {
		fmt.Fprintf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>", x, y-9, palette[i%len(palette)])
		fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x+14, y, html.EscapeString(s))
		x += 24 + 7*float64(len(s))
	}
	return b.String()
}

// tierChart draws the tier distribution as a stacked bar per month, a colour per level.
func tierChart(t campaign.TierTimeline) string {
	const (
		width, height = 900.0, 300.0
		left, right   = 60.0, 20.0
		top, bottom   = 20.0, 60.0
		plotW, plotH  = width - left - right, height - top - bottom
	)
	most := 1
	for _, m := range t.Months {
		n := 0
		for _, c := range m.Accounts {
			n += c
		}
		most = max(most, n)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", width, height, width, height)
	b.WriteString("<title>Accounts per tier at month end</title>\n")
	fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", left-6, top+4, most)
	fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n", left-6, top+plotH)
	slot := plotW / float64(len(t.Months))
	for i, m := range t.Months {
		x := left + float64(i)*slot
		base := top + plotH
		for li, c := range m.Accounts {
			h := float64(c) / float64(most) * plotH
			base -= h
			level := ""
			if li < len(t.Levels) {
				level = t.Levels[li]
			}
			fmt.Fprintf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %d</title></rect>\n",
				x+slot*0.1, base, slot*0.8, h, palette[li%len(palette)], m.Month, html.EscapeString(level), c)
		}
		fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%s</text>\n",
			x+slot/2, top+plotH+14, m.Month)
	}
	b.WriteString(legend(t.Levels, left, height-12))
	b.WriteString("</svg>\n")
	return b.String()
}
