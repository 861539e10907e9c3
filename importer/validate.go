package importer

import (
	"context"

	"github.com/topo-io/topo-exclusions/importer/internal/input"
)

// validateRunner checks every row and sends nothing.
type validateRunner struct{}

func (validateRunner) setup(ctx context.Context, s *session) error {
	if err := s.openList(ctx, false); err != nil {
		return err
	}
	return s.openRowOutputs()
}

func (validateRunner) body(ctx, _ context.Context, s *session) error {
	return input.CheckAll(ctx, s.list.reader, s.rows)
}
