package ledger

import (
	"bufio"
	"io"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// Journal is an import's append-only record of what it sent: an intent,
// made durable before a row's first request goes out, and the outcome once
// the row is settled. A rerun of the same input with the same settings
// reads it back, skips the settled rows and looks up the ones that were
// in flight, so a crash, a kill -9 or a power cut loses nothing and sends
// nothing twice.
//
// Intents are fsynced before Intent returns, grouped so that concurrent
// workers share one fsync; outcomes are synced at least every SyncEvery.
type Journal struct {
	path string
	d    Durability

	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File
	w       *bufio.Writer
	written uint64 // lines appended
	synced  uint64 // lines known durable
	syncing bool
	err     error

	// settled says where the outcome of each row earlier runs settled is
	// in the file, read back when the row comes up (through rd, under
	// rdMu, within the first valid bytes); unsure is what earlier runs
	// may have sent without an outcome; unreadable, the settled rows whose
	// outcome line could not be read back (they may have been sent).
	settled    settledIndex
	valid      int64
	rdMu       sync.Mutex
	rd         lineReader
	unreadable map[int]bool
	unsure     map[int]pipeline.Prior
	// intents counts the intent lines loaded; otherUnfinished says the
	// journal moved aside (another input) was of a run that wrote and
	// never completed.
	intents         int
	otherUnfinished bool
	// stops are the sequences earlier runs stopped (or meant to: "") for
	// each row.
	stops   map[int]map[string]string
	done    *journalLine // the completion line, if the run completed
	corrupt int          // unreadable lines skipped
	// allUnsure makes every row without an outcome "maybe sent" (a forced
	// rerun of an input that earlier runs sent).
	allUnsure bool
	// aside says why the journal found was set aside (JournalOther).
	aside string

	stop chan struct{}
	wg   sync.WaitGroup
}

// Durability is how the journal and the state stamp and sync what they
// write; nil fields take time.Now and (*os.File).Sync. Tests hand in
// their own, to see every write made durable before it is sent.
type Durability struct {
	Now  func() time.Time
	Sync func(*os.File) error
}

func (d Durability) withDefaults() Durability {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Sync == nil {
		d.Sync = (*os.File).Sync
	}
	return d
}

// SyncEvery bounds how much of the latest outcomes a crash can lose.
const SyncEvery = 500 * time.Millisecond

// Fingerprint identifies an input and the settings that change outcomes.
// Shown names those settings as the operator gives them (flag: value),
// so that a journal set aside for another run can say what changed.
type Fingerprint struct {
	Input    string            `json:"input"`
	Settings string            `json:"settings"`
	Shown    map[string]string `json:"shown,omitempty"`
}

// JournalState says what OpenJournal found.
type JournalState int

const (
	// JournalNew: no journal (or an empty one): the run starts fresh.
	JournalNew JournalState = iota
	// JournalResumed: a journal of an unfinished run of this input.
	JournalResumed
	// JournalCompleted: this input was already imported to the end.
	JournalCompleted
	// JournalOther: a journal of another input or other settings; it was
	// moved aside to PATH.prev and the run starts fresh.
	JournalOther
)

// OpenJournal opens (or creates) the journal at path for input fp. A
// journal of a completed run is left untouched unless force is set, in
// which case it is moved aside like one of another input.
func OpenJournal(path string, fp Fingerprint, force bool, d Durability) (*Journal, JournalState, error) {
	j := &Journal{path: path, unsure: map[int]pipeline.Prior{}, stops: map[int]map[string]string{},
		unreadable: map[int]bool{}, stop: make(chan struct{}), d: d.withDefaults()}
	j.cond = sync.NewCond(&j.mu)
	state := JournalNew
	valid, header, err := j.load()
	switch {
	case err != nil:
		return nil, 0, &UnreadableJournalError{Path: path, Err: err}
	case header == nil:
		valid = 0
	case !header.FP.Same(fp) || force:
		if err := os.Rename(path, path+".prev"); err != nil {
			j.settled.release()
			return nil, 0, err
		}
		j.aside = whyAside(*header.FP, fp)
		state, valid = JournalOther, 0
		j.otherUnfinished = j.done == nil && (j.intents > 0 || j.settled.len() > 0)
		j.settled.release()
		j.unsure, j.stops, j.done, j.corrupt, j.intents, j.allUnsure = map[int]pipeline.Prior{}, map[int]map[string]string{}, nil, 0, 0, false
	case j.done != nil:
		return j, JournalCompleted, nil
	default:
		state = JournalResumed
	}
	j.valid = valid
	f, err := openFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		j.settled.release()
		return nil, 0, err
	}
	// Drop a half-written last line: it is the crash's, not a record.
	if err := f.Truncate(valid); err != nil {
		f.Close()
		return nil, 0, err
	}
	if _, err := f.Seek(valid, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, err
	}
	j.f, j.w = f, bufio.NewWriter(f)
	if state != JournalResumed {
		j.append(journalLine{Journal: 1, FP: &fp, Started: j.d.Now().UTC().Format(time.RFC3339)})
		if err := j.syncTo(j.written); err != nil {
			f.Close()
			return nil, 0, err
		}
	}
	j.wg.Go(j.syncLoop)
	return j, state, nil
}

