package importer

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/internal/input"
	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/report"
)

// list is the input of a command that reads one: its reader, what it is
// read from, and how many data rows it has (-1: not known).
type list struct {
	reader *input.Reader
	in     io.Closer
	spool  *ledger.Spool // standard input, kept beside the journal
	name   string        // what is read: the input's path, or the spool
	total  int
	warned int // the reader's warnings said so far
}

// openList opens the input and reads its header. Standard input of a
// command that writes to Topo is first kept beside the journal, so that
// the same bytes piped again can be recognised and resumed.
func (s *session) openList(spool bool) error {
	l := &list{name: s.paths.input, total: -1}
	s.list = l
	opt := s.dec.read
	opt.Now = s.env.Now()
	if spool && s.paths.input == "-" && s.paths.journal != "" {
		sp, err := ledger.SpoolStdin(s.paths.journal, s.env.Stdin)
		if err != nil {
			return fmt.Errorf("keeping standard input beside the journal: %w", err)
		}
		l.spool, l.name = sp, sp.Path
	}
	if err := l.open(s, opt); err != nil {
		if l.spool != nil {
			os.Remove(l.spool.Path) // nothing was sent: nothing to resume
		}
		return err
	}
	info := l.reader.Info()
	s.sum.Encoding, s.sum.Delimiter, s.sum.Sheet, s.sum.Kind = string(info.Encoding), report.DelimiterName(info.Delimiter), info.Sheet, info.Kind.String()
	s.sum.Columns, s.sum.NotRead = columnsRead(info)
	if len(info.Ignored) > 0 {
		s.warn(fmt.Sprintf("ignoring columns %s", strings.Join(info.Ignored, ", ")))
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
	if input.IsWorkbook(l.name) && l.name != "-" {
		rd, err := input.OpenWorkbook(l.name, s.opts.Read.Sheet, opt)
		if err != nil {
			return err
		}
		l.reader = rd
		return nil
	}
	if s.opts.Read.Sheet != "" {
		return Usagef("--sheet is for .xlsx and .xlsm workbooks")
	}
	var in io.ReadCloser
	if l.name == "-" {
		in = io.NopCloser(s.env.Stdin)
	} else {
		f, err := os.Open(l.name)
		if err != nil {
			return &input.SetupError{Err: err}
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return &input.SetupError{Err: fmt.Errorf("%s is a folder, not a file", s.opts.Input)}
		}
		in = f
	}
	rd, err := input.NewReader(in, opt)
	if err != nil {
		in.Close()
		return fmt.Errorf("%s: %w", displayInput(s.opts.Input), err)
	}
	l.reader, l.in = rd, in
	return nil
}

// count counts the input's data rows in a quick pass of the scanner, for
// progress and the snapshot's cost; -1 when not known (standard input not
// spooled, a workbook: a second parse would cost more than it tells).
func (l *list) count(opt input.Options) int {
	if l.name == "-" || input.IsWorkbook(l.name) {
		return -1
	}
	f, err := os.Open(l.name)
	if err != nil {
		return -1
	}
	defer f.Close()
	opt.Delimiter = l.reader.Info().Delimiter
	n, err := input.CountRows(f, opt)
	if err != nil {
		return -1
	}
	return n
}

func (l *list) close() {
	if l.reader != nil {
		l.reader.Close()
	}
	if l.in != nil {
		l.in.Close()
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
	opt := ledger.Options{
		Journal: s.paths.journal, State: s.paths.state, Input: s.list.name, Spool: s.list.spool,
		Settings: fingerprintSettings(s.dec, s.opts.Removal, s.list.reader.Info()),
		Shown:    shownSettings(s.dec, s.opts.Removal, s.list.reader.Info(), s.opts.Command.String(), s.link.client.BaseURL(), s.link.access.Workspace),
		Target:   s.opts.Command.String() + " " + s.link.client.BaseURL() + " " + s.link.access.Workspace,
		Force:    s.opts.Force, Removal: s.opts.Command == Remove, Report: s.paths.report, Registry: s.env.StateDir, Durability: ledger.Durability{Now: s.env.Now, Sync: s.env.Sync},
		Locks: s.locks, Workspace: s.topoID(),
	}
	ls, err := ledger.Open(opt)
	s.locks = nil // the ledger holds them now, open or not (Open releases them on failure)
	if err != nil {
		return err
	}
	s.ledger = ls
	for _, n := range ls.Notes {
		s.warn(n)
	}
	s.sum.Paths.Journal, s.sum.Paths.State = s.paths.journal, s.paths.state
	return nil
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
	for _, path := range ledger.StatesFor(s.env.StateDir, s.topoID()) {
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
		Kind: info.Kind, Removal: s.opts.Removal, Spreadsheet: s.paths.failures != "-", Extra: info.Extra,
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
