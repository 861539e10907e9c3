package api

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// The simulation: rows sent through a pacer by a pool of workers to a
// server with a rate limit, on synctest's fake clock. A row answered 429
// waits its Retry-After (1 s) and is sent again; while it waits it does not
// hold a worker, as the real pool adds one for each row waiting out a 429.

// admitter is a simulated server's rate limit, consulted when a request
// reaches it.
type admitter interface{ admit(now time.Time) bool }

type bucketLimit struct{ *rate.Limiter }

func (b bucketLimit) admit(now time.Time) bool { return b.AllowN(now, 1) }

// slidingWindow accepts at most n requests in any span of w (a sliding
// log), counting only the requests it accepted.
type slidingWindow struct {
	n     int
	w     time.Duration
	times []time.Time
}

func (s *slidingWindow) admit(now time.Time) bool {
	i := 0
	for i < len(s.times) && !s.times[i].After(now.Add(-s.w)) {
		i++
	}
	s.times = s.times[i:]
	if len(s.times) >= s.n {
		return false
	}
	s.times = append(s.times, now)
	return true
}

// fixedWindow accepts at most n requests in each window of w from start.
type fixedWindow struct {
	n     int
	w     time.Duration
	start time.Time
	cur   int64
	count int
}

func (f *fixedWindow) admit(now time.Time) bool {
	if k := int64(now.Sub(f.start) / f.w); k != f.cur {
		f.cur, f.count = k, 0
	}
	if f.count >= f.n {
		return false
	}
	f.count++
	return true
}

// storm answers every request 429 until the storm ends, then is limit.
type storm struct {
	until time.Time
	limit admitter
}

func (s storm) admit(now time.Time) bool { return now.After(s.until) && s.limit.admit(now) }

// server is a simulated API: its limit, what it publishes, and how much the
// delay before its limiter varies.
type server struct {
	name  string
	limit float64 // the real limit, requests/s
	// newLimit builds the limiter at the run's start.
	newLimit func(start time.Time) admitter
	// header is the X-RateLimit-Limit every answer carries (0: none).
	header float64
	// upJitter is the spread of the delay between a request leaving the
	// pacer and reaching the limiter: the round trip is 100±50 ms whatever
	// it is, and the rest of it comes after the limiter.
	upJitter time.Duration
	// seed picks the latencies.
	seed uint64
}

// splitJitter is today's model: the request reaches the limiter after half
// of one draw of the latency (25-75 ms) and is answered after half of
// another.
const splitJitter = 50 * time.Millisecond

func bucketServer(limit float64, burst int, upJitter time.Duration) server {
	return server{name: "bucket", limit: limit, upJitter: upJitter, newLimit: func(time.Time) admitter {
		return bucketLimit{rate.NewLimiter(rate.Limit(limit), burst)}
	}}
}

func slidingServer(limit float64, upJitter time.Duration) server {
	return server{name: "sliding", limit: limit, upJitter: upJitter, newLimit: func(time.Time) admitter {
		return &slidingWindow{n: int(limit), w: time.Second}
	}}
}

func fixedServer(limit float64, upJitter time.Duration) server {
	return server{name: "fixed", limit: limit, upJitter: upJitter, newLimit: func(start time.Time) admitter {
		return &fixedWindow{n: int(limit), w: time.Second, start: start}
	}}
}

func stormServer(limit float64, burst int, length, upJitter time.Duration) server {
	s := bucketServer(limit, burst, upJitter)
	s.name = "storm"
	s.newLimit = func(start time.Time) admitter {
		return storm{until: start.Add(length), limit: bucketLimit{rate.NewLimiter(rate.Limit(limit), burst)}}
	}
	return s
}

// pace is what the simulation needs of a pacer.
type pace interface {
	Wait(ctx context.Context) error
	Accepted(limit, remaining float64)
	Throttled(limit float64)
}

// run is what a simulated run measured.
type run struct {
	limit      float64
	accepted   int
	throttled  int
	elapsed    time.Duration
	acceptedAt []time.Duration // when each accepted answer arrived
}

// share is the accepted rate over the limit.
func (r run) share() float64 { return float64(r.accepted) / r.elapsed.Seconds() / r.limit }

// share429 is the share of answers that were 429.
func (r run) share429() float64 {
	return float64(r.throttled) / float64(r.accepted+r.throttled)
}

// to90 is when the accepted rate over the last second first reached 90% of
// the limit (the run's length if it never did).
func (r run) to90() time.Duration {
	need := int(0.9*r.limit + 0.999)
	for i := range r.acceptedAt {
		if i+1 >= need && r.acceptedAt[i]-r.acceptedAt[i+1-need] <= time.Second {
			return r.acceptedAt[i]
		}
	}
	return r.elapsed
}

// workersFor is a pool with enough workers for the limit at 100±50 ms.
func workersFor(limit float64) int { return int(2*limit*0.15) + 4 }

// simulate sends total rows through p to s with the given pool, and returns
// what it measured. Each request's latency is drawn from a source seeded by
// its position in the order the pacer let requests go, so a run does not
// depend on the order goroutines happen to run in.
func simulate(t *testing.T, p pace, s server, workers, total int) run {
	t.Helper()
	start := time.Now()
	var mu sync.Mutex // guards lim, sent and res
	lim := s.newLimit(start)
	sent := uint64(0)
	res := run{limit: s.limit}
	pool := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for range total {
		wg.Go(func() {
			pool <- struct{}{}
			for {
				if err := p.Wait(context.Background()); err != nil {
					t.Error(err)
					<-pool
					return
				}
				mu.Lock()
				rng := rand.New(rand.NewPCG(s.seed+1, sent))
				sent++
				mu.Unlock()
				up := 50*time.Millisecond - s.upJitter/2 + time.Duration(rng.Int64N(int64(s.upJitter)+1))
				rest := 100*time.Millisecond - s.upJitter
				down := 50*time.Millisecond - rest/2 + time.Duration(rng.Int64N(int64(rest)+1))
				time.Sleep(up)
				mu.Lock()
				ok := lim.admit(time.Now())
				mu.Unlock()
				time.Sleep(down)
				published := -1.0
				if s.header > 0 {
					published = s.header
				}
				mu.Lock()
				if ok {
					res.accepted++
					res.acceptedAt = append(res.acceptedAt, time.Since(start))
				} else {
					res.throttled++
				}
				mu.Unlock()
				if ok {
					p.Accepted(published, -1)
					<-pool
					return
				}
				p.Throttled(max(published, 0))
				<-pool
				time.Sleep(time.Second) // Retry-After
				pool <- struct{}{}
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// steady paces at a fixed rate, evenly, whatever the server says: the best
// a client that knew the limit could do.
type steady struct{ *rate.Limiter }

func (s steady) Accepted(float64, float64) {}
func (s steady) Throttled(float64)         {}
