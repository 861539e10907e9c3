package api

import (
	"math"
	"sync"
	"time"
)

// Pacer decides when the next request may go; the workers decide what it
// is. One pacer is shared by every worker. Requests leave one at a time,
// evenly spaced at the current rate, and a waiting request re-reads the
// rate whenever it changes (pacer_wait.go): a server whose bucket holds a
// single token sees no clumps, and a wait booked during a storm of 429s
// shrinks as soon as the rate rises again.
//
// The rate follows what the server accepts. The pacer keeps good, the
// highest rate it sustained (it held requests back and none was refused),
// and bad, the lowest rate that met 429s since:
//
//   - climbing (an automatic pacer that learnt nothing exact, or after a
//     storm) doubles the rate every climbStep once answers to requests
//     sent at the new rate came back clean; at the first 429 it lands at
//     the rate before, or at what Topo accepted over the last half second
//     when that is more;
//   - searching raises the rate from good by at most a quarter, half way
//     to bad (a quarter of the way after a step that met a 429). A step
//     counts as good after a confirm: twice what steps above the limit
//     took to meet a 429 (one to four seconds, a window limiter's second
//     at least), and confirmExcess requests more than good would have
//     sent, so that a bucket's burst cannot hide it. A step answered 429
//     goes straight back to good, not down to what Topo accepted
//     meanwhile: a bucket without burst accepts every other request of a
//     pace just above its limit, and reads as half of it;
//   - when bad is within 2% of good it holds, and knocks 2% above good
//     after a quiet spell that doubles (10 s to a minute) with every knock
//     that meets the limit; a knock that holds starts a creep up (2%, 4%,
//     8%... a confirm each);
//   - a 429 at good means the limit is lower than good: once settleFresh
//     answers to requests sent at the current rate are in, and settle
//     after the last cut (sooner when a quarter of them were 429s), it cuts
//     by the share Topo refused, by at most half. For settle after a
//     landing or a cut it goes no lower than a quarter of where it came
//     to, and
//     after a step back to good not below good: a window limiter filled
//     by one rate goes on refusing the next for a while;
//   - a storm (Topo accepted under a fifth of the rate over the last half
//     second) says nothing of the limit: the rate halves, at most every
//     settle, and after a quiet second climbs back to good.
//
// The rate never passes the ceiling the user set, nor the lowest
// X-RateLimit-Limit seen (read as per second: a limit over a longer window
// is only looser). A climb goes up to a published limit as fast as it
// climbs, not in one jump, and 429s under it lower the rate as they would
// without it: a published limit is a ceiling, never evidence (a header
// that says 1000 a second while Topo refuses the sixth request of a
// second teaches nothing). What the pacer learns is what Topo accepted.
type Pacer struct {
	mu    sync.Mutex
	sched schedule
	now   func() time.Time
	start time.Time

	ceiling   float64 // the user's cap (+Inf: none)
	published float64 // the lowest X-RateLimit-Limit seen (0: none)

	climbing   bool
	target     float64       // where a climb stops (+Inf: at the first 429)
	climbQuiet time.Duration // quiet a climb needs before its next step
	good       float64       // the highest rate believed sustainable (0: none yet)
	sustained  float64       // the highest rate held a confirm with nothing refused
	bad        float64       // the lowest rate that met 429s since (+Inf: none)
	knocking   bool          // the current step is a knock above a converged good
	creeping   bool          // rising in small steps after a knock went well
	streak     int           // steps confirmed since creeping began
	knocks     int           // knocks that only met the same limit
	holdAt     float64       // no cut below this until holdUntil
	holdUntil  time.Time
	stepFailed bool          // the last step above good met a 429
	showAfter  time.Duration // how long steps above the limit took to meet a 429
	down       bool          // the last change lowered the rate

	// lastThrott is the last 429 that counted (not an answer to a request
	// sent before a cut); throttledAt the last of all.
	lastChange, lastThrott, lastCut, throttledAt time.Time
	// answered counts answers ever; at the last change of rate, it, the
	// requests sent and those then in flight; fresh429 the 429s to
	// requests sent since.
	answered, changeAnswered, changeSent, changeInflight, fresh429 int64

	landed time.Duration // how long the first climb took

	accepted acceptance
	ev       evidence
}

