package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// The tool's memory (the registry of runs, the cron state) is never
// Topo's word: these tests prove it cannot stand in for it.

// TestAnotherWorkspaceIsAnotherTopo: the same list, the same base URL,
// a key of a second workspace: that workspace gets the list, as if the
// first had never run.
func TestAnotherWorkspaceIsAnotherTopo(t *testing.T) {
	t.Parallel()
	const keyB = "topo_mock_workspace_b_key"
	srv := topotest.NewServer(topotest.Options{Keys: []topotest.Key{{Token: keyB, Workspace: "org_B",
		Scopes: []string{topotest.ScopeExclusionsRead, topotest.ScopeExclusionsWrite}}}})
	defer srv.Close()
	dir := t.TempDir()
	list := copySample(t, dir, "dashboard.csv")
	for _, key := range []string{topotest.DefaultToken, keyB} {
		res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + key, "TOPO_BASE_URL=" + srv.URL}, "import", "--state", "cron.state", list)
		if key == keyB && (res.code != 2 || !strings.Contains(res.stderr, "another workspace")) {
			t.Fatalf("workspace B with A's state: exit %d\n%s", res.code, res.stderr)
		}
		if key == keyB {
			res = runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + key, "TOPO_BASE_URL=" + srv.URL}, "import", "--journal", "b.journal", "--report", "b.csv", "--failures", "bf.csv", list)
		}
		if res.code != 0 || strings.Contains(res.stderr, "already run") {
			t.Fatalf("key of %s: exit %d\n%s", key, res.code, res.stderr)
		}
	}
	if a, b := len(srv.Records()), len(srv.Workspace("org_B").Records()); a != 7 || b != 7 {
		t.Errorf("workspace A holds %d records, B %d: each should hold the list's 7", a, b)
	}
}

// TestARemovedPersonListedAgainIsSentAgain: import with --state, remove
// those rows (a wrong upload), import the same list again: neither the
// registry ("already run to the end") nor the state ("known") may answer
// for people Topo no longer holds: the removal, run without --state,
// made both forget them.
func TestARemovedPersonListedAgainIsSentAgain(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	list := copySample(t, dir, "dashboard.csv")
	if res := runBinaryEnv(t, dir, "", env, "import", "--state", "cron.state", list); res.code != 0 {
		t.Fatalf("import: exit %d\n%s", res.code, res.stderr)
	}
	if res := runBinaryEnv(t, dir, "", env, "remove", "-y", "--lift-optouts", "--report", "rm.csv", "--failures", "rmf.csv", list); res.code != 0 || len(srv.Records()) != 0 {
		t.Fatalf("remove: exit %d, %d left\n%s", res.code, len(srv.Records()), res.stderr)
	}
	res := runBinaryEnv(t, dir, "", env, "import", "--state", "cron.state", "--report", "again.csv", "--failures", "againf.csv", list)
	if st := statuses(reportRows(t, dir, "again.csv")); res.code != 0 || st["known"] != 0 || st["created"] != 7 || len(srv.Records()) != 7 {
		t.Errorf("import again: exit %d, %v, Topo holds %d\n%s", res.code, st, len(srv.Records()), res.stderr)
	}
}

// copySample copies a sample into dir, so that outputs named after it go
// there, never beside the samples.
func copySample(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(readFile(t, "", sample(t, name))), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
