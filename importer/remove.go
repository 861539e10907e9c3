package importer

import (
	"context"
	"fmt"
	"net/http"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Remover is remove's action: it deletes the exclusion a row names, by
// its id, or every exclusion holding the row's email, LinkedIn URL or
// domain. removed and not_found are Topo's answers: the record went, or
// there was none (the person is not excluded, as asked).
type Remover struct {
	Remote
}

// Local: removal is decided by Topo's answers, never by a snapshot.
func (r *Remover) Local(Job) (Outcome, bool) { return Outcome{}, false }

// Ahead journals the delete of a row that names its record.
func (r *Remover) Ahead(job Job) (Intent, bool) {
	if id := job.Row.Norm.ID; id != "" {
		return Intent{Op: topo.OpDelete, ID: id}, true
	}
	return Intent{}, false
}

// Act removes one row's exclusions.
func (r *Remover) Act(ctx, inflight context.Context, job Job, w *Writes) (Outcome, error) {
	out := Outcome{Row: job.Row}
	if id := job.Row.Norm.ID; id != "" {
		out, err := r.remove(ctx, inflight, out, id, job.Prior, w)
		if err != nil || out.Status != StatusNotFound || len(job.Row.Keys()) == 0 || !r.canLook() {
			return out, err
		}
		// The id is gone: make sure the person is not excluded under
		// another record before saying "not found".
		recs, res, ok := r.lookup(ctx, inflight, job.Row, true)
		out.Attempts += res.Attempts
		switch {
		case !ok:
			return failed(out, res, false), nil
		case len(recs) > 0:
			out.Status = StatusFailed
			out.Err = fmt.Sprintf("no record has id %s, but record %s holds this row's %s: remove it by key (leave the id column out) if that is meant",
				id, recs[0].ID, job.Row.Keys()[0].Name)
		}
		return out, nil
	}
	if !r.canLook() {
		out.Status = StatusFailed
		out.Err = "the key cannot read exclusions, so a row without an id cannot be found: give ids (the id column of an export or a report)"
		return out, nil
	}
	recs, res, ok := r.lookup(ctx, inflight, job.Row, true)
	out.Attempts = res.Attempts
	switch {
	case res.Interrupted:
		return interrupted(out, job.Prior.MaybeSent), nil
	case !ok && res.Verdict == topo.Fatal:
		return failed(out, res, job.Prior.MaybeSent), fatal(res, "exclusions:read")
	case !ok:
		return failed(out, res, job.Prior.MaybeSent), nil
	case len(recs) == 0 && job.Prior.MaybeSent && job.Prior.Op == topo.OpDelete:
		// An earlier run's delete went out and no answer was recorded:
		// the record it was for is gone.
		out.Status, out.ID = StatusRemoved, job.Prior.ID
		return out, nil
	case len(recs) == 0:
		out.Status = StatusNotFound
		return out, nil
	}
	status := StatusNotFound
	for _, rec := range recs {
		o, err := r.remove(ctx, inflight, out, rec.ID, Prior{}, w)
		out.Attempts = o.Attempts
		if err != nil || o.Status != StatusRemoved && o.Status != StatusNotFound {
			return o, err
		}
		out.ID, out.HTTPStatus = rec.ID, o.HTTPStatus
		if o.Status == StatusRemoved {
			status = StatusRemoved
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
func (r *Remover) remove(ctx, inflight context.Context, out Outcome, id string, prior Prior, w *Writes) (Outcome, error) {
	if err := w.Intend(Intent{Row: out.Row.Num, Op: topo.OpDelete, ID: id}); err != nil {
		return interrupted(out, false), err
	}
	res := r.Retrier.Do(ctx, inflight, topo.Call{
		Op:   topo.OpDelete,
		Send: func(ctx context.Context) topo.Answer { return r.API.Delete(ctx, r.Kind, id) },
	})
	out.Attempts += res.Attempts
	out.ID, out.HTTPStatus = id, res.Answer.Status
	maybe := res.Uncertain || (prior.MaybeSent && prior.Op == topo.OpDelete && prior.ID == id)
	switch {
	case res.Interrupted:
		return interrupted(out, maybe), nil
	case res.Verdict == topo.Fatal:
		return failed(out, res, maybe), fatal(res, "exclusions:write")
	case !res.Settled():
		return failed(out, res, maybe), nil
	case res.Answer.Status == http.StatusNotFound && maybe:
		out.Status = StatusRemoved
		out.Note = "an earlier attempt went unanswered; Topo now has no such record"
	case res.Answer.Status == http.StatusNotFound:
		out.Status = StatusNotFound
	default:
		out.Status = StatusRemoved
	}
	return out, nil
}
