package settle

import (
	"context"
	"fmt"
	"net/http"

	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// Planner is plan's action: it asks Topo what an import (or, with
// Removal, a removal) would do to each row, and writes nothing.
type Planner struct {
	Remote
	Policy  Policy
	Removal bool
}

// Local settles a row the snapshot decides.
func (p *Planner) Local(job pipeline.Job) (rows.Outcome, bool) {
	out := rows.Outcome{Row: job.Row}
	held, absent := p.held(job.Row)
	switch {
	case held != nil:
		return p.decide(out, *held), true
	case absent:
		return p.absent(out), true
	}
	return out, false
}

// Ahead: plan writes nothing.
func (p *Planner) Ahead(pipeline.Job) (pipeline.Intent, bool) { return pipeline.Intent{}, false }

// Act looks the row up.
func (p *Planner) Act(ctx, inflight context.Context, job pipeline.Job, _ *pipeline.Writes) (rows.Outcome, error) {
	out := rows.Outcome{Row: job.Row}
	if id := job.Row.Norm.ID; p.Removal && id != "" {
		rec, gone, stop, err := p.read(ctx, inflight, &out, id, false)
		switch {
		case stop:
			return out, err
		case gone:
			out.Status, out.ID = rows.StatusNotFound, id
			return out, nil
		case !holdsARowKey(*rec, job.Row):
			out.Status, out.ID = rows.StatusFailed, id
			out.Err = fmt.Sprintf("record %s is not this row's (%s): a removal would delete nothing", id, recordKeys(*rec))
			return out, nil
		}
		return p.decide(out, HeldOf(*rec, job.Row)), nil
	}
	recs, _, stop, err := p.look(ctx, inflight, &out, p.Removal, false, "")
	if stop {
		return out, err
	}
	if len(recs) == 0 {
		return p.absent(out), nil
	}
	out.HTTPStatus = http.StatusOK
	return p.decide(out, best(recs, job.Row)), nil
}

func (p *Planner) absent(out rows.Outcome) rows.Outcome {
	out.Status = rows.StatusWouldCreate
	if p.Removal {
		out.Status = rows.StatusNotFound
	}
	return out
}

func (p *Planner) decide(out rows.Outcome, held Held) rows.Outcome {
	if p.Removal {
		out.Status, out.ID, out.Held = rows.StatusWouldRemove, held.ID, held.record()
		switch how := liftsByDelete(held); {
		case how != "" && !p.Policy.LiftOptOuts:
			out.Status, out.Err = rows.StatusProtected, protectedErr(held, "remove", how)
		case how != "":
			out.Status, out.Note = rows.StatusWouldLift, "would "+how+": a "+held.Reason+" record"
		}
		return out
	}
	return decided(out, held, Reconcile(out.Row, held, p.Policy, true))
}
