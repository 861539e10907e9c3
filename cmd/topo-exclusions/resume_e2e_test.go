package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

func importCmd(t *testing.T, dir, input string, srv *topotest.Server, extra ...string) *exec.Cmd {
	args := append([]string{"import", "--rate", "100", "--retries", "8", "--report", "r.csv", "--failures", "f.csv"}, extra...)
	return process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}, append(args, input)...)
}

// reportRows reads a report's rows, or a failures file's (tab-separated).
func reportRows(t *testing.T, dir, name string) [][]string {
	t.Helper()
	return csvRecords(t, readFile(t, dir, name))[1:]
}

// TestChaosKillAndResume is the proof: kill -9 the import at random
// moments, at least ten times, against a faulty API that would accept
// duplicates; rerun each time. At the end every valid key was created
// exactly once, the report matches a clean run's row for row, and the
// failures file holds exactly the invalid rows.
func TestChaosKillAndResume(t *testing.T) {
	t.Parallel()
	input := generated(t, 300)
	srv := topotest.NewServer(topotest.Options{NotUnique: true, FailAfterCommit: 0.2, ResetRate: 0.05,
		Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 21})
	defer srv.Close()
	dir := t.TempDir()
	// The kill moments come from a seed, said in the log: TOPO_CHAOS_SEED
	// replays them (the fake's faults are seeded too; how the requests of
	// concurrent workers interleave is the machine's).
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("TOPO_CHAOS_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("TOPO_CHAOS_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	kills, runs := 0, 0
	deadline := time.Now().Add(90 * time.Second)
	for {
		if time.Now().After(deadline) || runs > 60 {
			t.Fatalf("no clean finish after %d runs and %d kills", runs, kills)
		}
		runs++
		cmd := importCmd(t, dir, input, srv, "--quiet")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if kills < 10 {
			select {
			case err := <-exited:
				t.Logf("run %d finished before its kill: %v", runs, err)
			case <-time.After(time.Duration(50+rng.IntN(250)) * time.Millisecond):
				cmd.Process.Signal(syscall.SIGKILL)
				<-exited
				kills++
				continue
			}
		} else if err := <-exited; err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("final run: %v", err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "r.csv")); err == nil && kills >= 10 {
			break
		}
	}
	t.Logf("%d runs, %d of them killed; server: %+v", runs, kills, srv.Stats())

	if st := srv.Stats(); st.DuplicateCreates != 0 {
		t.Errorf("%d keys created twice", st.DuplicateCreates)
	}
	got := reportRows(t, dir, "r.csv")
	for _, r := range got {
		if r[1] != "created" {
			continue
		}
		key := "email:" + r[3]
		if r[3] == "" {
			key = "linkedin_url:" + r[4]
		}
		if n := srv.CreatedCount(key); n != 1 {
			t.Errorf("row %s (%s) created %d times", r[0], key, n)
		}
	}

	clean := topotest.NewServer(topotest.Options{})
	defer clean.Close()
	cleanDir := t.TempDir()
	if err := importCmd(t, cleanDir, input, clean, "--quiet").Run(); err == nil {
		t.Fatal("the clean run should exit 1 (invalid rows)")
	}
	want := reportRows(t, cleanDir, "r.csv")
	if len(got) != len(want) {
		t.Fatalf("%d report rows after the chaos, %d in a clean run", len(got), len(want))
	}
	for i := range want {
		if got[i][0] != want[i][0] || got[i][1] != want[i][1] || got[i][3] != want[i][3] {
			t.Errorf("row %s: %s %s after the chaos, %s %s in a clean run", got[i][0], got[i][1], got[i][3], want[i][1], want[i][3])
		}
	}
	if f, w := readFile(t, dir, "f.csv"), readFile(t, cleanDir, "f.csv"); f != w {
		t.Errorf("failures file differs from a clean run's:\n%s\n---\n%s", f, w)
	}
	if n := statuses(want)["invalid"]; len(reportRows(t, dir, "f.csv")) != n {
		t.Errorf("failures file has %d rows, want the %d invalid ones", len(reportRows(t, dir, "f.csv")), n)
	}
}

