package topotest

import "time"

// Default keys, printed by the mock-server command at start, and the
// workspace they belong to.
const (
	DefaultToken          = "topo_mock_rw_key"
	DefaultReadOnlyToken  = "topo_mock_ro_key"
	DefaultWriteOnlyToken = "topo_mock_wo_key"
	DefaultWorkspace      = "org_mock"
)

// Scope names, as Topo spells them, of the endpoints the fake serves.
const (
	ScopeExclusionsRead  = "exclusions:read"
	ScopeExclusionsWrite = "exclusions:write"
	ScopeContactsRead    = "contacts:read"
	ScopeContactsWrite   = "contacts:write"
	ScopeSequencesRead   = "sequences:read"
	ScopeSequencesWrite  = "sequences:write"
)

// Key is one API key: the workspace (organization id) it belongs to and
// exactly the scopes it holds.
type Key struct {
	// Token is what the client sends after "Bearer "; required.
	Token string
	// Workspace is the organization id; empty means DefaultWorkspace.
	Workspace string
	// Name is the key's label in /v1/me; empty means "mock key".
	Name string
	// Scopes are Topo's scope names (see the Scope constants); nil means
	// none, so that a key that can only ask /v1/me can be tested too.
	Scopes []string
}

// Options set the server's keys, manners and faults. The zero value is a
// well-behaved server with the default keys.
type Options struct {
	// Token has exclusions, contacts and sequences read and write;
	// ReadOnlyToken every ":read" scope; WriteOnlyToken only
	// exclusions:write. All three belong to DefaultWorkspace. Empty means
	// the default.
	Token, ReadOnlyToken, WriteOnlyToken string

	// Keys declares more keys. A key here with the token of a default key
	// replaces it. Two keys with one token, or one without a token, make
	// NewUnstartedServer panic: that is a mistake in the test.
	Keys []Key

	// NoMe makes GET /v1/me answer 404 NotFoundIssue, as a deployment
	// older than that endpoint would.
	NoMe bool

	// Rate and Burst are a per-key token bucket (requests/s); 0 is no limit.
	// HideLimit leaves out the X-RateLimit-* headers (Topo does not promise
	// them), so a client must find the limit from 429s alone.
	Rate      float64
	Burst     int
	HideLimit bool

	// PublishLimit is the X-RateLimit-Limit announced instead of the real
	// Rate (0: the real one), as a server whose header lies or counts over
	// a longer window does: 1000 while the bucket allows 5/s. Remaining
	// still counts the real bucket. HideLimit hides it too.
	PublishLimit int

	// Storm answers every request 429 (RateLimitIssue, Retry-After: 1)
	// for this long after the server's first request, whatever the bucket
	// holds, as an API shedding load does; then the bucket (if any) applies
	// again. A negative Storm never ends. 0 is no storm. Requests refused
	// by the storm take no token from the bucket.
	Storm time.Duration

	// Latency and Jitter delay each answer by Latency ± Jitter.
	Latency, Jitter time.Duration

	// FailRate is the share of writes (exclusion POST, PATCH and DELETE,
	// sequence stops) answered 503 without committing; FailAfterCommit
	// the share that commit and then answer 503; ResetRate the share of
	// requests whose connection is closed without an answer (half of the
	// writes among them after committing); HTML502Rate the share answered
	// by a "proxy" with an HTML 502.
	FailRate, FailAfterCommit, ResetRate, HTML502Rate float64

	// Seed makes the faults reproducible (for one client at a time).
	Seed uint64

	// NotUnique turns off the uniqueness of email and LinkedIn URL, for
	// proving that a client never creates a record twice by itself.
	NotUnique bool

	// InclusiveTimeFilters makes created_at_after and created_at_before
	// (and the contacts' first_seen_after and last_seen_after) include
	// their bounds (Topo's documentation does not say which).
	InclusiveTimeFilters bool

	// Now is the server's clock; nil means time.Now. It stamps records
	// and the Date header, so a test can step it back.
	Now func() time.Time

	// IgnoreSequenceContactFilter makes GET /v1/sequences ignore
	// contact_id and list every sequence, as an API that ignores an
	// unknown filter would (Topo does not document that filter).
	IgnoreSequenceContactFilter bool

	// StopFinishedConflict answers the stop of a sequence that has
	// already finished with 409 CommitIssue instead of 422 BusinessIssue
	// (Topo does not document which).
	StopFinishedConflict bool

	// The switches below are what a proxy, a cache, a skewed clock or a
	// backend with other habits does to answers. Each is off by default.

	// NoTotal leaves total_count and total_pages out of list answers;
	// ZeroTotal makes them 0 while items exist.
	NoTotal, ZeroTotal bool

	// PageCap silently caps a list's size at this many items; has_more
	// and total_pages stay true to the capped paging. 0 is no cap.
	PageCap int

	// IgnorePage answers every list request with page 1, as a cache keyed
	// on the path would.
	IgnorePage bool

	// ReadLag hides exclusions created less than this long ago (on the
	// server's clock) from list and get; writes still conflict at once.
	ReadLag time.Duration

	// EchoHeaders makes every error body (JSON and HTML alike) echo the
	// request's headers, Authorization included, in its message, as a WAF
	// or a debugging proxy does.
	EchoHeaders bool

	// Upsert answers a create for a key already held with 201 and the
	// record it already had (its own created_at, reason and until)
	// instead of 409.
	Upsert bool

	// HTML404 makes every 404 a proxy's HTML page instead of Topo's JSON
	// NotFoundIssue. Maintenance200 answers every DELETE and PATCH with
	// 200 and an HTML maintenance page, doing nothing.
	HTML404, Maintenance200 bool

	// RepeatID makes a 201's JSON repeat the "id" key, the second value
	// being another existing record's id (when there is one).
	RepeatID bool

	// StampOffset shifts the created_at and updated_at the server stamps
	// (a backend writing local time with a Z); DateOffset shifts the Date
	// header.
	StampOffset, DateOffset time.Duration

	// PlusAsSpace reads a "+" in the query string as a space even where
	// the client sent %2B, as behind a proxy that turned %2B into +.
	PlusAsSpace bool

	// StorePunycode stores emails with their domain in IDNA ASCII form
	// (punycode), and filters match only that stored form.
	// LowerMemberIDs stores LinkedIn URLs lower-cased, ACoAA… member ids
	// included, and filters compare member ids with that stored form.
	StorePunycode, LowerMemberIDs bool

	// StoreUnicode stores emails with their domain in Unicode (münchen.de
	// for xn--mnchen-3ya.de), as a backend that decodes IDNA would, and
	// filters match only that stored form.
	StoreUnicode bool

	// ShuffleTies answers every list request with records that share the
	// sort field (a created_at, a null email) in a new random order, as a
	// database without a tie-breaker does.
	ShuffleTies bool

	// CommitFirst makes the first this many writes commit and then answer
	// 503, as FailAfterCommit does at random: an answer lost on the way
	// back, where a test needs it on a given write.
	CommitFirst int

	// RepeatPage answers the list request of that number (1-based, counted
	// over the exclusion lists of every workspace) with the answer of the
	// request before it, as a stale cache would. 0 is never.
	RepeatPage int
}
