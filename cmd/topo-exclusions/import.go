package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/report"
)

const importUsage = `Usage: topo-exclusions import [flags] FILE

Reads FILE (CSV, tab-separated, an .xlsx workbook, or - for standard
input), validates every row, and sends each valid one to Topo's
POST /v1/contact-exclusions (or, for a list of domains, /v1/account-
exclusions): paced, concurrent, retried, and never twice. Writes a per-row report (with each created
record's id) and a failures file holding every row that still needs
action; running the failures file again finishes the job.

The API key comes from TOPO_API_KEY or --token-file, never from a flag.

A journal beside the report makes every run resumable: after a crash,
kill -9 or Ctrl-C, run the same command again. Rows already settled are
not sent again; rows that were in flight are looked up first. Rerunning a
completed import does nothing (--force to import again).

Examples:
  TOPO_API_KEY=... topo-exclusions import unsubscribes.csv
  topo-exclusions import --token-file ~/.topo-key --default-reason unsubscribed export.csv
  topo-exclusions import --log-format json --summary run.json --max-failures 50 nightly.csv
  topo-exclusions import --state /var/lib/topo/optouts.state full-export.csv   # cron: only new rows
  topo-exclusions import --dry-run list.csv        # validate only, send nothing

Exit codes: 0 every valid row created or already excluded (or the input
was already imported); 1 some rows invalid or failed; 2 usage or setup
error, or another run holds the lock (nothing sent); 3 aborted (key
refused, Topo unreachable, --max-failures reached); 130 interrupted.

Flags:
`

// sendFlags are import's own flags.
type sendFlags struct {
	dryRun               bool
	baseURL, tokenFile   string
	rate                 float64
	burst, concurrency   int
	retries, maxFailures int
	timeout, grace       time.Duration
	logFormat            string
	journal, state       string
	force                bool
}

func runImport(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "import", importUsage)
	var rf readFlags
	var sf sendFlags
	rf.register(fs)
	sf.register(fs)
	fs.BoolVar(&sf.dryRun, "dry-run", false, "validate and report only; send nothing (the same as validate)")
	fs.IntVar(&sf.maxFailures, "max-failures", 0, "abort after this many rows failed (0: never)")
	fs.DurationVar(&sf.grace, "grace", 15*time.Second, "on Ctrl-C or SIGTERM, how long requests in flight may finish")
	fs.StringVar(&sf.journal, "journal", "", "crash-safe record of what was sent, for resuming (default: beside the report, .journal)")
	fs.BoolVar(&sf.force, "force", false, "import again an input whose journal says it was imported to the end")
	path, err := parseCommand(fs, args)
	if err != nil {
		return err
	}
	if sf.dryRun {
		return checkFile(ctx, env, "import --dry-run", path, &rf)
	}
	return sendFile(ctx, env, path, &rf, &sf)
}

// register adds the flags of every command that talks to Topo.
func (sf *sendFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.baseURL, "base-url", envOr("TOPO_BASE_URL", "https://api.topo.io"), "Topo API `URL` (env TOPO_BASE_URL); plain http only to loopback")
	fs.StringVar(&sf.tokenFile, "token-file", "", "read the API key from `path` (default: env TOPO_API_KEY)")
	fs.Float64Var(&sf.rate, "rate", 5, "requests per second at most (0: as fast as Topo allows); lowered on 429s")
	fs.IntVar(&sf.burst, "burst", 1, "requests that may go at once above --rate")
	fs.IntVar(&sf.concurrency, "concurrency", 4, "requests in flight at most")
	fs.IntVar(&sf.retries, "retries", 5, "times a request is made again after a 429, 5xx, reset or timeout")
	fs.DurationVar(&sf.timeout, "timeout", 30*time.Second, "limit for each request")
	fs.StringVar(&sf.logFormat, "log-format", "text", "log lines as text or json")
	fs.StringVar(&sf.state, "state", "", "file of keys earlier runs imported: rows in it are exists without a request (for cron)")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (sf *sendFlags) check() error {
	switch {
	case sf.rate < 0:
		return usagef("--rate %v: want 0 or more", sf.rate)
	case sf.burst < 1:
		return usagef("--burst %d: want 1 or more", sf.burst)
	case sf.concurrency < 1 || sf.concurrency > 256:
		return usagef("--concurrency %d: want 1 to 256", sf.concurrency)
	case sf.retries < 0:
		return usagef("--retries %d: want 0 or more", sf.retries)
	case sf.timeout <= 0:
		return usagef("--timeout %v: want more than 0", sf.timeout)
	case sf.maxFailures < 0:
		return usagef("--max-failures %d: want 0 or more", sf.maxFailures)
	case sf.logFormat != "text" && sf.logFormat != "json":
		return usagef("--log-format %q: want text or json", sf.logFormat)
	}
	return nil
}

