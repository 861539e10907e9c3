package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options say where a run's durable records go and what identifies it.
type Options struct {
	// Journal is the journal's path; State the cron state's (optional).
	Journal, State string
	// Registries are the folders that may hold the registry of runs,
	// which records, per fingerprint, the runs under way and the ones
	// completed, so that two runs of the same input against the same Topo
	// never both send, whatever their --journal: the first where it can
	// be kept (made, and its lock taken) is used (Session.Registry), and
	// if none can, the run stops. Empty ones are skipped; none: no
	// registry.
	Registries []string
	// Input is the fingerprint of the list's bytes ("sha256:" and hex):
	// the hash of what the run reads, taken from the one open of the
	// input (or the spool's, see Spool).
	Input string
	// Spool, when the list is a stream (standard input, a pipe), is its
	// copy: removed when the run completes.
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
	// RegistryMissed are the folders the registry of runs could not be
	// kept in, each with why, before the one it is kept in (Registry).
	RegistryMissed []string

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
	if !strings.HasPrefix(opt.Input, "sha256:") {
		return s, fmt.Errorf("no fingerprint of the input (%q)", opt.Input)
	}
	s.fp = Fingerprint{Input: opt.Input, Settings: hash(opt.Settings + "\x1f" + opt.Target), Shown: opt.Shown}
	if err := s.openRegistry(opt.Registries); err != nil {
		return s, err
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

// openRegistry keeps the registry in the first of dirs where it can be
// made and its lock taken. Another run holding the lock stops the run;
// a folder that cannot be made or written is passed over, and said.
func (s *Session) openRegistry(dirs []string) error {
	var missed []string
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		r := &registry{dir: dir}
		err := os.MkdirAll(dir, 0o700)
		var l *Lock
		if err == nil {
			l, err = TryLock(r.lockPath(s.fp), "is running the same input against the same Topo")
		}
		var locked *LockedError
		switch {
		case errors.As(err, &locked):
			return err
		case err != nil:
			missed = append(missed, fmt.Sprintf("%s (%v)", dir, err))
			continue
		}
		s.registry, s.RegistryMissed = r, missed
		s.locks = append(s.locks, l)
		return nil
	}
	if len(missed) > 0 {
		return fmt.Errorf("the registry of runs can be kept nowhere: %s", strings.Join(missed, "; "))
	}
	return nil
}

// Registry is the folder the registry of runs is kept in ("": none).
func (s *Session) Registry() string {
	if s.registry == nil {
		return ""
	}
	return s.registry.dir
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
	var lost string // how the memory of a run under way was lost
	switch {
	case entry == nil || force:
	case entry.Completed != nil:
		return &CompletedError{Completion: *entry.Completed, Journal: entry.Journal}
	case entry.Journal != abs:
		switch readable, writes := journalWrites(entry.Journal); {
		case readable && writes:
			return &ElsewhereError{Journal: entry.Journal}
		case !readable:
			lost = fmt.Sprintf("the registry of runs says a run of this input against this Topo was under way, journaled at %s, which is gone or cannot be read", entry.Journal)
		}
	}
	j, st, err := OpenJournal(opt.Journal, s.fp, force, opt.Durability)
	var unreadable *UnreadableJournalError
	var link *SymlinkError
	if errors.As(err, &unreadable) && !errors.As(err, &link) && underWay(entry) && os.Rename(opt.Journal, opt.Journal+".prev") == nil {
		lost = fmt.Sprintf("the journal %s cannot be read (%v), and the registry of runs says its run was under way: moved to %s.prev", opt.Journal, unreadable.Err, opt.Journal)
		j, st, err = OpenJournal(opt.Journal, s.fp, force, opt.Durability)
	}
	if err != nil {
		return fmt.Errorf("journal %s: %w", opt.Journal, err)
	}
	s.Journal, s.Opened = j, st
	switch {
	case lost != "":
	case underWay(entry) && !force && entry.Journal == abs && (st == JournalNew || st == JournalOther):
		lost = fmt.Sprintf("the registry of runs says a run of this input against this Topo was under way, journaled at %s, and that journal is gone", abs)
	case st == JournalOther && j.OtherUnfinished():
		lost = fmt.Sprintf("the journal %s was of another input or other settings, whose run wrote to Topo and never completed (a crash? a replaced export?): moved to %s.prev", opt.Journal, opt.Journal)
	}
	switch {
	case st == JournalCompleted:
		return &CompletedError{Completion: j.Completed(), Journal: opt.Journal}
	case lost != "":
		// Blind, a run would send again what the lost run sent, and a Topo
		// that does not enforce uniqueness would hold it twice.
		j.MarkAllUnsure()
		s.Notes = append(s.Notes, lost+": what that run sent is not known here, so every row is looked up before anything is sent (maybe_sent)")
	case st == JournalOther:
		why := j.SetAside()
		switch {
		case why != "":
		case opt.Force:
			why = "--force runs the input again, every row looked up before anything is sent"
		default:
			why = "a removal since its run completed: every row is looked up before anything is sent"
		}
		s.Notes = append(s.Notes, fmt.Sprintf("the journal %s was set aside as %s.prev, starting afresh: %s", opt.Journal, opt.Journal, why))
	case st == JournalResumed:
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

// Spool is a stream given as the list (standard input, a pipe, a FIFO)
// kept as a file beside the journal, named by its hash (readable by its
// owner only): only so can the same bytes piped again be recognised and
// the run resumed. It is removed when the run completes, and outlives one
// that does not, for the rerun.
type Spool struct {
	Path string
	sum  string
}

// Sum is the hash of the bytes read from the stream, as they were read.
func (sp *Spool) Sum() string { return sp.sum }

// SpoolTempPrefix follows the journal's name in the name of a spool
// being written (renamed to its final name once complete): a run killed
// meanwhile leaves one behind.
const SpoolTempPrefix = ".stdin-"

// SpoolStream copies r to a spool beside the journal, hashing the bytes
// as they are read.
func SpoolStream(journal string, r io.Reader) (*Spool, error) {
	tmp, err := CreateTemp(filepath.Dir(journal), filepath.Base(journal)+SpoolTempPrefix+"*")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("reading the input: %w", err)
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

// underWay says the registry's entry is of a run that never completed.
func underWay(e *runEntry) bool { return e != nil && e.Completed == nil }

func absOrEmpty(path string) string {
	if path == "" {
		return ""
	}
	abs, _ := filepath.Abs(path)
	return abs
}
