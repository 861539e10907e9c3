package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/importer/input"
	"github.com/topo-io/topo-exclusions/importer/ledger"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// watchdog is how long a run may take to complete its outputs after the
// second stop; then they are left partial, as after a third.
const watchdog = 10 * time.Second

// run is one command under way.
type run struct {
	cfg   *Config
	env   *Env
	log   *slog.Logger
	sum   *report.Summary
	paths paths

	reader  *input.Reader
	in      io.Closer
	out     *outputs
	session *ledger.Session
	spool   *ledger.Spool // standard input, kept beside the journal
	meter   *topo.Meter
	send    *sender // for commands that talk to Topo

	errors  *report.ErrorGroups
	total   int // the input's data rows, for progress; -1 unknown
	partial []string
	said    bool // the error was already said

	// mu guards what a cut (the third stop) and the run's own goroutine
	// both touch: the outputs, and whether the input was opened.
	mu     sync.Mutex
	opened bool
	cut    bool
}

// Run runs one command and returns its exit code. ctx is the first stop
// (finish what is in flight, record the rest as not_attempted), hard the
// second (stop requests at once, still complete the outputs), cut the
// third (leave the outputs partial, now). The summary is written on every
// way out.
func Run(ctx, hard, cut context.Context, cfg Config, env Env) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	r := &run{cfg: &cfg, env: &env, log: env.Log, meter: topo.NewMeter(), errors: report.NewErrorGroups(), total: -1}
	r.sum = report.NewSummary(cfg.commandName(), displayName(cfg.Input), env.Now())
	r.sum.Settings = cfg.settings()
	err := r.watch(ctx, hard, cut)
	wrote := r.send != nil && r.meter.Counts().Writes() > 0
	code := code(err, wrote, r.sum.FailureRows > 0)
	var done *ledger.CompletedError
	if errors.As(err, &done) {
		code, err = ExitOK, nil
		if done.NeedAction > 0 {
			code = ExitRows
		}
		r.sum.Error = done.Error()
		r.say(done.Error())
	}
	r.finish(err, code)
	return code
}

// watch runs the command in a goroutine of its own, until it ends or is
// cut: after the second stop the outputs have watchdog to be completed,
// after the third none. A cut leaves them partial, under names that say
// so, and the run's goroutine where it is (stuck reading a pipe, say):
// the process ends right after.
func (r *run) watch(ctx, hard, cut context.Context) error {
	done := make(chan error, 1)
	go func() { done <- r.run(ctx, hard) }()
	watch, stopWatch := context.WithCancel(cut)
	defer stopWatch()
	defer context.AfterFunc(hard, func() {
		t := time.AfterFunc(watchdog, stopWatch)
		context.AfterFunc(watch, func() { t.Stop() })
	})()
	select {
	case err := <-done:
		return err
	case <-watch.Done():
		r.mu.Lock()
		defer r.mu.Unlock()
		r.cut = true
		if r.out != nil {
			r.partial = r.out.abandon()
		}
		return context.Canceled
	}
}

func (r *run) run(ctx, hard context.Context) error {
	r.paths = resolvePaths(r.cfg)
	defer r.closeInput()
	if err := r.setup(ctx); err != nil {
		return err
	}
	if r.cfg.Command == Export {
		return r.export(ctx, hard)
	}
	return r.body(ctx, hard)
}

// body reads (and, for commands that talk to Topo, sends) every row.
func (r *run) body(ctx, hard context.Context) error {
	if r.send == nil {
		return input.CheckAll(ctx, r.reader, r.out)
	}
	return r.send.run(ctx, hard)
}

