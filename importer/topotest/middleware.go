package topotest

import (
	"encoding/json"
	"html"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiError is Topo's error body.
type apiError struct {
	StatusCode int            `json:"status_code"`
	Type       string         `json:"type"`
	Message    string         `json:"message"`
	Data       map[string]any `json:"data,omitempty"`
	RequestID  string         `json:"request_id"`
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, kind := range []struct {
		path    string
		account bool
	}{{"/v1/contact-exclusions", false}, {"/v1/account-exclusions", true}} {
		mux.HandleFunc("POST "+kind.path, s.api(ScopeExclusionsWrite, true, s.create(kind.account)))
		mux.HandleFunc("GET "+kind.path, s.api(ScopeExclusionsRead, false, s.list(kind.account)))
		mux.HandleFunc("GET "+kind.path+"/{id}", s.api(ScopeExclusionsRead, false, s.get(kind.account)))
		mux.HandleFunc("PATCH "+kind.path+"/{id}", s.api(ScopeExclusionsWrite, true, s.update(kind.account)))
		mux.HandleFunc("DELETE "+kind.path+"/{id}", s.api(ScopeExclusionsWrite, true, s.delete(kind.account)))
	}
	mux.HandleFunc("GET /v1/contacts", s.api(ScopeContactsRead, false, s.listContacts))
	mux.HandleFunc("GET /v1/contacts/{id}", s.api(ScopeContactsRead, false, s.getContact))
	mux.HandleFunc("GET /v1/sequences", s.api(ScopeSequencesRead, false, s.listSequences))
	mux.HandleFunc("GET /v1/sequences/{id}", s.api(ScopeSequencesRead, false, s.getSequence))
	mux.HandleFunc("POST /v1/sequences/{id}/stop", s.api(ScopeSequencesWrite, true, s.stopSequence))
	if !s.opt.NoMe {
		mux.HandleFunc("GET /v1/me", s.api("", false, s.me))
	}
	mux.HandleFunc("GET /__stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no route "+r.Method+" "+r.URL.Path, nil)
	})
	return s.frame(mux)
}

// frame does what happens before routing: the Date header from the
// server's clock (DateOffset off it), and the proxy that turned %2B into +.
func (s *Server) frame(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.now().Add(s.opt.DateOffset).UTC().Format(http.TimeFormat))
		if s.opt.PlusAsSpace {
			q := strings.ReplaceAll(r.URL.RawQuery, "%2B", "+")
			r.URL.RawQuery = strings.ReplaceAll(q, "%2b", "+")
		}
		h.ServeHTTP(w, r)
	})
}

// request carries what the middleware learnt to the endpoint.
type request struct {
	key *apiKey
	ws  *Workspace
	// lastUsed is when the key was used before this request (nil: never).
	lastUsed *time.Time
	// commitThenFail says the endpoint must commit and then answer 503
	// (or drop the connection, when reset is also set).
	commitThenFail, reset bool
}

type endpoint func(w http.ResponseWriter, r *http.Request, req *request)

// api wraps an endpoint with the things every request meets, in the order a
// real deployment applies them: the network (resets), the proxy (HTML 502,
// maintenance pages), authentication and scope, the rate limit — all at
// the edge, as the request arrives — then the latency of the work behind
// it and the app's own faults. An empty scope admits any valid key.
//
// The rate limit counts arrivals: the latency (and its jitter) comes after
// it, as a backend's does. Jitter before a bucket without burst would
// scramble any client's spacing (measured: no client can then reach more
// than half of a 20/s limit without 429s).
func (s *Server) api(scope string, write bool, h endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := &request{}
		if s.chance(s.opt.ResetRate) {
			if write && s.chance(0.5) {
				req.commitThenFail, req.reset = true, true
			} else {
				s.drop(w, r)
				return
			}
		}
		if s.chance(s.opt.HTML502Rate) {
			s.html(w, r, http.StatusBadGateway, page502)
			return
		}
		if s.opt.Maintenance200 && (r.Method == http.MethodDelete || r.Method == http.MethodPatch) {
			s.html(w, r, http.StatusOK, pageMaintenance)
			return
		}
		if !s.authenticate(w, r, req, scope) || !s.admit(w, r, req.key.token) {
			return
		}
		if d := s.delay(); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if write && !req.commitThenFail {
			switch {
			case s.firstWrites():
				req.commitThenFail = true
			case s.chance(s.opt.FailRate):
				s.fail(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "the service is temporarily unavailable", nil)
				return
			case s.chance(s.opt.FailAfterCommit):
				req.commitThenFail = true
			}
		}
		h(w, r, req)
	}
}

