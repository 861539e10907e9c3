package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/input"
	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
)

// checkEvery is how many rows are read between two looks at whether the
// input is still the file the run opened (two stat calls).
const checkEvery = 1000

// fifoPatience is how long opening a named pipe may wait for a writer
// before the run says what it is waiting for.
const fifoPatience = 2 * time.Second

// source is the input as a run reads it, opened once. A regular file is
// read where it is: its fingerprint and the count of its rows are read
// from the same open file, and the rows through a hash of what is read.
// A stream (standard input, a pipe, a FIFO, /dev/fd/N) is, for a command
// that writes to Topo, first copied beside the journal and read from the
// copy, like standard input; for a dry run, read as it comes.
type source struct {
	shown  string        // the input as the operator named it
	path   string        // the file read: the input, or its spool ("": a stream as it comes)
	f      *os.File      // the one open of path
	stream *input.Hashed // what the CSV reader reads, hashed as it goes
	closer io.Closer     // a stream read as it comes, when it is a file of ours
	spool  *ledger.Spool
	book   bool // a workbook: the zip reader reads f itself

	mu      sync.Mutex
	start   os.FileInfo // path's file when opened (nil: a stream)
	sum     string      // the hash of path's bytes, once taken
	rows    int         // rows read since the last look
	changed error
}

// openSource opens the input. keep copies a stream beside the journal.
func (s *session) openSource(ctx context.Context, keep bool) (*source, error) {
	src := &source{shown: displayInput(s.opts.Input)}
	stream := s.env.Stdin
	if s.paths.input != "-" {
		st, err := os.Stat(s.paths.input)
		switch {
		case err != nil:
			return nil, &input.SetupError{Err: err}
		case st.IsDir():
			return nil, &input.SetupError{Err: fmt.Errorf("%s is a folder, not a file", s.opts.Input)}
		}
		src.book = input.IsWorkbook(s.paths.input)
		if st.Mode().IsRegular() {
			return src, src.open(s.paths.input)
		}
		f, err := openStream(ctx, s.paths.input, s.opts.Input, s.log)
		if err != nil {
			return nil, err
		}
		stream, src.closer = f, f
	}
	if keep {
		sp, err := ledger.SpoolStream(s.paths.journal, stream)
		if src.closer != nil {
			src.closer.Close()
			src.closer = nil
		}
		if err != nil {
			return nil, fmt.Errorf("keeping %s beside the journal: %w", src.shown, err)
		}
		src.spool, src.sum = sp, sp.Sum()
		return src, src.open(sp.Path)
	}
	if src.book {
		src.close()
		return nil, Usagef("%s is a stream, not a file: a workbook is read from a file (its index is at its end); save it to a file first, or export a CSV", s.opts.Input)
	}
	src.stream = input.NewHashed(stream)
	return src, nil
}

// open opens the file at path, once.
func (src *source) open(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &input.SetupError{Err: err}
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is no longer a regular file", path)
	}
	if err != nil {
		f.Close()
		return &input.SetupError{Err: err}
	}
	src.path, src.f, src.start = path, f, st
	if !src.book {
		src.stream = input.NewHashed(f)
	}
	return nil
}

// openStream opens a path that is not a regular file. Opening a FIFO
// waits for a writer: after fifoPatience the run says so, and a stop
// ends the wait.
func openStream(ctx context.Context, path, shown string, log *slog.Logger) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		done <- opened{f, err}
	}()
	patience := time.NewTimer(fifoPatience)
	defer patience.Stop()
	for {
		select {
		case o := <-done:
			if o.err != nil {
				return nil, &input.SetupError{Err: o.err}
			}
			return o.f, nil
		case <-patience.C:
			log.Warn(fmt.Sprintf("waiting for a writer: %s is a named pipe nothing has opened for writing yet (interrupt to stop)", shown))
		case <-ctx.Done():
			// Opening it for writing lets the waiting open return (on an
			// empty stream), so that nothing is left blocked behind.
			if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			select {
			case o := <-done:
				if o.f != nil {
					o.f.Close()
				}
			case <-time.After(time.Second):
			}
			return nil, context.Cause(ctx)
		}
	}
}

// fingerprint is the hash of the bytes of the file the run reads (a
// stream's: of the bytes read from it into the spool), read from the one
// open of it unless counting its rows read them already.
func (src *source) fingerprint() (string, error) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.sum != "" {
		return src.sum, nil
	}
	if src.f == nil {
		return "", fmt.Errorf("%s is read as it comes: it has no fingerprint", src.shown)
	}
	h := input.NewHashed(io.NewSectionReader(src.f, 0, src.start.Size()))
	if _, err := io.Copy(io.Discard, h); err != nil {
		return "", fmt.Errorf("reading %s: %w", src.shown, err)
	}
	src.sum = h.Sum()
	return src.sum, nil
}

