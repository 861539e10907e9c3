//go:build !unix

package importer

import "fmt"

// LockedError says another live run holds a lock.
type LockedError struct {
	Path string
	PID  int
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another run (pid %d) holds %s", e.PID, e.Path)
}

// Lock is a no-op where flock is not available.
type Lock struct{}

// TryLock always succeeds here: run locks need a unix system.
func TryLock(string) (*Lock, error) { return &Lock{}, nil }

// Unlock does nothing.
func (*Lock) Unlock() error { return nil }
