package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
)

const validateUsage = `Usage: topo-exclusions validate [flags] FILE

Reads FILE (a CSV or tab-separated file, an .xlsx/.xlsm workbook, or - for
standard input), normalises and checks every row, and writes a per-row
report and a failures file (CSV, whatever the input). Nothing is sent; no API key is
needed. 'import --dry-run' does the same.

Examples:
  topo-exclusions validate unsubscribes.csv
  topo-exclusions validate --default-reason unsubscribed mailchimp-export.csv
  topo-exclusions validate --map email="Work E-mail" --delimiter ';' crm.csv
  topo-exclusions validate --sheet "Opt-outs" --default-reason unsubscribed crm-export.xlsx
  cat list.csv | topo-exclusions validate --report - - > report.csv

Exit codes: 0 every row valid (duplicates are fine), 1 some rows invalid,
2 usage or setup error (nothing was checked).

Flags:
`

// readFlags are the flags of every command that reads a list.
type readFlags struct {
	encoding, delimiter, defaultReason string
	maps                               multiFlag
	report, failures, summary          string
	sheet, kind                        string
	quiet                              bool
}

func (f *readFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.encoding, "encoding", "auto", "input encoding: auto, utf-8, utf-16le, utf-16be or windows-1252")
	fs.StringVar(&f.delimiter, "delimiter", "", "field delimiter: , ; or tab (default: sniffed from the header line)")
	fs.Var(&f.maps, "map", "take a field from a column: field=Header Name (repeatable), e.g. email=\"Work E-mail\"")
	fs.StringVar(&f.defaultReason, "default-reason", "", "reason for rows with none, and for files without a reason column, e.g. unsubscribed")
	fs.StringVar(&f.report, "report", "", "per-row report `path`, - for stdout (default: FILE with .report.csv)")
	fs.StringVar(&f.failures, "failures", "", "rows still needing action, ready to fix and feed back in (default: FILE with .failures.csv)")
	fs.StringVar(&f.summary, "summary", "", "also write the summary as JSON to `path` (- for stdout)")
	fs.StringVar(&f.kind, "kind", "auto", "contacts (email, linkedin_url) or accounts (domain); auto decides from the header")
	fs.StringVar(&f.sheet, "sheet", "", "worksheet to read from an .xlsx/.xlsm workbook (default: the first)")
	fs.BoolVar(&f.quiet, "quiet", false, "print only errors and the final summary")
}

func (f *readFlags) options() (importer.Options, error) {
	enc, err := importer.ParseEncoding(f.encoding)
	if err != nil {
		return importer.Options{}, usagef("--encoding: %v", err)
	}
	opt := importer.Options{Encoding: enc, DefaultReason: f.defaultReason, Map: map[importer.Field]string{}}
	if opt.Kind, err = importer.ParseKind(f.kind); err != nil {
		return opt, usagef("--kind: %v", err)
	}
	if opt.Delimiter, err = parseDelimiter(f.delimiter); err != nil {
		return opt, err
	}
	for _, m := range f.maps {
		field, header, ok := strings.Cut(m, "=")
		if !ok || strings.TrimSpace(header) == "" {
			return opt, usagef("--map %q: want field=Header Name", m)
		}
		fd, err := importer.ParseField(field)
		if err != nil {
			return opt, usagef("--map %q: %v", m, err)
		}
		opt.Map[fd] = header
	}
	return opt, nil
}

func parseDelimiter(s string) (byte, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "tab", `\t`, "\t":
		return '\t', nil
	case "|", "pipe":
		return '|', nil
	}
	return 0, usagef("--delimiter %q: want , ; tab or |", s)
}

// newFlagSet makes a flag set that reports errors in one line and prints
// its usage only when asked.
func newFlagSet(env *environment, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(env.stdout, usage)
		fs.SetOutput(env.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// flagError turns a flag parsing error into a usage error (--help aside).
func flagError(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usagef("%s: %v (see --help)", fs.Name(), err)
}

func parseCommand(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return "", flagError(fs, err)
	case len(pos) != 1:
		return "", usagef("%s needs exactly one FILE, or - for standard input (see --help)", fs.Name())
	}
	return pos[0], nil
}

func runValidate(ctx context.Context, env *environment, name string, args []string) error {
	fs := newFlagSet(env, name, validateUsage)
	var rf readFlags
	rf.register(fs)
	path, err := parseCommand(fs, args)
	if err != nil {
		return err
	}
	return checkFile(ctx, env, name, path, &rf)
}

// checkFile validates one list and writes its reports and summary.
func checkFile(ctx context.Context, env *environment, command, path string, rf *readFlags) error {
	start := time.Now()
	log := env.logger(rf.quiet, "text")
	sess, err := openSession(env, command, path, rf, log)
	if err != nil {
		return err
	}
	defer sess.close()
	runErr := importer.CheckAll(ctx, sess.reader, sess.out.set)
	code := exitOK
	switch {
	case runErr != nil:
		code = exitCode(runErr, io.Discard)
	case sess.out.summary().Counts[importer.StatusInvalid] > 0:
		code = exitRows
	}
	return sess.finish(env, log, time.Since(start), code, runErr)
}

func displayName(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}

type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

func openInput(env *environment, path string) (io.ReadCloser, error) {
	if path == "-" {
		return nopCloser{env.stdin}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &importer.SetupError{Err: err}
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, &importer.SetupError{Err: fmt.Errorf("%s is a directory, not a file", path)}
	}
	return f, nil
}

// defaultOutput names a report beside its input: list.csv → list.report.csv.
func defaultOutput(input, suffix string) string {
	if input == "-" {
		return "stdin" + suffix
	}
	return strings.TrimSuffix(input, filepath.Ext(input)) + suffix
}
