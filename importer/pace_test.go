package importer

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPoolSize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rate    float64
		p90     time.Duration
		waiting int
		want    int
	}{
		{"no answers yet: assumed latency", 5, 0, 0, 3},
		{"50/s at 100 ms: more than the 4 that cap at 40/s", 50, 100 * time.Millisecond, 0, 11},
		{"rows waiting out a 429 hold their workers", 50, 100 * time.Millisecond, 6, 17},
		{"slow answers need more, up to the bound", 20, 2 * time.Second, 0, maxInFlight},
		{"waiting rows on top of the bound", 20, 2 * time.Second, 10, maxInFlight + 10},
		{"never fewer than two", 0.5, 10 * time.Millisecond, 0, 2},
		{"no rate to size from", math.Inf(1), 100 * time.Millisecond, 0, unlimitedWorkers},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := poolSize(tc.rate, tc.p90, tc.waiting); got != tc.want {
				t.Errorf("poolSize(%v, %v, %d) = %d, want %d", tc.rate, tc.p90, tc.waiting, got, tc.want)
			}
		})
	}
}

func TestPaceRemembersPerBaseURLAndKey(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	const key = "tk_live_very_secret"
	a := newPace(dir, "https://api.topo.example", key)
	if l, _ := a.load(now); l != 0 {
		t.Fatalf("learnt %v before any run", l)
	}
	if err := a.save(Learnt{Limit: 19.6, Exact: true, At: now}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, learntFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), key) || strings.Contains(string(raw), "api.topo.example") {
		t.Errorf("the cache names the key or the URL:\n%s", raw)
	}
	if fi, _ := os.Stat(filepath.Join(dir, learntFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("cache mode %v, want 0600", fi.Mode().Perm())
	}

	again := newPace(dir, "https://api.topo.example", key)
	if l, exact := again.load(now.Add(time.Hour)); l != 19.6 || !exact {
		t.Errorf("next run starts at %v (exact %v), want 19.6 exact", l, exact)
	}
	// Another key, another account: its own limit, learnt afresh.
	if l, _ := newPace(dir, "https://api.topo.example", "tk_live_other").load(now); l != 0 {
		t.Errorf("another key starts at %v", l)
	}
	if l, _ := newPace(dir, "https://staging.topo.example", key).load(now); l != 0 {
		t.Errorf("another base URL starts at %v", l)
	}
	// A month on, the limit is only where the climb starts.
	if l, exact := newPace(dir, "https://api.topo.example", key).load(now.Add(31 * 24 * time.Hour)); l != 19.6 || exact {
		t.Errorf("after a month: %v (exact %v), want 19.6 as a lower bound", l, exact)
	}

	// A short run that only climbed to 12 does not replace the 19.6 found.
	if err := again.save(Learnt{Limit: 12, Exact: false, At: now}); err != nil {
		t.Fatal(err)
	}
	if l, _ := newPace(dir, "https://api.topo.example", key).load(now); l != 19.6 {
		t.Errorf("a lower bound of 12 replaced the limit found: now %v", l)
	}
	// One that climbed past it says the limit rose.
	if err := again.save(Learnt{Limit: 30, Exact: false, At: now}); err != nil {
		t.Fatal(err)
	}
	if l, exact := newPace(dir, "https://api.topo.example", key).load(now); l != 30 || exact {
		t.Errorf("after climbing to 30 without a 429: %v (exact %v)", l, exact)
	}
}

func TestPaceSurvivesADamagedCache(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, learntFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := newPace(dir, "https://api.topo.example", "k")
	if l, _ := p.load(time.Now()); l != 0 {
		t.Errorf("learnt %v from a damaged cache", l)
	}
	if err := p.save(Learnt{Limit: 8, Exact: true, At: time.Now()}); err != nil {
		t.Fatalf("a damaged cache is not replaced: %v", err)
	}
	if l, _ := newPace(dir, "https://api.topo.example", "k").load(time.Now()); l != 8 {
		t.Errorf("after saving over a damaged cache: %v", l)
	}
	if newPace("", "https://api.topo.example", "k") != nil {
		t.Error("no cache directory: nothing to remember, and nothing should try")
	}
}