func TestCompletedRunIsANoOp(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	dir := t.TempDir()
	input := readFile(t, "", sample(t, "dashboard.csv"))
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	if res := runBinaryEnv(t, dir, input, env, "import", "--rate", "0", "-"); res.code != 0 {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	before := srv.Stats().Requests
	res := runBinaryEnv(t, dir, input, env, "import", "--rate", "0", "-")
	if res.code != 0 || !strings.Contains(res.stderr, "already run to the end") || !strings.Contains(res.stderr, "stdin.report.csv") {
		t.Errorf("rerun: exit %d\n%s", res.code, res.stderr)
	}
	if n := srv.Stats().Requests - before; n != 2 {
		t.Errorf("a completed run sent %d requests, want only the key check's two (it names the workspace the run is known by)", n)
	}
	res = runBinaryEnv(t, dir, input+"zed@example.com,,other,,\n", env, "import", "--rate", "0", "-")
	if res.code != 0 || !strings.Contains(res.stderr, "the input's bytes changed") || srv.Stats().Created != 8 {
		t.Errorf("other bytes on stdin: exit %d, created %d\n%s", res.code, srv.Stats().Created, res.stderr)
	}
	res = runBinaryEnv(t, dir, input, env, "import", "--rate", "0", "--force", "-")
	if res.code != 0 || !strings.Contains(readFile(t, dir, "stdin.report.csv"), ",exists,") {
		t.Errorf("--force: exit %d\n%s", res.code, res.stderr)
	}
}

func TestConcurrentRunsAreLockedOut(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{Latency: 50 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	// At 2 rows a second the first run outlasts the three below by
	// minutes, however busy the machine: each meets it holding its locks.
	list := generated(t, 300)
	first := importCmd(t, dir, list, srv, "--state", "cron.state", "--rate", "2")
	var firstErr strings.Builder
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		first.Process.Signal(syscall.SIGINT)
		first.Wait()
		if t.Failed() {
			t.Logf("the first run said:\n%s", firstErr.String())
		}
	}()
	// The journal exists once the first run holds every lock: its files'
	// (taken before the key check) and the registry's (after it, since
	// the run is known by the key's workspace). Without it the cases
	// below would prove nothing.
	journal := filepath.Join(dir, "r.journal")
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(journal); err == nil {
			break
		} else if time.Since(start) > 2*time.Minute {
			t.Fatalf("the first run made no journal: %v", err)
		}
	}
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	pid := "pid " + itoa(first.Process.Pid)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"the same input, other paths", []string{"--report", "o1.csv", "--failures", "o1f.csv", list}, "running the same input against the same Topo"},
		{"another input, the same state", []string{"--report", "o2.csv", "--failures", "o2f.csv", "--state", "cron.state", "--default-reason", "other", sample(t, "messy.csv")}, "cron.state.lock"},
		{"another input, the same journal", []string{"--report", "o3.csv", "--failures", "o3f.csv", "--journal", "r.journal", "--default-reason", "other", sample(t, "messy.csv")}, "r.journal.lock"},
	} {
		res := runBinaryEnv(t, dir, "", env, append([]string{"import"}, tc.args...)...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) || !strings.Contains(res.stderr, pid) {
			t.Errorf("%s: exit %d\n%s", tc.name, res.code, res.stderr)
		}
	}
}

func TestStateSendsOnlyWhatIsNew(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	dir := t.TempDir()
	day1 := filepath.Join(dir, "day1.csv")
	day2 := filepath.Join(dir, "day2.csv")
	base := readFile(t, "", sample(t, "dashboard.csv"))
	os.WriteFile(day1, []byte(base), 0o644)
	os.WriteFile(day2, []byte(base+"new.person@example.com,,unsubscribed,,\n"), 0o644)
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	if res := runBinaryEnv(t, dir, "", env, "import", "--rate", "0", "--state", "optouts.state", day1); res.code != 0 {
		t.Fatalf("day 1: exit %d\n%s", res.code, res.stderr)
	}
	posts := srv.Stats().ByMethod["POST"]
	res := runBinaryEnv(t, dir, "", env, "import", "--rate", "0", "--state", "optouts.state", day2)
	rows := reportRows(t, dir, "day2.report.csv")
	if res.code != 0 || srv.Stats().ByMethod["POST"]-posts != 1 || statuses(rows)["known"] != 7 || statuses(rows)["created"] != 1 {
		t.Errorf("day 2: exit %d, %d POSTs, statuses %v\n%s", res.code, srv.Stats().ByMethod["POST"]-posts, statuses(rows), res.stderr)
	}
	// known, not exists: the state is an earlier run's memory, not Topo's
	// word on the row today.
	if !strings.Contains(rows[0][13], "an earlier run settled it (--state)") || rows[0][10] != "" || rows[0][12] != "" {
		t.Errorf("a state hit should say so and cost no attempt: %q", rows[0])
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
