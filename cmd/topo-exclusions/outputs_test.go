package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
	"github.com/topo-io/topo-exclusions/internal/listgen"
)

// running is a command started in-process, with its three stops.
type running struct {
	soft, hard, cut func()
	done            chan result
}

// startCLI starts run in dir with the test's environment (plus extra),
// stdin, and stops the test can pull as signals would.
func startCLI(t *testing.T, dir string, stdin io.Reader, extra []string, args ...string) *running {
	t.Helper()
	soft, cancelSoft := context.WithCancelCause(context.Background())
	hard, cancelHard := context.WithCancel(context.Background())
	cut, cancelCut := context.WithCancel(context.Background())
	r := &running{soft: func() { cancelSoft(context.Canceled) }, hard: cancelHard, cut: cancelCut, done: make(chan result, 1)}
	go func() {
		var out, errb bytes.Buffer
		e := inProcess(t, dir, stdin, &out, &errb, extra)
		e.soft, e.Hard, e.Cut = soft, hard, cut
		// The watchdog's 10 s bound real time: on a busy machine, 20,000
		// rows may take longer to record after the second stop.
		e.Watchdog = time.Minute
		code := run(e, args)
		r.done <- result{code, out.String(), errb.String()}
	}()
	t.Cleanup(func() { cancelSoft(nil); cancelHard(); cancelCut() })
	return r
}

func (r *running) wait(t *testing.T) result {
	t.Helper()
	select {
	case res := <-r.done:
		return res
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not end")
		return result{}
	}
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// TestSecondStopStillCompletesTheOutputs is the 200,000 rows,
// stopped twice 0.3 s apart while requests are in flight: exit 130, every
// row in the report, the failures file complete (feeding it back loses
// nothing), and nothing partial anywhere.
func TestSecondStopStillCompletesTheOutputs(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{Latency: 50 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	input := filepath.Join(dir, "big.csv")
	f, _ := os.Create(input)
	listgen.Write(f, listgen.Spec{Rows: 20_000, Seed: 9, InvalidEvery: 50})
	f.Close()
	r := startCLI(t, dir, nil, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		"import", "--rate", "0", "--concurrency", "8", "--summary", "s.json", input)
	for deadline := time.Now().Add(time.Minute); srv.Stats().Created < 50 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	r.soft()
	time.Sleep(300 * time.Millisecond)
	r.hard()
	res := r.wait(t)
	if res.code != 130 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if n := lines(t, filepath.Join(dir, "big.report.csv")); n != 20_001 {
		t.Errorf("the report has %d lines, want the header and 20,000 rows", n)
	}
	var sum struct {
		Rows        int            `json:"rows"`
		Counts      map[string]int `json:"counts"`
		FailureRows int            `json:"failure_rows"`
		Status      string         `json:"status"`
		Error       string         `json:"error"`
		Resume      string         `json:"resume"`
	}
	if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if n := lines(t, filepath.Join(dir, "big.failures.csv")) - 1; n != sum.FailureRows || sum.Counts["not_attempted"] < 15_000 {
		t.Errorf("the failures file has %d rows; the summary says %d need action (%v)", n, sum.FailureRows, sum.Counts)
	}
	if sum.Status != "interrupted" || !strings.Contains(sum.Error, "rows not sent") || !strings.Contains(sum.Resume, "run the same command again") {
		t.Errorf("summary: %+v", sum)
	}
	if partial, _ := filepath.Glob(filepath.Join(dir, "*partial*")); len(partial) > 0 {
		t.Errorf("partial files after a second stop: %v", partial)
	}
	if !strings.Contains(res.stderr, "not sent") || strings.Contains(res.stderr, "context canceled") {
		t.Errorf("stderr should say how many rows were not sent, and no Go error:\n%s", res.stderr)
	}
	// What it says is the report's count, and rows cut off in flight are
	// not among the "not sent": they may have reached Topo.
	said := fmt.Sprintf("interrupted: %s rows not sent", grouped(sum.Counts["not_attempted"]))
	if n := sum.Counts["unknown"]; n > 0 {
		said += fmt.Sprintf(", %s perhaps sent", map[bool]string{true: "1 row", false: grouped(n) + " rows"}[n == 1])
	}
	if !strings.Contains(sum.Error, said) || !strings.Contains(res.stderr, said) {
		t.Errorf("the messages should say %q (the report's counts %v):\n%s", said, sum.Counts, sum.Error)
	}
	if !strings.Contains(res.stderr, "interrupted again: stopping the requests in flight now") {
		t.Errorf("the second interrupt was not acknowledged:\n%s", res.stderr)
	}
}

// TestThirdStopLeavesVisiblyPartialOutputs: a validate reading a pipe that
// never ends can only be cut. Its outputs then stay under names that say
// so, the summary says what is missing, and nothing partial sits under a
// final name.
func TestThirdStopLeavesVisiblyPartialOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pr, pw := io.Pipe()
	defer pw.Close()
	r := startCLI(t, dir, pr, nil, "validate", "--summary", "s.json", "-")
	// More than the 64 KiB the reader sniffs the encoding from, then
	// nothing more, ever.
	io.WriteString(pw, "email,reason\na@example.com,other\n"+strings.Repeat("b@example.com,other\n", 5000))
	time.Sleep(200 * time.Millisecond)
	r.soft()
	r.hard()
	r.cut()
	res := r.wait(t)
	if res.code != 130 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "interrupted a third time: the outputs are left partial") {
		t.Errorf("the third interrupt was not acknowledged:\n%s", res.stderr)
	}
	for _, final := range []string{"stdin.validation.csv", "stdin.validation.failures.csv"} {
		if _, err := os.Stat(filepath.Join(dir, final)); err == nil {
			t.Errorf("%s exists: a cut-short output sits under its final name", final)
		}
	}
	report := readFile(t, dir, "stdin.validation.partial.csv")
	if !strings.Contains(report, "a@example.com") {
		t.Errorf("the partial report lacks what was read:\n%s", report)
	}
	s := readFile(t, dir, "s.json")
	if !strings.Contains(s, `"partial": true`) || !strings.Contains(s, "stdin.validation.partial.csv") || !strings.Contains(s, `"status": "partial"`) {
		t.Errorf("the summary does not say the outputs are partial:\n%s", s)
	}
	if !strings.Contains(res.stderr, "PARTIAL") {
		t.Errorf("stderr does not say the outputs are partial:\n%s", res.stderr)
	}
}

