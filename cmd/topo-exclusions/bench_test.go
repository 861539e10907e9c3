//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	benchValidate(b, input, benchRows)
	// Issue 21's two yardsticks, each run after ours in the same call:
	// wall time against csvclean, CPU against encoding/csv's bare read
	// (the test binary re-executed as that reader).
	out := b.TempDir()
	ours := cpuOf(b, exec.Command(binary, "validate", "--report", filepath.Join(out, "r.csv"), "--failures", filepath.Join(out, "f.csv"), input))
	floor := exec.Command(os.Args[0])
	floor.Env = append(os.Environ(), readerEnv+"=encoding/csv", bookEnv+"="+input)
	bare := cpuOf(b, floor)
	b.ReportMetric(ours.cpu.Seconds(), "cpu-s")
	b.ReportMetric(ours.cpu.Seconds()/bare.cpu.Seconds(), "cpu-vs-encoding-csv-x")
	if path, err := exec.LookPath("csvclean"); err == nil {
		clean := cpuOf(b, exec.Command(path, "-n", input))
		b.ReportMetric(float64(benchRows)/clean.wall.Seconds(), "csvclean-rows/s")
		b.ReportMetric(ours.wall.Seconds()/clean.wall.Seconds(), "wall-vs-csvclean-x")
	} else {
		b.Log("csvclean not installed (Debian: apt-get install csvkit): no wall-time comparison")
	}
}

// spent is a process's wall time and CPU time (user and system).
type spent struct{ wall, cpu time.Duration }

func cpuOf(b *testing.B, cmd *exec.Cmd) spent {
	d, _, _ := measure(b, cmd)
	return spent{d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
}

// runMeasured runs a command to its end and returns its wall time and
// peak resident set size in bytes.
func runMeasured(b *testing.B, name string, args ...string) (time.Duration, int64) {
	d, rss, _ := measure(b, exec.Command(name, args...))
	return d, rss
}

// measure runs cmd to its end and returns its wall time, its peak
// resident set size in bytes, and its standard output.
func measure(b *testing.B, cmd *exec.Cmd) (time.Duration, int64, []byte) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 1) {
		b.Fatalf("%s: %v\n%s", cmd.Path, err, stderr.String())
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return d, rss, out
}

// BenchmarkValidateTenMillion validates 10,000,000 generated rows (a
// tenth of them duplicates) with the binary: the duplicate set and the
// rest of the run must stay flat (issue 12: peak under 200 MiB).
func BenchmarkValidateTenMillion(b *testing.B) {
	const rows = 10_000_000
	input := filepath.Join(b.TempDir(), "ten-million.csv")
	f, err := os.Create(input)
	if err != nil {
		b.Fatal(err)
	}
	if err := listgen.Write(f, listgen.Spec{Rows: rows, Seed: 10, InvalidEvery: 1000, DuplicateEvery: 10}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	benchValidate(b, input, rows)
}

// BenchmarkWorkbookReaders reads a 1,000,000-row workbook laid out as
// Excel saves it (text in a shared-strings table) with this project's
// reader, excelize's streaming iterator and thedatashed/xlsxreader, each
// in a process of its own, and reports each one's seconds and peak RSS,
// then validates it with the binary. This measurement chose the reader.
func BenchmarkWorkbookReaders(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("TOPO_BENCH_XLSX_ROWS")); err == nil && v > 0 {
		n = v
	}
	book := filepath.Join(b.TempDir(), "excel-saved.xlsx")
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	// Linux counts in a child's peak RSS what its process held before
	// exec, which a fork inherits: writing the workbook here would make
	// every reader's peak read as this process's. A child writes it.
	write := exec.Command(self)
	write.Env = append(os.Environ(), readerEnv+"=write", bookEnv+"="+book, "TOPO_BENCH_XLSX_ROWS="+strconv.Itoa(n))
	if out, err := write.CombinedOutput(); err != nil {
		b.Fatalf("writing the workbook: %v\n%s", err, out)
	}
	secs := map[string]float64{}
	for b.Loop() {
		for _, name := range []string{"ours", "excelize", "xlsxreader"} {
			cmd := exec.Command(self)
			cmd.Env = append(os.Environ(), readerEnv+"="+name, bookEnv+"="+book)
			d, rss, out := measure(b, cmd)
			if got := strings.TrimSpace(string(out)); got != strconv.Itoa(n) {
				b.Fatalf("%s read %q rows, want %d", name, got, n)
			}
			secs[name] = d.Seconds()
			b.ReportMetric(d.Seconds(), name+"-s")
			b.ReportMetric(float64(rss)/(1<<20), name+"-peak-MiB")
		}
		d, rss := runMeasured(b, binary, "validate", "--report", filepath.Join(b.TempDir(), "r.csv"), "--failures", filepath.Join(b.TempDir(), "f.csv"), book)
		b.ReportMetric(d.Seconds(), "validate-s")
		b.ReportMetric(float64(rss)/(1<<20), "validate-peak-MiB")
	}
	b.ReportMetric(secs["ours"]/min(secs["excelize"], secs["xlsxreader"]), "ours-vs-fastest-other")
}

// benchValidate runs validate on input once per iteration and reports
// rows/s and the process's peak RSS.
func benchValidate(b *testing.B, input string, rows int) {
	dir := b.TempDir()
	var elapsed time.Duration
	var peak int64
	for b.Loop() {
		d, rss := runMeasured(b, binary, "validate", "--report", filepath.Join(dir, "r.csv"), "--failures", filepath.Join(dir, "f.csv"), input)
		elapsed += d
		peak = max(peak, rss)
	}
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
}
