package settle

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// API is what the actions need of Topo; *topo.Client is the real one.
type API interface {
	Create(ctx context.Context, k topo.Kind, d topo.Draft) api.Answer
	Update(ctx context.Context, k topo.Kind, id string, ch topo.Change) api.Answer
	Delete(ctx context.Context, k topo.Kind, id string) api.Answer
	Get(ctx context.Context, k topo.Kind, id string) api.Answer
	List(ctx context.Context, k topo.Kind, q api.Query) api.Answer
	Clock() *api.Clock
}

// Remote is the Topo every action talks to: the API, the one retry policy
// every request goes through, the kind of exclusion, and what the key may
// do.
type Remote struct {
	API     API
	Retrier *api.Retrier
	Kind    topo.Kind
	Access  api.Access
	// Snapshot, when set, is Topo's list as read at the start: it decides
	// rows without a request where it can.
	Snapshot *Index
	// Now is the local clock (nil: time.Now).
	Now func() time.Time
	// Settle is how long to wait before looking again when a lookup after
	// an attempt that may have taken effect found nothing (0:
	// DefaultSettle; below 0: not at all); Sleep waits it (nil: a timer).
	Settle time.Duration
	Sleep  func(ctx context.Context, d time.Duration) error
}

// held is what the snapshot says of row: the record Topo held, or
// absent (held nothing). Neither: there is no snapshot.
func (r *Remote) held(row rows.Row) (held *Held, absent bool) {
	if r.Snapshot == nil {
		return nil, false
	}
	return r.Snapshot.Decide(row)
}

func (r *Remote) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// canLook says lookups are possible: the key may read and the kind has a
// list endpoint.
func (r *Remote) canLook() bool { return r.Access.Read && !r.Access.NoList }

// lookup asks the list endpoint for the records holding the row's keys,
// in every form Topo may hold each (see forms), one at a time, until a
// key is held (or, with all, for every key). found holds only records
// that really hold a key (a proxy that ignores the filter proves
// nothing), each once; seen frames the answer the first came in. ok is
// false when no clear answer came; res then says why.
func (r *Remote) lookup(ctx, inflight context.Context, row rows.Row, all bool) (found []topo.Exclusion, seen api.Moment, res api.Result, ok bool) {
	attempts := 0
	defer func() { res.Attempts = attempts }()
	for _, k := range row.Keys() {
		for _, f := range forms(row, k) {
			res = r.Retrier.Do(ctx, inflight, api.Call{
				Op:     api.OpLookup,
				Send:   func(ctx context.Context) api.Answer { return r.API.List(ctx, r.Kind, api.Query{Key: f, Size: 100}) },
				Accept: func(a api.Answer) bool { return a.Page != nil },
			})
			attempts += res.Attempts
			if !res.Settled() {
				return nil, seen, res, false
			}
			for _, ex := range res.Answer.Page.Items {
				if sameKey(k.Name, ex.Value(k.Name), k.Value) && !slices.ContainsFunc(found, func(f topo.Exclusion) bool { return f.ID == ex.ID }) {
					if len(found) == 0 {
						seen = res.Answer.At()
					}
					found = append(found, ex)
				}
			}
			if len(found) > 0 && !all {
				return found, seen, res, true
			}
		}
	}
	return found, seen, res, true
}

// look asks Topo which records hold the row's keys (every key, with all)
// and settles what that leaves: when no clear answer came, stop is true
// and out is the row's final word — not_attempted (unknown when maybe)
// if the run was interrupted, failed (unknown when maybe) otherwise, its
// error starting with why — and err is set when the key was refused.
// This is the one place a lookup's failure is turned into an outcome.
func (r *Remote) look(ctx, inflight context.Context, out *rows.Outcome, all, maybe bool, why string) (recs []topo.Exclusion, seen api.Moment, stop bool, err error) {
	recs, seen, res, ok := r.lookup(ctx, inflight, out.Row, all)
	out.Attempts += res.Attempts
	switch {
	case res.Interrupted:
		*out = interrupted(*out, maybe)
	case !ok && res.Verdict == api.Fatal:
		*out = failed(*out, res, maybe)
		err = fatal(res, "exclusions:read")
	case !ok:
		*out = failed(*out, res, maybe)
		if why != "" {
			out.Err = why + ": " + out.Err
		}
	default:
		return recs, seen, false, nil
	}
	return nil, seen, true, err
}

// DefaultSettle is how long a lookup that found nothing after an attempt
// that may have taken effect waits before it looks again: Topo does not
// promise that its list shows a record as soon as the create committed.
const DefaultSettle = 2 * time.Second

// windowPages bounds the pages of records created since an attempt that
// are read when its keys' lookups found nothing.
const windowPages = 5

