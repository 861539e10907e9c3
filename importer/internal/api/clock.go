package api

import (
	"fmt"
	"sync"
	"time"
)

// Clock is what a run learns of the server's clock from the Date headers
// of its answers, as bounds on its offset from this machine's (server
// minus local). A Date is whole seconds, and may come from a proxy in
// front of Topo; record stamps come from Topo's backend, which may write
// another zone's time with a Z, or whose clock may step. So the two are
// never mixed into one clock: a record's stamp is judged against the
// Date of the very answers around it (Judge), each check able to say the
// clocks disagree.
//
// It exists to answer one question honestly: was a record that Topo
// returned created by this run's attempt, or was it there before?
type Clock struct {
	mu     sync.Mutex
	known  bool
	lo, hi time.Duration
	// steps counts observations that contradicted the bounds: the server's
	// clock moved, or two machines answered with different clocks.
	steps int
}

// unknownClockMargin widens the checks when no answer has told the
// server's time yet.
const unknownClockMargin = 2 * time.Second

// StampTolerance is how far a record's stamp may lie from its server's
// Date and still be read on one clock: a few seconds, for a Date cut to
// the second and backend nodes whose clocks drift apart. A record created
// by someone else that little before this run's attempt is taken for the
// attempt's: at worst a created that should have been exists, never a
// record that is missing.
const StampTolerance = 5 * time.Second

func (c *Clock) observeDate(date, sent, received time.Time) {
	// Date is the server's time at some moment between sent and received,
	// truncated to the second.
	c.narrow(date.Sub(received), date.Add(time.Second).Sub(sent))
}

func (c *Clock) narrow(lo, hi time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.known:
		c.lo, c.hi, c.known = lo, hi, true
	case lo > c.hi+StampTolerance || hi < c.lo-StampTolerance:
		// The server's clock moved (or a proxy's Date disagrees): trust the
		// newest observation.
		c.lo, c.hi = lo, hi
		c.steps++
	case lo > c.hi || hi < c.lo:
		// Within the tolerance (a Date from another node): widen, never
		// pretend to more than both say.
		c.lo, c.hi = min(c.lo, lo), max(c.hi, hi)
	default:
		c.lo, c.hi = max(c.lo, lo), min(c.hi, hi)
	}
}

// bounds are the offset's bounds (zero when nothing was observed).
func (c *Clock) bounds() (lo, hi time.Duration, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lo, c.hi, c.known
}

// Steps counts the times the server's clock was seen to move.
func (c *Clock) Steps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.steps
}

// ServerNow is the latest the server's clock can read now, by the bounds.
func (c *Clock) ServerNow(local time.Time) time.Time {
	_, hi, known := c.bounds()
	if !known {
		return local.Add(unknownClockMargin)
	}
	return local.Add(hi)
}

// Moment is when something happened on this machine's clock, with the
// Date header of the answer that framed it: an attempt (sent, answered)
// or the answer a record was seen in. Received is zero when no answer
// came; Date when the answer had none.
type Moment struct {
	Sent, Received, Date time.Time
}

// At frames an answer as a Moment.
func (a Answer) At() Moment {
	return Moment{Sent: a.Sent, Received: a.Received, Date: a.Date}
}

// Provenance is what a record's stamp says of who created it.
type Provenance int

const (
	// MadeBefore: the record was stamped before the attempt went out.
	MadeBefore Provenance = iota
	// MadeBy: the record was stamped while the attempt was out or since,
	// on the server's clock as the answers around it tell.
	MadeBy
	// Unproven: the record is stamped later than the server's own clock
	// read when the record was seen: its stamps and its Date disagree
	// beyond what can be corrected, and its age cannot be told.
	Unproven
)

// Judge says whether a record stamped stamp was created by the attempt
// (or after it was sent), the record having been seen in the answer
// framed by seen. Each bound is taken from the evidence that a clock
// offset cannot fake where there is some — the Date on the attempt's own
// answer, the Date on the answer that carried the record — and from the
// bounds learnt so far, the stricter of them winning; StampTolerance
// allows for a stamp a few seconds off the Date. why explains Unproven.
func (c *Clock) Judge(stamp time.Time, attempt, seen Moment) (p Provenance, why string) {
	lo, hi, known := c.bounds()
	margin := tolerance(known)
	slack := time.Duration(0)
	if stamp.Nanosecond() == 0 {
		slack = time.Second // a stamp in whole seconds was cut down
	}
	earliest := earliestAt(attempt, lo, known)
	// latest is the latest the server's clock can have read when the
	// record was seen.
	var latest time.Time
	if !seen.Date.IsZero() {
		latest = seen.Date.Add(time.Second)
	}
	if known {
		if l := seen.Received.Add(hi); latest.IsZero() || l.Before(latest) {
			latest = l
		}
	} else if latest.IsZero() {
		latest = seen.Received
	}
	switch {
	case stamp.Add(slack).Before(earliest.Add(-margin)):
		return MadeBefore, ""
	case stamp.After(latest.Add(margin)):
		return Unproven, fmt.Sprintf("Topo's record is stamped %s, %s after Topo's own clock (its Date header) read when the record was seen: its stamps and its clock disagree, so whether this run's attempt made it cannot be told",
			stamp.UTC().Format(time.RFC3339), stamp.Sub(latest).Round(time.Second))
	}
	return MadeBy, ""
}

// Earliest is the earliest stamp a record made by the attempt can bear,
// by the evidence Judge reads: where a read of the records created since
// the attempt starts.
func (c *Clock) Earliest(attempt Moment) time.Time {
	lo, _, known := c.bounds()
	return earliestAt(attempt, lo, known).Add(-tolerance(known) - time.Second)
}

// tolerance is how far a stamp may lie from the clock Judge reads.
func tolerance(known bool) time.Duration {
	if known {
		return StampTolerance
	}
	return StampTolerance + unknownClockMargin
}

// earliestAt is the earliest the server's clock can have read when the
// attempt went out: by the Date on its own answer, and by the bounds
// (lo, when known), the later of the two.
func earliestAt(attempt Moment, lo time.Duration, known bool) time.Time {
	var earliest time.Time
	if !attempt.Date.IsZero() && !attempt.Received.IsZero() {
		earliest = attempt.Date.Add(-attempt.Received.Sub(attempt.Sent))
	}
	if known {
		if e := attempt.Sent.Add(lo); e.After(earliest) {
			earliest = e
		}
	} else if earliest.IsZero() {
		earliest = attempt.Sent
	}
	return earliest
}
