//go:build unix

package ledger

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// HoldTemp marks the temporary file f as this process's until it is
// closed (a shared flock the kernel drops when the process dies), and
// checks that no other run's RemoveStale took it in the instant before.
func HoldTemp(f *os.File) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		// Only a RemoveStale locks a file this process just made.
		return fmt.Errorf("holding %s: %w", f.Name(), errTaken)
	} else if err != nil {
		return fmt.Errorf("holding %s: %w", f.Name(), err)
	}
	if !stillNamed(f) {
		return fmt.Errorf("holding %s: %w", f.Name(), errTaken)
	}
	return nil
}

// removeUnheld removes the file at name when no process holds it.
func removeUnheld(name string) bool {
	f, err := openFile(name, os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false // a live run's, or a file that cannot be locked: left alone
	}
	if !stillNamed(f) {
		return false
	}
	return os.Remove(name) == nil
}
