package importer

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Creator is import's action: it makes Topo hold each row, as long as
// the row asks, and reports only what Topo's answers prove.
//
//   - created: this run's create got a 201 whose body is the row's record,
//     or, after this run's unanswered attempt, a lookup found a record
//     created after that attempt was sent (Topo's clock, corrected by
//     what its answers tell of it);
//   - exists: a record covering the row was there already;
//   - extended / updated / exists_shorter: per Existing, for a record that
//     ends sooner than the row asks (or differs from it).
//
// After an attempt that may have taken effect it looks before sending
// again, when the key can read; otherwise Topo's 409 settles a repeat.
type Creator struct {
	Remote
	Existing Existing
	// OnBlind is told, once, that existing records cannot be compared
	// (the key cannot read): such rows are exists, as a 409 says.
	OnBlind func()
}

// Local settles a row the snapshot decides. A row an earlier run may
// have sent is not one: whether that run created its record is for a
// lookup to tell.
func (c *Creator) Local(job Job) (Outcome, bool) {
	if job.Held == nil || job.Prior.MaybeSent {
		return Outcome{}, false
	}
	d := Reconcile(job.Row, *job.Held, c.Existing, false)
	if d.Change != nil {
		return Outcome{}, false
	}
	return decided(Outcome{Row: job.Row}, *job.Held, d), true
}

// Ahead journals the row's create (or, when the snapshot says the record
// must change, its update) before it is handed over.
func (c *Creator) Ahead(job Job) (Intent, bool) {
	if job.Held != nil {
		return Intent{Op: topo.OpUpdate, ID: job.Held.ID, Previous: job.Held.previous()}, true
	}
	return Intent{Op: topo.OpCreate}, true
}

// Act settles one row.
func (c *Creator) Act(ctx, inflight context.Context, job Job, w *Writes) (Outcome, error) {
	out := Outcome{Row: job.Row}
	if job.Held != nil && !job.Prior.MaybeSent {
		return c.reconcile(ctx, inflight, out, *job.Held, w)
	}
	// since is when the first write that may have created the record went
	// out: a record created at or after it is this run's.
	var since time.Time
	maybe := job.Prior.MaybeSent && !job.Absent
	if maybe {
		since = job.Prior.At
	}
	var last topo.Result
	for round := 0; ; round++ {
		if maybe && c.canLook() {
			recs, res, ok := c.lookup(ctx, inflight, job.Row)
			out.Attempts += res.Attempts
			switch {
			case res.Interrupted:
				return interrupted(out, true), nil
			case !ok && res.Verdict == topo.Fatal:
				return failed(out, res, true), fatal(res, "exclusions:read")
			case !ok:
				// Sending blind could create the record twice.
				out = failed(out, res, true)
				out.Err = "could not look up whether an earlier attempt created it: " + out.Err
				return out, nil
			case len(recs) > 0:
				return c.found(ctx, inflight, out, best(recs, job.Row), since, job.Prior, w)
			}
			// Topo holds nothing of it: no attempt took effect.
			maybe, last.Uncertain = false, false
		}
		if round > c.Retrier.Retries {
			last.Attempts = out.Attempts
			return failed(out, last, maybe), nil
		}
		if err := w.Intend(Intent{Row: job.Row.Num, Op: topo.OpCreate}); err != nil {
			return interrupted(out, maybe), err
		}
		call := c.createCall(job.Row)
		call.Repeat = round > 0
		res := c.Retrier.Do(ctx, inflight, call)
		last = res
		out.Attempts += res.Attempts
		if res.Uncertain && since.IsZero() {
			since = res.FirstSent
		}
		switch {
		case res.Interrupted:
			return interrupted(out, maybe || res.Uncertain), nil
		case res.Verdict == topo.Done && res.Answer.Status == http.StatusCreated:
			rec := res.Answer.Record
			c.API.Clock().ObserveStamp(rec.CreatedAt, res.Answer.Sent, res.Answer.Received)
			out.Status, out.ID, out.HTTPStatus = StatusCreated, rec.ID, res.Answer.Status
			return out, nil
		case res.Verdict == topo.Done: // 409: the key is taken
			return c.conflict(ctx, inflight, out, res, since, maybe || res.Uncertain, w)
		case res.Verdict == topo.Fatal:
			return failed(out, res, maybe), fatal(res, "exclusions:write")
		case res.Verdict == topo.Ambiguous:
			// Looked up on the next round; a key that cannot read sends
			// again, and a 409 settles it if the first took effect.
			maybe = true
		default: // permanent, redirect, or the retries ran out
			return failed(out, res, maybe), nil
		}
	}
}

// createCall is one create, accepted only when the 201's body is an
// exclusion with a Topo id and the row's key: any other 2xx is ambiguous.
func (c *Creator) createCall(row Row) topo.Call {
	draft := topo.Draft{
		Email: topo.Nullable(row.Norm.Email), LinkedInURL: topo.Nullable(row.Norm.LinkedInURL),
		Domain: topo.Nullable(row.Norm.Domain), Reason: row.Norm.Reason,
		Message: topo.Nullable(row.Norm.Message), Until: topo.Nullable(row.Norm.Until),
	}
	return topo.Call{
		Op:   topo.OpCreate,
		Send: func(ctx context.Context) topo.Answer { return c.API.Create(ctx, c.Kind, draft) },
		Accept: func(a topo.Answer) bool {
			return a.Status == http.StatusCreated && a.Record != nil && topo.IsUUID(a.Record.ID) && HeldOf(*a.Record, row).Mismatch == ""
		},
	}
}

