package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// paceLog is a Pace that records what it is told.
type paceLog struct {
	mu        sync.Mutex
	waits     int
	accepted  []float64 // the limit each accepted answer carried
	throttled []float64
}

func (p *paceLog) Wait(context.Context) error { p.mu.Lock(); p.waits++; p.mu.Unlock(); return nil }
func (p *paceLog) Accepted(limit, _ float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accepted = append(p.accepted, limit)
}
func (p *paceLog) Throttled(limit float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.throttled = append(p.throttled, limit)
}

// sequence answers the n-th request with answers[n] (the last repeats).
func sequence(t *testing.T, answers ...func(http.ResponseWriter)) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := int(n.Add(1)) - 1
		answers[min(i, len(answers)-1)](w)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, "k", "ua", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c, &n
}

func status(code int, body string, headers ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// TestRetrierTellsThePaceEveryAnswer: a 429 is a throttle, and the rate
// limit a 2xx states reaches the pacer (both were once dropped without a
// test noticing).
func TestRetrierTellsThePaceEveryAnswer(t *testing.T) {
	t.Parallel()
	c, _ := sequence(t,
		status(429, `{}`, "Retry-After", "0", "X-RateLimit-Limit", "9"),
		status(200, `{"items":[],"total_count":0}`, "X-RateLimit-Limit", "7"))
	pace := &paceLog{}
	r := &Retrier{Pacer: pace, Retries: 3, Timeout: time.Second, Backoff: func(int) time.Duration { return 0 }}
	res := r.Do(context.Background(), context.Background(), Call{Op: OpLookup, Send: func(ctx context.Context) Answer {
		return c.List(ctx, topo.Contacts, Query{Size: 1})
	}})
	if !res.Settled() || res.Attempts != 2 {
		t.Fatalf("result %+v", res)
	}
	if pace.waits != 2 || len(pace.throttled) != 1 || pace.throttled[0] != 9 || len(pace.accepted) != 1 || pace.accepted[0] != 7 {
		t.Errorf("the pace was told: %d waits, throttled %v, accepted %v; want 2 waits, one 429 (limit 9), one answer (limit 7)",
			pace.waits, pace.throttled, pace.accepted)
	}
}

// TestOneBudgetForAWrite: --retries N is at most N+1 sends of a write,
// whatever mix of 429s and 5xx it meets; reads have their own budget.
func TestOneBudgetForAWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		op   Op
		want int
	}{{"a create", OpCreate, 4}, {"an update", OpUpdate, 4}, {"a lookup, with its own budget", OpLookup, 7}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, n := sequence(t, status(429, `{}`), status(429, `{}`), status(429, `{}`), status(503, `{}`),
				status(429, `{}`), status(429, `{}`), status(503, `{}`), status(429, `{}`))
			r := &Retrier{Pacer: &paceLog{}, Retries: 3, ReadRetries: 6, Timeout: time.Second, Backoff: func(int) time.Duration { return 0 }}
			var res Result
			for res.Attempts < r.Budget(tc.op) {
				// A caller that spreads the budget (a create looked up
				// between sends) passes what is left.
				got := r.Do(context.Background(), context.Background(), Call{Op: tc.op, Attempts: r.Budget(tc.op) - res.Attempts,
					Send: func(ctx context.Context) Answer { return c.List(ctx, topo.Contacts, Query{}) }})
				res.Attempts += got.Attempts
				if got.Settled() {
					break
				}
			}
			if int(n.Load()) != tc.want {
				t.Errorf("%d requests sent, want %d", n.Load(), tc.want)
			}
		})
	}
}
