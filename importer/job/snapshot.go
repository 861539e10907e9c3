package job

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/importer/input"
	"github.com/topo-io/topo-exclusions/importer/ledger"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// snapshot loads what Topo holds into an Index when --snapshot says so:
// always, or (auto) when reading Topo's whole list costs fewer requests
// than the rows still to decide would. Without a key that can read, or a
// list endpoint, there is none. A snapshot that cannot be read is said,
// and the rows are decided one by one.
func (r *run) snapshot(ctx context.Context, remote importer.Remote) (*importer.Index, error) {
	s, mode := r.send, r.cfg.Topo.Snapshot
	if mode == SnapshotNever || !s.access.Read || s.access.NoList || s.stopped != nil {
		if mode == SnapshotAlways && s.stopped == nil {
			r.warn("--snapshot always: the key cannot read Topo's list, so rows are decided one by one")
		}
		return nil, nil
	}
	pages := (s.access.Total + importer.PageSize - 1) / importer.PageSize
	if mode == SnapshotAuto {
		rows := r.rowsToDecide()
		if rows < 0 || pages >= rows {
			return nil, nil
		}
	}
	idx := importer.NewIndex()
	if s.access.Total == 0 {
		return idx, nil // Topo holds none: every row is absent, no page to read
	}
	r.log.Info(fmt.Sprintf("reading Topo's %s (%s) to decide the rows without a request each", report.Plural(s.access.Total, "exclusion"), report.Plural(pages, "page")))
	scan := importer.Scan{Remote: remote}
	st, err := scan.Each(ctx, func(ex topo.Exclusion) error { idx.Add(ex); return nil })
	if err != nil {
		idx.Free()
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil, err
		}
		r.warn(fmt.Sprintf("%v: deciding the rows one by one instead", err))
		return nil, nil
	}
	r.sum.Snapshot = &report.SnapshotSummary{Records: idx.Len(), Requests: int64(st.Pages), Bytes: int64(idx.Bytes())}
	return idx, nil
}

// rowsToDecide is the input's data rows that neither an earlier run
// settled nor the cron state knows; -1 when that is not known. With a
// state, that takes a validation pass over the input (a second of CPU a
// million rows); otherwise a count of the rows.
func (r *run) rowsToDecide() int {
	if r.total < 0 {
		return -1
	}
	var known importer.Known
	if r.session != nil && r.session.State != nil {
		known = r.session.State
	} else if r.cfg.Command == Plan && r.paths.state != "" {
		st, err := ledger.ReadState(r.paths.state)
		if err != nil {
			return -1
		}
		known = st
	}
	if known == nil {
		n := r.total
		if r.session != nil {
			settled, _ := r.session.Journal.Resumed()
			n -= settled
		}
		return n
	}
	return r.unknownRows(known)
}

// unknownRows counts the valid rows known neither to the state nor, as
// settled, to the journal.
func (r *run) unknownRows(known importer.Known) int {
	name := r.cfg.Input
	if r.spool != nil {
		name = r.spool.Path
	}
	f, err := os.Open(name)
	if err != nil {
		return -1
	}
	defer f.Close()
	opt := r.cfg.Read
	opt.Removal, opt.Delimiter = r.cfg.Removal, r.reader.Info().Delimiter
	rd, err := input.NewReader(f, opt)
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
		if row.Status != importer.StatusValid || known.Has(row) {
			continue
		}
		if r.session != nil {
			if _, ok := r.session.Journal.Settled(row.Num); ok {
				continue
			}
		}
		n++
	}
}