// SetAside says what differs between the run of the journal found and
// moved aside and this one: "" when nothing does (a forced rerun) or none
// was.
func (j *Journal) SetAside() string { return j.aside }

// Corrupt counts the unreadable lines that loading skipped.
func (j *Journal) Corrupt() int { return j.corrupt }

// Completion is what the completion line of a journal says.
type Completion struct {
	When, Report, Failures string
	// NeedAction is how many rows the failures file holds.
	NeedAction int
}

// Completed describes the run that completed this journal.
func (j *Journal) Completed() Completion {
	if j.done == nil {
		return Completion{}
	}
	return Completion{When: j.done.Done, Report: j.done.Report, Failures: j.done.Failures, NeedAction: j.done.Need}
}

// Settled returns the outcome an earlier run recorded for row num, read
// back from the journal. An outcome line that cannot be read back
// settles nothing: the row may have been sent (see Prior).
func (j *Journal) Settled(num int) (rows.Outcome, bool) {
	at, ok := j.settled.find(num)
	if !ok {
		return rows.Outcome{}, false
	}
	j.rdMu.Lock()
	defer j.rdMu.Unlock()
	var l journalLine
	line, err := j.rd.lineAt(j.f, at, j.valid)
	if err == nil {
		err = parseLine(line, &l)
	}
	if err != nil || l.Row != num || l.Intent != 0 {
		j.unreadable[num] = true
		return rows.Outcome{}, false
	}
	return l.outcome(), true
}

// Prior says what an earlier run may have done to row num without
// recording what came of it. After an unreadable line, any row without
// an outcome may have been sent.
func (j *Journal) Prior(num int) pipeline.Prior {
	if p, ok := j.unsure[num]; ok {
		return p
	}
	j.rdMu.Lock()
	unreadable := j.unreadable[num]
	j.rdMu.Unlock()
	if unreadable {
		return pipeline.Prior{MaybeSent: true}
	}
	if _, ok := j.settled.find(num); ok {
		return pipeline.Prior{}
	}
	if j.corrupt > 0 || j.unsureAll() {
		return pipeline.Prior{MaybeSent: true}
	}
	return pipeline.Prior{}
}

// MarkAllUnsure makes every row without an outcome one that may have
// been sent: it is looked up before anything is sent again. The journal
// keeps it (on disk before any write of this run goes out), so that a
// resume of this run goes on looking them up.
func (j *Journal) MarkAllUnsure() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.allUnsure {
		j.allUnsure = true
		j.append(journalLine{AllUnsure: true})
	}
}

func (j *Journal) unsureAll() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.allUnsure
}

// AllUnsure says every row without an outcome is to be looked up before
// anything is sent (a forced rerun, lost memory, unreadable lines).
func (j *Journal) AllUnsure() bool { return j.corrupt > 0 || j.unsureAll() }

// Resumed counts the rows earlier runs settled and left unsure.
func (j *Journal) Resumed() (settled, unsure int) { return j.settled.len(), len(j.unsure) }

