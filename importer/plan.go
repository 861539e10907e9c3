package importer

import (
	"context"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Planner is plan's action: it asks Topo what an import (or, with
// Removal, a removal) would do to each row, and writes nothing.
type Planner struct {
	Remote
	Existing Existing
	Removal  bool
}

// Local settles a row the snapshot decides.
func (p *Planner) Local(job Job) (Outcome, bool) {
	out := Outcome{Row: job.Row}
	switch {
	case job.Held != nil:
		return p.decide(out, *job.Held), true
	case job.Absent:
		return p.absent(out), true
	}
	return out, false
}

// Ahead: plan writes nothing.
func (p *Planner) Ahead(Job) (Intent, bool) { return Intent{}, false }

// Act looks the row up.
func (p *Planner) Act(ctx, inflight context.Context, job Job, _ *Writes) (Outcome, error) {
	out := Outcome{Row: job.Row}
	if p.Removal && job.Row.Norm.ID != "" {
		out.Status, out.ID = StatusWouldRemove, job.Row.Norm.ID
		return out, nil
	}
	recs, res, ok := p.lookup(ctx, inflight, job.Row)
	out.Attempts = res.Attempts
	switch {
	case res.Interrupted:
		return interrupted(out, false), nil
	case !ok && res.Verdict == topo.Fatal:
		return failed(out, res, false), fatal(res, "exclusions:read")
	case !ok:
		return failed(out, res, false), nil
	case len(recs) == 0:
		return p.absent(out), nil
	}
	out.HTTPStatus = res.Answer.Status
	return p.decide(out, best(recs, job.Row)), nil
}

func (p *Planner) absent(out Outcome) Outcome {
	out.Status = StatusWouldCreate
	if p.Removal {
		out.Status = StatusNotFound
	}
	return out
}

func (p *Planner) decide(out Outcome, held Held) Outcome {
	if p.Removal {
		out.Status, out.ID = StatusWouldRemove, held.ID
		return out
	}
	return decided(out, held, Reconcile(out.Row, held, p.Existing, true))
}
