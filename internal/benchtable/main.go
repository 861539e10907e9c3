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
	"slices"
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
	{"pacer alone at 100/s, 12 workers: share of the rate let go (%)", "BenchmarkPacerHoldsItsRate", "%-of-rate", false, 97, "#21"},
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

// shapeTargets are issue 21's targets for the shapes of limiter that
// BenchmarkImportShapes measures through the binary (default flags,
// 100±50 ms, headers hidden unless they lie).
func shapeTargets() []target {
	const bench, issue = "BenchmarkImportShapes", "#21"
	var ts []target
	for _, limit := range []int{5, 20, 50, 100} {
		for _, burst := range []int{1, 5} {
			n, at := fmt.Sprintf("%d-b%d", limit, burst), fmt.Sprintf("%d/s, burst %d", limit, burst)
			ts = append(ts,
				target{"2,000 rows at " + at + ": share of the limit (%)", bench, "2k-" + n + "-%-of-limit", false, 95, issue},
				target{"2,000 rows at " + at + ": requests answered 429 (%)", bench, "2k-" + n + "-%-429", true, 3, issue},
				target{"2,000 rows at " + at + ": our share over parallel+curl's (×)", bench, "vs-curl-" + n, false, 1, issue})
		}
	}
	for _, limit := range []int{50, 100} {
		for _, burst := range []int{1, 5} {
			n := fmt.Sprintf("%d-b%d", limit, burst)
			ts = append(ts, target{fmt.Sprintf("8,000 rows at %d/s, burst %d: share of the limit (%%)", limit, burst), bench, "8k-" + n + "-%-of-limit", false, 97, issue})
		}
	}
	for _, limit := range []int{20, 100} {
		for _, burst := range []int{1, 5} {
			n := fmt.Sprintf("%d-b%d", limit, burst)
			ts = append(ts, target{fmt.Sprintf("second run, learnt, %d/s, burst %d: share of the limit, snapshot included (%%)", limit, burst),
				bench, "learnt-" + n + "-%-of-limit", false, 97, issue})
		}
	}
	for _, burst := range []int{1, 5} {
		b := fmt.Sprintf("-b%d", burst)
		at := fmt.Sprintf("X-RateLimit-Limit: 1000 at a real 5/s, burst %d: ", burst)
		ts = append(ts,
			target{at + "rows failed", bench, "lying" + b + "-failed-rows", true, 0, issue},
			target{at + "requests answered 429 (%)", bench, "lying" + b + "-%-429", true, 5, issue},
			target{at + "largest limit recorded as exact (/s, 0: none)", bench, "lying" + b + "-exact-limit-per-s", true, 5.5, issue})
	}
	for _, burst := range []int{1, 5} {
		ts = append(ts, target{fmt.Sprintf("2 s storm, then 300 rows at 20/s, burst %d: time over 1.5 × calm + 2 s (×)", burst),
			bench, fmt.Sprintf("storm-b%d-vs-bound", burst), true, 1, issue})
	}
	// Exit code 3 exactly (aborted): not a row failure (1), nor a stop (4).
	return append(ts,
		target{"429 forever, --give-up-after 20s: exit code, not under 3 (aborted)", bench, "forever-exit-code", false, 3, issue},
		target{"429 forever, --give-up-after 20s: exit code, not over 3 (aborted)", bench, "forever-exit-code", true, 3, issue},
		target{"429 forever, --give-up-after 20s: seconds to exit", bench, "forever-s", true, 60, issue})
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
	all := append(slices.Clone(targets), shapeTargets()...)
	for _, t := range all {
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
	fmt.Printf("%d of %d targets met", len(all)-missed-unmeasured, len(all))
	if unmeasured > 0 {
		fmt.Printf(", %d not run", unmeasured)
	}
	fmt.Println()
	if missed > 0 {
		os.Exit(1)
	}
}
