package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"2", 2 * time.Second, true},
		{"0", 0, true},
		{"0.5", 500 * time.Millisecond, true},
		{" 3 ", 3 * time.Second, true},
		{"Thu, 01 Jan 2026 12:00:05 GMT", 5 * time.Second, true},
		{"Thu, 01 Jan 2026 11:00:00 GMT", 0, true}, // a date in the past: now
		{"Fri, 01 Jan 2100 00:00:00 GMT", MaxRetryAfter, true},
		{"86400", MaxRetryAfter, true},
		{"99999999999", MaxRetryAfter, true},
		{"1e300", MaxRetryAfter, true}, // overflowed into "retry now" before
		{"1e999", MaxRetryAfter, true}, // out of float64's range
		{"Inf", MaxRetryAfter, true},
		{"+Infinity", MaxRetryAfter, true},
		{"NaN", 0, false},
		{"-3", 0, false},
		{"-Inf", 0, false},
		{"soon", 0, false},
		{"0x10", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.h, got, ok, tt.want, tt.ok)
		}
		if got < 0 || got > MaxRetryAfter {
			t.Errorf("ParseRetryAfter(%q) = %v, outside 0..cap", tt.h, got)
		}
	}
}

func TestClassify(t *testing.T) {
	bg := context.Background()
	cancelled, cancel := context.WithCancel(bg)
	cancel()
	tests := []struct {
		name   string
		a      Answer
		op     Op
		parent context.Context
		want   Verdict
	}{
		{"created", Answer{Status: 201}, OpCreate, bg, Done},
		{"conflict on create", Answer{Status: 409}, OpCreate, bg, Done},
		{"conflict on update", Answer{Status: 409}, OpUpdate, bg, Permanent},
		{"bad key", Answer{Status: 401}, OpCreate, bg, Fatal},
		{"no scope", Answer{Status: 403}, OpLookup, bg, Fatal},
		{"validation", Answer{Status: 400}, OpCreate, bg, Permanent},
		{"business", Answer{Status: 422}, OpCreate, bg, Permanent},
		{"not found on create", Answer{Status: 404}, OpCreate, bg, Permanent},
		{"Topo's not found on delete: settled", Answer{Status: 404, Problem: Problem{Type: "NotFoundIssue"}}, OpDelete, bg, Done},
		{"Topo's not found on get: settled", Answer{Status: 404, Problem: Problem{Type: "NotFoundIssue"}}, OpGet, bg, Done},
		{"a proxy's 404 page on delete proves nothing", Answer{Status: 404, BadBody: true}, OpDelete, bg, Ambiguous},
		{"a 404 that is not a NotFoundIssue proves nothing", Answer{Status: 404, Problem: Problem{Type: "RouteIssue"}}, OpGet, bg, Ambiguous},
		{"301", Answer{Status: 301}, OpCreate, bg, Redirect},
		{"308", Answer{Status: 308}, OpLookup, bg, Redirect},
		{"rate limited", Answer{Status: 429}, OpCreate, bg, Retry},
		{"server error", Answer{Status: 500}, OpCreate, bg, Ambiguous},
		{"proxy 502", Answer{Status: 502, BadBody: true}, OpCreate, bg, Ambiguous},
		{"gateway timeout", Answer{Status: 504}, OpDelete, bg, Ambiguous},
		{"request timeout", Answer{Status: 408}, OpCreate, bg, Ambiguous},
		{"reset", Answer{Err: syscall.ECONNRESET}, OpCreate, bg, Ambiguous},
		{"eof", Answer{Err: io.ErrUnexpectedEOF}, OpCreate, bg, Ambiguous},
		{"timeout", Answer{Err: context.DeadlineExceeded}, OpCreate, bg, Ambiguous},
		{"refused", Answer{Err: fmt.Errorf("dial: %w", syscall.ECONNREFUSED)}, OpCreate, bg, Retry},
		{"cut short by the run", Answer{Err: context.Canceled}, OpCreate, cancelled, Ambiguous},
	}
	for _, tt := range tests {
		if got := Classify(tt.a, tt.op, tt.parent); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"https://api.topo.io", "https://api.topo.io", ""},
		{"https://api.topo.io/", "https://api.topo.io", ""},
		{"http://127.0.0.1:8765", "http://127.0.0.1:8765", ""},
		{"http://localhost:1", "http://localhost:1", ""},
		{"http://[::1]:2", "http://[::1]:2", ""},
		{"http://api.topo.io", "", "plain http"},
		{"https://api.topo.io/v1", "", "use https://api.topo.io"},
		{"https://api.topo.io/api", "", "path, query or fragment"},
		{"https://api.topo.io?x=1", "", "path, query or fragment"},
		{"https://api.topo.io/#top", "", "path, query or fragment"},
		{"https://user:hunter2@api.topo.io", "", "user name or password"},
		{"ftp://x", "", "not an http(s) URL"},
		{"not a url", "", "not an http(s) URL"},
		{"", "", "not an http(s) URL"},
	}
	for _, tt := range tests {
		u, err := ParseBaseURL(tt.in)
		switch {
		case tt.err == "" && (err != nil || u.String() != tt.want):
			t.Errorf("ParseBaseURL(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseBaseURL(%q): %v, want an error containing %q", tt.in, err, tt.err)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("ParseBaseURL(%q): the password is in the error: %v", tt.in, err)
		}
	}
}

