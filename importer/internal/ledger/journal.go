package ledger

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

	settled map[int]rows.Outcome   // from earlier runs
	unsure  map[int]pipeline.Prior // intent without outcome in earlier runs
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

// journalLine is one line of the journal; which fields are set says what
// it is: a header, an intent, an outcome, or the completion.
type journalLine struct {
	Journal int          `json:"journal,omitempty"` // format version, on a header
	FP      *Fingerprint `json:"fp,omitempty"`
	Started string       `json:"started,omitempty"`
	// An intent: the row, what may be sent (c, u, d; none in the first
	// format, which knew only creates), the record, what an update
	// changes, and when (Unix milliseconds).
	Intent   int         `json:"i,omitempty"`
	Op       string      `json:"op,omitempty"`
	At       int64       `json:"t,omitempty"`
	PrevSet  bool        `json:"pv,omitempty"`
	PrevRsn  string      `json:"pr,omitempty"`
	PrevUnt  string      `json:"pu,omitempty"`
	Row      int         `json:"o,omitempty"`
	Status   rows.Status `json:"s,omitempty"`
	ID       string      `json:"id,omitempty"`
	HTTP     int         `json:"h,omitempty"`
	ErrType  string      `json:"et,omitempty"`
	Err      string      `json:"e,omitempty"`
	Request  string      `json:"rq,omitempty"`
	Attempts int         `json:"a,omitempty"`
	Maybe    bool        `json:"m,omitempty"`
	Lifted   string      `json:"lift,omitempty"` // an opt-out this run lifted (--lift-optouts)
	PrevMsg  string      `json:"pm,omitempty"`   // a delete's record's message
	Held     *heldLine   `json:"held,omitempty"` // Topo's record as the run left it
	// A stop's outcome: the row, the sequence (ID) and what became of it.
	StopRow  int    `json:"so,omitempty"`
	Result   string `json:"r,omitempty"`
	Done     string `json:"done,omitempty"`
	Report   string `json:"report,omitempty"`
	Failures string `json:"failures,omitempty"`
	Need     int    `json:"need,omitempty"`
}

// heldLine is an outcome's rows.Held, in the journal's short names.
type heldLine struct {
	Email       string `json:"e,omitempty"`
	LinkedInURL string `json:"l,omitempty"`
	Domain      string `json:"d,omitempty"`
	Reason      string `json:"r"`
	Until       string `json:"u,omitempty"`
	Message     string `json:"m,omitempty"`
}

var opCodes = map[api.Op]string{api.OpCreate: "c", api.OpUpdate: "u", api.OpDelete: "d", api.OpStop: "s"}

func opOf(code string) api.Op {
	for op, c := range opCodes {
		if c == code {
			return op
		}
	}
	return api.OpCreate
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
	j := &Journal{path: path, settled: map[int]rows.Outcome{}, unsure: map[int]pipeline.Prior{}, stops: map[int]map[string]string{},
		stop: make(chan struct{}), d: d.withDefaults()}
	j.cond = sync.NewCond(&j.mu)
	state := JournalNew
	valid, header, err := j.load(fp)
	switch {
	case err != nil:
		return nil, 0, err
	case header == nil:
		valid = 0
	case !header.FP.Same(fp) || force:
		if err := os.Rename(path, path+".prev"); err != nil {
			return nil, 0, err
		}
		j.aside = whyAside(*header.FP, fp)
		state, valid = JournalOther, 0
		j.settled, j.unsure, j.stops, j.done, j.corrupt = map[int]rows.Outcome{}, map[int]pipeline.Prior{}, map[int]map[string]string{}, nil, 0
	case j.done != nil:
		return j, JournalCompleted, nil
	default:
		state = JournalResumed
	}
	f, err := openFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
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

// load reads an existing journal. It returns the length of its complete,
// well-formed prefix and its header (nil when there is none).
func (j *Journal) load(fp Fingerprint) (int64, *journalLine, error) {
	data, err := readFile(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	var header *journalLine
	var valid int64
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break // a torn last line
		}
		var l journalLine
		bad := json.Unmarshal(data[:i], &l) != nil
		valid += int64(i + 1)
		data = data[i+1:]
		if bad {
			// Whatever it said is lost: an intent, perhaps. Prior then
			// makes every row without an outcome "maybe sent".
			j.corrupt++
			continue
		}
		switch {
		case l.FP != nil:
			if header == nil {
				header = &l
			}
		case l.Intent > 0 && l.Op == opCodes[api.OpStop]:
			if _, ok := j.stops[l.Intent][l.ID]; !ok {
				j.noteStop(l.Intent, l.ID, "")
			}
		case l.Intent > 0:
			j.unsure[l.Intent] = l.prior(j.unsure[l.Intent])
		case l.StopRow > 0:
			j.noteStop(l.StopRow, l.ID, l.Result)
		case l.Row > 0:
			delete(j.unsure, l.Row)
			j.settled[l.Row] = l.outcome()
		case l.Done != "":
			j.done = &l
		}
	}
	if header == nil && valid > 0 {
		return 0, nil, fmt.Errorf("%s is not a topo-exclusions journal", j.path)
	}
	return valid, header, nil
}

