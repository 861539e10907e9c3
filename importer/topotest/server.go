// Package topotest is a local stand-in for Topo's API, in the spirit of
// net/http/httptest: contact and account exclusions, contacts, sequences
// and /v1/me, with the same rules, scopes and error shapes as the real
// one, workspaces kept apart by key, plus switchable manners (rate limits,
// latency), faults (5xx, 5xx after commit, resets, proxy HTML) and hostile
// habits (missing totals, capped or ignored pages, lagging reads, echoed
// headers, skewed clocks…) so that a client can be tested against
// everything production and the network in front of it may do.
package topotest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Server is a running fake Topo API.
type Server struct {
	// URL is the base URL, without a trailing slash (like the real
	// https://api.topo.io).
	URL string

	http       *httptest.Server
	opt        Options
	stats      *stats
	keys       map[string]*apiKey
	workspaces map[string]*Workspace // fixed at construction
	def        *Workspace

	mu       sync.Mutex // guards rng, limiters, every apiKey.lastUsed and the RepeatPage state
	rng      *rand.Rand
	limiters map[string]*rate.Limiter
	lists    int       // exclusion list requests answered (RepeatPage)
	lastList *envelope // the last of them
	writes   int       // writes that reached the app (CommitFirst)
	first    time.Time // when the first request arrived (Storm); zero: none yet
}

// apiKey is a key as the server knows it.
type apiKey struct {
	id, token, name string
	scopes          []string // sorted
	ws              *Workspace
	createdAt       time.Time
	lastUsed        *time.Time
}

func (k *apiKey) has(scope string) bool {
	_, ok := slices.BinarySearch(k.scopes, scope)
	return ok
}

// readScopes are every ":read" scope Topo documents.
func readScopes() []string {
	return []string{ScopeExclusionsRead, ScopeContactsRead, ScopeSequencesRead, "activities:read",
		"contact_lists:read", "account_lists:read", "webhooks:read", "tasks:read"}
}

// NewServer starts a server on a free loopback port.
func NewServer(opt Options) *Server {
	s := NewUnstartedServer(opt)
	s.Start(nil)
	return s
}

// NewUnstartedServer returns a server that Start will start. It panics on
// a key without a token or a token declared twice in opt.Keys.
func NewUnstartedServer(opt Options) *Server {
	if opt.Token == "" {
		opt.Token = DefaultToken
	}
	if opt.ReadOnlyToken == "" {
		opt.ReadOnlyToken = DefaultReadOnlyToken
	}
	if opt.WriteOnlyToken == "" {
		opt.WriteOnlyToken = DefaultWriteOnlyToken
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{
		opt:        opt,
		stats:      newStats(),
		keys:       map[string]*apiKey{},
		workspaces: map[string]*Workspace{},
		rng:        rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x70b0)),
		limiters:   map[string]*rate.Limiter{},
	}
	s.def = s.workspace(DefaultWorkspace)
	defaults := []Key{
		{Token: opt.Token, Name: "mock read-write key", Scopes: []string{ScopeExclusionsRead, ScopeExclusionsWrite,
			ScopeContactsRead, ScopeContactsWrite, ScopeSequencesRead, ScopeSequencesWrite}},
		{Token: opt.ReadOnlyToken, Name: "mock read-only key", Scopes: readScopes()},
		{Token: opt.WriteOnlyToken, Name: "mock write-only key", Scopes: []string{ScopeExclusionsWrite}},
	}
	for _, k := range defaults {
		s.addKey(k)
	}
	declared := map[string]bool{}
	for _, k := range opt.Keys {
		if k.Token == "" || declared[k.Token] {
			panic(fmt.Sprintf("topotest: Options.Keys: a key without a token, or one token declared twice (%q…)", keyPrefix(k.Token)))
		}
		declared[k.Token] = true
		s.addKey(k)
	}
	s.http = httptest.NewUnstartedServer(s.routes())
	return s
}

func (s *Server) addKey(k Key) {
	if k.Workspace == "" {
		k.Workspace = DefaultWorkspace
	}
	if k.Name == "" {
		k.Name = "mock key"
	}
	sc := slices.Clone(k.Scopes)
	slices.Sort(sc)
	s.keys[k.Token] = &apiKey{id: "key_" + newUUID()[:8], token: k.Token, name: k.Name,
		scopes: slices.Compact(sc), ws: s.workspace(k.Workspace), createdAt: s.stamp()}
}

// workspace returns the workspace id, made on first use (only while the
// server is being built: the map is read without a lock afterwards).
func (s *Server) workspace(id string) *Workspace {
	if w := s.workspaces[id]; w != nil {
		return w
	}
	w := newWorkspace(s, id)
	s.workspaces[id] = w
	return w
}

// Start serves on l, or on a free loopback port when l is nil.
func (s *Server) Start(l net.Listener) {
	if l != nil {
		s.http.Listener.Close()
		s.http.Listener = l
	}
	s.http.Start()
	s.URL = s.http.URL
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() {
	s.http.CloseClientConnections()
	s.http.Close()
}

// Workspace returns the workspace of that organization id, or nil when no
// key belongs to it.
func (s *Server) Workspace(id string) *Workspace { return s.workspaces[id] }

// Records returns every contact exclusion of the default workspace in
// creation order.
func (s *Server) Records() []Exclusion { return s.def.Records() }

// Accounts returns every account exclusion of the default workspace in
// creation order.
func (s *Server) Accounts() []Exclusion { return s.def.Accounts() }

// now is the server's clock; stamp is what it writes into records, which
// StampOffset may put elsewhere.
func (s *Server) now() time.Time   { return s.opt.Now() }
func (s *Server) stamp() time.Time { return s.opt.Now().Add(s.opt.StampOffset) }

// chance draws true with probability p from the seeded source.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < p
}

// firstWrites counts a write and says whether it is one of the first
// CommitFirst.
func (s *Server) firstWrites() bool {
	if s.opt.CommitFirst <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.writes <= s.opt.CommitFirst
}

// shuffle puts items in a random order from the seeded source.
func (s *Server) shuffle(items []*Exclusion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
}

func (s *Server) delay() time.Duration {
	d := s.opt.Latency
	if s.opt.Jitter > 0 {
		s.mu.Lock()
		d += time.Duration(s.rng.Int64N(int64(2*s.opt.Jitter)+1)) - s.opt.Jitter
		s.mu.Unlock()
	}
	return max(d, 0)
}

// limiter is the token bucket of one key.
func (s *Server) limiter(key string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limiters[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.opt.Rate), max(s.opt.Burst, 1))
		s.limiters[key] = l
	}
	return l
}

// storming notes the first request's arrival and says whether a request
// arriving now falls in the Storm after it.
func (s *Server) storming(now time.Time) bool {
	if s.opt.Storm == 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first.IsZero() {
		s.first = now
	}
	return s.opt.Storm < 0 || now.Sub(s.first) < s.opt.Storm
}
