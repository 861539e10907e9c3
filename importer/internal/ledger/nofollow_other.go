//go:build !unix

package ledger

import "os"

// openFile refuses a symbolic link at path, then opens it. (Without
// O_NOFOLLOW a link made between the check and the open is not caught.)
func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		return nil, &SymlinkError{Path: path}
	}
	return os.OpenFile(path, flag, perm)
}
