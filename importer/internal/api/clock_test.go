package api

import (
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
	lo, hi := c.bounds()
	if lo != 9400*time.Millisecond || hi != 10800*time.Millisecond {
		t.Errorf("bounds %v..%v, want 9.4s..10.8s (the header's second cut included)", lo, hi)
	}
	if got := c.ServerNow(at(time.Minute)); !got.Equal(at(time.Minute + 10800*time.Millisecond)) {
		t.Errorf("server now %v: want the latest the bounds allow", got)
	}
}

// TestClockNarrowsWithEveryObservation: bounds only ever tighten, to the
// intersection of what each answer says; a stamp on a record this run
// made (taken between sending and answering) is tighter than a Date.
func TestClockNarrowsWithEveryObservation(t *testing.T) {
	t.Parallel()
	var c Clock
	c.observeDate(at(10*time.Second), at(0), at(time.Second))                     // 9s..11s
	c.observeDate(at(11*time.Second), at(time.Second), at(1500*time.Millisecond)) // 9.5s..11s
	if lo, hi := c.bounds(); lo != 9500*time.Millisecond || hi != 11*time.Second {
		t.Errorf("after two Dates: %v..%v, want 9.5s..11s", lo, hi)
	}
	c.ObserveStamp(at(12*time.Second+300*time.Millisecond), at(2*time.Second), at(2500*time.Millisecond)) // 9.8s..10.3s
	if lo, hi := c.bounds(); lo != 9800*time.Millisecond || hi != 10300*time.Millisecond {
		t.Errorf("after a record's stamp: %v..%v, want 9.8s..10.3s", lo, hi)
	}
	c.observeDate(at(20*time.Second), at(3*time.Second), at(4*time.Second)) // 16s..18s: disjoint, the clock moved
	if lo, hi := c.bounds(); lo != 16*time.Second || hi != 18*time.Second {
		t.Errorf("after the server's clock moved: %v..%v, want the newest observation, 16s..18s", lo, hi)
	}
}

// TestCreatedSince: a record stamped by the server belongs to an attempt
// sent at a local moment when, on the server's clock as the bounds give
// it, it is not older than that moment; unknown clocks get a margin, and
// stamps in whole seconds a second.
func TestCreatedSince(t *testing.T) {
	t.Parallel()
	sent := at(0)
	var unknown Clock
	for _, tc := range []struct {
		name    string
		c       *Clock
		created time.Time
		want    bool
	}{
		{"unknown clock: a second before the attempt is within the margin", &unknown, at(-1500 * time.Millisecond), true},
		{"unknown clock: older than the margin", &unknown, at(-2500 * time.Millisecond), false},
		{"known clock 10s ahead: stamped after the attempt", known(10 * time.Second), at(10*time.Second + time.Millisecond), true},
		{"known clock 10s ahead: stamped 5s after on the local clock is before the attempt", known(10 * time.Second), at(5 * time.Second), false},
		{"a whole-second stamp may be cut down by almost a second", known(0), at(-900 * time.Millisecond).Truncate(time.Second), true},
	} {
		if got := tc.c.CreatedSince(tc.created, sent); got != tc.want {
			t.Errorf("%s: CreatedSince = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// known is a clock whose offset is exactly d.
func known(d time.Duration) *Clock {
	var c Clock
	c.narrow(d, d)
	return &c
}
