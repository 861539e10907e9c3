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
	// Me is the key as GET /v1/me describes it: its workspace and exact
	// scopes. nil when Topo answered 404 there (an older deployment): the
	// scopes are then learnt from the answers, as before /v1/me.
	Me *topo.Me
	// Workspace names the Topo the key reaches: /v1/me's organization_id,
	// or, without /v1/me, "key:" and a hash of the key. Two workspaces
	// behind one base URL are two Topos to everything a run remembers.
	Workspace string
	// Read says the key may use the list endpoint: lookups settle what an
	// unanswered attempt did, and existing records can be compared.
	Read bool
	// Total is how many exclusions of the kind Topo holds (when Read and
	// TotalKnown: a total that is missing, or that the page contradicts,
	// is not trusted for anything).
	Total      int
	TotalKnown bool
	// NoList says the list endpoint answered 404 (Topo documents no
	// account list endpoint): lookups are impossible, 409s settle retries.
	NoList bool
}

// Has says whether the key has scope: as /v1/me says, or, without it,
// as far as the answers so far tell (true until refused).
func (a Access) Has(scope string) bool {
	if a.Me == nil {
		return scope != topo.ScopeExclusionsRead || a.Read
	}
	return a.Me.Has(scope)
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
	URL, Path string
	Status    int
}

func (e *NotAPIError) Error() string {
	return fmt.Sprintf("%s answered %d to GET %s: it does not look like Topo's API (check --base-url; the default is %s)", e.URL, e.Status, e.Path, DefaultBaseURL)
}

// Usage marks it a setup error: the base URL is wrong, nothing was sent.
func (e *NotAPIError) Usage() bool { return true }

// CheckKey learns, before anything is sent and through r like every
// other request, who the key is (GET /v1/me: its workspace and exact
// scopes) and what the list of kind holds (one item of it, when the key
// may read). A bad key costs no write; a key without exclusions:read is
// known, so 409s settle retries; the list's total says what a snapshot
// would cost.
func CheckKey(ctx context.Context, c *Client, r *Retrier, k topo.Kind) (Access, error) {
	me, err := checkMe(ctx, c, r)
	if err != nil {
		return Access{}, err
	}
	access := Access{Me: me, Workspace: "key:" + c.KeyID()}
	if me != nil {
		access.Workspace = me.OrganizationID
		if !me.Has(topo.ScopeExclusionsRead) {
			return access, nil // no list to probe: a write-only key may still create
		}
	}
	return probeList(ctx, c, r, k, access)
}

// checkMe asks GET /v1/me; nil without an error when Topo has none.
func checkMe(ctx context.Context, c *Client, r *Retrier) (*topo.Me, error) {
	var me *topo.Me
	res := r.Do(ctx, ctx, Call{
		Op:   OpCheck,
		Send: func(ctx context.Context) Answer { return c.Me(ctx) },
		Accept: func(a Answer) bool {
			m, ok := Decode[topo.Me](a, "organization_id", "scopes")
			me = m
			return ok && m.OrganizationID != ""
		},
	})
	a := res.Answer
	switch {
	case res.Interrupted:
		return nil, context.Cause(ctx)
	case res.Verdict == Done && me != nil:
		return me, nil
	case res.Verdict == Redirect:
		return nil, &RedirectError{Status: a.Status, Location: a.Location}
	case a.Status == http.StatusNotFound:
		return nil, nil // an older Topo: the list answers for the key
	case a.Status == http.StatusUnauthorized, a.Status == http.StatusForbidden:
		return nil, &AuthError{Status: http.StatusUnauthorized, Message: a.Problem.Message}
	case a.Status/100 == 2:
		return nil, &NotAPIError{URL: c.BaseURL(), Status: a.Status, Path: "/v1/me"}
	case res.Verdict == Permanent:
		return nil, &UnavailableError{Reason: fmt.Sprintf("the key check got HTTP %d: %s", a.Status, Describe(a))}
	}
	return nil, &UnavailableError{Reason: fmt.Sprintf("%s (after %d attempts)", Describe(a), res.Attempts)}
}

// probeList reads one item of the list of kind: whether the key may read
// it, and how many records it holds.
func probeList(ctx context.Context, c *Client, r *Retrier, k topo.Kind, access Access) (Access, error) {
	res := r.Do(ctx, ctx, Call{
		Op:     OpCheck,
		Send:   func(ctx context.Context) Answer { return c.List(ctx, k, Query{Size: 1}) },
		Accept: func(a Answer) bool { return a.Page != nil },
	})
	a := res.Answer
	switch {
	case res.Interrupted:
		return access, context.Cause(ctx)
	case res.Verdict == Done:
		access.Read = true
		access.Total, access.TotalKnown = trustedTotal(a.Page)
		return access, nil
	case res.Verdict == Redirect:
		return access, &RedirectError{Status: a.Status, Location: a.Location}
	case a.Status == http.StatusForbidden:
		return access, nil // write-only key: it may still create
	case a.Status == http.StatusUnauthorized:
		return access, &AuthError{Status: a.Status, Message: a.Problem.Message}
	case a.Status == http.StatusNotFound && k == topo.Accounts:
		access.NoList = true
		return access, nil
	case a.Status == http.StatusNotFound || (a.Status/100 == 2 && res.Verdict != Done):
		return access, &NotAPIError{URL: c.BaseURL(), Status: a.Status, Path: kindPath(k)}
	case res.Verdict == Permanent:
		return access, &UnavailableError{Reason: fmt.Sprintf("the key check got HTTP %d: %s", a.Status, Describe(a))}
	}
	return access, &UnavailableError{Reason: fmt.Sprintf("%s (after %d attempts)", Describe(a), res.Attempts)}
}

// trustedTotal is the total_count of a list's first page of one item
// when the page does not contradict it: present, not below the items the
// page holds, a page for every record when total_pages is given, and
// saying more pages follow exactly when there are more records than it
// holds. A total that is missing, zero beside an item, or inconsistent
// is not trusted for anything: Topo is then of unknown size, not empty.
func trustedTotal[T any](first *topo.Page[T]) (int, bool) {
	total, ok := first.Total()
	switch {
	case !ok, total < len(first.Items), len(first.Items) > 1:
		return 0, false
	case first.HasMore != nil && *first.HasMore != (total > len(first.Items)):
		return 0, false
	case first.TotalPages != nil && *first.TotalPages != total:
		return 0, false
	}
	return total, true
}