// prior is what this intent line, after earlier ones (was) of the same
// row, says may have been sent. A create's time is the earliest: a rerun
// that was killed too notes the row again, later than its first attempt.
func (l *journalLine) prior(was pipeline.Prior) pipeline.Prior {
	p := pipeline.Prior{MaybeSent: true, Op: opOf(l.Op), ID: l.ID, At: was.At}
	if l.At > 0 && p.Op == api.OpCreate && (p.At.IsZero() || time.UnixMilli(l.At).Before(p.At)) {
		p.At = time.UnixMilli(l.At)
	}
	if l.PrevSet {
		p.Previous = &rows.Previous{Reason: l.PrevRsn, Until: l.PrevUnt, Message: l.PrevMsg}
	}
	return p
}

func (l *journalLine) outcome() rows.Outcome {
	o := rows.Outcome{Status: l.Status, ID: l.ID, HTTPStatus: l.HTTP, ErrorType: l.ErrType,
		Err: l.Err, RequestID: l.Request, Attempts: l.Attempts, MaybeSent: l.Maybe, Lifted: l.Lifted}
	if h := l.Held; h != nil {
		o.Held = &rows.Held{Email: h.Email, LinkedInURL: h.LinkedInURL, Domain: h.Domain, Reason: h.Reason, Until: h.Until, Message: h.Message}
	}
	if l.PrevSet {
		o.Previous = &rows.Previous{Reason: l.PrevRsn, Until: l.PrevUnt}
	}
	return o
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

// Settled returns the outcome an earlier run recorded for row num.
func (j *Journal) Settled(num int) (rows.Outcome, bool) {
	o, ok := j.settled[num]
	return o, ok
}

// Prior says what an earlier run may have done to row num without
// recording what came of it. After an unreadable line, any row without
// an outcome may have been sent.
func (j *Journal) Prior(num int) pipeline.Prior {
	if p, ok := j.unsure[num]; ok {
		return p
	}
	if _, ok := j.settled[num]; ok {
		return pipeline.Prior{}
	}
	if j.corrupt > 0 || j.allUnsure {
		return pipeline.Prior{MaybeSent: true}
	}
	return pipeline.Prior{}
}

// MarkAllUnsure makes every row without an outcome one that may have
// been sent: it is looked up before anything is sent again.
func (j *Journal) MarkAllUnsure() { j.allUnsure = true }

// Resumed counts the rows earlier runs settled and left unsure.
func (j *Journal) Resumed() (settled, unsure int) { return len(j.settled), len(j.unsure) }

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

// Record notes a row's final outcome (synced within SyncEvery).
func (j *Journal) Record(o rows.Outcome) error {
	l := journalLine{Row: o.Row.Num, Status: o.Status, ID: o.ID, HTTP: o.HTTPStatus,
		ErrType: o.ErrorType, Err: o.Err, Request: o.RequestID, Attempts: o.Attempts, Maybe: o.MaybeSent, Lifted: o.Lifted}
	if h := o.Held; h != nil {
		l.Held = &heldLine{h.Email, h.LinkedInURL, h.Domain, h.Reason, h.Until, h.Message}
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
	empty := j.written <= 1 && len(j.settled) == 0 && len(j.unsure) == 0
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
		return nil
	}
	close(j.stop)
	j.wg.Wait()
	j.mu.Lock()
	target := j.written
	j.mu.Unlock()
	err := j.syncTo(target)
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	return err
}

// append writes one line to the buffer; j.mu must be held.
func (j *Journal) append(l journalLine) {
	b, _ := json.Marshal(l)
	if j.err == nil {
		_, j.err = j.w.Write(append(b, '\n'))
	}
	j.written++
}

// syncTo returns once line target is on disk. Callers arriving while a
// sync runs wait for it, and the next sync covers all of them at once.
func (j *Journal) syncTo(target uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.synced < target && j.err == nil {
		if j.syncing {
			j.cond.Wait()
			continue
		}
		j.syncing = true
		upTo := j.written
		err := j.w.Flush()
		j.mu.Unlock()
		if err == nil {
			err = j.d.Sync(j.f)
		}
		j.mu.Lock()
		j.syncing = false
		if err != nil {
			j.err = fmt.Errorf("writing the journal %s: %w", j.path, err)
		} else {
			j.synced = max(j.synced, upTo)
		}
		j.cond.Broadcast()
	}
	return j.err
}

func (j *Journal) syncLoop() {
	t := time.NewTicker(SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			j.mu.Lock()
			target := j.written
			j.mu.Unlock()
			_ = j.syncTo(target)
		case <-j.stop:
			return
		}
	}
}

// readFile reads a whole file without following a link at its end.
func readFile(path string) ([]byte, error) {
	f, err := openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
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
