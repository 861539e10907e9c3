package job

import (
	"context"
	"errors"
	"fmt"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/importer/input"
	"github.com/topo-io/topo-exclusions/importer/ledger"
	"github.com/topo-io/topo-exclusions/importer/topo"
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
	// ExitInterrupted: SIGINT or SIGTERM; rerun the same command to resume.
	ExitInterrupted = 130
)

// UsageError is a problem with the command line or the setup, found
// before anything was read or sent.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a UsageError.
func Usagef(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...)}
}

// code maps how a run ended to its exit code. wrote says whether any
// write (create, update, delete) went out; needAction whether any row
// needs action.
func code(err error, wrote, needAction bool) int {
	var (
		usage   *UsageError
		clash   *ClashError
		setup   *input.SetupError
		base    *topo.BaseURLError
		redir   *topo.RedirectError
		notAPI  *topo.NotAPIError
		locked  *ledger.LockedError
		elsewh  *ledger.ElsewhereError
		symlink *ledger.SymlinkError
		auth    *topo.AuthError
		limit   *importer.FailureLimitError
		unavail *topo.UnavailableError
	)
	switch {
	case err == nil && needAction:
		return ExitRows
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &auth), errors.As(err, &limit), errors.As(err, &unavail):
		return ExitAborted
	case wrote:
		return ExitStopped
	case errors.As(err, &usage), errors.As(err, &clash), errors.As(err, &setup), errors.As(err, &base), errors.As(err, &redir),
		errors.As(err, &notAPI), errors.As(err, &locked), errors.As(err, &elsewh), errors.As(err, &symlink):
		return ExitUsage
	}
	// Anything else before a write (an unreadable file, a full disk
	// before the first request): nothing was sent.
	return ExitUsage
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
