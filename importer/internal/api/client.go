// Package topo is the client of Topo's exclusion API: one attempt at a
// time (Client), what an answer means (Classify), when to try again and
// when to look first (Retrier), how fast to go (Pacer), and the check of
// the key before anything is sent (CheckKey). It is the mirror of
// importer/topotest, the fake API the tests run it against.
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// maxResponseBody bounds what is read of any answer: Topo's pages are a
// few tens of kilobytes, and a proxy's error page must not fill memory.
const maxResponseBody = 4 << 20

// DefaultBaseURL is Topo's production API.
const DefaultBaseURL = "https://api.topo.io"

// Client talks to Topo. It holds the API key and never puts it in an
// error, a log line or a report; requests go to the base URL's scheme,
// host and port only, and redirects are never followed, so the key cannot
// be carried anywhere else.
type Client struct {
	base      *url.URL
	key       string
	http      *http.Client
	userAgent string
	clock     *Clock
	now       func() time.Time
}

// BaseURLError is a --base-url that cannot be used.
type BaseURLError struct {
	URL    string // redacted
	Reason string
	Hint   string // the form that would work, if there is one
}

func (e *BaseURLError) Error() string {
	msg := fmt.Sprintf("base URL %s %s", e.URL, e.Reason)
	if e.Hint != "" {
		msg += ": use " + e.Hint
	}
	return msg
}

// Usage marks it a usage error: nothing was sent.
func (e *BaseURLError) Usage() bool { return true }

// ParseBaseURL checks a base URL: http or https, a host, no user name or
// password (they would end up in logs), no path, query or fragment (the
// API's paths start at /v1 of the host), and plain http only to a
// loopback host, where the key crosses no network.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &BaseURLError{URL: redact(raw), Reason: "is not an http(s) URL with a host", Hint: DefaultBaseURL}
	}
	hostOnly := u.Scheme + "://" + u.Host
	switch {
	case u.User != nil:
		return nil, &BaseURLError{URL: redact(raw), Reason: "carries a user name or password (the key comes from TOPO_API_KEY or --token-file)", Hint: hostOnly}
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, &BaseURLError{URL: redact(raw), Reason: "has a path, query or fragment (the API's paths, /v1/…, are added to the host)", Hint: hostOnly}
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, &BaseURLError{URL: redact(raw), Reason: "uses plain http to a host that is not loopback: the API key would travel in clear text", Hint: "https://" + u.Host}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// RedactURL is raw with any user name and password hidden, for messages
// and summaries.
func RedactURL(raw string) string { return redact(raw) }

// redact hides a password in a URL that failed to parse as one we accept.
func redact(raw string) string {
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil {
		if u.User != nil {
			u.User = url.User("xxxxx")
		}
		return u.String()
	}
	return "(unparseable)"
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewClient returns a client for baseURL (see ParseBaseURL) with key. hc
// may be nil; its CheckRedirect is replaced so that no redirect is ever
// followed. now is the local clock answers are timed by (nil: time.Now).
func NewClient(baseURL, key, userAgent string, hc *http.Client, now func() time.Time) (*Client, error) {
	u, err := ParseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, errors.New("no API key: set TOPO_API_KEY or pass --token-file")
	}
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if now == nil {
		now = time.Now
	}
	return &Client{base: u, key: key, http: c, userAgent: userAgent, clock: &Clock{}, now: now}, nil
}

// KeyID names the key without saying it: the first 16 hex digits of its
// SHA-256, for where a workspace must be told apart without /v1/me.
func (c *Client) KeyID() string {
	sum := sha256.Sum256([]byte(c.key))
	return hex.EncodeToString(sum[:8])
}

// BaseURL is the API's scheme, host and port.
func (c *Client) BaseURL() string { return c.base.String() }

// Clock is what the client learnt of the server's clock.
func (c *Client) Clock() *Clock { return c.clock }

// Create sends one create request.
func (c *Client) Create(ctx context.Context, k topo.Kind, d topo.Draft) Answer {
	return c.exclusions(ctx, http.MethodPost, kindPath(k), d)
}

// Update sends one PATCH of the exclusion id.
func (c *Client) Update(ctx context.Context, k topo.Kind, id string, ch topo.Change) Answer {
	return c.exclusions(ctx, http.MethodPatch, kindPath(k)+"/"+url.PathEscape(id), ch)
}

// Delete sends one DELETE of the exclusion id.
func (c *Client) Delete(ctx context.Context, k topo.Kind, id string) Answer {
	return c.exclusions(ctx, http.MethodDelete, kindPath(k)+"/"+url.PathEscape(id), nil)
}

// Get reads the exclusion id.
func (c *Client) Get(ctx context.Context, k topo.Kind, id string) Answer {
	return c.exclusions(ctx, http.MethodGet, kindPath(k)+"/"+url.PathEscape(id), nil)
}

// List reads one page of the list endpoint.
func (c *Client) List(ctx context.Context, k topo.Kind, q Query) Answer {
	return c.exclusions(ctx, http.MethodGet, kindPath(k)+"?"+q.values().Encode(), nil)
}

// exclusions sends a request to the exclusion endpoints and reads its
// answer as their records and pages.
func (c *Client) exclusions(ctx context.Context, method, path string, body any) Answer {
	a := c.send(ctx, method, path, body)
	a.decodeExclusions()
	a.Problem.Message = c.scrub(a.Problem.Message)
	return a
}

func (c *Client) send(ctx context.Context, method, path string, body any) Answer {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Answer{Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return Answer{Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	a := Answer{Method: method, Path: path, Sent: c.now()}
	hr, err := c.http.Do(req)
	if err != nil {
		a.Err, a.Received = err, c.now()
		return a
	}
	defer hr.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hr.Body, maxResponseBody))
	a.Received = c.now()
	a.read(hr, raw)
	a.Problem.Message, a.Problem.Type, a.Problem.RequestID = c.scrub(a.Problem.Message), c.scrub(a.Problem.Type), c.scrub(a.Problem.RequestID)
	a.Location = c.scrub(a.Location)
	if err != nil {
		a.Err = err // the answer was cut off: what it meant is not known
	}
	if !a.Date.IsZero() {
		c.clock.observeDate(a.Date, a.Sent, a.Received)
	}
	return a
}

// CloseIdleConnections closes the connections the client keeps for reuse.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }
