package importer

import (
	"context"
	"net/http"
	"slices"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// API is what the actions need of Topo; *topo.Client is the real one.
type API interface {
	Create(ctx context.Context, k topo.Kind, d topo.Draft) topo.Answer
	Update(ctx context.Context, k topo.Kind, id string, ch topo.Change) topo.Answer
	Delete(ctx context.Context, k topo.Kind, id string) topo.Answer
	List(ctx context.Context, k topo.Kind, q topo.Query) topo.Answer
	Clock() *topo.Clock
}

// Remote is the Topo every action talks to: the API, the one retry policy
// every request goes through, the kind of exclusion, and what the key may
// do.
type Remote struct {
	API     API
	Retrier *topo.Retrier
	Kind    topo.Kind
	Access  topo.Access
}

// canLook says lookups are possible: the key may read and the kind has a
// list endpoint.
func (r *Remote) canLook() bool { return r.Access.Read && !r.Access.NoList }

// lookup asks the list endpoint for the records holding the row's keys,
// one key at a time, until a key is held (or, with all, for every key).
// found holds only records that really hold a key (a proxy that ignores
// the filter proves nothing), each once. ok is false when no clear answer
// came; res then says why.
func (r *Remote) lookup(ctx, inflight context.Context, row Row, all ...bool) (found []topo.Exclusion, res topo.Result, ok bool) {
	attempts := 0
	defer func() { res.Attempts = attempts }()
	for _, k := range row.Keys() {
		res = r.Retrier.Do(ctx, inflight, topo.Call{
			Op:     topo.OpLookup,
			Send:   func(ctx context.Context) topo.Answer { return r.API.List(ctx, r.Kind, topo.Query{Key: k, Size: 100}) },
			Accept: func(a topo.Answer) bool { return a.Page != nil },
		})
		attempts += res.Attempts
		if !res.Settled() {
			return nil, res, false
		}
		for _, ex := range res.Answer.Page.Items {
			if NormalizeKey(k.Name, ex.Value(k.Name)) == k.Value && !slices.ContainsFunc(found, func(f topo.Exclusion) bool { return f.ID == ex.ID }) {
				found = append(found, ex)
			}
		}
		if len(found) > 0 && len(all) == 0 {
			return found, res, true
		}
	}
	return found, res, true
}

// best is the record that lasts longest among those holding a row (there
// is more than one only on a server that does not enforce uniqueness).
func best(recs []topo.Exclusion, row Row) Held {
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

// failed is the outcome of a row whose request failed: Topo refused it,
// or the attempts ran out. maybe says an attempt may have taken effect.
func failed(out Outcome, res topo.Result, maybe bool) Outcome {
	a := res.Answer
	out.HTTPStatus, out.ErrorType, out.RequestID = a.Status, a.Problem.Type, a.Problem.RequestID
	out.Err = topo.Describe(a)
	out.Status = StatusFailed
	if res.Verdict == topo.Retry || res.Verdict == topo.Ambiguous {
		out.Err = "gave up after " + plural(res.Attempts, "attempt") + ": " + out.Err
	}
	if maybe || res.Uncertain {
		// The row may be in Topo or not: only a lookup can tell.
		out.Status, out.MaybeSent = StatusUnknown, true
		out.Err += "; an attempt may have reached Topo: a rerun looks it up before sending anything"
	}
	return out
}

// interrupted is the outcome of a row the run stopped before it settled.
func interrupted(out Outcome, maybe bool) Outcome {
	out.Status, out.Err = StatusNotAttempted, "the run stopped before this row was settled"
	if maybe {
		out.Status, out.MaybeSent = StatusUnknown, true
		out.Err = "the run stopped after an attempt that went unanswered: it may be in Topo; a rerun looks it up before sending anything"
	}
	return out
}

// fatal turns a refused key into the error that stops the run.
func fatal(res topo.Result, scope string) error {
	a := res.Answer
	if a.Status == http.StatusForbidden {
		return &topo.AuthError{Status: a.Status, Message: a.Problem.Message, Scope: scope}
	}
	return &topo.AuthError{Status: a.Status, Message: a.Problem.Message}
}
