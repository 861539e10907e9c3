//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/internal/listgen"
)

const benchRows = 1_000_000

// BenchmarkValidateMillion validates a generated 1,000,000-row list with
// the built binary, report and failures file included, and reports rows/s
// and the process's peak RSS. Beside it, it runs csvkit's `csvclean -n`
// (structure check only) on the same file when that is installed, the
// peer a user already has. `make bench` runs it.
func BenchmarkValidateMillion(b *testing.B) {
	dir := b.TempDir()
	input := filepath.Join(dir, "million.csv")
	f, err := os.Create(input)
	if err != nil {
		b.Fatal(err)
	}
	spec := listgen.Spec{Rows: benchRows, Seed: 1, InvalidEvery: 200, DuplicateEvery: 100}
	if err := listgen.Write(f, spec); err != nil {
		b.Fatal(err)
	}
	f.Close()
	var elapsed time.Duration
	var peak int64
	for b.Loop() {
		d, rss := runMeasured(b, binary, "validate", "--report", filepath.Join(dir, "r.csv"), "--failures", filepath.Join(dir, "f.csv"), input)
		elapsed += d
		peak = max(peak, rss)
	}
	b.ReportMetric(float64(benchRows*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	if path, err := exec.LookPath("csvclean"); err == nil {
		d, _ := runMeasured(b, path, "-n", input)
		b.ReportMetric(float64(benchRows)/d.Seconds(), "csvclean-rows/s")
	}
}

// runMeasured runs a command to its end and returns its wall time and
// peak resident set size in bytes.
func runMeasured(b *testing.B, name string, args ...string) (time.Duration, int64) {
	cmd := exec.Command(name, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 1) {
		b.Fatalf("%s: %v\n%s", name, err, out)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return d, rss
}