// counter counts the requests a server got, and whether they carried a key.
type counter struct {
	n, keys atomic.Int32
	h       http.HandlerFunc
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	if r.Header.Get("Authorization") != "" {
		c.keys.Add(1)
	}
	if c.h != nil {
		c.h(w, r)
	}
}

// TestRedirectsAreNeverFollowed: whatever the redirect (301, 302, 307, 308;
// to another host, to the list page, from https to http on the same
// host), the client hands the 3xx back, the POST never becomes a GET, and
// the key goes nowhere but the base URL.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	elsewhere := &counter{h: func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"items":[],"total_count":0}`) }}
	plain := httptest.NewServer(elsewhere)
	defer plain.Close()
	for _, status := range []int{301, 302, 307, 308} {
		for _, target := range []string{plain.URL + "/v1/contact-exclusions", "https://other.example/v1/contact-exclusions"} {
			t.Run(fmt.Sprint(status, " to ", target), func(t *testing.T) {
				api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, target, status)
				}))
				defer api.Close()
				c, err := NewClient(api.URL, "secret", "ua", api.Client(), nil)
				if err != nil {
					t.Fatal(err)
				}
				a := c.Create(context.Background(), topo.Contacts, topo.Draft{Reason: "OTHER", Email: topo.Nullable("a@b.co")})
				if a.Status != status || a.Location != target || Classify(a, OpCreate, context.Background()) != Redirect {
					t.Errorf("create: status %d, location %q", a.Status, a.Location)
				}
				if d := Describe(a); !strings.Contains(d, fmt.Sprintf("Topo answered %d %s", status, target)) || !strings.Contains(d, "set --base-url") {
					t.Errorf("the row's error does not name the address: %q", d)
				}
				r := &Retrier{Pacer: NewPacer(0), Retries: 3, Timeout: time.Second}
				_, err = CheckKey(context.Background(), c, r, topo.Contacts)
				var redir *RedirectError
				if !errors.As(err, &redir) || !strings.Contains(err.Error(), "set --base-url") || !strings.Contains(err.Error(), target) {
					t.Errorf("key check: %v, want a RedirectError naming %s", err, target)
				}
			})
		}
	}
	if elsewhere.n.Load() != 0 {
		t.Errorf("%d requests followed a redirect (%d with the key)", elsewhere.n.Load(), elsewhere.keys.Load())
	}
}

