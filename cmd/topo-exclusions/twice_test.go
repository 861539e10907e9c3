package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// onNonUnique is a fake Topo that would accept duplicates, so that
// "created twice" shows in its stats instead of as a 409.
func onNonUnique(t *testing.T, opt topotest.Options) (*topotest.Server, []string) {
	opt.NotUnique = true
	srv := topotest.NewServer(opt)
	t.Cleanup(srv.Close)
	return srv, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
}

func noDuplicates(t *testing.T, srv *topotest.Server) {
	t.Helper()
	if st := srv.Stats(); st.DuplicateCreates != 0 || st.RepeatPosts != 0 {
		t.Errorf("%d keys created twice, %d repeated POSTs", st.DuplicateCreates, st.RepeatPosts)
	}
}

// TestJunkJournalLinesAreMaybeSent: an interrupted import's journal with
// lines overwritten by junk. Those lines may have been any row's intent,
// so the rerun looks every unsettled row up before sending it.
func TestJunkJournalLinesAreMaybeSent(t *testing.T) {
	t.Parallel()
	srv, env := onNonUnique(t, topotest.Options{Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	input := generated(t, 300)
	r := startCLI(t, dir, nil, env, "import", "--rate", "0", "--concurrency", "4", "--report", "r.csv", "--failures", "f.csv", input)
	for deadline := time.Now().Add(time.Minute); srv.Stats().Created < 60 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	r.soft()
	r.hard()
	if res := r.wait(t); res.code != 130 {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	journal := filepath.Join(dir, "r.journal")
	data, _ := os.ReadFile(journal)
	lines := strings.SplitAfter(string(data), "\n")
	for i := 1; i < len(lines)-1; i += 3 { // every third line, outcomes and intents alike
		lines[i] = strings.Repeat("\x00", len(lines[i])-1) + "\n"
	}
	os.WriteFile(journal, []byte(strings.Join(lines, "")), 0o644)

	res := runBinaryEnv(t, dir, "", env, "import", "--rate", "0", "--report", "r.csv", "--failures", "f.csv", input)
	if res.code != 1 || !strings.Contains(res.stderr, "unreadable journal lines") {
		t.Fatalf("rerun: exit %d\n%s", res.code, res.stderr)
	}
	noDuplicates(t, srv)
	if st := statuses(reportRows(t, dir, "r.csv")); st["created"]+st["exists"] != srv.Stats().Created {
		t.Errorf("report %v against %d records created", st, srv.Stats().Created)
	}
}

// TestFailuresFileRerunLooksUpMaybeSentRows: rows whose last attempt may
// have reached Topo are marked in the failures file; feeding it back
// looks them up first instead of POSTing blindly.
func TestFailuresFileRerunLooksUpMaybeSentRows(t *testing.T) {
	t.Parallel()
	srv, _ := onNonUnique(t, topotest.Options{FailAfterCommit: 1})
	dir := t.TempDir()
	write := []string{"TOPO_API_KEY=" + topotest.DefaultWriteOnlyToken, "TOPO_BASE_URL=" + srv.URL}
	res := runBinaryEnv(t, dir, "", write, "import", "--retries", "0", "--rate", "0", "--report", "r.csv", "--failures", "f.csv", sample(t, "dashboard.csv"))
	failures := readFile(t, dir, "f.csv")
	if res.code != 1 || strings.Count(failures, "\ttrue\n") != 7 || srv.Stats().Created != 7 {
		t.Fatalf("first run: exit %d, created %d, failures:\n%s\n%s", res.code, srv.Stats().Created, failures, res.stderr)
	}
	read := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	res = runBinaryEnv(t, dir, "", read, "import", "--report", "r2.csv", "--failures", "f2.csv", "f.csv")
	rows := reportRows(t, dir, "r2.csv")
	if res.code != 0 || statuses(rows)["exists"] != 7 || srv.Stats().ByMethod["POST"] != 7 {
		t.Errorf("the failures file again: exit %d, %v, %d POSTs in all\n%s", res.code, statuses(rows), srv.Stats().ByMethod["POST"], res.stderr)
	}
	noDuplicates(t, srv)
}

// TestSameInputTwiceNeverBothSend: the same bytes against the same Topo,
// whatever the report and journal paths: the second run says it was done;
// --force looks every row up first; settings spelt another way are the
// same settings.
func TestSameInputTwiceNeverBothSend(t *testing.T) {
	t.Parallel()
	srv, env := onNonUnique(t, topotest.Options{})
	dir := t.TempDir()
	in := sample(t, "excel-bom-semicolon.csv")
	first := runBinaryEnv(t, dir, "", env, "import", "--delimiter", ";", "--report", "a.csv", "--failures", "af.csv", in)
	if first.code != 1 {
		t.Fatalf("first run: exit %d\n%s", first.code, first.stderr)
	}
	posts := srv.Stats().ByMethod["POST"]
	again := runBinaryEnv(t, dir, "", env, "import", "--delimiter", "semicolon", "--report", "b.csv", "--failures", "bf.csv", "--journal", "b.journal", in)
	if again.code != 1 || !strings.Contains(again.stderr, "already run to the end") || !strings.Contains(again.stderr, "1 row still needs action: run af.csv") {
		t.Errorf("second run: exit %d\n%s", again.code, again.stderr)
	}
	if srv.Stats().ByMethod["POST"] != posts {
		t.Errorf("the second run sent %d POSTs", srv.Stats().ByMethod["POST"]-posts)
	}
	forced := runBinaryEnv(t, dir, "", env, "import", "--force", "--report", "c.csv", "--failures", "cf.csv", in)
	if forced.code != 1 || statuses(reportRows(t, dir, "c.csv"))["exists"] != 4 {
		t.Errorf("--force: exit %d, %v\n%s", forced.code, statuses(reportRows(t, dir, "c.csv")), forced.stderr)
	}
	// Every row is looked up first: Topo's list would settle none.
	if strings.Contains(forced.stderr, "to decide the rows without a request each") {
		t.Errorf("--force read Topo's list for nothing:\n%s", forced.stderr)
	}
	noDuplicates(t, srv)
}

// TestStdinSpoolLivesBesideTheJournal: standard input is kept beside the
// journal, named by its hash (never in /tmp, where it outlived kill -9),
// reused by the rerun that resumes, and removed when the import completes.
func TestStdinSpoolLivesBesideTheJournal(t *testing.T) {
	t.Parallel()
	// 300 ms an answer: the run is killed a second or more before it could end,
	// however late a busy machine lets this test look (it once finished
	// first at 100 ms, and the rerun had nothing to resume).
	srv := topotest.NewServer(topotest.Options{Latency: 300 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	input := readFile(t, "", sample(t, "dashboard.csv"))
	tmp := t.TempDir()
	cmd := process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL, "TMPDIR=" + tmp}, "import", "-")
	cmd.Stdin = strings.NewReader(input)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var spool []string
	// Killed once the journal exists (the key check comes first, and the
	// run is known by the key's workspace).
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		spool, _ = filepath.Glob(filepath.Join(dir, "stdin.journal.*.stdin"))
		if _, err := os.Stat(filepath.Join(dir, "stdin.journal")); err == nil && len(spool) > 0 {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	if err := cmd.Wait(); err == nil {
		t.Fatal("the run ended before it was killed")
	}
	if len(spool) != 1 {
		t.Fatalf("no spool beside the journal: %v", spool)
	}
	if st, err := os.Stat(spool[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("spool %v, mode %v: want it kept, readable by its owner only", err, st.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("files in TMPDIR: %v", left)
	}
	res := runBinaryEnv(t, dir, input, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}, "import", "-")
	if res.code != 0 || !strings.Contains(res.stderr, "resuming") {
		t.Errorf("rerun: exit %d\n%s", res.code, res.stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.stdin")); len(left) > 0 {
		t.Errorf("the spool outlived a completed import: %v", left)
	}
}
