//go:build unix

package importer

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
)

type renamePending struct{ *renameio.PendingFile }

func (p renamePending) CloseFile() error { return p.File.Close() }

// newPending starts the file that becomes path when complete: a
// temporary file beside it (renameio names it "." + its name + digits),
// held by this process so that a later run removes it only if this one
// died first.
func newPending(path string, perm fs.FileMode) (pendingFile, error) {
	pf, err := ledger.CreateHeld(func() (*renameio.PendingFile, error) {
		return renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithPermissions(perm))
	}, func(pf *renameio.PendingFile) *os.File { return pf.File }, func(pf *renameio.PendingFile) { _ = pf.Cleanup() })
	if err != nil {
		return nil, err
	}
	return renamePending{pf}, nil
}
