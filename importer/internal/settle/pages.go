package settle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// PageSize is the list endpoint's largest page.
const PageSize = 100

// Scan is one walk through everything Topo holds of a kind (export, the
// snapshot), written to be right while others write, and against a list
// endpoint that caps its pages, ignores page numbers, repeats an answer,
// leaves its totals out or orders ties at random.
//
// The walk never trusts a page number or a total to say what it has
// read. It reads created_at windows: a page sorted by created_at holds,
// complete, every record stamped between its first stamp and its last;
// the next request starts at the last stamp, and the records read twice
// there are recognised by id. A page that brings nothing new and does not
// move the window on is counted, and a bounded number of them in a row is
// an error, so the walk ends: complete, or failed, never short in
// silence. Records that share one stamp beyond a page are read by page
// number, and, when the pages do not partition them (an id comes back),
// sorted by other fields until they do.
//
// The upper bound is the newest record's own stamp when the walk starts,
// not a clock: records created during the walk are left out, wherever the
// server's clock and its Date header stand. With Parallel above 1, the
// range is cut into slices at stamps read from pages spread through the
// list, read at once (within the pacer) and handed over in order.
type Scan struct {
	Remote
	// Since keeps records created after it; Reason those with that reason.
	Since  time.Time
	Reason string
	// Progress, when set, is told how many records were read so far.
	Progress func(records int)
	// Parallel is how many slices are read at once (0 or 1: one).
	Parallel int
	// Total, when above 0, is how many records Topo said it holds (a
	// total the key check trusted): no sample is asked for past its last
	// page. It never decides what is read.
	Total int
}

// ScanStats is what a scan read.
type ScanStats struct {
	// Pages counts the requests answered.
	Records, Pages int
	// Bound is the upper bound fixed at the start (the newest record's
	// created_at): every record created up to it was read. Zero when Topo
	// held none.
	Bound time.Time
	// Slices is how many slices were read.
	Slices int
}

// maxStall bounds the requests in a row that bring nothing new and do
// not move the walk on: a server that ignores the page or the window, or
// that answers from a stale cache, ends the walk with an error.
const maxStall = 8

// walk is one Each in progress.
type walk struct {
	*Scan
	pages atomic.Int64
}

// Each calls fn once for every record Topo holds that was created up to
// the newest record's stamp when it started (and after Since), in order
// of creation. fn is called from one goroutine at a time.
func (s *Scan) Each(ctx context.Context, fn func(topo.Exclusion) error) (st ScanStats, err error) {
	w := &walk{Scan: s}
	defer func() { st.Pages = int(w.pages.Load()) }()
	from := time.Time{}
	if !s.Since.IsZero() {
		from = s.Since.Add(time.Nanosecond)
	}
	to, any, err := w.bound(ctx, from)
	if err != nil || !any {
		return st, err
	}
	st.Bound = to.Add(-time.Nanosecond)
	count := func(ex topo.Exclusion) error {
		st.Records++
		return fn(ex)
	}
	if s.Parallel <= 1 {
		st.Slices = 1
		err = w.window(ctx, from, to, 0, true, func(ex topo.Exclusion) error {
			if st.Records%PageSize == 0 {
				w.progress(st.Records)
			}
			return count(ex)
		})
		w.progress(st.Records)
		return st, err
	}
	st.Slices, err = w.slices(ctx, from, to, count, func() { w.progress(st.Records) })
	return st, err
}

func (w *walk) progress(n int) {
	if w.Progress != nil {
		w.Progress(n)
	}
}

