package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	bg := context.Background()
	cancelled, cancel := context.WithCancel(bg)
	cancel()
	tests := []struct {
		name   string
		resp   Response
		err    error
		parent context.Context
		want   verdict
	}{
		{"created", Response{Status: 201}, nil, bg, done},
		{"conflict", Response{Status: 409}, nil, bg, done},
		{"bad key", Response{Status: 401}, nil, bg, fatal},
		{"no scope", Response{Status: 403}, nil, bg, fatal},
		{"validation", Response{Status: 400}, nil, bg, permanent},
		{"business", Response{Status: 422}, nil, bg, permanent},
		{"not found", Response{Status: 404}, nil, bg, permanent},
		{"rate limited", Response{Status: 429}, nil, bg, retry},
		{"server error", Response{Status: 500}, nil, bg, ambiguous},
		{"proxy 502", Response{Status: 502, BadBody: true}, nil, bg, ambiguous},
		{"unavailable", Response{Status: 503}, nil, bg, ambiguous},
		{"gateway timeout", Response{Status: 504}, nil, bg, ambiguous},
		{"reset", Response{}, syscall.ECONNRESET, bg, ambiguous},
		{"eof", Response{}, io.ErrUnexpectedEOF, bg, ambiguous},
		{"timeout", Response{}, context.DeadlineExceeded, bg, ambiguous},
		{"refused", Response{}, fmt.Errorf("dial: %w", syscall.ECONNREFUSED), bg, retry},
		{"cut short by the run", Response{}, context.Canceled, cancelled, ambiguous},
	}
	for _, tt := range tests {
		if got := classify(tt.resp, tt.err, tt.parent); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"Thu, 01 Jan 2026 12:00:05 GMT", 5 * time.Second},
		{"Thu, 01 Jan 2026 11:00:00 GMT", 0},
		{"86400", maxRetryAfter},
		{"soon", 0},
		{"-3", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.h, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

// script is an httptest server that answers POSTs from a list of
// handlers, one per attempt, and lookups with lookup.
type script struct {
	posts  []http.HandlerFunc
	lookup http.HandlerFunc
	n      atomic.Int32
	mu     sync.Mutex
	keys   []string
	agents []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.keys = append(s.keys, r.Header.Get("Authorization"))
	s.agents = append(s.agents, r.Header.Get("User-Agent"))
	s.mu.Unlock()
	if r.Method == http.MethodGet {
		s.lookup(w, r)
		return
	}
	i := int(s.n.Add(1)) - 1
	s.posts[min(i, len(s.posts)-1)](w, r)
}

func answer(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, _ := w.(http.Hijacker).Hijack()
	conn.Close()
}

const (
	created201 = `{"id":"id-new","email":"a@b.co","linkedin_url":null,"reason":"OTHER","message":null,"until":null,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
	conflict   = `{"status_code":409,"type":"CommitIssue","message":"exists","data":{"id":"id-old"},"request_id":"req_9"}`
	found      = `{"items":[{"id":"id-found"}],"total_count":1,"total_pages":1,"has_more":false}`
	none       = `{"items":[],"total_count":0,"total_pages":0,"has_more":false}`
)

func validRow() Row {
	return Row{Num: 2, Status: StatusValid, Norm: Fields{Email: "a@b.co", Reason: "OTHER"}}
}

func TestSenderOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		posts     []http.HandlerFunc
		lookup    http.HandlerFunc
		canRead   bool
		status    Status
		id        string
		attempts  int
		http      int
		errType   string
		errSubstr string
		fatal     bool
	}{
		{name: "201", posts: []http.HandlerFunc{answer(201, created201)}, status: StatusCreated, id: "id-new", attempts: 1, http: 201},
		{name: "409 with id", posts: []http.HandlerFunc{answer(409, conflict)}, status: StatusExists, id: "id-old", attempts: 1, http: 409, errType: "CommitIssue"},
		{name: "409 without id, looked up", posts: []http.HandlerFunc{answer(409, `{"status_code":409,"type":"CommitIssue","message":"exists","request_id":"r"}`)},
			lookup: answer(200, found), canRead: true, status: StatusExists, id: "id-found", attempts: 1, http: 409},
		{name: "400 is the row's fault, not retried", posts: []http.HandlerFunc{answer(400, `{"status_code":400,"type":"ValidationIssue","message":"until: bad","request_id":"req_1"}`), answer(201, created201)},
			status: StatusFailed, attempts: 1, http: 400, errType: "ValidationIssue", errSubstr: "until: bad"},
		{name: "422 not retried", posts: []http.HandlerFunc{answer(422, `{"status_code":422,"type":"BusinessIssue","message":"no","request_id":"r"}`)},
			status: StatusFailed, attempts: 1, http: 422, errType: "BusinessIssue"},
		{name: "429 then 201", posts: []http.HandlerFunc{answer(429, `{"status_code":429,"type":"RateLimitIssue","message":"slow"}`, "Retry-After", "0"), answer(201, created201)},
			status: StatusCreated, id: "id-new", attempts: 2, http: 201},
		{name: "html 502 then 201, nothing found", posts: []http.HandlerFunc{answer(502, "<html>bad gateway</html>"), answer(201, created201)},
			lookup: answer(200, none), canRead: true, status: StatusCreated, id: "id-new", attempts: 2, http: 201},
		{name: "503 after commit, found by lookup", posts: []http.HandlerFunc{answer(503, `{"status_code":503,"type":"X","message":"later"}`), answer(201, created201)},
			lookup: answer(200, found), canRead: true, status: StatusCreated, id: "id-found", attempts: 1},
		{name: "reset, key cannot read, 409 settles it", posts: []http.HandlerFunc{hangUp, answer(409, conflict)},
			status: StatusCreated, id: "id-old", attempts: 2, http: 409},
		{name: "retries run out", posts: []http.HandlerFunc{answer(503, `{"status_code":503,"type":"ServiceUnavailable","message":"down","request_id":"req_5"}`)},
			lookup: answer(200, none), canRead: true, status: StatusFailed, attempts: 4, http: 503, errType: "ServiceUnavailable", errSubstr: "gave up after 4 attempts: down"},
		{name: "html body reported, not fatal", posts: []http.HandlerFunc{answer(500, "<html>oops</html>")},
			status: StatusFailed, attempts: 4, http: 500, errSubstr: "answer is not JSON: <html>oops</html>"},
		{name: "401 stops the run", posts: []http.HandlerFunc{answer(401, `{"status_code":401,"type":"UnauthorizedIssue","message":"bad key","request_id":"r"}`)},
			status: StatusFailed, attempts: 1, http: 401, fatal: true},
		{name: "403 stops the run", posts: []http.HandlerFunc{answer(403, `{"status_code":403,"type":"UnauthorizedIssue","message":"scope","request_id":"r"}`)},
			status: StatusFailed, attempts: 1, http: 403, fatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &script{posts: tt.posts, lookup: tt.lookup}
			srv := httptest.NewServer(sc)
			defer srv.Close()
			c, err := NewClient(srv.URL, "secret-key", "topo-exclusions/test", srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			s := &Sender{API: c, Pacer: NewPacer(0, 1), Retries: 3, Timeout: 5 * time.Second, CanRead: tt.canRead,
				Backoff: func(int) time.Duration { return time.Millisecond }}
			out, err := s.Send(context.Background(), context.Background(), validRow(), false)
			var auth *AuthError
			if tt.fatal != errors.As(err, &auth) {
				t.Fatalf("error %v, fatal %v", err, tt.fatal)
			}
			if out.Status != tt.status || out.ID != tt.id || out.Attempts != tt.attempts || out.HTTPStatus != tt.http {
				t.Errorf("got %s id=%q attempts=%d http=%d; want %s id=%q attempts=%d http=%d (err %q)",
					out.Status, out.ID, out.Attempts, out.HTTPStatus, tt.status, tt.id, tt.attempts, tt.http, out.Err)
			}
			if out.ErrorType != tt.errType && tt.errType != "" {
				t.Errorf("error_type %q, want %q", out.ErrorType, tt.errType)
			}
			if !strings.Contains(out.Err, tt.errSubstr) {
				t.Errorf("error %q lacks %q", out.Err, tt.errSubstr)
			}
			for i, k := range sc.keys {
				if k != "Bearer secret-key" || sc.agents[i] != "topo-exclusions/test" {
					t.Errorf("request %d sent Authorization %q, User-Agent %q", i, k, sc.agents[i])
				}
			}
			if strings.Contains(fmt.Sprintf("%+v %v", out, err), "secret-key") {
				t.Error("the key leaked into an outcome or error")
			}
		})
	}
}

// TestSenderNeverSendsBlind: after an unanswered attempt, a lookup that
// itself fails must not lead to a second POST; the lookup is asked again.
func TestSenderNeverSendsBlind(t *testing.T) {
	var lookups atomic.Int32
	sc := &script{
		posts: []http.HandlerFunc{answer(503, `{}`), answer(201, created201)},
		lookup: func(w http.ResponseWriter, r *http.Request) {
			if lookups.Add(1) < 3 {
				answer(502, "<html>proxy</html>")(w, r)
				return
			}
			answer(200, found)(w, r)
		},
	}
	srv := httptest.NewServer(sc)
	defer srv.Close()
	c, _ := NewClient(srv.URL, "k", "ua", srv.Client())
	s := &Sender{API: c, Pacer: NewPacer(0, 1), Retries: 5, Timeout: time.Second, CanRead: true, Backoff: func(int) time.Duration { return 0 }}
	out, err := s.Send(context.Background(), context.Background(), validRow(), false)
	if err != nil || out.Status != StatusCreated || out.ID != "id-found" || sc.n.Load() != 1 {
		t.Fatalf("outcome %+v (err %v) after %d POSTs, want created by the first", out, err, sc.n.Load())
	}
	sc2 := &script{posts: []http.HandlerFunc{answer(201, created201)}, lookup: answer(200, found)}
	srv2 := httptest.NewServer(sc2)
	defer srv2.Close()
	c2, _ := NewClient(srv2.URL, "k", "ua", srv2.Client())
	s2 := &Sender{API: c2, Pacer: NewPacer(0, 1), Retries: 5, Timeout: time.Second, CanRead: true}
	out, _ = s2.Send(context.Background(), context.Background(), validRow(), true)
	if out.Status != StatusCreated || out.ID != "id-found" || sc2.n.Load() != 0 {
		t.Fatalf("a row an earlier run may have sent: %+v after %d POSTs, want found by lookup", out, sc2.n.Load())
	}
}

func TestSenderTimeoutIsRetried(t *testing.T) {
	release := make(chan struct{})
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	sc := &script{posts: []http.HandlerFunc{slow, answer(201, created201)}, lookup: answer(200, none)}
	srv := httptest.NewServer(sc)
	defer srv.Close()
	defer close(release)
	c, _ := NewClient(srv.URL, "k", "ua", srv.Client())
	s := &Sender{API: c, Pacer: NewPacer(0, 1), Retries: 2, Timeout: 50 * time.Millisecond, CanRead: true,
		Backoff: func(int) time.Duration { return 0 }}
	out, err := s.Send(context.Background(), context.Background(), validRow(), false)
	if err != nil || out.Status != StatusCreated || out.Attempts != 2 || s.Stats().Lookups != 1 {
		t.Fatalf("outcome %+v, err %v, stats %+v", out, err, s.Stats())
	}
}

func TestSenderStopsWaitingWhenInterrupted(t *testing.T) {
	sc := &script{posts: []http.HandlerFunc{answer(503, `{}`)}, lookup: answer(200, none)}
	srv := httptest.NewServer(sc)
	defer srv.Close()
	c, _ := NewClient(srv.URL, "k", "ua", srv.Client())
	s := &Sender{API: c, Pacer: NewPacer(0, 1), Retries: 5, Timeout: time.Second, Backoff: func(int) time.Duration { return time.Hour }}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for sc.n.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	out, err := s.Send(ctx, context.Background(), validRow(), false)
	if err != nil || out.Status != StatusNotAttempted || !strings.Contains(out.Err, "may exist in Topo") {
		t.Fatalf("outcome %+v, err %v", out, err)
	}
}

func TestNewClientRefusesPlainHTTP(t *testing.T) {
	for _, u := range []string{"http://api.topo.io", "ftp://x", "not a url", ""} {
		if _, err := NewClient(u, "k", "ua", nil); err == nil {
			t.Errorf("NewClient(%q) accepted", u)
		}
	}
	for _, u := range []string{"https://api.topo.io", "http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:2"} {
		if _, err := NewClient(u, "k", "ua", nil); err != nil {
			t.Errorf("NewClient(%q): %v", u, err)
		}
	}
	if _, err := NewClient("https://api.topo.io", "", "ua", nil); err == nil {
		t.Error("an empty key was accepted")
	}
}

func TestCheckWritesNothing(t *testing.T) {
	tests := []struct {
		name   string
		lookup http.HandlerFunc
		status Status
		id     string
		fatal  bool
	}{
		{"found", answer(200, found), StatusExists, "id-found", false},
		{"absent", answer(200, none), StatusWouldCreate, "", false},
		{"no read scope", answer(403, `{"status_code":403,"type":"UnauthorizedIssue","message":"scope"}`), StatusFailed, "", true},
		{"lookups keep failing", answer(502, "<html>"), StatusFailed, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &script{posts: []http.HandlerFunc{answer(500, "")}, lookup: tt.lookup}
			srv := httptest.NewServer(sc)
			defer srv.Close()
			c, _ := NewClient(srv.URL, "k", "ua", srv.Client())
			s := &Sender{API: c, Pacer: NewPacer(0, 1), Retries: 2, Timeout: time.Second, CanRead: true, Backoff: func(int) time.Duration { return 0 }}
			row := validRow()
			row.Norm.LinkedInURL = "https://www.linkedin.com/in/a"
			out, err := Planner{s}.Send(context.Background(), context.Background(), row, false)
			var auth *AuthError
			if out.Status != tt.status || out.ID != tt.id || tt.fatal != errors.As(err, &auth) || sc.n.Load() != 0 {
				t.Errorf("%s %q err %v after %d POSTs", out.Status, out.ID, err, sc.n.Load())
			}
			if tt.fatal && !strings.Contains(err.Error(), "exclusions:read") {
				t.Errorf("the error does not name the read scope: %v", err)
			}
		})
	}
}
