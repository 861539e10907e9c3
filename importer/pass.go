package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/internal/settle"
	"github.com/topo-io/topo-exclusions/report"
)

// remote is the Topo the actions talk to, as the key check found it.
func (s *session) remote() settle.Remote {
	return settle.Remote{API: s.link.client, Retrier: s.link.retrier, Kind: s.list.reader.Info().Kind, Access: s.link.access, Now: s.env.Now,
		Settle: s.opts.Topo.SettleDelay, Sleep: s.env.Sleep}
}

// pass sends every row of the list through the pipeline with action,
// progress shown: what plan, import and remove share. With outreach, each
// outcome is kept until the pass is done, then its person's running
// sequences are looked for (and stopped) before it is recorded.
func (s *session) pass(ctx, hard context.Context, action pipeline.Action, what string, mode outreachMode) error {
	l := s.link
	p := &pipeline.Pass{
		Rows: s.list, Action: action, Recorder: s.rows, Workers: l.workers,
		MaxFailures: s.opts.Topo.MaxFailures, Grace: s.opts.Topo.Grace, Stopped: l.stopped, Now: s.env.Now,
	}
	var d *deferred
	if mode != outreachOff {
		want := wantExcluded
		if s.opts.Command == Plan {
			want = wantPlanned
		}
		var err error
		if d, err = s.newDeferred(want); err != nil {
			return err
		}
		defer d.remove()
		p.Recorder = d
	}
	// The cron state is an import's memory of what earlier runs settled:
	// it answers rows for the import that keeps it, never for plan, which
	// asks Topo.
	if s.ledger != nil {
		p.Ledger = s.ledger.Journal
		if s.ledger.State != nil {
			p.Known = s.ledger.State
		}
	}
	if s.forget != nil {
		p.Known = s.forget
	}
	if s.opts.Topo.Concurrency <= 0 {
		sizing, stop := context.WithCancel(hard)
		defer stop()
		go l.sizePool(sizing, s)
	}
	ctx, stopGiveUp := s.giveUp(ctx)
	defer stopGiveUp()
	err := s.withProgress(ctx, s.list.total, what, func(progress report.Progress) error {
		p.Settled = progress.Add
		return p.Run(ctx, hard)
	})
	if d != nil {
		err = errors.Join(err, s.checkOutreach(ctx, hard, d, mode))
	}
	l.remember(s)
	return err
}

// withProgress runs f with a progress display, and says when a signal
// asks the run to stop.
func (s *session) withProgress(ctx context.Context, total int, what string, f func(report.Progress) error) error {
	progress := s.newProgress(total, what)
	stopNotice := context.AfterFunc(ctx, func() {
		if errors.As(context.Cause(ctx), new(*GiveUpError)) {
			return // said where it was decided
		}
		s.log.Warn(fmt.Sprintf("interrupted: finishing the requests in flight (up to %s), then recording the rest as not_attempted; interrupt again to stop at once", s.opts.Topo.Grace))
	})
	err := f(progress)
	stopNotice()
	progress.Finish()
	return err
}

// newProgress decides, once, how progress is shown: a bar when standard
// error is a terminal, a log line every 10 seconds otherwise.
func (s *session) newProgress(total int, what string) report.Progress {
	var p report.Progress
	if s.env.StderrTTY && !s.env.JSONLogs && !s.opts.Quiet {
		p = report.NewBar(s.env.Stderr, total, what)
	} else {
		p = report.NewTicker(s.log, total, what, 10*time.Second, s.env.Now)
	}
	if s.link != nil && s.link.pacer != nil {
		pacer := s.link.pacer
		p.SetPace(func() (float64, bool) { return pacer.Rate(), pacer.Throttling() })
	}
	return p
}

// GiveUpError is a run that stopped because Topo accepted no write for
// --give-up-after: only 429s, 5xx or no answer came.
type GiveUpError struct {
	After time.Duration
	Since time.Time
}

func (e *GiveUpError) Error() string {
	return fmt.Sprintf("gave up: Topo has accepted no write since %s (--give-up-after %s: only 429s, 5xx or no answer)",
		e.Since.UTC().Format(time.RFC3339), e.After)
}

// Abort makes it exit 3, every row recorded, the run resumable.
func (e *GiveUpError) Abort() bool { return true }

// giveUp stops ctx, as a first Ctrl-C would, once Topo has accepted no
// write for --give-up-after: a Topo that answers 429 forever would
// otherwise hold a run for days, a row every half minute.
func (s *session) giveUp(ctx context.Context) (context.Context, func()) {
	after := s.opts.Topo.GiveUpAfter
	if after <= 0 || !s.opts.Command.writes() {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(min(after/10, time.Second))
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				if since, ok := s.meter.StalledSince(); ok && s.env.Now().Sub(since) >= after {
					err := &GiveUpError{After: after, Since: since}
					s.log.Warn(err.Error() + ": recording the rest as not_attempted; run the same command again later to resume")
					cancel(err)
					return
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
}
