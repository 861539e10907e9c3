package api

import (
	"math"
	"time"
)

// Accepted records an answer that was not a 429, with the answer's
// X-RateLimit-Limit and -Remaining (-1 when absent).
func (p *Pacer) Accepted(limit, remaining float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.answered++
	p.accepted.add(now)
	if limit > 0 {
		p.publish(limit, now)
	}
	p.ev.note(now, p.sched.rate, p.good)
	p.rise(now)
}

// rise raises the rate when Topo has stayed quiet long enough for the
// pacer's state: the next climb step, or the next search step once the
// current one is confirmed.
func (p *Pacer) rise(now time.Time) {
	cur := p.sched.rate
	if math.IsInf(cur, 1) || !p.binding() {
		return
	}
	since, calm := now.Sub(p.lastChange), now.Sub(p.lastThrott)
	if p.climbing {
		// A step goes after climbStep, once answers to requests sent at it
		// came back clean.
		ready := since >= climbStep && p.fresh() > 0
		if ready && calm >= max(p.climbQuiet, climbStep) {
			p.good = max(p.good, cur)
			p.set(min(cur*climbBy, p.target), now)
			if p.sched.rate >= min(p.target, p.top()) {
				p.endClimb(now)
			}
		}
		return
	}
	if since < p.confirm() || calm < p.confirm() || p.fresh() < settleFresh {
		return // the current step has not held long enough, or Topo refused one lately
	}
	if cur > p.good {
		// A bucket's burst hides a pace above its limit until it is spent:
		// the step counts once it sent confirmExcess more than good would.
		if float64(p.sched.binds+p.sched.frees)-p.good*since.Seconds() < confirmExcess {
			return
		}
		p.good = cur
		if p.knocking {
			// A knock went well: the limit rose. Creep up after it.
			p.bad, p.knocks, p.creeping, p.streak = math.Inf(1), 0, true, 0
		}
		p.knocking = false
		p.streak++
	}
	p.sustained = max(p.sustained, cur)
	if cur >= p.top() {
		return
	}
	if p.bad <= cur*converged {
		if calm < p.quiet() || since < p.quiet() {
			return
		}
		p.knocking = true
		p.set(cur*creepBy, now)
		return
	}
	next := cur * searchBy
	if p.creeping {
		next = cur * min(searchBy, 1+(creepBy-1)*math.Pow(2, float64(p.streak-1)))
	}
	if !math.IsInf(p.bad, 1) {
		// Half way to bad, a quarter after a step that met the limit:
		// each such step costs the 429s of a round trip above it, each
		// that holds only a confirm.
		part := 0.5
		if p.stepFailed {
			part = 0.25
		}
		next = min(next, max(cur+(p.bad-cur)*part, cur*creepBy))
	}
	p.stepFailed = false
	p.set(next, now)
}

// shown learns how long a step above the limit took to meet a 429: the
// round trip, and the time the server's burst hid the step.
func (p *Pacer) shown(d time.Duration) {
	if p.showAfter == 0 {
		p.showAfter = d
		return
	}
	p.showAfter = (p.showAfter + d) / 2
}

// confirm is how long a step must hold before it counts as good: twice
// what steps above the limit took to meet a 429, within bounds.
func (p *Pacer) confirm() time.Duration {
	if p.showAfter == 0 {
		return maxConfirm
	}
	return min(max(2*p.showAfter, minConfirm), maxConfirm)
}

// quiet is how long the pacer waits after a 429 before it knocks above the
// limit it converged on: longer each time a knock only met the same limit.
func (p *Pacer) quiet() time.Duration {
	return min(quiet<<min(p.knocks, 8), maxQuiet)
}

