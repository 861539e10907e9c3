package input

import "fmt"

// SetupError is a problem with the input file or the reading options that
// stops a run before any row is judged: an unreadable file, an unusable
// header, a bad option. Nothing has been sent when it happens.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// Usage marks it a setup error: nothing was read or sent.
func (e *SetupError) Usage() bool { return true }

func setupErrorf(format string, a ...any) error {
	return &SetupError{Err: fmt.Errorf(format, a...)}
}
