package api

import (
	"container/list"
	"context"
	"math"
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
			timer = time.NewTimer(wait)
			ring = timer.C
		}
		p.mu.Unlock()
		var done bool
		select {
		case <-ring:
		case <-wake:
		case <-ctx.Done():
			done = true
		}
		if timer != nil {
			timer.Stop()
		}
		p.mu.Lock()
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
