package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
	"github.com/topo-io/topo-exclusions/internal/listgen"
)

// importRun runs the built binary's import against srv with key, and
// returns the result and the report's rows (header dropped).
func importRun(t *testing.T, srv *topotest.Server, key, input string, extra ...string) (result, [][]string, string) {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"import", "--rate", "0", "--concurrency", "8", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json"}, extra...)
	res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + key, "TOPO_BASE_URL=" + srv.URL}, append(args, input)...)
	report, err := os.ReadFile(filepath.Join(dir, "r.csv"))
	if os.IsNotExist(err) {
		return res, nil, dir // the run wrote no report (it sent nothing)
	}
	recs, err := csv.NewReader(bytes.NewReader(report)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return res, recs[1:], dir
}

func statuses(rows [][]string) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		m[r[1]]++
	}
	return m
}

func generated(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "list.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := listgen.Write(f, listgen.Spec{Rows: n, Seed: 7, InvalidEvery: 25, DuplicateEvery: 20}); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportCleanThenAgain(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	res, rows, _ := importRun(t, srv, topotest.DefaultToken, sample(t, "dashboard.csv"))
	if res.code != 0 || statuses(rows)["created"] != 7 {
		t.Fatalf("exit %d, statuses %v\n%s", res.code, statuses(rows), res.stderr)
	}
	ids := map[string]bool{}
	for _, r := range srv.Records() {
		ids[r.ID] = true
	}
	for _, r := range rows {
		if !ids[r[2]] || r[8] != "201" || r[12] != "1" {
			t.Errorf("row %s: id %q http %s attempts %s", r[0], r[2], r[8], r[12])
		}
	}
	res, rows, _ = importRun(t, srv, topotest.DefaultToken, sample(t, "dashboard.csv"))
	if res.code != 0 || !strings.Contains(res.stderr, "already run to the end") || len(rows) != 0 {
		t.Fatalf("rerun: exit %d, %d rows\n%s", res.code, len(rows), res.stderr)
	}
	res, rows, _ = importRun(t, srv, topotest.DefaultToken, sample(t, "dashboard.csv"), "--force")
	if res.code != 0 || statuses(rows)["exists"] != 7 || srv.Stats().Created != 7 {
		t.Fatalf("rerun: exit %d, statuses %v, created %d", res.code, statuses(rows), srv.Stats().Created)
	}
	for _, r := range rows {
		if !ids[r[2]] {
			t.Errorf("rerun row %s: exists without the existing id (%q)", r[0], r[2])
		}
	}
}

// TestImportUnderFaultsCreatesNothingTwice is the proof: with
// commits followed by 503s and dropped connections, every valid row ends
// created or exists, and no key is created twice, even on a server that
// would let it be (uniqueness off).
func TestImportUnderFaultsCreatesNothingTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		key    string
		unique bool
		seed   uint64
	}{
		{"key that can read, server without uniqueness", topotest.DefaultToken, false, 11},
		{"the same, other faults", topotest.DefaultToken, false, 12},
		{"write-only key, 409 settles retries", topotest.DefaultWriteOnlyToken, true, 13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := topotest.NewServer(topotest.Options{FailAfterCommit: 0.2, ResetRate: 0.05, HTML502Rate: 0.02, Seed: tc.seed, NotUnique: !tc.unique})
			defer srv.Close()
			input := generated(t, 400)
			res, rows, dir := importRun(t, srv, tc.key, input, "--retries", "8")
			st := statuses(rows)
			if res.code != 1 || len(rows) != 400 || st["failed"] != 0 || st["not_attempted"] != 0 {
				t.Fatalf("exit %d, %d rows, statuses %v\n%s", res.code, len(rows), st, res.stderr)
			}
			stats := srv.Stats()
			if stats.DuplicateCreates != 0 {
				t.Errorf("%d keys created twice: %+v", stats.DuplicateCreates, stats)
			}
			// Every row is in Topo once. A key that can read tells the rows
			// its own unanswered attempts created; one that cannot says
			// exists for those, never created.
			if stats.Created != st["created"]+st["exists"] || stats.Records != stats.Created {
				t.Errorf("report says %v, server created %d and holds %d", st, stats.Created, stats.Records)
			}
			if answered := stats.ByStatus["201"]; tc.key == topotest.DefaultWriteOnlyToken && st["created"] != answered {
				t.Errorf("write-only key: %d created, but Topo answered 201 %d times", st["created"], answered)
			}
			var sum struct {
				Send struct{ Retries, Requests int } `json:"send"`
			}
			if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil || sum.Send.Retries == 0 {
				t.Errorf("summary %s (%v): faults should have cost retries", readFile(t, dir, "s.json"), err)
			}
		})
	}
}

