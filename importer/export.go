package importer

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/settle"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// exportRunner writes every exclusion Topo holds of the kind, complete or
// visibly partial like every output.
type exportRunner struct {
	kind topo.Kind
	w    *report.Export
}

func (e *exportRunner) setup(ctx context.Context, s *session) error {
	if err := s.connect(); err != nil {
		return err
	}
	e.kind = s.dec.read.Kind
	if e.kind == topo.KindAuto {
		e.kind = topo.Contacts
	}
	access, err := api.CheckKey(ctx, s.link.client, s.link.retrier, e.kind)
	if err != nil {
		return err
	}
	if !access.Read || access.NoList {
		return &api.AuthError{Status: http.StatusForbidden, Message: "the list endpoint refused the key", Scope: "exclusions:read"}
	}
	s.link.access = access
	out, err := createOutput("--output", s.paths.export, s.paths.show(s.paths.export), s.env.Stdout)
	if err != nil {
		return err
	}
	if e.w, err = report.NewExport(out.w, e.kind, s.opts.Export.JSONL); err != nil {
		(&outputs{files: []*output{out}}).discard()
		return err
	}
	s.sum.Kind, s.sum.Report, s.sum.Paths.Report = e.kind.String(), s.paths.show(s.paths.export), s.paths.export
	return s.setOutputs(&outputs{files: []*output{out}, flush: e.w.Flush})
}

func (e *exportRunner) body(ctx, hard context.Context, s *session) error {
	var st settle.ScanStats
	total := -1
	if s.link.access.TotalKnown {
		total = s.link.access.Total
	}
	err := s.withProgress(ctx, total, "exporting", func(progress report.Progress) error {
		scan := settle.Scan{
			Remote: settle.Remote{API: s.link.client, Retrier: s.link.retrier, Kind: e.kind, Access: s.link.access, Now: s.env.Now},
			Since:  s.opts.Export.Since, Reason: s.dec.reason, Parallel: scanParallel(s.opts.Topo.Concurrency),
		}
		scan.Progress, scan.Total = progress.Set, max(total, 0)
		var err error
		st, err = scan.Each(ctx, func(ex topo.Exclusion) error {
			if hard.Err() != nil {
				return context.Cause(hard)
			}
			return s.out.do(func() error {
				s.sum.Rows++
				return e.w.Write(ex)
			})
		})
		return err
	})
	switch {
	case err != nil:
		// Whatever stopped it, the file holds only part of Topo's list: it
		// is left under a name that says so, never the final one.
		return &cutExport{err: err}
	case st.Bound.IsZero():
		s.log.Info("exported nothing: Topo holds no such exclusion")
	default:
		s.log.Info(fmt.Sprintf("exported %s in %s (%s): every record created up to %s, the newest when the export began",
			report.Plural(st.Records, "record"), report.Plural(st.Pages, "page"), report.Plural(st.Slices, "slice"), st.Bound.UTC().Format(time.RFC3339Nano)))
	}
	return nil
}

// cutExport is an export that did not read Topo's list to its end: its
// file is left partial (errCut), and the run ends interrupted (a signal)
// or aborted (Topo's list could not be read completely).
type cutExport struct{ err error }

func (e *cutExport) Error() string   { return e.err.Error() }
func (e *cutExport) Unwrap() []error { return []error{e.err, errCut} }

// Abort marks a read that failed a stop with the file left partial.
func (e *cutExport) Abort() bool { return true }

// scanParallel is how many slices of Topo's list are read at once: what
// --concurrency gives, or enough to keep a pace of a hundred requests a
// second busy at Topo's usual latency.
func scanParallel(concurrency int) int {
	if concurrency > 0 {
		return min(concurrency, maxScanSlices)
	}
	return defaultScanSlices
}

// Bounds of scanParallel: each slice being read holds up to twenty pages
// of records until the slices before it are written.
const (
	defaultScanSlices = 12
	maxScanSlices     = 32
)
