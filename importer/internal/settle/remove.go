package settle

import (
	"context"
	"fmt"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Remover is remove's action: it deletes the exclusion a row names, by
// its id, or every exclusion holding the row's email, LinkedIn URL or
// domain. removed and not_found are Topo's answers: the record went, or
// there was none (the person is not excluded, as asked). A record named
// by id is read first: it must be the row's (when the row has a key too),
// and an opt-out is deleted only with LiftOptOuts.
type Remover struct {
	Remote
	// LiftOptOuts lets a removal delete an opt-out (see ProtectedReasons):
	// without it such a record stays, and the row is protected.
	LiftOptOuts bool
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
		return r.byID(ctx, inflight, out, id, job.Prior, w)
	}
	if !r.canLook() {
		out.Status = rows.StatusFailed
		out.Err = "the key cannot read exclusions, so a row without an id cannot be found: give ids (the id column of an export or a report)"
		return out, nil
	}
	recs, _, stop, err := r.look(ctx, inflight, &out, true, job.Prior.MaybeSent, "")
	switch {
	case stop:
		return out, err
	case len(recs) == 0 && job.Prior.MaybeSent && job.Prior.Op == api.OpDelete:
		// An earlier run's delete went out and no answer was recorded:
		// the record it was for is gone.
		return goneBefore(out, job.Prior), nil
	case len(recs) == 0:
		out.Status = rows.StatusNotFound
		return out, nil
	}
	return r.removeAll(ctx, inflight, out, recs, w)
}

// byID removes the record a row names by its id, after reading it.
func (r *Remover) byID(ctx, inflight context.Context, out rows.Outcome, id string, prior pipeline.Prior, w *pipeline.Writes) (rows.Outcome, error) {
	rec, gone, stop, err := r.read(ctx, inflight, &out, id, prior.MaybeSent)
	switch {
	case stop:
		return out, err
	case gone && prior.MaybeSent && prior.Op == api.OpDelete && prior.ID == id:
		return goneBefore(out, prior), nil
	case gone:
		return r.goneID(ctx, inflight, out, id)
	}
	if !holdsARowKey(*rec, out.Row) {
		out.Status, out.ID = rows.StatusFailed, id
		out.Err = fmt.Sprintf("record %s is not this row's (%s): nothing removed; remove by key (leave the id column out), or fix the id", id, recordKeys(*rec))
		return out, nil
	}
	return r.removeAll(ctx, inflight, out, []topo.Exclusion{*rec}, w)
}

// goneID settles a row whose id Topo does not hold: not found, unless
// another record holds the row's key.
func (r *Remover) goneID(ctx, inflight context.Context, out rows.Outcome, id string) (rows.Outcome, error) {
	out.Status, out.ID = rows.StatusNotFound, id
	if len(out.Row.Keys()) == 0 || !r.canLook() {
		return out, nil
	}
	recs, _, stop, err := r.look(ctx, inflight, &out, true, false, "")
	if stop || len(recs) == 0 {
		return out, err
	}
	out.Status = rows.StatusFailed
	out.Err = fmt.Sprintf("no record has id %s, but record %s holds this row's %s: remove it by key (leave the id column out) if that is meant",
		id, recs[0].ID, out.Row.Keys()[0].Name)
	return out, nil
}

// goneBefore is the outcome of a row whose record an earlier run's
// unanswered delete was for, and which Topo no longer holds: removed,
// with the record as that run journaled it before sending the delete.
func goneBefore(out rows.Outcome, prior pipeline.Prior) rows.Outcome {
	out.Status, out.ID = rows.StatusRemoved, prior.ID
	out.Note = "an earlier run's delete went unanswered; Topo now has no such record"
	if p := prior.Previous; p != nil {
		out.Held = &rows.Held{Reason: p.Reason, Until: p.Until, Message: p.Message}
	}
	return out
}

// removeAll deletes every record of recs that is not an opt-out the
// removal may not lift; those stay, and the row is protected. The row's
// id and held_* name the record deleted (the note the others, if any), so
// that the report holds what it takes to create it again.
func (r *Remover) removeAll(ctx, inflight context.Context, out rows.Outcome, recs []topo.Exclusion, w *pipeline.Writes) (rows.Outcome, error) {
	status, removed := rows.StatusNotFound, 0
	var kept *Held
	var lifted, others []string
	for _, rec := range recs {
		held := HeldOf(rec, out.Row)
		if how := liftsByDelete(held); how != "" {
			if !r.LiftOptOuts {
				kept = &held
				continue
			}
			lifted = append(lifted, fmt.Sprintf("deleted %s record %s", held.Reason, held.ID))
		}
		o, err := r.remove(ctx, inflight, out, held, w)
		out.Attempts = o.Attempts
		if err != nil || o.Status != rows.StatusRemoved && o.Status != rows.StatusNotFound {
			return o, err
		}
		if status == rows.StatusRemoved && o.Status == rows.StatusNotFound {
			continue // the record deleted stays the row's word
		}
		if o.Status == rows.StatusRemoved {
			if removed++; out.Held != nil {
				others = append(others, describeRecord(out.ID, *out.Held))
			}
		}
		out.ID, out.HTTPStatus, out.Note, out.Held, status = rec.ID, o.HTTPStatus, o.Note, o.Held, o.Status
	}
	out.Status, out.Lifted = status, strings.Join(lifted, "; ")
	switch {
	case kept != nil:
		deletedID, deleted := out.ID, out.Held
		out.Status, out.ID, out.Held = rows.StatusProtected, kept.ID, kept.record()
		out.Err = protectedErr(*kept, "remove", "delete it")
		if removed > 0 {
			if status == rows.StatusRemoved && deleted != nil {
				others = append(others, describeRecord(deletedID, *deleted))
			}
			out.Err += fmt.Sprintf(" (%s of this row's keys removed: %s)", plural(removed, "other record"), strings.Join(others, "; "))
		}
	case len(recs) > 1:
		out.Note = rows.JoinNotes(out.Note, fmt.Sprintf("%d records held this row's keys; all were removed", len(recs)))
		if len(others) > 0 {
			out.Note += " (the others: " + strings.Join(others, "; ") + ")"
		}
	}
	return out, nil
}

