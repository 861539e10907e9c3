package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/internal/input"
	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/report"
)

// list is the input of a command that reads one: its reader, the one
// open of it, and how many data rows it has (-1: not known).
type list struct {
	reader *input.Reader
	src    *source
	name   string // the file read: the input's path or its spool ("-": a stream)
	total  int
	warned int // the reader's warnings said so far
}

// openList opens the input and reads its header. A stream (standard
// input, a pipe, a FIFO) given to a command that writes to Topo is first
// kept beside the journal, so that the same bytes piped again can be
// recognised and resumed.
func (s *session) openList(ctx context.Context, spool bool) error {
	l := &list{name: "-", total: -1}
	s.list = l
	src, err := s.openSource(ctx, spool && s.paths.journal != "")
	if err != nil {
		return err
	}
	l.src = src
	if src.path != "" {
		l.name = src.path
	}
	opt := s.dec.read
	opt.Now = s.env.Now()
	if err := l.open(s, opt); err != nil {
		src.discard() // nothing was sent: nothing to resume
		l.src = nil
		return err
	}
	info := l.reader.Info()
	s.sum.Encoding, s.sum.Delimiter, s.sum.Sheet, s.sum.Kind = string(info.Encoding), report.DelimiterName(info.Delimiter), info.Sheet, info.Kind.String()
	s.sum.Columns, s.sum.NotRead = columnsRead(info)
	if len(info.Ignored) > 0 {
		s.warn(fmt.Sprintf("not read: columns %s (no field of an exclusion; kept as they are in the failures file)", strings.Join(info.Ignored, ", ")))
	}
	l.sayWarnings(s)
	return nil
}

// sayWarnings says what the reader learnt of the input and has not been
// said yet: a hidden sheet at open, a report's footer at the end.
func (l *list) sayWarnings(s *session) {
	w := l.reader.Info().Warnings
	for _, msg := range w[min(l.warned, len(w)):] {
		s.warn(msg)
	}
	l.warned = len(w)
}

func (l *list) open(s *session, opt input.Options) error {
	if l.src.book {
		rd, err := input.OpenWorkbookFile(l.src.f, l.src.path, s.opts.Read.Sheet, opt)
		if err != nil {
			return err
		}
		l.reader = rd
		return nil
	}
	if s.opts.Read.Sheet != "" {
		return Usagef("--sheet is for .xlsx and .xlsm workbooks")
	}
	rd, err := input.NewReader(l.src.stream, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", displayInput(s.opts.Input), err)
	}
	l.reader = rd
	return nil
}

// Next is the reader's next row, the input looked at as it is read: a
// file that changes under the run (written to, truncated, renamed over)
// stops it, at the latest at the end of reading, with an
// *InputChangedError.
func (l *list) Next() (rows.Row, error) {
	row, err := l.reader.Next()
	switch {
	case errors.Is(err, io.EOF):
		if cerr := l.src.check(true); cerr != nil {
			return rows.Row{}, cerr
		}
	case err == nil:
		if cerr := l.src.read(); cerr != nil {
			return rows.Row{}, cerr
		}
	}
	return row, err
}

// count counts the input's data rows in a quick pass of the scanner over
// the one open of it, for progress, the snapshot's cost and a removal's
// prompt; -1 when not known (a stream read as it comes, a workbook: a
// second parse would cost more than it tells).
func (l *list) count(opt input.Options) int {
	opt.Delimiter = l.reader.Info().Delimiter
	return l.src.count(opt)
}

func (l *list) close() {
	if l.reader != nil {
		l.reader.Close()
	}
	if l.src != nil {
		l.src.close()
	}
}

// lockLedger takes the journal's and the state's locks, before the key
// check: another run at the same files is refused without a request.
func (s *session) lockLedger() error {
	locks, err := ledger.LockFiles(s.paths.journal, s.paths.state)
	s.locks = locks
	return err
}

// openLedger opens the journal and the state, for a
// command that writes to Topo, after the key check: the run is known by
// the workspace the key belongs to, so that another workspace behind the
// same base URL is another Topo. A Go program that asks for neither runs
// without: it can then neither resume nor tell a rerun from a first run.
// A run the key check stopped sends nothing, and leaves them untouched
// for the run that will.
func (s *session) openLedger() error {
	switch {
	case s.link.stopped != nil:
		return nil
	case s.paths.journal == "" && s.paths.state == "":
		return nil
	case s.paths.journal == "":
		return Usagef("--state needs a journal (Options.Journal) beside it")
	}
	sum, err := s.list.src.fingerprint()
	if err != nil {
		return err
	}
	opt := ledger.Options{
		Journal: s.paths.journal, State: s.paths.state, Input: sum, Spool: s.list.src.spool,
		Settings: fingerprintSettings(s.dec, s.opts.Removal, s.list.reader.Info()),
		Shown:    shownSettings(s.dec, s.opts.Removal, s.list.reader.Info(), s.opts.Command.String(), s.link.client.BaseURL(), s.link.access.Workspace),
		Target:   s.opts.Command.String() + " " + s.link.client.BaseURL() + " " + s.link.access.Workspace,
		Force:    s.opts.Force, Removal: s.opts.Command == Remove, Report: s.paths.report, Registries: s.registryDirs(), Durability: ledger.Durability{Now: s.env.Now, Sync: s.env.Sync},
		Locks: s.locks, Workspace: s.topoID(),
	}
	ls, err := ledger.Open(opt)
	s.locks = nil // the ledger holds them now, open or not (Open releases them on failure)
	var locked *ledger.LockedError
	if err != nil && s.list.src.spool != nil && !errors.As(err, &locked) {
		// Nothing of this run will resume from it (another run at the
		// same journal would share it).
		s.list.src.discard()
	}
	if err != nil {
		return err
	}
	s.ledger = ls
	s.sayRegistry()
	for _, n := range ls.Notes {
		s.warn(n)
	}
	s.sum.Paths.Journal, s.sum.Paths.State = s.paths.journal, s.paths.state
	return nil
}

