package importer

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes: the one table of them. README.md and --help describe them.
const (
	// ExitOK: every row settled as asked (or nothing was left to do).
	ExitOK = 0
	// ExitRows: some rows need action (invalid, failed, unknown,
	// exists_shorter, not_attempted): the failures file holds them.
	ExitRows = 1
	// ExitUsage: a bad flag, file or setup; nothing was sent.
	ExitUsage = 2
	// ExitAborted: the key was refused, Topo could not be reached, or
	// --max-failures was reached; rerun the same command to resume.
	ExitAborted = 3
	// ExitStopped: the run stopped after requests had gone out (the
	// journal or a report could not be written, the disk is full); rerun
	// the same command to resume.
	ExitStopped = 4
	// ExitInterrupted: SIGINT, SIGTERM or SIGHUP; rerun the same command
	// to resume.
	ExitInterrupted = 130
)

// Errors say what they are by behaviour, so that the exit code is decided
// once, here, without a list of types:
//
//   - Usage() true: the command line, a file or the setup is wrong, and
//     nothing was sent (exit 2);
//   - Abort() true: the run stops, but every row is still read and
//     recorded (a refused key, Topo unreachable, --max-failures): exit 3.
//
// Any other error before a write is exit 2 (nothing was sent), after one
// exit 4 (the run stopped mid-way; rerun to resume).
type (
	usageError interface{ Usage() bool }
	abortError interface{ Abort() bool }
)

// isUsage says err is a usage or setup error.
func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u) && u.Usage()
}

// aborts says err stops the run with every row still recorded.
func aborts(err error) bool {
	var a abortError
	return errors.As(err, &a) && a.Abort()
}

// recorded says whether a run that ended with err still recorded every
// row it read: a stop (a signal, an abort) does; a failure to write the
// report or the journal, or to read Topo's list for an export, does not.
func recorded(err error) bool {
	return err == nil || errors.Is(err, context.Canceled) || aborts(err)
}

// exitCode maps how a run ended to its exit code. wrote says whether any
// write (create, update, delete, stop) went out; needAction whether any
// row needs action.
func exitCode(err error, wrote, needAction bool) int {
	switch {
	case err == nil && needAction:
		return ExitRows
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case aborts(err):
		return ExitAborted
	case isUsage(err):
		return ExitUsage
	case wrote:
		return ExitStopped
	}
	return ExitUsage // before the first write: nothing was sent
}

// statusWord is the summary's word for how a run with this code ended.
func statusWord(code int, partial bool) string {
	switch {
	case partial:
		return "partial"
	case code == ExitOK || code == ExitRows:
		return "completed"
	case code == ExitUsage:
		return "failed"
	case code == ExitInterrupted:
		return "interrupted"
	}
	return "stopped"
}

// UsageError is a problem with the options or the setup, found before
// anything was read or sent.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usage marks it a usage error (exit 2).
func (e *UsageError) Usage() bool { return true }

// Usagef makes a UsageError.
func Usagef(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...)}
}