// lookAfter is the lookup after an attempt that may have taken effect,
// before anything is sent again: an empty answer proves nothing there.
// It asks for every form of the row's keys; when that finds nothing, it
// waits the settle delay and asks again; when that finds nothing either,
// it reads the records created since the attempt (at most windowPages
// pages of them) and compares their keys itself, which a filter that a
// proxy mangles (a + read as a space) or a stored form not asked for
// cannot hide. Failures settle out as look does.
func (r *Remote) lookAfter(ctx, inflight context.Context, out *rows.Outcome, attempt api.Moment, why string) (recs []topo.Exclusion, seen api.Moment, stop bool, err error) {
	recs, seen, stop, err = r.look(ctx, inflight, out, false, true, why)
	if stop || len(recs) > 0 {
		return recs, seen, stop, err
	}
	// The delay is since the attempt: one an earlier run made (a resume,
	// a failures file's maybe_sent, its time unknown or long gone) has
	// had it, and the lookup just made was the look again. Waiting anyway
	// held a worker two seconds for each such row.
	if d := r.lagLeft(attempt); d > 0 {
		if r.sleep(ctx, d) != nil {
			*out = interrupted(*out, true)
			return nil, seen, true, nil
		}
		if recs, seen, stop, err = r.look(ctx, inflight, out, false, true, why); stop || len(recs) > 0 {
			return recs, seen, stop, err
		}
	}
	if attempt.Sent.IsZero() {
		return nil, seen, false, nil
	}
	if x := r.Snapshot; x != nil && !x.Taken.IsZero() && x.Taken.Sub(attempt.Sent) >= r.settle() {
		// Topo's whole list, read a settle delay or more after the
		// attempt, compared with the same folding as this lookup's forms,
		// already holds every record created since: read again a row at a
		// time, it cost five pages a resumed row.
		return nil, seen, false, nil
	}
	return r.createdSince(ctx, out, attempt, why)
}

// createdSince reads the records created since the attempt and keeps
// those holding one of the row's keys. A window too large to read in
// windowPages pages leaves the lookups' word standing.
func (r *Remote) createdSince(ctx context.Context, out *rows.Outcome, attempt api.Moment, why string) (recs []topo.Exclusion, seen api.Moment, stop bool, err error) {
	w := &walk{Scan: &Scan{Remote: *r}}
	werr := w.window(ctx, r.API.Clock().Earliest(attempt), time.Time{}, windowPages, false, func(ex topo.Exclusion) error {
		if holdsKey(ex, out.Row) {
			recs = append(recs, ex)
		}
		return nil
	})
	out.Attempts += int(w.pages.Load())
	seen = api.Moment{Sent: r.now(), Received: r.now()}
	var auth *api.AuthError
	switch {
	case werr == nil, errors.Is(werr, errWindowLimit):
		return recs, seen, false, nil
	case ctx.Err() != nil:
		*out = interrupted(*out, true)
	case errors.As(werr, &auth):
		out.Status, out.MaybeSent, out.Err = rows.StatusUnknown, true, auth.Error()
		err = werr
	default:
		out.Status, out.MaybeSent = rows.StatusUnknown, true
		out.Err = why + ": " + werr.Error() + "; an attempt may have reached Topo: a rerun looks it up before sending anything"
	}
	return nil, seen, true, err
}

// lagLeft is what is left of the settle delay since attempt ended (by
// when its write had committed, if it ever did): 0 for an attempt whose
// time is not known, an earlier run's.
func (r *Remote) lagLeft(attempt api.Moment) time.Duration {
	end := attempt.Received
	if end.IsZero() {
		end = attempt.Sent
	}
	if end.IsZero() {
		return 0
	}
	return max(r.settle()-r.now().Sub(end), 0)
}

func (r *Remote) settle() time.Duration {
	if r.Settle == 0 {
		return DefaultSettle
	}
	return max(r.Settle, 0)
}

// sleep waits d unless ctx ends first.
func (r *Remote) sleep(ctx context.Context, d time.Duration) error { return api.Wait(ctx, d, r.Sleep) }

// best is the record that lasts longest among those holding a row (there
// is more than one only on a server that does not enforce uniqueness).
func best(recs []topo.Exclusion, row rows.Row) Held {
	h := HeldOf(recs[0], row)
	for _, ex := range recs[1:] {
		c := HeldOf(ex, row)
		if c.Mismatch == "" && (h.Mismatch != "" || lasts(c, h)) {
			h = c
		}
	}
	return h
}

func lasts(a, b Held) bool {
	return a.Until == nil || (b.Until != nil && a.Until.After(*b.Until))
}
