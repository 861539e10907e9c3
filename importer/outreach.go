package importer

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
	"github.com/topo-io/topo-exclusions/importer/internal/outreach"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// OutreachModes are the values of TopoOptions.Sequences, the default
// ("" : report when the key may read contacts and sequences) first.
var OutreachModes = []string{"report", "stop", "off"}

// outreachMode is what a run does about people still being contacted.
type outreachMode int

const (
	outreachOff outreachMode = iota
	outreachReport
	outreachStop
)

// decideOutreach settles what the run does about running sequences, once
// the key is known: a mode asked for needs its scopes (exit 2 without
// them, before anything is sent); the default reports when the key can
// read contacts and sequences, and is off, said once, when it cannot.
func (s *session) decideOutreach() (outreachMode, error) {
	asked := strings.ToLower(strings.TrimSpace(s.opts.Topo.Sequences))
	if s.opts.Command == Plan && asked == "stop" {
		return 0, Usagef("--sequences stop is for import: plan writes nothing (it says what would be stopped)")
	}
	if asked == "off" || s.link.stopped != nil {
		return outreachOff, nil
	}
	needs := []string{topo.ScopeContactsRead, topo.ScopeSequencesRead}
	if asked == "stop" {
		needs = append(needs, topo.ScopeSequencesWrite)
	}
	me := s.link.access.Me
	for _, scope := range needs {
		if me == nil || me.Has(scope) {
			continue
		}
		if asked == "" {
			s.warn(fmt.Sprintf("running sequences are not looked for: the key lacks %s (give it contacts:read and sequences:read, or pass --sequences off to say so)", scope))
			return outreachOff, nil
		}
		return 0, &ScopeError{Scope: scope, Command: s.opts.name(), KeyPrefix: me.KeyPrefix, Workspace: me.OrganizationID,
			Why: "--sequences " + asked}
	}
	if asked == "stop" {
		return outreachStop, nil
	}
	return outreachReport, nil
}

// deferred is the pass's recorder when outreach is looked for: every
// outcome, in input order, is kept in a spool beside the outputs until
// the pass is done (exclusions first: nobody is enrolled in between),
// then checked and recorded.
type deferred struct {
	f        *os.File
	enc      *gob.Encoder
	excluded int // rows whose people are looked for
	want     func(rows.Status) bool
}

// The outreach spool's name, around digits: a run killed before its
// pass ended leaves one, removed by the next run (removeLeftovers).
const (
	outreachSpoolPrefix = ".topo-exclusions-outreach-"
	outreachSpoolSuffix = ".spool"
)

func (s *session) newDeferred(want func(rows.Status) bool) (*deferred, error) {
	dir := s.env.Dir
	for _, p := range []string{s.paths.journal, s.paths.report} {
		if p != "" && p != "-" {
			dir = filepath.Dir(p)
			break
		}
	}
	f, err := ledger.CreateTemp(dir, outreachSpoolPrefix+"*"+outreachSpoolSuffix)
	if err != nil {
		return nil, fmt.Errorf("keeping the rows until their outreach is known: %w", err)
	}
	return &deferred{f: f, enc: gob.NewEncoder(f), want: want}, nil
}

// Record keeps one outcome for later.
func (d *deferred) Record(o rows.Outcome) error {
	if d.want(o.Status) {
		d.excluded++
	}
	return d.enc.Encode(o)
}

// replay hands each kept outcome to each, in order.
func (d *deferred) replay(each func(rows.Outcome) error) error {
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dec := gob.NewDecoder(d.f)
	for {
		var o rows.Outcome
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the rows kept until their outreach is known: %w", err)
		}
		if err := each(o); err != nil {
			return err
		}
	}
}

func (d *deferred) remove() {
	d.f.Close()
	os.Remove(d.f.Name())
}

// perRowAtMost is the most rows whose people are looked up one by one
// (a contact lookup per key, then the contact's sequences); above it the
// running sequences are read whole (one status at a time, 100 a page)
// with their contacts, and matched locally: a request a row would cost
// more than the handful of pages a workspace's running sequences take.
const perRowAtMost = 3

