package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// Lost memory never means blind re-sends: on a Topo that would hold a
// person twice, a rerun that cannot know what an earlier run sent looks
// every row up first. --snapshot never keeps Topo's list from deciding
// the rows in its stead.

// killedMidRun starts an import of list (in dir, as optouts.csv) with
// the built binary and kills it (kill -9) once some rows were created.
func killedMidRun(t *testing.T, srv *topotest.Server, dir, list string, args ...string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "optouts.csv"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		append(append([]string{"import", "--snapshot", "never", "--concurrency", "4"}, args...), "optouts.csv")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first rows to be created", func() bool { return srv.Stats().Created >= 50 })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// rerunLooksUp runs the import again in-process and checks that it said
// why it looks every row up, and that Topo holds each person once.
func rerunLooksUp(t *testing.T, srv *topotest.Server, dir string, people int, why string, args ...string) {
	t.Helper()
	res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		append(append([]string{"import", "--snapshot", "never"}, args...), "optouts.csv")...)
	if res.code != 0 || !strings.Contains(res.stderr, why) || !strings.Contains(res.stderr, "every row is looked up before anything is sent") {
		t.Errorf("rerun: exit %d, want 0 and a warning saying %q\n%s", res.code, why, res.stderr)
	}
	if s := srv.Stats(); s.DuplicateCreates != 0 || len(srv.Records()) != people {
		t.Errorf("%d duplicates; Topo holds %d records for %d people", s.DuplicateCreates, len(srv.Records()), people)
	}
}

// TestAJournalLostAfterAKillIsNoLicenceToResend: the journal's folder
// deleted after a kill -9 — the registry knew the run was under way.
func TestAJournalLostAfterAKillIsNoLicenceToResend(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	journals := filepath.Join(dir, "journals")
	os.Mkdir(journals, 0o755)
	killedMidRun(t, srv, dir, people("lost", 600), "--journal", "journals/optouts.journal")
	if err := os.RemoveAll(journals); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(journals, 0o755)
	rerunLooksUp(t, srv, dir, 600, "and that journal is gone", "--journal", "journals/optouts.journal")
}

// TestAnUnreadableJournalIsNoLicenceToResend: the journal overwritten
// after a kill -9: moved aside, every row looked up.
func TestAnUnreadableJournalIsNoLicenceToResend(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	killedMidRun(t, srv, dir, people("garbled", 600))
	if err := os.WriteFile(filepath.Join(dir, "optouts.journal"), []byte("\x00\x00garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rerunLooksUp(t, srv, dir, 600, "cannot be read")
}

// TestAReplacedExportAfterACrashIsLookedUp: yesterday's run was killed;
// today's export (most of the same people, a few more) takes its place:
// its journal is of another input, whose run never completed.
func TestAReplacedExportAfterACrashIsLookedUp(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	killedMidRun(t, srv, dir, people("export", 600))
	today := people("export", 600) + strings.TrimPrefix(people("new", 150), "email,reason\n")
	if err := os.WriteFile(filepath.Join(dir, "optouts.csv"), []byte(today), 0o644); err != nil {
		t.Fatal(err)
	}
	rerunLooksUp(t, srv, dir, 750, "never completed")
}

// TestTheRegistryWorksWithoutAUsableHome: without HOME, or with one that
// cannot be made (the /nonexistent of a system user; here a path under a
// file, which even root cannot make), the registry of runs is kept in
// $STATE_DIRECTORY (as systemd's StateDirectory= sets it), else beside
// the journal, and still knows a list already run under another
// --report; none of it is exit 2.
func TestTheRegistryWorksWithoutAUsableHome(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true})
	defer srv.Close()
	for i, tc := range []struct {
		name     string
		env      []string
		registry string // under the test's folder
		warned   bool
	}{
		{"no HOME", []string{"HOME=", "XDG_STATE_HOME="}, ".topo-exclusions/runs", true},
		{"a HOME that cannot be made", []string{"HOME=NOHOME", "XDG_STATE_HOME="}, ".topo-exclusions/runs", true},
		{"a HOME that cannot be made, under systemd", []string{"HOME=NOHOME", "XDG_STATE_HOME=", "STATE_DIRECTORY=STATEDIR"}, "state/topo-exclusions/runs", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL, "XDG_CACHE_HOME="}
			os.WriteFile(filepath.Join(dir, "a-file"), nil, 0o644)
			for _, kv := range tc.env {
				kv = strings.ReplaceAll(kv, "STATEDIR", filepath.Join(dir, "state"))
				env = append(env, strings.ReplaceAll(kv, "NOHOME", filepath.Join(dir, "a-file", "home")))
			}
			list := filepath.Join(dir, "optouts.csv")
			os.WriteFile(list, []byte(people(fmt.Sprintf("home%d", i), 40)), 0o644)
			before := srv.Stats().Created
			res := runBinaryEnv(t, dir, "", env, "import", list)
			warned := strings.Contains(res.stderr, "level=WARN msg=\"the registry of runs is kept beside the journal")
			if res.code != 0 || srv.Stats().Created != before+40 || warned != tc.warned {
				t.Fatalf("first run: exit %d, %d created\n%s", res.code, srv.Stats().Created-before, res.stderr)
			}
			if entries, _ := filepath.Glob(filepath.Join(dir, tc.registry, "*.json")); len(entries) != 1 {
				t.Errorf("the registry is not in %s: %v", tc.registry, entries)
			}
			res = runBinaryEnv(t, dir, "", env, "import", "--report", "again.csv", "--failures", "again.failures.csv", list)
			if res.code != 0 || !strings.Contains(res.stderr, "already run to the end") || srv.Stats().Created != before+40 {
				t.Errorf("the same list with another --report: exit %d, %d created\n%s", res.code, srv.Stats().Created-before, res.stderr)
			}
		})
	}
}
