package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// synthetic is a RowSource of n valid rows, with every invalidEvery-th invalid.
type synthetic struct {
	n, i, invalidEvery int
}

func (r *synthetic) Next() (rows.Row, error) {
	if r.i >= r.n {
		return rows.Row{}, io.EOF
	}
	r.i++
	row := rows.Row{Num: r.i + 1, Status: rows.StatusValid, Norm: rows.Fields{Email: fmt.Sprintf("p%d@x.co", r.i), Reason: "OTHER"}}
	if r.invalidEvery > 0 && r.i%r.invalidEvery == 0 {
		row.Status, row.Err = rows.StatusInvalid, "bad"
	}
	return row, nil
}

// fakeSender settles rows after a random pause; rows for which fail says
// so fail, and from row fatalFrom on (when set) the key is refused, as
// when it is revoked mid-run.
type fakeSender struct {
	sent      atomic.Int64
	fail      func(num int) bool
	fatalFrom int
	block     chan struct{} // when set, sends wait on it (or the run stopping)
}

func (f *fakeSender) Local(Job) (rows.Outcome, bool) { return rows.Outcome{}, false }
func (f *fakeSender) Ahead(Job) (Intent, bool)       { return Intent{Op: api.OpCreate}, true }
func (f *fakeSender) Act(ctx, inflight context.Context, job Job, _ *Writes) (rows.Outcome, error) {
	row := job.Row
	f.sent.Add(1)
	if f.block != nil {
		select {
		case <-f.block:
		case <-inflight.Done():
			return rows.Outcome{Row: row, Status: rows.StatusNotAttempted, Err: "cut off"}, nil
		}
	}
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
	switch {
	case f.fatalFrom > 0 && row.Num >= f.fatalFrom:
		return rows.Outcome{Row: row, Status: rows.StatusFailed, HTTPStatus: 401}, &api.AuthError{Status: 401}
	case f.fail != nil && f.fail(row.Num):
		return rows.Outcome{Row: row, Status: rows.StatusFailed, HTTPStatus: 503}, nil
	}
	return rows.Outcome{Row: row, Status: rows.StatusCreated, ID: fmt.Sprint("id-", row.Num)}, nil
}

// orderedLog records outcomes and checks they come in input order.
type orderedLog struct {
	mu     sync.Mutex
	out    []rows.Outcome
	errors []string
}

func (l *orderedLog) Record(o rows.Outcome) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.out); n > 0 && o.Row.Num != l.out[n-1].Row.Num+1 {
		l.errors = append(l.errors, fmt.Sprintf("row %d after row %d", o.Row.Num, l.out[n-1].Row.Num))
	}
	l.out = append(l.out, o)
	return nil
}

func (l *orderedLog) count(s rows.Status) int {
	n := 0
	for _, o := range l.out {
		if o.Status == s {
			n++
		}
	}
	return n
}

func runImport(t *testing.T, im *Pass, ctx context.Context) (*orderedLog, error) {
	t.Helper()
	log := &orderedLog{}
	im.Recorder = log
	err := im.Run(ctx, context.Background())
	if len(log.errors) > 0 {
		t.Errorf("out of order: %v", log.errors[:min(len(log.errors), 5)])
	}
	return log, err
}