// setup checks and opens everything before the first row is read: a
// problem here is said in one line, and leaves no file behind.
func (r *run) setup(ctx context.Context) error {
	cfg := r.cfg
	if err := checkDistinct(cfg.Input, r.paths); err != nil {
		return err
	}
	if !cfg.Command.writes() && !cfg.Force {
		if err := guardProof(r.env.StateDir, r.paths.report); err != nil {
			return err
		}
	}
	if cfg.Command.sends() {
		s, err := newSender(r)
		if err != nil {
			return err
		}
		r.send = s
	}
	if cfg.Command == Export {
		return nil
	}
	if cfg.Command.writes() && cfg.Input == "-" {
		// Standard input is kept beside the journal first, so that the
		// same bytes piped again can be recognised and resumed.
		sp, err := ledger.SpoolStdin(r.paths.journal, r.env.Stdin)
		if err != nil {
			return fmt.Errorf("keeping standard input beside the journal: %w", err)
		}
		r.spool = sp
	}
	if err := r.openInput(); err != nil {
		if r.spool != nil {
			os.Remove(r.spool.Path) // nothing was sent: nothing to resume
		}
		return err
	}
	if cfg.Command.sends() {
		r.total = r.countRows()
	}
	if cfg.Command == Remove {
		if err := r.confirmRemoval(); err != nil {
			return err
		}
	}
	if cfg.Command.writes() {
		if err := r.openLedger(); err != nil {
			return err
		}
	}
	if r.send != nil {
		if err := r.send.checkKey(ctx); err != nil {
			return err
		}
	}
	return r.openOutputs()
}

// openLedger takes the locks and opens the journal and the state.
func (r *run) openLedger() error {
	cfg := r.cfg
	opt := ledger.Options{
		Journal: r.paths.journal, State: r.paths.state, Input: cfg.Input, Spool: r.spool,
		Settings: cfg.fingerprintSettings(r.reader.Info()), Target: cfg.Command.String() + " " + r.send.client.BaseURL(),
		Force: cfg.Force, Report: r.paths.report,
	}
	if r.spool != nil {
		opt.Input = r.spool.Path
	}
	if r.env.StateDir != "" {
		opt.Registry = r.env.StateDir
	}
	s, err := ledger.Open(opt)
	if err != nil {
		return err
	}
	r.session = s
	for _, n := range s.Notes {
		r.warn(n)
	}
	r.sum.Paths.Journal, r.sum.Paths.State = r.paths.journal, r.paths.state
	return nil
}

// openInput opens the list and reads its header.
func (r *run) openInput() error {
	cfg := r.cfg
	opt := cfg.Read
	opt.Removal = cfg.Removal
	if input.IsWorkbook(cfg.Input) && cfg.Input != "-" {
		rd, err := input.OpenWorkbook(cfg.Input, cfg.Sheet, opt)
		if err != nil {
			return err
		}
		r.reader = rd
		return r.describeInput()
	}
	if cfg.Sheet != "" {
		return Usagef("--sheet is for .xlsx and .xlsm workbooks")
	}
	var in io.ReadCloser
	name := cfg.Input
	if r.spool != nil {
		name = r.spool.Path
	}
	switch {
	case name == "-":
		in = io.NopCloser(r.env.Stdin)
	default:
		f, err := os.Open(name)
		if err != nil {
			return &input.SetupError{Err: err}
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return &input.SetupError{Err: fmt.Errorf("%s is a folder, not a file", cfg.Input)}
		}
		in = f
	}
	rd, err := input.NewReader(in, opt)
	if err != nil {
		in.Close()
		return fmt.Errorf("%s: %w", displayName(cfg.Input), err)
	}
	r.reader, r.in = rd, in
	return r.describeInput()
}

// setOutputs publishes the opened outputs, unless the run was cut
// meanwhile: then they are discarded.
func (r *run) setOutputs(o *outputs) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cut {
		o.discard()
		return context.Canceled
	}
	r.out, r.opened = o, true
	return nil
}

func (r *run) describeInput() error {
	info := r.reader.Info()
	s := r.sum
	s.Encoding, s.Delimiter, s.Sheet, s.Kind = string(info.Encoding), report.DelimiterName(info.Delimiter), info.Sheet, info.Kind.String()
	if len(info.Ignored) > 0 {
		r.warn(fmt.Sprintf("ignoring columns %s", strings.Join(info.Ignored, ", ")))
	}
	return nil
}

