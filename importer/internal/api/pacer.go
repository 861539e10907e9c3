package api

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
//   - on a 429 it sets the rate just under the acceptance rate observed
//     since the last cut (at most two seconds), which is where the
//     server's real limit shows (cutting by a fixed factor overshoots
//     downwards and climbs back slowly: measured at 44% of the limit);
//   - after a quiet spell it probes upwards by 2% a second, never past the
//     ceiling (the rate the user asked for, if any); a probe that only
//     meets the same limit again doubles the next quiet spell, so a long
//     run knocks on the limit about once a minute, not all the time;
//   - an X-RateLimit-Limit caps it at once (read as per second: a limit
//     over any longer window is only looser).
//
// An automatic pacer (--rate auto) finds the limit by itself: it starts
// just under what the last run against this API and key found, or at a
// safe rate, and then doubles every quarter second while Topo stays quiet
// and the pool uses the rate it has, until the first 429 (or straight to
// the limit an X-RateLimit-Limit header gives). It lands at what Topo
// accepted over the last half second, which still includes Topo's burst,
// and a second later cuts to what Topo accepted since: the limit itself.
type Pacer struct {
	mu       sync.Mutex
	lim      *rate.Limiter
	ceiling  rate.Limit
	climbing bool // automatic, and no 429 or limit header met yet
	floor    rate.Limit
	now      func() time.Time

	start      time.Time
	buckets    [window / bucket]int // accepted answers per bucket
	head       time.Time            // start of the newest bucket
	lastThrott time.Time
	lastChange time.Time     // any change of rate
	lastCut    time.Time     // the last cut after a 429
	found      rate.Limit    // the limit learnt: observed at a 429, or published
	published  rate.Limit    // X-RateLimit-Limit, when the server sends it
	cuts       int           // cuts after probing, which lengthen the quiet
	measured   rate.Limit    // the limit as read at the last cut that did not end a probe
	landed     time.Duration // how long the climb took (0: no climb yet)
	probed     bool          // the rate rose by probing since the last cut
}

// The constants were tuned on the simulation in pacer_test.go against
// limits of 5, 20 and 50 a second with a burst of 5.
const (
	window = 2 * time.Second
	bucket = 100 * time.Millisecond
	// After a 429 the pacer holds at cutTo of the limit for quiet (doubled
	// by every probe that only met the same limit, up to maxQuiet), then
	// probes up by probe a second.
	quiet    = 5 * time.Second
	maxQuiet = time.Minute
	probe    = 1.02
	cutTo    = 0.99
	// settle is how long a cut has to show before the next one.
	settle = 2 * time.Second
	// Climbing doubles the rate every climbStep while the pool answers at
	// least climbUse of it in the last landOver (the pool, not the server,
	// may be what holds it back); at the first 429 it lands at what the
	// server accepted over landOver.
	climbStep = 250 * time.Millisecond
	climbBy   = 2.0
	climbUse  = 0.35
	landOver  = 500 * time.Millisecond
	// SafeStart is where an automatic pacer starts when nothing was learnt.
	SafeStart = 5.0
)

// NewPacer paces at perSecond (0 or less: as fast as the server allows)
// with the given burst.
func NewPacer(perSecond float64, burst int) *Pacer {
	ceiling := rate.Limit(perSecond)
	if perSecond <= 0 {
		ceiling = rate.Inf
	}
	return newPacer(ceiling, ceiling, burst, false)
}

// NewAutoPacer finds the server's limit by itself, never past ceiling (0:
// none). It starts at learnt, what an earlier run found (SafeStart when
// nothing was): an exact limit it holds and probes from; a lower bound it
// climbs from.
func NewAutoPacer(learnt float64, exact bool, ceiling float64, burst int) *Pacer {
	c := rate.Limit(ceiling)
	if ceiling <= 0 {
		c = rate.Inf
	}
	if learnt <= 0 {
		learnt, exact = SafeStart, false
	}
	if !exact {
		return newPacer(min(rate.Limit(learnt), c), c, burst, true)
	}
	// Start at the limit found, which was read at a cut, not at a probe, and
	// probe only after a long quiet: the limit was found, not guessed.
	p := newPacer(min(rate.Limit(learnt), c), c, burst, false)
	p.found, p.lastThrott, p.cuts = rate.Limit(learnt), p.start, 2
	return p
}

