//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/topo-io/topo-exclusions/importer/topotest"
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

// BenchmarkImportPacing sends 2,000 rows through the fake API with the
// binary and reports the achieved rate as a share of the server's limit
// and the share of requests answered 429 (issue 3's targets: ≥ 97% at
// --rate 20 against a 20/s server; ≥ 90% and ≤ 5% 429s at --rate 40), and
// the client's own overhead with no limit and no latency.
func BenchmarkImportPacing(b *testing.B) {
	input := filepath.Join(b.TempDir(), "2000.csv")
	f, err := os.Create(input)
	if err != nil {
		b.Fatal(err)
	}
	if err := listgen.Write(f, listgen.Spec{Rows: 2000, Seed: 5}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	cases := []struct {
		name       string
		limit      float64
		latency    time.Duration
		clientRate string
	}{
		{"rate20-limit20", 20, 100 * time.Millisecond, "20"},
		{"rate40-limit20", 20, 100 * time.Millisecond, "40"},
		{"unlimited", 0, 0, "0"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var share, throttled, rowsPerSec float64
			for b.Loop() {
				srv := topotest.NewServer(topotest.Options{Rate: c.limit, Burst: 5, Latency: c.latency, Jitter: c.latency / 2})
				dir := b.TempDir()
				cmd := exec.Command(binary, "import", "--rate", c.clientRate, "--concurrency", "8", "--quiet",
					"--report", filepath.Join(dir, "r.csv"), "--failures", filepath.Join(dir, "f.csv"),
					"--summary", filepath.Join(dir, "s.json"), input)
				cmd.Env = append(os.Environ(), "TOPO_API_KEY="+topotest.DefaultToken, "TOPO_BASE_URL="+srv.URL)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
				var sum struct {
					Elapsed float64        `json:"elapsed_seconds"`
					Counts  map[string]int `json:"counts"`
					Send    struct {
						Requests  int `json:"requests"`
						Throttled int `json:"throttled_429"`
					} `json:"send"`
				}
				raw, _ := os.ReadFile(filepath.Join(dir, "s.json"))
				if err := json.Unmarshal(raw, &sum); err != nil {
					b.Fatal(err)
				}
				srv.Close()
				rowsPerSec = float64(sum.Counts["created"]) / sum.Elapsed
				if c.limit > 0 {
					share = rowsPerSec / c.limit
				}
				throttled = float64(sum.Send.Throttled) / float64(sum.Send.Requests)
			}
			b.ReportMetric(rowsPerSec, "rows/s")
			if c.limit > 0 {
				b.ReportMetric(share*100, "%-of-limit")
			}
			b.ReportMetric(throttled*100, "%-429")
		})
	}
}

// BenchmarkValidateWorkbook validates a generated workbook of
// TOPO_BENCH_XLSX_ROWS rows (default 200,000) with the binary and reports
// rows/s and peak RSS: excelize streams the sheet but keeps the shared
// strings table in memory, so memory grows with the distinct strings.
func BenchmarkValidateWorkbook(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("TOPO_BENCH_XLSX_ROWS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	book := filepath.Join(dir, "big.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	sw.SetRow("A1", []any{"email", "linkedin_url", "reason", "message", "until"})
	for i := 2; i <= n+1; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		sw.SetRow(cell, []any{fmt.Sprintf("person.%d@example%d.com", i, i%97), "", "unsubscribed", "imported from CRM", ""})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(book); err != nil {
		b.Fatal(err)
	}
	f.Close()
	benchValidate(b, book, n)
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
