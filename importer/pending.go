package importer

import "io"

// pendingFile is an output being written under a temporary name beside
// its destination, renamed into place only once complete. On Unix it is
// github.com/google/renameio's (fsynced, a symbolic link at the
// destination replaced, never written through); elsewhere (Windows) a
// temporary file and os.Rename, which replaces the destination there too.
type pendingFile interface {
	io.Writer
	Sync() error
	// Name is the temporary name.
	Name() string
	// CloseFile closes the file and leaves it under its temporary name.
	CloseFile() error
	// Cleanup closes and removes it.
	Cleanup() error
	// CloseAtomicallyReplace syncs, closes and renames it into place.
	CloseAtomicallyReplace() error
}
