package outreach

import (
	"context"
	"fmt"
	"slices"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// pageSize is the most a list endpoint gives at once.
const pageSize = 100

// maxPages bounds how many pages one list may take: a million items,
// far past any workspace's running sequences, and a stop for an endpoint
// that never says it is done.
const maxPages = 10_000

// walk reads every page of a list (fetch(page) asks for one), handing
// each page's items to each. It follows has_more, or, where the answer
// has none, goes on to the first empty page: a page shorter than asked
// may only be a server's cap on its size. A page that repeats the one
// before it (an endpoint, or a cache, that ignores page=) is an error,
// not the end: a list that cannot be read to its end proves nothing.
func walk[T any](ctx context.Context, r *api.Retrier, op api.Op, fetch func(ctx context.Context, page int) api.Answer,
	id func(T) string, each func([]T) error) (requests int, err error) {
	var last []string
	for page := 1; ; page++ {
		if page > maxPages {
			return requests, fmt.Errorf("the list did not end after %d pages", maxPages)
		}
		var p *topo.Page[T]
		res := r.Do(ctx, ctx, api.Call{
			Op:   op,
			Send: func(ctx context.Context) api.Answer { return fetch(ctx, page) },
			Accept: func(a api.Answer) bool {
				var ok bool
				p, ok = api.Decode[topo.Page[T]](a, "items")
				return ok
			},
		})
		requests += res.Attempts
		switch {
		case res.Interrupted:
			return requests, context.Cause(ctx)
		case !res.Settled():
			return requests, &ReadError{What: op.String(), Page: page, Reason: api.Describe(res.Answer), Status: res.Answer.Status}
		}
		ids := make([]string, len(p.Items))
		for i, it := range p.Items {
			ids[i] = id(it)
		}
		if len(ids) > 0 && slices.Equal(ids, last) {
			return requests, &ReadError{What: op.String(), Page: page, Reason: "page " + fmt.Sprint(page) + " repeats page " + fmt.Sprint(page-1) + " (does the endpoint ignore page=?)"}
		}
		last = ids
		if err := each(p.Items); err != nil {
			return requests, err
		}
		more := len(p.Items) > 0
		if p.HasMore != nil {
			more = more && *p.HasMore
		}
		if !more {
			return requests, nil
		}
	}
}

// ReadError is a list that could not be read to its end.
type ReadError struct {
	What   string
	Page   int
	Status int
	Reason string
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("reading Topo's %s failed at page %d: %s", e.What, e.Page, e.Reason)
}
