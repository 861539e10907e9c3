package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Access is what the key check learnt before a run.
type Access struct {
	// Read says the key may use the list endpoint: lookups settle what an
	// unanswered attempt did, and existing records can be compared.
	Read bool
	// Total is how many exclusions of the kind Topo holds (when Read).
	Total int
	// NoList says the list endpoint answered 404 (Topo documents no
	// account list endpoint): lookups are impossible, 409s settle retries.
	NoList bool
}

// AuthError is Topo refusing the key: 401 (bad key) or 403 (missing
// scope). It stops a run at once.
type AuthError struct {
	Status  int
	Message string
	// Scope is the scope a 403 says is missing.
	Scope string
}

func (e *AuthError) Error() string {
	if e.Status == http.StatusForbidden {
		return fmt.Sprintf("Topo refused the API key's scope (403: %s): the key needs %s", e.Message, e.Scope)
	}
	return fmt.Sprintf("Topo refused the API key (401: %s): check TOPO_API_KEY or --token-file", e.Message)
}

// Abort marks it a stop: nothing more may be sent, every row is recorded.
func (e *AuthError) Abort() bool { return true }

// UnavailableError is Topo not answering usefully before anything was sent.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string { return "cannot reach Topo: " + e.Reason }

// Abort marks it a stop: nothing more is sent, every row is recorded.
func (e *UnavailableError) Abort() bool { return true }

// RedirectError is something in front of the API answering 3xx: the base
// URL is not where Topo's API is. Redirects are never followed.
type RedirectError struct {
	Status   int
	Location string
}

func (e *RedirectError) Error() string {
	hint := e.Location
	if u, err := url.Parse(e.Location); err == nil && u.Host != "" {
		hint = u.Scheme + "://" + u.Host
	}
	return fmt.Sprintf("Topo answered %d to %s: set --base-url to that address (%s); redirects are never followed, so the key goes nowhere else", e.Status, e.Location, hint)
}

// Usage marks it a setup error: the base URL is wrong, nothing was sent.
func (e *RedirectError) Usage() bool { return true }

// NotAPIError is a base URL that answers, but not as Topo's API does.
type NotAPIError struct {
	URL    string
	Status int
}

func (e *NotAPIError) Error() string {
	return fmt.Sprintf("%s answered %d to GET /v1/contact-exclusions: it does not look like Topo's API (check --base-url; the default is %s)", e.URL, e.Status, DefaultBaseURL)
}

// Usage marks it a setup error: the base URL is wrong, nothing was sent.
func (e *NotAPIError) Usage() bool { return true }

// CheckKey makes the cheapest authenticated read (one item of the list)
// before anything is sent, through r like every other request: a bad key
// costs no write, a key without exclusions:read is learnt (409s then
// settle retries), and the list's total says what a snapshot would cost.
func CheckKey(ctx context.Context, c *Client, r *Retrier, k topo.Kind) (Access, error) {
	res := r.Do(ctx, ctx, Call{
		Op:     OpCheck,
		Send:   func(ctx context.Context) Answer { return c.List(ctx, k, Query{Size: 1}) },
		Accept: func(a Answer) bool { return a.Page != nil },
	})
	a := res.Answer
	switch {
	case res.Interrupted:
		return Access{}, context.Cause(ctx)
	case res.Verdict == Done:
		return Access{Read: true, Total: a.Page.TotalCount}, nil
	case res.Verdict == Redirect:
		return Access{}, &RedirectError{Status: a.Status, Location: a.Location}
	case a.Status == http.StatusForbidden:
		return Access{}, nil // write-only key: it may still create
	case a.Status == http.StatusUnauthorized:
		return Access{}, &AuthError{Status: a.Status, Message: a.Problem.Message}
	case a.Status == http.StatusNotFound && k == topo.Accounts:
		return Access{NoList: true}, nil
	case a.Status == http.StatusNotFound || (a.Status/100 == 2 && res.Verdict != Done):
		return Access{}, &NotAPIError{URL: c.BaseURL(), Status: a.Status}
	case res.Verdict == Permanent:
		return Access{}, &UnavailableError{Reason: fmt.Sprintf("the key check got HTTP %d: %s", a.Status, Describe(a))}
	}
	return Access{}, &UnavailableError{Reason: fmt.Sprintf("%s (after %d attempts)", Describe(a), res.Attempts)}
}
