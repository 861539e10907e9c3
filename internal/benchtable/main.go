// Command benchtable reads `go test -bench` output and prints, for each
// figure the project has a target for, the target, what was measured and
// whether it was met. `make bench` ends with it; it exits 1 when a figure
// that was measured missed its target.
//
//	go run ./internal/benchtable bench-output.txt...
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
)

// target is one figure: a benchmark's metric, and the bound it must meet.
type target struct {
	figure string
	bench  string // without the -GOMAXPROCS suffix
	unit   string
	atMost bool // else at least
	bound  float64
	issue  string
}

var targets = []target{
	{"defaults at 5/s: share of the limit used (%)", "BenchmarkImportPacing", "auto-5-%-of-limit", false, 95, "#12"},
	{"defaults at 5/s: requests answered 429 (%)", "BenchmarkImportPacing", "auto-5-%-429", true, 3, "#12"},
	{"defaults at 5/s: seconds the climb to the limit took", "BenchmarkImportPacing", "auto-5-climb-s", true, 10, "#12"},
	{"defaults at 20/s: share of the limit used (%)", "BenchmarkImportPacing", "auto-20-%-of-limit", false, 95, "#12"},
	{"defaults at 20/s: requests answered 429 (%)", "BenchmarkImportPacing", "auto-20-%-429", true, 3, "#12"},
	{"defaults at 20/s: seconds the climb to the limit took", "BenchmarkImportPacing", "auto-20-climb-s", true, 10, "#12"},
	{"defaults at 50/s: share of the limit used (%)", "BenchmarkImportPacing", "auto-50-%-of-limit", false, 95, "#12"},
	{"defaults at 50/s: requests answered 429 (%)", "BenchmarkImportPacing", "auto-50-%-429", true, 3, "#12"},
	{"defaults at 50/s: seconds the climb to the limit took", "BenchmarkImportPacing", "auto-50-climb-s", true, 10, "#12"},
	{"with X-RateLimit headers, 5/s: share of the limit (%)", "BenchmarkImportPacing", "auto-5-headers-%-of-limit", false, 95, "#12"},
	{"with X-RateLimit headers, 5/s: 429s (%)", "BenchmarkImportPacing", "auto-5-headers-%-429", true, 3, "#12"},
	{"with X-RateLimit headers, 20/s: share of the limit (%)", "BenchmarkImportPacing", "auto-20-headers-%-of-limit", false, 95, "#12"},
	{"with X-RateLimit headers, 20/s: 429s (%)", "BenchmarkImportPacing", "auto-20-headers-%-429", true, 3, "#12"},
	{"with X-RateLimit headers, 50/s: share of the limit (%)", "BenchmarkImportPacing", "auto-50-headers-%-of-limit", false, 95, "#12"},
	{"with X-RateLimit headers, 50/s: 429s (%)", "BenchmarkImportPacing", "auto-50-headers-%-429", true, 3, "#12"},
	{"second run, learnt limit 20/s: share of the limit (%)", "BenchmarkImportPacing", "learnt-20-%-of-limit", false, 97, "#12"},
	{"--rate 40 against 20/s: share of the limit (%)", "BenchmarkImportPacing", "rate40-vs-20-%-of-limit", false, 97, "#12"},
	{"--rate 40 against 20/s: requests answered 429 (%)", "BenchmarkImportPacing", "rate40-vs-20-%-429", true, 3, "#12"},
	{"re-upload 100k rows, 90% held: fewer requests than --snapshot never (×)", "BenchmarkSnapshot", "fewer-requests-x", false, 8, "#11"},
	{"re-upload 100k rows, 90% held: less time than --snapshot never (×)", "BenchmarkSnapshot", "less-time-x", false, 8, "#11"},
	{"re-upload 2,000 held rows, 60 of 300 contacts running: requests, default flags", "BenchmarkOutreach", "report-requests", true, 150, "#17"},
	{"the same with --sequences stop: sequences stopped (of 60)", "BenchmarkOutreach", "stopped", false, 60, "#17"},
	{"export 50,000 records at 20/s: time against the floor, pages ÷ limit (×)", "BenchmarkExport", "x-floor", true, 1.3, "#21"},
	{"validate 1M rows: wall time against csvclean -n (×)", "BenchmarkValidateMillion", "wall-vs-csvclean-x", true, 1, "#21"},
	{"validate 1M rows: CPU against encoding/csv's bare read (×)", "BenchmarkValidateMillion", "cpu-vs-encoding-csv-x", true, 4, "#21"},
	{"duplicate set at 10M keys: peak RSS per key (bytes)", "BenchmarkKeySet10M", "peak-RSS-B/key", true, 16, "#12"},
	{"validate 10,000,000 rows: peak RSS (MiB)", "BenchmarkValidateTenMillion", "peak-RSS-MiB", true, 200, "#12"},
	{"read 1M-row Excel-saved workbook: time vs fastest other Go reader (×)", "BenchmarkWorkbookReaders", "ours-vs-fastest-other", true, 1.3, "#12"},
	{"resume a settled 1M-row journal: seconds", "BenchmarkResumeMillion", "resume-s", true, 2, "#19"},
	{"resume a settled 1M-row journal: peak RSS (MiB)", "BenchmarkResumeMillion", "peak-RSS-MiB", true, 100, "#19"},
	{"resume a settled 1M-row journal: peak RSS per row (bytes)", "BenchmarkResumeMillion", "peak-RSS-B/row", true, 64, "#19"},
	{"read 1M-row Excel-saved workbook: peak RSS (MiB)", "BenchmarkWorkbookReaders", "ours-peak-MiB", true, 128, "#12"},
}

var suffix = regexp.MustCompile(`-\d+$`)

// parse collects the last value of each benchmark's metrics.
func parse(r io.Reader, into map[string]map[string]float64) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a log line that starts with a benchmark's name
		}
		name := suffix.ReplaceAllString(f[0], "")
		if into[name] == nil {
			into[name] = map[string]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				into[name][f[i+1]] = v
			}
		}
	}
	return sc.Err()
}

func main() {
	got := map[string]map[string]float64{}
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(2)
		}
		err = parse(f, got)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", path+":", err)
			os.Exit(2)
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "figure\ttarget\tmeasured\tmet\tissue")
	missed, unmeasured := 0, 0
	for _, t := range targets {
		op := "≥"
		if t.atMost {
			op = "≤"
		}
		v, ok := got[t.bench][t.unit]
		measured, met := "not run", "—"
		switch {
		case !ok:
			unmeasured++
		case t.atMost && v <= t.bound, !t.atMost && v >= t.bound:
			measured, met = strconv.FormatFloat(v, 'g', 4, 64), "yes"
		default:
			measured, met = strconv.FormatFloat(v, 'g', 4, 64), "NO"
			missed++
		}
		fmt.Fprintf(w, "%s\t%s %g\t%s\t%s\t%s\n", t.figure, op, t.bound, measured, met, t.issue)
	}
	w.Flush()
	fmt.Printf("%d of %d targets met", len(targets)-missed-unmeasured, len(targets))
	if unmeasured > 0 {
		fmt.Printf(", %d not run", unmeasured)
	}
	fmt.Println()
	if missed > 0 {
		os.Exit(1)
	}
}
