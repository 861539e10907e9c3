package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// errCut is what writing meets once the outputs were cut short.
var errCut = errors.New("the outputs were cut short")

// outputs are the files a run writes as it goes (the report and the
// failures file, or an export). Each is written to a new file beside its
// final name and renamed into place only when complete (a symbolic link
// there is replaced, its target untouched); a run cut short leaves them
// under names that say so.
type outputs struct {
	mu    sync.Mutex
	files []*output
	// flush writes out what the writers on top of the files buffer.
	flush func() error
	cut   bool
	// kept names the previous copies finish kept (NAME.prev, as shown).
	kept []string
}

// output is one file being written, or standard output.
type output struct {
	flag, path, shown string
	pending           pendingFile // nil for standard output
	w                 io.Writer
	// keep says the file it replaces is proof (a report, a failures
	// file): kept as NAME.prev, one generation.
	keep bool
}

// createOutput starts the file that will become path ("-": stdout; "":
// none, for a Go program that did not ask for it).
func createOutput(flag, path, shown string, stdout io.Writer) (*output, error) {
	switch path {
	case "-":
		return &output{flag: flag, path: path, shown: shown, w: stdout}, nil
	case "":
		return &output{flag: flag, w: io.Discard}, nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, Usagef("%s %s is a folder, not a file", flag, shown)
	}
	pf, err := newPending(path, 0o666)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, shown, err)
	}
	keep := flag == "--report" || flag == "--failures"
	return &output{flag: flag, path: path, shown: shown, pending: pf, w: pf, keep: keep}, nil
}

// do runs write with the outputs held, unless they were cut short.
func (o *outputs) do(write func() error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cut {
		return errCut
	}
	return write()
}

// finish flushes the files and renames them into place.
func (o *outputs) finish() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.flush(); err != nil {
		return err
	}
	for _, f := range o.files {
		if f.pending == nil {
			continue
		}
		if f.keep {
			kept, err := keepPrevious(f.path)
			if err != nil {
				return fmt.Errorf("%s %s: keeping the file it replaces: %w", f.flag, f.shown, err)
			}
			if kept {
				o.kept = append(o.kept, prevName(f.shown))
			}
		}
		if err := f.pending.CloseAtomicallyReplace(); err != nil {
			return fmt.Errorf("%s %s: %w", f.flag, f.shown, err)
		}
		f.pending = nil
	}
	return nil
}

// keepPrevious keeps the file at path, about to be replaced, as
// NAME.prev (replacing an older one): a hard link, so that path is never
// missing, or where links are not to be had, a rename. A path that holds
// no regular file (none, a symbolic link) keeps nothing.
func keepPrevious(path string) (bool, error) {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false, nil
	}
	prev := prevName(path)
	if err := os.Remove(prev); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if os.Link(path, prev) == nil {
		return true, nil
	}
	return true, os.Rename(path, prev)
}

func prevName(path string) string { return path + ".prev" }

// abandon ends outputs that cannot be completed: what they hold is
// flushed and renamed to a .partial name, never the final one. It returns
// the partial names, and is safe to call while rows are being recorded.
func (o *outputs) abandon() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cut = true
	_ = o.flush()
	var names []string
	for _, f := range o.files {
		if f.pending == nil {
			continue
		}
		name := partialName(f.path)
		_ = f.pending.Sync()
		if err := f.pending.CloseFile(); err == nil && os.Rename(f.pending.Name(), name) == nil {
			names = append(names, partialName(f.shown))
		} else {
			_ = f.pending.Cleanup()
		}
		f.pending = nil
	}
	return names
}

// discard removes files not yet renamed into place: a run that stopped
// before it read any row leaves nothing behind.
func (o *outputs) discard() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, f := range o.files {
		if f.pending != nil {
			_ = f.pending.Cleanup()
			f.pending = nil
		}
	}
}

// writeAtomically writes a whole small file (summary, metrics, run page,
// the learnt rate) through a new file and a rename, or to standard output
// for "-". perm is the new file's (0o666 when none is given), before the
// umask.
func writeAtomically(path string, stdout io.Writer, write func(io.Writer) error, perm ...os.FileMode) error {
	if path == "-" {
		return write(stdout)
	}
	pf, err := newPending(path, append(perm, 0o666)[0])
	if err != nil {
		return err
	}
	defer pf.Cleanup()
	if err := write(pf); err != nil {
		return err
	}
	return pf.CloseAtomicallyReplace()
}

// errStdoutClosed is how a run ends whose standard output was closed
// while it wrote there (the program reading the pipe went away, as after
// `| head -1`): interrupted, as by a signal.
var errStdoutClosed = fmt.Errorf("standard output was closed (the program reading it went away): %w", context.Canceled)

// stdoutPipe is standard output as a run writes it. Once its reader is
// gone (EPIPE), the run is stopped as by a first signal, and what it
// still writes there is dropped, so that the rest of the run — the rows
// not sent recorded in the failures file, the summary — still happens.
type stdoutPipe struct {
	w      io.Writer
	mu     sync.Mutex
	closed bool
	stop   func(error)
}

func (p *stdoutPipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return len(b), nil
	}
	n, err := p.w.Write(b)
	if !errors.Is(err, syscall.EPIPE) {
		return n, err
	}
	p.closed = true
	if p.stop != nil {
		p.stop(errStdoutClosed)
	}
	return len(b), nil
}

// stopOnClose makes a closed standard output stop the run through stop.
func (p *stdoutPipe) stopOnClose(stop func(error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stop = stop
}

// wasClosed says whether the reader went away.
func (p *stdoutPipe) wasClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}
