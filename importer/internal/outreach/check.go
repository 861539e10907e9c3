package outreach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// Journal is what stops are journaled in; *ledger.Journal is one.
type Journal interface {
	Intend(pipeline.Intent) (durable func() error)
	RecordStop(row int, seq, result string) error
	Stops(row int) map[string]string
}

// Checker looks for a settled row's person in running sequences and,
// with Stop, stops them: exclusion first (the row was settled before it
// gets here), so nobody can be enrolled again in between.
type Checker struct {
	Remote
	// Stop stops what is found; otherwise it is reported.
	Stop bool
	// Index, when set, matches rows without a request; otherwise each row
	// is looked up, until Topo shows it ignores contact_id (then Build is
	// called once and the index answers the rest).
	Index *Index
	// Journal, when set, journals every stop (intent before, result after)
	// and says what earlier runs stopped.
	Journal Journal
	// Excluded says which rows' people are looked for (nil: those whose
	// status says Topo excludes them; plan asks for those it would).
	Excluded func(rows.Status) bool

	mu       sync.Mutex
	building bool
	built    chan struct{}
	buildErr error
	// Stopped counts the stops that took effect; Found the running
	// sequences met.
	Stopped, Found int
}

// Check fills o's outreach, for a row whose person Topo now excludes.
// Only a refused key is an error (the run stops).
func (c *Checker) Check(ctx, inflight context.Context, o rows.Outcome) (rows.Outcome, error) {
	if excluded := c.Excluded; excluded == nil && !o.Status.Excluded() || excluded != nil && !excluded(o.Status) {
		return o, nil
	}
	running, err := c.running(ctx, o.Row)
	var earlier map[string]string
	if c.Journal != nil {
		earlier = c.Journal.Stops(o.Row.Num)
	}
	switch {
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return unknown(o, "the run stopped before this person's sequences were looked for"), nil
	case err != nil:
		return unknown(o, "could not look for this person's running sequences: "+err.Error()), nil
	}
	c.count(&c.Found, len(running))
	if !c.Stop {
		o.Outreach = rows.Outreach{State: rows.OutreachNone}
		if len(running) > 0 {
			o.Outreach = rows.Outreach{State: rows.OutreachRunning, Sequences: running}
			o.Err = fmt.Sprintf("still in %s (%s): this person is still being contacted; import with --sequences stop to stop %s",
				plural(len(running), "running sequence"), strings.Join(running, " "), them(len(running)))
		}
		return o, nil
	}
	return c.stopAll(ctx, inflight, o, running, earlier)
}

// stopAll stops each running sequence (and settles the stops an earlier
// run left without an outcome), journaled.
func (c *Checker) stopAll(ctx, inflight context.Context, o rows.Outcome, running []string, earlier map[string]string) (rows.Outcome, error) {
	var stopped, open []string
	var why []string
	for seq, result := range earlier {
		if result == string(Stopped) && !slices.Contains(running, seq) {
			stopped = append(stopped, seq) // an earlier run's stop: said again
		}
		if result == "" && !slices.Contains(running, seq) {
			running = append(running, seq) // went out unanswered: settled below
		}
	}
	for _, seq := range running {
		maybe := false
		if result, ok := earlier[seq]; ok && result == "" {
			maybe = true
		}
		if c.Journal != nil {
			if err := c.Journal.Intend(pipeline.Intent{Row: o.Row.Num, Op: api.OpStop, ID: seq})(); err != nil {
				return unknown(o, "the journal could not be written: "+err.Error()), err
			}
		}
		res, reason, n, err := c.Remote.Stop(ctx, inflight, seq, maybe)
		o.Attempts += n
		if err != nil {
			return unknown(o, reason), err
		}
		if c.Journal != nil {
			if err := c.Journal.RecordStop(o.Row.Num, seq, string(res)); err != nil {
				return unknown(o, "the journal could not be written: "+err.Error()), err
			}
		}
		switch res {
		case Stopped:
			stopped = append(stopped, seq)
			c.count(&c.Stopped, 1)
		case Unknown:
			open = append(open, seq)
			why = append(why, seq+": "+reason)
		}
	}
	slices.Sort(stopped)
	switch {
	case len(open) > 0:
		o = unknown(o, "could not stop "+strings.Join(why, "; "))
		o.Outreach.Sequences = open
	case len(stopped) > 0:
		o.Outreach = rows.Outreach{State: rows.OutreachStopped, Sequences: stopped}
	default:
		o.Outreach = rows.Outreach{State: rows.OutreachNone}
	}
	return o, nil
}

// running finds the row's running sequences, by the index or by lookups.
func (c *Checker) running(ctx context.Context, row rows.Row) ([]string, error) {
	if x := c.index(); x != nil {
		return x.Running(row), nil
	}
	ids, _, err := c.Remote.ForRow(ctx, row)
	if errors.Is(err, ErrFilterIgnored) || errors.Is(err, ErrNeedsIndex) {
		x, err := c.buildOnce(ctx)
		if err != nil {
			return nil, err
		}
		return x.Running(row), nil
	}
	return ids, err
}

func (c *Checker) index() *Index {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Index
}

// buildOnce builds the index for every worker that needs it, once.
func (c *Checker) buildOnce(ctx context.Context) (*Index, error) {
	c.mu.Lock()
	if c.Index != nil || c.buildErr != nil {
		defer c.mu.Unlock()
		return c.Index, c.buildErr
	}
	if c.building {
		done := c.built
		c.mu.Unlock()
		<-done
		return c.buildOnce(ctx)
	}
	c.building, c.built = true, make(chan struct{})
	c.mu.Unlock()
	x, err := c.Remote.Build(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.building = false
	close(c.built)
	if err == nil {
		c.Index = x
	} else if !errors.Is(err, context.Canceled) {
		c.buildErr = err
	}
	return x, err
}

func (c *Checker) count(n *int, by int) {
	c.mu.Lock()
	*n += by
	c.mu.Unlock()
}

// unknown is a row whose outreach could not be settled: its person may
// still be contacted.
func unknown(o rows.Outcome, why string) rows.Outcome {
	o.Outreach = rows.Outreach{State: rows.OutreachUnknown, Why: why}
	if o.Err == "" {
		o.Err = "outreach unknown: " + why + "; the person may still be contacted: run the same command again, or check in Topo"
	}
	return o
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprint(n) + " " + word + "s"
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
