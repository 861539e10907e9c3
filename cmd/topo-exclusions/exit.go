package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/topo-io/topo-exclusions/importer"
)

// Exit codes, the one table of them. README.md and --help describe them.
const (
	exitOK          = 0   // every row valid (or sent and accepted)
	exitRows        = 1   // some rows invalid or failed
	exitUsage       = 2   // bad flag, unreadable file, unusable header
	exitAborted     = 3   // the run was stopped: auth refused, too many failures
	exitInterrupted = 130 // SIGINT or SIGTERM
)

// usageError is a problem with the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// exitCode maps an error that ended a command to its exit code, and says
// it on stderr in one line.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "topo-exclusions: %v\n", err)
	var usage *usageError
	var setup *importer.SetupError
	switch {
	case errors.As(err, &usage), errors.As(err, &setup):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitUsage
}
