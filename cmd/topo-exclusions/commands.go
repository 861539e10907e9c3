package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/topo-io/topo-exclusions/importer"
)

// flags are every command's flags; each command adds the ones it has.
type flags struct {
	// Input
	encodingText, delimiterText, reasonText, sheet string
	kind, dateOrder, failuresFormat                *enumValue
	maps                                           []string
	// Topo
	baseURL, tokenFile string
	existing, snapshot *enumValue
	// Pacing
	rate, burst, concurrency, retries, lookupRetries, maxFailures *numberValue
	timeout, grace, giveUpAfter, settleDelay                      durationValue
	// Outputs
	report, failures, summary, metrics, html string
	logFormatV                               *enumValue
	quiet                                    bool
	// Resume
	journal, state string
	force          bool
	// Opt-outs and outreach
	liftOptOuts bool
	workspace   string
	sequences   *enumValue
}

func newFlags(e *env) *flags {
	return &flags{
		kind:           newEnum("auto", "auto", "contacts", "accounts"),
		dateOrder:      newEnum("", "dmy", "mdy"),
		failuresFormat: newEnum("excel", "excel", "csv"),
		existing:       newEnum("extend", importer.ExistingPolicies...),
		snapshot:       newEnum("auto", importer.SnapshotPolicies...),
		logFormatV:     newEnum("text", "text", "json"),
		sequences:      newEnum("", importer.OutreachModes...),
		baseURL:        orEnv(e.Getenv("TOPO_BASE_URL"), importer.DefaultBaseURL),
		rate:           &numberValue{auto: true, allowAuto: true, min: 0, max: 1e6, description: "N"},
		burst:          &numberValue{value: 1, min: 1, max: 1000, integer: true, description: "N"},
		concurrency:    &numberValue{auto: true, allowAuto: true, min: 1, max: 256, integer: true, description: "N"},
		retries:        &numberValue{value: 5, min: 0, max: 100, integer: true, description: "N"},
		lookupRetries:  &numberValue{value: 10, min: 1, max: 100, integer: true, description: "N"},
		maxFailures:    &numberValue{value: 0, min: 0, max: math.MaxInt32, integer: true, description: "N"},
		timeout:        durationValue{d: 30 * time.Second},
		grace:          durationValue{d: 15 * time.Second},
		giveUpAfter:    durationValue{d: 10 * time.Minute, zeroNever: true},
		settleDelay:    durationValue{d: 2 * time.Second, zeroNever: true},
	}
}

