package ledger

import (
	"errors"
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

// errTaken says that another run's RemoveStale took a temporary file in
// the instant between its making and its holding: the file is not this
// run's any more.
var errTaken = errors.New("another run, starting, removed it as left over")

// CreateHeld makes a temporary file with create and holds it (HoldTemp).
// A run starting beside this one may find the file in the instant before
// it is held and remove it as a dead run's; then another is made, so that
// no run fails for having started next to another. Each starting run
// looks once, so a few tries would do; on a busy machine a maker
// descheduled in that instant was seen to lose it twenty times running
// to a remover that never stops, hence a hundred.
func CreateHeld[T any](create func() (T, error), file func(T) *os.File, discard func(T)) (T, error) {
	for tries := 1; ; tries++ {
		f, err := create()
		if err != nil {
			return f, err
		}
		if err = HoldTemp(file(f)); err == nil {
			return f, nil
		}
		discard(f)
		if !errors.Is(err, errTaken) || tries == 100 {
			var none T
			return none, err
		}
	}
}

// CreateTemp is os.CreateTemp for a file held by this process
// (CreateHeld).
func CreateTemp(dir, pattern string) (*os.File, error) {
	return CreateHeld(func() (*os.File, error) { return os.CreateTemp(dir, pattern) },
		func(f *os.File) *os.File { return f },
		func(f *os.File) {
			f.Close()
			os.Remove(f.Name())
		})
}

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