// bound is the end of the walk, exclusive: just past the newest record's
// created_at (asked for with the order reversed). any is false when Topo
// holds none in range. A server that does not reverse the order gives
// its oldest records: the bound is then the server's clock, as far as
// its Date headers tell, plus the tolerance of its stamps.
func (w *walk) bound(ctx context.Context, from time.Time) (to time.Time, any bool, err error) {
	q := w.query(from, time.Time{}, 1)
	q.Size, q.Desc = 2, true
	var p *topo.Page[topo.Exclusion]
	for tries := 0; ; tries++ {
		if p, err = w.page(ctx, q); err != nil {
			return time.Time{}, false, err
		}
		// One item where two were asked and more are said to follow is not
		// the answer to this request (a stale cache's): ask again.
		if m, _ := more(p, 1); len(p.Items) != 1 || !m {
			break
		}
		if tries+1 >= maxStall {
			return time.Time{}, false, &ScanError{Page: int(w.pages.Load()), Reason: "Topo's list answers the newest records with an answer of another request"}
		}
	}
	if len(p.Items) == 0 {
		return time.Time{}, false, nil
	}
	newest := p.Items[0].CreatedAt
	for _, ex := range p.Items[1:] {
		if ex.CreatedAt.After(newest) {
			// Not newest first: the order was not reversed.
			newest = w.API.Clock().ServerNow(w.now()).Add(api.StampTolerance)
		}
	}
	return newest.Add(time.Nanosecond), true, nil
}

// query asks for records created in [from, to) sorted by created_at, on
// page. Both bounds are sent a little wide (a server that reads them in
// whole seconds, or as inclusive, must not cut records off); what falls
// outside is dropped here.
func (w *walk) query(from, to time.Time, page int) api.Query {
	q := api.Query{Page: page, Size: PageSize, SortBy: "created_at", Reason: w.Reason}
	if !from.IsZero() {
		q.CreatedAfter = from.Add(-time.Nanosecond)
	}
	if !to.IsZero() {
		q.CreatedBefore = to.Add(time.Second)
	}
	return q
}

// page reads one page through the retry policy.
func (w *walk) page(ctx context.Context, q api.Query) (*topo.Page[topo.Exclusion], error) {
	res := w.Retrier.Do(ctx, ctx, api.Call{
		Op:     api.OpPage,
		Send:   func(ctx context.Context) api.Answer { return w.API.List(ctx, w.Kind, q) },
		Accept: func(a api.Answer) bool { return a.Page != nil },
	})
	switch {
	case res.Interrupted:
		return nil, context.Cause(ctx)
	case res.Verdict == api.Fatal:
		return nil, fatal(res, "exclusions:read")
	case !res.Settled():
		return nil, &ScanError{Page: int(w.pages.Load()) + 1, Reason: api.Describe(res.Answer)}
	}
	w.pages.Add(1)
	return res.Answer.Page, nil
}

// ascending says a page came in created_at order, as asked: one that did
// not is not the answer to the request (a stale cache's answer to
// another), and is not read as if it were.
func ascending(items []topo.Exclusion) bool {
	return slices.IsSortedFunc(items, func(a, b topo.Exclusion) int { return a.CreatedAt.Compare(b.CreatedAt) })
}

// keep says whether a record is one the scan asked for (a server that
// ignores the reason filter must not widen an export).
func (w *walk) keep(ex topo.Exclusion) bool {
	return w.Reason == "" || ex.Reason == w.Reason
}

// more says what a page says of the pages after it: has_more, or its
// total_pages when it has no has_more; known is false when it says
// neither, or says what its own items contradict.
func more(p *topo.Page[topo.Exclusion], page int) (more, known bool) {
	if p.HasMore != nil {
		return *p.HasMore, true
	}
	if p.TotalPages != nil && (*p.TotalPages > 0 || len(p.Items) == 0) {
		return page < *p.TotalPages, true
	}
	return false, false
}

// ScanError is a page that could not be read after the retries, or a
// list that cannot be read completely.
type ScanError struct {
	Page   int
	Reason string
}

func (e *ScanError) Error() string {
	return fmt.Sprintf("reading Topo's list failed at request %d: %s", e.Page, e.Reason)
}

// errWindowLimit is a window that needed more requests than allowed.
var errWindowLimit = errors.New("the window holds more records than the requests allowed read")

// idsOf lists a page's ids in order.
func idsOf(items []topo.Exclusion) []string {
	ids := make([]string, len(items))
	for i, ex := range items {
		ids[i] = ex.ID
	}
	return ids
}
