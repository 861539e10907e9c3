// Package importer loads suppression lists into Topo's exclusions: it is
// the engine of topo-exclusions, usable by any Go program, of which the
// command is one user.
//
// Run takes one run's Options (the list, where Topo is, what to decide,
// where the outputs go) and an Env (the process's surroundings: streams,
// HTTP client, clock, folders), and returns a Result and an error. Every
// run writes its summary, however it ends.
//
// The parts live under it, named for what they are: rows (rows and their
// validation), topo (Topo's vocabulary), topotest (a fake Topo for
// tests), and, not API, internal/input (reading lists), internal/api (the
// HTTP client, retries, pacing), internal/settle (what each row's answers
// prove), internal/pipeline (the pass of a list through workers),
// internal/outreach (who on the list is still in a running sequence, and
// stopping them) and internal/ledger (journal, state, locks, the registry
// of runs).
package importer

import (
	"context"
	"errors"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/report"
)

// Command is what a run does.
type Command int

// The commands.
const (
	// Validate checks every row and sends nothing.
	Validate Command = iota
	// Import makes Topo hold every valid row.
	Import
	// Plan asks Topo what an import (or, with Removal, a removal) would
	// do, and writes nothing.
	Plan
	// Remove deletes the exclusions a list names.
	Remove
	// Export writes every exclusion Topo holds.
	Export
)

var commandNames = [...]string{"validate", "import", "plan", "remove", "export"}

func (c Command) String() string { return commandNames[c] }

// Options are one run: what to read, how to talk to Topo, what to do
// with what Topo holds, and where the outputs go.
type Options struct {
	Command Command
	// Removal reads the list for removal: remove, and plan --remove.
	Removal bool
	// Input is the list's path, or "-" for Env.Stdin.
	Input string
	Read  ReadOptions
	Topo  TopoOptions

	// Outputs: a path, "-" for Env.Stdout (at most one), or "" for none
	// (DefaultOutputs names them after the input instead, as the command
	// does). Relative paths are taken from Env.Dir.
	Report, Failures, Summary, Metrics, HTML string
	// FailuresFormat is how the failures file is written: "excel" ("", the
	// default: UTF-16LE with a BOM, tab-separated, which every Excel opens
	// in columns whatever its locale) or "csv" (UTF-8, comma-separated,
	// for programs). A failures file on standard output is always csv.
	FailuresFormat string
	// Journal makes an import or a removal resumable (a rerun sends
	// nothing twice); State is a cron run's memory of the keys settled.
	Journal, State string
	// DefaultOutputs names the report, the failures file and the journal
	// after the input when they are "" (list.csv → list.report.csv…).
	DefaultOutputs bool
	// Force runs again an input a run completed (every row looked up
	// first), and lets a dry run overwrite a report an import wrote.
	Force bool
	// Yes confirms a removal without asking.
	Yes bool
	// Quiet logs only errors and the summary.
	Quiet bool

	Export ExportOptions
}

// ReadOptions say how to read the list; the zero value detects
// everything.
type ReadOptions struct {
	// Encoding: auto (""), utf-8, utf-16le, utf-16be or windows-1252.
	Encoding string
	// Delimiter: "" (sniffed), comma, semicolon, tab or pipe (or , ; |).
	Delimiter string
	// Kind: auto (""), contacts or accounts.
	Kind string
	// Sheet is the worksheet of a workbook ("": the first).
	Sheet string
	// DefaultReason fills rows without a reason, in any spelling of one of
	// Topo's reasons ("unsubscribed").
	DefaultReason string
	// Map names a field's column: {"email": "Work E-mail"}.
	Map map[string]string
	// DateOrder reads dates that could be either way round (03/04/2027):
	// "dmy", "mdy", or "" to call such a date invalid.
	DateOrder string
}

