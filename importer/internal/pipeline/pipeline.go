package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// RowSource yields validated rows in input order; *input.Reader is one.
type RowSource interface {
	Next() (rows.Row, error)
}

// Recorder takes each row's final outcome, in input order; report.Set is
// the one the CLI uses.
type Recorder interface {
	Record(rows.Outcome) error
}

// Known is what the pipeline needs of the cron state; *ledger.State is
// one: whether an earlier run settled a row, and each outcome of this
// run to remember (a row excluded) or forget (a record removed).
type Known interface {
	Has(rows.Row) bool
	Remember(rows.Outcome) error
}

// FailureLimitError stops a run after --max-failures rows failed.
type FailureLimitError struct{ Limit int }

func (e *FailureLimitError) Error() string {
	return fmt.Sprintf("stopped after %d rows failed (--max-failures)", e.Limit)
}

// Abort marks it a stop: every row is still recorded.
func (e *FailureLimitError) Abort() bool { return true }

// Pipeline is one pass of a list through Topo: read → validate → decide →
// act → record. It streams rows from Rows, settles what it can without a
// request (invalid rows, rows an earlier run settled, rows the cron state
// knows, rows the snapshot decides), hands the rest to a pool of workers
// that run Action on each, and records every row's outcome in input
// order. Memory is bounded by Window rows in flight, whatever the size of
// the input.
//
// Import, plan and remove are configurations of it: their Actions differ.
type Pass struct {
	Rows     RowSource
	Action   Action
	Recorder Recorder
	// Workers bounds the requests in flight.
	Workers *Workers
	// MaxFailures stops the run after that many failed rows (0: never).
	MaxFailures int
	// Grace is how long requests on the wire may take to finish once the
	// run is told to stop.
	Grace time.Duration
	// Window bounds the rows between reading and recording (default 1024).
	Window int
	// Stopped, when set, is why nothing may be sent (the key was refused
	// before the run began): every row is still read and recorded.
	Stopped error
	// Ledger, when set, journals every write and settles rows an earlier
	// run of the same input settled.
	Ledger Ledger
	// Now is the clock intents are stamped with (nil: time.Now).
	Now func() time.Time
	// Settled, when set, is told of each row's outcome as soon as it is
	// known, in whatever order rows settle (a progress display): the
	// Recorder gets them in input order, later.
	Settled func(rows.Outcome)
	// Known, when set, answers rows earlier runs imported as known,
	// without a request, and learns the rows this run settles.
	Known Known
}

type seqJob struct {
	seq    int
	job    Job
	canary bool // the first job: it goes alone
}

type seqOutcome struct {
	seq int
	out rows.Outcome
}

// stopper holds the first reason the run stopped sending, and counts the
// rows that failed, so that --max-failures stops the run at its limit:
// counted where a row fails, not when it is recorded in order, no row
// is sent after the limit is met.
type stopper struct {
	cause    atomic.Pointer[error]
	failures atomic.Int64
}

func (s *stopper) set(err error) { s.cause.CompareAndSwap(nil, &err) }

// failed counts a row that failed (or whose fate is unknown), and stops
// the run once max rows did (0: never).
func (s *stopper) failed(o rows.Outcome, max int) {
	if o.Status != rows.StatusFailed && o.Status != rows.StatusUnknown {
		return
	}
	if n := s.failures.Add(1); max > 0 && n >= int64(max) {
		s.set(&FailureLimitError{Limit: max})
	}
}
func (s *stopper) err() error {
	if p := s.cause.Load(); p != nil {
		return *p
	}
	return nil
}

