package api

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

// simulate runs workers that pace through p against a server with a token
// bucket of limit/s, on synctest's fake clock. It returns the achieved
// rate of accepted requests and the share answered 429.
func simulate(t *testing.T, p *Pacer, limit float64, burst, workers, total int) (achieved, share429 float64) {
	return simulateWith(t, p, limit, burst, workers, total, false)
}

// simulateWith is simulate, the server sending X-RateLimit-Limit when
// header is set.
func simulateWith(t *testing.T, p *Pacer, limit float64, burst, workers, total int, header bool) (achieved, share429 float64) {
	t.Helper()
	server := rate.NewLimiter(rate.Limit(limit), burst)
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	latency := func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return 50*time.Millisecond + time.Duration(rng.Int64N(int64(100*time.Millisecond)))
	}
	var accepted, throttled, next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(total) {
				for {
					if err := p.Wait(context.Background()); err != nil {
						t.Error(err)
						return
					}
					time.Sleep(latency() / 2)
					ok := server.Allow()
					time.Sleep(latency() / 2)
					published := -1.0
					if header {
						published = limit
					}
					if ok {
						accepted.Add(1)
						p.Accepted(published, -1)
						break
					}
					throttled.Add(1)
					p.Throttled(max(published, 0))
					time.Sleep(time.Second) // the row is held back by Retry-After
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	return float64(accepted.Load()) / elapsed / limit, float64(throttled.Load()) / float64(accepted.Load()+throttled.Load())
}

func TestPacerFindsTheServersLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		achieved, share := simulate(t, NewPacer(40, 1), 20, 5, 16, 2000)
		t.Logf("achieved %.3f, 429 share %.4f", achieved, share)
		if achieved < 0.97 || share > 0.03 {
			t.Errorf("asked 40/s of a 20/s server: reached %.2f of the limit with %.1f%% 429s", achieved, share*100)
		}
	})
}

func TestPacerUnderTheLimitMeetsNo429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		achieved, share := simulate(t, NewPacer(20, 1), 20, 5, 4, 400)
		if achieved < 0.97 || share != 0 {
			t.Errorf("asked 20/s of a 20/s server: reached %.2f with %.1f%% 429s", achieved, share*100)
		}
	})
}

func TestPacerUnlimitedAdapts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(0, 1)
		achieved, share := simulate(t, p, 20, 5, 4, 600)
		t.Logf("achieved %.3f, 429 share %.4f, final rate %.1f", achieved, share, p.Rate())
		if achieved < 0.85 || share > 0.1 {
			t.Errorf("unlimited against 20/s: reached %.2f with %.1f%% 429s", achieved, share*100)
		}
		if p.Rate() > 40 {
			t.Errorf("rate still %v after 429s", p.Rate())
		}
	})
}

func TestPacerHonoursTheLimitHeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(50, 1)
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

// TestAutoPacerFindsTheLimit: from the safe start, without the limit
// header, against limits of 5, 20 and 50 a second, with enough workers:
// at least 0.95 of the limit, at most 3% of requests answered 429.
func TestAutoPacerFindsTheLimit(t *testing.T) {
	for _, limit := range []float64{5, 20, 50} {
		for _, header := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/s header=%v", limit, header), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := NewAutoPacer(0, false, 0, 1)
					total := 2000 // as the issue measures it
					achieved, share := simulateWith(t, p, limit, 5, 16, total, header)
					found, exact := p.Found()
					t.Logf("achieved %.3f, 429 share %.4f, found %.1f (exact %v)", achieved, share, found, exact)
					if achieved < 0.95 || share > 0.03 {
						t.Errorf("reached %.3f of the limit with %.1f%% 429s", achieved, share*100)
					}
					if !exact || found < 0.9*limit || found > 1.1*limit {
						t.Errorf("learnt %.1f (exact %v), want about %v", found, exact, limit)
					}
				})
			})
		}
	}
}

// TestAutoPacerStartsWhereTheLastRunLeftOff: a learnt limit is used from
// the first second.
func TestAutoPacerStartsWhereTheLastRunLeftOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewAutoPacer(20, true, 0, 1)
		achieved, share := simulate(t, p, 20, 5, 16, 300) // fifteen seconds
		if achieved < 0.97 || share > 0.03 {
			t.Errorf("reached %.3f of the limit with %.1f%% 429s in its first seconds", achieved, share*100)
		}
	})
}

// TestAutoPacerIsCappedByANumber: --rate 10 with auto finding keeps under 10.
func TestAutoPacerIsCappedByANumber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewAutoPacer(0, false, 10, 1)
		achieved, share := simulate(t, p, 50, 5, 16, 600)
		if achieved*50 > 10.1 || share != 0 || p.Rate() > 10 {
			t.Errorf("capped at 10 against a 50/s server: %.1f/s, %.1f%% 429s, rate %v", achieved*50, share*100, p.Rate())
		}
	})
}

// TestUnlimitedRateIsInfinite: --rate 0 paces at +Inf, which callers
// size pools from (rate.Inf, the largest float, made a pool of two).
func TestUnlimitedRateIsInfinite(t *testing.T) {
	if r := NewPacer(0, 1).Rate(); !math.IsInf(r, 1) {
		t.Errorf("unlimited pacer's rate is %v, want +Inf", r)
	}
}
