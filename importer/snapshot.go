package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/input"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/internal/settle"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// wantSnapshot decides whether to read Topo's whole list before the rows:
// always, never, or (auto) when reading it costs fewer requests than the
// rows still to decide would (toDecide < 0: not known, so no). A key that
// cannot read the list, or a list endpoint Topo lacks, means none.
func wantSnapshot(policy snapshotPolicy, access api.Access, toDecide int) bool {
	switch {
	case policy == snapshotNever || !access.Read || access.NoList:
		return false
	case policy == snapshotAlways:
		return true
	case !access.TotalKnown:
		return false // its size is not known, nor what reading it costs
	}
	pages := (access.Total + settle.PageSize - 1) / settle.PageSize
	return toDecide >= 0 && pages < toDecide
}

// withSnapshot gives remote Topo's list when wantSnapshot says to read
// it, and returns what frees it once the pass is done. Interrupted while
// reading it, the run stops, every row still recorded.
func (s *session) withSnapshot(ctx context.Context, remote *settle.Remote) (free func()) {
	idx, err := s.snapshot(ctx, *remote)
	if err != nil && s.link.stopped == nil {
		s.link.stopped = err
	}
	if idx == nil {
		return func() {}
	}
	remote.Snapshot = idx
	return idx.Free
}

// snapshot reads what Topo holds into an Index when wantSnapshot says so.
// A snapshot that cannot be read is said, and the rows are decided one by
// one; an interrupted one stops the run (every row still recorded).
func (s *session) snapshot(ctx context.Context, remote settle.Remote) (*settle.Index, error) {
	l := s.link
	if l.stopped != nil {
		return nil, nil
	}
	if !wantSnapshot(s.dec.snapshot, l.access, s.rowsToDecide()) {
		if s.dec.snapshot == snapshotAlways {
			s.warn("--snapshot always: the key cannot read Topo's list, so rows are decided one by one")
		}
		return nil, nil
	}
	idx := settle.NewIndex(s.env.Now())
	if l.access.TotalKnown && l.access.Total == 0 {
		return idx, nil // Topo holds none: every row is absent, no page to read
	}
	if l.access.TotalKnown {
		pages := (l.access.Total + settle.PageSize - 1) / settle.PageSize
		s.log.Info(fmt.Sprintf("reading Topo's %s (%s) to decide the rows without a request each", report.Plural(l.access.Total, "exclusion"), report.Plural(pages, "page")))
	} else {
		s.log.Info("reading Topo's list (it does not say how long it is) to decide the rows without a request each")
	}
	scan := settle.Scan{Remote: remote, Parallel: scanParallel(s.opts.Topo.Concurrency)}
	if l.access.TotalKnown {
		scan.Total = l.access.Total
	}
	st, err := scan.Each(ctx, func(ex topo.Exclusion) error { idx.Add(ex); return nil })
	if err != nil {
		idx.Free()
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil, err
		}
		s.warn(fmt.Sprintf("%v: deciding the rows one by one instead", err))
		return nil, nil
	}
	s.sum.Snapshot = &report.SnapshotSummary{Records: idx.Len(), Requests: int64(st.Pages), Bytes: int64(idx.Bytes())}
	return idx, nil
}

// rowsToDecide is the input's data rows that neither an earlier run
// settled nor the cron state knows; -1 when that is not known. With a
// state, that takes a validation pass over the input (a second of CPU a
// million rows); otherwise a count of the rows.
func (s *session) rowsToDecide() int {
	if s.list.total < 0 {
		return -1
	}
	var known pipeline.Known
	if s.ledger != nil && s.ledger.State != nil {
		known = s.ledger.State
	}
	if s.ledger != nil && s.ledger.Journal.AllUnsure() {
		// Every row is looked up first (a forced rerun, lost memory): a
		// snapshot would settle none of them.
		return 0
	}
	if known == nil {
		n := s.list.total
		if s.ledger != nil {
			// Rows an earlier run settled need nothing, and those it may
			// have sent are looked up whatever the snapshot says.
			settled, unsure := s.ledger.Journal.Resumed()
			n -= settled + unsure
		}
		return n
	}
	return s.unknownRows(known)
}

// unknownRows counts the valid rows known neither to the state nor, as
// settled, to the journal.
func (s *session) unknownRows(known pipeline.Known) int {
	src := s.list.src
	if src == nil || src.f == nil || src.book || src.start == nil {
		return -1 // not without a second read of a stream, or a second open
	}
	opt := s.dec.read
	opt.Delimiter, opt.Now = s.list.reader.Info().Delimiter, s.env.Now()
	rd, err := input.NewReader(io.NewSectionReader(src.f, 0, src.start.Size()), opt)
	if err != nil {
		return -1
	}
	defer rd.Close()
	n := 0
	for {
		row, err := rd.Next()
		if err != nil {
			return n
		}
		if row.Status != rows.StatusValid || known.Has(row) {
			continue
		}
		if s.ledger != nil {
			if _, ok := s.ledger.Journal.Settled(row.Num); ok || s.ledger.Journal.Prior(row.Num).MaybeSent {
				continue
			}
		}
		n++
	}
}
