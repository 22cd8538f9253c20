package main

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/loyaltykit/loyalty/discount"
)

// The chart's geometry, in SVG user units (pixels).
const (
	chartW, chartH = 780, 480
	plotL, plotR   = 80, 580 // plot area: x from plotL to plotR
	plotT, plotB   = 50, 410 // y from plotT (top) to plotB (bottom)
)

// curveColours are told apart by most colour-blind readers (the ColorBrewer "Dark2" set).
var curveColours = []string{"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"}

// chartSVG draws the break-even uplift curves u(d) = d / (m − d), one path per margin m,
// for discounts d from 0 to xMax and uplifts from 0 to yMax (both in percent), as a
// self-contained SVG document.
//
// Every point on a curve is computed exactly by [discount.BreakEvenUplift]. The exact values
// are converted to float64 only here, to place them on the drawing: pixel coordinates are
// presentation, not money, and a rounding error far below a pixel changes nothing.
func chartSVG(margins []decimal.Decimal, xMax, yMax decimal.Decimal) ([]byte, error) {
	xm, ym := xMax.InexactFloat64(), yMax.InexactFloat64()
	px := func(d decimal.Decimal) float64 { return plotL + d.InexactFloat64()/xm*(plotR-plotL) }
	py := func(u decimal.Decimal) float64 {
		y := plotB - u.InexactFloat64()/ym*(plotB-plotT)
		return max(y, plotT) // the last point may lie a rounding error above the top
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n",
		chartW, chartH, chartW, chartH)
	b.WriteString("<title>Break-even sales uplift after a discount, by gross margin</title>\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartW, chartH)
	text(&b, (plotL+plotR)/2, 28, "middle", `font-size="16" font-weight="bold"`,
		"Sales uplift needed to keep gross profit after a discount")

	// Grid, ticks and tick labels: every 5 points of discount, every 50 points of uplift.
	step := decimal.NewFromInt(5)
	for d := decimal.Zero; d.LessThanOrEqual(xMax); d = d.Add(step) {
		x := px(d)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x, plotT, x, plotB)
		text(&b, x, plotB+18, "middle", "", pctIn(d))
	}
	step = decimal.NewFromInt(50)
	for u := decimal.Zero; u.LessThanOrEqual(yMax); u = u.Add(step) {
		y := py(u)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", plotL, y, plotR, y)
		text(&b, plotL-8, y+4, "end", "", "+"+pctIn(u))
	}
	// Axes and their labels.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", plotL, plotB, plotR, plotB)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", plotL, plotT, plotL, plotB)
	text(&b, (plotL+plotR)/2, plotB+42, "middle", "", "discount, % of the price")
	text(&b, 22, (plotT+plotB)/2, "middle", fmt.Sprintf(`transform="rotate(-90 22 %d)"`, (plotT+plotB)/2),
		"required increase in sales volume")

	// One curve per margin: from no discount to where it leaves the chart, at the top (the
	// discount whose break-even uplift is yMax) or at the right edge.
	sample := decimal.RequireFromString("0.25")
	for i, m := range margins {
		colour := curveColours[i%len(curveColours)]
		end, err := discount.MaxDiscountForUplift(m, yMax)
		if err != nil {
			return nil, err
		}
		end = decimal.Min(end, xMax)
		var path strings.Builder
		for d := decimal.Zero; ; d = d.Add(sample) {
			if d.GreaterThan(end) {
				d = end
			}
			u, err := discount.BreakEvenUplift(m, d)
			if err != nil {
				return nil, err
			}
			cmd := " L"
			if d.IsZero() {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f,%.1f", cmd, px(d), py(u))
			if d.Equal(end) {
				break
			}
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2.5"><title>margin %s</title></path>`+"\n",
			path.String(), colour, pctIn(m))
		// Where the discount reaches the margin there is no break-even at all.
		if m.LessThanOrEqual(xMax) {
			x := px(m)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-dasharray="4 4"/>`+"\n",
				x, plotT, x, plotB, colour)
		}
		// Legend entry.
		y := plotT + 10 + 24*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.5"/>`+"\n",
			plotR+20, y, plotR+48, y, colour)
		text(&b, plotR+56, float64(y)+4, "start", "", "margin "+pctIn(m))
	}
	ly := plotT + 10 + 24*len(margins)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-dasharray="4 4"/>`+"\n",
		plotR+20, ly, plotR+48, ly)
	text(&b, plotR+56, float64(ly)+4, "start", "", "discount = margin:")
	text(&b, plotR+56, float64(ly)+20, "start", "", "no break-even")
	b.WriteString("</svg>\n")
	return []byte(b.String()), nil
}

// text writes an SVG text element at (x, y) with the given anchor, extra attributes and
// escaped content.
func text(b *strings.Builder, x, y float64, anchor, attrs, s string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s"`, x, y, anchor)
	if attrs != "" {
		b.WriteString(" " + attrs)
	}
	b.WriteString(">")
	_ = xml.EscapeText(b, []byte(s)) // a strings.Builder never fails to write
	b.WriteString("</text>\n")
}
