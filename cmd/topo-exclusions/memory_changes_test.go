package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// A file that changes while the run reads it is caught: the run stops
// incomplete (exit 4: writes went out), never completed, and what a later
// run of either content does sends nobody twice.

// changedMidRun imports list from dir with the built binary against a
// fake slow enough to change the file while rows are in flight: change
// runs once some rows were created. It returns the exit code and output.
func changedMidRun(t *testing.T, srv *topotest.Server, dir, list string, change func(path string)) (int, string) {
	t.Helper()
	path := filepath.Join(dir, "optouts.csv")
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		"import", "--concurrency", "4", "--summary", "s.json", "optouts.csv")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first rows to be created", func() bool { return srv.Stats().Created >= 40 })
	change(path)
	err := cmd.Wait()
	return exitCode(err), out.String()
}

// checkStoppedIncomplete checks how a run whose input changed ended.
func checkStoppedIncomplete(t *testing.T, dir string, code int, out, how string) {
	t.Helper()
	sum := readFile(t, dir, "s.json")
	if code != 4 || !strings.Contains(out, "changed while the run read it ("+how) || !strings.Contains(sum, `"status": "partial"`) {
		t.Errorf("exit %d, want 4, partial, saying %q\n%s\n%s", code, how, out, sum)
	}
	if _, err := os.Stat(filepath.Join(dir, "optouts.report.csv")); err == nil {
		t.Error("the report of a run whose input changed is in place, as if complete")
	}
	if journal := readFile(t, dir, "optouts.journal"); strings.Contains(journal, `"done":`) {
		t.Error("the journal says the run completed")
	}
}

// TestAFileRenamedOverTheInputIsCaught: the old file is read on to the
// end of its next look, and the run stops: its report would be of the old
// bytes, its journal of no file in place. The new file's run then looks
// up every row first: nobody is created twice.
func TestAFileRenamedOverTheInputIsCaught(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	fresh := people("renamed", 1500) + strings.TrimPrefix(people("added", 100), "email,reason\n")
	code, out := changedMidRun(t, srv, dir, people("renamed", 1500), func(path string) {
		next := filepath.Join(dir, "next.csv")
		if err := os.WriteFile(next, []byte(fresh), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(next, path); err != nil {
			t.Fatal(err)
		}
	})
	checkStoppedIncomplete(t, dir, code, out, "another file was put in its place")

	res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}, "import", "--summary", "s.json", "optouts.csv")
	st := statuses(reportRows(t, dir, "optouts.report.csv"))
	if res.code != 0 || st["created"]+st["exists"] != 1600 || strings.Contains(res.stderr, "already run") || !strings.Contains(res.stderr, "never completed") {
		t.Errorf("the new file's run: exit %d, %v\n%s", res.code, st, res.stderr)
	}
	if s := srv.Stats(); s.DuplicateCreates != 0 || len(srv.Records()) != 1600 {
		t.Errorf("%d duplicates, %d records for 1,600 people", s.DuplicateCreates, len(srv.Records()))
	}
}

// TestAnInputTruncatedMidRunIsCaught: a file cut short under the run
// stops it incomplete; put back as it was, the same command resumes and
// sends every row the cut one did not, each once.
func TestAnInputTruncatedMidRunIsCaught(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	list := people("truncated", 1500)
	code, out := changedMidRun(t, srv, dir, list, func(path string) {
		if err := os.Truncate(path, int64(len(list)/3)); err != nil {
			t.Fatal(err)
		}
	})
	checkStoppedIncomplete(t, dir, code, out, "its size went from")

	if err := os.WriteFile(filepath.Join(dir, "optouts.csv"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}, "import", "--summary", "s.json", "optouts.csv")
	st := statuses(reportRows(t, dir, "optouts.report.csv"))
	if res.code != 0 || st["created"] != 1500 || !strings.Contains(res.stderr, "resuming an interrupted run") {
		t.Errorf("the restored file's run: exit %d, %v\n%s", res.code, st, res.stderr)
	}
	if s := srv.Stats(); s.DuplicateCreates != 0 || s.Created != 1500 || len(srv.Records()) != 1500 {
		t.Errorf("%d created, %d duplicates, %d records for 1,500 people", s.Created, s.DuplicateCreates, len(srv.Records()))
	}
}