// TestOutputsReplaceSymlinksNeverTheirTargets: a report that is a
// symbolic link is replaced by the new report; its target is untouched.
// A lock that is a link is refused.
func TestOutputsReplaceSymlinksNeverTheirTargets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "precious.txt")
	os.WriteFile(target, []byte("keep me\n"), 0o644)
	in := filepath.Join(dir, "list.csv")
	os.WriteFile(in, []byte("email,reason\na@example.com,other\n"), 0o644)
	os.Symlink(target, filepath.Join(dir, "list.validation.csv"))
	if res := runBinary(t, dir, "", "validate", in); res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me\n" {
		t.Errorf("the link's target was overwritten: %q", b)
	}
	if st, _ := os.Lstat(filepath.Join(dir, "list.validation.csv")); st.Mode()&os.ModeSymlink != 0 || !strings.Contains(readFile(t, dir, "list.validation.csv"), "a@example.com") {
		t.Error("the report did not replace the link")
	}

	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	os.Symlink(target, filepath.Join(dir, "list.journal.lock"))
	res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}, "import", in)
	if res.code != 2 || !strings.Contains(res.stderr, "list.journal.lock is a symbolic link") {
		t.Errorf("a lock that is a link: exit %d\n%s", res.code, res.stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me\n" || srv.Stats().ByMethod["GET"] != srv.Stats().Requests {
		t.Errorf("the lock's target was changed (%q) or writes were sent (%+v): only the key check may have been", b, srv.Stats().ByMethod)
	}
}

// TestEveryPathHasOneRole: input, outputs, journal, state and their locks
// are compared before anything is read or sent.
func TestEveryPathHasOneRole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "list.csv")
	os.WriteFile(in, []byte("email,reason\na@example.com,other\n"), 0o644)
	os.Symlink(in, filepath.Join(dir, "alias.csv"))
	env := []string{"TOPO_API_KEY=k", "TOPO_BASE_URL=http://127.0.0.1:1"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--journal", "x", "--state", "x"}, "--journal and --state name the same file"},
		{[]string{"--report", "r.csv", "--journal", "r.csv"}, "--report and --journal name the same file"},
		{[]string{"--summary", "r.csv", "--report", "r.csv"}, "--report and --summary name the same file"},
		{[]string{"--html", "alias.csv"}, "FILE and --html name the same file"},
		{[]string{"--metrics", "list.journal"}, "--metrics and --journal name the same file"},
		{[]string{"--state", "s", "--report", "s.lock"}, "--report and --state's lock name the same file"},
		{[]string{"--report", "-", "--summary", "-"}, "--report and --summary all write to standard output"},
	} {
		res := runBinaryEnv(t, dir, "", env, append(append([]string{"import"}, tc.args...), in)...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d\n%s", tc.args, res.code, res.stderr)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 2 {
		t.Errorf("a refused run left files: %v", left)
	}
}

