package ledger

import (
	"os"
	"path/filepath"
	"strings"
)

// A run writes many files through a temporary one beside them (the
// outputs, a stream's spool, the rows kept for outreach, registry
// entries, a state's upgrade, the learnt rate) and renames or removes it
// when done; a run killed meanwhile leaves it behind, sometimes large.
// Each such file is held (HoldTemp) by the process writing it, so that a
// later run can tell a live run's file from a dead one's, and remove
// only those (RemoveStale).

// RemoveStale removes the files in dir named prefix, then digits, then
// suffix (as os.CreateTemp and renameio name them), that no live process
// holds. It returns the paths removed.
func RemoveStale(dir, prefix, suffix string) []string {
	names, _ := filepath.Glob(filepath.Join(globEscape(dir), globEscape(prefix)+"*"+globEscape(suffix)))
	var removed []string
	for _, name := range names {
		middle := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), prefix), suffix)
		if middle == "" || strings.Trim(middle, "0123456789") != "" {
			continue
		}
		if removeUnheld(name) {
			removed = append(removed, name)
		}
	}
	return removed
}

// globEscape makes s match itself in filepath.Glob.
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// stillNamed says whether f's path still names f.
func stillNamed(f *os.File) bool {
	st, err := f.Stat()
	if err != nil {
		return false
	}
	at, err := os.Lstat(f.Name())
	return err == nil && os.SameFile(st, at)
}
