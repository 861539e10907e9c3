package topotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const maxBody = 1 << 20

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
		st      *store
		account bool
	}{{"/v1/contact-exclusions", s.store, false}, {"/v1/account-exclusions", s.accounts, true}} {
		mux.HandleFunc("POST "+kind.path, s.api(true, s.create(kind.st, kind.account)))
		mux.HandleFunc("GET "+kind.path, s.api(false, s.list(kind.st)))
		mux.HandleFunc("GET "+kind.path+"/{id}", s.api(false, s.get(kind.st)))
		mux.HandleFunc("PATCH "+kind.path+"/{id}", s.api(true, s.update(kind.st)))
		mux.HandleFunc("DELETE "+kind.path+"/{id}", s.api(true, s.delete(kind.st)))
	}
	mux.HandleFunc("GET /__stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no route "+r.Method+" "+r.URL.Path, nil)
	})
	return mux
}

// request carries what the middleware learnt to the endpoint.
type request struct {
	id string
	// commitThenFail says the endpoint must commit and then answer 503
	// (or drop the connection, when reset is also set).
	commitThenFail, reset bool
}

type endpoint func(w http.ResponseWriter, r *http.Request, req *request)

// api wraps an endpoint with the things every request meets, in the order a
// real deployment applies them: the network (resets, latency), the proxy
// (HTML 502), authentication, the rate limit, then the app's own faults.
func (s *Server) api(write bool, h endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := &request{id: "req_" + strings.ReplaceAll(newUUID(), "-", "")[:20]}
		if d := s.delay(); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if s.chance(s.opt.ResetRate) {
			if write && s.chance(0.5) {
				req.commitThenFail, req.reset = true, true
			} else {
				s.drop(w, r)
				return
			}
		}
		if s.chance(s.opt.HTML502Rate) {
			s.stats.count(r, http.StatusBadGateway)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n")
			return
		}
		key, ok := s.authenticate(w, r, req, write)
		if !ok {
			return
		}
		if !s.admit(w, r, req, key) {
			return
		}
		if write && !req.commitThenFail {
			switch {
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

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, req *request, write bool) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sc, known := s.keys[strings.TrimSpace(token)]
	if !ok || !known || token == "" {
		s.fail(w, r, http.StatusUnauthorized, "UnauthorizedIssue", "missing, malformed or invalid API key", nil)
		return "", false
	}
	if write && !sc.write || !write && !sc.read {
		need := "exclusions:read"
		if write {
			need = "exclusions:write"
		}
		s.fail(w, r, http.StatusForbidden, "UnauthorizedIssue", "the API key lacks the scope "+need, map[string]any{"required_scope": need})
		return "", false
	}
	return token, true
}

// admit applies the key's token bucket and sets the X-RateLimit headers
// that every answer carries.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, req *request, key string) bool {
	if s.opt.Rate <= 0 {
		return true
	}
	l := s.limiter(key)
	now := time.Now()
	res := l.ReserveN(now, 1)
	if !s.opt.HideLimit {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(int(math.Ceil(s.opt.Rate))))
	}
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		if !s.opt.HideLimit {
			w.Header().Set("X-RateLimit-Remaining", "0")
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.fail(w, r, http.StatusTooManyRequests, "RateLimitIssue", "rate limit exceeded, retry later", nil)
		return false
	}
	if !s.opt.HideLimit {
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(int(l.TokensAt(now)), 0)))
	}
	return true
}

func (s *Server) create(st *store, account bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request, req *request) { s.createIn(st, account, w, r, req) }
}

func (s *Server) createIn(st *store, account bool, w http.ResponseWriter, r *http.Request, req *request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", "Content-Type must be application/json", nil)
		return
	}
	var body createRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&body); err != nil {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", "the body is not a JSON object: "+err.Error(), nil)
		return
	}
	ex, err := body.validate(s.opt.Now(), account)
	if err != nil {
		var fe *fieldError
		errors.As(err, &fe)
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", err.Error(), map[string]any{"field": fe.field})
		return
	}
	s.stats.posted(ex)
	created, c := st.create(ex)
	if c != nil && req.reset {
		s.drop(w, r)
		return
	}
	if c != nil {
		s.fail(w, r, http.StatusConflict, "CommitIssue",
			fmt.Sprintf("an exclusion with this %s already exists", c.field),
			map[string]any{"id": c.existing.ID, "field": c.field})
		return
	}
	s.stats.created(created)
	if !s.afterCommit(w, r, req) {
		s.stats.count(r, http.StatusCreated)
		writeJSON(w, http.StatusCreated, created)
	}
}