func newPacer(start, ceiling rate.Limit, burst int, climbing bool) *Pacer {
	p := &Pacer{ceiling: ceiling, floor: 0.2, now: time.Now, climbing: climbing}
	p.lim = rate.NewLimiter(start, max(burst, 1))
	p.start = p.now()
	p.head, p.lastChange = p.start, p.start
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
func (p *Pacer) Rate() float64 {
	// rate.Inf is the largest float, not +Inf: sizing a pool from it
	// overflowed to a pool of two.
	if l := p.lim.Limit(); l != rate.Inf {
		return float64(l)
	}
	return math.Inf(1)
}

// Found is the limit the pacer learnt of the server, for a next run to
// start at: the limit the server published; else the acceptance rate read
// at its last cut that did not end a probe, when it had sent above the
// limit for two seconds, the server's burst spent (a probe's reading still
// holds some of the burst); else what it landed at or started from. While
// still climbing, the rate it reached without a 429 is only a lower bound
// (exact false). 0: nothing learnt.
func (p *Pacer) Found() (limit float64, exact bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range []rate.Limit{p.published, p.measured, p.found} {
		if l > 0 {
			return float64(l), true
		}
	}
	if r := p.lim.Limit(); p.climbing && r != rate.Inf {
		return float64(r), false
	}
	return 0, false
}

// Accepted records an answer that was not a 429, with the answer's
// X-RateLimit-Limit and -Remaining (-1 when absent).
func (p *Pacer) Accepted(limit, remaining float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.roll(now)
	p.buckets[len(p.buckets)-1]++
	cur := p.lim.Limit()
	top := min(p.ceiling, p.publishedCap())
	switch {
	case limit > 0 && (p.climbing || rate.Limit(limit) < cur):
		p.publish(rate.Limit(limit), now)
	case p.climbing && cur < top && now.Sub(p.lastChange) >= climbStep && p.observed(now, landOver) >= rate.Limit(climbUse)*cur:
		p.set(min(cur*rate.Limit(climbBy), top), now)
	case !p.climbing && cur < top && now.Sub(p.lastThrott) >= p.quiet() && now.Sub(p.lastChange) >= time.Second:
		p.set(min(cur*rate.Limit(probe), top), now)
		p.probed = true
	}
}

// publishedCap is the server's published limit, or no cap.
func (p *Pacer) publishedCap() rate.Limit {
	if p.published > 0 {
		return p.published
	}
	return rate.Inf
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
		p.publish(rate.Limit(limit), now)
		return
	}
	if p.published > 0 && cur <= p.published {
		return // at the published limit a 429 is jitter: the row waits its Retry-After
	}
	if p.climbing {
		// Land at what the server accepted over the last half second,
		// which still holds whatever burst it had left; the cut after
		// settle reads the limit itself.
		p.land(now)
		p.lastCut = now
		p.found = p.observed(now, landOver)
		p.set(min(p.found, cur), now)
		return
	}
	if now.Sub(p.lastCut) < settle {
		return // the last cut has not had time to show yet
	}
	p.cut(now, cur)
}

// cut sets the rate just under the limit read since the last cut.
func (p *Pacer) cut(now time.Time, cur rate.Limit) {
	observed := p.observed(now, min(now.Sub(p.lastCut), window))
	p.lastCut = now
	estimate, probed := observed, p.probed
	p.probed = false
	switch {
	case probed && p.found > 0 && cur < p.found*1.25:
		// A probe met the limit found before. What the server accepted
		// meanwhile included its burst, which it does not keep up; what
		// it accepted when the limit was found was low by the rows that
		// waited out a Retry-After. The limit lies between the two. Each
		// such probe makes the next one wait longer.
		estimate = min(observed, (observed+p.found)/2)
		p.cuts++
	case estimate > 0:
		// Sent above the limit for a while, the server's burst long
		// spent: the best reading of the limit there is.
		p.measured = estimate
		if probed {
			p.cuts = 0 // the probe went well past the limit found: it rose
		}
	}
	switch {
	case estimate <= 0 && cur == rate.Inf:
		p.set(1, now)
	case estimate <= 0:
		p.set(cur/2, now)
	case estimate < cur:
		p.set(estimate*rate.Limit(cutTo), now)
	default:
		p.set(cur*rate.Limit(cutTo), now)
	}
	if estimate > 0 {
		p.found = estimate
	}
}

// publish takes the limit the server stated: straight there, and no
// further (never past the ceiling the user set).
func (p *Pacer) publish(limit rate.Limit, now time.Time) {
	p.land(now)
	p.found, p.published = limit, limit
	p.set(min(limit, p.ceiling), now)
}

// land ends the climb, if the pacer was climbing.
func (p *Pacer) land(now time.Time) {
	if p.climbing {
		p.climbing, p.landed = false, max(now.Sub(p.start), time.Nanosecond)
	}
}

// Climb is how long the pacer climbed before it found the limit (0: it
// did not climb, or has not found it yet).
func (p *Pacer) Climb() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.landed
}

// quiet is how long the pacer waits after a 429 before it probes again:
// longer each time a probe only met the limit it had found.
func (p *Pacer) quiet() time.Duration {
	return min(quiet<<min(p.cuts, 8), maxQuiet)
}

func (p *Pacer) set(r rate.Limit, now time.Time) {
	p.lim.SetLimitAt(now, max(r, p.floor))
	p.lastChange = now
}

// observed is the acceptance rate over the last span (at most the window;
// less when the run is younger than that).
func (p *Pacer) observed(now time.Time, over time.Duration) rate.Limit {
	k := max(int(over/bucket), 1)
	n := 0
	for _, c := range p.buckets[len(p.buckets)-k:] {
		n += c
	}
	// The newest bucket is still filling: the span ends now, not at its end.
	span := min(now.Sub(p.start), now.Sub(p.head)+time.Duration(k-1)*bucket)
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
