package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
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

	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File
	w       *bufio.Writer
	written uint64 // lines appended
	synced  uint64 // lines known durable
	syncing bool
	err     error

	settled map[int]Outcome // from earlier runs
	unsure  map[int]bool    // intent without outcome in earlier runs
	done    *journalLine    // the completion line, if the run completed
	corrupt int             // unreadable lines skipped

	stop chan struct{}
	wg   sync.WaitGroup
}

// SyncEvery bounds how much of the latest outcomes a crash can lose.
const SyncEvery = 500 * time.Millisecond

// Fingerprint identifies an input and the settings that change outcomes.
type Fingerprint struct {
	Input    string `json:"input"`
	Settings string `json:"settings"`
}

// journalLine is one line of the journal; which fields are set says what
// it is: a header, an intent, an outcome, or the completion.
type journalLine struct {
	Journal  int          `json:"journal,omitempty"` // format version, on a header
	FP       *Fingerprint `json:"fp,omitempty"`
	Started  string       `json:"started,omitempty"`
	Intent   int          `json:"i,omitempty"`
	Row      int          `json:"o,omitempty"`
	Status   Status       `json:"s,omitempty"`
	ID       string       `json:"id,omitempty"`
	HTTP     int          `json:"h,omitempty"`
	ErrType  string       `json:"et,omitempty"`
	Err      string       `json:"e,omitempty"`
	Request  string       `json:"rq,omitempty"`
	Attempts int          `json:"a,omitempty"`
	Done     string       `json:"done,omitempty"`
	Report   string       `json:"report,omitempty"`
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
func OpenJournal(path string, fp Fingerprint, force bool) (*Journal, JournalState, error) {
	j := &Journal{path: path, settled: map[int]Outcome{}, unsure: map[int]bool{}, stop: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	state := JournalNew
	valid, header, err := j.load(fp)
	switch {
	case err != nil:
		return nil, 0, err
	case header == nil:
		valid = 0
	case *header.FP != fp || force:
		if err := os.Rename(path, path+".prev"); err != nil {
			return nil, 0, err
		}
		state, valid = JournalOther, 0
		j.settled, j.unsure, j.done = map[int]Outcome{}, map[int]bool{}, nil
	case j.done != nil:
		return j, JournalCompleted, nil
	default:
		state = JournalResumed
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
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
		j.append(journalLine{Journal: 1, FP: &fp, Started: time.Now().UTC().Format(time.RFC3339)})
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
	data, err := os.ReadFile(j.path)
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
			j.corrupt++ // skipped: at worst an intent is lost, and a 409 covers that
			continue
		}
		switch {
		case l.FP != nil:
			if header == nil {
				header = &l
			}
		case l.Intent > 0:
			j.unsure[l.Intent] = true
		case l.Row > 0:
			delete(j.unsure, l.Row)
			j.settled[l.Row] = Outcome{Status: l.Status, ID: l.ID, HTTPStatus: l.HTTP, ErrorType: l.ErrType,
				Err: l.Err, RequestID: l.Request, Attempts: l.Attempts}
		case l.Done != "":
			j.done = &l
		}
	}
	if header == nil && valid > 0 {
		return 0, nil, fmt.Errorf("%s is not a topo-exclusions journal", j.path)
	}
	return valid, header, nil
}

// Corrupt counts the unreadable lines that loading skipped.
func (j *Journal) Corrupt() int { return j.corrupt }

// Completed describes the run that completed this journal: when, and where
// its report went.
func (j *Journal) Completed() (when, report string) {
	if j.done == nil {
		return "", ""
	}
	return j.done.Done, j.done.Report
}

// Settled returns the outcome an earlier run recorded for row num.
func (j *Journal) Settled(num int) (Outcome, bool) {
	o, ok := j.settled[num]
	return o, ok
}

// Unsure reports whether an earlier run may have sent row num without
// recording what came of it.
func (j *Journal) Unsure(num int) bool { return j.unsure[num] }

// Resumed counts the rows earlier runs settled and left unsure.
func (j *Journal) Resumed() (settled, unsure int) { return len(j.settled), len(j.unsure) }

// Intent notes that row num may be sent now, and returns a wait that
// returns once the note is on disk.
func (j *Journal) Intent(num int) (durable func() error) {
	j.mu.Lock()
	j.append(journalLine{Intent: num})
	target := j.written
	j.mu.Unlock()
	return func() error { return j.syncTo(target) }
}

// Record notes a row's final outcome (synced within SyncEvery).
func (j *Journal) Record(o Outcome) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.append(journalLine{Row: o.Row.Num, Status: o.Status, ID: o.ID, HTTP: o.HTTPStatus,
		ErrType: o.ErrorType, Err: o.Err, Request: o.RequestID, Attempts: o.Attempts})
	return j.err
}

// Complete marks the import finished, with where its report is.
func (j *Journal) Complete(report string) error {
	j.mu.Lock()
	j.append(journalLine{Done: time.Now().UTC().Format(time.RFC3339), Report: report})
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
			err = j.f.Sync()
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
