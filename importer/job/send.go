package job

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/importer/ledger"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// sender is what a command that talks to Topo holds: the client, the
// pace, the one retry policy, the workers, and what the key may do.
type sender struct {
	r       *run
	client  *topo.Client
	pacer   *topo.Pacer
	pace    *pace // what was learnt of the rate limit, across runs
	retrier *topo.Retrier
	workers *importer.Workers
	access  topo.Access
	// stopped is why nothing may be sent (a refused key), found by the
	// key check: the rows are still read and recorded.
	stopped error
	checked bool
}

// maxInFlight bounds the requests in flight --concurrency auto allows;
// maxWorkers the worker goroutines, which also hold rows waiting out a
// 429.
const (
	maxInFlight = 64
	maxWorkers  = 2 * maxInFlight
)

func newSender(r *run) (*sender, error) {
	t := r.cfg.Topo
	if _, err := topo.ParseBaseURL(t.BaseURL); err != nil {
		return nil, err
	}
	key, warning, err := loadKey(t.TokenFile, r.env.Getenv)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		r.warn(warning)
	}
	size := t.Concurrency
	if size <= 0 {
		size = maxWorkers
	}
	client, err := topo.NewClient(t.BaseURL, key, r.env.UserAgent, &http.Client{
		Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: size * 2, ForceAttemptHTTP2: true},
	})
	if err != nil {
		return nil, err
	}
	s := &sender{r: r, client: client, pace: newPace(r.env.CacheDir, t.BaseURL, key)}
	s.pacer = newPacer(t, s.pace, r.env.Now())
	s.retrier = &topo.Retrier{Pacer: s.pacer, Retries: t.Retries, Timeout: t.Timeout, Meter: r.meter}
	limit := t.Concurrency
	if limit <= 0 {
		limit = poolSize(s.pacer.Rate(), 0, 0)
	}
	s.workers = importer.NewWorkers(size, limit)
	return s, nil
}

// checkKey makes the key check before anything is sent. A base URL that
// is not Topo's API is a setup error; a refused key or an unreachable
// Topo stops the run, whose rows are still read and recorded.
func (s *sender) checkKey(ctx context.Context) error {
	kind := s.r.reader.Info().Kind
	access, err := topo.CheckKey(ctx, s.client, s.retrier, kind)
	s.access, s.checked = access, true
	var (
		auth *topo.AuthError
		un   *topo.UnavailableError
	)
	switch {
	case errors.As(err, &auth), errors.As(err, &un), errors.Is(err, context.Canceled):
		// Nothing may be sent; every row is still read and recorded.
		s.stopped = err
		return nil
	case err != nil:
		return err
	}
	cmd := s.r.cfg.Command
	switch {
	case cmd == Plan && !access.Read:
		s.stopped = &topo.AuthError{Status: http.StatusForbidden, Message: "the list endpoint refused the key", Scope: "exclusions:read"}
	case !access.Read && !access.NoList:
		s.r.log.Info("the key cannot read exclusions: after an unanswered attempt, rows are sent again and a 409 settles them")
	}
	return nil
}

// run sends every row through the pipeline, with progress shown.
func (s *sender) run(ctx, hard context.Context) error {
	r := s.r
	if !s.checked {
		if err := s.checkKey(ctx); err != nil {
			return err
		}
	}
	remote := importer.Remote{API: s.client, Retrier: s.retrier, Kind: r.reader.Info().Kind, Access: s.access}
	var decider importer.Decider
	if r.cfg.Command == Import || r.cfg.Command == Plan && !r.cfg.Removal {
		idx, err := r.snapshot(ctx, remote)
		if err != nil && s.stopped == nil {
			s.stopped = err // interrupted while reading it: record every row
		}
		if idx != nil {
			defer idx.Free()
			decider = idx
		}
	}
	p := &importer.Pipeline{
		Rows: r.reader, Action: s.action(remote), Recorder: r.out, Workers: s.workers,
		MaxFailures: r.cfg.Topo.MaxFailures, Grace: r.cfg.Topo.Grace, Stopped: s.stopped, Decider: decider,
	}
	if r.session != nil {
		p.Ledger = r.session.Journal
		if r.session.State != nil {
			p.Known = r.session.State
		}
	} else if r.paths.state != "" && r.cfg.Command == Plan {
		st, err := ledger.ReadState(r.paths.state)
		if err != nil {
			return fmt.Errorf("state %s: %w", r.paths.state, err)
		}
		p.Known = st
	}
	if r.cfg.Topo.Concurrency <= 0 {
		sizing, stop := context.WithCancel(hard)
		defer stop()
		go s.sizePool(sizing)
	}
	err := r.withProgress(ctx, func() error { return p.Run(ctx, hard) })
	s.remember()
	return err
}

