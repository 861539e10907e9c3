package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/internal/input"
	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
	"github.com/topo-io/topo-exclusions/importer/internal/settle"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// removeRunner deletes the exclusions a list names.
type removeRunner struct{}

func (removeRunner) setup(ctx context.Context, s *session) error {
	if err := s.openForTopo(ctx, true, topo.ScopeExclusionsWrite); err != nil {
		return err
	}
	// Asked only now: a refused key, or a list already removed to the end,
	// needs no yes of anyone.
	if err := s.confirmRemoval(); err != nil {
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
// says how many rows name exclusions this run would remove (valid, not
// repeated, not removed by an earlier run already) and where, and goes on
// only on "yes". Off a terminal nobody can answer: without --yes the run
// stops before it sends anything. A run that will send nothing (a refused
// key, no row to remove) asks nothing.
func (s *session) confirmRemoval() error {
	if s.opts.Yes || s.link.stopped != nil {
		return nil
	}
	if !s.env.StdinTTY || !s.env.StderrTTY || s.opts.Input == "-" {
		return Usagef("remove deletes exclusions from Topo: pass --yes to confirm (off a terminal nobody can be asked; --dry-run lists what would go)")
	}
	n, counted, err := s.countRemovals()
	switch {
	case err != nil:
		return err
	case counted && n.send == 0:
		return nil
	}
	which := "the rows"
	if counted {
		which = report.Plural(n.send, "row")
	}
	fmt.Fprintf(s.env.Stderr, "Remove the exclusions that %s of %s name from Topo (%s)%s? This cannot be undone. Type yes to go on: ",
		which, s.opts.Input, s.link.client.BaseURL(), n.others())
	answer, _ := bufio.NewReader(s.env.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "yes", "y":
		return nil
	}
	return Usagef("not confirmed: nothing was removed")
}

// removals counts a removal list's rows by what the run will do of them.
type removals struct{ send, invalid, repeated, done int }

// others says, for the question, which rows are not counted.
func (n removals) others() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{n.invalid, "invalid"}, {n.repeated, "repeating an earlier row"}, {n.done, "settled by an earlier run"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (not counted: " + strings.Join(parts, ", ") + ")"
}

// countRemovals reads the list once more, through the one open of it,
// as the run will, to count the rows whose exclusions it would delete.
// ok is false where that cannot be done without a second read of a
// stream or a second open: a stream read as it comes, a workbook.
func (s *session) countRemovals() (n removals, ok bool, err error) {
	src := s.list.src
	if src == nil || src.f == nil || src.book || src.start == nil {
		return n, false, nil
	}
	opt := s.dec.read
	opt.Now = s.env.Now()
	opt.Delimiter = s.list.reader.Info().Delimiter
	rd, err := input.NewReader(io.NewSectionReader(src.f, 0, src.start.Size()), opt)
	if err != nil {
		return n, false, err
	}
	defer rd.Close()
	for {
		row, err := rd.Next()
		switch {
		case errors.Is(err, io.EOF):
			return n, true, nil
		case err != nil:
			return n, false, err
		case row.Status == rows.StatusInvalid:
			n.invalid++
		case row.Status == rows.StatusDuplicate:
			n.repeated++
		case s.settledBefore(row.Num):
			n.done++
		default:
			n.send++
		}
	}
}

// settledBefore says an earlier run of this journal settled row num.
func (s *session) settledBefore(num int) bool {
	if s.ledger == nil || s.ledger.Journal == nil {
		return false
	}
	_, ok := s.ledger.Journal.Settled(num)
	return ok
}