// conflict settles a 409: Topo holds the key. The record is looked up to
// learn whether it covers the row and, after an unanswered attempt of
// this run, whether this run created it.
func (c *Creator) conflict(ctx, inflight context.Context, out Outcome, res topo.Result, since time.Time, maybe bool, w *Writes) (Outcome, error) {
	out.HTTPStatus = res.Answer.Status
	if !c.canLook() {
		if c.OnBlind != nil {
			c.OnBlind()
		}
		out.Status, out.ID = StatusExists, res.Answer.Problem.ID
		out.Note = "Topo already holds it (409); the key cannot read, so how long it lasts was not compared"
		if maybe {
			out.Note = "Topo holds it (409), perhaps from this run's unanswered attempt; the key cannot read, so neither that nor how long it lasts is known"
		}
		return out, nil
	}
	recs, look, ok := c.lookup(ctx, inflight, out.Row)
	out.Attempts += look.Attempts
	switch {
	case look.Interrupted:
		return interrupted(out, maybe), nil
	case !ok && look.Verdict == topo.Fatal:
		return failed(out, look, maybe), fatal(look, "exclusions:read")
	case !ok:
		out = failed(out, look, maybe)
		out.Err = "Topo answered 409 but the record could not be looked up: " + out.Err
		return out, nil
	case len(recs) == 0:
		out = failed(out, res, true)
		out.Err = "Topo answered 409, but no record holds the row's keys"
		return out, nil
	}
	if !maybe {
		since = time.Time{}
	}
	return c.found(ctx, inflight, out, best(recs, out.Row), since, Prior{}, w)
}

// found settles a row Topo holds as held: created, when this run's
// attempt since then made the record; extended or updated, when this
// run's journaled update (before a crash) made it what the row asks;
// otherwise per Existing.
func (c *Creator) found(ctx, inflight context.Context, out Outcome, held Held, since time.Time, prior Prior, w *Writes) (Outcome, error) {
	switch {
	case held.Mismatch != "":
	case !since.IsZero() && c.API.Clock().CreatedSince(held.CreatedAt, since):
		out.Status, out.ID = StatusCreated, held.ID
		return out, nil
	case prior.Op == topo.OpUpdate && prior.ID == held.ID && prior.Previous != nil && sameAs(out.Row, held, mustUntil(out.Row)):
		out.Status, out.ID, out.Previous = StatusExtended, held.ID, prior.Previous
		if c.Existing == ExistingReplace {
			out.Status = StatusUpdated
		}
		return out, nil
	}
	return c.reconcile(ctx, inflight, out, held, w)
}

// reconcile leaves, extends or updates a record that Topo holds for the row.
func (c *Creator) reconcile(ctx, inflight context.Context, out Outcome, held Held, w *Writes) (Outcome, error) {
	d := Reconcile(out.Row, held, c.Existing, false)
	if d.Change == nil {
		return decided(out, held, d), nil
	}
	if err := w.Intend(Intent{Row: out.Row.Num, Op: topo.OpUpdate, ID: held.ID, Previous: held.previous()}); err != nil {
		return interrupted(out, false), err
	}
	ch := *d.Change
	res := c.Retrier.Do(ctx, inflight, topo.Call{
		Op:   topo.OpUpdate,
		Send: func(ctx context.Context) topo.Answer { return c.API.Update(ctx, c.Kind, held.ID, ch) },
		Accept: func(a topo.Answer) bool {
			return a.Record != nil && a.Record.ID == held.ID
		},
	})
	out.Attempts += res.Attempts
	out.ID, out.HTTPStatus = held.ID, res.Answer.Status
	switch {
	case res.Interrupted:
		return interrupted(out, res.Uncertain), nil
	case res.Verdict == topo.Fatal:
		return failed(out, res, res.Uncertain), fatal(res, "exclusions:write")
	case !res.Settled():
		return failed(out, res, res.Uncertain), nil
	}
	rec := res.Answer.Record
	if got := HeldOf(*rec, out.Row); !sameAs(out.Row, got, mustUntil(out.Row)) {
		out.Status = StatusFailed
		out.Err = fmt.Sprintf("Topo answered %d to the update but holds reason %s until %s",
			res.Answer.Status, rec.Reason, orPermanent(topo.Str(rec.Until)))
		return out, nil
	}
	c.API.Clock().ObserveStamp(rec.UpdatedAt, res.Answer.Sent, res.Answer.Received)
	out.Status, out.Previous = d.Then, held.previous()
	return out, nil
}

// decided is the outcome of a decision that needs no request.
func decided(out Outcome, held Held, d Decision) Outcome {
	out.Status, out.Err = d.Status, d.Err
	if !d.Status.NeedsAction() {
		out.Err, out.Note = "", d.Err
	}
	if !held.Seen.IsZero() {
		out.Note = strings.TrimPrefix(out.Note+"; as Topo's list showed it at "+held.Seen.UTC().Format(time.RFC3339), "; ")
	}
	if d.Status != StatusFailed {
		out.ID = held.ID
	}
	if d.Status == StatusExistsShorter || d.Status == StatusWouldExtend || d.Status == StatusWouldUpdate {
		out.Previous = held.previous()
	}
	return out
}

func mustUntil(row Row) *time.Time {
	t, _ := rowUntil(row)
	return t
}

func orPermanent(s string) string {
	if s == "" {
		return "permanent"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
