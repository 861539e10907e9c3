package importer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// API is what sending needs of Topo; *Client is the real one.
type API interface {
	Create(ctx context.Context, ex Exclusion) (Response, error)
	Find(ctx context.Context, field Field, value string) (id string, found bool, resp Response, err error)
}

// AuthError is Topo refusing the key: 401 (bad key) or 403 (missing
// scope). It stops a run at once.
type AuthError struct {
	Status  int
	Message string
	// Scope is the scope a 403 says is missing; exclusions:write when
	// empty.
	Scope string
}

func (e *AuthError) Error() string {
	if e.Status == http.StatusForbidden {
		scope := e.Scope
		if scope == "" {
			scope = "exclusions:write"
		}
		return fmt.Sprintf("Topo refused the API key's scope (403: %s): the key needs %s", e.Message, scope)
	}
	return fmt.Sprintf("Topo refused the API key (401: %s): check TOPO_API_KEY or --token-file", e.Message)
}

// Sender sends one row to Topo, retrying what can be retried, and says
// what became of it. A row's failure is an Outcome; only a refused key is
// an error.
type Sender struct {
	API   API
	Pacer *Pacer
	// Retries is how many times a row is sent again after the first try.
	Retries int
	// Timeout bounds each attempt.
	Timeout time.Duration
	// CanRead says the key may use the list endpoint, to look before
	// sending again after an attempt that may have taken effect.
	CanRead bool
	// Backoff is the pause before retry n (1-based); nil means full
	// jitter over an exponential schedule from 500 ms to 30 s.
	Backoff func(n int) time.Duration

	requests, lookups, retries, throttled atomic.Int64
}

// SendStats counts what the sender did.
type SendStats struct {
	Requests, Lookups, Retries, Throttled int64
}

// Stats returns the sender's counters.
func (s *Sender) Stats() SendStats {
	return SendStats{s.requests.Load(), s.lookups.Load(), s.retries.Load(), s.throttled.Load()}
}

