package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
	"go.uber.org/goleak"
	"golang.org/x/text/encoding/unicode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// binary is the built command, shared by the end-to-end tests; testdata
// the project's samples, as an absolute path (tests change directory).
var binary, testdata string

func TestMain(m *testing.M) {
	if book := os.Getenv(bookEnv); book != "" {
		os.Exit(readBook(os.Getenv(readerEnv), book))
	}
	dir, err := os.MkdirTemp("", "topo-exclusions-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "topo-exclusions")
	if testdata, err = filepath.Abs(filepath.Join("..", "..", "testdata")); err != nil {
		panic(err)
	}
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building the binary: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	// Tests write into temporary folders only, never beside the samples.
	for _, pattern := range []string{"*.report.csv", "*.failures.csv", "*.journal*", "*.state*"} {
		if left, _ := filepath.Glob(filepath.Join(testdata, pattern)); len(left) > 0 {
			fmt.Fprintln(os.Stderr, "tests left files in testdata:", left)
			code = 1
		}
	}
	if code == 0 {
		// Every in-process fake API and client must be gone by now.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// homes are each test's own HOME, state and cache folders, so that the
// registry of runs and the learnt rates never leak between tests.
var homes sync.Map

func home(t *testing.T) string {
	if h, ok := homes.Load(t); ok {
		return h.(string)
	}
	h := t.TempDir()
	homes.Store(t, h)
	return h
}

// testEnv is the environment a test's command sees: its own home and
// folders, no TOPO_* variables unless given.
func testEnv(t *testing.T, extra []string) map[string]string {
	h := home(t)
	m := map[string]string{"HOME": h, "XDG_STATE_HOME": filepath.Join(h, "state"), "XDG_CACHE_HOME": filepath.Join(h, "cache")}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// runBinary runs the command in-process in dir with stdin, in an
// environment without TOPO_* variables.
func runBinary(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	return runBinaryEnv(t, dir, stdin, nil, args...)
}

// runBinaryEnv is runBinary with extra environment variables. It calls
// run in this process: only signals, kill -9 and locks between processes
// need the built binary (see process).
func runBinaryEnv(t *testing.T, dir, stdin string, extra []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(inProcess(t, dir, strings.NewReader(stdin), &out, &errb, extra), unpaced(args))
	return result{code, out.String(), errb.String()}
}

// inProcess is the surroundings of a command run in this process: dir as
// its working directory, the test's own home and environment (plus
// extra), a backoff of a millisecond, so that retries cost no time, and
// a journal whose syncs only flush: a process that is not killed loses
// nothing in the page cache. Crashes are the built binary's tests, with
// real fsyncs.
func inProcess(t *testing.T, dir string, stdin io.Reader, stdout, stderr io.Writer, extra []string) *env {
	vars := testEnv(t, extra)
	return &env{Env: importer.Env{
		Dir: dir, Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Getenv:  func(k string) string { return vars[k] },
		Backoff: func(int) time.Duration { return time.Millisecond },
		Sync:    func(*os.File) error { return nil },
	}}
}

// unpaced adds --rate 0 to a command that talks to Topo and was given no
// --rate: the fake API in these tests has no limit (or its own), and the
// default --rate auto would spend a second climbing in every run. Pacing
// is tested where it is the subject (TestRateLimitIsRememberedPerAPIAndKey
// passes --rate auto, the pacer's own tests, BenchmarkImportPacing). It
// adds --settle-delay 1ms too, given none: the fake's reads lag no write
// (unless ReadLag says so, and those tests set their own), and two
// seconds a lost answer made the chaos tests minutes long.
func unpaced(args []string) []string {
	if len(args) == 0 || !slices.Contains([]string{"import", "plan", "remove", "export"}, args[0]) {
		return args
	}
	rate, settle := true, args[0] != "export"
	for _, a := range args {
		switch {
		case a == "--rate" || strings.HasPrefix(a, "--rate=") || a == "--dry-run":
			rate = false
		case a == "--settle-delay" || strings.HasPrefix(a, "--settle-delay="):
			settle = false
		}
	}
	extra := []string{args[0]}
	if rate {
		extra = append(extra, "--rate", "0")
	}
	if settle {
		extra = append(extra, "--settle-delay", "1ms")
	}
	return append(extra, args[1:]...)
}

// process is the built binary as a command, in dir, with the test's own
// environment.
func process(t *testing.T, dir string, extra []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, unpaced(args)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TOPO_") && !strings.HasPrefix(kv, "XDG_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range testEnv(t, extra) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func sample(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testdata, name)
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdata, "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/topo-exclusions -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from its golden file.\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestValidateSamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		flags []string
		code  int
	}{
		{"dashboard.csv", nil, 0},
		{"excel-bom-semicolon.csv", nil, 1},
		{"excel-unicode.txt", nil, 1},
		{"windows-1252.csv", nil, 0},
		{"messy.csv", []string{"--default-reason", "other"}, 1},
		{"email-only.csv", []string{"--default-reason", "unsubscribed"}, 1},
		{"accounts.csv", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"validate", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json"}, tt.flags...)
			res := runBinary(t, dir, "", append(args, sample(t, tt.file))...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, tt.code, res.stderr)
			}
			golden(t, tt.file+".report.csv", readFile(t, dir, "r.csv"))
			golden(t, tt.file+".failures.csv", readFile(t, dir, "f.csv"))
			var sum struct {
				Rows     int            `json:"rows"`
				Counts   map[string]int `json:"counts"`
				ExitCode int            `json:"exit_code"`
			}
			if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.ExitCode != tt.code || sum.Rows != sum.Counts["valid"]+sum.Counts["invalid"]+sum.Counts["duplicate"] {
				t.Errorf("summary %+v does not add up", sum)
			}
			if !strings.Contains(res.stderr, "report:   r.csv") {
				t.Errorf("stderr does not say where the report is:\n%s", res.stderr)
			}
		})
	}
}

// TestFailuresFileGoesBackIn proves the failures file is an input as it
// stands: read again, it yields exactly its own rows, all still invalid.
func TestFailuresFileGoesBackIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := runBinary(t, dir, "", "validate", "--default-reason", "other", "--report", "r1.csv", "--failures", "f1.csv", sample(t, "messy.csv"))
	if first.code != 1 {
		t.Fatalf("first run exit %d: %s", first.code, first.stderr)
	}
	again := runBinary(t, dir, "", "validate", "--default-reason", "other", "--report", "r2.csv", "--failures", "f2.csv", "f1.csv")
	if again.code != 1 {
		t.Fatalf("second run exit %d: %s", again.code, again.stderr)
	}
	// The same rows come back in the same order; only rows that were
	// malformed CSV may now pass, since the failures file quotes properly.
	f1 := csvRecords(t, readFile(t, dir, "f1.csv"))
	r2 := csvRecords(t, readFile(t, dir, "r2.csv"))
	if len(r2) != len(f1) {
		t.Fatalf("%d rows came back from %d", len(r2)-1, len(f1)-1)
	}
	for i := 1; i < len(f1); i++ {
		status, email, firstErr := r2[i][1], r2[i][3], f1[i][7]
		if want := strings.TrimSpace(f1[i][2]); status == "valid" && email != strings.ToLower(want) {
			t.Errorf("row %d: email %q came back as %q", i+1, want, email)
		}
		if status != "invalid" && !strings.HasPrefix(firstErr, "malformed row") {
			t.Errorf("row %d was invalid (%s) and came back %s", i+1, firstErr, status)
		}
	}
}