// OtherUnfinished says the journal found at the path, of another input
// or other settings (JournalOther), was of a run that wrote to Topo and
// never completed: what it sent, and whether today's rows are among it,
// is no longer known.
func (j *Journal) OtherUnfinished() bool { return j.otherUnfinished }

// Intend notes a write that may be sent now, and returns a wait that
// returns once the note is on disk.
func (j *Journal) Intend(in pipeline.Intent) (durable func() error) {
	l := journalLine{Intent: in.Row, ID: in.ID, At: in.At.UnixMilli()}
	if in.Op != api.OpCreate {
		l.Op = opCodes[in.Op]
	}
	if in.Previous != nil {
		l.PrevSet, l.PrevRsn, l.PrevUnt, l.PrevMsg = true, in.Previous.Reason, in.Previous.Until, in.Previous.Message
	}
	j.mu.Lock()
	j.append(l)
	target := j.written
	j.mu.Unlock()
	return func() error { return j.syncTo(target) }
}

// Withdraw notes that row num's last intent never went out. It needs no
// sync of its own: lost in a crash, the row is only looked up once more.
func (j *Journal) Withdraw(num int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.append(journalLine{Withdrawn: num})
}

// Record notes a row's final outcome (synced within SyncEvery).
func (j *Journal) Record(o rows.Outcome) error {
	l := journalLine{Row: o.Row.Num, Status: o.Status, ID: o.ID, HTTP: o.HTTPStatus,
		ErrType: o.ErrorType, Err: o.Err, Request: o.RequestID, Attempts: o.Attempts, Maybe: o.MaybeSent, Lifted: o.Lifted,
		Note: o.Note}
	if h := o.Held; h != nil {
		l.HEmail, l.HLinked, l.HDomain, l.HReason, l.HUntil, l.HMsg = h.Email, h.LinkedInURL, h.Domain, h.Reason, h.Until, h.Message
	}
	if o.Previous != nil {
		l.PrevSet, l.PrevRsn, l.PrevUnt = true, o.Previous.Reason, o.Previous.Until
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.append(l)
	return j.err
}

// Complete marks the run finished, with where its outputs are and how
// many rows still need action.
func (j *Journal) Complete(c Completion) error {
	j.mu.Lock()
	j.append(journalLine{Done: j.d.Now().UTC().Format(time.RFC3339), Report: c.Report, Failures: c.Failures, Need: c.NeedAction})
	target := j.written
	j.mu.Unlock()
	return j.syncTo(target)
}

// Discard closes and removes a journal that holds nothing but its header:
// a run that stopped at a setup error leaves no journal behind.
func (j *Journal) Discard() error {
	j.mu.Lock()
	empty := j.written <= 1 && j.settled.len() == 0 && len(j.unsure) == 0
	j.mu.Unlock()
	err := j.Close()
	if empty {
		if rerr := os.Remove(j.path); err == nil {
			err = rerr
		}
	}
	return err
}

// Close syncs what is left and closes the file.
func (j *Journal) Close() error {
	if j.f == nil {
		j.settled.release() // a completed journal's, never opened for writing
		return nil
	}
	close(j.stop)
	j.wg.Wait()
	j.mu.Lock()
	target := j.written
	j.mu.Unlock()
	err := j.syncTo(target)
	j.rdMu.Lock()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	j.settled.release()
	j.rdMu.Unlock()
	return err
}

func (j *Journal) noteStop(row int, seq, result string) {
	if j.stops[row] == nil {
		j.stops[row] = map[string]string{}
	}
	j.stops[row][seq] = result
}

// Stops are the sequences earlier runs stopped for row num, each with
// what became of it (stopped, finished, unknown), or "" for a stop that
// went out with no outcome recorded: it is looked up before it is sent
// again.
func (j *Journal) Stops(num int) map[string]string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return maps.Clone(j.stops[num])
}

// RecordStop notes what became of a stop of seq for row num (synced
// within SyncEvery).
func (j *Journal) RecordStop(num int, seq, result string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.append(journalLine{StopRow: num, ID: seq, Result: result})
	j.noteStop(num, seq, result)
	return j.err
}
