//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"math"
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

// BenchmarkImportShapes measures the pacer through the binary, default
// flags, against each shape of limiter issue 21 lists (fake API 100±50 ms,
// X-RateLimit headers hidden unless the shape is a lying one):
//
//   - token buckets at 5, 20, 50 and 100/s, burst 1 and 5, 2,000 rows
//     ("2k-L-bB": share of the limit, share of 429s, climb, limit found);
//   - 8,000 rows at 50 and 100/s, both bursts ("8k-L-bB");
//   - the next night at 20 and 100/s: 600 new rows in the home of the
//     2,000-row run, so it starts from the cache of what that run learnt,
//     against the same server, snapshot included ("learnt-L-bB");
//   - X-RateLimit-Limit: 1000 published at a real 5/s, 200 rows
//     ("lying-bB": rows failed, 429s, and the largest limit recorded as
//     exact, in the summary or the cache file, 0 when none);
//   - a 2 s storm (every request 429) at the start of 300 rows at 20/s,
//     against the same 300 rows calm ("storm-bB": its time over the bound,
//     1.5 × calm + 2 s, at most 1);
//   - 429 forever with --give-up-after 20s ("forever": exit code, seconds);
//   - beside each 2,000-row bucket, in the same run, GNU parallel + curl
//     (scripts/curl-baseline.sh, curl retrying 429s after Retry-After) on
//     a fresh fake of the same shape ("curl-L-bB", and "vs-curl-L-bB", our
//     share of the limit over its). Its -j is the best of ⌈0.05·L⌉,
//     ⌈0.1·L⌉, ⌈0.2·L⌉ and ⌈0.4·L⌉: by Little's law, with a round trip of
//     0.1–0.15 s (curl's start included), about 0.13·L jobs keep the limit
//     busy; fewer miss it but collide less in a bucket without burst
//     (where each 429 costs curl a 1 s Retry-After), more overshoot it.
//     Each is tried on the first 5 s of rows at the limit (25 at least)
//     against a fresh fake; the best has the most answers a second that
//     were not 429. Without `parallel` on the PATH the baseline is
//     skipped, and said so.
//
// The runs wait on pacing, not on the CPU, so they go in lanes side by
// side, each case one after another within its lane: the four 5/s runs
// of 2,000 rows (ours ~400 s each, curl's 380 s at burst 5 and 22 min at
// burst 1) beside each other and beside the lying header, the storm and
// the forever case; once ours at 5/s and those are done, the 20/s cases;
// from the start, the 50 and 100/s cases, ours then curl's. Each case
// writes a line to standard error as it ends (the benchmark's own log is
// cut to ten lines). Curl at 5/s, burst 1, sets the length: about 22
// minutes on two cores (33 minutes measured before the 20/s cases
// stopped waiting for it). With -short every list is a tenth as long: a
// check of the plumbing whose figures mean nothing.
func BenchmarkImportShapes(b *testing.B) {
	scale := 1
	if testing.Short() {
		scale = 10
	}
	rows, big, next, few := 2000/scale, 8000/scale, 600/scale, 300/scale
	all := writeList(b, "shapes.csv", listgen.Spec{Rows: rows + next, Seed: 21})
	first, second := filepath.Join(b.TempDir(), "first.csv"), filepath.Join(b.TempDir(), "second.csv")
	short, lying := filepath.Join(b.TempDir(), "short.csv"), filepath.Join(b.TempDir(), "lying.csv")
	for _, s := range []struct {
		path string
		keep func(int) bool
	}{
		{first, func(i int) bool { return i <= rows }},
		{second, func(i int) bool { return i > rows }},
		{short, func(i int) bool { return i <= few }},
		{lying, func(i int) bool { return i <= 2*few/3 }},
	} {
		if err := sampleLines(all, s.path, s.keep); err != nil {
			b.Fatal(err)
		}
	}
	long := writeList(b, "8000.csv", listgen.Spec{Rows: big, Seed: 22})
	_, noParallel := exec.LookPath("parallel")
	if noParallel != nil {
		b.Logf("skipping the parallel+curl baseline: %v (apt-get install parallel)", noParallel)
	}
	for b.Loop() {
		sh := shapes{b: b, ours: map[string]float64{}, curl: map[string]float64{}}
		bucket := func(limit float64, burst int) {
			name := fmt.Sprintf("%v-b%d", limit, burst)
			home, srv := b.TempDir(), topotest.NewServer(shape(limit, burst))
			defer srv.Close()
			sh.share(paced{srv: srv, input: first, home: home, exit: -1}.run(b), "2k-"+name, limit)
			if limit == 20 || limit == 100 {
				// The cron job's next night: the same API and key, new rows.
				sh.report(paced{srv: srv, input: second, home: home, exit: -1}.run(b), "learnt-"+name, limit)
			}
		}
		baseline := func(limit float64, burst int) {
			if noParallel == nil {
				sh.baseline(limit, burst, first)
			}
		}
		// curl at 5/s is the longest case of all (at burst 1, each 429
		// costs it a whole Retry-After): the 20/s cases do not wait for it.
		var wg, lanes sync.WaitGroup
		for _, burst := range []int{1, 5} {
			wg.Go(func() { bucket(5, burst) })
			lanes.Go(func() { baseline(5, burst) })
		}
		wg.Go(func() {
			for _, burst := range []int{1, 5} {
				sh.lying(burst, lying)
			}
			for _, burst := range []int{1, 5} {
				sh.storm(burst, short)
			}
			sh.forever(short)
		})
		slow := make(chan struct{})
		go func() { wg.Wait(); close(slow) }()
		lanes.Go(func() {
			<-slow
			for _, burst := range []int{1, 5} {
				bucket(20, burst)
				baseline(20, burst)
			}
		})
		lanes.Go(func() {
			for _, limit := range []float64{50, 100} {
				for _, burst := range []int{1, 5} {
					bucket(limit, burst)
				}
			}
			for _, limit := range []float64{50, 100} {
				for _, burst := range []int{1, 5} {
					srv := topotest.NewServer(shape(limit, burst))
					sh.report(paced{srv: srv, input: long, exit: -1}.run(b), fmt.Sprintf("8k-%v-b%d", limit, burst), limit)
					srv.Close()
				}
			}
			for _, limit := range []float64{50, 100} {
				for _, burst := range []int{1, 5} {
					baseline(limit, burst)
				}
			}
		})
		lanes.Wait()
		sh.compare()
	}
}

