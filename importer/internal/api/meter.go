package api

import (
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Meter counts the requests of a run: by operation and status, retries,
// 429s, latencies, and a per-second timeline, for the summary and the
// run page. Its memory is a few hundred bytes plus 16 bytes a second of
// the run. A nil *Meter counts nothing.
type Meter struct {
	mu       sync.Mutex
	start    time.Time
	byOp     [numOps]int64
	byStatus map[string]int64
	retries  [numOps]int64
	throttle int64
	latency  [latencyBuckets]int64
	seconds  []Second
	// waiting counts rows waiting out a 429's Retry-After: they hold a
	// worker each, which the pool sizes for.
	waiting atomic.Int64
	// firstWrite and lastAccepted (Unix nanoseconds, 0: none yet) are
	// when the first write was sent and when Topo last answered one
	// otherwise than 429 or 5xx: a run that meets only refusals for long
	// gives up (--give-up-after).
	firstWrite, lastAccepted atomic.Int64
}

// StalledSince says since when writes have gone unaccepted: the last
// write Topo answered (other than 429 or 5xx, or no answer), else the
// first write sent; ok is false before any write was sent.
func (m *Meter) StalledSince() (since time.Time, ok bool) {
	if m == nil {
		return time.Time{}, false
	}
	t := m.lastAccepted.Load()
	if t == 0 {
		t = m.firstWrite.Load()
	}
	if t == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, t), true
}

// waitOut counts a row waiting out a 429 until the returned func is called.
func (m *Meter) waitOut() (done func()) {
	if m == nil {
		return func() {}
	}
	m.waiting.Add(1)
	return func() { m.waiting.Add(-1) }
}

// Waiting is how many rows are waiting out a 429 now.
func (m *Meter) Waiting() int {
	if m == nil {
		return 0
	}
	return int(m.waiting.Load())
}

// Second is one second of a run's timeline.
type Second struct {
	Requests  int32 `json:"requests"`
	Throttled int32 `json:"throttled"`
	Errors    int32 `json:"errors"` // no answer, or 5xx
}

// Latency buckets grow by a quarter from 1 ms: percentiles within a
// quarter of the truth, and 64 buckets reach past 10 minutes.
const (
	latencyBuckets = 64
	latencyBase    = float64(time.Millisecond)
	latencyGrowth  = 1.25
)

// NewMeter starts a meter whose timeline begins now (nil: time.Now).
func NewMeter(now func() time.Time) *Meter {
	if now == nil {
		now = time.Now
	}
	return &Meter{start: now(), byStatus: map[string]int64{}}
}

func (m *Meter) observe(op Op, a Answer, retry bool) {
	if m == nil {
		return
	}
	if op.Writes() && !a.Sent.IsZero() {
		m.firstWrite.CompareAndSwap(0, a.Sent.UnixNano())
		if a.Err == nil && a.Status != 429 && a.Status < 500 {
			m.lastAccepted.Store(a.Received.UnixNano())
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byOp[op]++
	status := "no_answer"
	if a.Err == nil {
		status = strconv.Itoa(a.Status)
	}
	m.byStatus[status]++
	if retry {
		m.retries[op]++
	}
	sec := m.second(a.Sent)
	sec.Requests++
	switch {
	case a.Err == nil && a.Status == 429:
		m.throttle++
		sec.Throttled++
	case a.Err != nil || a.Status >= 500:
		sec.Errors++
	}
	if a.Err == nil {
		m.latency[latencyBucket(a.Received.Sub(a.Sent))]++
	}
}

func (m *Meter) second(t time.Time) *Second {
	i := max(int(t.Sub(m.start)/time.Second), 0)
	for len(m.seconds) <= i {
		m.seconds = append(m.seconds, Second{})
	}
	return &m.seconds[i]
}

func latencyBucket(d time.Duration) int {
	if d <= time.Millisecond {
		return 0
	}
	b := int(math.Log(float64(d)/latencyBase)/math.Log(latencyGrowth)) + 1
	return min(b, latencyBuckets-1)
}

// bucketUpper is the largest latency bucket b holds.
func bucketUpper(b int) time.Duration {
	return time.Duration(latencyBase * math.Pow(latencyGrowth, float64(b)))
}

// Counts is a snapshot of a meter.
type Counts struct {
	// Requests counts every request sent; ByOp splits it by what the
	// request did (create, update, delete, get, lookup, page, check).
	Requests int64            `json:"requests"`
	ByOp     map[string]int64 `json:"by_op"`
	ByStatus map[string]int64 `json:"by_status"`
	Retries  int64            `json:"retries"`
	// ReadRetries counts reads sent again (lookups, pages, the key check):
	// Retries counts only writes sent again.
	ReadRetries int64 `json:"read_retries"`
	// Throttled counts answers with status 429.
	Throttled int64 `json:"throttled_429"`
	// Latency percentiles of answered requests, in milliseconds.
	P50, P90, P99 float64 `json:"-"`
}

// Writes counts the requests that may change what Topo holds.
func (c Counts) Writes() int64 {
	return c.ByOp[OpCreate.String()] + c.ByOp[OpUpdate.String()] + c.ByOp[OpDelete.String()] + c.ByOp[OpStop.String()]
}

// Counts returns the meter's totals.
func (m *Meter) Counts() Counts {
	c := Counts{ByOp: map[string]int64{}, ByStatus: map[string]int64{}}
	if m == nil {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for op, n := range m.byOp {
		if n > 0 {
			c.ByOp[Op(op).String()] = n
		}
		c.Requests += n
	}
	for k, v := range m.byStatus {
		c.ByStatus[k] = v
	}
	for op, n := range m.retries {
		if Op(op).Writes() {
			c.Retries += n
		} else {
			c.ReadRetries += n
		}
	}
	c.Throttled = m.throttle
	c.P50, c.P90, c.P99 = m.percentile(0.5), m.percentile(0.9), m.percentile(0.99)
	return c
}

// Latency returns the q-quantile (0..1) of answered requests' latency.
func (m *Meter) Latency(q float64) time.Duration {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Duration(m.percentile(q) * float64(time.Millisecond))
}

// percentile is in milliseconds, the upper edge of the bucket that holds
// it; m.mu must be held.
func (m *Meter) percentile(q float64) float64 {
	var total int64
	for _, n := range m.latency {
		total += n
	}
	if total == 0 {
		return 0
	}
	want := int64(math.Ceil(q * float64(total)))
	var seen int64
	for b, n := range m.latency {
		if seen += n; seen >= want {
			return float64(bucketUpper(b)) / float64(time.Millisecond)
		}
	}
	return float64(bucketUpper(latencyBuckets-1)) / float64(time.Millisecond)
}

// Timeline returns the per-second counts since the meter started.
func (m *Meter) Timeline() []Second {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.seconds)
}
