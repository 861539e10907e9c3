package main

import (
	"context"
)

const importUsage = `Usage: topo-exclusions import --dry-run [flags] FILE

With --dry-run: read, validate and report, exactly like 'validate'; nothing
is sent and no API key is needed.

Examples:
  topo-exclusions import --dry-run unsubscribes.csv
  topo-exclusions import --dry-run --default-reason unsubscribed --summary run.json export.csv

Flags:
`

func runImport(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "import", importUsage)
	var rf readFlags
	rf.register(fs)
	dryRun := fs.Bool("dry-run", false, "validate and report only; send nothing")
	path, err := parseCommand(fs, args)
	if err != nil {
		return err
	}
	if !*dryRun {
		return usagef("import: sending is not built yet; use --dry-run (see --help)")
	}
	return checkFile(ctx, env, "import --dry-run", path, &rf)
}
