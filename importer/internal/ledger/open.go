package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Options say where a run's durable records go and what identifies it.
type Options struct {
	// Journal is the journal's path; State the cron state's (optional).
	Journal, State string
	// Registry is the folder (in the user's state directory) that records,
	// per fingerprint, the runs under way and the ones completed, so that
	// two runs of the same input against the same Topo never both send,
	// whatever their --journal. Empty: no registry.
	Registry string
	// Input is the list's path (standard input's spool, see Spool).
	Input string
	// Spool, when standard input is the list, is its copy: removed when
	// the run completes.
	Spool *Spool
	// Settings is the canonical text of the settings the list is read
	// and sent with, as parsed or detected (not the flags as typed:
	// --delimiter , and comma and a sniffed comma are the same); Target is
	// the command and the base URL. Shown names each of them as the
	// operator knows it (--existing: keep), for saying what changed.
	Settings, Target string
	Shown            map[string]string
	// Force runs an input again that a run completed: every row is then
	// looked up before anything is sent.
	Force bool
	// Removal says the run removes: a removal noted since its list's run
	// completed is, in whole seconds, that run's own, and undoes nothing.
	Removal bool
	// Report is where the run writes its report: the registry keeps it, so
	// that a dry run will not write over it.
	Report string
	// Workspace names the Topo the run writes to (its base URL and the
	// key's workspace): the state belongs to it, and the registry finds by
	// it every state file runs against that Topo kept.
	Workspace string
	// Durability stamps and syncs the journal and the state.
	Durability
	// Locks are the journal's and the state's locks, when the caller took
	// them already (LockFiles); Open takes them otherwise. The session
	// releases them either way.
	Locks []*Lock
}

