package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// Second is one second of a run's timeline of requests.
type Second struct {
	Requests  int32 `json:"requests"`
	Throttled int32 `json:"throttled"`
	// Errors counts requests that got no answer, or a 5xx.
	Errors int32 `json:"errors"`
}

// Page is what the run page shows.
type Page struct {
	Summary  *Summary
	Timeline []Second
	Errors   []ErrorGroup
}

//go:embed page.html.tmpl
var pageTemplate string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"group":   group,
	"group64": func(n int64) string { return group(int(n)) },
	"plural":  Plural,
	"rows":    rowList,
	"pct":     func(n, of int) string { return fmt.Sprintf("%.1f", 100*float64(n)/float64(max(of, 1))) },
	"ms":      func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"time":    func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).Parse(pageTemplate))

// WritePage writes the run page: one self-contained HTML file (no
// network, no scripts) with the counts by status, requests per second and
// 429s over time, latency percentiles, the errors grouped by kind with
// their rows, the outputs and the settings. The key is never in it.
func WritePage(w io.Writer, p Page) error {
	badge, class := badgeOf(p.Summary)
	return pageTmpl.Execute(w, pageView{
		Page:       p,
		Badge:      badge,
		BadgeClass: class,
		Statuses:   statusRows(p.Summary),
		Chart:      timelineChart(p.Timeline),
		Settings:   settingRows(p.Summary.Settings),
		Columns:    columnRows(p.Summary),
	})
}

// columnRows are the input's columns and the field each became, in the
// dashboard's order.
func columnRows(s *Summary) [][2]string {
	var out [][2]string
	for _, f := range ColumnOrder {
		if h, ok := s.Columns[f]; ok {
			out = append(out, [2]string{h, f})
		}
	}
	return out
}

type pageView struct {
	Page
	Badge, BadgeClass string
	Statuses          []statusRow
	Chart             template.HTML
	Settings          [][2]string
	Columns           [][2]string
}

// badgeOf is the run's badge, from its exit code as a scheduler sees it:
// a run that completed with rows needing action is not green.
func badgeOf(s *Summary) (text, class string) {
	if s.ExitCode == 1 && s.Status == "completed" { // 1: rows need action
		return "needs action", "action"
	}
	return s.Status, s.Status
}

type statusRow struct {
	Status   rows.Status
	Count    int
	Class    string // done, action, neutral
	BarWidth string
}

func statusRows(s *Summary) []statusRow {
	var out []statusRow
	for _, st := range rows.Statuses {
		n := s.Counts[st]
		if n == 0 {
			continue
		}
		class := "neutral"
		switch {
		case st.NeedsAction():
			class = "action"
		case st.Done():
			class = "done"
		}
		out = append(out, statusRow{Status: st, Count: n, Class: class, BarWidth: fmt.Sprintf("%.1f%%", 100*float64(n)/float64(max(s.Rows, 1)))})
	}
	return out
}

func settingRows(m map[string]string) [][2]string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, m[k]}
	}
	return out
}

func rowList(rows []int, count int) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = fmt.Sprint(r)
	}
	s := strings.Join(parts, ", ")
	if count > len(rows) {
		s += fmt.Sprintf(" … and %s more", group(count-len(rows)))
	}
	return s
}

// chartBars is the most bars the timeline chart draws: longer runs are
// drawn a few seconds a bar.
const chartBars = 600

// timelineChart draws requests per second (and, in red, the 429s among
// them) as an SVG bar chart.
func timelineChart(secs []Second) template.HTML {
	if len(secs) == 0 {
		return template.HTML(`<p class="muted">No requests were sent.</p>`)
	}
	per := (len(secs) + chartBars - 1) / chartBars
	type bar struct{ req, thr float64 }
	var bars []bar
	peak := 1.0
	for i := 0; i < len(secs); i += per {
		var b bar
		end := min(i+per, len(secs))
		for _, s := range secs[i:end] {
			b.req += float64(s.Requests)
			b.thr += float64(s.Throttled)
		}
		b.req /= float64(end - i)
		b.thr /= float64(end - i)
		bars = append(bars, b)
		peak = max(peak, b.req)
	}
	const width, height, left, bottom = 900.0, 220.0, 40.0, 20.0
	bw := (width - left) / float64(len(bars))
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg viewBox="0 0 %g %g" role="img" aria-label="requests per second and 429 answers over time" class="chart">`, width, height)
	plot := height - bottom
	for _, frac := range []float64{0, 0.5, 1} {
		y := plot - frac*(plot-10)
		fmt.Fprintf(&sb, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" class="grid"/><text x="%g" y="%.1f" class="axis" text-anchor="end">%.1f</text>`,
			left, y, width, y, left-4, y+4, frac*peak)
	}
	for i, b := range bars {
		x := left + float64(i)*bw
		h := b.req / peak * (plot - 10)
		// A title per bar: hovering shows the figures behind it.
		fmt.Fprintf(&sb, `<g><title>%d–%d s: %.1f requests/s, %.1f answered 429</title><rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" class="req"/>`,
			i*per, min((i+1)*per, len(secs)), b.req, b.thr, x, plot-h, max(bw-0.5, 0.5), h)
		if b.thr > 0 {
			t := b.thr / peak * (plot - 10)
			fmt.Fprintf(&sb, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" class="thr"/>`, x, plot-t, max(bw-0.5, 0.5), t)
		}
		sb.WriteString(`</g>`)
	}
	fmt.Fprintf(&sb, `<text x="%g" y="%g" class="axis">0 s</text><text x="%g" y="%g" class="axis" text-anchor="end">%d s</text></svg>`,
		left, height-4, width, height-4, len(secs))
	return template.HTML(sb.String())
}
