package report

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// Progress shows a run advancing. The CLI decides once which kind: a bar on
// a terminal, plain log lines otherwise.
type Progress interface {
	Add(rows.Outcome)
	// Set says how many items are done (an export's records).
	Set(done int)
	Finish()
}

// tally counts outcomes for progress displays.
type tally struct {
	mu     sync.Mutex
	done   int
	counts map[rows.Status]int
	start  time.Time
}

func (t *tally) add(o rows.Outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[rows.Status]int{}
	}
	t.done++
	t.counts[o.Status]++
}

// shown are the statuses a progress display counts, when they occur.
var shown = []rows.Status{
	rows.StatusCreated, rows.StatusExists, rows.StatusExtended, rows.StatusUpdated,
	rows.StatusRemoved, rows.StatusNotFound, rows.StatusWouldCreate, rows.StatusWouldExtend,
	rows.StatusWouldRemove, rows.StatusExistsShorter, rows.StatusFailed, rows.StatusUnknown,
	rows.StatusNotAttempted,
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
		if n > 0 || st == rows.StatusCreated || st == rows.StatusExists || st == rows.StatusFailed {
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
func (b *Bar) Add(o rows.Outcome) {
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
	what  string
	now   func() time.Time
	log   *slog.Logger
	total int
	t     tally
	stop  chan struct{}
	done  sync.WaitGroup
}

// NewTicker starts logging progress to log every interval; total is -1
// when unknown; what names the work ("importing", "checking outreach");
// now is the clock rates are measured by.
func NewTicker(log *slog.Logger, total int, what string, interval time.Duration, now func() time.Time) *Ticker {
	tk := &Ticker{log: log, total: total, what: what, stop: make(chan struct{}), now: now}
	tk.t.start = now()
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
func (tk *Ticker) Add(o rows.Outcome) { tk.t.add(o) }

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
	elapsed := tk.now().Sub(tk.t.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(tk.t.done) / elapsed
	}
	var total any = tk.total
	if tk.total < 0 {
		total = "unknown" // not "-1": a reader would take it for a count
	}
	attrs := append([]any{"rows", tk.t.done, "total", total}, tk.t.attrs()...)
	tk.log.Info("progress", append(append(attrs, "rows_per_second", float64(int(rate*10))/10), "doing", tk.what)...)
}
