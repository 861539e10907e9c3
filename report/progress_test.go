package report

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

func TestTickerLogsPlainLines(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	tk := NewTicker(log, 3, "checking", time.Hour, time.Now)
	tk.Add(rows.Outcome{Status: rows.StatusCreated})
	tk.Add(rows.Outcome{Status: rows.StatusExists})
	tk.Add(rows.Outcome{Status: rows.StatusFailed})
	tk.Finish()
	out := buf.String()
	if strings.Count(out, "\n") != 1 || strings.Contains(out, "\r") {
		t.Fatalf("want one plain line at the end, got %q", out)
	}
	for _, want := range []string{"msg=progress", "rows=3", "total=3", "created=1", "exists=1", "failed=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress line lacks %s: %s", want, out)
		}
	}
}

// TestTickerUnknownTotal: a workbook's or a pipe's row count is not
// known before the end: said so, not as -1.
func TestTickerUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	tk := NewTicker(slog.New(slog.NewTextHandler(&buf, nil)), -1, "importing", time.Hour, time.Now)
	tk.Add(rows.Outcome{Status: rows.StatusCreated})
	tk.Finish()
	if out := buf.String(); !strings.Contains(out, "total=unknown") || strings.Contains(out, "total=-1") {
		t.Errorf("progress line: %s", out)
	}
}

func TestBarDrawsOnItsWriter(t *testing.T) {
	var buf bytes.Buffer
	b := NewBar(&buf, 2, "importing")
	b.Add(rows.Outcome{Status: rows.StatusCreated})
	b.Add(rows.Outcome{Status: rows.StatusFailed})
	b.Finish()
	// Rendering is throttled, so only the first frame is certain.
	if out := buf.String(); !strings.Contains(out, "/2,") || !strings.Contains(out, "created 1") {
		t.Errorf("the bar shows no count of 2 or no created count: %q", out)
	}
}

// TestProgressShowsThePace: while Topo answers 429s rows wait rather than
// settle; the line says so, with the pace requests go at.
func TestProgressShowsThePace(t *testing.T) {
	var buf bytes.Buffer
	tk := NewTicker(slog.New(slog.NewTextHandler(&buf, nil)), 10, "importing", time.Hour, time.Now)
	tk.SetPace(func() (float64, bool) { return 12.34, true })
	tk.Finish()
	if out := buf.String(); !strings.Contains(out, "pace_per_second=12.3") || !strings.Contains(out, "waiting_out_429s=true") {
		t.Errorf("progress line: %s", out)
	}
	var bar bytes.Buffer
	b := NewBar(&bar, 10, "importing")
	b.SetPace(func() (float64, bool) { return 12.34, true })
	b.Add(rows.Outcome{Status: rows.StatusCreated})
	b.Finish()
	if out := bar.String(); !strings.Contains(out, "12.3 req/s") || !strings.Contains(out, "waiting out 429s") {
		t.Errorf("bar: %q", out)
	}
}
