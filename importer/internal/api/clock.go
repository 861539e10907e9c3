package api

import (
	"sync"
	"time"
)

// Clock is what a run learns of the server's clock, as bounds on its
// offset from this machine's (server minus local). Every answer's Date
// header (whole seconds) gives loose bounds; a record this run created or
// updated gives tight ones, since its timestamp was taken between the
// request's sending and its answer.
//
// It exists to answer one question honestly: was a record that a lookup
// found created by this run's unanswered attempt, or was it there before?
type Clock struct {
	mu     sync.Mutex
	known  bool
	lo, hi time.Duration
}

// unknownClockMargin widens the test when no answer has told the server's
// time yet.
const unknownClockMargin = 2 * time.Second

func (c *Clock) observeDate(date, sent, received time.Time) {
	// Date is the server's time at some moment between sent and received,
	// truncated to the second.
	c.narrow(date.Sub(received), date.Add(time.Second).Sub(sent))
}

// ObserveStamp learns from a timestamp the server put on a record while
// answering a request sent and answered at these local times.
func (c *Clock) ObserveStamp(stamp, sent, received time.Time) {
	if stamp.IsZero() || sent.IsZero() {
		return
	}
	if stamp.Nanosecond() == 0 {
		c.narrow(stamp.Sub(received), stamp.Add(time.Second).Sub(sent))
		return
	}
	c.narrow(stamp.Sub(received), stamp.Sub(sent))
}

func (c *Clock) narrow(lo, hi time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.known:
		c.lo, c.hi, c.known = lo, hi, true
	case lo > c.hi || hi < c.lo:
		// The server's clock moved (or a proxy's Date disagrees): trust the
		// newest observation.
		c.lo, c.hi = lo, hi
	default:
		c.lo, c.hi = max(c.lo, lo), min(c.hi, hi)
	}
}

// bounds are the offset's bounds (zero when nothing was observed).
func (c *Clock) bounds() (lo, hi time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lo, c.hi
}

// CreatedSince reports whether a record stamped createdAt by the server
// was created at or after the local moment sent, as far as the clock
// bounds can tell: it errs, by at most the bounds' width, towards "yes".
func (c *Clock) CreatedSince(createdAt, sent time.Time) bool {
	c.mu.Lock()
	known, lo := c.known, c.lo
	c.mu.Unlock()
	margin := time.Millisecond
	if createdAt.Nanosecond() == 0 {
		margin = time.Second // a stamp in whole seconds was truncated
	}
	if !known {
		lo, margin = 0, margin+unknownClockMargin
	}
	return !createdAt.Before(sent.Add(lo).Add(-margin))
}

// ServerNow is the latest the server's clock can read now, by the bounds:
// what an export takes as its fixed upper bound.
func (c *Clock) ServerNow(local time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known {
		return local.Add(unknownClockMargin)
	}
	return local.Add(c.hi)
}
