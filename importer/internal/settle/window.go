package settle

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// window reads every record created in [from, to) (to zero: no end) in
// created_at order, calling emit for each once. limit bounds its
// requests (0: none); past it the window ends with errWindowLimit.
// expect says a record is stamped at from: an answer without one is
// asked again before it is believed.
func (w *walk) window(ctx context.Context, from, to time.Time, limit int, expect bool, emit func(topo.Exclusion) error) error {
	r := &windowRead{walk: w, to: to, limit: limit, emit: emit, seen: map[string]time.Time{}}
	r.advance(from, expect)
	for {
		if r.limit > 0 && r.requests >= r.limit {
			return errWindowLimit
		}
		p, err := r.page(ctx, r.query(r.from, r.to, r.pageNo))
		r.requests++
		if err != nil {
			return err
		}
		if done, err := r.take(ctx, p); err != nil || done {
			return err
		}
	}
}

// windowRead is one window being read.
type windowRead struct {
	*walk
	from, to        time.Time
	limit, requests int
	emit            func(topo.Exclusion) error
	// seen holds the ids read stamped at or after from: those a request
	// starting at from reads again.
	seen map[string]time.Time
	// pageNo is the page of the query starting at from; onQuery the ids
	// its pages held.
	pageNo  int
	onQuery map[string]bool
	// expect says a record is stamped at from (one the window read, or
	// the one its caller knows of).
	expect bool
	// prev is the last answer's ids, confirming that the request was
	// asked again to be sure of its answer; stall counts answers in a row
	// that brought nothing.
	prev       []string
	answered   bool
	confirming bool
	stall      int
}

// advance starts the next query at from.
func (r *windowRead) advance(from time.Time, expect bool) {
	r.from, r.pageNo, r.onQuery, r.expect = from, 1, map[string]bool{}, expect
	for id, at := range r.seen {
		if at.Before(from) {
			delete(r.seen, id)
		}
	}
}

// take reads one answer: it hands over what is new and moves the window
// on. done says the window is read.
func (r *windowRead) take(ctx context.Context, p *topo.Page[topo.Exclusion]) (done bool, err error) {
	ids := idsOf(p.Items)
	same := r.answered && slices.Equal(ids, r.prev)
	r.prev, r.answered = ids, true
	confirming := r.confirming
	r.confirming = false
	switch {
	case same && len(ids) > 0 && !confirming:
		// The answer the request before got: a stale cache's, or two
		// queries whose pages are the same records. Asked again, a stale
		// answer does not come back.
		r.confirming = true
		return false, r.stalled("the same answer came twice in a row")
	case !r.answers(p):
		return false, r.stalled("an answer held records outside the window asked for")
	}
	got, err := r.read(p)
	if err != nil {
		return true, err
	}
	m, known := more(p, r.pageNo)
	end := got.beyond || known && !m || !known && len(p.Items) == 0
	switch {
	case end && got.inRange == 0 && r.pageNo == 1 && !confirming && (len(p.Items) > 0 || r.expect):
		// An end without a record of the window, where one was there or is
		// known to be: asked again, to be sure the answer was this
		// request's (a stale cache's answer to another does not repeat).
		r.confirming = true
		return false, r.stalled("an answer ended the window without a record of it")
	case end:
		return true, nil
	case len(p.Items) == 0:
		return false, r.stalled("an empty page said more follow")
	case got.last.After(r.from):
		r.stall = 0
		r.advance(got.last, true)
		return false, nil
	case got.repeat:
		// Records sharing from's stamp beyond a page, in no stable order.
		if err := r.instant(ctx, r.from); err != nil {
			return true, err
		}
		r.stall = 0
		r.advance(r.from.Add(time.Nanosecond), false)
		return false, nil
	}
	// The page did not move the window on: records sharing from's stamp
	// beyond a page, or a server reading the window in whole seconds.
	// The next page of the same query follows.
	if got.fresh == 0 {
		if err := r.stalled("pages brought nothing new"); err != nil {
			return true, err
		}
	} else {
		r.stall = 0
	}
	r.pageNo++
	return false, nil
}

// pageRead is what one page brought: records new to the window, records
// in it at all, whether one lay past its end, whether one came back from
// an earlier page of the same query, and the last stamp in it.
type pageRead struct {
	fresh, inRange int
	beyond, repeat bool
	last           time.Time
}