// TestDryRunsKeepAnImportsProof: validate and plan write files named for
// what they are, and refuse to overwrite an import's report unless forced.
func TestDryRunsKeepAnImportsProof(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	dir := t.TempDir()
	in := filepath.Join(dir, "list.csv")
	os.WriteFile(in, []byte("email,reason\na@example.com,other\n"), 0o644)
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	if res := runBinaryEnv(t, dir, "", env, "import", in); res.code != 0 {
		t.Fatalf("import: exit %d\n%s", res.code, res.stderr)
	}
	proof := readFile(t, dir, "list.report.csv")
	for _, args := range [][]string{{"validate", in}, {"plan", in}} {
		if res := runBinaryEnv(t, dir, "", env, args...); res.code != 0 {
			t.Errorf("%v: exit %d\n%s", args, res.code, res.stderr)
		}
	}
	for _, name := range []string{"list.validation.csv", "list.plan.csv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	res := runBinaryEnv(t, dir, "", env, "validate", "--report", "list.report.csv", in)
	if res.code != 2 || !strings.Contains(res.stderr, "proof") || readFile(t, dir, "list.report.csv") != proof {
		t.Errorf("validate over the import's report: exit %d\n%s", res.code, res.stderr)
	}
	if res := runBinaryEnv(t, dir, "", env, "validate", "--force", "--report", "list.report.csv", in); res.code != 0 {
		t.Errorf("--force: exit %d\n%s", res.code, res.stderr)
	}
}

// TestBigCellNeverBecomesRows: the 1.1 MB message cell with a
// victim@example.com line inside: that address is not imported.
func TestBigCellNeverBecomesRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "list.csv")
	var b strings.Builder
	b.WriteString("email,reason,message\nfirst@example.com,other,\"")
	b.WriteString(strings.Repeat("padding ", 1_100_000/8))
	b.WriteString("\nvictim@example.com,unsubscribed,x\n\"\nlast@example.com,other,\n")
	os.WriteFile(in, []byte(b.String()), 0o644)
	res := runBinary(t, dir, "", "validate", "--report", "r.csv", in)
	report := readFile(t, dir, "r.csv")
	if res.code != 1 || strings.Contains(report, "victim") || !strings.Contains(report, "3,valid,,last@example.com") ||
		!strings.Contains(report, "2,invalid,,first@example.com") || len(report) > 10_000 {
		t.Errorf("exit %d, report:\n%.2000s", res.code, report)
	}
}

// TestWorkbookBombIsRefused: the 40 million shared strings in a
// few MB end at once with exit 2 and a message that says why.
func TestWorkbookBombIsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	book := filepath.Join(dir, "bomb.xlsx")
	f, _ := os.Create(book)
	if err := listgen.WriteStringsBomb(f, 40_000_000, ""); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res := runBinary(t, dir, "", "validate", "--summary", "s.json", book)
	if res.code != 2 || !strings.Contains(res.stderr, "refusing the workbook: its shared strings decompress") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(readFile(t, dir, "s.json"), `"exit_code": 2`) {
		t.Error("no summary on exit 2")
	}
}

// TestStoppedMidRunIsExit4: the journal's disk fills up (a file size
// limit here) after requests went out: exit 4, saying to rerun, and the
// rerun (with room) finishes without sending anything twice.
func TestStoppedMidRunIsExit4(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for ulimit")
	}
	srv := topotest.NewServer(topotest.Options{NotUnique: true})
	defer srv.Close()
	dir := t.TempDir()
	input := generated(t, 1000)
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	cmd := process(t, dir, env)
	cmd.Path, _ = exec.LookPath("bash")
	cmd.Args = []string{"bash", "-c", `ulimit -f 64 && exec "$0" import --rate 0 --summary s.json --report r.csv --failures f.csv "$1"`, binary, input}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 4 || !strings.Contains(errb.String(), "run the same command again") {
		t.Fatalf("exit %v\n%s", err, errb.String())
	}
	if !strings.Contains(readFile(t, dir, "s.json"), `"exit_code": 4`) || srv.Stats().Posts == 0 {
		t.Errorf("summary %s; %d POSTs", readFile(t, dir, "s.json"), srv.Stats().Posts)
	}
	res := runBinaryEnv(t, dir, "", env, "import", "--rate", "0", "--report", "r.csv", "--failures", "f.csv", input)
	if res.code != 1 || srv.Stats().DuplicateCreates != 0 {
		t.Errorf("rerun: exit %d, %d keys created twice\n%s", res.code, srv.Stats().DuplicateCreates, res.stderr)
	}
}

// TestResumeLooksUpOnlyWhatMayHaveBeenSent: after a Ctrl-C, the rerun
// looks up the rows that were in flight (unknown), not the rows whose
// intents were journaled ahead but never sent: its "to look up first"
// agrees with the stopped run's counts.
func TestResumeLooksUpOnlyWhatMayHaveBeenSent(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{Latency: 30 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	input := generated(t, 600)
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	args := []string{"import", "--rate", "0", "--concurrency", "4", "--sequences", "off", "--grace", "1ms", "--journal", "j", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json", input}
	r := startCLI(t, dir, nil, env, args...)
	for deadline := time.Now().Add(time.Minute); srv.Stats().Created < 20 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	r.soft()
	if res := r.wait(t); res.code != 130 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var sum struct {
		Counts map[string]int `json:"counts"`
	}
	json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum)
	settled := sum.Counts["created"]
	res := runBinaryEnv(t, dir, "", env, args...)
	want := fmt.Sprintf("%d rows already settled, %d to look up first", settled, sum.Counts["unknown"])
	if !strings.Contains(res.stderr, want) {
		t.Errorf("the resume should say %q after a run that ended %v:\n%s", want, sum.Counts, res.stderr)
	}
	if st := srv.Stats(); res.code != 1 || st.RepeatPosts != 0 {
		t.Errorf("resumed: exit %d, %d repeated POSTs", res.code, st.RepeatPosts)
	}
}
