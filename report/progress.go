package report

import (
	"fmt"
	"io"
	"log/slog"
	"math"
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
	// SetPace shows the requests' pace beside the counts.
	SetPace(Pace)
	Finish()
}

// Pace is what a display shows of the requests' pace: the rate they are
// sent at now (0 or +Inf: unlimited) and whether Topo is answering 429s,
// when rows wait rather than settle.
type Pace func() (perSecond float64, throttled bool)

// tally counts outcomes for progress displays.
type tally struct {
	mu     sync.Mutex
	done   int
	counts map[rows.Status]int
	start  time.Time
	pace   Pace
}

// paceAttrs are the pace as log attributes (none without a Pace).
func (t *tally) paceAttrs() []any {
	if t.pace == nil {
		return nil
	}
	rate, throttled := t.pace()
	var a []any
	if rate > 0 && !math.IsInf(rate, 0) {
		a = append(a, "pace_per_second", math.Round(rate*10)/10)
	}
	if throttled {
		a = append(a, "waiting_out_429s", true)
	}
	return a
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
// the counts that matter, and the pace.
type Bar struct {
	bar  *progressbar.ProgressBar
	t    tally
	stop chan struct{}
	done sync.WaitGroup
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
	b.describe()
	_ = b.bar.Add(1)
}

// SetPace shows p beside the counts, redrawn twice a second: while Topo
// answers 429s no row settles, and a bar that does not move is taken for
// a hang.
func (b *Bar) SetPace(p Pace) {
	b.t.mu.Lock()
	b.t.pace = p
	b.t.mu.Unlock()
	b.stop = make(chan struct{})
	b.done.Go(func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.describe()
			case <-b.stop:
				return
			}
		}
	})
}

func (b *Bar) describe() {
	b.t.mu.Lock()
	a := append(b.t.attrs(), b.t.paceAttrs()...)
	b.t.mu.Unlock()
	parts := make([]string, 0, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		switch v := a[i+1].(type) {
		case int:
			parts = append(parts, a[i].(string)+" "+group(v))
		case float64:
			parts = append(parts, fmt.Sprintf("%.1f req/s", v))
		case bool:
			parts = append(parts, "waiting out 429s")
		}
	}
	b.bar.Describe(strings.Join(parts, " · "))
}

// Set moves the bar to done items.
func (b *Bar) Set(done int) { _ = b.bar.Set(done) }

// Finish removes the bar.
func (b *Bar) Finish() {
	if b.stop != nil {
		close(b.stop)
		b.done.Wait()
	}
	_ = b.bar.Finish()
}

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

// SetPace adds the pace to each line.
func (tk *Ticker) SetPace(p Pace) {
	tk.t.mu.Lock()
	tk.t.pace = p
	tk.t.mu.Unlock()
}

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
	attrs := append(append([]any{"rows", tk.t.done, "total", total}, tk.t.attrs()...), tk.t.paceAttrs()...)
	tk.log.Info("progress", append(append(attrs, "rows_per_second", float64(int(rate*10))/10), "doing", tk.what)...)
}
