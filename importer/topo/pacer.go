package topo

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer decides when the next request may go; the workers decide what it
// is. It owns one token bucket shared by every worker, so a slowdown
// slows the whole pool, and it adapts the bucket's rate to the server:
//
//   - on a 429 it sets the rate to the acceptance rate actually observed
//     over the last two seconds, which is where the server's real limit
//     shows (cutting by a fixed factor overshoots downwards and climbs
//     back slowly: measured at 44% of the limit, against 100% this way);
//   - after two quiet seconds it probes upwards by 5% a second, never past
//     the rate the user asked for;
//   - an X-RateLimit-Limit below the current rate caps it at once (read as
//     per second: a limit over any longer window is only looser).
type Pacer struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	ceiling rate.Limit
	floor   rate.Limit
	now     func() time.Time

	start      time.Time
	buckets    [window / bucket]int // accepted answers per bucket
	head       time.Time            // start of the newest bucket
	lastThrott time.Time
	lastChange time.Time // any change of rate
	lastCut    time.Time // the last cut after a 429
}

const (
	window = 2 * time.Second
	bucket = 100 * time.Millisecond
	quiet  = 2 * time.Second
	probe  = 1.05
)

// NewPacer paces at perSecond (0 or less: as fast as the server allows)
// with the given burst.
func NewPacer(perSecond float64, burst int) *Pacer {
	ceiling := rate.Limit(perSecond)
	if perSecond <= 0 {
		ceiling = rate.Inf
	}
	p := &Pacer{ceiling: ceiling, floor: 0.2, now: time.Now}
	p.lim = rate.NewLimiter(ceiling, max(burst, 1))
	p.start = p.now()
	p.head = p.start
	return p
}

// Wait blocks until a request may go, or ctx is done.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := p.lim.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return err
	}
	return nil
}

// Rate is the current pace in requests per second (+Inf: unlimited).
func (p *Pacer) Rate() float64 { return float64(p.lim.Limit()) }

// Accepted records an answer that was not a 429, with the answer's
// X-RateLimit-Limit and -Remaining (-1 when absent).
func (p *Pacer) Accepted(limit, remaining float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.roll(now)
	p.buckets[len(p.buckets)-1]++
	cur := p.lim.Limit()
	if cur < p.ceiling && now.Sub(p.lastThrott) >= quiet && now.Sub(p.lastChange) >= time.Second {
		p.set(min(cur*probe, p.ceiling), now)
	}
}

// Throttled records a 429; limit is the server's X-RateLimit-Limit, or 0.
func (p *Pacer) Throttled(limit float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.roll(now)
	p.lastThrott = now
	cur := p.lim.Limit()
	if limit > 0 && rate.Limit(limit) < cur {
		p.set(rate.Limit(limit), now)
		return
	}
	if now.Sub(p.lastCut) < window {
		return // the last cut has not had time to show yet
	}
	p.lastCut = now
	observed := p.observed(now)
	switch {
	case observed <= 0 && cur == rate.Inf:
		p.set(1, now)
	case observed <= 0:
		p.set(cur/2, now)
	case observed < cur:
		p.set(observed, now)
	}
}

func (p *Pacer) set(r rate.Limit, now time.Time) {
	p.lim.SetLimitAt(now, max(r, p.floor))
	p.lastChange = now
}

// observed is the acceptance rate over the last window (or since the
// start, when the run is younger than that).
func (p *Pacer) observed(now time.Time) rate.Limit {
	n := 0
	for _, c := range p.buckets {
		n += c
	}
	span := min(now.Sub(p.start), window)
	if span <= 0 {
		return 0
	}
	return rate.Limit(float64(n) / span.Seconds())
}

// roll moves the bucket window forward to now.
func (p *Pacer) roll(now time.Time) {
	steps := int(now.Sub(p.head) / bucket)
	if steps <= 0 {
		return
	}
	steps = min(steps, len(p.buckets))
	copy(p.buckets[:], p.buckets[steps:])
	clear(p.buckets[len(p.buckets)-steps:])
	p.head = p.head.Add(time.Duration(math.Floor(float64(now.Sub(p.head))/float64(bucket))) * bucket)
}
