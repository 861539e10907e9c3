package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The tests below are the pacer's tests from before it paced one request
// at a time, on the same server as then: a token bucket of burst 5 that a
// request reaches after 25-75 ms (splitJitter).

func TestPacerFindsTheServersLimit(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := simulate(t, NewPacer(40), bucketServer(20, 5, splitJitter), 16, 2000)
		t.Logf("achieved %.3f, 429 share %.4f", r.share(), r.share429())
		if r.share() < 0.97 || r.share429() > 0.03 {
			t.Errorf("asked 40/s of a 20/s server: reached %.2f of the limit with %.1f%% 429s", r.share(), r.share429()*100)
		}
	})
}

func TestPacerUnderTheLimitMeetsNo429(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := simulate(t, NewPacer(20), bucketServer(20, 5, splitJitter), 4, 400)
		if r.share() < 0.97 || r.throttled != 0 {
			t.Errorf("asked 20/s of a 20/s server: reached %.2f with %.1f%% 429s", r.share(), r.share429()*100)
		}
	})
}

func TestPacerUnlimitedAdapts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(0)
		r := simulate(t, p, bucketServer(20, 5, splitJitter), 4, 600)
		t.Logf("achieved %.3f, 429 share %.4f, final rate %.1f", r.share(), r.share429(), p.Rate())
		if r.share() < 0.85 || r.share429() > 0.1 {
			t.Errorf("unlimited against 20/s: reached %.2f with %.1f%% 429s", r.share(), r.share429()*100)
		}
		if p.Rate() > 40 {
			t.Errorf("rate still %v after 429s", p.Rate())
		}
	})
}

func TestPacerHonoursTheLimitHeader(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(50)
		p.Throttled(8)
		if p.Rate() != 8 {
			t.Errorf("rate %v after X-RateLimit-Limit 8", p.Rate())
		}
		p.Throttled(100) // a looser header never raises the rate
		if p.Rate() > 8 {
			t.Errorf("rate %v rose on a 429", p.Rate())
		}
		for range 60 {
			time.Sleep(time.Second)
			p.Accepted(-1, -1)
		}
		if p.Rate() != 8 {
			t.Errorf("after a quiet minute the rate is %v: it probed past the limit the server published (8)", p.Rate())
		}
	})
}

// TestAutoPacerFindsTheLimit: from the safe start, against limits of 5,
// 20 and 50 a second, with enough workers: at least 0.95 of the limit, at
// most 3% of requests answered 429, and the limit learnt within 10%:
// exact without the header (2,000 rows hold it for 40 s or more, and the
// search met 429s just above it); with the header, which caps the climb
// so that no 429 may come, a lower bound (a published limit is not
// evidence).
func TestAutoPacerFindsTheLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []float64{5, 20, 50} {
		for _, header := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/s header=%v", limit, header), func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					p := NewAutoPacer(0, false, 0)
					s := bucketServer(limit, 5, splitJitter)
					if header {
						s.header = limit
					}
					r := simulate(t, p, s, 16, 2000)
					found, exact := p.Found()
					t.Logf("achieved %.3f, 429 share %.4f, found %.1f (exact %v)", r.share(), r.share429(), found, exact)
					if r.share() < 0.95 || r.share429() > 0.03 {
						t.Errorf("reached %.3f of the limit with %.1f%% 429s", r.share(), r.share429()*100)
					}
					if found < 0.9*limit || found > 1.1*limit {
						t.Errorf("learnt %.1f, want about %v", found, limit)
					}
					if header && exact && r.throttled == 0 || !header && !exact {
						t.Errorf("learnt %.1f as exact=%v after %d 429s (header %v)", found, exact, r.throttled, header)
					}
				})
			})
		}
	}
}

// TestAutoPacerStartsWhereTheLastRunLeftOff: a learnt limit is used from
// the first second.
func TestAutoPacerStartsWhereTheLastRunLeftOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewAutoPacer(20, true, 0)
		r := simulate(t, p, bucketServer(20, 5, splitJitter), 16, 300) // fifteen seconds
		if r.share() < 0.97 || r.share429() > 0.03 {
			t.Errorf("reached %.3f of the limit with %.1f%% 429s in its first seconds", r.share(), r.share429()*100)
		}
	})
}

// TestAutoPacerIsCappedByANumber: --rate 10 with auto finding keeps under 10.
func TestAutoPacerIsCappedByANumber(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewAutoPacer(0, false, 10)
		r := simulate(t, p, bucketServer(50, 5, splitJitter), 16, 600)
		if r.share()*50 > 10.1 || r.throttled != 0 || p.Rate() > 10 {
			t.Errorf("capped at 10 against a 50/s server: %.1f/s, %.1f%% 429s, rate %v", r.share()*50, r.share429()*100, p.Rate())
		}
	})
}