// TopoOptions are how to talk to Topo.
type TopoOptions struct {
	// BaseURL is Topo's scheme and host ("": https://api.topo.io).
	BaseURL string
	// Workspace, when set, pins the run to one workspace (organization
	// id): a key of another one stops the run before anything is sent.
	Workspace string
	// Key is the API key. When empty it is read from TokenFile, or else
	// from the environment's TOPO_API_KEY.
	Key, TokenFile string
	// Rate caps requests per second (0: as fast as Topo allows); with
	// AutoRate the rate is found, and a Rate above 0 caps what is found.
	Rate     float64
	AutoRate bool
	// Concurrency bounds the requests in flight; 0 sizes it from the rate
	// and the latency.
	Concurrency int
	// Retries is how many times one write is sent again (at most
	// Retries+1 sends a row); LookupRetries the same for each read.
	Retries, LookupRetries int
	// Timeout bounds each request; Grace, how long requests in flight may
	// finish after the first stop.
	Timeout, Grace time.Duration
	// MaxFailures aborts the run after that many rows failed (0: never).
	MaxFailures int
	// SettleDelay is how long a lookup that found nothing, after an
	// attempt that may have taken effect, waits before it looks again:
	// Topo's reads may lag its writes (0: 2 s; below 0: it does not wait).
	SettleDelay time.Duration
	// GiveUpAfter aborts the run when Topo has accepted no write for that
	// long (only 429s, 5xx or no answer): the rest is not_attempted, and
	// the run resumable. 0 never gives up.
	GiveUpAfter time.Duration
	// Existing is what an import does with a person Topo holds for less
	// long than the row asks: extend (""), keep or replace.
	Existing string
	// Snapshot is when Topo's whole list is read first: auto (""),
	// always or never.
	Snapshot string
	// Sequences is what an import (or a plan) does about the people on
	// the list still running in Topo's sequences, which an exclusion does
	// not stop: report them (needs action), stop them (import), or off.
	// "": report when the key may read contacts and sequences.
	Sequences string
	// LiftOptOuts lets an import or a removal lift an opt-out (a record
	// whose reason is UNSUBSCRIBED, CONTACT_REFUSED or BOUNCED): delete it,
	// give a permanent one an until, shorten it, or relabel it. Without
	// it such rows are left unchanged, protected.
	LiftOptOuts bool
}

// ExportOptions are export's own settings.
type ExportOptions struct {
	// Output is the file to write, or "-" (and "") for Env.Stdout.
	Output string
	// JSONL writes one JSON object a line instead of CSV.
	JSONL bool
	// Since keeps records created after it; Reason those with that reason
	// (in any spelling one of Topo's reasons has).
	Since  time.Time
	Reason string
}

// Result is how a run ended.
type Result struct {
	// Code is the exit code the command exits with (see the Exit
	// constants).
	Code int
	// Summary is the run's totals, as --summary writes them.
	Summary *report.Summary
}

// Run runs one command. ctx is the first stop (finish what is in
// flight, record the rest as not_attempted); Env.Stops holds the second
// and the third. The summary is written on every way out.
//
// The error is nil when every row was settled as asked; otherwise it is
// an *ExitError with the exit code and what stopped the run (or
// ErrRowsNeedAction: some rows need action). It has been said on
// Env.Stderr and in the summary already.
func Run(ctx context.Context, opt Options, env Env) (Result, error) {
	env = env.withDefaults()
	s := newSession(opt, env)
	code, err := s.finish(s.watch(ctx, runnerFor(s.opts)))
	res := Result{Code: code, Summary: s.sum}
	if code == ExitOK {
		return res, nil
	}
	if err == nil {
		err = ErrRowsNeedAction
	}
	return res, &ExitError{Code: code, Err: err}
}

// ErrRowsNeedAction says some rows need action: the failures file holds
// them (exit code 1).
var ErrRowsNeedAction = errors.New("some rows need action: see the failures file")

// ExitError is how a run that did not settle every row as asked ended:
// the exit code it decided, and why.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the exit code for an error: the code a run decided, 0 for
// nil, and ExitUsage for anything else (a command line that could not be
// parsed).
func ExitCode(err error) int {
	var e *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &e):
		return e.Code
	}
	return ExitUsage
}

// DefaultBaseURL is Topo's production API.
const DefaultBaseURL = api.DefaultBaseURL

// runnerFor is the command's own part of the run.
func runnerFor(opt Options) runner {
	switch opt.Command {
	case Import:
		return &importRunner{}
	case Plan:
		return &planRunner{}
	case Remove:
		return &removeRunner{}
	case Export:
		return &exportRunner{}
	}
	return &validateRunner{}
}

// runner is one command's own part of a run: the session does what every
// command shares (paths, outputs, ledger, signals, the summary).
type runner interface {
	// setup opens what the command needs before anything is sent: a
	// problem here is said in one line, and leaves no file behind.
	setup(ctx context.Context, s *session) error
	// body does the command's work.
	body(ctx, hard context.Context, s *session) error
}