// count counts the CSV's data rows from the one open of it (-1: a stream
// read as it comes, or a workbook), and takes its fingerprint on the way.
func (src *source) count(opt input.Options) int {
	if src.f == nil || src.book {
		return -1
	}
	h := input.NewHashed(io.NewSectionReader(src.f, 0, src.start.Size()))
	n, err := input.CountRows(h, opt)
	src.mu.Lock()
	if src.sum == "" {
		if _, cerr := io.Copy(io.Discard, h); cerr == nil && h.Len() == src.start.Size() {
			src.sum = h.Sum()
		}
	}
	src.mu.Unlock()
	if err != nil {
		return -1
	}
	return n
}

// read notes a row read, and every checkEvery rows looks whether the
// input changed.
func (src *source) read() error {
	src.mu.Lock()
	src.rows++
	due := src.rows%checkEvery == 0
	src.mu.Unlock()
	if !due {
		return nil
	}
	return src.check(false)
}

// check says whether the input is still what the run opened: the same
// file at its path, of the same size, not written to since; at the end of
// reading (end), the bytes read hash to its fingerprint. Once changed,
// always changed.
func (src *source) check(end bool) error {
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.start == nil || src.changed != nil {
		return src.changed
	}
	if what := src.differs(end); what != "" {
		src.changed = &InputChangedError{Input: src.shown, What: what}
	}
	return src.changed
}

// differs says how the input differs from what was opened ("": it does
// not); src.mu is held.
func (src *source) differs(end bool) string {
	st, err := os.Stat(src.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "it was removed from its place"
	case err != nil:
		return fmt.Sprintf("it can no longer be looked at (%v)", err)
	case !os.SameFile(st, src.start):
		return "another file was put in its place"
	case st.Size() != src.start.Size():
		return fmt.Sprintf("its size went from %d to %d bytes", src.start.Size(), st.Size())
	case !st.ModTime().Equal(src.start.ModTime()):
		return fmt.Sprintf("it was written to at %s", st.ModTime().Format(time.RFC3339))
	case !end || src.sum == "":
		return ""
	case src.stream != nil && src.stream.AtEOF() && src.stream.Sum() != src.sum:
		return "the bytes read are not those it held when it was opened"
	case src.book && src.f != nil:
		h := input.NewHashed(io.NewSectionReader(src.f, 0, src.start.Size()))
		if _, err := io.Copy(io.Discard, h); err != nil || h.Sum() != src.sum {
			return "the workbook's bytes are not those it held when it was opened"
		}
	}
	return ""
}

// discard ends a source whose run sent nothing: a spool made for it is
// removed (nothing to resume).
func (src *source) discard() {
	src.close()
	src.mu.Lock()
	src.start = nil // nothing more to look at
	src.mu.Unlock()
	if src.spool != nil {
		os.Remove(src.spool.Path)
	}
}

func (src *source) close() {
	if src.f != nil {
		src.f.Close()
	}
	if src.closer != nil {
		src.closer.Close()
	}
}

// incomplete is how the run ended (err), with what makes it incomplete
// although nothing stopped it: an input that changed under it (looked at
// once more), a standard output whose reader went away. It is called
// before the outputs are completed, and before the journal is.
func (s *session) incomplete(err error) error {
	var changed *InputChangedError
	if s.stdout.wasClosed() && !errors.Is(err, context.Canceled) {
		err = joinErr(err, errStdoutClosed)
	}
	if s.list == nil || s.list.src == nil || errors.As(err, &changed) {
		return err
	}
	return joinErr(err, s.list.src.check(false))
}

// joinErr is errors.Join that keeps a lone error as it is.
func joinErr(a, b error) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return errors.Join(a, b)
}

// InputChangedError is an input that changed while the run read it (a
// file written to, truncated, or renamed over): what the run read is no
// longer what the file holds, so the run cannot be complete.
type InputChangedError struct {
	// Input is the input as the operator named it; What, how it changed.
	Input, What string
}

func (e *InputChangedError) Error() string {
	return fmt.Sprintf("%s changed while the run read it (%s): the run stops incomplete, and what it sent is in the journal; run the same command again once nothing writes to it: the same bytes resume, other bytes are looked up row by row before anything is sent", e.Input, e.What)
}