func TestImportKeepsOrderAndEveryRow(t *testing.T) {
	f := &fakeSender{}
	log, err := runImport(t, &Pass{Rows: &synthetic{n: 5000, invalidEvery: 7}, Action: f, Workers: NewWorkers(8, 8), Window: 64}, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(log.out) != 5000 || log.count(rows.StatusInvalid) != 714 || log.count(rows.StatusCreated) != 5000-714 {
		t.Errorf("%d rows: %d invalid, %d created", len(log.out), log.count(rows.StatusInvalid), log.count(rows.StatusCreated))
	}
	if f.sent.Load() != 5000-714 {
		t.Errorf("sent %d, want only the valid rows", f.sent.Load())
	}
}

func TestImportStopsOnARefusedKey(t *testing.T) {
	f := &fakeSender{fatalFrom: 500}
	log, err := runImport(t, &Pass{Rows: &synthetic{n: 2000}, Action: f, Workers: NewWorkers(4, 4)}, context.Background())
	var auth *api.AuthError
	if !errors.As(err, &auth) {
		t.Fatalf("err = %v, want an AuthError", err)
	}
	if len(log.out) != 2000 {
		t.Fatalf("%d rows recorded, want all 2000", len(log.out))
	}
	if log.count(rows.StatusFailed) == 0 || log.count(rows.StatusFailed) > 4 || log.count(rows.StatusNotAttempted) < 2000-500-4 {
		t.Errorf("%d failed (at most one per worker), %d not attempted", log.count(rows.StatusFailed), log.count(rows.StatusNotAttempted))
	}
	if f.sent.Load() > 500+4 {
		t.Errorf("%d rows sent after the key was refused on row 500", f.sent.Load()-500)
	}
}

func TestImportCanaryGoesAlone(t *testing.T) {
	f := &fakeSender{fatalFrom: 1}
	_, err := runImport(t, &Pass{Rows: &synthetic{n: 100}, Action: f, Workers: NewWorkers(8, 8)}, context.Background())
	if err == nil || f.sent.Load() != 1 {
		t.Errorf("a refused key on the first row cost %d requests (err %v), want 1", f.sent.Load(), err)
	}
}

func TestImportMaxFailures(t *testing.T) {
	f := &fakeSender{fail: func(num int) bool { return num%10 == 0 }}
	log, err := runImport(t, &Pass{Rows: &synthetic{n: 1000}, Action: f, Workers: NewWorkers(2, 2), MaxFailures: 5}, context.Background())
	var limit *FailureLimitError
	if !errors.As(err, &limit) || limit.Limit != 5 {
		t.Fatalf("err = %v", err)
	}
	if len(log.out) != 1000 || log.count(rows.StatusNotAttempted) == 0 || log.count(rows.StatusFailed) < 5 {
		t.Errorf("%d rows, %d failed, %d not attempted", len(log.out), log.count(rows.StatusFailed), log.count(rows.StatusNotAttempted))
	}
	// One worker: nothing is in flight beside the failing row, so the run
	// stops at the limit exactly, not a row late.
	f = &fakeSender{fail: func(int) bool { return true }}
	log, err = runImport(t, &Pass{Rows: &synthetic{n: 100}, Action: f, Workers: NewWorkers(1, 1), MaxFailures: 5}, context.Background())
	if !errors.As(err, &limit) || log.count(rows.StatusFailed) != 5 || f.sent.Load() != 5 {
		t.Errorf("--max-failures 5 with one worker: %d failed, %d sent (err %v); want 5 and 5", log.count(rows.StatusFailed), f.sent.Load(), err)
	}
}

func TestImportPreStopped(t *testing.T) {
	f := &fakeSender{}
	log, err := runImport(t, &Pass{Rows: &synthetic{n: 50, invalidEvery: 5}, Action: f, Workers: NewWorkers(2, 2), Stopped: &api.AuthError{Status: 401}}, context.Background())
	if err == nil || f.sent.Load() != 0 || log.count(rows.StatusNotAttempted) != 40 || log.count(rows.StatusInvalid) != 10 {
		t.Errorf("err %v, sent %d, %d not attempted, %d invalid", err, f.sent.Load(), log.count(rows.StatusNotAttempted), log.count(rows.StatusInvalid))
	}
}

func TestImportInterruptDrainsInFlight(t *testing.T) {
	f := &fakeSender{block: make(chan struct{})}
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for f.sent.Load() < 1 {
			time.Sleep(time.Millisecond)
		}
		cancel(fmt.Errorf("interrupt: %w", context.Canceled))
		close(f.block) // the request in flight finishes within the grace period
	}()
	log, err := runImport(t, &Pass{Rows: &synthetic{n: 300}, Action: f, Workers: NewWorkers(4, 4), Grace: time.Minute}, ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(log.out) != 300 || log.count(rows.StatusCreated) < 1 || log.count(rows.StatusCreated)+log.count(rows.StatusNotAttempted) != 300 {
		t.Errorf("%d rows: %d created, %d not attempted", len(log.out), log.count(rows.StatusCreated), log.count(rows.StatusNotAttempted))
	}
}

func TestImportGraceCutsOffStuckRequests(t *testing.T) {
	f := &fakeSender{block: make(chan struct{})} // never released
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.sent.Load() < 1 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	log, err := runImport(t, &Pass{Rows: &synthetic{n: 20}, Action: f, Workers: NewWorkers(4, 4), Grace: 10 * time.Millisecond}, ctx)
	if !errors.Is(err, context.Canceled) || len(log.out) != 20 || log.count(rows.StatusNotAttempted) != 20 {
		t.Errorf("err %v, %d rows, %d not attempted", err, len(log.out), log.count(rows.StatusNotAttempted))
	}
}

type failingRecorder struct{ n int }

func (r *failingRecorder) Record(rows.Outcome) error {
	if r.n++; r.n == 10 {
		return errors.New("disk full")
	}
	return nil
}

func TestImportRecorderFailureStops(t *testing.T) {
	f := &fakeSender{}
	err := (&Pass{Rows: &synthetic{n: 10000}, Action: f, Recorder: &failingRecorder{}, Workers: NewWorkers(4, 4)}).Run(context.Background(), context.Background())
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v", err)
	}
	if f.sent.Load() > 2000 {
		t.Errorf("kept sending (%d) after the report could not be written", f.sent.Load())
	}
}
