package importer

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// link is what a command that talks to Topo holds: the client, the pace,
// the one retry policy, the workers, and what the key may do.
type link struct {
	client  *api.Client
	pacer   *api.Pacer
	pace    *pace // what was learnt of the rate limit, across runs
	retrier *api.Retrier
	workers *pipeline.Workers
	access  api.Access
	// duplicates counts the rows Topo was seen holding twice.
	duplicates atomic.Int64
	// stopped is why nothing may be sent (a refused key, an unreachable
	// Topo), found by the key check: the rows are still read and recorded.
	stopped error
}

// maxInFlight bounds the requests in flight --concurrency auto allows;
// maxWorkers the worker goroutines, which also hold rows waiting out a
// 429.
const (
	maxInFlight = 64
	maxWorkers  = 2 * maxInFlight
)

// Defaults of TopoOptions that are not zero.
const (
	defaultTimeout       = 30 * time.Second
	defaultLookupRetries = 10
)

// connect checks the base URL, reads the key, and builds the client, the
// pacer and the retry policy.
func (s *session) connect() error {
	t := s.opts.Topo
	if _, err := api.ParseBaseURL(s.opts.baseURL()); err != nil {
		return err
	}
	key := t.Key
	if key == "" {
		k, warning, err := loadKey(absPath(s.env.Dir, t.TokenFile), t.TokenFile, s.env.Getenv)
		if err != nil {
			return err
		}
		if warning != "" {
			s.warn(warning)
		}
		key = k
	}
	size := t.Concurrency
	if size <= 0 {
		size = maxWorkers
	}
	hc := s.env.HTTP
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: size * 2, ForceAttemptHTTP2: true}}
	}
	client, err := api.NewClient(s.opts.baseURL(), key, s.env.UserAgent, hc, s.env.Now)
	if err != nil {
		return err
	}
	l := &link{client: client, pace: newPace(s.env.CacheDir, s.opts.baseURL(), key)}
	l.pacer = newPacer(t, l.pace, s.env.Now())
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	lookupRetries := t.LookupRetries
	if lookupRetries <= 0 {
		lookupRetries = defaultLookupRetries
	}
	l.retrier = &api.Retrier{Pacer: l.pacer, Retries: t.Retries, ReadRetries: lookupRetries, Timeout: timeout,
		Meter: s.meter, Backoff: s.env.Backoff, Sleep: s.env.Sleep}
	limit := t.Concurrency
	if limit <= 0 {
		limit = poolSize(l.pacer.Rate(), 0, 0)
	}
	l.workers = pipeline.NewWorkers(size, limit)
	s.link = l
	return nil
}

// checkKey makes the key check before anything is sent: who the key is
// (its workspace, which --workspace may pin), whether it has the scopes
// the command needs (a key that lacks one stops here, exit 2, before any
// request that writes), and what the list holds. A base URL that is not
// Topo's API is a setup error; a refused key or an unreachable Topo stops
// the run, whose rows are still read and recorded.
func (s *session) checkKey(ctx context.Context, kind topo.Kind, needs ...string) error {
	access, err := api.CheckKey(ctx, s.link.client, s.link.retrier, kind)
	s.link.access = access
	if recorded(err) && err != nil {
		// Nothing may be sent; every row is still read and recorded.
		s.link.stopped = err
		return nil
	}
	if err != nil {
		return err
	}
	s.sum.Workspace = access.Workspace
	me := access.Me
	if me == nil {
		s.warn("Topo answered 404 to GET /v1/me (an older deployment?): the key's workspace and scopes are not known, so they are learnt from Topo's answers")
	} else {
		s.sum.KeyPrefix = me.KeyPrefix
		s.log.Info(fmt.Sprintf("the key %s… belongs to workspace %s, with scopes %s", me.KeyPrefix, me.OrganizationID, strings.Join(me.Scopes, ", ")))
	}
	if pin := s.opts.Topo.Workspace; pin != "" {
		switch {
		case me == nil:
			return Usagef("--workspace %s: Topo has no /v1/me, so the key's workspace cannot be checked; leave --workspace out to run without the check", pin)
		case me.OrganizationID != pin:
			return Usagef("the key %s… belongs to workspace %s, not %s (--workspace): nothing was sent", me.KeyPrefix, me.OrganizationID, pin)
		}
	}
	for _, scope := range needs {
		if me != nil && !me.Has(scope) {
			return &ScopeError{Scope: scope, Command: s.opts.name(), KeyPrefix: me.KeyPrefix, Workspace: me.OrganizationID}
		}
	}
	return nil
}

// ScopeError is a key that /v1/me says lacks a scope the command needs:
// found before anything is sent.
type ScopeError struct {
	Scope, Command, KeyPrefix, Workspace string
	// Why says what the scope is for, when it is not the command itself.
	Why string
}

func (e *ScopeError) Error() string {
	what := e.Command
	if e.Why != "" {
		what = e.Why
	}
	return fmt.Sprintf("the key %s… (workspace %s) lacks the scope %s, which %s needs: nothing was sent; give the key that scope in Topo (Settings → Developers → API keys), or use another key",
		e.KeyPrefix, e.Workspace, e.Scope, what)
}

// Usage marks it a setup error (exit 2): nothing was sent.
func (e *ScopeError) Usage() bool { return true }

// remember saves the rate limit this run found for the next one; a cache
// that cannot be written costs the next run a climb, and is said.
func (l *link) remember(s *session) {
	limit, exact := l.pacer.Found()
	if err := l.pace.save(Learnt{Limit: limit, Exact: exact, At: s.env.Now()}); err != nil {
		s.warn(fmt.Sprintf("could not remember the rate limit found: %v", err))
	}
}

// summary is what talking to Topo took.
func (l *link) summary(sum *report.Summary, now time.Time) *report.SendSummary {
	c := l.retrier.Meter.Counts()
	elapsed := now.Sub(sum.Started)
	out := &report.SendSummary{
		BaseURL: l.client.BaseURL(), Requests: c.Requests, ByOp: c.ByOp, ByStatus: c.ByStatus,
		Retries: c.Retries, LookupRetries: c.ReadRetries, Throttled: c.Throttled, RowsWithoutRequest: sum.RowsWithoutRequest(),
		Concurrency: l.workers.Limit(), LatencyP50: c.P50, LatencyP90: c.P90, LatencyP99: c.P99,
		DuplicatesSeen: int(l.duplicates.Load()),
	}
	if elapsed > 0 {
		out.RequestsPerSecond = float64(c.Requests) / elapsed.Seconds()
	}
	if rate := l.pacer.Rate(); !math.IsInf(rate, 1) && rate < math.MaxFloat64 {
		out.FinalRate = rate
	}
	out.RateLimit, out.RateLimitExact = l.pacer.Found()
	out.ClimbSeconds = l.pacer.Climb().Seconds()
	return out
}

// openForTopo is the setup plan, import and remove share, in its order:
// the client, the list (spooled when the command writes), its row count;
// for a command that writes, the journal's and the state's locks before
// the key check (another run at those files is refused without a
// request) and the ledger after it (the ledger is keyed by the key's
// workspace).
func (s *session) openForTopo(ctx context.Context, writes bool, scope string) error {
	if err := s.connect(); err != nil {
		return err
	}
	if err := s.openList(ctx, writes); err != nil {
		return err
	}
	s.list.total = s.list.count(s.dec.read)
	if writes {
		if err := s.lockLedger(); err != nil {
			return err
		}
	}
	if err := s.checkKey(ctx, s.list.reader.Info().Kind, scope); err != nil {
		return err
	}
	if writes {
		return s.openLedger()
	}
	return nil
}