// The constants were tuned on the simulation in pacer_sim_test.go (token
// buckets of burst 1 and 5, sliding and fixed windows, 5 to 100 a second,
// a lying limit header, a storm of 429s), five latency seeds a case.
const (
	// window is the span over which acceptance is read; bucket its grain.
	window = 2 * time.Second
	bucket = 100 * time.Millisecond
	// Climbing multiplies the rate by climbBy every climbStep while the
	// pacer holds requests back and Topo stays quiet; at the first 429 it
	// lands at the rate before, or at cutTo of what Topo accepted over
	// landOver when that is more.
	climbStep = 200 * time.Millisecond
	climbBy   = 2.0
	landOver  = 500 * time.Millisecond
	cutTo     = 0.99
	// Searching: a step holds a confirm (minConfirm to maxConfirm, and
	// confirmExcess requests over what good would send) before it counts
	// as good; steps are at most searchBy, at least creepBy, and the first
	// after a knock that held creepBy, doubling with each that holds.
	minConfirm    = time.Second
	maxConfirm    = 4 * time.Second
	confirmExcess = 8
	searchBy      = 1.25
	creepBy       = 1.02
	// converged: good and bad this close, the pacer holds; it knocks above
	// good after quiet (doubled by each knock that met the limit, to
	// maxQuiet).
	converged = 1.02
	quiet     = 10 * time.Second
	maxQuiet  = time.Minute
	// A cut has to show before the next: settleFresh answers to requests
	// sent since, and settle, unless floodShare of those were 429s. A 429
	// is an answer to a request sent before the rate went down while the
	// answers since are fewer than the requests then in flight (at most
	// staleFor).
	settle      = 2 * time.Second
	settleFresh = 10
	floodShare  = 0.25
	staleFor    = time.Second
	// A storm: Topo accepted under stormShare of the rate over landOver.
	// The climb back waits stormQuiet without a 429.
	stormShare = 0.2
	stormQuiet = time.Second
	// throttlingFor is how long after a 429 Throttling says so.
	throttlingFor = 2 * time.Second
	// SafeStart is where an automatic pacer starts when nothing was learnt.
	SafeStart = 5.0
	// floorRate is the slowest the pacer goes: one request every 5 s.
	floorRate = 0.2
)

// NewPacer paces at perSecond (0 or less: as fast as the server allows),
// lower on 429s. Requests leave one at a time, evenly spaced: a server
// whose bucket holds one token answers the second of any pair 429.
func NewPacer(perSecond float64) *Pacer {
	ceiling := perSecond
	if perSecond <= 0 {
		ceiling = math.Inf(1)
	}
	return newPacer(ceiling, ceiling)
}

// NewAutoPacer finds the server's limit by itself, never past ceiling (0:
// none). It starts at learnt, what an earlier run found (SafeStart when
// nothing was): an exact limit it holds and only knocks above after a long
// quiet; a lower bound it climbs from.
func NewAutoPacer(learnt float64, exact bool, ceiling float64) *Pacer {
	c := ceiling
	if ceiling <= 0 {
		c = math.Inf(1)
	}
	if learnt <= 0 || math.IsInf(learnt, 0) || math.IsNaN(learnt) {
		learnt, exact = SafeStart, false
	}
	p := newPacer(min(learnt, c), c)
	if !exact {
		p.climbing, p.target, p.climbQuiet = true, math.Inf(1), 0
		return p
	}
	// The limit was found, not guessed: hold it as good, as if this run
	// had converged on it, and knock above it only after a long quiet.
	p.good, p.bad, p.knocks = p.sched.rate, p.sched.rate*converged, 2
	return p
}

func newPacer(start, ceiling float64) *Pacer {
	p := &Pacer{ceiling: ceiling, now: time.Now, bad: math.Inf(1), target: math.Inf(1)}
	p.start = p.now()
	p.sched = newSchedule(max(start, floorRate), p.start)
	p.lastChange, p.lastCut = p.start, p.start.Add(-settle)
	p.lastThrott, p.throttledAt = p.start.Add(-maxQuiet), p.start.Add(-maxQuiet)
	p.accepted.head = p.start
	return p
}

// Rate is the current pace in requests per second (+Inf: unlimited).
func (p *Pacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sched.rate
}

// Throttling reports whether Topo answered 429 in the last two seconds:
// rows are waiting out a Retry-After and the pace is being held back.
func (p *Pacer) Throttling() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now().Sub(p.throttledAt) < throttlingFor
}

// Climb is how long the pacer climbed before it found the limit (0: it
// did not climb, or has not found it yet).
func (p *Pacer) Climb() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.landed
}

// top is the highest the rate may go.
func (p *Pacer) top() float64 {
	if p.published > 0 {
		return min(p.ceiling, p.published)
	}
	return p.ceiling
}

// set changes the rate, within the floor and the top.
func (p *Pacer) set(r float64, now time.Time) {
	r = max(min(r, p.top()), floorRate)
	if r == p.sched.rate {
		return
	}
	p.down = r < p.sched.rate
	p.sched.setRate(r, now)
	p.lastChange = now
	p.changeAnswered, p.changeSent = p.answered, p.sched.sent
	p.changeInflight = max(p.sched.sent-p.answered, 0)
	p.fresh429 = 0
}

// fresh is how many answers came to requests sent since the last change
// of rate, taking answers to come in the order requests went.
func (p *Pacer) fresh() int64 {
	return max(min(p.answered-p.changeAnswered-p.changeInflight, p.sched.sent-p.changeSent), 0)
}

// binding says whether the pacer, not the pool, has been holding requests
// back since the last change of rate: only then does a rate that drew no
// 429 say anything about the server.
func (p *Pacer) binding() bool {
	return p.sched.binds > 0 && p.sched.binds >= p.sched.frees
}

// publish takes a limit the server stated as a ceiling: the rate drops to
// it at once and never rises past it.
func (p *Pacer) publish(limit float64, now time.Time) {
	if p.published == 0 || limit < p.published {
		p.published = limit
	}
	if p.sched.rate > p.top() {
		p.set(p.top(), now)
	}
}
