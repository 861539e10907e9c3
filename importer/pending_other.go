//go:build !unix

package importer

import (
	"io/fs"
	"os"
	"path/filepath"
)

// tempPending is a pendingFile where renameio is not to be had: a
// temporary file beside the destination, renamed over it (os.Rename
// replaces an existing file on Windows).
type tempPending struct {
	*os.File
	path string
}

// newPending starts the file that becomes path when complete.
func newPending(path string, perm fs.FileMode) (pendingFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	_ = f.Chmod(perm)
	return &tempPending{File: f, path: path}, nil
}

func (p *tempPending) CloseFile() error { return p.File.Close() }

func (p *tempPending) Cleanup() error {
	_ = p.File.Close()
	return os.Remove(p.File.Name())
}

func (p *tempPending) CloseAtomicallyReplace() error {
	if err := p.File.Sync(); err != nil {
		_ = p.Cleanup()
		return err
	}
	if err := p.File.Close(); err != nil {
		_ = os.Remove(p.File.Name())
		return err
	}
	return os.Rename(p.File.Name(), p.path)
}
