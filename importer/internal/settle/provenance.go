package settle

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Who made a record Topo returns is read from the record and the
// answers around it, never from a status code or a stamp alone: a 201
// may carry a record Topo held before (a backend that answers a repeat
// create with what it has), and a stamp may be written in another zone,
// by a clock that stepped, or by a backend whose Date disagrees (see
// api.Clock.Judge).

// created settles a 201. The record is this run's when it is the row as
// sent (reason, until, message) and was stamped while the request was
// out, by the Date on the same answer. One Topo held before is that
// record existing, reconciled as Existing says; one whose stamp and Date
// disagree beyond correction is exists, with a note. After a re-send,
// Topo is asked once more whether an earlier attempt made a record too.
func (c *Creator) created(ctx, inflight context.Context, out rows.Outcome, res api.Result, resent bool, earlier api.Moment, w *pipeline.Writes) (rows.Outcome, error) {
	rec := *res.Answer.Record
	out.HTTPStatus = res.Answer.Status
	held := HeldOf(rec, out.Row)
	want, _ := rowUntil(out.Row)
	same := sameAs(out.Row, held, want)
	prov, why := c.API.Clock().Judge(rec.CreatedAt, res.Answer.At(), res.Answer.At())
	switch {
	case prov == api.MadeBy && same:
		out.Status, out.ID, out.Held = rows.StatusCreated, rec.ID, held.record()
		// This run's own earlier attempt (an answer it saw end) may lag
		// longer than the delay the lookups waited; an earlier run's,
		// long past, would have shown in them.
		if resent && !earlier.Received.IsZero() && c.canLook() {
			c.recheck(ctx, inflight, &out, c.settle())
		}
		return out, nil
	case prov == api.Unproven && same:
		why = "Topo answered 201 with the row's record; " + why
	default:
		why = fmt.Sprintf("Topo answered 201 with a record it already held (created %s, reason %s, %s), not one this run made",
			rec.CreatedAt.UTC().Format(time.RFC3339), rec.Reason, describeUntil(topo.Str(rec.Until)))
	}
	o, err := c.reconcile(ctx, inflight, out, held, w)
	o.Note = joinNote(o.Note, why)
	return o, err
}

// found settles a row Topo holds, as a lookup returned its records:
// created, when one was stamped after this run's attempt went out (on
// Topo's clock as the answers tell it); extended or updated, when this
// run's journaled update (before a crash) made it what the row asks;
// otherwise per Existing. More than one record is said and counted.
func (c *Creator) found(ctx, inflight context.Context, out rows.Outcome, recs []topo.Exclusion, attempt, seen api.Moment, prior pipeline.Prior, w *pipeline.Writes) (rows.Outcome, error) {
	note := ""
	if len(recs) > 1 {
		note = c.duplicates(recs, "")
	}
	held := best(recs, out.Row)
	if !attempt.Sent.IsZero() {
		for _, ex := range recs {
			h := HeldOf(ex, out.Row)
			if h.Mismatch != "" {
				continue
			}
			switch prov, why := c.API.Clock().Judge(ex.CreatedAt, attempt, seen); prov {
			case api.MadeBy:
				out.Status, out.ID, out.Held = rows.StatusCreated, h.ID, h.record()
				out.Note = joinNote("an attempt went unanswered; a lookup found the record it made (created "+h.CreatedAt.UTC().Format(time.RFC3339)+")", note)
				return out, nil
			case api.Unproven:
				if h.ID == held.ID {
					note = joinNote(note, why)
				}
			}
		}
	}
	if held.Mismatch == "" && prior.Op == api.OpUpdate && prior.ID == held.ID && prior.Previous != nil && took(changeFor(out.Row, c.Policy), held) {
		// The update an earlier run journaled took before it could say so.
		out.Status, out.ID, out.Previous, out.Held = rows.StatusExtended, held.ID, prior.Previous, held.record()
		if c.Policy.Existing == ExistingReplace {
			out.Status = rows.StatusUpdated
		}
		out.Note = note
		return out, nil
	}
	o, err := c.reconcile(ctx, inflight, out, held, w)
	o.Note = joinNote(o.Note, note)
	return o, err
}

// recheck looks, after a re-send that Topo answered 201, for a record an
// earlier attempt made after all (the lookups before the re-send found
// none, while reads may still lag that attempt's write). It waits
// the settle delay (wait) first; two records are said, not hidden.
func (c *Creator) recheck(ctx, inflight context.Context, out *rows.Outcome, wait time.Duration) {
	if c.sleep(ctx, wait) != nil {
		return
	}
	recs, _, res, ok := c.lookup(ctx, inflight, out.Row, true)
	out.Attempts += res.Attempts
	if !ok {
		out.Note = joinNote(out.Note, "after the re-send, Topo could not be asked whether an earlier attempt made a record too: "+api.Describe(res.Answer))
		return
	}
	if !slices.ContainsFunc(recs, func(ex topo.Exclusion) bool { return ex.ID == out.ID }) {
		recs = append(recs, topo.Exclusion{ID: out.ID})
	}
	if len(recs) > 1 {
		out.Note = joinNote(out.Note, c.duplicates(recs, out.ID))
	}
}

// duplicates says that Topo holds several records for one row, naming
// them (mine, when set, is the one this run made), and counts the row.
func (c *Creator) duplicates(recs []topo.Exclusion, mine string) string {
	if c.OnDuplicate != nil {
		c.OnDuplicate()
	}
	ids := make([]string, 0, len(recs))
	for _, ex := range recs {
		if ex.ID != mine {
			ids = append(ids, ex.ID)
		}
	}
	if mine != "" {
		return fmt.Sprintf("Topo holds %d records for this row: besides %s, made by this run, %s, made by an earlier attempt whose answer was lost (or by another tool); remove the extra one by its id",
			len(recs), mine, strings.Join(ids, ", "))
	}
	return fmt.Sprintf("Topo holds %d records for this row (%s): remove the extra ones by their ids", len(recs), strings.Join(ids, ", "))
}

// joinNote joins two notes with "; ", either of which may be empty.
func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
