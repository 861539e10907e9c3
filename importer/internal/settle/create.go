package settle

import (
	"context"
	"fmt"
	"net/http"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Creator is import's action: it makes Topo hold each row, as long as
// the row asks, and reports only what Topo's answers prove.
//
//   - created: this run's create got a 201 whose body is the row's record
//     as sent, stamped while the request was out (on Topo's clock as the
//     answer's own Date tells it), or, after this run's unanswered
//     attempt, a lookup found a record stamped after that attempt went;
//   - exists: a record covering the row was there already — also a 201
//     that carried a record Topo held before (a server that answers a
//     repeat create so), and a record whose stamps and Topo's clock
//     disagree too much to tell its age (with a note);
//   - extended / updated / exists_shorter: per Existing, for a record that
//     ends sooner than the row asks (or differs from it).
//
// After an attempt that may have taken effect it looks before sending
// again, when the key can read (see lookAfter); otherwise Topo's 409
// settles a repeat. After such a re-send it looks once more, and two
// records for the row are said in its note and counted (OnDuplicate).
type Creator struct {
	Remote
	Policy Policy
	// OnBlind is told, once, that existing records cannot be compared
	// (the key cannot read): such rows are exists, as a 409 says.
	OnBlind func()
	// OnDuplicate is told of each row for which Topo was seen holding
	// more than one record.
	OnDuplicate func()
}

// Local settles a row the snapshot decides. A row an earlier run may
// have sent is not one: whether that run created its record is for a
// lookup to tell.
func (c *Creator) Local(job pipeline.Job) (rows.Outcome, bool) {
	held, _ := c.held(job.Row)
	if held == nil || job.Prior.MaybeSent {
		return rows.Outcome{}, false
	}
	d := Reconcile(job.Row, *held, c.Policy, false)
	if d.Change != nil {
		return rows.Outcome{}, false
	}
	return decided(rows.Outcome{Row: job.Row}, *held, d), true
}

// Ahead journals the row's create (or, when the snapshot says the record
// must change, its update) before it is handed over.
func (c *Creator) Ahead(job pipeline.Job) (pipeline.Intent, bool) {
	if held, _ := c.held(job.Row); held != nil {
		return pipeline.Intent{Op: api.OpUpdate, ID: held.ID, Previous: held.previous()}, true
	}
	return pipeline.Intent{Op: api.OpCreate}, true
}

// Act settles one row.
func (c *Creator) Act(ctx, inflight context.Context, job pipeline.Job, w *pipeline.Writes) (rows.Outcome, error) {
	out := rows.Outcome{Row: job.Row}
	if held, _ := c.held(job.Row); held != nil && !job.Prior.MaybeSent {
		return c.reconcile(ctx, inflight, out, *held, w)
	}
	// attempt is the first write that may have created the record: a
	// record stamped since is this run's (or that earlier run's). A
	// snapshot that holds nothing of the row proves nothing of a write
	// that may have happened after it was read.
	var attempt api.Moment
	maybe := job.Prior.MaybeSent
	if maybe {
		attempt = api.Moment{Sent: job.Prior.At}
	}
	// One budget for the row: at most Retries+1 POSTs, however they are
	// spread between the lookups that an unanswered attempt calls for.
	sends, posted, resent := c.Retrier.Budget(api.OpCreate), 0, false
	var last api.Result
	for round := 0; ; round++ {
		if maybe && c.canLook() {
			// Sending blind could create the record twice.
			recs, seen, stop, err := c.lookAfter(ctx, inflight, &out, attempt, "could not look up whether an earlier attempt created it")
			if stop {
				return out, err
			}
			if len(recs) > 0 {
				return c.found(ctx, inflight, out, recs, attempt, seen, job.Prior, w)
			}
			// Topo holds nothing of it, looked at twice: no attempt took
			// effect that its list shows.
			maybe, last.Uncertain, resent = false, false, true
		}
		if posted >= sends {
			last.Attempts = posted
			return failed(out, last, maybe), nil
		}
		if err := w.Intend(pipeline.Intent{Row: job.Row.Num, Op: api.OpCreate}); err != nil {
			return interrupted(out, maybe), err
		}
		call := c.createCall(job.Row)
		call.Repeat, call.Attempts = round > 0, sends-posted
		res := c.Retrier.Do(ctx, inflight, call)
		last = res
		out.Attempts += res.Attempts
		posted += res.Attempts
		if res.Uncertain && attempt.Sent.IsZero() {
			attempt = res.Answer.At()
		}
		switch {
		case res.Interrupted:
			return interrupted(out, maybe || res.Uncertain), nil
		case res.Verdict == api.Done && res.Answer.Status == http.StatusCreated:
			return c.created(ctx, inflight, out, res, resent, attempt, w)
		case res.Verdict == api.Done: // 409: the key is taken
			return c.conflict(ctx, inflight, out, res, attempt, maybe || res.Uncertain, w)
		case res.Verdict == api.Fatal:
			return failed(out, res, maybe), fatal(res, "exclusions:write")
		case res.Verdict == api.Ambiguous:
			// Looked up on the next round; a key that cannot read sends
			// again, and a 409 settles it if the first took effect.
			maybe = true
		default: // permanent, redirect, or the sends ran out
			res.Attempts = posted
			return failed(out, res, maybe), nil
		}
	}
}

// createCall is one create, accepted only when the 201's body is an
// exclusion with a Topo id and the row's key: any other 2xx is ambiguous.
func (c *Creator) createCall(row rows.Row) api.Call {
	draft := topo.Draft{
		Email: topo.Nullable(row.Norm.Email), LinkedInURL: topo.Nullable(row.Norm.LinkedInURL),
		Domain: topo.Nullable(row.Norm.Domain), Reason: row.Norm.Reason,
		Message: topo.Nullable(row.Norm.Message), Until: topo.Nullable(row.Norm.Until),
	}
	return api.Call{
		Op:   api.OpCreate,
		Send: func(ctx context.Context) api.Answer { return c.API.Create(ctx, c.Kind, draft) },
		Accept: func(a api.Answer) bool {
			return a.Status == http.StatusCreated && a.Record != nil && topo.IsUUID(a.Record.ID) && HeldOf(*a.Record, row).Mismatch == ""
		},
	}
}

// conflict settles a 409: Topo holds the key. The record is looked up to
// learn whether it covers the row and, after an unanswered attempt of
// this run, whether this run created it.
func (c *Creator) conflict(ctx, inflight context.Context, out rows.Outcome, res api.Result, attempt api.Moment, maybe bool, w *pipeline.Writes) (rows.Outcome, error) {
	out.HTTPStatus = res.Answer.Status
	if !c.canLook() {
		if c.OnBlind != nil {
			c.OnBlind()
		}
		out.Status, out.ID = rows.StatusExists, res.Answer.Problem.ID
		out.Note = "Topo already holds it (409); the key cannot read, so how long it lasts was not compared"
		if maybe {
			out.Note = "Topo holds it (409), perhaps from this run's unanswered attempt; the key cannot read, so neither that nor how long it lasts is known"
		}
		return out, nil
	}
	const why = "Topo answered 409 but the record could not be looked up"
	var (
		recs []topo.Exclusion
		seen api.Moment
		stop bool
		err  error
	)
	if maybe {
		recs, seen, stop, err = c.lookAfter(ctx, inflight, &out, attempt, why)
	} else {
		recs, seen, stop, err = c.look(ctx, inflight, &out, false, false, why)
	}
	if stop {
		return out, err
	}
	if len(recs) == 0 {
		out = failed(out, res, true)
		out.Err = "Topo answered 409, but no record holds the row's keys"
		return out, nil
	}
	if !maybe {
		attempt = api.Moment{}
	}
	return c.found(ctx, inflight, out, recs, attempt, seen, pipeline.Prior{}, w)
}

// reconcile leaves, extends or updates a record that Topo holds for the row.
func (c *Creator) reconcile(ctx, inflight context.Context, out rows.Outcome, held Held, w *pipeline.Writes) (rows.Outcome, error) {
	d := Reconcile(out.Row, held, c.Policy, false)
	if d.Change == nil {
		return decided(out, held, d), nil
	}
	if err := w.Intend(pipeline.Intent{Row: out.Row.Num, Op: api.OpUpdate, ID: held.ID, Previous: held.previous()}); err != nil {
		return interrupted(out, false), err
	}
	ch := *d.Change
	res := c.Retrier.Do(ctx, inflight, api.Call{
		Op:   api.OpUpdate,
		Send: func(ctx context.Context) api.Answer { return c.API.Update(ctx, c.Kind, held.ID, ch) },
		Accept: func(a api.Answer) bool {
			return a.Record != nil && a.Record.ID == held.ID
		},
	})
	out.Attempts += res.Attempts
	out.ID, out.HTTPStatus = held.ID, res.Answer.Status
	switch {
	case res.Interrupted:
		return interrupted(out, res.Uncertain), nil
	case res.Verdict == api.Fatal:
		return failed(out, res, res.Uncertain), fatal(res, "exclusions:write")
	case !res.Settled():
		return failed(out, res, res.Uncertain), nil
	}
	rec := res.Answer.Record
	got := HeldOf(*rec, out.Row)
	if !took(ch, got) {
		out.Status, out.Held = rows.StatusFailed, got.record()
		out.Err = fmt.Sprintf("Topo answered %d to the update but holds reason %s until %s",
			res.Answer.Status, rec.Reason, orPermanent(topo.Str(rec.Until)))
		return out, nil
	}
	out.Status, out.Previous, out.Lifted, out.Held = d.Then, held.previous(), d.Lift, got.record()
	return out, nil
}
