package job

import (
	"context"
	"fmt"
	"net/http"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// export writes every exclusion Topo holds of the kind, complete or
// visibly partial like every output.
func (r *run) export(ctx, hard context.Context) error {
	kind := r.cfg.Read.Kind
	if kind == topo.KindAuto {
		kind = topo.Contacts
	}
	access, err := topo.CheckKey(ctx, r.send.client, r.send.retrier, kind)
	if err != nil {
		return err
	}
	if !access.Read || access.NoList {
		return &topo.AuthError{Status: http.StatusForbidden, Message: "the list endpoint refused the key", Scope: "exclusions:read"}
	}
	path := r.cfg.Export.Output
	if path == "" {
		path = "-"
	}
	out, err := createOutput("--output", path, r.env.Stdout)
	if err != nil {
		return err
	}
	w, err := report.NewExport(out.w, kind, r.cfg.Export.JSONL)
	if err != nil {
		out.pending.Cleanup()
		return err
	}
	o := &outputs{files: []*output{out}, set: &report.Set{Summary: r.sum}}
	o.flush = w.Flush
	if err := r.setOutputs(o); err != nil {
		return err
	}
	r.sum.Kind, r.sum.Report, r.sum.Paths.Report = kind.String(), displayName(path), path
	progress := r.newProgressOf(access.Total, "exporting")
	scan := importer.Scan{
		Remote: importer.Remote{API: r.send.client, Retrier: r.send.retrier, Kind: kind, Access: access},
		Since:  r.cfg.Export.Since, Reason: r.cfg.Export.Reason,
		Progress: func(n int) { progress.Set(n) },
	}
	st, err := scan.Each(ctx, func(ex topo.Exclusion) error {
		if hard.Err() != nil {
			return context.Cause(hard)
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.cut {
			return errCut
		}
		r.sum.Rows++
		return w.Write(ex)
	})
	progress.Finish()
	if err == nil {
		r.log.Info(fmt.Sprintf("exported %s in %s: every record created before %s", report.Plural(st.Records, "record"), report.Plural(st.Pages, "page"), st.Bound.Format("2006-01-02T15:04:05Z07:00")))
	}
	return err
}
