package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/report"
)

// watchdog is how long a run may take to complete its outputs after the
// second stop, unless Env says otherwise; then they are left partial, as
// after a third.
const watchdog = 10 * time.Second

// session is what every command shares: the options and surroundings, the
// paths and their clash check, the outputs (created, finished or
// abandoned), the ledger, the stops, and the summary. A runner does the
// command's own part.
type session struct {
	opts   Options
	dec    decisions
	env    Env
	log    *slog.Logger
	sum    *report.Summary
	paths  paths
	meter  *api.Meter
	errors *report.ErrorGroups

	link   *link           // for commands that talk to Topo
	list   *list           // the input, for commands that read one
	rows   *recorder       // where each row's outcome goes
	ledger *ledger.Session // for commands that write to Topo
	locks  []*ledger.Lock  // the journal's and state's until the ledger holds them; the forgotten states'
	forget ledger.States   // a removal's: the states of runs against this Topo
	said   bool            // the error was already said
	stdout *stdoutPipe     // Env.Stdout, watched for its reader going away

	// mu guards what a cut (the third stop) and the run's own goroutine
	// both touch: the outputs, and whether they were opened.
	mu      sync.Mutex
	out     *outputs
	opened  bool
	cut     bool
	partial []string
}

func newSession(opt Options, env Env) *session {
	s := &session{opts: opt, env: env, log: env.Log, meter: api.NewMeter(env.Now), errors: report.NewErrorGroups()}
	s.stdout = &stdoutPipe{w: env.Stdout}
	s.env.Stdout = s.stdout
	s.paths = resolvePaths(opt, env.Dir)
	s.sum = report.NewSummary(opt.name(), displayInput(opt.Input), env.Now())
	s.sum.Settings = opt.settings()
	return s
}

// watch runs the command in a goroutine of its own, until it ends or is
// cut: after the second stop the outputs have watchdog to be completed,
// after the third none. A cut leaves them partial, under names that say
// so, and the run's goroutine where it is (stuck reading a pipe, say):
// the process ends right after.
func (s *session) watch(ctx context.Context, r runner) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	s.stdout.stopOnClose(stop)
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, r) }()
	// Each further interrupt is acknowledged: an operator pressing Ctrl-C
	// again must see that it was heard and what it does.
	defer s.acknowledge(s.env.Hard, "interrupted again: stopping the requests in flight now (their rows are looked up first next run); the report and failures file are still written; interrupt a third time to leave them partial")()
	defer s.acknowledge(s.env.Cut, "interrupted a third time: the outputs are left partial, under names that say so; run the same command again to resume")()
	watch, stopWatch := context.WithCancel(s.env.Cut)
	defer stopWatch()
	defer context.AfterFunc(s.env.Hard, func() {
		t := time.AfterFunc(s.env.Watchdog, stopWatch)
		context.AfterFunc(watch, func() { t.Stop() })
	})()
	select {
	case err := <-done:
		return err
	case <-watch.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		s.cut = true
		if s.out != nil {
			s.partial = s.out.abandon()
		}
		return context.Canceled
	}
}

// acknowledge says msg as soon as ctx ends, while the run goes on; the
// returned stop, called when watch returns, says it then if ctx ended
// too late for it to have been said, and waits for it otherwise: the
// acknowledgement always comes before the summary.
func (s *session) acknowledge(ctx context.Context, msg string) (stop func()) {
	said := make(chan struct{})
	stopSaying := context.AfterFunc(ctx, func() {
		defer close(said)
		s.log.Warn(msg)
	})
	return func() {
		if !stopSaying() {
			<-said
			return
		}
		if ctx.Err() != nil {
			s.log.Warn(msg)
		}
	}
}

// run checks what every command needs checked, then hands over to r.
func (s *session) run(ctx context.Context, r runner) error {
	defer s.closeInput()
	if err := s.paths.checkDistinct(); err != nil {
		return err
	}
	s.prepareDisk()
	d, err := s.opts.parse()
	if err != nil {
		return err
	}
	s.dec = d
	if !s.opts.Command.writes() && !s.opts.Force {
		if err := guardProof(s.registryDirs(), s.paths.report, s.paths.show(s.paths.report)); err != nil {
			return err
		}
	}
	if err := r.setup(ctx, s); err != nil {
		return err
	}
	err = r.body(ctx, s.env.Hard, s)
	if s.list != nil && s.list.reader != nil {
		s.list.sayWarnings(s)
		if n := s.list.reader.ConvertedDomains(); n > 0 {
			s.sum.ConvertedDomains, s.sum.DomainForm = int(n), rows.EmailDomainForm
			s.log.Info(fmt.Sprintf("%s had an email domain written in Unicode: sent in %s", report.Plural(int(n), "row"), rows.EmailDomainForm))
		}
		if n := s.list.reader.FallbackBytes(); n > 0 {
			s.warn(fmt.Sprintf("%s of the UTF-8 input were not UTF-8 and were read as Windows-1252 (a row pasted from another tool?): check those rows, or pass --encoding", report.Plural(int(n), "byte")))
		}
	}
	return err
}

