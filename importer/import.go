package importer

import (
	"context"
	"sync"

	"github.com/topo-io/topo-exclusions/importer/internal/settle"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// importRunner makes Topo hold every valid row, then looks for (and,
// asked to, stops) the running sequences of the people it excludes.
type importRunner struct{ outreach outreachMode }

func (r *importRunner) setup(ctx context.Context, s *session) error {
	if err := s.openForTopo(ctx, true, topo.ScopeExclusionsWrite); err != nil {
		return err
	}
	if a := s.link.access; !a.Read && !a.NoList && s.link.stopped == nil {
		s.log.Info("the key cannot read exclusions: after an unanswered attempt, rows are sent again and a 409 settles them")
	}
	var err error
	if r.outreach, err = s.decideOutreach(); err != nil {
		return err
	}
	return s.openRowOutputs()
}

func (r *importRunner) body(ctx, hard context.Context, s *session) error {
	remote := s.remote()
	defer s.withSnapshot(ctx, &remote)()
	var once sync.Once
	c := &settle.Creator{Remote: remote, Policy: s.dec.policy(s.opts.Topo.LiftOptOuts), OnBlind: func() {
		once.Do(func() {
			s.warn("the key cannot read exclusions: existing records cannot be compared with the rows, so rows Topo already holds are reported exists however long they last")
		})
	}, OnDuplicate: func() { s.link.duplicates.Add(1) }}
	return s.pass(ctx, hard, c, "importing", r.outreach)
}
