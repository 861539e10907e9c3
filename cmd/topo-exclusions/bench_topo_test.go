//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
	"github.com/topo-io/topo-exclusions/internal/listgen"
)

// paced is one import through the binary against a fake API, in a home
// of its own (its own cache of learnt limits, unless it shares one).
type paced struct {
	server topotest.Options
	srv    *topotest.Server // a server to share with another run; nil: one of its own
	flags  []string
	input  string
	home   string // "": a fresh one
	load   []byte // records the server holds before the run
	// exit is the exit code the run must end with (0 unless a case
	// expects the binary to stop, as --give-up-after does); -1 takes any,
	// for a case that reports its outcome as a figure instead of failing
	// the benchmark (a failed benchmark prints none of its figures).
	exit int
	// kill ends the process after this long (0: never), for a case whose
	// point is that the binary stops by itself.
	kill time.Duration
}

// pacedSummary is what the benchmarks read of a run's JSON summary.
type pacedSummary struct {
	Elapsed float64        `json:"elapsed_seconds"`
	Counts  map[string]int `json:"counts"`
	Send    struct {
		Requests  int     `json:"requests"`
		Throttled int     `json:"throttled_429"`
		Found     float64 `json:"rate_limit_found"`
		Exact     bool    `json:"rate_limit_exact"`
		Climb     float64 `json:"rate_limit_climb_seconds"`
	} `json:"send"`
	// Exit and Wall are the process's exit code and wall time, from the
	// outside.
	Exit int     `json:"-"`
	Wall float64 `json:"-"`
}

// run makes the import and reads its summary. It may run on a goroutine
// of its own, so it says a failure with Error, never Fatal.
func (p paced) run(b *testing.B) pacedSummary {
	srv := p.srv
	if srv == nil {
		srv = topotest.NewServer(p.server)
		defer srv.Close()
	}
	if p.load != nil {
		if err := srv.Load(bytes.NewReader(p.load)); err != nil {
			b.Error(err)
			return pacedSummary{}
		}
	}
	home, dir := p.home, b.TempDir()
	if home == "" {
		home = b.TempDir()
	}
	args := append([]string{"import", "--quiet", "--report", filepath.Join(dir, "r.csv"), "--failures", filepath.Join(dir, "f.csv"),
		"--summary", filepath.Join(dir, "s.json")}, p.flags...)
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if p.kill > 0 {
		ctx, cancel = context.WithTimeout(ctx, p.kill)
	}
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append(args, p.input)...)
	cmd.Env = append(os.Environ(), "TOPO_API_KEY="+topotest.DefaultToken, "TOPO_BASE_URL="+srv.URL, "HOME="+home,
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"), "XDG_STATE_HOME="+filepath.Join(home, "state"))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start).Seconds()
	code := cmd.ProcessState.ExitCode() // -1 when killed
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		b.Errorf("%v\n%s", err, out)
		return pacedSummary{}
	}
	switch {
	case p.exit >= 0 && code != p.exit:
		b.Errorf("exit %d, want %d: %v\n%s", code, p.exit, err, out)
		return pacedSummary{}
	case code != 0:
		// One line: a benchmark's log is cut to ten.
		first, _, _ := strings.Cut(string(out), "\n")
		b.Logf("%s: exit %d: %s", filepath.Base(p.input), code, first)
	}
	sum := pacedSummary{Exit: code, Wall: wall}
	raw, err := os.ReadFile(filepath.Join(dir, "s.json"))
	if err == nil {
		err = json.Unmarshal(raw, &sum)
	}
	if err != nil && p.exit >= 0 {
		b.Error(err)
	} else if err != nil {
		b.Logf("%s: no summary: %v", filepath.Base(p.input), err)
	}
	return sum
}

// report puts a run's figures under name: the share of the limit it used
// (answered requests a second, against the limit: the snapshot's pages and
// the key check use it as rows do), the share of requests answered 429,
// how long the climb to the limit took, and the limit it found.
func (s pacedSummary) report(b *testing.B, name string, limit float64) {
	if s.Elapsed <= 0 || s.Send.Requests == 0 {
		return // the run failed, and said so
	}
	answered := float64(s.Send.Requests - s.Send.Throttled)
	b.ReportMetric(answered/s.Elapsed/limit*100, name+"-%-of-limit")
	b.ReportMetric(float64(s.Send.Throttled)/float64(s.Send.Requests)*100, name+"-%-429")
	b.ReportMetric(s.Send.Climb, name+"-climb-s")
	b.ReportMetric(s.Send.Found, name+"-found-per-s")
}