// openOutputs creates the report and the failures file (as new files
// that become theirs when complete).
func (r *run) openOutputs() error {
	info := r.reader.Info()
	rep, err := createOutput("--report", r.paths.report, r.env.Stdout)
	if err != nil {
		return err
	}
	fail, err := createOutput("--failures", r.paths.failures, r.env.Stdout)
	if err != nil {
		_ = rep.pending.Cleanup()
		return err
	}
	out := &outputs{files: []*output{rep, fail}}
	rw, err := report.NewWriter(rep.w, info.Kind)
	if err != nil {
		out.discard()
		return err
	}
	fw, err := report.NewFailures(fail.w, report.FailuresFormat{
		Kind: info.Kind, Removal: r.cfg.Removal, Delimiter: info.Delimiter, BOM: info.BOM,
	})
	if err != nil {
		out.discard()
		return err
	}
	r.sum.Report, r.sum.Failures = displayName(r.paths.report), displayName(r.paths.failures)
	r.sum.Paths.Report, r.sum.Paths.Failures = r.paths.report, r.paths.failures
	out.set = &report.Set{Report: rw, Failures: fw, Summary: r.sum, Errors: r.errors}
	return r.setOutputs(out)
}

// finish completes the outputs, says how the run ended, and writes the
// summary, the metrics and the run page.
func (r *run) finish(err error, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.out != nil && r.partial == nil && !r.cut {
		if ferr := r.completeOutputs(err); ferr != nil {
			err = errors.Join(err, ferr)
			if code == ExitOK || code == ExitRows {
				code = ExitStopped
			}
		}
	}
	if !r.cut {
		if serr := r.closeSession(err); serr != nil && err == nil {
			err = serr
			code = ExitStopped
		}
	}
	if r.partial != nil {
		r.sum.Partial = true
		r.sum.Missing = fmt.Sprintf("cut short after %s: %s hold only those; the rest of the input was not read", report.Plural(r.sum.Rows, "row"), strings.Join(r.partial, " and "))
		r.sum.Report, r.sum.Failures = "", ""
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		r.sum.Error = err.Error()
	}
	if errors.Is(err, context.Canceled) {
		r.sum.Error = r.interruptedMessage()
	}
	r.sum.Resume = r.resumeHint(code)
	if r.send != nil {
		r.sum.Send = r.send.summary(r.sum)
	}
	r.sum.Paths.Summary, r.sum.Paths.Metrics, r.sum.Paths.HTML = r.cfg.Summary, r.cfg.Metrics, r.cfg.HTML
	r.sum.Finish(r.env.Now(), code, statusWord(code, r.partial != nil))
	if err != nil && !r.said && !errors.Is(err, context.Canceled) && (!r.opened || r.env.JSONLogs) {
		r.say(err.Error()) // otherwise the summary's "stopped:" line says it
	}
	r.printSummary(code)
	var clash *ClashError
	if !errors.As(err, &clash) || !r.reportClashes(clash) {
		r.writeReports()
	}
}

