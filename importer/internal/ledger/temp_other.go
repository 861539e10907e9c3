//go:build !unix

package ledger

import "os"

// HoldTemp does nothing where flock is not available.
func HoldTemp(*os.File) error { return nil }

// removeUnheld cannot tell a live run's file from a dead one's here: it
// leaves every file alone.
func removeUnheld(string) bool { return false }
