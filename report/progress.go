package report

import (
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/topo-io/topo-exclusions/importer"
)

// Progress shows a run advancing. The CLI decides once which kind: a bar on
// a terminal, plain log lines otherwise.
type Progress interface {
	Add(importer.Outcome)
	Finish()
}

// tally counts outcomes for progress displays.
type tally struct {
	mu                                       sync.Mutex
	done, created, exists, failed, na, would int
	start                                    time.Time
}

func (t *tally) add(o importer.Outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done++
	switch o.Status {
	case importer.StatusCreated:
		t.created++
	case importer.StatusExists:
		t.exists++
	case importer.StatusFailed:
		t.failed++
	case importer.StatusNotAttempted:
		t.na++
	case importer.StatusWouldCreate:
		t.would++
	}
}

// Bar is a progress bar for a terminal: rows done of total, rate, ETA,
// and the created/exists/failed counts.
type Bar struct {
	bar *progressbar.ProgressBar
	t   tally
}

// NewBar draws on w (standard error); total is -1 when unknown.
func NewBar(w io.Writer, total int) *Bar {
	return &Bar{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionClearOnFinish(),
	)}
}

// Add counts one row.
func (b *Bar) Add(o importer.Outcome) {
	b.t.add(o)
	b.t.mu.Lock()
	desc := "created " + group(b.t.created) + " · exists " + group(b.t.exists) + " · failed " + group(b.t.failed)
	b.t.mu.Unlock()
	b.bar.Describe(desc)
	_ = b.bar.Add(1)
}

// Finish removes the bar.
func (b *Bar) Finish() { _ = b.bar.Finish() }

// Ticker logs a line every interval (and once at the end) for logs that
// a scheduler keeps: no carriage returns, no redraws.
type Ticker struct {
	log   *slog.Logger
	total int
	t     tally
	stop  chan struct{}
	done  sync.WaitGroup
}

// NewTicker starts logging progress to log every interval; total is -1
// when unknown.
func NewTicker(log *slog.Logger, total int, interval time.Duration) *Ticker {
	tk := &Ticker{log: log, total: total, stop: make(chan struct{})}
	tk.t.start = time.Now()
	tk.done.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				tk.line()
			case <-tk.stop:
				return
			}
		}
	})
	return tk
}

// Add counts one row.
func (tk *Ticker) Add(o importer.Outcome) { tk.t.add(o) }

// Finish logs the last line and stops the ticker.
func (tk *Ticker) Finish() {
	close(tk.stop)
	tk.done.Wait()
	tk.line()
}

func (tk *Ticker) line() {
	tk.t.mu.Lock()
	defer tk.t.mu.Unlock()
	elapsed := time.Since(tk.t.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(tk.t.done) / elapsed
	}
	attrs := []any{"rows", tk.t.done, "total", tk.total, "created", tk.t.created,
		"exists", tk.t.exists, "failed", tk.t.failed, "not_attempted", tk.t.na}
	if tk.t.would > 0 {
		attrs = append(attrs, "would_create", tk.t.would)
	}
	tk.log.Info("progress", append(attrs, "rows_per_second", float64(int(rate*10))/10)...)
}
