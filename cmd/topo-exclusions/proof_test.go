package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// Each test here proves one rule of the command end to end; each was once
// broken on purpose (a bug planted) to see it fail.

// TestForceLooksEveryRowUpBeforeSending: --force runs a completed input
// again, and every row is looked up first: on a server that would store a
// repeat, nothing is created twice.
func TestForceLooksEveryRowUpBeforeSending(t *testing.T) {
	t.Parallel()
	srv, env := onNonUnique(t, topotest.Options{})
	dir := t.TempDir()
	input := generated(t, 60)
	args := []string{"import", "--snapshot", "never", "--report", "r.csv", "--failures", "f.csv", input}
	if res := runBinaryEnv(t, dir, "", env, args...); res.code != 1 {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	created := srv.Stats().Created
	res := runBinaryEnv(t, dir, "", env, append([]string{"import", "--force"}, args[1:]...)...)
	if res.code != 1 {
		t.Fatalf("--force: exit %d\n%s", res.code, res.stderr)
	}
	noDuplicates(t, srv)
	if st := statuses(reportRows(t, dir, "r.csv")); srv.Stats().Created != created || st["exists"] != created {
		t.Errorf("--force: %d records now (%d before), report %v: every row should be found, none sent", srv.Stats().Created, created, st)
	}
}

// TestOneInterruptLeavesAHalfReadValidationPartial: validate stopped
// once while reading is not complete, so its report must not take its
// final name.
func TestOneInterruptLeavesAHalfReadValidationPartial(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pr, pw := io.Pipe()
	stop := make(chan struct{})
	go func() {
		defer pw.Close()
		io.WriteString(pw, "email,reason\n")
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := fmt.Fprintf(pw, "p%d@example.com,other\n", i); err != nil {
				return // the run stopped reading
			}
		}
	}()
	defer func() { close(stop); pr.Close() }()
	r := startCLI(t, dir, pr, nil, "validate", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json", "-")
	time.Sleep(50 * time.Millisecond) // reading under way; the rows never end
	r.soft()
	res := r.wait(t)
	if res.code != 130 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.csv")); err == nil {
		t.Error("a report of a half-read input took its final name")
	}
	if partial, _ := filepath.Glob(filepath.Join(dir, "r.partial.csv")); len(partial) != 1 {
		t.Errorf("no partial report: %v", partial)
	}
	if s := readFile(t, dir, "s.json"); !strings.Contains(s, `"partial": true`) {
		t.Errorf("the summary does not say the outputs are partial:\n%s", s)
	}
}

// TestFailuresIntoAFolderIsAUsageError: a --failures path that is a
// folder, with the report on standard output, is exit 2 with the summary
// written (it once panicked).
func TestFailuresIntoAFolderIsAUsageError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "out"), 0o755)
	os.WriteFile(filepath.Join(dir, "list.csv"), []byte("email,reason\na@b.co,other\n"), 0o644)
	res := runBinary(t, dir, "", "validate", "--report", "-", "--failures", "out", "--summary", "s.json", "list.csv")
	if res.code != 2 || !strings.Contains(res.stderr, "--failures out is a folder") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if s := readFile(t, dir, "s.json"); !strings.Contains(s, `"exit_code": 2`) {
		t.Errorf("summary:\n%s", s)
	}
}

