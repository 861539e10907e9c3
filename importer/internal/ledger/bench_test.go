//go:build linux

package ledger

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// resumeChildEnv names the journal a child process of this test binary
// resumes (see TestResumeChild): only a process of its own shows what
// resuming costs in resident memory, the Go runtime and all.
const resumeChildEnv = "LEDGER_RESUME_JOURNAL"

// writeSettledJournal writes the journal of a run of n rows that settled
// every one (an intent and an outcome each) and was killed before it
// could mark itself complete: all of it is read back on resume.
func writeSettledJournal(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	at := time.Date(2026, 11, 1, 2, 15, 0, 0, time.UTC)
	lines := []journalLine{{Journal: 1, FP: &fpA, Started: at.Format(time.RFC3339)}}
	for _, l := range lines {
		_ = enc.Encode(l)
	}
	for row := 2; row < n+2; row++ {
		_ = enc.Encode(journalLine{Intent: row, At: at.UnixMilli() + int64(row)})
		id := fmt.Sprintf("%08x-7d2a-4c1e-9b7f-%012x", row, row*7919)
		_ = enc.Encode(journalLine{Row: row, Status: rows.StatusCreated, ID: id, HTTP: 201, Attempts: 1})
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TestResumeChild is the child process of BenchmarkResumeMillion: it
// resumes the journal it is given as a run does (every row asked whether
// an earlier run settled it, and what it may have sent) and prints how
// many rows were settled.
func TestResumeChild(t *testing.T) {
	path := os.Getenv(resumeChildEnv)
	if path == "" {
		t.Skip("the child process of BenchmarkResumeMillion")
	}
	n, _ := strconv.Atoi(os.Getenv(resumeChildEnv + "_ROWS"))
	j, st, err := OpenJournal(path, fpA, false, Durability{Sync: func(*os.File) error { return nil }})
	if err != nil || st != JournalResumed {
		t.Fatalf("state %v: %v", st, err)
	}
	settled := 0
	for row := 2; row < n+2; row++ {
		o, ok := j.Settled(row)
		if ok && o.Status == rows.StatusCreated && o.ID != "" && !j.Prior(row).MaybeSent {
			settled++
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("settled %d\n", settled)
}

// BenchmarkResumeMillion resumes the journal of a 1,000,000-row run that
// settled every row, in a process of its own, and reports its wall time
// and peak RSS, whole and per settled row (issue 19: under 100 MiB, under
// 2 s, at most ~64 bytes a row).
func BenchmarkResumeMillion(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "million.journal")
	writeSettledJournal(b, path, n)
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestResumeChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), resumeChildEnv+"="+path, resumeChildEnv+"_ROWS="+strconv.Itoa(n))
		start := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(start)
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		want := fmt.Sprintf("settled %d\n", n)
		if string(out[:min(len(out), len(want))]) != want {
			b.Fatalf("the child said %q, want %q", out, want)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		rss := float64(ru.Maxrss * 1024)
		b.ReportMetric(d.Seconds(), "resume-s")
		b.ReportMetric(rss/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(rss/n, "peak-RSS-B/row")
	}
}