// apiKey reads the key from --token-file or TOPO_API_KEY. It never
// appears in a message: only where it came from does.
func (sf *sendFlags) apiKey() (string, error) {
	if sf.tokenFile == "" {
		key := strings.TrimSpace(os.Getenv("TOPO_API_KEY"))
		if key == "" {
			return "", usagef("no API key: set TOPO_API_KEY or pass --token-file PATH")
		}
		return key, nil
	}
	b, err := os.ReadFile(sf.tokenFile)
	if err != nil {
		return "", usagef("--token-file: %v", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" || strings.ContainsAny(key, "\r\n") {
		return "", usagef("--token-file %s: want one key on one line", sf.tokenFile)
	}
	return key, nil
}

// sendFile imports one list.
func sendFile(ctx context.Context, env *environment, path string, rf *readFlags, sf *sendFlags) error {
	start := time.Now()
	log, client, err := sf.connect(env, rf)
	if err != nil {
		return err
	}
	dur, err := openDurable(env, path, rf, sf, log)
	if errors.Is(err, errCompleted) {
		return exitError(exitOK)
	}
	if err != nil {
		return err
	}
	defer dur.close()
	sess, err := openSession(env, "import", path, rf, log)
	if err != nil {
		dur.discard()
		return err
	}
	defer sess.close()
	pacer := importer.NewPacer(sf.rate, sf.burst)
	// A refused key or an unreachable API stops the run before any row is
	// sent; every row is still read and reported not_attempted.
	canRead, preflightErr := importer.CheckKey(ctx, client, sess.reader.Info().Kind, pacer, sf.retries, sf.timeout)
	if preflightErr == nil && !canRead {
		log.Info("the key cannot read exclusions: after an unanswered attempt, rows are sent again and a 409 settles them")
	}
	sender := &importer.Sender{API: client, Pacer: pacer, Retries: sf.retries, Timeout: sf.timeout, CanRead: canRead}
	im := &importer.Import{
		Sender: sender, Concurrency: sf.concurrency, MaxFailures: sf.maxFailures, Grace: sf.grace,
		Stopped: preflightErr, Ledger: dur.ledger(), Known: dur.known(),
	}
	runErr := runPool(ctx, env, log, sess, im, countRows(path, rf), rf.quiet)
	if runErr == nil {
		runErr = dur.journal.Complete(displayName(sess.out.reportPath))
	}
	if err := dur.close(); runErr == nil && err != nil {
		runErr = err
	}
	elapsed := time.Since(start)
	sess.out.summary().Send = sendSummary(sf, sender, pacer, elapsed, sender.Stats().Requests)
	return sess.finish(env, log, elapsed, sendExitCode(sess.out.summary(), runErr), runErr)
}

// runPool runs im over the session's rows with a progress display, and
// says when a signal asks it to stop.
func runPool(ctx context.Context, env *environment, log *slog.Logger, sess *session, im *importer.Import, total int, quiet bool) error {
	progress := newProgress(env, log, quiet, total)
	sess.out.set.Progress = progress
	im.Rows, im.Recorder = sess.reader, sess.out.set
	stopNotice := context.AfterFunc(ctx, func() {
		log.Warn("interrupted: finishing requests in flight, then recording the rest as not_attempted (signal again to stop at once)")
	})
	err := im.Run(ctx, env.hard)
	stopNotice()
	progress.Finish()
	if err != nil {
		log.Error(err.Error())
	}
	return err
}

// sendSummary is what talking to Topo took; requests are what the pace is
// measured by (create attempts for import, lookups for plan).
func sendSummary(sf *sendFlags, s *importer.Sender, p *importer.Pacer, elapsed time.Duration, requests int64) *report.SendSummary {
	st := s.Stats()
	sum := &report.SendSummary{
		BaseURL: sf.baseURL, Requests: st.Requests, Lookups: st.Lookups, Retries: st.Retries,
		Throttled: st.Throttled, RequestsPerSecond: float64(requests) / elapsed.Seconds(),
	}
	if r := p.Rate(); !math.IsInf(r, 1) && r < math.MaxFloat64 {
		sum.FinalRate = r
	}
	return sum
}

// connect checks the flags, reads the key, and builds the logger and the
// API client: what every command that talks to Topo starts with.
func (sf *sendFlags) connect(env *environment, rf *readFlags) (*slog.Logger, *importer.Client, error) {
	if err := sf.check(); err != nil {
		return nil, nil, err
	}
	key, err := sf.apiKey()
	if err != nil {
		return nil, nil, err
	}
	client, err := sf.client(key)
	if err != nil {
		return nil, nil, err
	}
	return env.logger(rf.quiet, sf.logFormat), client, nil
}

// client builds the API client, with a connection pool sized to the
// concurrency.
func (sf *sendFlags) client(key string) (*importer.Client, error) {
	return importer.NewClient(sf.baseURL, key, "topo-exclusions/"+version, &http.Client{
		Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: sf.concurrency * 2, ForceAttemptHTTP2: true},
	})
}

// sendExitCode maps how an import ended to its exit code.
func sendExitCode(s *report.Summary, runErr error) int {
	var auth *importer.AuthError
	var limit *importer.FailureLimitError
	var unavailable *importer.UnavailableError
	switch {
	case errors.As(runErr, &auth), errors.As(runErr, &limit), errors.As(runErr, &unavailable):
		return exitAborted
	case errors.Is(runErr, context.Canceled):
		return exitInterrupted
	case runErr != nil:
		return exitUsage
	case s.Counts[importer.StatusInvalid]+s.Counts[importer.StatusFailed]+s.Counts[importer.StatusNotAttempted] > 0:
		return exitRows
	}
	return exitOK
}

// newProgress decides, once, how progress is shown: a bar when standard
// error is a terminal, a log line every 10 seconds otherwise.
func newProgress(env *environment, log *slog.Logger, quiet bool, total int) report.Progress {
	if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !quiet {
		return report.NewBar(env.stderr, total)
	}
	if quiet {
		log = slog.New(slog.DiscardHandler)
	}
	return report.NewTicker(log, total, 10*time.Second)
}

// countRows counts the data rows of a file for the progress display, in a
// quick pass of the scanner alone; -1 for standard input or on any error.
func countRows(path string, rf *readFlags) int {
	if path == "-" || importer.IsWorkbook(path) {
		return -1 // a workbook would cost a second full parse
	}
	opt, err := rf.options()
	if err != nil {
		return -1
	}
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	n, err := importer.CountRows(f, opt)
	if err != nil {
		return -1
	}
	return n
}