// Run settles and records every row. ctx is the first stop (Ctrl-C,
// SIGTERM): no new row is sent, requests on the wire get Grace to finish,
// and every remaining row is recorded not_attempted. hard is the second:
// requests are cut off at once, and the rest of the input is still read
// and recorded, so that the report and the failures file stay complete.
//
// It returns nil when every row was dealt with, *topo.AuthError or
// *FailureLimitError when the run was aborted, ctx's cause when it was
// interrupted, and any error of the input, the journal or the recorder.
func (p *Pass) Run(ctx, hard context.Context) error {
	if p.Now == nil {
		p.Now = time.Now
	}
	window := p.Window
	if window <= 0 {
		window = 1024
	}
	// The second stop implies the first.
	ctx, stopSoft := context.WithCancelCause(ctx)
	defer stopSoft(nil)
	defer context.AfterFunc(hard, func() { stopSoft(context.Cause(hard)) })()
	inflight, stopInflight := context.WithCancel(hard)
	defer stopInflight()
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-time.After(p.Grace):
			case <-inflight.Done():
			}
			stopInflight()
		case <-inflight.Done():
		}
	}()

	var stop stopper
	if p.Stopped != nil {
		stop.set(p.Stopped)
	}
	slots := make(chan struct{}, window)
	// Buffered, so that the intents of the rows queued here are written
	// ahead and made durable by one sync.
	jobs := make(chan seqJob, 4*max(p.Workers.Max(), 1))
	results := make(chan seqOutcome, window)
	// Row failures are outcomes and a refused key is a stop cause, so the
	// only errors the group carries are the input's.
	var g errgroup.Group
	g.Go(func() error {
		defer close(jobs)
		return p.produce(ctx, &stop, slots, jobs, results)
	})
	gate := make(chan struct{}) // closed once the canary is answered
	for range max(p.Workers.Max(), 1) {
		g.Go(func() error {
			p.work(ctx, inflight, &stop, gate, jobs, results)
			return nil
		})
	}
	var inputErr error
	go func() {
		inputErr = g.Wait()
		close(results)
	}()
	recErr := p.collect(&stop, slots, results)

	switch {
	case recErr != nil:
		return recErr
	case inputErr != nil:
		return inputErr
	case stop.err() != nil:
		return stop.err()
	case ctx.Err() != nil:
		return context.Cause(ctx)
	}
	return nil
}

// produce reads rows and hands those that need Topo to the workers while
// the run goes on; every other row goes straight to the collector. It
// reads to the end even after a stop: unread rows must still be recorded.
func (p *Pass) produce(ctx context.Context, stop *stopper, slots chan struct{}, jobs chan<- seqJob, results chan<- seqOutcome) error {
	canary := true
	for seq := 0; ; seq++ {
		slots <- struct{}{} // blocks while Window rows are in flight
		row, err := p.Rows.Next()
		if errors.Is(err, io.EOF) {
			<-slots
			return nil
		}
		if err != nil {
			<-slots
			return err
		}
		out, job, settled := p.route(ctx, row, stop)
		if settled {
			p.settled(out)
			results <- seqOutcome{seq, out}
			continue
		}
		if p.Ledger != nil {
			if in, ok := p.Action.Ahead(job); ok {
				in.Row, in.At = row.Num, p.now()
				job.ahead = &ahead{intent: in, durable: p.Ledger.Intend(in)}
			}
		}
		jobs <- seqJob{seq, job, canary}
		canary = false
	}
}

// route settles a row without a request where it can: invalid, settled
// by an earlier run, known from the state, decided by the snapshot, or
// the run has stopped. Otherwise it returns the job for a worker.
func (p *Pass) route(ctx context.Context, row rows.Row, stop *stopper) (rows.Outcome, Job, bool) {
	if row.Status != rows.StatusValid {
		return rows.Checked(row), Job{}, true
	}
	job := Job{Row: row, Prior: Prior{MaybeSent: row.MaybeSent}}
	if p.Ledger != nil {
		if o, ok := p.Ledger.Settled(row.Num); ok {
			o.Row = row
			p.remember(o, stop)
			return o, Job{}, true
		}
		if prior := p.Ledger.Prior(row.Num); prior.MaybeSent {
			job.Prior = prior
		}
	}
	if p.Known != nil && p.Known.Has(row) {
		return rows.Outcome{Row: row, Status: rows.StatusKnown, Note: "an earlier run settled it (--state); not asked again"}, Job{}, true
	}
	if stop.err() != nil || ctx.Err() != nil {
		return notSent(job, stop.err()), Job{}, true
	}
	if out, ok := p.Action.Local(job); ok {
		stop.failed(out, p.MaxFailures)
		p.remember(out, stop)
		return out, Job{}, true
	}
	return rows.Outcome{}, job, false
}

