package api

import (
	"container/list"
	"context"
	"math"
	"runtime"
	"time"
)

// The pacer's schedule: a token bucket of burst one that nobody reserves
// ahead. Waiters queue in arrival order and
// only the first sleeps, until the bucket holds a token at the rate of the
// moment; every change of rate wakes it to count again. So requests leave
// one at a time, 1/rate apart, and a wait booked at a low rate shrinks as
// soon as the rate rises (reservations, as golang.org/x/time/rate makes
// them, keep the time they were given at the old rate, and those booked
// before a change interleave with those after it: clumps).

// schedule is the pacer's bucket and queue; the Pacer's mutex guards it.
type schedule struct {
	rate   float64 // tokens a second; +Inf: no pacing
	tokens float64
	at     time.Time // when tokens was counted
	queue  list.List // of chan struct{}, one per waiter, first in front
	binds  int       // requests since the last change of rate that had to wait
	frees  int       // requests since the last change that went at once
	sent   int64     // requests let go, ever
	// late is how late the timers have been firing, on average. A token
	// left waiting for a late wake is lost (the bucket holds one), so at
	// 100/s a timer a third of a millisecond late costs 3% of the pace:
	// the first waiter sleeps that much less, then yields until its token
	// is there.
	late time.Duration
}

// Timer lateness: the average's weight of a new sample, and the most it
// counts.
const (
	lateWeight = 0.1
	maxEarly   = 2 * time.Millisecond
)

// early is how much before its token the first waiter wakes: the timers'
// lateness, but never a tenth of the spacing, so that yielding costs at
// most a tenth of a core at any rate.
func (s *schedule) early() time.Duration {
	return min(s.late, time.Duration(0.1/s.rate*float64(time.Second)))
}

// noteLate adds a timer's lateness to the average.
func (s *schedule) noteLate(d time.Duration) {
	d = min(max(d, 0), maxEarly)
	s.late += time.Duration(lateWeight * float64(d-s.late))
}

func newSchedule(r float64, now time.Time) schedule {
	return schedule{rate: r, tokens: 1, at: now}
}

// refill counts the tokens earned since they were last counted.
func (s *schedule) refill(now time.Time) {
	if d := now.Sub(s.at); d > 0 {
		s.tokens = min(1, s.tokens+d.Seconds()*s.rate)
		s.at = now
	}
}

// setRate changes the rate from now on: tokens earned so far were earned
// at the old rate.
func (s *schedule) setRate(r float64, now time.Time) {
	s.refill(now)
	s.rate = r
	s.binds, s.frees = 0, 0
	s.wakeFirst()
}

// take lets a request go now if a token is there; else it says how long
// until one is, at the current rate.
func (s *schedule) take(now time.Time) (wait time.Duration, ok bool) {
	if math.IsInf(s.rate, 1) {
		return 0, true
	}
	s.refill(now)
	// A token a rounding error short is a token: waking a nanosecond early
	// must not cost another sleep.
	if s.tokens >= 1-1e-9 {
		s.tokens = max(s.tokens-1, 0)
		return 0, true
	}
	return max(time.Duration(math.Ceil((1-s.tokens)/s.rate*1e9)), time.Nanosecond), false
}

// wakeFirst tells the first waiter to count again.
func (s *schedule) wakeFirst() {
	if f := s.queue.Front(); f != nil {
		select {
		case f.Value.(chan struct{}) <- struct{}{}:
		default: // already told
		}
	}
}

// Wait blocks until a request may go, or ctx is done (it then returns
// context.Cause(ctx)). Requests go in the order they asked.
func (p *Pacer) Wait(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	p.mu.Lock()
	s := &p.sched
	now := p.now()
	if s.queue.Len() == 0 {
		if _, ok := s.take(now); ok {
			s.frees++
			s.sent++
			p.rise(now)
			p.mu.Unlock()
			return nil
		}
	}
	wake := make(chan struct{}, 1)
	me := s.queue.PushBack(wake)
	defer p.mu.Unlock()
	for {
		var timer *time.Timer
		var ring <-chan time.Time
		var due time.Time
		if s.queue.Front() == me {
			wait, ok := s.take(p.now())
			if ok {
				s.queue.Remove(me)
				s.binds++
				s.sent++
				p.rise(p.now())
				s.wakeFirst()
				return nil
			}
			if early := s.early(); wait <= early {
				// Less than a timer's lateness to go: yield, do not sleep.
				p.mu.Unlock()
				runtime.Gosched()
				p.mu.Lock()
				if ctx.Err() == nil {
					continue
				}
			} else {
				due = p.now().Add(wait - early)
				timer = time.NewTimer(wait - early)
				ring = timer.C
			}
		}
		p.mu.Unlock()
		var done, rang bool
		select {
		case <-ring:
			rang = true
		case <-wake:
		case <-ctx.Done():
			done = true
		}
		if timer != nil {
			timer.Stop()
		}
		p.mu.Lock()
		if rang {
			s.noteLate(p.now().Sub(due))
		}
		if done {
			first := s.queue.Front() == me
			s.queue.Remove(me)
			if first {
				s.wakeFirst()
			}
			return context.Cause(ctx)
		}
	}
}