// TestPacerSpacesRequestsEvenly: sixteen workers waiting on a pacer at
// 20/s leave 50 ms apart, whatever burst was asked for, even after a pause
// long enough to fill a bucket of five.
func TestPacerSpacesRequestsEvenly(t *testing.T) {
	t.Parallel()
	for _, burst := range []int{1, 5} {
		t.Run(fmt.Sprint("burst ", burst), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := NewPacer(20)
				var mu sync.Mutex
				var left []time.Time
				for range 4 {
					var wg sync.WaitGroup
					for range 16 {
						wg.Go(func() {
							if err := p.Wait(t.Context()); err != nil {
								t.Error(err)
								return
							}
							mu.Lock()
							left = append(left, time.Now())
							mu.Unlock()
						})
					}
					wg.Wait()
					time.Sleep(time.Second) // idle: a bucket would fill
				}
				for i := 1; i < len(left); i++ {
					if gap := left[i].Sub(left[i-1]); gap < 50*time.Millisecond-time.Microsecond {
						t.Fatalf("requests %d and %d left %v apart, want 50ms", i-1, i, gap)
					}
				}
				if first := left[15].Sub(left[0]); first > 15*50*time.Millisecond+time.Millisecond {
					t.Errorf("the first sixteen requests took %v, want 750ms", first)
				}
			})
		})
	}
}

// TestPacerWaitFollowsTheRate: a wait booked at the floor (one request in
// five seconds) ends as soon as the rate rises, not five seconds later.
func TestPacerWaitFollowsTheRate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(floorRate, math.Inf(1))
		if err := p.Wait(t.Context()); err != nil { // the bucket's one token
			t.Fatal(err)
		}
		start := time.Now()
		done := make(chan time.Duration)
		go func() {
			if err := p.Wait(t.Context()); err != nil {
				t.Error(err)
			}
			done <- time.Since(start)
		}()
		time.Sleep(time.Second)
		p.mu.Lock()
		p.set(20, time.Now())
		p.mu.Unlock()
		// By then the token is a fifth full: at 20/s the rest takes 40 ms.
		if took := <-done; took > time.Second+41*time.Millisecond {
			t.Errorf("the wait took %v after the rate rose to 20/s at 1s", took)
		}
	})
}

// TestPacerWaitEndsWithItsContext: a waiting request returns the context's
// cause, and the request behind it moves up.
func TestPacerWaitEndsWithItsContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(1)
		if err := p.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		stop := errors.New("stopped by the operator")
		ctx, cancel := context.WithCancelCause(t.Context())
		first := make(chan error)
		go func() { first <- p.Wait(ctx) }()
		synctest.Wait()
		second := make(chan time.Time)
		go func() {
			if err := p.Wait(t.Context()); err != nil {
				t.Error(err)
			}
			second <- time.Now()
		}()
		synctest.Wait()
		start := time.Now()
		time.Sleep(100 * time.Millisecond)
		cancel(stop)
		if err := <-first; !errors.Is(err, stop) {
			t.Errorf("Wait returned %v, want the cause %v", err, stop)
		}
		if took := (<-second).Sub(start); took > time.Second+time.Millisecond {
			t.Errorf("the next request waited %v, want the one second of its own turn", took)
		}
		if err := p.Wait(ctx); !errors.Is(err, stop) {
			t.Errorf("Wait on an ended context returned %v", err)
		}
	})
}

// TestPacerSaysWhenItIsThrottled: Throttling holds for two seconds after
// a 429, whatever the pacer made of it.
func TestPacerSaysWhenItIsThrottled(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(20)
		if p.Throttling() {
			t.Error("throttling before any 429")
		}
		p.Throttled(0)
		time.Sleep(1900 * time.Millisecond)
		if !p.Throttling() {
			t.Error("not throttling 1.9s after a 429")
		}
		time.Sleep(200 * time.Millisecond)
		if p.Throttling() {
			t.Error("still throttling 2.1s after a 429")
		}
	})
}

// TestUnlimitedRateIsInfinite: --rate 0 paces at +Inf, which callers
// size pools from (a largest-float rate once made a pool of two).
func TestUnlimitedRateIsInfinite(t *testing.T) {
	if r := NewPacer(0).Rate(); !math.IsInf(r, 1) {
		t.Errorf("unlimited pacer's rate is %v, want +Inf", r)
	}
}

// TestPacerWakesEarlyButNeverGoesEarly, on the real clock: with timers
// taken to be as late as they may be (the pacer then wakes that much
// early and yields), no request goes before its token. The bound is a
// floor, which a busy machine only makes easier to meet.
func TestPacerWakesEarlyButNeverGoesEarly(t *testing.T) {
	t.Parallel()
	const perSecond, n = 50.0, 25
	p := NewPacer(perSecond)
	p.mu.Lock()
	p.sched.late = maxEarly
	p.mu.Unlock()
	start := time.Now()
	for range n {
		if err := p.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	floor := time.Duration(float64(n-1) / perSecond * float64(time.Second))
	if took := time.Since(start); took < floor {
		t.Errorf("%d requests left in %v, want at least %v at %v/s", n, took, floor, perSecond)
	}
}

// BenchmarkPacerHoldsItsRate: twelve workers keep a pacer at 100/s busy
// for five seconds; the share of the rate it lets go is what the timers'
// lateness leaves (each late wake loses its time: the bucket holds one
// token).
func BenchmarkPacerHoldsItsRate(b *testing.B) {
	const perSecond, n = 100.0, 500
	for range b.N {
		p := NewPacer(perSecond)
		jobs := make(chan struct{}, n)
		for range n {
			jobs <- struct{}{}
		}
		close(jobs)
		start := time.Now()
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				for range jobs {
					if err := p.Wait(b.Context()); err != nil {
						b.Error(err)
						return
					}
					time.Sleep(100 * time.Millisecond) // the request
				}
			})
		}
		wg.Wait()
		sending := time.Since(start) - 100*time.Millisecond
		b.ReportMetric(100*float64(n-1)/perSecond/sending.Seconds(), "%-of-rate")
	}
}
