// Package topotest is a local stand-in for Topo's contact-exclusion API, in
// the spirit of net/http/httptest: the same endpoints, rules and error
// shapes as the real one, plus switchable manners (rate limits, latency)
// and faults (5xx, 5xx after commit, resets, proxy HTML) so that a client
// can be tested against everything production may do to it.
package topotest

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Default keys, printed by the mock-server command at start.
const (
	DefaultToken          = "topo_mock_rw_key"
	DefaultReadOnlyToken  = "topo_mock_ro_key"
	DefaultWriteOnlyToken = "topo_mock_wo_key"
)

// Options set the server's keys, manners and faults. The zero value is a
// well-behaved server with the default keys.
type Options struct {
	// Token has both scopes; ReadOnlyToken only exclusions:read;
	// WriteOnlyToken only exclusions:write. Empty means the default.
	Token, ReadOnlyToken, WriteOnlyToken string

	// Rate and Burst are a per-key token bucket (requests/s); 0 is no limit.
	// HideLimit leaves out the X-RateLimit-* headers (Topo does not promise
	// them), so a client must find the limit from 429s alone.
	Rate      float64
	Burst     int
	HideLimit bool

	// Latency and Jitter delay each answer by Latency ± Jitter.
	Latency, Jitter time.Duration

	// FailRate is the share of POSTs answered 503 without committing;
	// FailAfterCommit the share that commit and then answer 503;
	// ResetRate the share of requests whose connection is closed without
	// an answer (half of the POSTs among them after committing);
	// HTML502Rate the share answered by a "proxy" with an HTML 502.
	FailRate, FailAfterCommit, ResetRate, HTML502Rate float64

	// Seed makes the faults reproducible (for one client at a time).
	Seed uint64

	// NotUnique turns off the uniqueness of email and LinkedIn URL, for
	// proving that a client never creates a record twice by itself.
	NotUnique bool

	// InclusiveTimeFilters makes created_at_after and created_at_before
	// include their bounds (Topo's documentation does not say which).
	InclusiveTimeFilters bool

	// Now is the server's clock; nil means time.Now.
	Now func() time.Time
}

// Server is a running fake Topo API.
type Server struct {
	// URL is the base URL, without a trailing slash (like the real
	// https://api.topo.io).
	URL string

	http     *httptest.Server
	opt      Options
	store    *store // contact exclusions
	accounts *store // account exclusions
	stats    *stats
	keys     map[string]scopes

	mu       sync.Mutex // guards rng and limiters
	rng      *rand.Rand
	limiters map[string]*rate.Limiter
}

type scopes struct{ read, write bool }

// NewServer starts a server on a free loopback port.
func NewServer(opt Options) *Server {
	s := NewUnstartedServer(opt)
	s.Start(nil)
	return s
}

// NewUnstartedServer returns a server that Start will start.
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
		opt:      opt,
		store:    newStore(!opt.NotUnique),
		accounts: newStore(!opt.NotUnique),
		stats:    newStats(),
		keys: map[string]scopes{
			opt.Token:          {read: true, write: true},
			opt.ReadOnlyToken:  {read: true},
			opt.WriteOnlyToken: {write: true},
		},
		rng:      rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x70b0)),
		limiters: map[string]*rate.Limiter{},
	}
	s.http = httptest.NewUnstartedServer(s.routes())
	return s
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

// Records returns every stored contact exclusion in creation order.
func (s *Server) Records() []Exclusion { return s.store.snapshot() }

// Accounts returns every stored account exclusion in creation order.
func (s *Server) Accounts() []Exclusion { return s.accounts.snapshot() }

// Load adds the exclusions in r (a JSON array as written by Save); those
// with a domain are account exclusions.
func (s *Server) Load(r io.Reader) error {
	var items []Exclusion
	if err := json.NewDecoder(r).Decode(&items); err != nil {
		return err
	}
	for i := range items {
		ex := items[i]
		if ex.ID == "" {
			ex.ID = newUUID()
		}
		st := s.store
		if ex.Domain != nil {
			st = s.accounts
		}
		st.mu.Lock()
		st.add(&ex)
		st.mu.Unlock()
	}
	return nil
}

// Save writes every exclusion, contacts then accounts, as a JSON array.
func (s *Server) Save(w io.Writer) error {
	all := append(s.store.snapshot(), s.accounts.snapshot()...)
	ptrs := make([]*Exclusion, len(all))
	for i := range all {
		ptrs[i] = &all[i]
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ptrs)
}

// chance draws true with probability p from the seeded source.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < p
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
