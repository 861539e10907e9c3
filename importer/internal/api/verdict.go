package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"syscall"
)

// Verdict is what to make of one attempt's answer.
type Verdict int

const (
	// Done: Topo answered and the answer settles the request: a 2xx that
	// the call accepts, a 409 to a create, a 404 to a read or a delete.
	Done Verdict = iota
	// Permanent: the request itself is at fault (400, 404, 422…): sending
	// it again would get the same answer.
	Permanent
	// Fatal: the key was refused (401, 403): nothing more may be sent.
	Fatal
	// Redirect: something in front of the API answered 3xx. It is never
	// followed (the key would go along); the base URL is wrong.
	Redirect
	// Retry: the request did not take effect (429, a refused connection);
	// send it again after a pause.
	Retry
	// Ambiguous: the request may or may not have taken effect (no answer,
	// a timeout, a 5xx, a 2xx that does not prove what was asked). A read,
	// an update or a delete is simply sent again; a create is looked up
	// before it is.
	Ambiguous
)

func (v Verdict) String() string {
	return [...]string{"done", "permanent", "fatal", "redirect", "retry", "ambiguous"}[v]
}

// Classify decides, in one place, what an answer means for op. parent is
// the run's context, so that a request the run cut short is not mistaken
// for a network fault that could be retried at once.
func Classify(a Answer, op Op, parent context.Context) Verdict {
	if a.Err != nil {
		if errors.Is(a.Err, syscall.ECONNREFUSED) && parent.Err() == nil {
			return Retry // nothing was listening: nothing was sent
		}
		return Ambiguous
	}
	switch s := a.Status; {
	case s/100 == 2:
		return Done // the call's Accept may still find it proves nothing
	case s/100 == 3:
		return Redirect
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return Fatal
	case s == http.StatusTooManyRequests:
		return Retry
	case (s == http.StatusConflict || s == http.StatusUnprocessableEntity) && op == OpStop:
		return Done // finished already, Topo says: what it is now, a GET tells
	case s == http.StatusNotFound && op == OpStop && a.NotFound():
		return Done // no such sequence (its contact was deleted, say)
	case s == http.StatusConflict && op == OpCreate:
		return Done
	case s == http.StatusNotFound && (op == OpDelete || op == OpGet) && a.NotFound():
		return Done // Topo's own word that there is no such record
	case s == http.StatusNotFound && (op == OpDelete || op == OpGet):
		// A 404 page from something in front of Topo proves nothing.
		return Ambiguous
	case s == http.StatusRequestTimeout, s >= 500:
		// A 5xx may come after the server committed (or from a proxy that
		// gave up waiting for it): Topo promises nothing either way.
		return Ambiguous
	}
	return Permanent
}

// Describe says in a few words what went wrong with an answer, for a
// report's error column: the URL and the key are never in it.
func Describe(a Answer) string {
	switch {
	case a.Err != nil:
		return "no answer: " + transportError(a.Err)
	case a.Status/100 == 3:
		return fmt.Sprintf("Topo answered %d %s to %s: set --base-url to that address", a.Status, a.Location, a.Method)
	case a.Problem.Message != "":
		return a.Problem.Message
	case a.Status/100 == 2:
		return fmt.Sprintf("HTTP %d without the record asked for", a.Status)
	}
	return http.StatusText(a.Status)
}

func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}
