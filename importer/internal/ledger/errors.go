package ledger

import "fmt"

// SymlinkError is a journal, state or lock path that is a symbolic link:
// it is never followed.
type SymlinkError struct{ Path string }

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("%s is a symbolic link: refusing to follow it (its target would be overwritten); remove it or choose another path", e.Path)
}

// Usage marks it a setup error: nothing was sent.
func (e *SymlinkError) Usage() bool { return true }

// LockedError says another live run holds a lock.
type LockedError struct {
	Path string
	PID  int
	// What says what the lock guards.
	What string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another run (pid %d) %s (it holds the lock %s); let it finish", e.PID, e.What, e.Path)
}

// Usage marks it a setup error: nothing was sent.
func (e *LockedError) Usage() bool { return true }

// CompletedError ends a run whose input was already imported (or
// removed) to the end against the same Topo: nothing is sent.
type CompletedError struct {
	Completion
	Journal string
}

func (e *CompletedError) Error() string {
	msg := fmt.Sprintf("this input was already run to the end against this Topo on %s (journal %s); its report is %s. Nothing sent.",
		e.When, e.Journal, e.Report)
	switch {
	case e.NeedAction == 1 && e.Failures != "":
		msg += fmt.Sprintf(" 1 row still needs action: run %s.", e.Failures)
	case e.NeedAction > 1 && e.Failures != "":
		msg += fmt.Sprintf(" %d rows still need action: run %s.", e.NeedAction, e.Failures)
	}
	return msg + " Use --force to run it again (every row is then looked up before anything is sent)."
}

// ElsewhereError is an interrupted run of the same input against the same
// Topo, journaled at another path: resuming it there is the only way not
// to send its rows twice.
type ElsewhereError struct{ Journal string }

func (e *ElsewhereError) Error() string {
	return fmt.Sprintf("an interrupted run of this same input against this Topo is journaled at %s: rerun that command (or pass --journal %s) to resume it; --force starts afresh, looking every row up before sending", e.Journal, e.Journal)
}

// Usage marks it a setup error: nothing was sent.
func (e *ElsewhereError) Usage() bool { return true }

// UnreadableJournalError is a journal that cannot be read: not one, or a
// file the run may not read.
type UnreadableJournalError struct {
	Path string
	Err  error
}

func (e *UnreadableJournalError) Error() string { return e.Err.Error() }
func (e *UnreadableJournalError) Unwrap() error { return e.Err }

// Usage marks it a setup error: nothing was sent.
func (e *UnreadableJournalError) Usage() bool { return true }
