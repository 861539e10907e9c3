package importer

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
	"github.com/topo-io/topo-exclusions/importer/internal/settle"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// removeRunner deletes the exclusions a list names.
type removeRunner struct{}

func (removeRunner) setup(ctx context.Context, s *session) error {
	if err := s.connect(); err != nil {
		return err
	}
	if err := s.openList(ctx, true); err != nil {
		return err
	}
	s.list.total = s.list.count(s.dec.read)
	if err := s.lockLedger(); err != nil {
		return err
	}
	if err := s.confirmRemoval(); err != nil {
		return err
	}
	if err := s.checkKey(ctx, s.list.reader.Info().Kind, topo.ScopeExclusionsWrite); err != nil {
		return err
	}
	if err := s.openLedger(); err != nil {
		return err
	}
	if s.link.stopped == nil {
		// A completed import of a list this removal undoes in part is
		// no longer done: the registry says a removal ran.
		if err := ledger.NoteRemoval(s.registryDir(), s.topoID(), s.env.Now()); err != nil {
			s.warn(fmt.Sprintf("could not note the removal in the run registry: %v", err))
		}
		s.openForgetting()
	}
	return s.openRowOutputs()
}

func (removeRunner) body(ctx, hard context.Context, s *session) error {
	return s.pass(ctx, hard, &settle.Remover{Remote: s.remote(), LiftOptOuts: s.opts.Topo.LiftOptOuts}, "removing", outreachOff)
}

// confirmRemoval asks, on a terminal, before anything is deleted: it
// shows how many rows name exclusions to remove and where, and goes on
// only on "yes". Off a terminal nobody can answer: without --yes the run
// stops before it sends anything.
func (s *session) confirmRemoval() error {
	if s.opts.Yes {
		return nil
	}
	if !s.env.StdinTTY || !s.env.StderrTTY || s.opts.Input == "-" {
		return Usagef("remove deletes exclusions from Topo: pass --yes to confirm (off a terminal nobody can be asked; --dry-run lists what would go)")
	}
	rows := "the rows"
	if s.list.total >= 0 {
		rows = fmt.Sprintf("%d rows", s.list.total)
	}
	fmt.Fprintf(s.env.Stderr, "Remove the exclusions that %s of %s name from Topo (%s)? This cannot be undone. Type yes to go on: ",
		rows, s.opts.Input, s.link.client.BaseURL())
	answer, _ := bufio.NewReader(s.env.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "yes", "y":
		return nil
	}
	return Usagef("not confirmed: nothing was removed")
}
