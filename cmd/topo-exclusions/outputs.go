package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/report"
)

// outputs are the files a run writes, open for the length of it.
type outputs struct {
	set                  *report.Set
	reportPath, failPath string
	summaryPath          string
	reportFile, failFile io.WriteCloser
}

func (o *outputs) summary() *report.Summary { return o.set.Summary }

// planOutputs decides where a run writes, refusing to write over the input
// or to send both files to one place. It creates nothing.
func planOutputs(input string, rf *readFlags) (*outputs, error) {
	o := &outputs{
		reportPath:  orDefault(rf.report, defaultOutput(input, ".report.csv")),
		failPath:    orDefault(rf.failures, defaultOutput(input, ".failures.csv")),
		summaryPath: rf.summary,
	}
	if o.reportPath == o.failPath && o.reportPath != "-" {
		return nil, usagef("--report and --failures both name %s", o.reportPath)
	}
	for _, p := range []string{o.reportPath, o.failPath, o.summaryPath} {
		if sameFile(p, input) {
			return nil, usagef("%s is the input: refusing to write over it", p)
		}
	}
	return o, nil
}

// open creates the report and the failures file.
func (o *outputs) open(env *environment, sum *report.Summary, kind importer.Kind) error {
	var err error
	if o.reportFile, err = createFile(env, o.reportPath); err != nil {
		return err
	}
	if o.failFile, err = createFile(env, o.failPath); err != nil {
		o.close()
		return err
	}
	rw, err := report.NewWriter(o.reportFile, kind)
	if err != nil {
		o.close()
		return err
	}
	fw, err := report.NewFailures(o.failFile, kind)
	if err != nil {
		o.close()
		return err
	}
	sum.Report, sum.Failures = displayName(o.reportPath), displayName(o.failPath)
	o.set = &report.Set{Report: rw, Failures: fw, Summary: sum}
	return nil
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func sameFile(a, b string) bool {
	if a == "" || b == "" || a == "-" || b == "-" {
		return false
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func createFile(env *environment, path string) (io.WriteCloser, error) {
	if path == "-" {
		return nopWriteCloser{env.stdout}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, &importer.SetupError{Err: err}
	}
	return f, nil
}

// finish flushes and closes both files, then prints and writes the summary.
func (o *outputs) finish(env *environment, log *slog.Logger, elapsed time.Duration, code int) error {
	err := o.set.Flush()
	if cerr := o.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	s := o.summary()
	s.Finish(elapsed, code)
	if isJSONHandler(log) {
		log.Info("summary", "summary", s)
	} else if err := s.WriteText(env.stderr); err != nil {
		return err
	}
	if o.summaryPath == "" {
		return nil
	}
	f, err := createFile(env, o.summaryPath)
	if err != nil {
		return err
	}
	if err := s.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("writing the summary: %w", err)
	}
	return f.Close()
}

func (o *outputs) close() error {
	var errs []error
	if o.reportFile != nil {
		errs = append(errs, o.reportFile.Close())
		o.reportFile = nil
	}
	if o.failFile != nil {
		errs = append(errs, o.failFile.Close())
		o.failFile = nil
	}
	return errors.Join(errs...)
}

func isJSONHandler(log *slog.Logger) bool {
	_, ok := log.Handler().(*slog.JSONHandler)
	return ok
}
