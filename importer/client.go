package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponseBody bounds what is read of any answer: Topo's objects are a
// few hundred bytes, and a proxy's error page must not fill memory.
const maxResponseBody = 1 << 20

// Client talks to Topo's contact-exclusion API. It holds the API key and
// never puts it in an error, a log line or a report.
type Client struct {
	baseURL   *url.URL
	key       string
	http      *http.Client
	userAgent string
}

// NewClient returns a client for baseURL. Plain http is refused unless the
// host is loopback: the key must not cross a network in clear text.
func NewClient(baseURL, key, userAgent string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" {
		return nil, &SetupError{Err: fmt.Errorf("base URL %q is not an http(s) URL", baseURL)}
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, &SetupError{Err: fmt.Errorf("base URL %s uses plain http to a host that is not loopback: the API key would travel in clear text", u.Redacted())}
		}
	default:
		return nil, &SetupError{Err: fmt.Errorf("base URL %q is not an http(s) URL", baseURL)}
	}
	if key == "" {
		return nil, &SetupError{Err: errors.New("no API key: set TOPO_API_KEY or pass --token-file")}
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{baseURL: u, key: key, http: hc, userAgent: userAgent}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Exclusion is the body of a create request: a contact exclusion (email,
// linkedin_url) or, when Domain is set, an account exclusion.
type Exclusion struct {
	Email       *string `json:"email,omitempty"`
	LinkedInURL *string `json:"linkedin_url,omitempty"`
	Domain      *string `json:"domain,omitempty"`
	Reason      string  `json:"reason"`
	Message     *string `json:"message"`
	Until       *string `json:"until"`
}

// ExclusionFrom builds a request body from a row's normalised fields.
func ExclusionFrom(f Fields) Exclusion {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return Exclusion{Email: opt(f.Email), LinkedInURL: opt(f.LinkedInURL), Domain: opt(f.Domain),
		Reason: f.Reason, Message: opt(f.Message), Until: opt(f.Until)}
}

// Endpoints of the two kinds of exclusion.
const (
	contactPath = "/v1/contact-exclusions"
	accountPath = "/v1/account-exclusions"
)

func pathFor(k Kind) string {
	if k == KindAccounts {
		return accountPath
	}
	return contactPath
}

// Response is one answer from the API, success or not.
type Response struct {
	Status int
	// ID is the created record's id, or for a 409 the existing one's
	// when the API says which.
	ID string
	// Type, Message and RequestID come from Topo's error body.
	Type, Message, RequestID string
	// RetryAfter is the Retry-After header, already capped; 0 if absent.
	RetryAfter time.Duration
	// Limit is X-RateLimit-Limit when present.
	Limit float64
	// BadBody says the body was not the JSON expected (an HTML error
	// page from a proxy, say); Message then holds its start.
	BadBody bool
}

// maxRetryAfter caps what a Retry-After can make a row wait.
const maxRetryAfter = 2 * time.Minute

// Create sends one create request: one attempt, no retry. A non-nil error
// means no answer came (connection refused or reset, timeout).
func (c *Client) Create(ctx context.Context, ex Exclusion) (Response, error) {
	body, err := json.Marshal(ex)
	if err != nil {
		return Response{}, err
	}
	path := contactPath
	if ex.Domain != nil {
		path = accountPath
	}
	req, err := c.newRequest(ctx, http.MethodPost, path, bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req)
}

// Find looks up the exclusion holding an email, a LinkedIn URL or (among
// account exclusions) a domain with the list endpoint's exact filter. The Response carries the status of the
// lookup; found is false when the API answered and had none.
func (c *Client) Find(ctx context.Context, field Field, value string) (id string, found bool, resp Response, err error) {
	q := url.Values{"size": {"1"}}
	q.Set(field.String(), value)
	path := contactPath
	if field == FieldDomain {
		path = accountPath
	}
	req, err := c.newRequest(ctx, http.MethodGet, path+"?"+q.Encode(), nil)
	if err != nil {
		return "", false, Response{}, err
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	resp, err = c.doInto(req, &page)
	if err != nil || resp.Status != http.StatusOK || resp.BadBody {
		return "", false, resp, err
	}
	if len(page.Items) == 0 {
		return "", false, resp, nil
	}
	return page.Items[0].ID, true, resp, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL.String()+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

func (c *Client) do(req *http.Request) (Response, error) {
	var created struct {
		ID string `json:"id"`
	}
	resp, err := c.doInto(req, &created)
	if resp.Status == http.StatusCreated {
		resp.ID = created.ID
	}
	return resp, err
}

// doInto sends req and decodes a 2xx body into out, or an error body into
// the Response.
func (c *Client) doInto(req *http.Request, out any) (Response, error) {
	hr, err := c.http.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hr.Body, maxResponseBody))
	if err != nil {
		return Response{Status: hr.StatusCode}, err
	}
	r := Response{Status: hr.StatusCode, RetryAfter: retryAfter(hr.Header.Get("Retry-After"), time.Now())}
	if l, err := strconv.ParseFloat(hr.Header.Get("X-RateLimit-Limit"), 64); err == nil && l > 0 {
		r.Limit = l
	}
	if hr.StatusCode/100 == 2 {
		if len(body) > 0 && json.Unmarshal(body, out) != nil {
			r.BadBody, r.Message = true, "answer is not JSON: "+snippet(body)
		}
		return r, nil
	}
	var e struct {
		Type      string          `json:"type"`
		Message   string          `json:"message"`
		RequestID string          `json:"request_id"`
		Data      json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &e) != nil {
		r.BadBody, r.Message = true, fmt.Sprintf("%s, answer is not JSON: %s", http.StatusText(hr.StatusCode), snippet(body))
		return r, nil
	}
	r.Type, r.Message, r.RequestID = e.Type, e.Message, e.RequestID
	var data struct {
		ID string `json:"id"`
	}
	if len(e.Data) > 0 && json.Unmarshal(e.Data, &data) == nil {
		r.ID = data.ID
	}
	return r, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. A date in
// the past means now; anything longer than maxRetryAfter is capped.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(h, 64); err == nil {
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
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

// Probe makes the cheapest authenticated read (one item of the list), to
// learn before sending whether the key is good and may read.
func (c *Client) Probe(ctx context.Context, k Kind) (Response, error) {
	req, err := c.newRequest(ctx, http.MethodGet, pathFor(k)+"?size=1", nil)
	if err != nil {
		return Response{}, err
	}
	var page json.RawMessage
	return c.doInto(req, &page)
}
