package settle

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// The outcome builders: every row's final word that is not a plain
// success is made here, so that each status says the same thing however
// it was reached.

// failed is the outcome of a row whose request failed: Topo refused it,
// or the attempts ran out. maybe says an attempt may have taken effect.
func failed(out rows.Outcome, res api.Result, maybe bool) rows.Outcome {
	a := res.Answer
	out.HTTPStatus, out.ErrorType, out.RequestID = a.Status, a.Problem.Type, a.Problem.RequestID
	out.Err = api.Describe(a)
	out.Status = rows.StatusFailed
	if res.Verdict == api.Retry || res.Verdict == api.Ambiguous {
		out.Err = "gave up after " + plural(res.Attempts, "attempt") + ": " + out.Err
	}
	if maybe || res.Uncertain {
		// The row may be in Topo or not: only a lookup can tell.
		out.Status, out.MaybeSent = rows.StatusUnknown, true
		out.Err += "; an attempt may have reached Topo: a rerun looks it up before sending anything"
	}
	return out
}

// interrupted is the outcome of a row the run stopped before it settled.
func interrupted(out rows.Outcome, maybe bool) rows.Outcome {
	out.Status, out.Err = rows.StatusNotAttempted, "the run stopped before this row was settled"
	if maybe {
		out.Status, out.MaybeSent = rows.StatusUnknown, true
		out.Err = "the run stopped after an attempt that went unanswered: it may be in Topo; a rerun looks it up before sending anything"
	}
	return out
}

// fatal turns a refused key into the error that stops the run.
func fatal(res api.Result, scope string) error {
	a := res.Answer
	if a.Status == http.StatusForbidden {
		return &api.AuthError{Status: a.Status, Message: a.Problem.Message, Scope: scope}
	}
	return &api.AuthError{Status: a.Status, Message: a.Problem.Message}
}

// decided is the outcome of a decision that needs no request.
func decided(out rows.Outcome, held Held, d Decision) rows.Outcome {
	out.Status, out.Err = d.Status, d.Err
	if !d.Status.NeedsAction() {
		out.Err, out.Note = "", d.Err
	}
	if d.Lift != "" {
		out.Note = strings.TrimPrefix(out.Note+"; would "+d.Lift+", lifting a "+held.Reason+" opt-out", "; ")
	}
	if !held.Seen.IsZero() {
		out.Note = strings.TrimPrefix(out.Note+"; as Topo's list showed it at "+held.Seen.UTC().Format(time.RFC3339), "; ")
	}
	if d.Status != rows.StatusFailed {
		// A failed row's record is another person's (a mismatch): not the
		// row's to show.
		out.ID, out.Held = held.ID, held.record()
	}
	if d.Status == rows.StatusExistsShorter || d.Status == rows.StatusWouldExtend || d.Status == rows.StatusWouldUpdate || d.Status == rows.StatusWouldLift {
		out.Previous = held.previous()
	}
	return out
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
