package topotest

import (
	"strconv"
	"testing"
	"time"
)

// TestStorm: for Storm after the first request every request is answered
// 429 with a Retry-After, reads and writes alike, without taking tokens
// from the bucket; then the bucket applies again, its burst whole.
func TestStorm(t *testing.T) {
	t.Parallel()
	const storm = time.Second
	s := NewServer(Options{Storm: storm, Rate: 0.5, Burst: 2})
	defer s.Close()
	for i := range 4 {
		a := post(t, s, `{"reason":"OTHER","email":"s`+strconv.Itoa(i)+`@x.co"}`)
		checkError(t, a, 429, "RateLimitIssue", "rate limit")
		if a.header.Get("Retry-After") != "1" || a.header.Get("X-RateLimit-Limit") != "1" {
			t.Fatalf("storm answer %d: headers %v", i, a.header)
		}
	}
	if a := get(t, s, "/v1/contact-exclusions", DefaultReadOnlyToken); a.status != 429 {
		t.Fatalf("a read in the storm: %d %s", a.status, a.raw)
	}
	// The server's first request arrived before the first answer came
	// back, so this is past the storm whatever the machine's load.
	time.Sleep(storm + 200*time.Millisecond)
	for i := range 3 {
		a := post(t, s, `{"reason":"OTHER","email":"after`+strconv.Itoa(i)+`@x.co"}`)
		if want := []int{201, 201, 429}[i]; a.status != want {
			t.Fatalf("request %d after the storm: %d %s, want %d (the storm must not spend the burst)", i, a.status, a.raw, want)
		}
	}
}

// TestStormWithoutRateLimit: a storm needs no bucket, and ends.
func TestStormWithoutRateLimit(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Storm: 300 * time.Millisecond})
	defer s.Close()
	if a := post(t, s, `{"reason":"OTHER","email":"a@x.co"}`); a.status != 429 || a.header.Get("Retry-After") != "1" {
		t.Fatalf("in the storm: %d %v", a.status, a.header)
	}
	if a := post(t, s, `{"reason":"OTHER","email":"a@x.co"}`); a.header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("a server without a limit published one: %v", a.header)
	}
	time.Sleep(500 * time.Millisecond)
	for i := range 5 {
		if a := post(t, s, `{"reason":"OTHER","email":"b`+strconv.Itoa(i)+`@x.co"}`); a.status != 201 {
			t.Fatalf("after the storm, no limit: %d %s", a.status, a.raw)
		}
	}
}

// TestStormForever: a negative Storm does not end.
func TestStormForever(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Storm: -1})
	defer s.Close()
	post(t, s, `{"reason":"OTHER","email":"a@x.co"}`)
	time.Sleep(300 * time.Millisecond)
	for range 3 {
		if a := post(t, s, `{"reason":"OTHER","email":"a@x.co"}`); a.status != 429 {
			t.Fatalf("a storm without end answered %d %s", a.status, a.raw)
		}
	}
	if st := s.Stats(); st.Posts != 0 || st.ByStatus["429"] != 4 {
		t.Errorf("stats %+v", st)
	}
}

// TestPublishLimit: the header announces PublishLimit, on accepted and
// refused answers alike, while the bucket refuses at the real rate;
// HideLimit hides the lie too.
func TestPublishLimit(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Rate: 5, Burst: 1, PublishLimit: 1000})
	defer s.Close()
	statuses := map[int]int{}
	for i := range 5 {
		a := post(t, s, `{"reason":"OTHER","email":"p`+strconv.Itoa(i)+`@x.co"}`)
		statuses[a.status]++
		if a.header.Get("X-RateLimit-Limit") != "1000" {
			t.Fatalf("answer %d (%d): X-RateLimit-Limit %q, want the published 1000", i, a.status, a.header.Get("X-RateLimit-Limit"))
		}
	}
	// Five requests back to back at a real 5/s with no burst: the first
	// passes, and most of the rest are refused (loopback is faster than
	// 200 ms a request).
	if statuses[201] < 1 || statuses[429] < 1 {
		t.Errorf("at a real 5/s behind a published 1000: %v", statuses)
	}
	hidden := NewServer(Options{Rate: 5, Burst: 1, PublishLimit: 1000, HideLimit: true})
	defer hidden.Close()
	if a := post(t, hidden, `{"reason":"OTHER","email":"h@x.co"}`); a.header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("HideLimit with PublishLimit: X-RateLimit-Limit %q", a.header.Get("X-RateLimit-Limit"))
	}
}