func fullJitter(n int) time.Duration {
	ceiling := min(500*time.Millisecond<<min(n-1, 10), 30*time.Second)
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// attempt is one try's result, with what the row's fate depends on.
type attempt struct {
	resp Response
	err  error
	v    verdict
}

// Send sends row (valid) and returns its outcome. ctx stops waiting and
// retrying (the first Ctrl-C); inflight bounds requests already on the
// wire, which are let finish so that their outcome is known. unsure says
// an earlier run may have sent the row already: it is looked up first.
func (s *Sender) Send(ctx, inflight context.Context, row Row, unsure bool) (Outcome, error) {
	out := Outcome{Row: row}
	ex := ExclusionFrom(row.Norm)
	var last attempt
	for n := 0; ; n++ {
		if n > 0 {
			if err := s.pause(ctx, n, last); err != nil {
				return interrupted(out, unsure), nil
			}
		}
		if unsure {
			id, found, look := s.lookup(ctx, inflight, row)
			switch {
			case found:
				// Found after an attempt that went unanswered: ours.
				return settled(out, StatusCreated, id, Response{}), nil
			case look != nil && look.v == fatal:
				return failed(out, *look), &AuthError{Status: look.resp.Status, Message: look.resp.Message, Scope: "exclusions:read"}
			case look != nil:
				// Sending blind could create the record twice: ask again.
				last = *look
				if n >= s.Retries {
					out = failed(out, last)
					out.Err = "could not confirm whether an unanswered attempt created it: " + out.Err
					return out, nil
				}
				s.retries.Add(1)
				continue
			}
		}
		if err := s.Pacer.Wait(ctx); err != nil {
			return interrupted(out, unsure), nil
		}
		last = s.try(inflight, ex)
		out.Attempts++
		switch last.v {
		case done:
			return s.finish(ctx, inflight, out, last.resp, unsure), nil
		case fatal:
			return failed(out, last), &AuthError{Status: last.resp.Status, Message: last.resp.Message}
		case permanent:
			return failed(out, last), nil
		case ambiguous:
			unsure = true
		}
		if n >= s.Retries {
			return failed(out, last), nil
		}
		s.retries.Add(1)
	}
}

// try makes one attempt and tells the pacer how it went.
func (s *Sender) try(inflight context.Context, ex Exclusion) attempt {
	ctx, cancel := context.WithTimeout(inflight, s.Timeout)
	defer cancel()
	s.requests.Add(1)
	resp, err := s.API.Create(ctx, ex)
	a := attempt{resp: resp, err: err, v: classify(resp, err, inflight)}
	if err == nil && resp.Status == http.StatusTooManyRequests {
		s.throttled.Add(1)
		s.Pacer.Throttled(resp.Limit)
	} else if err == nil {
		s.Pacer.Accepted()
	}
	return a
}

// pause waits before retry n: what a 429's Retry-After asks, plus a little
// jitter so held-back rows do not return together; otherwise the backoff.
func (s *Sender) pause(ctx context.Context, n int, last attempt) error {
	backoff := s.Backoff
	if backoff == nil {
		backoff = fullJitter
	}
	d := backoff(n)
	if ra := last.resp.RetryAfter; ra > 0 {
		d = ra + d/4
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// finish settles a 201 or a 409. A 409 after an attempt of ours that went
// unanswered is most likely our own record: it is reported created, as a
// run without the fault would have.
func (s *Sender) finish(ctx, inflight context.Context, out Outcome, resp Response, unsure bool) Outcome {
	if resp.Status != http.StatusConflict {
		return settled(out, StatusCreated, resp.ID, resp)
	}
	id := resp.ID
	if id == "" {
		id, _, _ = s.lookup(ctx, inflight, out.Row)
	}
	status := StatusExists
	if unsure {
		status = StatusCreated
	}
	return settled(out, status, id, resp)
}

// lookup asks the list endpoint for the row's record. found is true when
// it exists; failed is the failed lookup when the key can read but no
// clear answer came, so the caller must not send blind. A key that cannot
// read gives neither: the caller sends, and a 409 settles it.
func (s *Sender) lookup(ctx, inflight context.Context, row Row) (id string, found bool, failed *attempt) {
	if !s.CanRead {
		return "", false, nil
	}
	keys := rowKeys(row)
	if len(keys) == 0 {
		return "", false, nil
	}
	return s.find(ctx, inflight, keys[0].field, keys[0].value)
}

// find is one paced lookup of one key.
func (s *Sender) find(ctx, inflight context.Context, field Field, value string) (id string, found bool, failed *attempt) {
	if err := s.Pacer.Wait(ctx); err != nil {
		return "", false, &attempt{err: err, v: ambiguous}
	}
	rctx, cancel := context.WithTimeout(inflight, s.Timeout)
	defer cancel()
	s.lookups.Add(1)
	id, found, resp, err := s.API.Find(rctx, field, value)
	switch {
	case err != nil:
		return "", false, &attempt{resp: resp, err: err, v: ambiguous}
	case resp.Status == http.StatusTooManyRequests:
		s.throttled.Add(1)
		s.Pacer.Throttled(resp.Limit)
		return "", false, &attempt{resp: resp, v: retry}
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return "", false, &attempt{resp: resp, v: fatal}
	case resp.Status != http.StatusOK || resp.BadBody:
		s.Pacer.Accepted()
		return "", false, &attempt{resp: resp, v: ambiguous}
	}
	s.Pacer.Accepted()
	return id, found, nil
}

// Check answers, without writing anything, whether Topo already has the
// row under its email or its LinkedIn URL: exists (with the id) or
// would_create. It is what plan sends instead of creating.
func (s *Sender) Check(ctx, inflight context.Context, row Row) (Outcome, error) {
	out := Outcome{Row: row}
	for _, k := range rowKeys(row) {
		var last attempt
		for n := 0; ; n++ {
			if n > 0 {
				if s.pause(ctx, n, last) != nil {
					return interrupted(out, false), nil
				}
			}
			id, found, look := s.find(ctx, inflight, k.field, k.value)
			if look == nil && found {
				out.Status, out.ID, out.HTTPStatus = StatusExists, id, http.StatusOK
				return out, nil
			}
			if look == nil {
				break // not under this key
			}
			last = *look
			if ctx.Err() != nil {
				return interrupted(out, false), nil
			}
			if last.v == fatal {
				return failed(out, last), &AuthError{Status: last.resp.Status, Message: last.resp.Message, Scope: "exclusions:read"}
			}
			if n >= s.Retries {
				return failed(out, last), nil
			}
			s.retries.Add(1)
		}
	}
	out.Status = StatusWouldCreate
	return out, nil
}

// Planner is the RowSender of plan: it checks rows instead of sending them.
type Planner struct{ *Sender }

// Send checks the row; nothing is written to Topo.
func (p Planner) Send(ctx, inflight context.Context, row Row, _ bool) (Outcome, error) {
	return p.Check(ctx, inflight, row)
}

func settled(out Outcome, status Status, id string, resp Response) Outcome {
	out.Status, out.ID, out.HTTPStatus = status, id, resp.Status
	if resp.Status == http.StatusConflict {
		out.ErrorType, out.RequestID = resp.Type, resp.RequestID
	}
	return out
}

func failed(out Outcome, a attempt) Outcome {
	out.Status = StatusFailed
	out.HTTPStatus, out.ErrorType, out.RequestID = a.resp.Status, a.resp.Type, a.resp.RequestID
	switch {
	case a.err != nil:
		out.Err = "no answer: " + describe(a.err)
	case a.resp.Message != "":
		out.Err = a.resp.Message
	default:
		out.Err = http.StatusText(a.resp.Status)
	}
	if a.v == retry || a.v == ambiguous {
		out.Err = fmt.Sprintf("gave up after %d attempts: %s", out.Attempts, out.Err)
	}
	return out
}

// interrupted is the outcome of a row the run stopped before settling.
func interrupted(out Outcome, unsure bool) Outcome {
	out.Status = StatusNotAttempted
	out.Err = "the run stopped before this row was sent"
	if unsure {
		out.Err = "the run stopped after an unanswered attempt: it may exist in Topo; running the failures file again settles it"
	}
	return out
}

// describe shortens a transport error for a report: the URL is known.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}
