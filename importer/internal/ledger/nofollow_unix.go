//go:build unix

package ledger

import (
	"errors"
	"os"
	"syscall"
)

// openFile opens path without following a symbolic link at its end: a
// link planted where the journal, the state or a lock goes (by another
// user of a shared folder, say) would otherwise have its target
// truncated or overwritten.
func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW, perm)
	if errors.Is(err, syscall.ELOOP) {
		return nil, &SymlinkError{Path: path}
	}
	return f, err
}
