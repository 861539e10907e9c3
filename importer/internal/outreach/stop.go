package outreach

import (
	"context"
	"fmt"
	"net/http"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Result is what became of one running sequence of a row's person.
type Result string

// The results of a stop.
const (
	// Stopped: Topo answered the stop with the sequence STOPPED_EARLY,
	// or, after an unanswered stop, a read of it showed so.
	Stopped Result = "stopped"
	// Finished: it ended by itself meanwhile (Topo answered 409 or 422 to
	// the stop and a read showed a finished status), or is gone (404).
	Finished Result = "finished"
	// Unknown: no answer settles whether it still runs.
	Unknown Result = "unknown"
)

// Stop stops sequence id, sent at most as often as the write budget
// allows and looked up (GET) before it is sent again after an answer that
// proves nothing. maybe says an earlier run's stop of it went out without
// an outcome: it is looked up first. The caller journals the intent
// before, and the result after. err is set when the key was refused.
func (r *Remote) Stop(ctx, inflight context.Context, id string, maybe bool) (res Result, why string, requests int, err error) {
	sends, sent := r.Retrier.Budget(api.OpStop), 0
	// ours says a stop of this run (or the run it resumes) may have taken
	// effect unanswered: a sequence then found STOPPED_EARLY is its doing;
	// otherwise someone had stopped it before.
	ours, look := maybe, maybe
	for {
		if look {
			status, n, err := r.status(ctx, inflight, id)
			requests += n
			switch {
			case err != nil:
				return Unknown, err.Error(), requests, nil
			case status == topo.SequenceStoppedEarly && ours:
				return Stopped, "", requests, nil
			case status == topo.SequenceStoppedEarly:
				return Finished, "it had been stopped already (STOPPED_EARLY)", requests, nil
			case status == "" || !topo.Running(status):
				return Finished, "it ended by itself (" + orGone(status) + ")", requests, nil
			}
			look, ours = false, false // still running: no stop took effect
		}
		if sent >= sends {
			return Unknown, fmt.Sprintf("still running after %d stops that proved nothing", sent), requests, nil
		}
		var seq *topo.Sequence
		call := api.Call{
			Op:       api.OpStop,
			Attempts: sends - sent,
			Send:     func(ctx context.Context) api.Answer { return r.API.StopSequence(ctx, id) },
			Accept: func(a api.Answer) bool {
				var ok bool
				seq, ok = api.Decode[topo.Sequence](a, "id", "status")
				return ok && seq.ID == id && seq.Status == topo.SequenceStoppedEarly
			},
		}
		out := r.Retrier.Do(ctx, inflight, call)
		requests += out.Attempts
		sent += out.Attempts
		switch a := out.Answer; {
		case out.Interrupted:
			return Unknown, "the run stopped before the stop was answered", requests, nil
		case out.Verdict == api.Fatal:
			return Unknown, api.Describe(a), requests, &api.AuthError{Status: a.Status, Message: a.Problem.Message, Scope: topo.ScopeSequencesWrite}
		case out.Settled() && a.Status == http.StatusOK:
			return Stopped, "", requests, nil
		case out.Settled() && a.NotFound():
			return Finished, "Topo has no such sequence now", requests, nil
		case out.Verdict == api.Ambiguous:
			// An answer that proves nothing: what the sequence is now
			// says what happened.
			look, ours = true, true
		case out.Settled():
			// 409/422: finished, Topo says; a read says how.
			look = true
		default:
			return Unknown, api.Describe(a), requests, nil
		}
	}
}

// status reads a sequence's status ("" when Topo has no such sequence).
func (r *Remote) status(ctx, inflight context.Context, id string) (string, int, error) {
	var seq *topo.Sequence
	res := r.Retrier.Do(ctx, inflight, api.Call{
		Op:   api.OpGet,
		Send: func(ctx context.Context) api.Answer { return r.API.Sequence(ctx, id) },
		Accept: func(a api.Answer) bool {
			var ok bool
			seq, ok = api.Decode[topo.Sequence](a, "id", "status")
			return ok && seq.ID == id
		},
	})
	switch {
	case res.Interrupted:
		return "", res.Attempts, context.Cause(ctx)
	case res.Settled() && res.Answer.NotFound():
		return "", res.Attempts, nil
	case !res.Settled():
		return "", res.Attempts, fmt.Errorf("could not read sequence %s: %s", id, api.Describe(res.Answer))
	}
	return seq.Status, res.Attempts, nil
}

func orGone(status string) string {
	if status == "" {
		return "gone"
	}
	return status
}
