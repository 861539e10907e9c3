package settle

import (
	"context"
	"fmt"
	"net/http"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// Remover is remove's action: it deletes the exclusion a row names, by
// its id, or every exclusion holding the row's email, LinkedIn URL or
// domain. removed and not_found are Topo's answers: the record went, or
// there was none (the person is not excluded, as asked).
type Remover struct {
	Remote
}

// Local: removal is decided by Topo's answers, never by a snapshot.
func (r *Remover) Local(pipeline.Job) (rows.Outcome, bool) { return rows.Outcome{}, false }

// Ahead journals the delete of a row that names its record.
func (r *Remover) Ahead(job pipeline.Job) (pipeline.Intent, bool) {
	if id := job.Row.Norm.ID; id != "" {
		return pipeline.Intent{Op: api.OpDelete, ID: id}, true
	}
	return pipeline.Intent{}, false
}

// Act removes one row's exclusions.
func (r *Remover) Act(ctx, inflight context.Context, job pipeline.Job, w *pipeline.Writes) (rows.Outcome, error) {
	out := rows.Outcome{Row: job.Row}
	if id := job.Row.Norm.ID; id != "" {
		out, err := r.remove(ctx, inflight, out, id, job.Prior, w)
		if err != nil || out.Status != rows.StatusNotFound || len(job.Row.Keys()) == 0 || !r.canLook() {
			return out, err
		}
		// The id is gone: make sure the person is not excluded under
		// another record before saying "not found".
		recs, stop, err := r.look(ctx, inflight, &out, true, false, "")
		if stop || len(recs) == 0 {
			return out, err
		}
		out.Status = rows.StatusFailed
		out.Err = fmt.Sprintf("no record has id %s, but record %s holds this row's %s: remove it by key (leave the id column out) if that is meant",
			id, recs[0].ID, job.Row.Keys()[0].Name)
		return out, nil
	}
	if !r.canLook() {
		out.Status = rows.StatusFailed
		out.Err = "the key cannot read exclusions, so a row without an id cannot be found: give ids (the id column of an export or a report)"
		return out, nil
	}
	recs, stop, err := r.look(ctx, inflight, &out, true, job.Prior.MaybeSent, "")
	switch {
	case stop:
		return out, err
	case len(recs) == 0 && job.Prior.MaybeSent && job.Prior.Op == api.OpDelete:
		// An earlier run's delete went out and no answer was recorded:
		// the record it was for is gone.
		out.Status, out.ID = rows.StatusRemoved, job.Prior.ID
		return out, nil
	case len(recs) == 0:
		out.Status = rows.StatusNotFound
		return out, nil
	}
	status := rows.StatusNotFound
	for _, rec := range recs {
		o, err := r.remove(ctx, inflight, out, rec.ID, pipeline.Prior{}, w)
		out.Attempts = o.Attempts
		if err != nil || o.Status != rows.StatusRemoved && o.Status != rows.StatusNotFound {
			return o, err
		}
		out.ID, out.HTTPStatus = rec.ID, o.HTTPStatus
		if o.Status == rows.StatusRemoved {
			status = rows.StatusRemoved
		}
	}
	out.Status = status
	if len(recs) > 1 {
		out.Note = fmt.Sprintf("%d records held this row's keys; all were removed", len(recs))
	}
	return out, nil
}

// remove deletes one record. A 404 is not_found, or removed when an
// attempt of this run (or a journaled one of the run it resumes) may have
// deleted it.
func (r *Remover) remove(ctx, inflight context.Context, out rows.Outcome, id string, prior pipeline.Prior, w *pipeline.Writes) (rows.Outcome, error) {
	if err := w.Intend(pipeline.Intent{Row: out.Row.Num, Op: api.OpDelete, ID: id}); err != nil {
		return interrupted(out, false), err
	}
	res := r.Retrier.Do(ctx, inflight, api.Call{
		Op:   api.OpDelete,
		Send: func(ctx context.Context) api.Answer { return r.API.Delete(ctx, r.Kind, id) },
	})
	out.Attempts += res.Attempts
	out.ID, out.HTTPStatus = id, res.Answer.Status
	maybe := res.Uncertain || (prior.MaybeSent && prior.Op == api.OpDelete && prior.ID == id)
	switch {
	case res.Interrupted:
		return interrupted(out, maybe), nil
	case res.Verdict == api.Fatal:
		return failed(out, res, maybe), fatal(res, "exclusions:write")
	case !res.Settled():
		return failed(out, res, maybe), nil
	case res.Answer.Status == http.StatusNotFound && maybe:
		out.Status = rows.StatusRemoved
		out.Note = "an earlier attempt went unanswered; Topo now has no such record"
	case res.Answer.Status == http.StatusNotFound:
		out.Status = rows.StatusNotFound
	default:
		out.Status = rows.StatusRemoved
	}
	return out, nil
}
