package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// slowFirst holds the second row's request (the first goes alone, as the
// canary) until every other row is settled, as a Topo slow to answer one
// request would.
type slowFirst struct {
	release chan struct{}
}

func (s *slowFirst) Local(Job) (rows.Outcome, bool) { return rows.Outcome{}, false }
func (s *slowFirst) Ahead(Job) (Intent, bool)       { return Intent{}, false }
func (s *slowFirst) Act(ctx, _ context.Context, job Job, _ *Writes) (rows.Outcome, error) {
	if job.Row.Num == 3 {
		// Broken, progress would wait for this row: the minute only
		// turns that hang into a failure.
		select {
		case <-s.release:
		case <-ctx.Done():
		case <-time.After(time.Minute):
		}
	}
	return rows.Outcome{Row: job.Row, Status: rows.StatusCreated, ID: fmt.Sprint("id-", job.Row.Num)}, nil
}

// TestProgressCountsRowsAsTheySettle: progress (Settled) hears of every
// row when its outcome is known, though the report (Recorder) must wait
// for an early, slow row to keep input order.
func TestProgressCountsRowsAsTheySettle(t *testing.T) {
	const n = 40
	s := &slowFirst{release: make(chan struct{})}
	log := &orderedLog{}
	var mu sync.Mutex
	settled, recordedWhenAllButOneSettled := 0, -1
	p := &Pass{Rows: &synthetic{n: n}, Action: s, Workers: NewWorkers(4, 4), Window: 64, Recorder: log}
	p.Settled = func(o rows.Outcome) {
		mu.Lock()
		defer mu.Unlock()
		settled++
		if settled == n-1 {
			log.mu.Lock()
			recordedWhenAllButOneSettled = len(log.out)
			log.mu.Unlock()
			close(s.release)
		}
	}
	if err := p.Run(context.Background(), context.Background()); err != nil {
		t.Fatal(err)
	}
	// The report may lag the canary's answer (it is written on its own
	// goroutine), never pass the row held back.
	if recordedWhenAllButOneSettled < 0 || recordedWhenAllButOneSettled > 1 || settled != n || len(log.out) != n {
		t.Errorf("progress heard of %d rows, the report had %d of them when all but the held one had settled (want at most 1: the canary), %d at the end", settled, recordedWhenAllButOneSettled, len(log.out))
	}
}
