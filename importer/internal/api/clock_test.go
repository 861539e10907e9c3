package api

import (
	"strings"
	"testing"
	"time"
)

// at is a local moment: 12:00 plus d.
func at(d time.Duration) time.Time {
	return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).Add(d)
}

// TestClockBoundsFromTheDateHeader: a Date header is the server's time at
// some moment between sending and answering, cut to the second, so the
// offset lies between Date-received and Date+1s-sent.
func TestClockBoundsFromTheDateHeader(t *testing.T) {
	t.Parallel()
	var c Clock
	if got := c.ServerNow(at(0)); !got.Equal(at(unknownClockMargin)) {
		t.Errorf("unknown clock: server now %v, want local + the %v margin", got, unknownClockMargin)
	}
	// The server is 10 s ahead: it stamped 12:00:10.4 as "12:00:10",
	// while the request went at 12:00:00.2 and its answer came at 12:00:00.6.
	c.observeDate(at(10*time.Second), at(200*time.Millisecond), at(600*time.Millisecond))
	lo, hi, _ := c.bounds()
	if lo != 9400*time.Millisecond || hi != 10800*time.Millisecond {
		t.Errorf("bounds %v..%v, want 9.4s..10.8s (the header's second cut included)", lo, hi)
	}
	if got := c.ServerNow(at(time.Minute)); !got.Equal(at(time.Minute + 10800*time.Millisecond)) {
		t.Errorf("server now %v: want the latest the bounds allow", got)
	}
}

// TestClockNarrowsAndNoticesSteps: bounds tighten to the intersection of
// what each answer says; one a little outside (another node's Date)
// widens them; one far outside is the clock moving, and the newest wins.
func TestClockNarrowsAndNoticesSteps(t *testing.T) {
	t.Parallel()
	var c Clock
	c.observeDate(at(10*time.Second), at(0), at(time.Second))                     // 9s..11s
	c.observeDate(at(11*time.Second), at(time.Second), at(1500*time.Millisecond)) // 9.5s..11s
	if lo, hi, _ := c.bounds(); lo != 9500*time.Millisecond || hi != 11*time.Second {
		t.Errorf("after two Dates: %v..%v, want 9.5s..11s", lo, hi)
	}
	c.observeDate(at(14*time.Second), at(2*time.Second), at(2500*time.Millisecond)) // 11.5s..13s: just outside
	if lo, hi, _ := c.bounds(); lo != 9500*time.Millisecond || hi != 13*time.Second || c.Steps() != 0 {
		t.Errorf("after a Date just outside: %v..%v (%d steps), want 9.5s..13s and no step", lo, hi, c.Steps())
	}
	c.observeDate(at(-time.Hour), at(3*time.Second), at(4*time.Second)) // the clock stepped back an hour
	if lo, hi, _ := c.bounds(); lo != -time.Hour-4*time.Second || hi != -time.Hour-2*time.Second || c.Steps() != 1 {
		t.Errorf("after the server's clock moved: %v..%v (%d steps), want the newest observation and a step", lo, hi, c.Steps())
	}
}

// TestJudge: whether a record was made by an attempt is read from the
// Date of the attempt's own answer and of the answer that carried the
// record, never from a stamp alone: a clock offset, a stamp written in
// another zone or a clock that stepped cannot turn someone else's record
// into this run's, and this run's record, stamped within a few seconds of
// the Date, is always its own.
func TestJudge(t *testing.T) {
	t.Parallel()
	// The attempt went at 12:00:00 and was answered at 12:00:00.2; the
	// record was seen in an answer at 12:00:01.
	attempt := func(date time.Duration) Moment {
		return Moment{Sent: at(0), Received: at(200 * time.Millisecond), Date: at(date).Truncate(time.Second)}
	}
	seen := func(date time.Duration) Moment {
		return Moment{Sent: at(900 * time.Millisecond), Received: at(time.Second), Date: at(date).Truncate(time.Second)}
	}
	learnt := func(offset time.Duration) *Clock {
		var c Clock
		c.observeDate(at(offset).Truncate(time.Second), at(-time.Second), at(-800*time.Millisecond))
		return &c
	}
	for _, tc := range []struct {
		name          string
		c             *Clock
		stamp         time.Time
		attempt, seen Moment
		want          Provenance
	}{
		{"clocks agree: this run's record", learnt(0), at(100 * time.Millisecond), attempt(100 * time.Millisecond), seen(time.Second), MadeBy},
		{"Date a second ahead: still this run's", learnt(time.Second), at(100 * time.Millisecond), attempt(1100 * time.Millisecond), seen(2 * time.Second), MadeBy},
		{"Date three seconds behind: still this run's", learnt(-3 * time.Second), at(100 * time.Millisecond), attempt(-2900 * time.Millisecond), seen(-2 * time.Second), MadeBy},
		{"whole-second stamp cut down", learnt(0), at(0).Truncate(time.Second), attempt(100 * time.Millisecond), seen(time.Second), MadeBy},
		{"a 30-minute-old record", learnt(0), at(-30 * time.Minute), attempt(100 * time.Millisecond), seen(time.Second), MadeBefore},
		{"stamps an hour ahead: someone's record of 30 minutes ago", learnt(0), at(30 * time.Minute), attempt(100 * time.Millisecond), seen(time.Second), Unproven},
		{"stamps an hour ahead: this run's own", learnt(0), at(time.Hour), attempt(100 * time.Millisecond), seen(time.Second), Unproven},
		{"Date an hour behind: someone's record of 30 minutes ago", learnt(-time.Hour), at(-30 * time.Minute), attempt(-time.Hour), seen(-time.Hour + time.Second), Unproven},
		{"clock stepped back an hour before the attempt, bounds learnt before", learnt(0), at(-30 * time.Minute), attempt(-time.Hour), seen(-time.Hour + time.Second), MadeBefore},
		{"clock stepped back an hour, bounds learnt after", learnt(-time.Hour), at(-30 * time.Minute), attempt(-time.Hour), seen(-time.Hour + time.Second), Unproven},
		{"no answer to the attempt: the bounds", learnt(0), at(50 * time.Millisecond), Moment{Sent: at(0)}, seen(time.Second), MadeBy},
		{"unknown clock: a few seconds before is within the margin", &Clock{}, at(-6 * time.Second), Moment{Sent: at(0)}, Moment{Received: at(time.Second)}, MadeBy},
		{"unknown clock: older than the margin", &Clock{}, at(-8500 * time.Millisecond), Moment{Sent: at(0)}, Moment{Received: at(time.Second)}, MadeBefore},
	} {
		got, why := tc.c.Judge(tc.stamp, tc.attempt, tc.seen)
		if got != tc.want {
			t.Errorf("%s: Judge = %v, want %v", tc.name, got, tc.want)
		}
		if (got == Unproven) != strings.Contains(why, "cannot be told") {
			t.Errorf("%s: why = %q", tc.name, why)
		}
	}
}