func orEnv(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// addInput adds the flags of commands that read a list.
func (f *flags) addInput(c *cobra.Command) {
	fs := c.Flags()
	fs.StringVar(&f.encodingText, "encoding", "auto", "input encoding: auto, utf-8, utf-16le, utf-16be or windows-1252")
	fs.StringVar(&f.delimiterText, "delimiter", "", "field delimiter: comma (,), semicolon (;), tab or pipe (|) (default: sniffed from the header line)")
	fs.StringArrayVar(&f.maps, "map", nil, "take a field from a column: field=Header Name (repeatable), e.g. email=\"Work E-mail\"")
	fs.StringVar(&f.reasonText, "default-reason", "", "reason for rows with none, and for files without a reason column, e.g. unsubscribed")
	enumFlag(c, f.kind, "kind", "contacts (email, linkedin_url) or accounts (domain); auto decides from the header")
	fs.StringVar(&f.sheet, "sheet", "", "worksheet of an .xlsx/.xlsm workbook to read (default: the first)")
	enumFlag(c, f.dateOrder, "date-order", "read until dates that could be either way round (03/04/2027) day first (dmy) or month first (mdy); without it such a date is invalid")
	group(fs, "Input", "encoding", "delimiter", "map", "default-reason", "kind", "sheet", "date-order")
}

// addOutputs adds the flags of every command's outputs; rowFiles adds the
// report and the failures file (defaults named after the input, for what).
func (f *flags) addOutputs(c *cobra.Command, rowFiles bool, what string) {
	fs := c.Flags()
	if rowFiles {
		fs.StringVar(&f.report, "report", "", fmt.Sprintf("per-row report `path`, - for standard output (default: FILE with %s)", what))
		fs.StringVar(&f.failures, "failures", "", "rows still needing action, ready to fix and feed back in (default: beside the report)")
		enumFlag(c, f.failuresFormat, "failures-format", "excel: UTF-16 and tabs, opened in columns by every Excel whatever its locale; csv: UTF-8 and commas, for programs")
		group(fs, "Outputs", "report", "failures", "failures-format")
	}
	fs.StringVar(&f.summary, "summary", "", "write the summary as JSON to `path` (- for standard output), on every exit")
	fs.StringVar(&f.metrics, "metrics", "", "write the run's figures in Prometheus text format to `path`, for node_exporter's textfile collector")
	fs.StringVar(&f.html, "html", "", "write a self-contained run page to `path`")
	enumFlag(c, f.logFormatV, "log-format", "log lines (and errors) on standard error as text or json")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print only errors and the summary")
	group(fs, "Outputs", "summary", "metrics", "html", "log-format", "quiet")
}

// addTopo adds the flags of commands that talk to Topo.
func (f *flags) addTopo(c *cobra.Command) {
	fs := c.Flags()
	fs.StringVar(&f.baseURL, "base-url", f.baseURL, "Topo API `URL`, scheme and host only (env TOPO_BASE_URL); plain http only to loopback")
	fs.StringVar(&f.tokenFile, "token-file", "", "read the API key from `path` (default: env TOPO_API_KEY)")
	fs.StringVar(&f.workspace, "workspace", "", "the Topo workspace (organization `id`) the key must belong to; another is refused before anything is sent")
	group(fs, "Topo", "base-url", "token-file", "workspace")
	fs.Var(f.rate, "rate", "requests per second: auto finds Topo's limit and remembers it; a number caps it (0: as fast as Topo allows)")
	fs.Var(f.burst, "burst", "no longer used: requests leave one at a time, evenly spaced")
	_ = fs.MarkDeprecated("burst", "requests now leave one at a time, evenly spaced (a server whose bucket holds one token answers the second of any pair 429); the flag is ignored")
	fs.Var(f.concurrency, "concurrency", "requests in flight at most: auto sizes it from the rate and the latency (1 to 256)")
	fs.Var(f.retries, "retries", "times one write (a create, update or delete) is sent again after a 429, a 5xx, a reset or a timeout: at most N+1 sends a row")
	fs.Var(f.lookupRetries, "lookup-retries", "times one read (a lookup, a page of Topo's list, the key check) is sent again, apart from --retries")
	fs.Var(&f.timeout, "timeout", "limit for each request")
	fs.Var(&f.settleDelay, "settle-delay", "after a write whose answer was lost and a lookup that found nothing, wait this long and look again before sending it again (Topo's reads may lag its writes; 0: do not wait)")
	group(fs, "Pacing", "rate", "concurrency", "retries", "lookup-retries", "timeout", "settle-delay")
}

// addLift adds --lift-optouts (commands that could lift an opt-out).
func (f *flags) addLift(c *cobra.Command, what string) {
	c.Flags().BoolVar(&f.liftOptOuts, "lift-optouts", false, what)
	group(c.Flags(), "Topo", "lift-optouts")
}

// addResume adds the journal's flags (commands that write to Topo).
func (f *flags) addResume(c *cobra.Command) {
	fs := c.Flags()
	fs.StringVar(&f.journal, "journal", "", "crash-safe record of what was sent, for resuming (default: beside the report, .journal)")
	fs.BoolVar(&f.force, "force", false, "run again an input that already ran to the end (every row is looked up before anything is sent)")
	fs.Var(f.maxFailures, "max-failures", "abort after this many rows failed (0: never)")
	fs.Var(&f.grace, "grace", "on Ctrl-C or SIGTERM, how long requests in flight may finish")
	fs.Var(&f.giveUpAfter, "give-up-after", "abort (exit 3, resumable) when Topo has accepted no write for this long: only 429s, 5xx or no answer (0: never)")
	group(fs, "Resume", "journal", "force")
	group(fs, "Pacing", "max-failures", "grace", "give-up-after")
}

// options turns the flags into a run's options; the engine checks their
// values.
func (f *flags) options(cmd importer.Command, path string) (importer.Options, error) {
	opt := importer.Options{
		Command: cmd, Input: path, DefaultOutputs: true,
		Read: importer.ReadOptions{
			Encoding: f.encodingText, Delimiter: f.delimiterText, Kind: f.kind.value, Sheet: f.sheet, DefaultReason: f.reasonText, DateOrder: f.dateOrder.value,
		},
		Report: f.report, Failures: f.failures, FailuresFormat: f.failuresFormat.value, Summary: f.summary, Metrics: f.metrics, HTML: f.html,
		Journal: f.journal, State: f.state, Force: f.force, Quiet: f.quiet,
		Topo: importer.TopoOptions{
			BaseURL: f.baseURL, TokenFile: f.tokenFile, Workspace: f.workspace, Rate: f.rate.value, AutoRate: f.rate.auto,
			Retries: f.retries.Int(), LookupRetries: f.lookupRetries.Int(),
			Timeout: f.timeout.d, Grace: f.grace.d, MaxFailures: f.maxFailures.Int(), GiveUpAfter: f.giveUpAfter.d, SettleDelay: settleDelay(f.settleDelay.d),
			Existing: f.existing.value, Snapshot: f.snapshot.value, LiftOptOuts: f.liftOptOuts, Sequences: f.sequences.value,
		},
	}
	if !f.concurrency.auto {
		opt.Topo.Concurrency = f.concurrency.Int()
	}
	if len(f.maps) > 0 {
		opt.Read.Map = map[string]string{}
	}
	for _, m := range f.maps {
		field, header, ok := strings.Cut(m, "=")
		if !ok || strings.TrimSpace(header) == "" {
			return opt, importer.Usagef("--map %q: want field=Header Name", m)
		}
		opt.Read.Map[field] = header
	}
	return opt, nil
}

// runEngine runs the options with the process's surroundings; its error
// carries the exit code the run decided.
func (e *env) runEngine(opt importer.Options, f *flags) error {
	env := e.Env
	env.JSONLogs = f.logFormatV.value == "json"
	// Log lines and the summary through one writer, a write at a time.
	env.Stderr = importer.Serialized(env.Stderr)
	env.Log = e.logger(env.Stderr, f.quiet, env.JSONLogs)
	_, err := importer.Run(e.soft, opt, env)
	return err
}

// sending adds what every command that talks to Topo shares.
func sendingCommand(c *cobra.Command, f *flags, what string) {
	f.addInput(c)
	f.addTopo(c)
	f.addOutputs(c, true, what)
}

func validateCommand(e *env) *cobra.Command {
	f := newFlags(e)
	c := &cobra.Command{
		Use:   "validate [flags] FILE",
		Short: "Check a list row by row; send nothing",
		Long: `Reads FILE (CSV, tab-separated, an .xlsx/.xlsm workbook, or - for standard
input), normalises and checks every row, and writes a per-row report and a
failures file (tab-separated UTF-16, as every Excel opens it, whatever the
input) named for what they are: FILE.validation.csv and
FILE.validation.failures.csv. Nothing is sent; no
API key is needed. 'import --dry-run' does the same.`,
		Example: `  topo-exclusions validate unsubscribes.csv
  topo-exclusions validate --default-reason unsubscribed mailchimp-export.csv
  topo-exclusions validate --map email="Work E-mail" --delimiter ';' crm.csv
  topo-exclusions validate --sheet "Opt-outs" --default-reason unsubscribed crm-export.xlsx
  cat list.csv | topo-exclusions validate --report - - > report.csv`,
		Args: oneFile,
		RunE: func(_ *cobra.Command, args []string) error {
			opt, err := f.options(importer.Validate, args[0])
			if err != nil {
				return err
			}
			return e.runEngine(opt, f)
		},
	}
	f.addInput(c)
	f.addOutputs(c, true, ".validation.csv")
	c.Flags().BoolVar(&f.force, "force", false, "overwrite a --report that holds an import's answers")
	return c
}

func importCommand(e *env) *cobra.Command {
	f := newFlags(e)
	var dryRun bool
	c := &cobra.Command{
		Use:   "import [flags] FILE",
		Short: "Check a list and load it into Topo",
		Long: `Reads FILE, validates every row, and makes Topo hold each valid one
(POST /v1/contact-exclusions, or /v1/account-exclusions for a list of
domains): paced, concurrent, retried, and never twice. A row is created,
exists, extended or updated only on Topo's own answer. The report carries
each record's id; the failures file holds every row that still needs
action, and running it again finishes the job.

The API key comes from TOPO_API_KEY or --token-file, never from a flag.

A journal beside the report makes every run resumable: after a crash,
kill -9 or Ctrl-C, run the same command again. Rerunning a completed import
sends nothing and says how many rows still need action (--force to run it
again).`,
		Example: `  TOPO_API_KEY=... topo-exclusions import unsubscribes.csv
  topo-exclusions import --token-file ~/.topo-key --default-reason unsubscribed export.csv
  topo-exclusions import --log-format json --summary run.json --metrics run.prom --max-failures 50 nightly.csv
  topo-exclusions import --state /var/lib/topo/optouts.state full-export.csv   # cron: only new rows
  topo-exclusions import --existing keep list.csv   # never change an existing exclusion
  topo-exclusions import --dry-run list.csv         # validate only, send nothing`,
		Args: oneFile,
		RunE: func(_ *cobra.Command, args []string) error {
			cmd := importer.Import
			if dryRun {
				cmd = importer.Validate
			}
			opt, err := f.options(cmd, args[0])
			if err != nil {
				return err
			}
			return e.runEngine(opt, f)
		},
	}
	sendingCommand(c, f, ".report.csv")
	enumFlag(c, f.existing, "existing", "for a person Topo already excludes for less long than the row asks: extend it, keep it (exists_shorter), or replace it with the row")
	enumFlag(c, f.snapshot, "snapshot", "load Topo's whole list first to decide rows without a request: auto (when cheaper), always or never")
	group(c.Flags(), "Topo", "existing", "snapshot")
	f.addLift(c, "let --existing replace lift an opt-out (an UNSUBSCRIBED, CONTACT_REFUSED or BOUNCED record given an until, shortened or relabelled); each is listed in the summary")
	enumFlag(c, f.sequences, "sequences", "the people still running in Topo's sequences, which an exclusion does not stop: report them (needs action), stop them, or off (default: report, when the key can read contacts and sequences)")
	group(c.Flags(), "Topo", "sequences")
	f.addResume(c)
	c.Flags().StringVar(&f.state, "state", "", "file of keys earlier runs imported: rows in it are exists without a request (for cron)")
	group(c.Flags(), "Resume", "state")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "validate and report only; send nothing (the same as validate)")
	return c
}