type listPage struct {
	Items      []*Exclusion `json:"items"`
	TotalCount int          `json:"total_count"`
	TotalPages int          `json:"total_pages"`
	HasMore    bool         `json:"has_more"`
}

func (s *Server) list(st *store) endpoint {
	return func(w http.ResponseWriter, r *http.Request, _ *request) { s.listIn(st, w, r) }
}

func (s *Server) listIn(st *store, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err1 := intParam(q.Get("page"), 1, 1, math.MaxInt32)
	size, err2 := intParam(q.Get("size"), 10, 1, 100)
	f := filter{email: q.Get("email"), linkedin: q.Get("linkedin_url"), domain: q.Get("domain"), reason: q.Get("reason"), sortBy: q.Get("sort_by"),
		inclusive: s.opt.InclusiveTimeFilters}
	var err3, err4 error
	f.createdBefore, err3 = timeParam(q.Get("created_at_before"))
	f.createdAf, err4 = timeParam(q.Get("created_at_after"))
	switch q.Get("sort_order") {
	case "", "asc":
	case "desc":
		f.desc = true
	default:
		err1 = errors.New("sort_order must be asc or desc")
	}
	switch f.sortBy {
	case "", "created_at", "updated_at", "email", "reason":
	default:
		err1 = errors.New("sort_by must be created_at, updated_at, email or reason")
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", err.Error(), nil)
		return
	}
	items, total := st.list(f, page, size)
	if items == nil {
		items = []*Exclusion{} // an empty page is [], never null
	}
	pages := (total + size - 1) / size
	s.stats.count(r, http.StatusOK)
	writeJSON(w, http.StatusOK, listPage{Items: items, TotalCount: total, TotalPages: pages, HasMore: page < pages})
}

func (s *Server) get(st *store) endpoint {
	return func(w http.ResponseWriter, r *http.Request, _ *request) {
		ex := st.get(r.PathValue("id"))
		if ex == nil {
			s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no exclusion with this id", nil)
			return
		}
		s.stats.count(r, http.StatusOK)
		writeJSON(w, http.StatusOK, ex)
	}
}

func (s *Server) delete(st *store) endpoint {
	return func(w http.ResponseWriter, r *http.Request, req *request) {
		if !st.delete(r.PathValue("id")) {
			s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no exclusion with this id", nil)
			return
		}
		if s.afterCommit(w, r, req) {
			return
		}
		s.stats.count(r, http.StatusNoContent)
		w.WriteHeader(http.StatusNoContent)
	}
}

// update is PATCH: any of reason, message and until (null until makes the
// exclusion permanent), answered 200 with the whole record. The record's
// keys are not among the mutable fields.
func (s *Server) update(st *store) endpoint {
	return func(w http.ResponseWriter, r *http.Request, req *request) {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/json" {
			s.fail(w, r, http.StatusBadRequest, "ValidationIssue", "Content-Type must be application/json", nil)
			return
		}
		var body map[string]json.RawMessage
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil {
			s.fail(w, r, http.StatusBadRequest, "ValidationIssue", "the body is not a JSON object: "+err.Error(), nil)
			return
		}
		ch, err := parseChange(body)
		if err != nil {
			var fe *fieldError
			errors.As(err, &fe)
			s.fail(w, r, http.StatusBadRequest, "ValidationIssue", err.Error(), map[string]any{"field": fe.field})
			return
		}
		ex := st.update(r.PathValue("id"), ch, s.opt.Now())
		if ex == nil {
			s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no exclusion with this id", nil)
			return
		}
		if s.afterCommit(w, r, req) {
			return
		}
		s.stats.count(r, http.StatusOK)
		writeJSON(w, http.StatusOK, ex)
	}
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

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, typ, msg string, data map[string]any) {
	s.stats.count(r, status)
	writeJSON(w, status, apiError{StatusCode: status, Type: typ, Message: msg, Data: data,
		RequestID: "req_" + strings.ReplaceAll(newUUID(), "-", "")[:20]})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func intParam(s string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q must be a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}

func timeParam(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%q is not an RFC 3339 date-time", s)
	}
	return t, nil
}
