package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// TestRerunsKeepTheProof is the case: import, then import --force
// with the same settings rewrote the report (created rows now read
// exists) and said the journal was "for another input or other settings".
// Now the report and failures file a run replaces are kept as NAME.prev
// (one generation), the summary names them, and the journal set aside
// says exactly why: --force, which setting changed from what to what, or
// that the input's bytes did.
func TestRerunsKeepTheProof(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	dir := t.TempDir()
	list := "email,reason,Notes\na@x.co,other,first\nb@x.co,other,second\nbad,other,third\n"
	os.WriteFile(filepath.Join(dir, "l.csv"), []byte(list), 0o644)
	run := func(args ...string) result {
		t.Helper()
		res := runBinaryEnv(t, dir, "", env, append(append([]string{"import", "--rate", "0"}, args...), "l.csv")...)
		if res.code != 1 {
			t.Fatalf("%v: exit %d\n%s", args, res.code, res.stderr)
		}
		return res
	}
	raw := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	run()
	firstReport, firstFailures := raw("l.report.csv"), raw("l.failures.csv")
	if st := statuses(reportRows(t, dir, "l.report.csv")); st["created"] != 2 {
		t.Fatalf("first run: %v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "l.report.csv.prev")); err == nil {
		t.Errorf("a first run kept a previous report it did not replace")
	}

	forced := run("--force", "--summary", "s.json")
	if !strings.Contains(forced.stderr, "l.journal.prev, starting afresh: --force runs the input again") {
		t.Errorf("--force: the message does not say --force:\n%s", forced.stderr)
	}
	if raw("l.report.csv.prev") != firstReport || raw("l.failures.csv.prev") != firstFailures {
		t.Errorf("--force did not keep the first run's report and failures file as .prev")
	}
	if st := statuses(reportRows(t, dir, "l.report.csv")); st["exists"] != 2 {
		t.Errorf("--force: %v, want the rows exists now", st)
	}
	if !strings.Contains(forced.stderr, "kept:     l.report.csv.prev, l.failures.csv.prev") || !strings.Contains(readFile(t, dir, "s.json"), `"kept": [`) {
		t.Errorf("the summary does not name the kept files:\n%s", forced.stderr)
	}

	secondReport := raw("l.report.csv")
	mapped := run("--map", "message=Notes", "--existing", "keep")
	for _, want := range []string{"--existing was extend, now keep", "--map was (none), now message=Notes"} {
		if !strings.Contains(mapped.stderr, want) {
			t.Errorf("another --map and --existing: the message lacks %q:\n%s", want, mapped.stderr)
		}
	}
	if raw("l.report.csv.prev") != secondReport {
		t.Errorf("the .prev is not the report this run replaced (one generation)")
	}

	os.WriteFile(filepath.Join(dir, "l.csv"), []byte(list+"c@x.co,other,fourth\n"), 0o644)
	changed := run("--map", "message=Notes", "--existing", "keep")
	if !strings.Contains(changed.stderr, "the input's bytes changed (SHA-256 ") || strings.Contains(changed.stderr, "--map was") {
		t.Errorf("a changed input: the message does not say so, or names a setting that did not change:\n%s", changed.stderr)
	}
}
