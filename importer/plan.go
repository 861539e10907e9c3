package importer

import (
	"context"
	"net/http"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/settle"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// planRunner asks Topo what an import (or a removal) would do, and writes
// nothing.
type planRunner struct{ outreach outreachMode }

func (r *planRunner) setup(ctx context.Context, s *session) error {
	if err := s.openForTopo(ctx, false, topo.ScopeExclusionsRead); err != nil {
		return err
	}
	if !s.link.access.Read && s.link.stopped == nil {
		s.link.stopped = &api.AuthError{Status: http.StatusForbidden, Message: "the list endpoint refused the key", Scope: "exclusions:read"}
	}
	if !s.opts.Removal {
		var err error
		if r.outreach, err = s.decideOutreach(); err != nil {
			return err
		}
	}
	return s.openRowOutputs()
}

func (r *planRunner) body(ctx, hard context.Context, s *session) error {
	remote := s.remote()
	if !s.opts.Removal {
		defer s.withSnapshot(ctx, &remote)()
	}
	p := &settle.Planner{Remote: remote, Policy: s.dec.policy(s.opts.Topo.LiftOptOuts), Removal: s.opts.Removal}
	return s.pass(ctx, hard, p, "planning", r.outreach)
}
