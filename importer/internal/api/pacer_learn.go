package api

import "time"

// What a run may report as the server's exact limit, for the next run to
// start at and hold. A limit is exact only on evidence of both sides:
//
//   - below: the pace was held within 5% of it, answers accepted, for at
//     least exactFor, or for exactCount accepted answers, whichever comes
//     first: a short run's figure, however it was read, is a lower bound;
//   - above: this run met 429s at a rate at most 10% over it.
//
// A published X-RateLimit-Limit is never evidence (a header that says 1000
// a second while the server refuses the sixth request of a second teaches
// nothing), and it need not be: a run that starts from a lower bound
// climbs, and the first answer's header caps the climb again.
const (
	exactFor   = 30 * time.Second
	exactCount = 500
	exactNear  = 1.05 // the pace counts as held at the limit within 5%
	exactAbove = 1.1  // 429s this close above the limit bound it
)

// evidence is what was seen at the rate the pacer holds as good.
type evidence struct {
	level  float64 // the good rate the evidence is about
	held   time.Duration
	count  int
	last   time.Time // the last accepted answer counted; zero: none
	capped bool      // 429s met at most exactAbove over level
}

// at starts the evidence afresh when good moved away from its level.
func (e *evidence) at(good float64) {
	if e.level == 0 || good > e.level*exactNear || good*exactNear < e.level {
		*e = evidence{level: good}
	}
}

// note counts an accepted answer at rate, good being the pacer's reading.
func (e *evidence) note(now time.Time, rate, good float64) {
	if good <= 0 {
		return
	}
	e.at(good)
	if rate*exactNear < e.level {
		e.last = time.Time{} // the pace left the level: this span is over
		return
	}
	if !e.last.IsZero() {
		e.held += now.Sub(e.last)
	}
	e.count++
	e.last = now
}

// met records 429s met at rate, good being the pacer's reading.
func (e *evidence) met(rate, good float64) {
	if good > 0 && rate <= good*exactAbove {
		e.at(good)
		e.capped = true
	}
}

// exact says whether the evidence makes limit exact.
func (e *evidence) exact(limit float64) bool {
	if e.level == 0 || limit > e.level*exactNear || limit*exactNear < e.level {
		return false
	}
	return e.capped && (e.held >= exactFor || e.count >= exactCount)
}

// Found is the limit the pacer learnt of the server, for a next run to
// start at: the rate it holds as good, at most the highest rate it held
// for a confirm with nothing refused (0: none yet: the steps of a climb
// are too short to say anything), and whether that is exact by the rule
// above; otherwise it is a lower bound.
func (p *Pacer) Found() (limit float64, exact bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	limit = min(p.good, p.sustained)
	if limit <= 0 {
		return 0, false
	}
	return limit, p.ev.exact(limit)
}
