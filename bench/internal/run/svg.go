package run

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Series is one named row of values of a chart; NaN marks a missing value.
type Series struct {
	Name   string
	Values []float64
}

var palette = []string{"#e4572e", "#17bebb", "#ffc914", "#2e282a", "#76b041", "#7b5ea7", "#f28482", "#4c6ef5"}

const (
	svgW, svgH             = 760, 380
	padL, padR, padT, padB = 70, 150, 40, 70
	plotW, plotH           = svgW - padL - padR, svgH - padT - padB
	fontStyle              = `font-family="Helvetica,Arial,sans-serif"`
)

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func seriesMax(series []Series) float64 {
	m := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				m = max(m, v)
			}
		}
	}
	return m
}

// frame writes the SVG header, title, y axis with grid lines and the legend; it returns
// the y scale's top.
func frame(b *strings.Builder, title, yLabel string, series []Series, legendLines bool) float64 {
	top := niceMax(seriesMax(series))
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s font-size="12">`+"\n", svgW, svgH, svgW, svgH, fontStyle)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", padL, html.EscapeString(title))
	for i := 0; i <= 5; i++ {
		v := top * float64(i) / 5
		y := padT + plotH - int(math.Round(float64(plotH)*float64(i)/5))
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/>`+"\n", padL, y, padL+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", padL-6, y+4, trimFloat(v))
	}
	fmt.Fprintf(b, `<text transform="translate(16,%d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", padT+plotH/2, html.EscapeString(yLabel))
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", padL, padT+plotH, padL+plotW, padT+plotH)
	for i, s := range series {
		x, y := padL+plotW+16, padT+10+i*20
		c := palette[i%len(palette)]
		if legendLines {
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", x, y-4, x+14, y-4, c)
		} else {
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", x, y-10, c)
		}
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", x+20, y, html.EscapeString(s.Name))
	}
	return top
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	if strings.Contains(s, "e") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s
}

func yOf(v, top float64) float64 { return float64(padT+plotH) - float64(plotH)*v/top }

// xLabel writes a category label under the axis, slanted if long.
func xLabel(b *strings.Builder, x float64, label string, bold bool) {
	weight := ""
	if bold {
		weight = ` font-weight="bold"`
	}
	if len(label) > 6 {
		fmt.Fprintf(b, `<text transform="translate(%.1f,%d) rotate(-30)" text-anchor="end"%s>%s</text>`+"\n", x, padT+plotH+16, weight, html.EscapeString(label))
		return
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle"%s>%s</text>`+"\n", x, padT+plotH+18, weight, html.EscapeString(label))
}

// BarChart draws grouped bars: one group per category, one bar per series.
func BarChart(title, yLabel string, cats []string, series []Series) string {
	var b strings.Builder
	top := frame(&b, title, yLabel, series, false)
	group := float64(plotW) / float64(max(1, len(cats)))
	bar := group * 0.8 / float64(max(1, len(series)))
	for ci, c := range cats {
		x0 := float64(padL) + group*float64(ci) + group*0.1
		for si, s := range series {
			if ci >= len(s.Values) || math.IsNaN(s.Values[ci]) {
				continue
			}
			v := s.Values[ci]
			y := yOf(v, top)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`+"\n",
				x0+bar*float64(si), y, bar*0.95, float64(padT+plotH)-y, palette[si%len(palette)], html.EscapeString(s.Name), html.EscapeString(c), trimFloat(v))
		}
		xLabel(&b, x0+group*0.4, c, false)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// LineChart draws one line per series over categorical x positions; the x label at
// index mark (the default setting; -1 for none) is drawn bold with a dashed guide.
func LineChart(title, xTitle, yLabel string, xs []string, series []Series, mark int) string {
	var b strings.Builder
	top := frame(&b, title, yLabel, series, true)
	step := float64(plotW) / float64(max(1, len(xs)))
	xOf := func(i int) float64 { return float64(padL) + step*(float64(i)+0.5) }
	if mark >= 0 && mark < len(xs) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999" stroke-dasharray="4,4"/>`+"\n", xOf(mark), padT, xOf(mark), padT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#666">default</text>`+"\n", xOf(mark), padT-4)
	}
	for i, x := range xs {
		xLabel(&b, xOf(i), x, i == mark)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", padL+plotW/2, svgH-8, html.EscapeString(xTitle))
	for si, s := range series {
		c := palette[si%len(palette)]
		var pts []string
		for i, v := range s.Values {
			if i >= len(xs) || math.IsNaN(v) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(i), yOf(v, top)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s %s: %s</title></circle>`+"\n", xOf(i), yOf(v, top), c, html.EscapeString(s.Name), html.EscapeString(xs[i]), trimFloat(v))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), c)
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}
