//go:build unix

package ledger

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Lock is an exclusive OS lock (flock) on a file beside what it guards.
// The kernel releases it when the holder dies, so a lock left by a killed
// run is taken over safely; the pid written inside is only for messages.
type Lock struct{ f *os.File }

// TryLock takes the lock at path at once, or returns a *LockedError
// (what says what the lock guards, for its message).
func TryLock(path, what string) (*Lock, error) {
	f, err := openFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
			return nil, &LockedError{Path: path, PID: pid, What: what}
		}
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The file stays: removing it would race with a
// run that just opened it.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