// registryDirs are where the registry of runs may be kept, in order: the
// user's state directory (Env.StateDir); $STATE_DIRECTORY, which systemd
// sets for a unit with StateDirectory= (a system user's HOME is often
// /nonexistent); and a folder beside the journal, which then knows only
// the runs journaled in that folder. It is never off: without it, the
// same list imported with another --report would be sent again.
func (s *session) registryDirs() []string {
	dirs := []string{s.env.StateDir}
	if sd, _, _ := strings.Cut(s.env.Getenv("STATE_DIRECTORY"), ":"); sd != "" {
		dirs = append(dirs, filepath.Join(absPath(s.env.Dir, sd), "topo-exclusions", "runs"))
	}
	for _, beside := range []string{s.paths.journal, s.paths.report} {
		if beside != "" && beside != "-" {
			dirs = append(dirs, besideJournalRegistry(beside))
		}
	}
	return slices.Compact(dirs)
}

// besideJournalRegistry is the registry's last resort: a folder beside
// the journal at path.
func besideJournalRegistry(path string) string {
	return filepath.Join(filepath.Dir(path), ".topo-exclusions", "runs")
}

// registryDir is the registry of runs this run keeps ("": none).
func (s *session) registryDir() string {
	if s.ledger != nil {
		return s.ledger.Registry()
	}
	return s.env.StateDir
}

// sayRegistry says where the registry of runs went when it could not be
// kept where it belongs: in $STATE_DIRECTORY, for the log; beside the
// journal, as a warning, for it then knows fewer runs.
func (s *session) sayRegistry() {
	dir, missed := s.ledger.Registry(), s.ledger.RegistryMissed
	where := "no state directory is set (HOME, XDG_STATE_HOME)"
	if len(missed) > 0 {
		where = "it cannot be kept in " + strings.Join(missed, " nor ")
	}
	switch {
	case dir != "" && dir == besideJournalRegistry(s.paths.journal):
		s.warn(fmt.Sprintf("the registry of runs is kept beside the journal, in %s: %s; it knows only the runs journaled in that folder (set XDG_STATE_HOME or HOME, or, under systemd, StateDirectory=)", dir, where))
	case len(missed) > 0:
		s.log.Info(fmt.Sprintf("the registry of runs is kept in %s: %s", dir, where))
	}
}

// topoID names the Topo the run talks to: its base URL and the key's
// workspace. Everything a run remembers is kept under it.
func (s *session) topoID() string {
	return s.link.client.BaseURL() + " " + s.link.access.Workspace
}

// openForgetting opens, for a removal, the state files that runs against
// this Topo kept (the registry knows them, whether or not this run was
// given one): each person removed is forgotten in them, so that listed
// again, they are sent again. A state another run holds is said, and left.
func (s *session) openForgetting() {
	for _, path := range ledger.StatesFor(s.registryDir(), s.topoID()) {
		lock, err := ledger.TryLock(path+".lock", "writes the same state")
		if err != nil {
			s.warn(fmt.Sprintf("could not forget the removed people in the cron state %s (%v): rows it knows would still be reported known; run the removal again when that run is done", path, err))
			continue
		}
		st, err := ledger.OpenState(path, s.topoID(), ledger.Durability{Now: s.env.Now, Sync: s.env.Sync})
		if err != nil {
			_ = lock.Unlock()
			s.warn(fmt.Sprintf("could not forget the removed people in the cron state %s: %v", path, err))
			continue
		}
		s.locks = append(s.locks, lock)
		s.forget = append(s.forget, st)
	}
}

// openRowOutputs creates the report and the failures file (as new files
// that become theirs when complete).
func (s *session) openRowOutputs() error {
	info := s.list.reader.Info()
	rep, err := createOutput("--report", s.paths.report, s.paths.show(s.paths.report), s.env.Stdout)
	if err != nil {
		return err
	}
	fail, err := createOutput("--failures", s.paths.failures, s.paths.show(s.paths.failures), s.env.Stdout)
	if err != nil {
		(&outputs{files: []*output{rep}}).discard()
		return err
	}
	out := &outputs{files: []*output{rep, fail}}
	rw, err := report.NewWriter(rep.w, info.Kind)
	if err != nil {
		out.discard()
		return err
	}
	fw, err := report.NewFailures(fail.w, report.FailuresFormat{
		Kind: info.Kind, Removal: s.opts.Removal, Spreadsheet: s.paths.failures != "-" && s.opts.FailuresFormat != "csv", Extra: info.Extra,
	})
	if err != nil {
		out.discard()
		return err
	}
	s.sum.Report, s.sum.Failures = s.paths.show(s.paths.report), s.paths.show(s.paths.failures)
	s.sum.Paths.Report, s.sum.Paths.Failures = s.paths.report, s.paths.failures
	set := &report.Set{Report: rw, Failures: fw, Summary: s.sum, Errors: s.errors}
	out.flush = set.Flush
	s.rows = &recorder{out: out, set: set}
	return s.setOutputs(out)
}

// recorder records each row's outcome in the outputs, the summary and
// the progress display.
type recorder struct {
	out *outputs
	set *report.Set
}

// Record writes one outcome everywhere it belongs.
func (r *recorder) Record(o rows.Outcome) error {
	return r.out.do(func() error { return r.set.Record(o) })
}
