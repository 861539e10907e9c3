package job

import "context"

// export writes every exclusion Topo holds.
func (r *run) export(ctx, hard context.Context) error {
	return Usagef("export: not yet")
}
