package settle

import (
	"context"
	"fmt"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// PageSize is the list endpoint's largest page.
const PageSize = 100

// Scan is one walk through everything Topo holds of a kind (export, the
// snapshot), written to be right while others write.
type Scan struct {
	Remote
	// Since keeps records created after it; Reason those with that reason.
	Since  time.Time
	Reason string
	// Progress, when set, is told how many records were read so far.
	Progress func(records int)
}

// ScanStats is what a scan read.
type ScanStats struct {
	Records, Pages int
	// Bound is the fixed upper bound taken at the start: every record
	// created before it was read.
	Bound time.Time
}

// Each calls fn once for every record Topo holds that was created before
// the scan started (and after Since), in order of creation.
//
// Paging is on created_at, not page numbers alone: a fixed upper bound
// (the server's clock at the start, as bounded by its answers, plus a
// second) keeps out records created during the scan, so pages do not
// shift under it; each next request asks for records created after the
// last page's last one, less a second, and the records of that overlap
// are recognised by id and skipped, so that records sharing a timestamp
// across a page edge are neither skipped nor written twice whether the
// API's filter is strict or not. Only when a whole page falls within one
// overlap (more than 100 records in a second) does it move on by page
// number. Memory is a page and the ids of one overlap.
func (s *Scan) Each(ctx context.Context, fn func(topo.Exclusion) error) (ScanStats, error) {
	st := ScanStats{Bound: s.API.Clock().ServerNow(s.now()).Add(time.Second).Truncate(time.Second)}
	after, page := s.Since, 1
	seen := map[string]time.Time{} // ids read at or after the current `after`
	for {
		q := api.Query{Page: page, Size: PageSize, SortBy: "created_at", CreatedBefore: st.Bound, CreatedAfter: after, Reason: s.Reason}
		res := s.Retrier.Do(ctx, ctx, api.Call{
			Op:     api.OpPage,
			Send:   func(ctx context.Context) api.Answer { return s.API.List(ctx, s.Kind, q) },
			Accept: func(a api.Answer) bool { return a.Page != nil },
		})
		switch {
		case res.Interrupted:
			return st, context.Cause(ctx)
		case res.Verdict == api.Fatal:
			return st, fatal(res, "exclusions:read")
		case !res.Settled():
			return st, &ScanError{Page: st.Pages + 1, Reason: api.Describe(res.Answer)}
		}
		st.Pages++
		items := res.Answer.Page.Items
		for _, ex := range items {
			// Read already (the overlap), before what is left to read (an API
			// that ignored the filter), outside the bounds: not again.
			if _, ok := seen[ex.ID]; ok || ex.CreatedAt.Before(after) || !ex.CreatedAt.Before(st.Bound) ||
				(!s.Since.IsZero() && !ex.CreatedAt.After(s.Since)) {
				continue
			}
			seen[ex.ID] = ex.CreatedAt
			st.Records++
			if err := fn(ex); err != nil {
				return st, err
			}
		}
		if s.Progress != nil {
			s.Progress(st.Records)
		}
		if len(items) < PageSize {
			return st, nil
		}
		// Read again from the last record's second: an API whose filters
		// know only whole seconds misses nothing, and records stamped
		// exactly on it (whole-second stamps) are read a second earlier.
		last := items[len(items)-1].CreatedAt
		next := last.Truncate(time.Second)
		if next.Equal(last) {
			next = next.Add(-time.Second)
		}
		if !next.After(after) {
			page++ // the page was all one overlap: step past it
			continue
		}
		after, page = next, 1
		for id, at := range seen {
			if at.Before(after) {
				delete(seen, id)
			}
		}
	}
}

// ScanError is a page that could not be read after the retries.
type ScanError struct {
	Page   int
	Reason string
}

func (e *ScanError) Error() string {
	return fmt.Sprintf("reading Topo's list failed at page %d: %s", e.Page, e.Reason)
}