func TestImportRefusedKeys(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	res, rows, _ := importRun(t, srv, "wrong-key", sample(t, "dashboard.csv"))
	if res.code != 3 || !strings.Contains(res.stderr, "refused the API key (401") || statuses(rows)["not_attempted"] != 7 {
		t.Errorf("bad key: exit %d, statuses %v\n%s", res.code, statuses(rows), res.stderr)
	}
	if st := srv.Stats(); st.ByMethod["POST"] != 0 {
		t.Errorf("a refused key still POSTed: %+v", st)
	}
	// /v1/me says the key cannot write: refused before any request that
	// writes (once, this cost a POST).
	res, _, _ = importRun(t, srv, topotest.DefaultReadOnlyToken, sample(t, "dashboard.csv"))
	if res.code != 2 || !strings.Contains(res.stderr, "lacks the scope exclusions:write, which import needs") {
		t.Errorf("read-only key: exit %d\n%s", res.code, res.stderr)
	}
	if st := srv.Stats(); st.ByMethod["POST"] != 0 {
		t.Errorf("a key without write scope cost %d POSTs, want none", st.ByMethod["POST"])
	}
}

func TestImportKeepsTheKeySecret(t *testing.T) {
	t.Parallel()
	const key = "sk_live_do_not_print_me"
	srv := topotest.NewServer(topotest.Options{Token: key, FailRate: 0.3, Seed: 3})
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, _, dir := importRun(t, srv, "", sample(t, "messy.csv"), "--token-file", keyFile, "--default-reason", "other", "--retries", "0")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for name, text := range map[string]string{
		"stdout": res.stdout, "stderr": res.stderr, "report": readFile(t, dir, "r.csv"),
		"failures": readFile(t, dir, "f.csv"), "summary": readFile(t, dir, "s.json"),
	} {
		if strings.Contains(text, key) || strings.Contains(text, "do_not_print") {
			t.Errorf("the API key appears in %s", name)
		}
	}
	wrong := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + key + "x", "TOPO_BASE_URL=" + srv.URL}, "import", "--report", "r2.csv", "--failures", "f2.csv", sample(t, "dashboard.csv"))
	if wrong.code != 3 || strings.Contains(wrong.stderr, key) {
		t.Errorf("refused key: exit %d, stderr %s", wrong.code, wrong.stderr)
	}
}

func TestImportMaxFailuresAborts(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{FailRate: 1})
	defer srv.Close()
	res, rows, _ := importRun(t, srv, topotest.DefaultToken, generated(t, 200), "--retries", "0", "--max-failures", "3", "--concurrency", "1")
	st := statuses(rows)
	if res.code != 3 || st["failed"] < 3 || st["not_attempted"] == 0 || !strings.Contains(res.stderr, "--max-failures") {
		t.Errorf("exit %d, statuses %v\n%s", res.code, st, res.stderr)
	}
}