func writeList(b *testing.B, name string, spec listgen.Spec) string {
	path := filepath.Join(b.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := listgen.Write(f, spec); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkImportPacing sends 2,000 rows with the default flags (--rate
// auto, --concurrency auto) through fake APIs that limit at 5, 20 and 50
// requests/s (burst 5, 100±50 ms), with and without X-RateLimit headers;
// then a second run that starts from what the first learnt, and --rate 40
// against 20/s. The runs wait on pacing, not on the CPU, so the two at
// 5/s (400 s each) run beside the others, which run one after another:
// the whole takes about as long as one run at 5/s, and no two fast runs
// compete for the two cores.
func BenchmarkImportPacing(b *testing.B) {
	const rows = 2000
	all := writeList(b, "2600.csv", listgen.Spec{Rows: rows + 600, Seed: 5})
	input, second := filepath.Join(b.TempDir(), "2000.csv"), filepath.Join(b.TempDir(), "600.csv")
	if err := sampleLines(all, input, func(i int) bool { return i <= rows }); err != nil {
		b.Fatal(err)
	}
	if err := sampleLines(all, second, func(i int) bool { return i > rows }); err != nil {
		b.Fatal(err)
	}
	server := func(limit float64, headers bool) topotest.Options {
		return topotest.Options{Rate: limit, Burst: 5, Latency: 100 * time.Millisecond, Jitter: 50 * time.Millisecond, HideLimit: !headers}
	}
	for b.Loop() {
		var mu sync.Mutex
		report := func(s pacedSummary, name string, limit float64) {
			mu.Lock()
			defer mu.Unlock()
			s.report(b, name, limit)
		}
		auto := func(limit float64, headers bool) {
			name := fmt.Sprintf("auto-%v", limit)
			if headers {
				name += "-headers"
			}
			home, srv := b.TempDir(), topotest.NewServer(server(limit, headers))
			defer srv.Close()
			report(paced{srv: srv, input: input, home: home}.run(b), name, limit)
			if limit == 20 && !headers {
				// The cron job's next night: the same API and key, new rows.
				report(paced{srv: srv, input: second, home: home}.run(b), "learnt-20", limit)
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() { auto(5, false) })
		wg.Go(func() { auto(5, true) })
		wg.Go(func() {
			for _, limit := range []float64{50, 20} {
				auto(limit, false)
				auto(limit, true)
			}
			report(paced{server: server(20, false), input: input, flags: []string{"--rate", "40"}}.run(b), "rate40-vs-20", 20)
		})
		wg.Wait()
	}
}

// BenchmarkSnapshot re-uploads 100,000 rows of which 90,000 Topo already
// holds, against a fake API at 20 requests/s (burst 5, 100±50 ms), with
// --snapshot auto (the default: it reads Topo's list, then sends only the
// rest). Sending every row (--snapshot never) would take 1.4 hours, so it
// is measured on a 2,000-row sample of the same mix and scaled by 50.
func BenchmarkSnapshot(b *testing.B) {
	const rows, held = 100_000, 90_000
	full := writeList(b, "100k.csv", listgen.Spec{Rows: rows, Seed: 11})
	sample := filepath.Join(b.TempDir(), "sample.csv")
	if err := sampleLines(full, sample, func(i int) bool { return i <= 1800 || i > held && i <= held+200 }); err != nil {
		b.Fatal(err)
	}
	heldList := filepath.Join(b.TempDir(), "held.csv")
	if err := sampleLines(full, heldList, func(i int) bool { return i <= held }); err != nil {
		b.Fatal(err)
	}
	// What Topo holds: the first 90,000 rows, imported unpaced.
	seed := topotest.NewServer(topotest.Options{})
	seedRun := paced{server: topotest.Options{}, input: heldList, flags: []string{"--rate", "0"}}
	records := seedRun.loadInto(b, seed)
	server := topotest.Options{Rate: 20, Burst: 5, Latency: 100 * time.Millisecond, Jitter: 50 * time.Millisecond, HideLimit: true}
	for b.Loop() {
		var auto, never pacedSummary
		var wg sync.WaitGroup
		wg.Go(func() { auto = paced{server: server, input: full, load: records}.run(b) })
		wg.Go(func() {
			never = paced{server: server, input: sample, load: records, flags: []string{"--snapshot", "never"}}.run(b)
		})
		wg.Wait()
		scale := float64(rows) / 2000
		b.ReportMetric(float64(auto.Send.Requests), "auto-requests")
		b.ReportMetric(auto.Elapsed, "auto-s")
		b.ReportMetric(float64(never.Send.Requests)*scale, "never-requests")
		b.ReportMetric(never.Elapsed*scale, "never-s")
		b.ReportMetric(float64(never.Send.Requests)*scale/float64(auto.Send.Requests), "fewer-requests-x")
		b.ReportMetric(never.Elapsed*scale/auto.Elapsed, "less-time-x")
	}
}

// loadInto imports p.input into srv and returns what srv then holds, to
// load into other servers.
func (p paced) loadInto(b *testing.B, srv *topotest.Server) []byte {
	defer srv.Close()
	dir := b.TempDir()
	cmd := exec.Command(binary, append([]string{"import", "--quiet", "--report", filepath.Join(dir, "r.csv"),
		"--failures", filepath.Join(dir, "f.csv")}, append(p.flags, p.input)...)...)
	cmd.Env = append(os.Environ(), "TOPO_API_KEY="+topotest.DefaultToken, "TOPO_BASE_URL="+srv.URL, "HOME="+dir,
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "XDG_STATE_HOME="+filepath.Join(dir, "state"))
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	var buf bytes.Buffer
	if err := srv.Save(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// sampleLines copies the header of from and the data lines (1-based) that
// keep accepts.
func sampleLines(from, to string, keep func(i int) bool) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	for i := 0; sc.Scan(); i++ {
		if i == 0 || keep(i) {
			w.Write(sc.Bytes())
			w.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
}

// BenchmarkExport exports 50,000 records from a fake API that allows 20
// requests/s (burst 5, 100±50 ms, no X-RateLimit headers) with the
// default flags (--rate auto from nothing learnt, the list read in
// parallel slices). The floor is the pages at the limit: 500 pages at
// 20/s, 25 s. It reports the time, that time against the floor, the
// requests and the share of them answered 429.
func BenchmarkExport(b *testing.B) {
	const records, limit = 50_000, 20.0
	srv := topotest.NewServer(topotest.Options{Rate: limit, Burst: 5, Latency: 100 * time.Millisecond, Jitter: 50 * time.Millisecond, HideLimit: true})
	defer srv.Close()
	var list bytes.Buffer
	list.WriteString("[")
	start := time.Now().Add(-24 * time.Hour)
	for i := range records {
		if i > 0 {
			list.WriteString(",")
		}
		// Bulk imports stamp many records in one second: 50 a second here.
		fmt.Fprintf(&list, `{"email":"p%d@example.com","reason":"UNSUBSCRIBED","created_at":%q}`, i, start.Add(time.Duration(i)*20*time.Millisecond).UTC().Format(time.RFC3339Nano))
	}
	list.WriteString("]")
	if err := srv.Load(&list); err != nil {
		b.Fatal(err)
	}
	floor := float64(records) / 100 / limit
	for b.Loop() {
		home, dir := b.TempDir(), b.TempDir()
		cmd := exec.Command(binary, "export", "--quiet", "--output", filepath.Join(dir, "all.csv"), "--summary", filepath.Join(dir, "s.json"))
		cmd.Env = append(os.Environ(), "TOPO_API_KEY="+topotest.DefaultReadOnlyToken, "TOPO_BASE_URL="+srv.URL, "HOME="+home,
			"XDG_CACHE_HOME="+filepath.Join(home, "cache"), "XDG_STATE_HOME="+filepath.Join(home, "state"))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		var sum struct {
			pacedSummary
			Rows int `json:"rows"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, "s.json"))
		if err == nil {
			err = json.Unmarshal(raw, &sum)
		}
		if err != nil || sum.Rows != records {
			b.Fatalf("%v: %d records exported, want %d", err, sum.Rows, records)
		}
		b.ReportMetric(sum.Elapsed, "export-s")
		b.ReportMetric(sum.Elapsed/floor, "x-floor")
		b.ReportMetric(float64(sum.Send.Requests), "requests")
		b.ReportMetric(float64(sum.Send.Throttled)/float64(sum.Send.Requests)*100, "%-429")
	}
}
