package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// RowSender sends one valid row; *Sender is one. unsure says an earlier
// run may already have sent it.
type RowSender interface {
	Send(ctx, inflight context.Context, row Row, unsure bool) (Outcome, error)
}

// Ledger is what the pool needs of a journal; *Journal is one.
type Ledger interface {
	// Settled is the outcome an earlier run recorded for a row.
	Settled(num int) (Outcome, bool)
	// Unsure says an earlier run may have sent a row without an outcome.
	Unsure(num int) bool
	// Intent notes that a row may be sent, and returns a wait that
	// returns once that note is durable: the row must not go out before.
	// Intents noted ahead share one sync.
	Intent(num int) (durable func() error)
	// Record notes a row's final outcome.
	Record(Outcome) error
}

// Known is what the pool needs of the cron state; *State is one.
type Known interface {
	Has(Row) bool
	Add(Row) error
}

// RowSource yields validated rows in input order; *Reader is one.
type RowSource interface {
	Next() (Row, error)
}

// FailureLimitError stops a run after --max-failures rows failed.
type FailureLimitError struct{ Limit int }

func (e *FailureLimitError) Error() string {
	return fmt.Sprintf("stopped after %d rows failed (--max-failures)", e.Limit)
}

// Import streams rows from Rows to a pool of workers that send the valid
// ones, and records every row's outcome in input order. Memory is bounded
// by Window rows in flight, whatever the input's size.
type Import struct {
	Rows        RowSource
	Sender      RowSender
	Recorder    Recorder
	Concurrency int
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
	// Ledger, when set, journals every send and settles rows an earlier
	// run of the same input settled.
	Ledger Ledger
	// Known, when set, answers rows earlier runs imported as exists,
	// without a request, and learns the rows this run settles.
	Known Known
}

type seqRow struct {
	seq     int
	row     Row
	unsure  bool
	durable func() error // the row's intent is on disk once this returns
}

type seqOutcome struct {
	seq int
	out Outcome
}

// stopper holds the first reason the run stopped sending.
type stopper struct{ cause atomic.Pointer[error] }

func (s *stopper) set(err error) { s.cause.CompareAndSwap(nil, &err) }
func (s *stopper) err() error {
	if p := s.cause.Load(); p != nil {
		return *p
	}
	return nil
}

// Run sends and records every row. ctx is the first stop (Ctrl-C, SIGTERM):
// no new row is sent, requests on the wire get Grace to finish, and every
// remaining row is recorded not_attempted. hard is the second: requests
// are cut off and reading stops at once; what was read is still recorded.
//
// It returns nil when every row was dealt with, *AuthError or
// *FailureLimitError when the run was aborted, ctx's cause when it was
// interrupted, and any error of the input or the recorder.
func (im *Import) Run(ctx, hard context.Context) error {
	window := im.Window
	if window <= 0 {
		window = 1024
	}
	inflight, stopInflight := context.WithCancel(hard)
	defer stopInflight()
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-time.After(im.Grace):
			case <-inflight.Done():
			}
			stopInflight()
		case <-inflight.Done():
		}
	}()

	var stop stopper
	if im.Stopped != nil {
		stop.set(im.Stopped)
	}
	slots := make(chan struct{}, window)
	// Buffered, so that the intents of the rows queued here are written
	// ahead and made durable by one sync.
	jobs := make(chan seqRow, 4*max(im.Concurrency, 1))
	results := make(chan seqOutcome, window)
	// Row failures are outcomes and a refused key is a stop cause, so the
	// only errors the group carries are the input's.
	var g errgroup.Group
	g.Go(func() error {
		defer close(jobs)
		return im.produce(ctx, hard, &stop, slots, jobs, results)
	})
	gate := &canary{open: make(chan struct{})}
	for range max(im.Concurrency, 1) {
		g.Go(func() error {
			im.work(ctx, inflight, &stop, gate, jobs, results)
			return nil
		})
	}
	var inputErr error
	go func() {
		inputErr = g.Wait()
		close(results)
	}()
	recErr := im.collect(&stop, slots, results)

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

// produce reads rows and hands the valid ones to the workers while the run
// goes on; every other row goes straight to the collector.
func (im *Import) produce(ctx, hard context.Context, stop *stopper, slots chan struct{}, jobs chan<- seqRow, results chan<- seqOutcome) error {
	for seq := 0; ; seq++ {
		slots <- struct{}{} // blocks while Window rows are in flight
		if hard.Err() != nil {
			<-slots
			return nil
		}
		row, err := im.Rows.Next()
		if errors.Is(err, io.EOF) {
			<-slots
			return nil
		}
		if err != nil {
			<-slots
			return err
		}
		if out, settled := im.route(ctx, seq, row, stop, jobs); settled {
			results <- out
		}
	}
}

