package api

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"
)

// Op names what a request does, for the retry policy and the counts.
type Op int

// The requests a run makes.
const (
	OpCreate    Op = iota // POST: not idempotent, looked up before it is sent again
	OpUpdate              // PATCH with every field: sending it twice is harmless
	OpDelete              // DELETE
	OpGet                 // GET one record by id
	OpLookup              // GET the list filtered by one key
	OpPage                // GET one page of the whole list (export, snapshot)
	OpCheck               // the key check before a run
	OpContacts            // GET contacts: who a row's person is in Topo
	OpSequences           // GET sequences: who is still being contacted
	OpStop                // POST a sequence's stop: not idempotent, looked up before it is sent again
	numOps
)

var opNames = [numOps]string{"create", "update", "delete", "get", "lookup", "page", "check", "contacts", "sequences", "stop"}

func (o Op) String() string { return opNames[o] }

// idempotent says whether an attempt that may have taken effect can
// simply be made again.
func (o Op) idempotent() bool { return o != OpCreate && o != OpStop }

// Writes says whether the request may change what Topo holds.
func (o Op) Writes() bool { return o == OpCreate || o == OpUpdate || o == OpDelete || o == OpStop }

// Call is one request the Retrier makes until it settles.
type Call struct {
	Op   Op
	Send func(ctx context.Context) Answer
	// Accept says whether a 2xx proves what was asked (a 201 with the
	// record, a 200 with the page). A 2xx it refuses is ambiguous. nil
	// accepts any 2xx.
	Accept func(Answer) bool
	// Repeat says the call sends again what an earlier call sent: its
	// first attempt counts as a retry.
	Repeat bool
	// Attempts bounds the requests this call may send (0: the Retrier's
	// budget for the operation). A caller that spreads one budget over
	// several calls (a create looked up between sends) passes what is left.
	Attempts int
}

// Result is how a call ended.
type Result struct {
	// Answer is the last attempt's; Verdict what it meant. Retry or
	// Ambiguous here mean the attempts ran out (or, for a create,
	// Ambiguous that it must be looked up before it is sent again).
	Answer  Answer
	Verdict Verdict
	// Attempts counts the requests sent; FirstSent is when the first went.
	Attempts  int
	FirstSent time.Time
	// Uncertain says an attempt went unanswered or ambiguous: it may have
	// taken effect even though the last answer does not say so.
	Uncertain bool
	// Interrupted says the run stopped the call before it settled.
	Interrupted bool
}

// Settled reports whether Topo's answer settled the call.
func (r Result) Settled() bool { return r.Verdict == Done && !r.Interrupted }

// Retrier is the one retry and ambiguity policy of every request a run
// makes: it paces each attempt, classifies each answer, waits what a 429's
// Retry-After asks (or an exponential backoff with full jitter), sends
// again what can be sent again, and hands an ambiguous create back to its
// caller, who must look before sending it again.
type Retrier struct {
	Pacer Pace
	// Retries is how many times a write is sent again after its first
	// send (at most Retries+1 sends); ReadRetries the same for a read (a
	// lookup, a page, the key check), counted apart (0: as Retries).
	Retries, ReadRetries int
	// Timeout bounds each attempt.
	Timeout time.Duration
	// Backoff is the pause before retry n (1-based); nil is full jitter
	// over an exponential schedule from 500 ms to 30 s.
	Backoff func(n int) time.Duration
	// Sleep waits d unless ctx ends first; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Meter, when set, counts every attempt.
	Meter *Meter
}

// Pace is what the Retrier needs of a pacer (*Pacer is the real one): a
// turn before every attempt, and every answer's word on the rate.
type Pace interface {
	// Wait blocks until a request may go, or ctx is done.
	Wait(ctx context.Context) error
	// Accepted is told of every answer that was not a 429, with its
	// X-RateLimit-Limit and -Remaining (-1 when absent).
	Accepted(limit, remaining float64)
	// Throttled is told of every 429, with its X-RateLimit-Limit (-1 when
	// absent).
	Throttled(limit float64)
}

// Budget is how many requests one call of op may send.
func (r *Retrier) Budget(op Op) int {
	if op.Writes() || r.ReadRetries <= 0 {
		return r.Retries + 1
	}
	return r.ReadRetries + 1
}

// Do makes call until it settles, the attempts run out, or ctx ends. ctx
// stops waiting (the first Ctrl-C); inflight bounds requests already on
// the wire, which are let finish so that their outcome is known.
func (r *Retrier) Do(ctx, inflight context.Context, call Call) Result {
	var res Result
	budget := call.Attempts
	if budget <= 0 {
		budget = r.Budget(call.Op)
	}
	for n := 0; ; n++ {
		if n > 0 {
			if err := r.pause(ctx, n, res.Answer); err != nil {
				res.Interrupted = true
				return res
			}
		}
		if err := r.Pacer.Wait(ctx); err != nil {
			res.Interrupted = true
			return res
		}
		a := r.attempt(inflight, call)
		if res.Attempts == 0 {
			res.FirstSent = a.Sent
		}
		res.Attempts++
		res.Answer, res.Verdict = a, Classify(a, call.Op, ctx)
		if res.Verdict == Done && a.Status/100 == 2 && call.Accept != nil && !call.Accept(a) {
			res.Verdict = Ambiguous
		}
		r.Meter.observe(call.Op, a, n > 0 || call.Repeat)
		switch res.Verdict {
		case Done, Permanent, Fatal, Redirect:
			return res
		case Ambiguous:
			res.Uncertain = true
			if !call.Op.idempotent() {
				return res
			}
		}
		if inflight.Err() != nil {
			res.Interrupted = true
			return res
		}
		if n+1 >= budget {
			return res
		}
	}
}

func (r *Retrier) attempt(inflight context.Context, call Call) Answer {
	ctx, cancel := context.WithTimeout(inflight, r.Timeout)
	defer cancel()
	a := call.Send(ctx)
	switch {
	case a.Err != nil:
	case a.Status == http.StatusTooManyRequests:
		r.Pacer.Throttled(a.Limit)
	default:
		r.Pacer.Accepted(a.Limit, a.Remaining)
	}
	return a
}

// pause waits before retry n: what a Retry-After asks, plus a little
// jitter so that rows held back do not return together; otherwise the
// backoff.
func (r *Retrier) pause(ctx context.Context, n int, last Answer) error {
	backoff := r.Backoff
	if backoff == nil {
		backoff = FullJitter
	}
	d := backoff(n)
	if last.HasRetryAfter {
		d = last.RetryAfter + d/4
	}
	if last.Status == http.StatusTooManyRequests {
		defer r.Meter.waitOut()()
	}
	return Wait(ctx, d, r.Sleep)
}

// Wait waits d unless ctx ends first (its cause is then the error): with
// sleep when set (a test's clock), else a timer.
func Wait(ctx context.Context, d time.Duration, sleep func(context.Context, time.Duration) error) error {
	if sleep != nil {
		return sleep(ctx, d)
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

// FullJitter is a random pause up to an exponential ceiling: 500 ms
// before the first retry, doubling to at most 30 s.
func FullJitter(n int) time.Duration {
	ceiling := min(500*time.Millisecond<<min(n-1, 10), 30*time.Second)
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}
