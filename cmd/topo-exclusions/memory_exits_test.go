package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// Every exit leaves the truth on disk: a signal, a closed standard
// output, a kill -9; and what a killed run left behind goes at the next.

// leftovers are the temporary files of a run at dir that outputs
// optouts.report.csv and optouts.failures.csv and, for "-", keeps its
// journal as stdin.journal.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var all []string
	for _, pattern := range []string{".optouts.report.csv[0-9]*", ".optouts.failures.csv[0-9]*", ".stdin.report.csv[0-9]*",
		".topo-exclusions-outreach-*.spool", "stdin.journal.stdin-*", ".s.json[0-9]*"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		all = append(all, m...)
	}
	return all
}

// slowImport starts the binary importing optouts.csv from dir (800 rows
// unless the test wrote its own) against a fake slow enough to stop it
// mid-run.
func slowImport(t *testing.T, srv *topotest.Server, dir string, args ...string) (*os.File, func() (int, string)) {
	t.Helper()
	path := filepath.Join(dir, "optouts.csv")
	if _, err := os.Stat(path); err != nil {
		os.WriteFile(path, []byte(people("exits", 800)), 0o644)
	}
	cmd := process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		append(append([]string{"import", "--concurrency", "4", "--snapshot", "never"}, args...), "optouts.csv")...)
	var out lockedBuffer
	cmd.Stderr = &out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return stdout.(*os.File), func() (int, string) {
		err := cmd.Wait()
		return exitCode(err), out.String()
	}
}

// TestSIGHUPStopsLikeSIGTERM: a hang-up (a closed terminal, an ssh
// session gone) lets the requests in flight finish, records every other
// row, writes the summary and leaves no temporary file: exit 130.
func TestSIGHUPStopsLikeSIGTERM(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	stdout, wait := slowImport(t, srv, dir, "--summary", "s.json")
	go io.Copy(io.Discard, stdout)
	waitFor(t, "the first rows to be created", func() bool { return srv.Stats().Created >= 50 })
	syscall.Kill(pidOf(t, srv, dir), syscall.SIGHUP)
	code, out := wait()
	st := statuses(reportRows(t, dir, "optouts.report.csv"))
	sum := readFile(t, dir, "s.json")
	if code != 130 || !strings.Contains(sum, `"status": "interrupted"`) || st["created"] != srv.Stats().Created || st["created"]+st["not_attempted"] != 800 {
		t.Errorf("after SIGHUP: exit %d, %v, Topo created %d\n%s\n%s", code, st, srv.Stats().Created, out, sum)
	}
	if left := leftovers(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// pidOf is the pid in the journal's lock of the run at dir.
func pidOf(t *testing.T, _ *topotest.Server, dir string) int {
	t.Helper()
	var pid int
	waitFor(t, "the journal's lock", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "optouts.journal.lock"))
		pid = 0
		for _, c := range strings.TrimSpace(string(b)) {
			pid = pid*10 + int(c-'0')
		}
		return pid > 0
	})
	return pid
}