// drop closes the connection without an answer, as a crashed proxy would.
func (s *Server) drop(w http.ResponseWriter, r *http.Request) {
	s.stats.count(r, 0)
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// authenticate finds the key and its workspace, notes its use, and checks
// that it holds scope.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, req *request, scope string) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	token = strings.TrimSpace(token)
	key := s.keys[token]
	if !ok || key == nil || token == "" {
		s.fail(w, r, http.StatusUnauthorized, "UnauthorizedIssue", "missing, malformed or invalid API key", nil)
		return false
	}
	now := s.stamp()
	s.mu.Lock()
	req.lastUsed, key.lastUsed = key.lastUsed, &now
	s.mu.Unlock()
	req.key, req.ws = key, key.ws
	if scope != "" && !key.has(scope) {
		s.fail(w, r, http.StatusForbidden, "UnauthorizedIssue", "the API key lacks the scope "+scope, map[string]any{"required_scope": scope})
		return false
	}
	return true
}

// admit applies the Storm and the key's token bucket, and sets the
// X-RateLimit headers that every answer carries (the PublishLimit in
// place of the real limit when one is set).
func (s *Server) admit(w http.ResponseWriter, r *http.Request, key string) bool {
	now := time.Now()
	storm := s.storming(now)
	if s.opt.Rate <= 0 && !storm {
		return true
	}
	if !s.opt.HideLimit && (s.opt.Rate > 0 || s.opt.PublishLimit > 0) {
		limit := s.opt.PublishLimit
		if limit <= 0 {
			limit = int(math.Ceil(s.opt.Rate))
		}
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	}
	refuse := func(wait time.Duration) bool {
		if !s.opt.HideLimit {
			w.Header().Set("X-RateLimit-Remaining", "0")
		}
		w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
		s.fail(w, r, http.StatusTooManyRequests, "RateLimitIssue", "rate limit exceeded, retry later", nil)
		return false
	}
	if storm {
		// Shedding load, the server cannot say when it will end: it asks
		// for the shortest wait a Retry-After in seconds can say.
		return refuse(time.Second)
	}
	l := s.limiter(key)
	res := l.ReserveN(now, 1)
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		return refuse(wait)
	}
	if !s.opt.HideLimit {
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(int(l.TokensAt(now)), 0)))
	}
	return true
}

// afterCommit answers a write that took effect as the faults say: a
// dropped connection or a 503. It reports whether it answered.
func (s *Server) afterCommit(w http.ResponseWriter, r *http.Request, req *request) bool {
	switch {
	case req.reset:
		s.drop(w, r)
	case req.commitThenFail:
		s.fail(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "the service is temporarily unavailable", nil)
	default:
		return false
	}
	return true
}

// fail answers with Topo's error body, or with what HTML404 and
// EchoHeaders put in its place.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, typ, msg string, data map[string]any) {
	if status == http.StatusNotFound && s.opt.HTML404 {
		s.html(w, r, status, page404)
		return
	}
	if s.opt.EchoHeaders {
		msg += " (request headers: " + echo(r) + ")"
	}
	s.reply(w, r, status, apiError{StatusCode: status, Type: typ, Message: msg, Data: data,
		RequestID: "req_" + strings.ReplaceAll(newUUID(), "-", "")[:20]})
}

// Pages that something in front of Topo answers with.
const (
	page502         = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"
	page404         = "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>\n"
	pageMaintenance = "<html><head><title>Down for maintenance</title></head><body><h1>We'll be back soon</h1><p>Scheduled maintenance is under way.</p></body></html>\n"
)

// html answers with a proxy's page; an error page echoes the request's
// headers when EchoHeaders says so.
func (s *Server) html(w http.ResponseWriter, r *http.Request, status int, page string) {
	if s.opt.EchoHeaders && status >= 400 {
		page = strings.Replace(page, "</body>", "<pre>"+html.EscapeString(echo(r))+"</pre></body>", 1)
	}
	s.stats.count(r, status)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	io.WriteString(w, page)
}

// echo is the request's headers as a debugging proxy prints them.
func echo(r *http.Request) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		parts = append(parts, name+": "+strings.Join(r.Header[name], ", "))
	}
	return strings.Join(parts, "; ")
}

// reply counts the answer and writes v as JSON.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, v any) {
	s.stats.count(r, status)
	writeJSON(w, status, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
