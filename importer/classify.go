package importer

import (
	"context"
	"errors"
	"net/http"
	"syscall"
)

// verdict is what to do after one attempt.
type verdict int

const (
	// done: the row is settled (201 created, or 409 already excluded).
	done verdict = iota
	// permanent: the row itself is at fault (400, 404, 422…); retrying
	// would get the same answer.
	permanent
	// fatal: the key was refused (401, 403); nothing more may be sent.
	fatal
	// retry: the request did not take effect (429, or 503 and the like
	// before the server acted); send again after a pause.
	retry
	// ambiguous: the request may have taken effect (no answer, a timeout,
	// a 5xx after the body was sent); look before sending again.
	ambiguous
)

func (v verdict) String() string {
	return [...]string{"done", "permanent", "fatal", "retry", "ambiguous"}[v]
}

// classify decides, in one place, what an attempt's answer means. err is
// the transport error (no answer at all); parent is the row's context, so
// that a cancelled run is not mistaken for a network fault.
func classify(resp Response, err error, parent context.Context) verdict {
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) && parent.Err() == nil {
			return retry // nothing was listening: nothing was sent
		}
		// A reset, a timeout, an EOF, or the run cut the request short: the
		// body may or may not have reached the server.
		return ambiguous
	}
	switch s := resp.Status; {
	case s == http.StatusCreated, s == http.StatusOK, s == http.StatusConflict:
		return done
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return fatal
	case s == http.StatusTooManyRequests:
		return retry
	case s == http.StatusRequestTimeout:
		return ambiguous
	case s >= 500:
		// A 5xx may come after the server committed (or from a proxy that
		// gave up waiting for it): Topo promises nothing either way.
		return ambiguous
	}
	return permanent
}
