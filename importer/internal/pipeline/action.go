package pipeline

import (
	"context"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// Action is what a run does to Topo for one valid row: create it
// (Creator, for import), look it up (Planner, for plan), or delete it
// (Remover). How fast it goes, and how each request is retried, is the
// topo.Retrier's business; what to ask, and what the answers prove, is the
// action's.
type Action interface {
	// Local settles a job without a request when it can (from what a
	// snapshot of Topo holds, say).
	Local(job Job) (rows.Outcome, bool)
	// Ahead is the write the job will most likely make first, for the
	// pipeline to journal ahead (many intents share one sync).
	Ahead(job Job) (Intent, bool)
	// Act settles the job. w journals each write before it is sent. Only
	// what must stop the whole run is an error (a refused key).
	Act(ctx, inflight context.Context, job Job, w *Writes) (rows.Outcome, error)
}

// Job is one valid row handed to an action, with what is known of it.
type Job struct {
	Row rows.Row
	// Prior is what an earlier run may have done to the row.
	Prior Prior
	ahead *ahead
}

// Prior is what an earlier run may have done to a row without recording
// what came of it: an intent without an outcome in the journal, a journal
// line that could not be read, or the failures file's maybe_sent.
type Prior struct {
	MaybeSent bool
	// Op, ID and Previous are the last journaled intent's, when it was
	// read; At is when the row's first create was noted (zero when unknown
	// or none): a record created since is the run's own.
	Op       api.Op
	ID       string
	Previous *rows.Previous
	At       time.Time
}

// Intent is a write that may be sent for a row: journaled, and on disk,
// before it goes out, so that a crash leaves the row "maybe sent".
type Intent struct {
	Row int
	Op  api.Op // OpCreate, OpUpdate or OpDelete
	// ID is the record an update or a delete is for; Previous, what an
	// update changes.
	ID       string
	Previous *rows.Previous
	At       time.Time
}

// Ledger journals a run so that a rerun resumes it; *ledger.Journal is
// one.
type Ledger interface {
	// Settled is the outcome an earlier run recorded for a row.
	Settled(num int) (rows.Outcome, bool)
	// Prior is what an earlier run may have done to a row without
	// recording its outcome.
	Prior(num int) Prior
	// Intend notes a write, and returns a wait that returns once the note
	// is durable: the write must not go out before.
	Intend(Intent) (durable func() error)
	// Record notes a row's final outcome.
	Record(rows.Outcome) error
	// Withdraw notes that the row's last intent was never sent (the run
	// stopped first): a rerun need not look the row up.
	Withdraw(num int)
}

// ahead is an intent the pipeline journaled before handing the job over.
type ahead struct {
	intent  Intent
	durable func() error
}

// Writes journals an action's writes: each must be durable before it is
// sent. A nil ledger journals nothing.
type Writes struct {
	ledger Ledger
	ahead  *ahead
	now    func() time.Time
	used   bool // the action was about to send a write
}

// Intend notes a write and waits until the note is durable. The intent
// the pipeline wrote ahead serves when it is the same write.
func (w *Writes) Intend(in Intent) error {
	if w == nil || w.ledger == nil {
		return nil
	}
	w.used = true
	if a := w.ahead; a != nil && a.intent.Op == in.Op && a.intent.ID == in.ID {
		return a.durable()
	}
	in.At = w.now()
	return w.ledger.Intend(in)()
}
