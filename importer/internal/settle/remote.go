package settle

import (
	"context"
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
// one key at a time, until a key is held (or, with all, for every key).
// found holds only records that really hold a key (a proxy that ignores
// the filter proves nothing), each once. ok is false when no clear answer
// came; res then says why.
func (r *Remote) lookup(ctx, inflight context.Context, row rows.Row, all bool) (found []topo.Exclusion, res api.Result, ok bool) {
	attempts := 0
	defer func() { res.Attempts = attempts }()
	for _, k := range row.Keys() {
		res = r.Retrier.Do(ctx, inflight, api.Call{
			Op:     api.OpLookup,
			Send:   func(ctx context.Context) api.Answer { return r.API.List(ctx, r.Kind, api.Query{Key: k, Size: 100}) },
			Accept: func(a api.Answer) bool { return a.Page != nil },
		})
		attempts += res.Attempts
		if !res.Settled() {
			return nil, res, false
		}
		for _, ex := range res.Answer.Page.Items {
			if rows.NormalizeKey(k.Name, ex.Value(k.Name)) == k.Value && !slices.ContainsFunc(found, func(f topo.Exclusion) bool { return f.ID == ex.ID }) {
				found = append(found, ex)
			}
		}
		if len(found) > 0 && !all {
			return found, res, true
		}
	}
	return found, res, true
}

// look asks Topo which records hold the row's keys (every key, with all)
// and settles what that leaves: when no clear answer came, stop is true
// and out is the row's final word — not_attempted (unknown when maybe)
// if the run was interrupted, failed (unknown when maybe) otherwise, its
// error starting with why — and err is set when the key was refused.
// This is the one place a lookup's failure is turned into an outcome.
func (r *Remote) look(ctx, inflight context.Context, out *rows.Outcome, all, maybe bool, why string) (recs []topo.Exclusion, stop bool, err error) {
	recs, res, ok := r.lookup(ctx, inflight, out.Row, all)
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
		return recs, false, nil
	}
	return nil, true, err
}

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
