package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// onTerminal runs the command as on a terminal, answering answer.
func onTerminal(t *testing.T, dir, answer string, extra []string, args ...string) (int, string) {
	t.Helper()
	var out, errb strings.Builder
	e := inProcess(t, dir, strings.NewReader(answer), &out, &errb, extra)
	e.StdinTTY, e.StderrTTY = true, true
	return run(e, unpaced(args)), errb.String()
}

// TestRemoveConfirmsAfterItsChecks: remove asked "Type yes" before it knew
// the run had already finished, counted every row ("4 rows" where 2 would
// be removed), and said "1 rows". Now it asks after the key check and the
// journal's, with the rows it would remove (the others named), asks
// nothing of a run that will remove nothing (a refused key, a list it
// removed to the end, however fast that run was), and a "no" leaves
// nothing behind: the next run asks again.
func TestRemoveConfirmsAfterItsChecks(t *testing.T) {
	t.Parallel()
	srv := loaded(t, 10, topotest.Options{})
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	os.WriteFile(filepath.Join(dir, "few.csv"), []byte("email\nperson.1@example.com\nnot-an-email\nperson.2@example.com\nPERSON.1@example.com\n"), 0o644)
	args := []string{"remove", "--lift-optouts", "few.csv"}

	code, stderr := onTerminal(t, dir, "no\n", env, args...)
	if code != 2 || len(srv.Records()) != 10 || !strings.Contains(stderr, "Remove the exclusions that 2 rows of few.csv name from Topo") ||
		!strings.Contains(stderr, "(not counted: 1 invalid, 1 repeating an earlier row)") {
		t.Fatalf("no: exit %d, %d records\n%s", code, len(srv.Records()), stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "few.removal.journal")); err == nil {
		t.Errorf("a declined removal left its journal behind")
	}
	code, stderr = onTerminal(t, dir, "yes\n", env, args...)
	if code != 1 || len(srv.Records()) != 8 {
		t.Fatalf("yes: exit %d, %d records\n%s", code, len(srv.Records()), stderr)
	}
	// Run to the end already: said at once, nothing asked.
	code, stderr = onTerminal(t, dir, "", env, args...)
	if code != 1 || strings.Contains(stderr, "Type yes") || !strings.Contains(stderr, "already run to the end") {
		t.Errorf("again: exit %d\n%s", code, stderr)
	}
	// One row is "1 row".
	os.WriteFile(filepath.Join(dir, "one.csv"), []byte("email\nperson.3@example.com\n"), 0o644)
	if _, stderr = onTerminal(t, dir, "no\n", env, "remove", "--lift-optouts", "one.csv"); !strings.Contains(stderr, "that 1 row of one.csv name") {
		t.Errorf("one row:\n%s", stderr)
	}
	// A refused key removes nothing: no question.
	code, stderr = onTerminal(t, dir, "", []string{"TOPO_API_KEY=wrong", "TOPO_BASE_URL=" + srv.URL}, "remove", "--report", "r3.csv", "one.csv")
	if code != 3 || strings.Contains(stderr, "Type yes") {
		t.Errorf("refused key: exit %d\n%s", code, stderr)
	}
}
