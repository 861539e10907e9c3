//go:build unix

package importer

import (
	"io/fs"
	"path/filepath"

	"github.com/google/renameio/v2"
)

type renamePending struct{ *renameio.PendingFile }

func (p renamePending) CloseFile() error { return p.File.Close() }

// newPending starts the file that becomes path when complete.
func newPending(path string, perm fs.FileMode) (pendingFile, error) {
	pf, err := renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithPermissions(perm))
	if err != nil {
		return nil, err
	}
	return renamePending{pf}, nil
}

// writeFileAtomically writes a whole small file through a new file and a
// rename.
func writeFileAtomically(path string, data []byte, perm fs.FileMode) error {
	return renameio.WriteFile(path, data, perm)
}