// TestAClosedStandardOutputInterrupts: `import --report - … | head -1`:
// the reader goes away, the run stops as interrupted, its summary and
// failures file written; the same command then resumes, sending nobody
// twice.
func TestAClosedStandardOutputInterrupts(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	// More report than a pipe holds (64 KiB), so that the run meets the
	// closed pipe before it ends.
	if err := os.WriteFile(filepath.Join(dir, "optouts.csv"), []byte(people("exits", 2000)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Without outreach, the report is written as rows settle.
	stdout, wait := slowImport(t, srv, dir, "--sequences", "off", "--report", "-", "--summary", "s.json")
	header, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(header, "row,status,") {
		t.Fatalf("first line %q: %v", header, err)
	}
	stdout.Close() // head -1 is done
	code, out := wait()
	sum := readFile(t, dir, "s.json")
	if code != 130 || !strings.Contains(sum, `"status": "interrupted"`) || !strings.Contains(sum, "standard output closed") {
		t.Fatalf("after standard output closed: exit %d\n%s\n%s", code, out, sum)
	}
	if f := reportRows(t, dir, "optouts.failures.csv"); len(f) != 2000-srv.Stats().Created {
		t.Errorf("the failures file holds %d rows; %d were not sent", len(f), 2000-srv.Stats().Created)
	}
	res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		"import", "--snapshot", "never", "--sequences", "off", "--report", "-", "optouts.csv")
	if s := srv.Stats(); res.code != 0 || !strings.Contains(res.stderr, "resuming an interrupted run") || s.Created != 2000 || s.DuplicateCreates != 0 {
		t.Errorf("resumed: exit %d, %d created, %d duplicates\n%s", res.code, s.Created, s.DuplicateCreates, res.stderr)
	}
}

// TestAKilledRunsTemporaryFilesGoAtTheNextRun: kill -9 while standard
// input is being copied leaves that copy; kill -9 mid-run leaves the
// outputs' pending files and the rows kept for outreach: the next runs
// remove them.
func TestAKilledRunsTemporaryFilesGoAtTheNextRun(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	piped := process(t, dir, env, "import", "-")
	in, err := piped.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := piped.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(in, people("piped", 100)) // and never closed: the copy goes on
	waitFor(t, "standard input's copy", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "stdin.journal.stdin-*"))
		return len(m) == 1
	})
	piped.Process.Signal(syscall.SIGKILL)
	piped.Wait()
	in.Close()
	// Then a run killed mid-pass (it removes none of the above: they are
	// not of its outputs, nor its journal's).
	stdout, wait := slowImport(t, srv, dir)
	go io.Copy(io.Discard, stdout)
	waitFor(t, "the first rows to be created", func() bool { return srv.Stats().Created >= 50 })
	syscall.Kill(pidOf(t, srv, dir), syscall.SIGKILL)
	wait()

	left := leftovers(t, dir)
	for _, want := range []string{".optouts.report.csv", ".optouts.failures.csv", ".topo-exclusions-outreach-", "stdin.journal.stdin-"} {
		if !strings.Contains(strings.Join(left, " "), filepath.Join(dir, want)) {
			t.Fatalf("no %s* left by the killed runs to remove (the test proves nothing): %v", want, left)
		}
	}
	res := runBinaryEnv(t, dir, people("piped", 100), env, "import", "--snapshot", "never", "-")
	if res.code != 0 || !strings.Contains(res.stderr, "temporary files that earlier runs, killed, left behind") {
		t.Errorf("the next run: exit %d\n%s", res.code, res.stderr)
	}
	res = runBinaryEnv(t, dir, "", env, "import", "--snapshot", "never", "optouts.csv")
	if left := leftovers(t, dir); res.code != 0 || len(left) > 0 {
		t.Errorf("exit %d; temporary files still there: %v\n%s", res.code, left, res.stderr)
	}
}

// TestALastSummaryIsGoneBeforeTheRunStarts: yesterday's summary and
// metrics said exit 0; today's run, killed before it could write its own,
// must not leave them saying so.
func TestALastSummaryIsGoneBeforeTheRunStarts(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true, Latency: 10 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	os.WriteFile(filepath.Join(dir, "yesterday.csv"), []byte(people("yesterday", 10)), 0o644)
	if res := runBinaryEnv(t, dir, "", env, "import", "--summary", "s.json", "--metrics", "m.prom", "yesterday.csv"); res.code != 0 {
		t.Fatalf("yesterday: exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(readFile(t, dir, "m.prom"), `last_run_exit_code{command="import"} 0`) {
		t.Fatal("yesterday's metrics do not say exit 0")
	}
	stdout, wait := slowImport(t, srv, dir, "--summary", "s.json", "--metrics", "m.prom")
	go io.Copy(io.Discard, stdout)
	waitFor(t, "today's first rows", func() bool { return srv.Stats().Created >= 20 })
	for _, name := range []string{"s.json", "m.prom"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("yesterday's %s is still there while today's run goes on", name)
		}
	}
	syscall.Kill(pidOf(t, srv, dir), syscall.SIGKILL)
	wait()
	for _, name := range []string{"s.json", "m.prom"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			t.Errorf("after today's run was killed, %s says:\n%s", name, b)
		}
	}
}
