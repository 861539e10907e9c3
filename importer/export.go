package importer

import (
	"context"
	"fmt"
	"net/http"

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
	err := s.withProgress(ctx, s.link.access.Total, "exporting", func(progress report.Progress) error {
		scan := settle.Scan{
			Remote: settle.Remote{API: s.link.client, Retrier: s.link.retrier, Kind: e.kind, Access: s.link.access, Now: s.env.Now},
			Since:  s.opts.Export.Since, Reason: s.dec.reason,
		}
		scan.Progress = progress.Set
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
	if err == nil {
		s.log.Info(fmt.Sprintf("exported %s in %s: every record created before %s", report.Plural(st.Records, "record"), report.Plural(st.Pages, "page"), st.Bound.Format("2006-01-02T15:04:05Z07:00")))
	}
	return err
}
