package report

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/topo-io/topo-exclusions/importer"
)

// Progress shows a run advancing. The CLI decides once which kind: a bar on
// a terminal, plain log lines otherwise.
type Progress interface {
	Add(importer.Outcome)
	// Set says how many items are done (an export's records).
	Set(done int)
	Finish()
}

// tally counts outcomes for progress displays.
type tally struct {
	mu     sync.Mutex
	done   int
	counts map[importer.Status]int
	start  time.Time
}

func (t *tally) add(o importer.Outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[importer.Status]int{}
	}
	t.done++
	t.counts[o.Status]++
}

// shown are the statuses a progress display counts, when they occur.
var shown = []importer.Status{
	importer.StatusCreated, importer.StatusExists, importer.StatusExtended, importer.StatusUpdated,
	importer.StatusRemoved, importer.StatusNotFound, importer.StatusWouldCreate, importer.StatusWouldExtend,
	importer.StatusWouldRemove, importer.StatusExistsShorter, importer.StatusFailed, importer.StatusUnknown,
	importer.StatusNotAttempted,
}

// attrs are the counts as log attributes: those shown, when non-zero,
// and the three an import is read by always (none when only a count of
// items was set: an export's).
func (t *tally) attrs() []any {
	var a []any
	if len(t.counts) == 0 && t.done > 0 {
		return nil
	}
	for _, st := range shown {
		n := t.counts[st]
		if n > 0 || st == importer.StatusCreated || st == importer.StatusExists || st == importer.StatusFailed {
			a = append(a, string(st), n)
		}
	}
	return a
}

// Bar is a progress bar for a terminal: rows done of total, rate, ETA,
// and the counts that matter.
type Bar struct {
	bar *progressbar.ProgressBar
	t   tally
}

// NewBar draws on w (standard error); total is -1 when unknown; what names
// the work ("importing", "removing"…).
func NewBar(w io.Writer, total int, what string) *Bar {
	return &Bar{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
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
	a := b.t.attrs()
	b.t.mu.Unlock()
	parts := make([]string, 0, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		parts = append(parts, a[i].(string)+" "+group(a[i+1].(int)))
	}
	desc := strings.Join(parts, " · ")
	b.bar.Describe(desc)
	_ = b.bar.Add(1)
}

// Set moves the bar to done items.
func (b *Bar) Set(done int) { _ = b.bar.Set(done) }

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

// Set says how many items are done.
func (tk *Ticker) Set(done int) {
	tk.t.mu.Lock()
	tk.t.done = done
	tk.t.mu.Unlock()
}

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
	attrs := append([]any{"rows", tk.t.done, "total", tk.total}, tk.t.attrs()...)
	tk.log.Info("progress", append(attrs, "rows_per_second", float64(int(rate*10))/10)...)
}
