package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Answer is one attempt's result: Topo's answer, or Err when none came.
type Answer struct {
	Method, Path string
	// Status is the HTTP status; 0 when no answer came.
	Status int
	// Err is the transport error: a reset, a timeout, a refused
	// connection, an answer cut off half-way.
	Err error
	// Record is a 2xx body that is one exclusion; Page a 2xx body that is
	// a page of the list endpoint.
	Record *topo.Exclusion
	Page   *topo.Page[topo.Exclusion]
	// Problem is Topo's error body, for statuses of 400 and above.
	Problem Problem
	// BadBody says the body was not the JSON expected (an HTML page from a
	// proxy, say); Problem.Message then holds its start.
	BadBody bool
	// RetryAfter is the Retry-After header as a wait (see ParseRetryAfter);
	// HasRetryAfter says whether the header was usable.
	RetryAfter    time.Duration
	HasRetryAfter bool
	// Limit and Remaining are X-RateLimit-Limit and -Remaining; -1 when
	// absent.
	Limit, Remaining float64
	// Location is where a 3xx points.
	Location string
	// Sent and Received frame the attempt on this machine's clock; Date
	// is the server's Date header (zero when absent).
	Sent, Received, Date time.Time

	// body is a 2xx answer's body, for Decode.
	body []byte
}

// NotFound says Topo itself answered that there is no such resource: a
// 404 with its JSON NotFoundIssue. A 404 page from a proxy, or one that
// says something else, proves nothing about the record.
func (a Answer) NotFound() bool {
	return a.Err == nil && a.Status == http.StatusNotFound && !a.BadBody && a.Problem.Type == "NotFoundIssue"
}

// Problem is Topo's error body.
type Problem struct {
	Type      string `json:"type"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	// ID is data.id, which a 409 may carry: the record in the way.
	ID string `json:"-"`
}

// MaxRetryAfter caps what a Retry-After can make a request wait.
const MaxRetryAfter = 2 * time.Minute

func (a *Answer) read(hr *http.Response, body []byte) {
	a.Status = hr.StatusCode
	a.Limit, a.Remaining = headerNumber(hr.Header, "X-RateLimit-Limit"), headerNumber(hr.Header, "X-RateLimit-Remaining")
	a.RetryAfter, a.HasRetryAfter = ParseRetryAfter(hr.Header.Get("Retry-After"), a.Received)
	if d, err := http.ParseTime(hr.Header.Get("Date")); err == nil {
		a.Date = d
	}
	switch {
	case a.Status/100 == 3:
		a.Location = hr.Header.Get("Location")
	case a.Status/100 == 2:
		a.body = body
	default:
		a.decodeProblem(body)
	}
}

// decodeExclusions reads a 2xx body of the exclusion endpoints as a page
// or a record. A body that is neither is kept as BadBody: a 2xx alone
// proves nothing.
func (a *Answer) decodeExclusions() {
	body := a.body
	if a.Status/100 != 2 || len(strings.TrimSpace(string(body))) == 0 {
		return
	}
	if err := checkJSON(body); err != nil {
		a.BadBody, a.Problem.Message = true, strings.TrimPrefix(err.Error(), errNotTopos.Error()+": ")
		return
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		a.BadBody, a.Problem.Message = true, "answer is not JSON: "+snippet(body)
		return
	}
	if _, ok := probe["items"]; ok {
		var p topo.Page[topo.Exclusion]
		if err := json.Unmarshal(body, &p); err != nil {
			a.BadBody, a.Problem.Message = true, "page is not the list endpoint's: "+err.Error()
			return
		}
		a.Page = &p
		return
	}
	if _, ok := probe["id"]; ok {
		var ex topo.Exclusion
		if err := json.Unmarshal(body, &ex); err != nil {
			a.BadBody, a.Problem.Message = true, "record is not an exclusion: "+err.Error()
			return
		}
		a.Record = &ex
	}
}

func (a *Answer) decodeProblem(body []byte) {
	var e struct {
		Problem
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &e) != nil {
		a.BadBody = true
		a.Problem.Message = fmt.Sprintf("%s, answer is not JSON: %s", http.StatusText(a.Status), snippet(body))
		return
	}
	a.Problem = e.Problem
	var data struct {
		ID string `json:"id"`
	}
	if len(e.Data) > 0 && json.Unmarshal(e.Data, &data) == nil {
		a.Problem.ID = data.ID
	}
}

func headerNumber(h http.Header, name string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(h.Get(name)), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return -1
	}
	return v
}

// ParseRetryAfter reads a Retry-After header, seconds or an HTTP date,
// into a wait between 0 and MaxRetryAfter: a date in the past is 0, and a
// huge or infinite number of seconds waits the cap, never "retry now".
// ok is false when the header is absent or unreadable (NaN, garbage,
// negative): the caller's own backoff applies then.
func ParseRetryAfter(h string, now time.Time) (d time.Duration, ok bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(h, 64); err == nil || isRangeError(err) {
		switch {
		case math.IsNaN(secs) || secs < 0:
			return 0, false
		case secs >= MaxRetryAfter.Seconds(): // also +Inf and overflows
			return MaxRetryAfter, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, false
}

// isRangeError is strconv's "value out of range" (1e999): a number, too
// large to hold, which ParseFloat returns as ±Inf.
func isRangeError(err error) bool {
	var ne *strconv.NumError
	return err != nil && errors.As(err, &ne) && ne.Err == strconv.ErrRange
}

// snippet is the start of a body, on one line, for an error message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