// reportClashes says whether the clash involves a file writeReports would
// write: writing it would overwrite the other.
func (r *run) reportClashes(c *ClashError) bool {
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
func (r *run) completeOutputs(runErr error) error {
	if r.cfg.Command != Export && (r.reader == nil || !r.reader.Done() || errors.Is(runErr, errCut)) || !recorded(runErr) {
		r.partial = r.out.abandon()
		return nil
	}
	return r.out.finish()
}

// recorded says whether a run that ended with err still recorded what it
// read: a stop (signal, refused key, --max-failures) does; a failure to
// write the report or the journal, or to read Topo's list for an export,
// does not.
func recorded(err error) bool {
	var (
		auth  *topo.AuthError
		limit *importer.FailureLimitError
		un    *topo.UnavailableError
	)
	return err == nil || errors.Is(err, context.Canceled) || errors.As(err, &auth) || errors.As(err, &limit) || errors.As(err, &un)
}

func (r *run) printSummary(code int) {
	if !r.opened && r.cfg.Command != Export {
		return // a setup error: its one line was said
	}
	if r.env.JSONLogs {
		r.log.Info("summary", "summary", r.sum)
		return
	}
	_ = r.sum.WriteText(r.env.Stderr)
}

// writeReports writes the summary, the metrics and the run page.
func (r *run) writeReports() {
	type file struct {
		flag, path string
		write      func(io.Writer) error
	}
	for _, f := range []file{
		{"--summary", r.cfg.Summary, r.sum.WriteJSON},
		{"--metrics", r.cfg.Metrics, func(w io.Writer) error { return report.WriteMetrics(w, r.sum) }},
		{"--html", r.cfg.HTML, func(w io.Writer) error { return report.WritePage(w, r.page()) }},
	} {
		if f.path == "" {
			continue
		}
		if err := writeAtomically(f.path, r.env.Stdout, f.write); err != nil {
			r.say(fmt.Sprintf("writing %s %s: %v", f.flag, f.path, err))
		}
	}
}

// closeInput releases the input.
func (r *run) closeInput() {
	if r.reader != nil {
		r.reader.Close()
	}
	if r.in != nil {
		r.in.Close()
	}
}

// closeSession ends the journal and releases the locks. A run that went to
// the end, outputs in place, is recorded complete only now: a crash before
// this leaves a run that resumes, never one "completed" without its report.
// A run that stopped before it read a row leaves no journal behind.
func (r *run) closeSession(runErr error) error {
	if r.session == nil {
		return nil
	}
	if !r.opened {
		return r.session.Discard()
	}
	var err error
	if runErr == nil && r.partial == nil {
		err = r.session.Complete(ledger.Completion{
			Report: displayName(r.paths.report), Failures: displayName(r.paths.failures), NeedAction: r.sum.FailureRows,
		})
	}
	return errors.Join(err, r.session.Close())
}

// say tells the operator one thing, on one line (JSON with JSON logs).
func (r *run) say(msg string) {
	r.said = true
	if r.env.JSONLogs {
		r.log.Error(msg)
		return
	}
	fmt.Fprintf(r.env.Stderr, "topo-exclusions: %s\n", msg)
}

func (r *run) warn(msg string) {
	r.log.Warn(msg)
	r.sum.Warnings = append(r.sum.Warnings, msg)
}

func (r *run) interruptedMessage() string {
	n := r.sum.Counts[importer.StatusNotAttempted] + r.sum.Counts[importer.StatusUnknown]
	if r.partial != nil {
		return "interrupted three times: the outputs were cut short"
	}
	return fmt.Sprintf("interrupted: %s not sent", report.Plural(n, "row"))
}

// resumeHint says how to go on after a run that did not finish.
func (r *run) resumeHint(code int) string {
	switch {
	case code == ExitUsage || code == ExitOK:
		return ""
	case r.cfg.Command.writes() && code != ExitRows:
		return "run the same command again: it resumes where this run stopped, and sends nothing twice"
	case code == ExitRows && r.sum.Failures != "" && r.cfg.Command == Validate:
		return fmt.Sprintf("fix the rows in %s, then validate or import that file", r.sum.Failures)
	case code == ExitRows && r.sum.Failures != "":
		return fmt.Sprintf("the rows in %s need action: fix what the error column says, then %s that file (rows marked maybe_sent are looked up first)", r.sum.Failures, r.cfg.Command)
	}
	return ""
}

func displayName(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}

// page is what the run page shows.
func (r *run) page() report.Page {
	return report.Page{Summary: r.sum, Timeline: r.meter.Timeline(), Errors: r.errors.Groups()}
}