// remember saves the rate limit this run found for the next one; a cache
// that cannot be written costs the next run a climb, and is said.
func (s *sender) remember() {
	limit, exact := s.pacer.Found()
	if err := s.pace.save(Learnt{Limit: limit, Exact: exact, At: s.r.env.Now()}); err != nil {
		s.r.warn(fmt.Sprintf("could not remember the rate limit found: %v", err))
	}
}

// action is the command's per-row act.
func (s *sender) action(remote importer.Remote) importer.Action {
	cfg := s.r.cfg
	switch {
	case cfg.Command == Remove:
		return &importer.Remover{Remote: remote}
	case cfg.Command == Plan:
		return &importer.Planner{Remote: remote, Existing: cfg.Topo.Existing, Removal: cfg.Removal}
	}
	c := &importer.Creator{Remote: remote, Existing: cfg.Topo.Existing}
	var once bool
	c.OnBlind = func() {
		if !once {
			once = true
			s.r.warn("the key cannot read exclusions: existing records cannot be compared with the rows, so rows Topo already holds are reported exists however long they last")
		}
	}
	return c
}

// summary is what talking to Topo took.
func (s *sender) summary(sum *report.Summary) *report.SendSummary {
	c := s.r.meter.Counts()
	elapsed := s.r.env.Now().Sub(sum.Started)
	out := &report.SendSummary{
		BaseURL: s.client.BaseURL(), Requests: c.Requests, ByOp: c.ByOp, ByStatus: c.ByStatus,
		Retries: c.Retries, Throttled: c.Throttled, RowsWithoutRequest: sum.RowsWithoutRequest(),
		Concurrency: s.workers.Limit(), LatencyP50: c.P50, LatencyP90: c.P90, LatencyP99: c.P99,
	}
	if elapsed > 0 {
		out.RequestsPerSecond = float64(c.Requests) / elapsed.Seconds()
	}
	if rate := s.pacer.Rate(); !math.IsInf(rate, 1) && rate < math.MaxFloat64 {
		out.FinalRate = rate
	}
	out.RateLimit, out.RateLimitExact = s.pacer.Found()
	out.ClimbSeconds = s.pacer.Climb().Seconds()
	return out
}

// withProgress runs f with a progress display, and says when a signal
// asks the run to stop.
func (r *run) withProgress(ctx context.Context, f func() error) error {
	progress := r.newProgress()
	r.out.mu.Lock()
	r.out.set.Progress = progress
	r.out.mu.Unlock()
	stopNotice := context.AfterFunc(ctx, func() {
		r.log.Warn(fmt.Sprintf("interrupted: finishing the requests in flight (up to %s), then recording the rest as not_attempted; interrupt again to stop at once", r.cfg.Topo.Grace))
	})
	err := f()
	stopNotice()
	progress.Finish()
	return err
}

// newProgress decides, once, how progress is shown: a bar when standard
// error is a terminal, a log line every 10 seconds otherwise.
func (r *run) newProgress() report.Progress {
	what := map[Command]string{Import: "importing", Plan: "planning", Remove: "removing", Validate: "checking"}[r.cfg.Command]
	return r.newProgressOf(r.total, what)
}

func (r *run) newProgressOf(total int, what string) report.Progress {
	bar := r.cfg.Progress == "bar" || r.cfg.Progress == "" && r.env.StderrTTY && !r.env.JSONLogs
	if bar && !r.cfg.Quiet {
		return report.NewBar(r.env.Stderr, total, what)
	}
	return report.NewTicker(r.log, total, 10*time.Second)
}