// checkOutreach is the pass's second phase: each kept outcome is checked
// (and its person's sequences stopped) by a pool of workers, and recorded
// in input order.
func (s *session) checkOutreach(ctx, hard context.Context, d *deferred, mode outreachMode) error {
	c := &outreach.Checker{Remote: outreach.Remote{API: s.link.client, Retrier: s.link.retrier}, Stop: mode == outreachStop, Excluded: d.want}
	if s.ledger != nil {
		c.Journal = s.ledger.Journal
	}
	if d.excluded > perRowAtMost {
		s.log.Info(fmt.Sprintf("reading Topo's running sequences to find who of %s is still being contacted", report.Plural(d.excluded, "person")))
		x, err := c.Remote.Build(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			s.warn(fmt.Sprintf("%v: looking each person up instead", err))
		}
		c.Index = x
	}
	if s.sum.Outreach == nil {
		s.sum.Outreach = &report.OutreachSummary{People: map[string]int{}}
	}
	s.sum.Outreach.Mode = OutreachModes[mode-1]
	err := s.withProgress(ctx, s.list.total, "checking outreach", func(progress report.Progress) error {
		return ordered(ctx, s.link.workers, d.replay, func(ctx context.Context, o rows.Outcome) (rows.Outcome, error) {
			o, err := c.Check(ctx, hard, o)
			progress.Add(o)
			return o, err
		}, s.rows.Record)
	})
	s.sum.Outreach.Running, s.sum.Outreach.Stopped = c.Found, c.Stopped
	if s.opts.Command == Plan {
		s.sum.Outreach.WouldStop = c.Found
	}
	return err
}

// ordered runs work on every outcome source yields, on the pool's
// workers, and records the results in the order source gave them. A
// refused key (work's error) stops the work: the rest are still recorded,
// their outreach unknown, as work says of an outcome once ctx is done.
func ordered(ctx context.Context, workers *pipeline.Workers, source func(func(rows.Outcome) error) error,
	work func(context.Context, rows.Outcome) (rows.Outcome, error), record func(rows.Outcome) error) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	type result struct {
		seq int
		o   rows.Outcome
	}
	window := make(chan struct{}, 1024)
	jobs, results := make(chan result), make(chan result, cap(window))
	var wg sync.WaitGroup
	for range workers.Max() {
		wg.Go(func() {
			for j := range jobs {
				if workers.Acquire(ctx) {
					o, err := work(ctx, j.o)
					workers.Release()
					if err != nil {
						stop(err)
					}
					j.o = o
				} else if o, err := work(ctx, j.o); err == nil { // ctx is done: work says so of the row
					j.o = o
				}
				results <- j
			}
		})
	}
	var srcErr error
	go func() {
		seq := 0
		srcErr = source(func(o rows.Outcome) error {
			window <- struct{}{}
			jobs <- result{seq, o}
			seq++
			return nil
		})
		close(jobs)
		wg.Wait()
		close(results)
	}()
	pending, next := map[int]rows.Outcome{}, 0
	var recErr error
	for r := range results {
		pending[r.seq] = r.o
		for o, ok := pending[next]; ok; o, ok = pending[next] {
			delete(pending, next)
			if recErr == nil {
				recErr = record(o)
			}
			next++
			<-window
		}
	}
	return errors.Join(recErr, srcErr, context.Cause(ctx))
}

// wantExcluded is which rows' people an import looks for: those Topo now
// excludes. wantPlanned is plan's: those it would, or does.
func wantExcluded(st rows.Status) bool { return st.Excluded() }

func wantPlanned(st rows.Status) bool {
	return st.Excluded() || slices.Contains([]rows.Status{rows.StatusWouldCreate, rows.StatusWouldExtend, rows.StatusWouldUpdate,
		rows.StatusWouldLift, rows.StatusExistsShorter, rows.StatusProtected}, st)
}