// TestCheckKeyAnswers: the key check asks /v1/me who the key is (an
// older Topo without it answers 404), tells a key that cannot read from a
// base URL that is not Topo's, and counts what a snapshot would cost.
func TestCheckKeyAnswers(t *testing.T) {
	t.Parallel()
	const (
		noMe  = ""
		rw    = `{"id":"k1","organization_id":"org_1","name":"ops","key_prefix":"topo_rw","scopes":["exclusions:read","exclusions:write"]}`
		wo    = `{"id":"k2","organization_id":"org_1","name":"ops","key_prefix":"topo_wo","scopes":["exclusions:write"]}`
		reads = `{"items":[],"total_count":1234,"total_pages":1234,"has_more":true}`
	)
	withMe := func(me string) *topo.Me {
		var m topo.Me
		if err := json.Unmarshal([]byte(me), &m); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	tests := []struct {
		name     string
		me       string // the /v1/me body; noMe: 404
		meStatus int
		status   int
		body     string
		kind     topo.Kind
		access   Access // Workspace "": the key's hash
		err      any
		lists    int
	}{
		{"reads, /v1/me says the scopes", rw, 200, 200, reads, topo.Contacts, Access{Me: withMe(rw), Workspace: "org_1", Read: true, Total: 1234, TotalKnown: true}, nil, 1},
		{"write-only key by /v1/me: no list asked", wo, 200, 403, `{}`, topo.Contacts, Access{Me: withMe(wo), Workspace: "org_1"}, nil, 0},
		{"/v1/me refuses the key", `{"status_code":401,"type":"UnauthorizedIssue","message":"bad"}`, 401, 200, reads, topo.Contacts, Access{}, new(*AuthError), 0},
		{"/v1/me is a 200 page that is not Topo's", `<html>hi</html>`, 200, 200, reads, topo.Contacts, Access{}, new(*NotAPIError), 0},
		{"no /v1/me: reads", noMe, 404, 200, reads, topo.Contacts, Access{Read: true, Total: 1234, TotalKnown: true}, nil, 1},
		{"no /v1/me: a total the page contradicts is not trusted", noMe, 404, 200, `{"items":[{"id":"x","reason":"OTHER"}],"total_count":0}`, topo.Contacts, Access{Read: true}, nil, 1},
		{"no /v1/me: no total", noMe, 404, 200, `{"items":[]}`, topo.Contacts, Access{Read: true}, nil, 1},
		{"no /v1/me: write-only key", noMe, 404, 403, `{"status_code":403,"type":"UnauthorizedIssue","message":"scope"}`, topo.Contacts, Access{}, nil, 1},
		{"no /v1/me: bad key", noMe, 404, 401, `{"status_code":401,"type":"UnauthorizedIssue","message":"bad"}`, topo.Contacts, Access{}, new(*AuthError), 1},
		{"no /v1/me: 404 is not Topo's API", noMe, 404, 404, `<html>not found</html>`, topo.Contacts, Access{}, new(*NotAPIError), 1},
		{"no /v1/me: 404 for accounts: no list endpoint", noMe, 404, 404, `{"status_code":404,"type":"NotFoundIssue","message":"no"}`, topo.Accounts, Access{NoList: true}, nil, 1},
		{"no /v1/me: 200 that is not a page", noMe, 404, 200, `{}`, topo.Contacts, Access{}, new(*NotAPIError), 3},
		{"503s throughout", noMe, 503, 503, `{}`, topo.Contacts, Access{}, new(*UnavailableError), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var lists atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v1/me" {
					w.WriteHeader(tt.meStatus)
					if tt.me == noMe {
						io.WriteString(w, `{"status_code":404,"type":"NotFoundIssue","message":"no route"}`)
					}
					io.WriteString(w, tt.me)
					return
				}
				lists.Add(1)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, _ := NewClient(srv.URL, "k", "ua", nil, nil)
			defer c.CloseIdleConnections()
			r := &Retrier{Pacer: NewPacer(0), Retries: 2, Timeout: time.Second, Backoff: func(int) time.Duration { return 0 }}
			access, err := CheckKey(context.Background(), c, r, tt.kind)
			want := tt.access
			if want.Workspace == "" && err == nil {
				want.Workspace = "key:" + c.KeyID()
			}
			if err == nil && (fmt.Sprint(access.Me) != fmt.Sprint(want.Me) || fmt.Sprint(access.Workspace, access.Read, access.Total, access.TotalKnown, access.NoList) !=
				fmt.Sprint(want.Workspace, want.Read, want.Total, want.TotalKnown, want.NoList)) {
				t.Errorf("access %+v (me %+v), want %+v (me %+v)", access, access.Me, want, want.Me)
			}
			if int(lists.Load()) != tt.lists {
				t.Errorf("%d requests to the list, want %d", lists.Load(), tt.lists)
			}
			switch want := tt.err.(type) {
			case nil:
				if err != nil {
					t.Errorf("error %v", err)
				}
			case **AuthError:
				if !errors.As(err, want) {
					t.Errorf("error %v, want %T", err, *want)
				}
			case **NotAPIError:
				if !errors.As(err, want) {
					t.Errorf("error %v, want %T", err, *want)
				}
			case **UnavailableError:
				if !errors.As(err, want) {
					t.Errorf("error %v, want %T", err, *want)
				}
			}
		})
	}
}

func TestRetrierHonoursRetryAfterOnEveryRequest(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		io.WriteString(w, `{"id":"k","organization_id":"org","scopes":["exclusions:write"]}`)
	}))
	defer srv.Close()
	c, _ := NewClient(srv.URL, "k", "ua", nil, nil)
	defer c.CloseIdleConnections()
	var waited time.Duration
	r := &Retrier{Pacer: NewPacer(0), Retries: 2, Timeout: time.Second, Backoff: func(int) time.Duration { return 0 }}
	r.Sleep = func(ctx context.Context, d time.Duration) error { waited += d; return nil }
	if _, err := CheckKey(context.Background(), c, r, topo.Contacts); err != nil || waited != time.Second || n.Load() != 2 {
		t.Errorf("err %v, waited %v after %d requests; want the 1s Retry-After honoured", err, waited, n.Load())
	}
}
