package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// A pipe given as a path (`import <(gen)`, /dev/stdin, /dev/fd/N, a named
// pipe) is read once, like standard input: copied beside the journal by a
// command that writes to Topo, and read from the copy.

// people is a list of n people who must not be contacted, each row
// valid; prefix keeps the people of two lists apart.
func people(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("email,reason\n")
	for i := range n {
		fmt.Fprintf(&b, "%s.%d@example.com,unsubscribed\n", prefix, i)
	}
	return b.String()
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until ok or a minute has passed (a deadline, not a
// timing assertion: a busy machine only makes it slower).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// exitCode is how a finished command exited.
func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// pipedRun runs the binary with list written into a pipe the command
// knows as the path /dev/fd/3, as `import <(gen)` hands one over.
func pipedRun(t *testing.T, dir string, env []string, list string, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := process(t, dir, env, append(args, "/dev/fd/3")...)
	cmd.ExtraFiles = []*os.File{r}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	go func() {
		_, _ = io.WriteString(w, list)
		w.Close()
	}()
	err = cmd.Wait()
	w.Close()
	return exitCode(err), out.String()
}

// TestAPipeGivenAsAPathIsReadOnce: every row of a piped list is sent,
// once, the outputs are named as for standard input in the working
// folder, the same bytes piped again are known as already run, and other
// bytes are a run of their own, on a Topo that would accept duplicates.
func TestAPipeGivenAsAPathIsReadOnce(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true})
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	list := people("piped", 2200)
	code, out := pipedRun(t, dir, env, list, "import")
	if st := statuses(reportRows(t, dir, "stdin.report.csv")); code != 0 || st["created"] != 2200 || srv.Stats().Created != 2200 {
		t.Fatalf("import of a pipe: exit %d, %v, Topo created %d\n%s", code, st, srv.Stats().Created, out)
	}
	code, out = pipedRun(t, dir, env, list, "import")
	if code != 0 || !strings.Contains(out, "already run to the end") || srv.Stats().Created != 2200 {
		t.Fatalf("the same bytes piped again: exit %d, Topo created %d\n%s", code, srv.Stats().Created, out)
	}
	code, out = pipedRun(t, dir, env, people("other", 500), "import", "--report", "other.csv", "--failures", "otherf.csv")
	if st := statuses(reportRows(t, dir, "other.csv")); code != 0 || st["created"] != 500 || srv.Stats().Created != 2700 {
		t.Fatalf("other bytes piped: exit %d, %v, Topo created %d\n%s", code, st, srv.Stats().Created, out)
	}
	if n := srv.Stats().DuplicateCreates; n != 0 {
		t.Errorf("%d duplicates", n)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.stdin*")); len(left) > 0 {
		t.Errorf("the spools of completed runs are left: %v", left)
	}
}

// TestDevStdinIsStandardInput: /dev/stdin as the path is read once, and
// no output goes into /dev.
func TestDevStdinIsStandardInput(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true})
	defer srv.Close()
	dir := t.TempDir()
	for _, args := range [][]string{{"validate"}, {"import"}} {
		cmd := process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}, append(args, "/dev/stdin")...)
		cmd.Stdin = strings.NewReader(people("devstdin", 1200))
		out, err := cmd.CombinedOutput()
		if exitCode(err) != 0 {
			t.Fatalf("%s /dev/stdin: %v\n%s", args[0], err, out)
		}
	}
	if st := statuses(reportRows(t, dir, "stdin.validation.csv")); st["valid"] != 1200 {
		t.Errorf("validate /dev/stdin: %v", st)
	}
	if st := statuses(reportRows(t, dir, "stdin.report.csv")); st["created"] != 1200 || srv.Stats().Created != 1200 {
		t.Errorf("import /dev/stdin: %v, Topo created %d", st, srv.Stats().Created)
	}
	for _, name := range []string{"/dev/stdin.report.csv", "/dev/stdin.journal", "/dev/stdin.failures.csv", "/dev/stdin.validation.csv"} {
		if _, err := os.Lstat(name); err == nil {
			t.Errorf("%s was written", name)
		}
	}
}

// TestANamedPipeWithoutAWriterIsSaid: a FIFO nothing writes to yet makes
// the run say what it waits for, sending nothing; a writer then lets it
// run; a signal while it waits ends it at once, exit 130.
func TestANamedPipeWithoutAWriterIsSaid(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{NotUnique: true})
	defer srv.Close()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "optouts.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	start := func() (*exec.Cmd, *lockedBuffer) {
		cmd := process(t, dir, env, "import", "optouts.fifo")
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the message about the FIFO", func() bool { return strings.Contains(out.String(), "waiting for a writer") })
		return cmd, &out
	}

	cmd, out := start()
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests while waiting for the list", n)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, people("fifo", 700))
	w.Close()
	if err := cmd.Wait(); exitCode(err) != 0 || srv.Stats().Created != 700 {
		t.Fatalf("after a writer came: %v, Topo created %d\n%s", err, srv.Stats().Created, out)
	}
	if st := statuses(reportRows(t, dir, "stdin.report.csv")); st["created"] != 700 {
		t.Errorf("the FIFO's outputs are not named as standard input's: %v", st)
	}

	cmd, out = start()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); exitCode(err) != 130 || strings.Contains(out.String(), "context canceled") {
		t.Errorf("a stop while waiting: %v\n%s", err, out)
	}
}

// TestARemovalPromptCountsAPipeOnce: the confirmation prompt counts the
// rows of a named pipe from the copy, not by reading the pipe again (it
// would wait for ever, or count nothing), and every row is then removed.
func TestARemovalPromptCountsAPipeOnce(t *testing.T) {
	t.Parallel()
	srv := loaded(t, 10, topotest.Options{})
	dir := t.TempDir()
	fifo := filepath.Join(dir, "optins.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		io.WriteString(w, "email\nperson.1@example.com\nperson.2@example.com\nperson.3@example.com\n")
		w.Close()
	}()
	var out, errb strings.Builder
	e := inProcess(t, dir, strings.NewReader("yes\n"), &out, &errb, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL})
	e.StdinTTY, e.StderrTTY = true, true
	code := run(e, unpaced([]string{"remove", "--lift-optouts", fifo}))
	<-done
	if code != 0 || len(srv.Records()) != 7 || !strings.Contains(errb.String(), "Remove the exclusions that 3 rows of "+fifo+" name") {
		t.Errorf("exit %d, %d records left\n%s", code, len(srv.Records()), errb.String())
	}
}