// read hands over a page's records that are new to the window.
func (r *windowRead) read(p *topo.Page[topo.Exclusion]) (got pageRead, err error) {
	for _, ex := range p.Items {
		at := ex.CreatedAt
		if !r.to.IsZero() && !at.Before(r.to) {
			got.beyond = true
			continue
		}
		if at.Before(r.from) {
			continue // read before, by a server that reads the window in whole seconds
		}
		got.inRange++
		got.repeat = got.repeat || r.onQuery[ex.ID]
		r.onQuery[ex.ID], got.last = true, at
		if _, ok := r.seen[ex.ID]; ok || !r.keep(ex) {
			continue
		}
		r.seen[ex.ID] = at
		got.fresh++
		if err := r.emit(ex); err != nil {
			return got, err
		}
	}
	return got, nil
}

// answers says whether a page can be the answer to the window's request:
// in created_at order, its records within the bounds asked, as widened
// for a server that reads them in whole seconds.
func (r *windowRead) answers(p *topo.Page[topo.Exclusion]) bool {
	if !ascending(p.Items) {
		return false
	}
	lo := r.from.Add(-time.Nanosecond).Truncate(time.Second)
	for _, ex := range p.Items {
		if !r.from.IsZero() && ex.CreatedAt.Before(lo) || !r.to.IsZero() && ex.CreatedAt.After(r.to.Add(time.Second)) {
			return false
		}
	}
	return true
}

// stalled counts an answer that brought nothing; too many in a row end
// the walk with an error.
func (r *windowRead) stalled(why string) error {
	r.stall++
	if r.stall < maxStall {
		return nil
	}
	return &ScanError{Page: int(r.pages.Load()), Reason: fmt.Sprintf("%s, %d times in a row (the list ignores the page or the window asked, or answers from a stale cache): it cannot be read completely", why, r.stall)}
}

// instant reads the records stamped exactly at when created_at's order
// among them is not stable (an id came back on a later page): sorted by
// email, then by updated_at, until pages partition them.
func (r *windowRead) instant(ctx context.Context, at time.Time) error {
	for _, by := range []string{"email", "updated_at"} {
		ok, err := r.instantBy(ctx, at, by)
		if err != nil || ok {
			return err
		}
	}
	return &ScanError{Page: int(r.pages.Load()), Reason: fmt.Sprintf("records sharing created_at %s come in no stable order, by created_at, email or updated_at: they cannot all be read", at.UTC().Format(time.RFC3339Nano))}
}

// instantBy reads the records stamped at sorted by by; ok says their pages
// partitioned them and held every one read before.
func (r *windowRead) instantBy(ctx context.Context, at time.Time, by string) (ok bool, err error) {
	ids := map[string]bool{}
	var prev []string
	stall := 0
	for page := 1; ; page++ {
		q := api.Query{Page: page, Size: PageSize, SortBy: by, Reason: r.Reason, CreatedAfter: at.Add(-time.Nanosecond), CreatedBefore: at.Add(time.Nanosecond)}
		p, err := r.page(ctx, q)
		r.requests++
		if err != nil {
			return false, err
		}
		pids := idsOf(p.Items)
		if len(pids) > 0 && slices.Equal(pids, prev) {
			return false, nil // a page repeated: the page number is not honoured
		}
		prev = pids
		fresh := 0
		for _, ex := range p.Items {
			if !ex.CreatedAt.Equal(at) {
				continue
			}
			if ids[ex.ID] {
				return false, nil // came back: not a stable order either
			}
			ids[ex.ID] = true
			fresh++
			if _, read := r.seen[ex.ID]; read || !r.keep(ex) {
				continue
			}
			r.seen[ex.ID] = at
			if err := r.emit(ex); err != nil {
				return false, err
			}
		}
		if m, known := more(p, page); known && !m || !known && len(p.Items) == 0 {
			break
		}
		if fresh == 0 {
			if stall++; stall >= maxStall {
				return false, nil
			}
		}
	}
	for id, t := range r.seen {
		if t.Equal(at) && !ids[id] {
			return false, nil
		}
	}
	return true, nil
}
