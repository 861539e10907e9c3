package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
)

// learntFile holds, per base URL and key, the rate limit runs found. It
// lives in the user's cache directory: losing it costs one climb.
const learntFile = "rate-limits.json"

// learntFor is how long a learnt limit is trusted; older, the run climbs
// again from it as from a lower bound.
const learntFor = 30 * 24 * time.Hour

// Learnt is what a run found of Topo's rate limit.
type Learnt struct {
	Limit float64   `json:"limit"`
	Exact bool      `json:"exact"` // met 429s or a published limit; else a lower bound
	At    time.Time `json:"at"`
}

// pace is the pacer's memory across runs: the cache file and this run's
// entry in it, named by a hash of the base URL and of the key, never the
// key itself.
type pace struct {
	path, id string
	before   Learnt
}

func newPace(cacheDir, baseURL, key string) *pace {
	if cacheDir == "" {
		return nil
	}
	k := sha256.Sum256([]byte(key))
	id := sha256.Sum256([]byte(api.RedactURL(baseURL) + "\n" + hex.EncodeToString(k[:])))
	return &pace{path: filepath.Join(cacheDir, learntFile), id: hex.EncodeToString(id[:16])}
}

// load reads what earlier runs learnt; a missing or unreadable cache is
// nothing learnt.
func (p *pace) load(now time.Time) (limit float64, exact bool) {
	if p == nil {
		return 0, false
	}
	all := p.read()
	l, ok := all[p.id]
	if !ok || l.Limit <= 0 || math.IsInf(l.Limit, 0) || math.IsNaN(l.Limit) {
		return 0, false
	}
	p.before = l
	return l.Limit, l.Exact && now.Sub(l.At) < learntFor
}

func (p *pace) read() map[string]Learnt {
	all := map[string]Learnt{}
	b, err := os.ReadFile(p.path)
	if err == nil {
		_ = json.Unmarshal(b, &all) // a damaged cache is an empty one
	}
	return all
}

// save records what this run learnt, unless it learnt less than was known:
// a lower bound never replaces an exact limit it does not exceed.
func (p *pace) save(l Learnt) error {
	if p == nil || l.Limit <= 0 || math.IsInf(l.Limit, 0) {
		return nil
	}
	if !l.Exact && p.before.Exact && l.Limit <= p.before.Limit {
		return nil
	}
	all := p.read()
	all[p.id] = l
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return err
	}
	return writeFileAtomically(p.path, append(b, '\n'), 0o600)
}

// newPacer builds the run's pacer: --rate auto finds the limit, starting
// from what was learnt; a number paces at it, lower on 429s.
func newPacer(t TopoOptions, p *pace, now time.Time) *api.Pacer {
	if !t.AutoRate {
		return api.NewPacer(t.Rate)
	}
	limit, exact := p.load(now)
	return api.NewAutoPacer(limit, exact, t.Rate)
}

// Pool sizing for --concurrency auto. By Little's law the requests in
// flight are the rate times the latency; the pool holds twice that, for
// latency that varies, plus a worker for each row waiting out a 429's
// Retry-After (it keeps its worker meanwhile: without these, the second
// after the pacer's first 429 sent at half the rate, and the limit was
// read that low). It follows the pacer, which doubles its rate every
// quarter second while it climbs.
const (
	minWorkers    = 2
	sizeEvery     = 250 * time.Millisecond
	sizeHeadroom  = 2.0
	assumeLatency = 200 * time.Millisecond // until the first answers
	// unlimitedWorkers is the pool for --rate 0, which has no rate to
	// size from.
	unlimitedWorkers = 16
)

// poolSize is how many requests may be in flight at perSecond with the
// given p90 latency, and rows waiting out a 429.
func poolSize(perSecond float64, p90 time.Duration, waiting int) int {
	if math.IsInf(perSecond, 1) {
		return unlimitedWorkers + waiting
	}
	if p90 <= 0 {
		p90 = assumeLatency
	}
	n := min(max(int(math.Ceil(perSecond*p90.Seconds()*sizeHeadroom))+1, minWorkers), maxInFlight)
	return n + waiting
}

// sizePool keeps the pool sized to the pace until ctx ends.
func (l *link) sizePool(ctx context.Context, s *session) {
	t := time.NewTicker(sizeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.workers.SetLimit(poolSize(l.pacer.Rate(), s.meter.Latency(0.9), s.meter.Waiting()))
		}
	}
}