// Throttled records a 429; limit is the server's X-RateLimit-Limit, or 0.
func (p *Pacer) Throttled(limit float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.answered++
	p.throttledAt = now
	if limit > 0 {
		p.publish(limit, now)
	}
	cur := p.sched.rate
	if p.down && p.fresh() == 0 && now.Sub(p.lastChange) < staleFor {
		return // an answer to a request sent before the rate went down
	}
	p.lastThrott = now
	p.fresh429++
	seen := p.accepted.rate(now, landOver, p.start)
	switch {
	case math.IsInf(cur, 1):
		p.cut(now, max(seen*cutTo, 1))
	case seen < stormShare*cur:
		p.storm(now, cur)
	case p.climbing:
		p.land(now, cur, max(seen*cutTo, p.good))
	case p.good > 0 && cur > p.good*1.001:
		// A step above good met the limit: back to where nothing was
		// refused.
		p.shown(now.Sub(p.lastChange))
		p.ev.met(cur, p.good)
		if p.knocking {
			p.knocks++
		}
		p.bad, p.creeping, p.knocking, p.stepFailed = cur, false, false, true
		p.set(p.good, now)
		p.holdAt, p.holdUntil = p.good, now.Add(settle)
	default:
		if !p.settled(now) {
			return // the last cut has not had time to show yet
		}
		// Topo refused this share of what was sent at this rate: cut by
		// as much, by at most half. For settle after a landing or a cut,
		// cuts go no lower than a quarter of it, and after a step back to
		// good not below good; only a cut outside those says where the limit
		// is: a window limiter filled by one rate goes on refusing the
		// next for a while.
		refused := float64(p.fresh429) / float64(max(p.fresh(), 1))
		next := max(cur*(1-refused)*cutTo, cur/2)
		if now.Before(p.holdUntil) {
			if next = max(next, p.holdAt); next >= cur {
				return
			}
		} else {
			p.ev.met(cur, p.good)
			p.bad = cur
		}
		p.creeping = false
		p.cut(now, next)
	}
}

// settled says whether the rate has shown what it does since it last
// changed: settleFresh answers to requests sent since, and settle since
// the last cut unless those answers were a flood of 429s.
func (p *Pacer) settled(now time.Time) bool {
	n := p.fresh()
	if n < settleFresh {
		return false
	}
	return now.Sub(p.lastCut) >= settle || float64(p.fresh429) >= floodShare*float64(n)
}

// cut lowers the rate to next and takes it as good: what Topo accepted.
func (p *Pacer) cut(now time.Time, next float64) {
	p.lastCut = now
	p.set(next, now)
	p.good = p.sched.rate
	if !now.Before(p.holdUntil) {
		p.holdAt, p.holdUntil = p.good/4, now.Add(settle)
	}
}

// land ends a climb at the first 429, at seen: the search that follows
// finds the rest.
func (p *Pacer) land(now time.Time, failed, seen float64) {
	p.shown(now.Sub(p.lastChange))
	p.endClimb(now)
	p.ev.met(failed, p.good)
	p.bad, p.creeping = failed, false
	p.cut(now, min(seen, failed*cutTo))
}

// endClimb stops climbing; the first climb's length is what Climb reports.
func (p *Pacer) endClimb(now time.Time) {
	if p.landed == 0 {
		p.landed = max(now.Sub(p.start), time.Nanosecond)
	}
	p.climbing, p.climbQuiet, p.target = false, 0, math.Inf(1)
}

// storm answers Topo refusing nearly everything: not a limit, so neither
// good nor bad is touched. Halve the rate, at most once a settle, and
// climb back to good once Topo has been quiet a while.
func (p *Pacer) storm(now time.Time, cur float64) {
	if now.Sub(p.lastCut) < settle {
		return
	}
	p.lastCut = now
	if !p.climbing {
		p.target = math.Inf(1)
		if p.good > 0 {
			p.target = p.good
		}
	}
	p.climbing, p.climbQuiet = true, stormQuiet
	p.set(cur/2, now)
}

// acceptance counts accepted answers in buckets over the last window.
type acceptance struct {
	counts [window / bucket]int
	head   time.Time // start of the newest bucket
}

func (a *acceptance) add(now time.Time) {
	a.roll(now)
	a.counts[len(a.counts)-1]++
}

// rate is the acceptance rate over the last span (at most the window; less
// when the run is younger than that).
func (a *acceptance) rate(now time.Time, over time.Duration, start time.Time) float64 {
	a.roll(now)
	k := min(max(int(over/bucket), 1), len(a.counts))
	n := 0
	for _, c := range a.counts[len(a.counts)-k:] {
		n += c
	}
	// The newest bucket is still filling: the span ends now, not at its end.
	span := min(now.Sub(start), now.Sub(a.head)+time.Duration(k-1)*bucket)
	if span <= 0 {
		return 0
	}
	return float64(n) / span.Seconds()
}

// roll moves the window forward to now.
func (a *acceptance) roll(now time.Time) {
	steps := int(now.Sub(a.head) / bucket)
	if steps <= 0 {
		return
	}
	n := min(steps, len(a.counts))
	copy(a.counts[:], a.counts[n:])
	clear(a.counts[len(a.counts)-n:])
	a.head = a.head.Add(time.Duration(steps) * bucket)
}
