//go:build unix

package ledger

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRemoveStaleTakesOnlyTheDeads: a temporary file its process still
// holds stays; one nobody holds goes; a file of another name, or with
// more than digits where the random part goes, stays.
func TestRemoveStaleTakesOnlyTheDeads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	held, err := os.CreateTemp(dir, ".list.report.csv*")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := HoldTemp(held); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(dir, ".list.report.csv123456")
	others := []string{filepath.Join(dir, ".list.report.csv.bak"), filepath.Join(dir, ".list.report.csv12a"), filepath.Join(dir, "list.report.csv")}
	for _, name := range append([]string{dead}, others...) {
		os.WriteFile(name, []byte("x"), 0o644)
	}
	removed := RemoveStale(dir, ".list.report.csv", "")
	if !slices.Equal(removed, []string{dead}) {
		t.Errorf("removed %v, want only %s", removed, dead)
	}
	for _, name := range append([]string{held.Name()}, others...) {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s was removed", name)
		}
	}
	held.Close() // its process is done with it (or died)
	if removed := RemoveStale(dir, ".list.report.csv", ""); !slices.Equal(removed, []string{held.Name()}) {
		t.Errorf("once released: removed %v", removed)
	}
}

// TestTheRegistryFallsBackWhereItCanBeKept: a registry folder that cannot
// be made is passed over for the next, and said; none at all stops the
// run rather than run without.
func TestTheRegistryFallsBackWhereItCanBeKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o644)
	opt := Options{Journal: filepath.Join(dir, "list.journal"), Input: "sha256:a", Settings: "s", Target: "import x",
		Registries: []string{"", filepath.Join(file, "runs"), filepath.Join(dir, "runs")}}
	s, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	if s.Registry() != filepath.Join(dir, "runs") || len(s.RegistryMissed) != 1 {
		t.Errorf("registry %q, missed %v", s.Registry(), s.RegistryMissed)
	}
	s.Close()
	opt.Registries = opt.Registries[:2]
	if _, err := Open(opt); err == nil {
		t.Error("a run opened with no registry it could keep")
	}
}

// TestCreateTempBesideAStartingRun: a run starting (RemoveStale, over and
// over) beside one making its temporary files never takes a file from
// under it, and the maker never fails for it: each file it gets is held
// and still named when it gets it.
func TestCreateTempBesideAStartingRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stop := make(chan struct{})
	took := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				took <- n
				return
			default:
				n += len(RemoveStale(dir, ".spool-", ""))
			}
		}
	}()
	for range 3000 {
		f, err := CreateTemp(dir, ".spool-*")
		if err != nil {
			t.Fatal(err)
		}
		if !stillNamed(f) {
			t.Fatalf("%s was removed while held", f.Name())
		}
		f.Close()
		os.Remove(f.Name())
	}
	close(stop)
	// What it took is files unheld for an instant: made and not yet held
	// (CreateTemp then makes another; the bare make-then-hold lost 1 in
	// 2,000 that way quiet, 1–6% loaded), or closed here and not yet
	// removed.
	t.Logf("RemoveStale took %d unheld files", <-took)
}