// describeRecord names a deleted record for a note: enough to create it
// again.
func describeRecord(id string, h rows.Held) string {
	until := h.Until
	if until == "" {
		until = "permanent"
	}
	desc := fmt.Sprintf("%s, %s, until %s", id, h.Reason, until)
	if h.Message != "" {
		desc += fmt.Sprintf(", message %q", h.Message)
	}
	return desc
}

// read gets the record id, counted in out. gone says Topo itself answered
// that it has none; stop that out is the row's final word (err for a
// refused key).
func (r *Remote) read(ctx, inflight context.Context, out *rows.Outcome, id string, maybe bool) (rec *topo.Exclusion, gone, stop bool, err error) {
	res := r.Retrier.Do(ctx, inflight, api.Call{
		Op:     api.OpGet,
		Send:   func(ctx context.Context) api.Answer { return r.API.Get(ctx, r.Kind, id) },
		Accept: func(a api.Answer) bool { return a.Record != nil && a.Record.ID == id },
	})
	out.Attempts += res.Attempts
	switch {
	case res.Interrupted:
		*out = interrupted(*out, maybe)
		return nil, false, true, nil
	case res.Verdict == api.Fatal:
		*out = failed(*out, res, maybe)
		return nil, false, true, fatal(res, "exclusions:read")
	case !res.Settled():
		*out = failed(*out, res, maybe)
		out.Err = "could not read record " + id + ": " + out.Err
		return nil, false, true, nil
	case res.Answer.NotFound():
		return nil, true, false, nil
	}
	return res.Answer.Record, false, false, nil
}

// remove deletes one record, held. A 404 (Topo's) is not_found, or
// removed when an attempt of this run may have deleted it. A 2xx that is
// not Topo's (a maintenance page) proves nothing: the delete is sent
// again, and Topo's 404 then settles it. The intent journals the record
// whole, so that a rerun that finds it gone can still say what went.
func (r *Remover) remove(ctx, inflight context.Context, out rows.Outcome, held Held, w *pipeline.Writes) (rows.Outcome, error) {
	id := held.ID
	out.Held = nil // shown once deleted
	if err := w.Intend(pipeline.Intent{Row: out.Row.Num, Op: api.OpDelete, ID: id, Previous: held.whole()}); err != nil {
		return interrupted(out, false), err
	}
	res := r.Retrier.Do(ctx, inflight, api.Call{
		Op:     api.OpDelete,
		Send:   func(ctx context.Context) api.Answer { return r.API.Delete(ctx, r.Kind, id) },
		Accept: func(a api.Answer) bool { return !a.BadBody },
	})
	out.Attempts += res.Attempts
	out.ID, out.HTTPStatus = id, res.Answer.Status
	switch {
	case res.Interrupted:
		return interrupted(out, res.Uncertain), nil
	case res.Verdict == api.Fatal:
		return failed(out, res, res.Uncertain), fatal(res, "exclusions:write")
	case !res.Settled():
		return failed(out, res, res.Uncertain), nil
	case res.Answer.NotFound() && res.Uncertain:
		out.Status, out.Held = rows.StatusRemoved, held.record()
		out.Note = "an earlier attempt went unanswered; Topo now has no such record"
	case res.Answer.NotFound():
		out.Status, out.Held = rows.StatusNotFound, nil
	default:
		out.Status, out.Held = rows.StatusRemoved, held.record()
	}
	return out, nil
}

// holdsARowKey says whether a record named by id is the row's: it holds
// one of the row's keys and no other value for any (a row without a key
// is named by its id alone).
func holdsARowKey(ex topo.Exclusion, row rows.Row) bool {
	keys := row.Keys()
	if len(keys) == 0 {
		return true
	}
	if HeldOf(ex, row).Mismatch != "" {
		return false
	}
	return holdsKey(ex, row)
}

// recordKeys says which keys a record holds, for a message.
func recordKeys(ex topo.Exclusion) string {
	var keys []string
	for _, name := range []string{"email", "linkedin_url", "domain"} {
		if v := ex.Value(name); v != "" {
			keys = append(keys, name+" "+v)
		}
	}
	if len(keys) == 0 {
		return "no key"
	}
	return "it holds " + strings.Join(keys, ", ")
}