func TestImportJSONLogs(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	res, _, _ := importRun(t, srv, topotest.DefaultToken, sample(t, "messy.csv"), "--log-format", "json", "--default-reason", "other")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var sawSummary, sawProgress bool
	for line := range strings.Lines(strings.TrimSpace(res.stderr)) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		sawSummary = sawSummary || m["msg"] == "summary"
		sawProgress = sawProgress || m["msg"] == "progress"
	}
	if !sawSummary || !sawProgress {
		t.Errorf("JSON logs lack the summary or a progress line:\n%s", res.stderr)
	}
}

func TestImportInterrupted(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{Latency: 100 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	cmd := process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		"import", "--rate", "20", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json", "--metrics", "run.prom", generated(t, 400))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for srv.Stats().Created < 10 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130", err)
	}
	// What the operator reads: the explanation first, then how many rows
	// were not sent and that the same command resumes; no bare
	// "context canceled".
	msg := stderr.String()
	explain, notSent := strings.Index(msg, "interrupted: finishing the requests in flight"), strings.Index(msg, "rows not sent")
	if explain < 0 || notSent < explain || !strings.Contains(msg, "run the same command again: it resumes") || strings.Contains(msg, "context canceled") {
		t.Errorf("interrupt messages:\n%s", msg)
	}
	sum := readFile(t, dir, "s.json")
	for _, want := range []string{`"exit_code": 130`, `"status": "interrupted"`, `"started_at": "`, `"finished_at": "`} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %s:\n%s", want, sum)
		}
	}
	prom := readFile(t, dir, "run.prom")
	for _, want := range []string{"# TYPE topo_exclusions_last_run_exit_code gauge", "topo_exclusions_last_run_exit_code{command=\"import\"} 130", `topo_exclusions_last_run_rows{command="import",status="not_attempted"} `} {
		if !strings.Contains(prom, want) {
			t.Errorf("metrics lack %q:\n%s", want, prom)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	recs, _ := csv.NewReader(strings.NewReader(readFile(t, dir, "r.csv"))).ReadAll()
	st := statuses(recs[1:])
	if len(recs)-1 != 400 || st["created"] != srv.Stats().Created || st["not_attempted"] == 0 {
		t.Errorf("%d rows, statuses %v, server created %d", len(recs)-1, st, srv.Stats().Created)
	}
	if want := fmt.Sprintf(`status="not_attempted"} %d`+"\n", st["not_attempted"]); !strings.Contains(prom, want) {
		t.Errorf("metrics lack %q", want)
	}
	// The rows created before the stop need action too: their people's
	// running sequences were not looked for (outreach unknown).
	failures := reportRows(t, dir, "f.csv")
	if want := st["not_attempted"] + st["invalid"] + st["created"]; len(failures) != want {
		t.Errorf("failures file has %d rows, want %d", len(failures), want)
	}
}

func TestImportSecondSignalStopsAtOnce(t *testing.T) {
	t.Parallel()
	const latency = 3 * time.Second // every answer, the key check's included
	srv := topotest.NewServer(topotest.Options{Latency: latency})
	defer srv.Close()
	dir := t.TempDir()
	cmd := process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		"import", "--rate", "0", "--grace", "1m", "--report", "r.csv", "--failures", "f.csv", generated(t, 100))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); srv.Stats().Requests == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // the key check is answered only after the latency
	}
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130", err)
	}
	// The request in flight had most of its latency and a minute of grace
	// left: only the second signal can have ended the run before that.
	if waited := time.Since(start); waited >= latency {
		t.Errorf("the second signal took %v to stop the run", waited)
	}
	recs, err := csv.NewReader(strings.NewReader(readFile(t, dir, "r.csv"))).ReadAll()
	if err != nil || len(recs)-1 != 100 || statuses(recs[1:])["created"] != 0 {
		t.Errorf("report after a second signal: %d rows, %v (%v)\n%s", len(recs)-1, statuses(recs[1:]), err, readFile(t, dir, "r.csv"))
	}
}