// TestEveryWriteIsDurableBeforeItGoesOut: each POST leaves only once its
// row's intent is in the journal and synced. A sync that records the
// durable length and a transport that reads the journal's durable part
// before each POST check it, row by row.
func TestEveryWriteIsDurableBeforeItGoesOut(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{Latency: time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	input := generated(t, 200)
	journal := filepath.Join(dir, "r.journal")
	var mu sync.Mutex
	durable := int64(0)
	sync := func(f *os.File) error {
		if err := f.Sync(); err != nil {
			return err
		}
		st, err := f.Stat()
		if err == nil && f.Name() == journal {
			mu.Lock()
			durable = max(durable, st.Size())
			mu.Unlock()
		}
		return err
	}
	rowOf := map[string]int{} // the key a POST carries → its first row, from the input
	for i, line := range strings.Split(readFile(t, "", input), "\n")[1:] {
		cells := strings.Split(strings.ToLower(line), ",")
		if len(cells) < 2 {
			continue
		}
		email := strings.TrimPrefix(cells[0], "mailto:")
		_, slug, _ := strings.Cut(cells[1], "/in/")
		slug, _, _ = strings.Cut(slug, "?")
		for _, key := range []string{email, "https://www.linkedin.com/in/" + strings.TrimSuffix(slug, "/")} {
			if _, seen := rowOf[key]; !seen {
				rowOf[key] = i + 2
			}
		}
	}
	var problems []string
	check := func(r *http.Request) {
		if r.Method == http.MethodPatch {
			id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			mu.Lock()
			defer mu.Unlock()
			data, _ := os.ReadFile(journal)
			if !intended(data[:min(durable, int64(len(data)))], `"op":"u"`, `"id":"`+id+`"`) {
				problems = append(problems, fmt.Sprintf("the update of %s was sent before its intent was durable", id))
			}
			return
		}
		if r.Method != http.MethodPost {
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var d struct {
			Email       string `json:"email"`
			LinkedInURL string `json:"linkedin_url"`
		}
		json.Unmarshal(body, &d)
		row, ok := rowOf[d.Email]
		if !ok {
			row = rowOf[d.LinkedInURL]
		}
		mu.Lock()
		defer mu.Unlock()
		data, _ := os.ReadFile(journal)
		n := min(durable, int64(len(data)))
		if !bytes.Contains(data[:n], fmt.Appendf(nil, `{"i":%d,`, row)) {
			problems = append(problems, fmt.Sprintf("row %d (%s) was sent before its intent was durable", row, d.Email))
		}
	}
	// Some of the people are excluded already, for less long than the
	// list asks: they are extended, with a PATCH each.
	if err := srv.Load(strings.NewReader(`[{"email":"person.1@example1.com","reason":"OTHER","until":"2030-01-01T00:00:00Z"},
		{"email":"person.2@example2.com","reason":"OTHER","until":"2030-01-01T00:00:00Z"}]`)); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	e := inProcess(t, dir, nil, &out, &errb, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL})
	e.Sync = sync
	e.HTTP = &http.Client{Transport: inspect{check: check}}
	code := run(e, []string{"import", "--rate", "0", "--snapshot", "never", "--report", "r.csv", "--failures", "f.csv", input})
	if code != 1 || srv.Stats().Created == 0 || srv.Stats().ByMethod[http.MethodPatch] == 0 {
		t.Fatalf("exit %d, %d created, %d PATCHes\n%s", code, srv.Stats().Created, srv.Stats().ByMethod[http.MethodPatch], errb.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("%d of %d writes went out before their intent was durable, e.g. %s", len(problems), srv.Stats().Posts, problems[0])
	}
}

// inspect is a transport that calls check with each request before it
// goes out.
type inspect struct{ check func(*http.Request) }

func (i inspect) RoundTrip(r *http.Request) (*http.Response, error) {
	i.check(r)
	return http.DefaultTransport.RoundTrip(r)
}

// intended says whether a line of the journal holds all of parts.
func intended(journal []byte, parts ...string) bool {
	for _, line := range strings.Split(string(journal), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestStrayWindows1252BytesAreSaid: a UTF-8 file (so its first 64 KiB
// say) with a row pasted from a Windows tool further down is read, and
// the bytes read as Windows-1252 are counted in a warning.
func TestStrayWindows1252BytesAreSaid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("email,reason,message\n")
	for i := 0; b.Len() < 70<<10; i++ {
		fmt.Fprintf(&b, "p%d@x.co,other,ok ✓\n", i)
	}
	b.WriteString("ann@x.co,other,caf\xe9 cr\xe8me\n")
	os.WriteFile(filepath.Join(dir, "mixed.csv"), []byte(b.String()), 0o644)
	res := runBinary(t, dir, "", "validate", "--summary", "s.json", "mixed.csv")
	if res.code != 0 || !strings.Contains(res.stderr, "2 bytes of the UTF-8 input were not UTF-8") || !strings.Contains(readFile(t, dir, "s.json"), "read as Windows-1252") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
}