// setOutputs publishes the opened outputs, unless the run was cut
// meanwhile: then they are discarded.
func (s *session) setOutputs(o *outputs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cut {
		o.discard()
		return context.Canceled
	}
	s.out, s.opened = o, true
	return nil
}

// finish decides the exit code, completes the outputs, says how the run
// ended, and writes the summary, the metrics and the run page.
func (s *session) finish(err error) (int, error) {
	err = s.incomplete(err)
	wrote := s.link != nil && s.meter.Counts().Writes() > 0
	code := exitCode(err, wrote, s.sum.FailureRows > 0)
	var done *ledger.CompletedError
	if errors.As(err, &done) {
		// The same input already ran to the end: nothing to do.
		code, err = ExitOK, nil
		if done.NeedAction > 0 {
			code = ExitRows
		}
		s.sum.Error = done.Error()
		s.say(done.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out != nil && s.partial == nil && !s.cut {
		if ferr := s.completeOutputs(err); ferr != nil {
			err = errors.Join(err, ferr)
			if code == ExitOK || code == ExitRows {
				code = ExitStopped
			}
		}
	}
	if !s.cut {
		if serr := s.closeLedger(err); serr != nil && err == nil {
			err, code = serr, ExitStopped
		}
	}
	s.describeEnd(err, code)
	if err != nil && !s.said && !errors.Is(err, context.Canceled) && (!s.opened || s.env.JSONLogs) {
		s.say(err.Error()) // otherwise the summary's "stopped:" line says it
	}
	s.printSummary()
	var clash *ClashError
	if !errors.As(err, &clash) || !s.clashesWithReports(clash) {
		s.writeReports()
	}
	return code, err
}

// describeEnd fills the summary's account of how the run ended.
func (s *session) describeEnd(err error, code int) {
	if s.partial != nil {
		s.sum.Partial = true
		s.sum.Missing = fmt.Sprintf("cut short after %s: %s hold only those; the rest of the input was not read", report.Plural(s.sum.Rows, "row"), strings.Join(s.partial, " and "))
		if s.opts.Command == Export {
			s.sum.Missing = fmt.Sprintf("cut short after %s: %s holds only those; the rest of Topo's list was not read", report.Plural(s.sum.Rows, "record"), strings.Join(s.partial, " and "))
		}
		s.sum.Report, s.sum.Failures = "", ""
	}
	switch {
	case errors.Is(err, context.Canceled):
		s.sum.Error = s.interruptedMessage()
	case err != nil:
		s.sum.Error = err.Error()
	}
	s.sum.Resume = s.resumeHint(code)
	if s.link != nil {
		s.sum.Send = s.link.summary(s.sum, s.env.Now())
	}
	s.sum.Paths.Summary, s.sum.Paths.Metrics, s.sum.Paths.HTML = s.paths.summary, s.paths.metrics, s.paths.html
	s.sum.Finish(s.env.Now(), code, statusWord(code, s.partial != nil))
}

// clashesWithReports says whether the clash involves a file writeReports
// would write: writing it would overwrite the other.
func (s *session) clashesWithReports(c *ClashError) bool {
	for _, f := range []string{"--summary", "--metrics", "--html"} {
		if c.A == f || c.B == f {
			return true
		}
	}
	return false
}

// completeOutputs renames the outputs into place when every row of the
// input was read and recorded, and leaves them partial otherwise (an
// input that could not be read to its end, a report that could not be
// written).
func (s *session) completeOutputs(runErr error) error {
	readAll := s.list == nil || s.list.reader != nil && s.list.reader.Done()
	if !readAll || errors.Is(runErr, errCut) || !recorded(runErr) {
		s.partial = s.out.abandon()
		return nil
	}
	err := s.out.finish()
	s.sum.Kept = s.out.kept
	return err
}

func (s *session) printSummary() {
	if !s.opened && s.opts.Command != Export {
		return // a setup error: its one line was said
	}
	if s.env.JSONLogs {
		s.log.Info("summary", "summary", s.sum)
		return
	}
	_ = s.sum.WriteText(s.env.Stderr)
}

// writeReports writes the summary, the metrics and the run page.
func (s *session) writeReports() {
	type file struct {
		flag, path string
		write      func(io.Writer) error
	}
	for _, f := range []file{
		{"--summary", s.paths.summary, s.sum.WriteJSON},
		{"--metrics", s.paths.metrics, func(w io.Writer) error { return report.WriteMetrics(w, s.sum) }},
		{"--html", s.paths.html, func(w io.Writer) error { return report.WritePage(w, s.page()) }},
	} {
		if f.path == "" {
			continue
		}
		if err := writeAtomically(f.path, s.env.Stdout, f.write); err != nil {
			s.say(fmt.Sprintf("writing %s %s: %v", f.flag, s.paths.show(f.path), err))
		}
	}
}

// closeLedger ends the journal and releases the locks. A run that went to
// the end, outputs in place, is recorded complete only now: a crash before
// this leaves a run that resumes, never one "completed" without its
// report. A run that stopped before it read a row leaves no journal.
func (s *session) closeLedger(runErr error) error {
	var errs []error
	for _, st := range s.forget {
		errs = append(errs, st.Close())
	}
	for _, l := range s.locks {
		_ = l.Unlock()
	}
	if err := errors.Join(errs...); err != nil {
		s.warn(fmt.Sprintf("the removed people could not all be forgotten in the cron states: %v", err))
	}
	if s.ledger == nil {
		return nil
	}
	if !s.opened {
		return s.ledger.Discard()
	}
	var err error
	if runErr == nil && s.partial == nil {
		err = s.incomplete(nil)
	}
	if err == nil && runErr == nil && s.partial == nil {
		err = s.ledger.Complete(ledger.Completion{
			Report: s.paths.show(s.paths.report), Failures: s.paths.show(s.paths.failures), NeedAction: s.sum.FailureRows,
		})
	}
	return errors.Join(err, s.ledger.Close())
}

// closeInput releases the input.
func (s *session) closeInput() {
	if s.list != nil {
		s.list.close()
	}
}

// say tells the operator one thing, on one line (JSON with JSON logs).
func (s *session) say(msg string) {
	s.said = true
	if s.env.JSONLogs {
		s.log.Error(msg)
		return
	}
	fmt.Fprintf(s.env.Stderr, "topo-exclusions: %s\n", msg)
}

func (s *session) warn(msg string) {
	s.log.Warn(msg)
	s.sum.Warnings = append(s.sum.Warnings, msg)
}

func (s *session) interruptedMessage() string {
	switch {
	case s.partial != nil && s.opts.Command == Export:
		return "interrupted: the export was cut short"
	case s.partial != nil:
		return "interrupted three times: the outputs were cut short"
	}
	// The same counts as the report's: a row in flight when the requests
	// were stopped may have reached Topo, so it is not "not sent".
	msg := "interrupted"
	if s.stdout.wasClosed() {
		msg = "interrupted, standard output closed (its reader went away)"
	}
	msg += fmt.Sprintf(": %s not sent", report.Plural(s.sum.Counts[rows.StatusNotAttempted], "row"))
	if n := s.sum.Counts[rows.StatusUnknown]; n > 0 {
		msg += fmt.Sprintf(", %s perhaps sent (unknown: looked up first next run)", report.Plural(n, "row"))
	}
	return msg
}

// resumeHint says how to go on after a run that did not finish.
func (s *session) resumeHint(code int) string {
	cmd := s.opts.Command
	switch {
	case code == ExitUsage || code == ExitOK:
		return ""
	case cmd.writes() && code != ExitRows:
		return "run the same command again: it resumes where this run stopped, and sends nothing twice"
	case code == ExitRows && s.sum.Failures != "" && cmd == Validate:
		return fmt.Sprintf("fix the rows in %s, then validate or import that file", s.sum.Failures)
	case code == ExitRows && s.sum.Failures != "":
		return fmt.Sprintf("the rows in %s need action: fix what the error column says, then %s that file (rows marked maybe_sent are looked up first)", s.sum.Failures, cmd)
	}
	return ""
}

// page is what the run page shows.
func (s *session) page() report.Page {
	return report.Page{Summary: s.sum, Timeline: timeline(s.meter.Timeline()), Errors: s.errors.Groups()}
}

// timeline is the meter's seconds as the run page draws them.
func timeline(secs []api.Second) []report.Second {
	out := make([]report.Second, len(secs))
	for i, sec := range secs {
		out[i] = report.Second(sec)
	}
	return out
}