// remember tells the state what Topo now holds of a row.
func (p *Pass) remember(o rows.Outcome, stop *stopper) {
	if p.Known == nil {
		return
	}
	if err := p.Known.Remember(o); err != nil {
		stop.set(fmt.Errorf("writing the state: %w", err))
	}
}

// work acts on jobs. The first job, the canary, goes alone: if the key
// lacks the write scope, one request finds out, not one per worker. It is
// the first job the producer sent, not the first a worker got to: a
// worker that wins that race with a later row would otherwise hold every
// other back for as long as that row takes.
func (p *Pass) work(ctx, inflight context.Context, stop *stopper, gate chan struct{}, jobs <-chan seqJob, results chan<- seqOutcome) {
	for j := range jobs {
		if !j.canary {
			select {
			case <-gate:
			case <-ctx.Done():
			}
		}
		var out rows.Outcome
		if p.Workers.Acquire(ctx) {
			out = p.act(ctx, inflight, stop, j.job)
			p.Workers.Release()
		} else {
			p.withdraw(j.job)
			out = notSent(j.job, stop.err())
		}
		if j.canary {
			close(gate)
		}
		p.settled(out)
		results <- seqOutcome{j.seq, out}
	}
}

// act runs the action on a job and journals its outcome. A refused key
// stops the run and leaves the row unsettled in the journal, so that a
// rerun with a good key sends it.
func (p *Pass) act(ctx, inflight context.Context, stop *stopper, job Job) rows.Outcome {
	if stop.err() != nil || ctx.Err() != nil {
		p.withdraw(job)
		return notSent(job, stop.err())
	}
	w := &Writes{ledger: p.Ledger, ahead: job.ahead, now: p.now}
	out, err := p.Action.Act(ctx, inflight, job, w)
	if !w.used {
		p.withdraw(job)
	}
	if err != nil {
		stop.set(err)
		return out
	}
	stop.failed(out, p.MaxFailures)
	// An unknown row is not settled: left as an intent, a rerun looks it
	// up before anything else.
	if p.Ledger != nil && out.Status != rows.StatusNotAttempted && out.Status != rows.StatusUnknown {
		if err := p.Ledger.Record(out); err != nil {
			stop.set(err)
		}
	}
	p.remember(out, stop)
	return out
}

// withdraw tells the journal that the intent written ahead for job never
// went out, so that a rerun does not look up a row this run never sent
// (and the resume's count of rows to look up agrees with this run's
// "not sent"). A row an earlier run may have sent stays to be looked up.
func (p *Pass) withdraw(job Job) {
	if p.Ledger != nil && job.ahead != nil && !job.Prior.MaybeSent {
		p.Ledger.Withdraw(job.Row.Num)
	}
}

// collect records outcomes in input order as they complete, freeing a
// window slot per row recorded. After a recorder error it only drains.
func (p *Pass) collect(stop *stopper, slots <-chan struct{}, results <-chan seqOutcome) error {
	pending := map[int]rows.Outcome{}
	next := 0
	var recErr error
	for r := range results {
		pending[r.seq] = r.out
		for {
			out, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			if out.Row.Status == rows.StatusValid {
				// How the row was read (an email unwrapped from quotes)
				// stays with what Topo answered.
				out.Note = rows.JoinNotes(out.Note, out.Row.Note)
			}
			if recErr == nil {
				if recErr = p.Recorder.Record(out); recErr != nil {
					stop.set(recErr)
				}
			}
			next++
			<-slots
		}
	}
	return recErr
}

// notSent is the outcome of a row the run stopped before sending: an
// earlier run's attempt may still have reached Topo.
func notSent(job Job, cause error) rows.Outcome {
	out := rows.Outcome{Row: job.Row, Status: rows.StatusNotAttempted, Err: "the run stopped before this row was sent"}
	if cause != nil {
		out.Err = "not sent: " + cause.Error()
	}
	if job.Prior.MaybeSent {
		out.MaybeSent = true
		out.Err += "; an earlier attempt may have reached Topo: it is looked up before anything is sent again"
	}
	return out
}

func (p *Pass) now() time.Time { return p.Now() }

func (p *Pass) settled(o rows.Outcome) {
	if p.Settled != nil {
		p.Settled(o)
	}
}