// LockFiles takes the locks of a journal and a state ("": none), for a run
// that must know no other run writes them before it asks Topo anything.
func LockFiles(journal, state string) ([]*Lock, error) {
	var locks []*Lock
	for _, p := range []string{journal, state} {
		if p == "" {
			continue
		}
		l, err := TryLock(p+".lock", "writes the same journal or state")
		if err != nil {
			for _, l := range locks {
				_ = l.Unlock()
			}
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// Session is an open run's durable records.
type Session struct {
	Journal *Journal
	State   *State
	// State of the journal when opened, and what is worth saying of it.
	Opened JournalState
	Notes  []string

	fp     Fingerprint
	report string
	// workspace and state are what the registry entry says of the run.
	workspace, state string
	registry         *registry
	locks            []*Lock
	spool            *Spool
}

// Open takes the run's locks, fingerprints the input, opens the journal
// and the state, and decides, from the journal and the registry, whether
// the run starts afresh, resumes, or must not run: *CompletedError (the
// same input already ran to the end), *ElsewhereError (an interrupted run
// of it is journaled elsewhere), *LockedError (another run is at it).
func Open(opt Options) (s *Session, err error) {
	s = &Session{spool: opt.Spool}
	defer func() {
		if err != nil {
			s.abandon()
			s = nil
		}
	}()
	s.locks = append(s.locks, opt.Locks...)
	input, err := s.fingerprintInput(opt)
	if err != nil {
		return s, err
	}
	s.fp = Fingerprint{Input: input, Settings: hash(opt.Settings + "\x1f" + opt.Target), Shown: opt.Shown}
	if opt.Registry != "" {
		s.registry = &registry{dir: opt.Registry}
		if err := os.MkdirAll(opt.Registry, 0o700); err != nil {
			return s, fmt.Errorf("the run registry: %w", err)
		}
		l, err := TryLock(s.registry.lockPath(s.fp), "is running the same input against the same Topo")
		if err != nil {
			return s, err
		}
		s.locks = append(s.locks, l)
	}
	if opt.Locks == nil {
		locks, err := LockFiles(opt.Journal, opt.State)
		if err != nil {
			return s, err
		}
		s.locks = append(s.locks, locks...)
	}
	if err := s.openJournal(opt); err != nil {
		return s, err
	}
	if opt.State != "" {
		if s.State, err = OpenState(opt.State, opt.Workspace, opt.Durability); err != nil {
			return s, fmt.Errorf("state %s: %w", opt.State, err)
		}
	}
	return s, nil
}

// openJournal opens the journal and applies the registry's knowledge.
func (s *Session) openJournal(opt Options) error {
	var entry *runEntry
	if s.registry != nil {
		entry = s.registry.read(s.fp)
	}
	abs, _ := filepath.Abs(opt.Journal)
	force := opt.Force
	if entry != nil && entry.Completed != nil && !force && !opt.Removal && s.registry.removedSince(opt.Workspace, entry.Completed.When) {
		// What the completed run settled may have been undone since: its
		// completion is memory, not what Topo holds now.
		force = true
		s.Notes = append(s.Notes, fmt.Sprintf("a removal ran against this Topo after this input's run completed on %s: running it again, every row looked up before anything is sent", entry.Completed.When))
	}
	switch {
	case entry == nil || force:
	case entry.Completed != nil:
		return &CompletedError{Completion: *entry.Completed, Journal: entry.Journal}
	case entry.Journal != abs && recordsWrites(entry.Journal):
		return &ElsewhereError{Journal: entry.Journal}
	}
	j, st, err := OpenJournal(opt.Journal, s.fp, force, opt.Durability)
	if err != nil {
		return fmt.Errorf("journal %s: %w", opt.Journal, err)
	}
	s.Journal, s.Opened = j, st
	switch st {
	case JournalCompleted:
		return &CompletedError{Completion: j.Completed(), Journal: opt.Journal}
	case JournalOther:
		why := j.SetAside()
		switch {
		case why != "":
		case opt.Force:
			why = "--force runs the input again, every row looked up before anything is sent"
		default:
			why = "a removal since its run completed: every row is looked up before anything is sent"
		}
		s.Notes = append(s.Notes, fmt.Sprintf("the journal %s was set aside as %s.prev, starting afresh: %s", opt.Journal, opt.Journal, why))
	case JournalResumed:
		settled, unsure := j.Resumed()
		s.Notes = append(s.Notes, fmt.Sprintf("resuming an interrupted run (journal %s): %d rows already settled, %d to look up first", opt.Journal, settled, unsure))
	}
	if n := j.Corrupt(); n > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d unreadable journal lines: every row without a recorded outcome is looked up before anything is sent", n))
	}
	if force && entry != nil {
		j.MarkAllUnsure()
	}
	if s.registry != nil {
		s.report, _ = filepath.Abs(opt.Report)
		s.workspace, s.state = opt.Workspace, absOrEmpty(opt.State)
		return s.registry.write(s.fp, runEntry{Journal: abs, Report: s.report, Started: j.d.Now().UTC().Format(time.RFC3339),
			Workspace: opt.Workspace, State: absOrEmpty(opt.State)})
	}
	return nil
}

// fingerprintInput hashes the input's bytes.
func (s *Session) fingerprintInput(opt Options) (string, error) {
	if opt.Spool != nil {
		return opt.Spool.sum, nil
	}
	h := sha256.New()
	f, err := os.Open(opt.Input)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Spool is standard input kept as a file beside the journal, named by its
// hash (readable by its owner only): only so can the same bytes piped
// again be recognised and the run resumed. It is removed when the run
// completes, and outlives one that does not, for the rerun.
type Spool struct {
	Path string
	sum  string
}

// SpoolStdin copies r to a spool beside the journal.
func SpoolStdin(journal string, r io.Reader) (*Spool, error) {
	tmp, err := os.CreateTemp(filepath.Dir(journal), filepath.Base(journal)+".stdin-*")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	sp := &Spool{Path: journal + "." + sum[:16] + ".stdin", sum: "sha256:" + sum}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	if err := os.Rename(tmp.Name(), sp.Path); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return sp, nil
}

// Complete records that the run went to the end: in the journal, in the
// registry, and by removing the spool.
func (s *Session) Complete(c Completion) error {
	if err := s.Journal.Complete(c); err != nil {
		return err
	}
	if s.spool != nil {
		os.Remove(s.spool.Path)
		s.spool = nil
	}
	if s.registry == nil {
		return nil
	}
	abs, _ := filepath.Abs(s.Journal.path)
	c.When = s.Journal.d.Now().UTC().Format(time.RFC3339)
	return s.registry.write(s.fp, runEntry{Journal: abs, Report: s.report, Completed: &c, Workspace: s.workspace, State: s.state})
}

// Discard ends a run that sent nothing (it stopped at a setup error): a
// journal it created is removed, and so is the registry's note of it.
func (s *Session) Discard() error {
	var errs []error
	if s.Journal != nil && s.Opened != JournalResumed {
		errs = append(errs, s.Journal.Discard())
		s.Journal = nil
		if s.registry != nil {
			s.registry.remove(s.fp)
		}
	}
	errs = append(errs, s.Close())
	return errors.Join(errs...)
}

// Close syncs and closes everything, then releases the locks. A spool
// not yet removed stays for the rerun that resumes.
func (s *Session) Close() error {
	var errs []error
	if s.Journal != nil {
		errs = append(errs, s.Journal.Close())
		s.Journal = nil
	}
	if s.State != nil {
		errs = append(errs, s.State.Close())
		s.State = nil
	}
	for _, l := range s.locks {
		errs = append(errs, l.Unlock())
	}
	s.locks = nil
	return errors.Join(errs...)
}

// abandon undoes a half-done Open.
func (s *Session) abandon() {
	if s.Journal != nil && s.Opened == JournalNew {
		_ = s.Journal.Discard()
		s.Journal = nil
	}
	_ = s.Close()
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// recordsWrites says whether the journal at path noted any write: a run
// stopped before its first (a refused key, say) sent nothing to repeat.
func recordsWrites(path string) bool {
	data, err := readFile(path)
	if err != nil {
		return false
	}
	return bytes.Contains(data, []byte(`"i":`)) || bytes.Contains(data, []byte(`"o":`))
}

func absOrEmpty(path string) string {
	if path == "" {
		return ""
	}
	abs, _ := filepath.Abs(path)
	return abs
}