// csvRecords reads CSV text: comma-separated, or tab-separated (a
// failures file) when its first line holds a tab.
func csvRecords(t *testing.T, s string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(s))
	if head, _, _ := strings.Cut(s, "\n"); strings.Contains(head, "\t") {
		r.Comma = '\t'
	}
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestStdinAndDryRunAgree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := readFile(t, "", sample(t, "excel-bom-semicolon.csv"))
	a := runBinary(t, dir, input, "validate", "--report", "-", "--failures", "fa.csv", "-")
	b := runBinary(t, dir, "", "import", "--dry-run", "--report", "-", "--failures", "fb.csv", sample(t, "excel-bom-semicolon.csv"))
	if a.code != 1 || b.code != 1 {
		t.Fatalf("exit codes %d and %d, want 1 and 1", a.code, b.code)
	}
	if a.stdout == "" || a.stdout != b.stdout {
		t.Errorf("validate from stdin and import --dry-run disagree:\n%s\n---\n%s", a.stdout, b.stdout)
	}
}

func TestSetupErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, body := range map[string]string{"names.csv": "name,company\nAnn,Acme\n", "ok.csv": "email,reason\na@b.co,other\n", "key": "k\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no reason column", []string{"validate", sample(t, "email-only.csv")}, `(the header has "Email Address", "First Name", "Last Name", "Unsubscribe Date"): name one with --map reason="Column Name", or pass --default-reason`},
		{"no key column", []string{"validate", "names.csv"}, "no email or linkedin_url column"},
		{"missing file", []string{"validate", "nope.csv"}, "no such file"},
		{"unknown flag", []string{"validate", "--colour", "x.csv"}, "unknown flag: --colour (see 'topo-exclusions validate --help')"},
		{"bad encoding", []string{"validate", "--encoding", "ebcdic", "x.csv"}, "unknown encoding"},
		{"bad delimiter", []string{"validate", "--delimiter", "::", "x.csv"}, "--delimiter"},
		{"bad map", []string{"validate", "--map", "phone=Tel", "x.csv"}, "unknown field"},
		{"no file", []string{"validate"}, "needs exactly one FILE"},
		{"import without a key", []string{"import", sample(t, "dashboard.csv")}, "no API key: set TOPO_API_KEY or pass --token-file"},
		{"import with an empty key file", []string{"import", "--token-file", "ok.csv", sample(t, "dashboard.csv")}, "want one key on one line"},
		{"import over plain http", []string{"import", "--token-file", "key", "--base-url", "http://api.example.com", sample(t, "dashboard.csv")}, "clear text"},
		{"import with a bad rate", []string{"import", "--rate", "-1", sample(t, "dashboard.csv")}, "--rate"},
		{"import with a bad log format", []string{"import", "--log-format", "xml", sample(t, "dashboard.csv")}, "--log-format"},
		{"report over input", []string{"validate", "--report", "ok.csv", "ok.csv"}, "FILE and --report name the same file"},
		{"failures over input", []string{"validate", "--failures", "./ok.csv", "ok.csv"}, "FILE and --failures name the same file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runBinary(t, dir, "", tt.args...)
			if res.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
			}
			if lines := strings.Count(strings.TrimSpace(res.stderr), "\n"); lines != 0 || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("stderr should be one line containing %q:\n%s", tt.want, res.stderr)
			}
		})
	}
	for _, left := range []string{"names.report.csv", "names.journal", "email-only.journal"} {
		if _, err := os.Stat(filepath.Join(dir, left)); !os.IsNotExist(err) {
			t.Errorf("a setup error left %s behind: %v", left, err)
		}
	}
	if res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=k", "TOPO_BASE_URL=http://127.0.0.1:1"}, "import", "names.csv"); res.code != 2 {
		t.Errorf("import of a file without a key column: exit %d", res.code)
	}
	if _, err := os.Stat(filepath.Join(dir, "names.journal")); !os.IsNotExist(err) {
		t.Errorf("an import stopped by its header left a journal: %v", err)
	}
	if got := readFile(t, dir, "ok.csv"); got != "email,reason\na@b.co,other\n" {
		t.Errorf("the input was changed: %q", got)
	}
}

func TestDefaultReportPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(in, []byte("email,reason\na@b.co,other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runBinary(t, dir, "", "validate", in); res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, name := range []string{"list.validation.csv", "list.validation.failures.csv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s not written beside the input: %v", name, err)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"validate", "--help"}, {"import", "--help"}, {"plan", "--help"}, {"mock-server", "--help"}} {
		res := runBinary(t, "", "", args...)
		if res.code != 0 || !strings.Contains(res.stdout, "Usage") {
			t.Errorf("%v: exit %d, stdout %q", args, res.code, res.stdout)
		}
		if args[0] != "--help" && !strings.Contains(res.stdout, "Examples") {
			t.Errorf("%v has no examples", args)
		}
	}
	res := runBinary(t, "", "", "version")
	if res.code != 0 || !strings.Contains(res.stdout, "topo-exclusions") || !strings.Contains(res.stdout, runtime.Version()) {
		t.Errorf("version: exit %d, %q", res.code, res.stdout)
	}
}

// readFile reads an output as text: a failures file, written in UTF-16LE
// for Excel, comes back as UTF-8 without its byte-order mark (its bytes
// are TestFailuresFileOpensInEveryExcel's).
func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte{0xFF, 0xFE}) {
		text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(text)
	}
	return string(b)
}
