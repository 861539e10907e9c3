package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/report"
)

// session is one list being read, with its reports open.
type session struct {
	in     io.ReadCloser
	reader *importer.Reader
	out    *outputs
}

// openSession checks the output paths, opens the input, reads its header
// and only then creates the reports, so a setup error leaves nothing behind.
func openSession(env *environment, command, path string, rf *readFlags, log *slog.Logger) (*session, error) {
	opt, err := rf.options()
	if err != nil {
		return nil, err
	}
	out, err := planOutputs(path, rf)
	if err != nil {
		return nil, err
	}
	in, rd, err := openReader(env, path, rf, opt)
	if err != nil {
		return nil, err
	}
	if err := out.open(env, report.NewSummary(command, displayName(path)), rd.Info().Kind); err != nil {
		rd.Close()
		in.Close()
		return nil, err
	}
	info := rd.Info()
	s := out.summary()
	s.Encoding, s.Delimiter, s.Sheet, s.Kind = string(info.Encoding), report.DelimiterName(info.Delimiter), info.Sheet, info.Kind.String()
	if len(info.Ignored) > 0 {
		warn(log, s, fmt.Sprintf("ignoring columns %s", strings.Join(info.Ignored, ", ")))
	}
	return &session{in: in, reader: rd, out: out}, nil
}

// finish flushes the reports, prints the summary and ends the command
// with code; runErr, if any, is said once on the way.
func (s *session) finish(env *environment, log *slog.Logger, elapsed time.Duration, code int, runErr error) error {
	if n := s.reader.FallbackBytes(); n > 0 {
		warn(log, s.out.summary(), fmt.Sprintf("%d bytes were not UTF-8 and were read as Windows-1252", n))
	}
	if runErr != nil {
		s.out.summary().Stopped = runErr.Error()
	}
	if err := s.out.finish(env, log, elapsed, code); err != nil {
		return err
	}
	return exitError(code)
}

func (s *session) close() {
	s.out.close()
	s.reader.Close()
	s.in.Close()
}

// openReader opens a workbook by its path, or any other input as text.
func openReader(env *environment, path string, rf *readFlags, opt importer.Options) (io.ReadCloser, *importer.Reader, error) {
	if path != "-" && importer.IsWorkbook(path) {
		rd, err := importer.OpenWorkbook(path, rf.sheet, opt)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return nopCloser{strings.NewReader("")}, rd, nil
	}
	if rf.sheet != "" {
		return nil, nil, usagef("--sheet is for .xlsx and .xlsm workbooks")
	}
	in, err := openInput(env, path)
	if err != nil {
		return nil, nil, err
	}
	rd, err := importer.NewReader(in, opt)
	if err != nil {
		in.Close()
		return nil, nil, fmt.Errorf("%s: %w", displayName(path), err)
	}
	return in, rd, nil
}

func warn(log *slog.Logger, s *report.Summary, msg string) {
	log.Warn(msg)
	s.Warnings = append(s.Warnings, msg)
}