// shape is a fake API with a token bucket, as issue 21 measures them.
func shape(limit float64, burst int) topotest.Options {
	return topotest.Options{Rate: limit, Burst: burst, Latency: 100 * time.Millisecond, Jitter: 50 * time.Millisecond, HideLimit: true}
}

// shapes collects one round's figures from the cases' goroutines.
type shapes struct {
	b          *testing.B
	mu         sync.Mutex
	ours, curl map[string]float64 // share of the limit (%) by "L-bB", for compare
}

// say writes a line of progress to standard error at once: the output of
// a benchmark is cut to ten lines, and this one runs for minutes.
func (sh *shapes) say(format string, args ...any) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	fmt.Fprintf(os.Stderr, "shapes %s: "+format+"\n", append([]any{time.Now().UTC().Format(time.TimeOnly)}, args...)...)
}

func (sh *shapes) metric(v float64, unit string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.b.ReportMetric(v, unit)
}

func (sh *shapes) report(s pacedSummary, name string, limit float64) {
	if s.Elapsed > 0 && s.Send.Requests > 0 {
		sh.say("%s: %d requests, %d answered 429, in %.1f s (%.1f%% of %v/s); found %.1f/s (exact %v), climb %.1f s; exit %d",
			name, s.Send.Requests, s.Send.Throttled, s.Elapsed, float64(s.Send.Requests-s.Send.Throttled)/s.Elapsed/limit*100,
			limit, s.Send.Found, s.Send.Exact, s.Send.Climb, s.Exit)
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s.report(sh.b, name, limit)
}

// share reports a 2,000-row run and keeps its share for compare.
func (sh *shapes) share(s pacedSummary, name string, limit float64) {
	sh.report(s, name, limit)
	if s.Elapsed > 0 && s.Send.Requests > 0 {
		sh.mu.Lock()
		defer sh.mu.Unlock()
		sh.ours[strings.TrimPrefix(name, "2k-")] = float64(s.Send.Requests-s.Send.Throttled) / s.Elapsed / limit * 100
	}
}

// compare reports our share of the limit over curl's, where both ran.
func (sh *shapes) compare() {
	for name, ours := range sh.ours {
		if curl, ok := sh.curl[name]; ok && curl > 0 {
			sh.b.ReportMetric(ours/curl, "vs-curl-"+name)
		}
	}
}

// lying runs 200 rows at a real 5/s behind a published 1000/s.
func (sh *shapes) lying(burst int, input string) {
	opt := shape(5, burst)
	opt.HideLimit, opt.PublishLimit = false, 1000
	home := sh.b.TempDir()
	s := paced{server: opt, input: input, home: home, exit: -1}.run(sh.b)
	name := fmt.Sprintf("lying-b%d", burst)
	if s.Send.Requests == 0 {
		return // the run failed, and said so
	}
	exact := 0.0
	if s.Send.Exact {
		exact = s.Send.Found
	}
	raw, err := os.ReadFile(filepath.Join(home, "cache", "topo-exclusions", "rate-limits.json"))
	var cached map[string]struct {
		Limit float64 `json:"limit"`
		Exact bool    `json:"exact"`
	}
	if err == nil {
		err = json.Unmarshal(raw, &cached)
	}
	if err != nil {
		sh.b.Logf("%s: no cache of learnt limits: %v", name, err)
	}
	for _, l := range cached {
		if l.Exact {
			exact = math.Max(exact, l.Limit)
		}
	}
	sh.report(s, name, 5)
	sh.say("%s: %d rows failed, %v; largest limit recorded as exact %.2f/s", name, s.Counts["failed"], s.Counts, exact)
	sh.metric(float64(s.Counts["failed"]), name+"-failed-rows")
	sh.metric(exact, name+"-exact-limit-per-s")
}

// storm runs 300 rows at 20/s after a 2 s storm, and calm.
func (sh *shapes) storm(burst int, input string) {
	calm := paced{server: shape(20, burst), input: input, exit: -1}.run(sh.b)
	opt := shape(20, burst)
	opt.Storm = 2 * time.Second
	stormy := paced{server: opt, input: input, exit: -1}.run(sh.b)
	if calm.Elapsed <= 0 || stormy.Elapsed <= 0 {
		return
	}
	name := fmt.Sprintf("storm-b%d", burst)
	sh.say("%s: %.1f s after a %v storm, %.1f s calm, %d of %d requests answered 429", name, stormy.Elapsed, opt.Storm, calm.Elapsed,
		stormy.Send.Throttled, stormy.Send.Requests)
	sh.metric(calm.Elapsed, name+"-calm-s")
	sh.metric(stormy.Elapsed, name+"-s")
	sh.metric(stormy.Elapsed/(1.5*calm.Elapsed+opt.Storm.Seconds()), name+"-vs-bound")
	sh.metric(float64(stormy.Send.Throttled)/float64(stormy.Send.Requests)*100, name+"-%-429")
}

// forever runs 300 rows against 429 on every request, giving up after 20 s.
func (sh *shapes) forever(input string) {
	opt := shape(20, 5)
	opt.Storm = -1
	s := paced{server: opt, input: input, flags: []string{"--give-up-after", "20s"}, exit: -1, kill: 3 * time.Minute}.run(sh.b)
	sh.say("forever: exit %d after %.1f s, %d requests", s.Exit, s.Wall, s.Send.Requests)
	sh.metric(float64(s.Exit), "forever-exit-code")
	sh.metric(s.Wall, "forever-s")
	if s.Send.Requests > 0 {
		sh.metric(float64(s.Send.Requests), "forever-requests")
	}
}

// baseline picks curl's -j on a prefix of input, then sends the whole of
// it, against fresh fakes of the shape.
func (sh *shapes) baseline(limit float64, burst int, input string) {
	name := fmt.Sprintf("%v-b%d", limit, burst)
	prefix := filepath.Join(sh.b.TempDir(), "prefix.csv")
	n := max(25, int(5*limit))
	if err := sampleLines(input, prefix, func(i int) bool { return i <= n }); err != nil {
		sh.b.Error(err)
		return
	}
	best, bestRate, tried := 0, 0.0, map[int]bool{}
	var trials []string
	for _, part := range []float64{0.05, 0.1, 0.2, 0.4} {
		jobs := int(math.Ceil(part * limit))
		if tried[jobs] {
			continue
		}
		tried[jobs] = true
		c := curlRun(sh.b, shape(limit, burst), jobs, prefix)
		trials = append(trials, fmt.Sprintf("-j %d %.2f/s %.0f%% 429", jobs, c.accepted, c.throttled))
		if c.ok && c.accepted > bestRate {
			best, bestRate = jobs, c.accepted
		}
	}
	if best == 0 {
		sh.say("curl %s: no trial ran (%s)", name, strings.Join(trials, ", "))
		return
	}
	c := curlRun(sh.b, shape(limit, burst), best, input)
	sh.say("curl %s: on %d rows %s; -j %d on every row: %s", name, n, strings.Join(trials, ", "), best, c)
	if !c.ok {
		return
	}
	share := c.accepted / limit * 100
	sh.metric(share, "curl-"+name+"-%-of-limit")
	sh.metric(c.throttled, "curl-"+name+"-%-429")
	sh.metric(float64(best), "curl-"+name+"-jobs")
	sh.mu.Lock()
	sh.curl[name] = share
	sh.mu.Unlock()
}

// curlResult is one run of the curl baseline, as the fake counted it.
type curlResult struct {
	ok                bool
	seconds, accepted float64 // accepted: answers that were not 429, a second
	throttled         float64 // share of answers that were 429 (%)
	requests          int
	finals            string // the script's count of rows by final status
}

func (c curlResult) String() string {
	return fmt.Sprintf("%d requests in %.1f s, %.2f/s not 429, %.1f%% 429; rows by final status: %s",
		c.requests, c.seconds, c.accepted, c.throttled, c.finals)
}

// curlRun runs scripts/curl-baseline.sh with jobs against a fresh fake.
func curlRun(b *testing.B, opt topotest.Options, jobs int, input string) curlResult {
	srv := topotest.NewServer(opt)
	defer srv.Close()
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "curl-baseline.sh"), srv.URL, topotest.DefaultToken, fmt.Sprint(jobs), input)
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start).Seconds()
	st := srv.Stats()
	if err != nil || st.Requests == 0 {
		b.Logf("curl-baseline.sh -j %d: %v (%d requests)", jobs, err, st.Requests)
		return curlResult{}
	}
	return curlResult{ok: true, seconds: d, requests: st.Requests,
		accepted:  float64(st.Requests-st.ByStatus["429"]) / d,
		throttled: float64(st.ByStatus["429"]) / float64(st.Requests) * 100,
		finals:    strings.Join(strings.Fields(string(out)), " ")}
}
