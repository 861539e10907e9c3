package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/topo-io/topo-exclusions/importer"
)

func removeCommand(e *env) *cobra.Command {
	f := newFlags(e)
	var dryRun, yes bool
	c := &cobra.Command{
		Use:   "remove [flags] FILE",
		Short: "Delete the exclusions a list names",
		Long: `Deletes the exclusions FILE names: by its id column (an export, or an
import's report, works as the input), or else every exclusion holding a
row's email, LinkedIn URL or domain, found with the list endpoint. Each row
ends removed or not_found (Topo holds no such exclusion: the person is not
excluded, as asked) on Topo's own answer, or failed, unknown or
not_attempted, which the failures file holds.

The same journal, resume, locks, report, summary and exit codes as import;
the report's held_* columns keep each record deleted, so a removal can be
undone from it. It is destructive: on a terminal, after the key check, it
says how many rows name exclusions it would remove and asks; off a
terminal it refuses without --yes. --dry-run (or 'plan --remove')
lists what would go.`,
		Example: `  topo-exclusions remove opted-back-in.csv
  topo-exclusions remove --yes --log-format json wrong-upload.report.csv   # by id, from cron
  topo-exclusions remove --dry-run test-records.csv`,
		Args: oneFile,
		RunE: func(_ *cobra.Command, args []string) error {
			cmd := importer.Remove
			if dryRun {
				cmd = importer.Plan
			}
			opt, err := f.options(cmd, args[0])
			if err != nil {
				return err
			}
			opt.Removal, opt.Yes = true, yes
			return e.runEngine(opt, f)
		},
	}
	sendingCommand(c, f, ".removal.csv")
	f.addLift(c, "delete opt-outs too (UNSUBSCRIBED, CONTACT_REFUSED or BOUNCED records), each listed in the summary; without it they stay, protected")
	f.addResume(c)
	c.Flags().BoolVarP(&yes, "yes", "y", false, "remove without asking (needed off a terminal)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "list what would go; delete nothing (the same as plan --remove)")
	return c
}

func exportCommand(e *env) *cobra.Command {
	f := newFlags(e)
	format := newEnum("csv", "csv", "jsonl")
	var output, since, reason string
	c := &cobra.Command{
		Use:   "export [flags]",
		Short: "Write every exclusion Topo holds, as CSV or JSON lines",
		Long: `Writes every contact exclusion (--kind accounts: every account exclusion)
Topo holds, in the dashboard's import columns plus id, created_at and
updated_at, so that an export imports back unchanged; or, with --format
jsonl, one JSON object a line. Pages of 100, paced and retried like every
request. Every record that existed when the export started is written
exactly once, even while others create records.`,
		Example: `  topo-exclusions export --output exclusions.csv
  topo-exclusions export --format jsonl --output - | jq .email
  topo-exclusions export --since 2026-11-01 --reason unsubscribed --output november.csv
  topo-exclusions export --kind accounts --output domains.csv`,
		Args: noArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			opt, err := f.options(importer.Export, "")
			if err != nil {
				return err
			}
			opt.Export = importer.ExportOptions{Output: output, JSONL: format.value == "jsonl", Reason: reason}
			if since != "" {
				if opt.Export.Since, err = parseSince(since); err != nil {
					return err
				}
			}
			return e.runEngine(opt, f)
		},
	}
	f.kind = newEnum("contacts", "contacts", "accounts")
	enumFlag(c, f.kind, "kind", "which exclusions: contacts or accounts")
	c.Flags().StringVarP(&output, "output", "o", "-", "file to write (complete, or left as FILE.partial when cut short), or - for standard output")
	enumFlag(c, format, "format", "csv (the dashboard's columns, imports back) or jsonl")
	c.Flags().StringVar(&since, "since", "", "only records created after this date or RFC 3339 time")
	c.Flags().StringVar(&reason, "reason", "", "only records with this reason")
	group(c.Flags(), "Input", "kind", "since", "reason")
	group(c.Flags(), "Outputs", "output", "format")
	f.addTopo(c)
	f.addOutputs(c, false, "")
	return c
}

// parseSince reads --since: a date (its start, UTC) or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, importer.Usagef("--since %q: want a date (2026-11-01) or an RFC 3339 time", s)
	}
	return t, nil
}