// route settles a row without sending it where it can (invalid, settled
// by an earlier run, known from the state, or the run has stopped), and
// otherwise hands it to a worker and returns nothing.
func (im *Import) route(ctx context.Context, seq int, row Row, stop *stopper, jobs chan<- seqRow) (seqOutcome, bool) {
	if row.Status != StatusValid {
		return seqOutcome{seq, Checked(row)}, true
	}
	if im.Ledger != nil {
		if o, ok := im.Ledger.Settled(row.Num); ok {
			o.Row = row
			im.remember(o, stop)
			return seqOutcome{seq, o}, true
		}
	}
	if im.Known != nil && im.Known.Has(row) {
		return seqOutcome{seq, Outcome{Row: row, Status: StatusExists, Err: "already imported (known from --state)"}}, true
	}
	if stop.err() != nil || ctx.Err() != nil {
		return seqOutcome{seq, notSent(row, stop.err())}, true
	}
	job := seqRow{seq: seq, row: row}
	if im.Ledger != nil {
		job.unsure = im.Ledger.Unsure(row.Num)
		job.durable = im.Ledger.Intent(row.Num)
	}
	jobs <- job
	return seqOutcome{}, false
}

// remember teaches the state a row that is now in Topo.
func (im *Import) remember(o Outcome, stop *stopper) {
	if im.Known == nil || (o.Status != StatusCreated && o.Status != StatusExists) {
		return
	}
	if err := im.Known.Add(o.Row); err != nil {
		stop.set(fmt.Errorf("writing the state: %w", err))
	}
}

// canary lets the first row go alone: if the key lacks the write scope,
// one request finds out, not one per worker.
type canary struct {
	taken atomic.Bool
	open  chan struct{}
}

func (im *Import) work(ctx, inflight context.Context, stop *stopper, gate *canary, jobs <-chan seqRow, results chan<- seqOutcome) {
	for j := range jobs {
		first := gate.taken.CompareAndSwap(false, true)
		if !first {
			select {
			case <-gate.open:
			case <-ctx.Done():
			}
		}
		out := im.send(ctx, inflight, stop, j)
		if first {
			close(gate.open)
		}
		results <- seqOutcome{j.seq, out}
	}
}

// send journals the intent, sends, and journals the outcome. A refused
// key stops the run and leaves the row unsettled in the journal, so that
// a rerun with a good key sends it.
func (im *Import) send(ctx, inflight context.Context, stop *stopper, j seqRow) Outcome {
	if stop.err() != nil || ctx.Err() != nil {
		return notSent(j.row, stop.err())
	}
	if j.durable != nil {
		if err := j.durable(); err != nil {
			stop.set(err)
			return notSent(j.row, err)
		}
	}
	out, err := im.Sender.Send(ctx, inflight, j.row, j.unsure)
	if err != nil {
		stop.set(err)
		return out
	}
	if im.Ledger != nil && out.Status != StatusNotAttempted {
		if err := im.Ledger.Record(out); err != nil {
			stop.set(err)
		}
	}
	im.remember(out, stop)
	return out
}

// collect records outcomes in input order as they complete, freeing a
// window slot per row recorded. After a recorder error it only drains.
func (im *Import) collect(stop *stopper, slots <-chan struct{}, results <-chan seqOutcome) error {
	pending := map[int]Outcome{}
	next, failures := 0, 0
	var recErr error
	for r := range results {
		if r.out.Status == StatusFailed {
			if failures++; im.MaxFailures > 0 && failures >= im.MaxFailures {
				stop.set(&FailureLimitError{Limit: im.MaxFailures})
			}
		}
		pending[r.seq] = r.out
		for {
			out, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			if recErr == nil {
				if recErr = im.Recorder.Record(out); recErr != nil {
					stop.set(recErr)
				}
			}
			next++
			<-slots
		}
	}
	return recErr
}

func notSent(row Row, cause error) Outcome {
	out := Outcome{Row: row, Status: StatusNotAttempted, Err: "the run stopped before this row was sent"}
	if cause != nil {
		out.Err = "not sent: " + cause.Error()
	}
	return out
}