// TestImportFlagsTakeEffect runs the flags that the other tests leave at
// their defaults, and checks each did what --help says.
func TestImportFlagsTakeEffect(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{Latency: 300 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	in := filepath.Join(dir, "crm.txt")
	os.WriteFile(in, []byte("Work E-mail|Why\nA@Example.com|unsubscribed\n"), 0o644)
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	args := []string{"import", "--map", "email=Work E-mail", "--map", "reason=Why", "--delimiter", "|",
		"--encoding", "utf-8", "--retries", "1", "--lookup-retries", "1", "--journal", "custom.journal",
		"--report", "r.csv", "--failures", "f.csv"}
	// A timeout shorter than every answer: the key check, a read, gives
	// up after --lookup-retries 1, that is two attempts, and nothing is
	// sent.
	res := runBinaryEnv(t, dir, "", env, append(args, "--timeout", "50ms", in)...)
	rows := reportRows(t, dir, "r.csv")
	if res.code != 3 || rows[0][1] != "not_attempted" || !strings.Contains(rows[0][10], "timed out (after 2 attempts)") {
		t.Fatalf("--timeout 50ms: exit %d, rows %q\n%s", res.code, rows, res.stderr)
	}
	res = runBinaryEnv(t, dir, "", env, append(args, "--timeout", "10s", in)...)
	rows = reportRows(t, dir, "r.csv")
	if res.code != 0 || len(rows) != 1 || rows[0][1] != "created" || rows[0][3] != "a@example.com" || rows[0][5] != "UNSUBSCRIBED" {
		t.Fatalf("exit %d, rows %q\n%s", res.code, rows, res.stderr)
	}
	if j := readFile(t, dir, "custom.journal"); !strings.Contains(j, `"i":2`) || !strings.Contains(j, `"done"`) {
		t.Errorf("--journal: custom.journal lacks the intent or the completion:\n%s", j)
	}
}

func TestMockServerFaultFlags(t *testing.T) {
	t.Parallel()
	url, key, _ := startMock(t, "--fail-rate", "1", "--latency", "1ms")
	srv := &topotest.Server{URL: url}
	res, rows, _ := importRun(t, srv, key, sample(t, "dashboard.csv"), "--retries", "0")
	if res.code != 1 || statuses(rows)["failed"] != 7 || rows[0][8] != "503" {
		t.Errorf("against --fail-rate 1: exit %d, statuses %v", res.code, statuses(rows))
	}
}

// TestAShortRunLearnsNoLimit: --rate auto (the default) climbs towards
// the limit Topo states, but a run of a second proves nothing about what
// Topo accepts for long: nothing is remembered as Topo's limit (a 12-row
// run once taught every later run a wrong one). What is remembered is
// keyed by hashes of the URL and key, never either (the pacer's own tests
// prove what a long run learns).
func TestAShortRunLearnsNoLimit(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{Rate: 100, Burst: 5})
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	first := runBinaryEnv(t, dir, "", env, "import", "--rate", "auto", "--summary", "s1.json", "--report", "r1.csv", "--failures", "f1.csv", generated(t, 60))
	if first.code != 1 { // generated lists hold invalid rows
		t.Fatalf("exit %d\n%s", first.code, first.stderr)
	}
	var sum struct {
		Send struct {
			Climb float64 `json:"rate_limit_climb_seconds"`
			Exact bool    `json:"rate_limit_exact"`
		} `json:"send"`
	}
	if err := json.Unmarshal([]byte(readFile(t, dir, "s1.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Send.Exact || sum.Send.Climb <= 0 {
		t.Errorf("a one-second run: climbed %vs, exact %v; want a climb, and no limit called exact", sum.Send.Climb, sum.Send.Exact)
	}
	cache, _ := os.ReadFile(filepath.Join(home(t), "cache", "topo-exclusions", "rate-limits.json"))
	if strings.Contains(string(cache), `"exact": true`) || strings.Contains(string(cache), topotest.DefaultToken) || strings.Contains(string(cache), "127.0.0.1") {
		t.Errorf("cache:\n%s", cache)
	}
}