func planCommand(e *env) *cobra.Command {
	f := newFlags(e)
	var removal bool
	c := &cobra.Command{
		Use:   "plan [flags] FILE",
		Short: "Ask Topo what an import (or a removal) would do; write nothing",
		Long: `A dry run that asks Topo: validates FILE like 'validate', then looks each
valid row up (exact email, LinkedIn URL or domain filters, paced like an
import; or, when cheaper, Topo's whole list loaded once) and reports
would_create, exists, would_extend, would_update, exists_shorter (with the
existing until), invalid or duplicate. With --remove: would_remove or
not_found. Nothing is written to Topo. The key needs exclusions:read.`,
		Example: `  TOPO_API_KEY=... topo-exclusions plan unsubscribes.csv
  topo-exclusions plan --existing keep --summary plan.json export.csv
  topo-exclusions plan --remove opted-back-in.csv`,
		Args: oneFile,
		RunE: func(_ *cobra.Command, args []string) error {
			opt, err := f.options(importer.Plan, args[0])
			if err != nil {
				return err
			}
			opt.Removal = removal
			return e.runEngine(opt, f)
		},
	}
	sendingCommand(c, f, ".plan.csv")
	enumFlag(c, f.existing, "existing", "the import policy to plan for: extend, keep or replace")
	enumFlag(c, f.snapshot, "snapshot", "load Topo's whole list first to decide rows without a request: auto (when cheaper), always or never")
	f.addLift(c, "plan for an import (or removal) with --lift-optouts: would_lift instead of protected")
	f.sequences = newEnum("", "report", "off")
	enumFlag(c, f.sequences, "sequences", "say who of the list is still running in Topo's sequences (and would be stopped), or off (default: report, when the key can read contacts and sequences)")
	group(c.Flags(), "Topo", "sequences")
	c.Flags().BoolVar(&removal, "remove", false, "plan a removal: which rows' exclusions would go")
	c.Flags().BoolVar(&f.force, "force", false, "overwrite a --report that holds an import's answers")
	group(c.Flags(), "Topo", "existing", "snapshot")
	return c
}

// settleDelay is --settle-delay as the engine takes it: 0 (do not wait)
// is below zero there, where 0 is the default.
func settleDelay(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
