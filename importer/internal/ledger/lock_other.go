//go:build !unix

package ledger

// Lock is a no-op where flock is not available.
type Lock struct{}

// TryLock always succeeds here: run locks need a unix system.
func TryLock(string, string) (*Lock, error) { return &Lock{}, nil }

// Unlock does nothing.
func (*Lock) Unlock() error { return nil }
