package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/report"
)

// summaryAsked is the --summary path the command line names, read before
// (and whatever) the flags fail to parse: a scheduler told that the
// summary is written on every exit gets one for a bad flag value too.
// The last one given wins, as pflag has it; "" when none.
func summaryAsked(args []string) string {
	path := ""
	for i, a := range args {
		switch {
		case a == "--":
			return path
		case strings.HasPrefix(a, "--summary="):
			path = strings.TrimPrefix(a, "--summary=")
		case a == "--summary" && i+1 < len(args):
			path = args[i+1]
		}
	}
	return path
}

// writeUsageSummary writes the summary of a command line that could not
// be parsed: status failed, exit 2, the error; nothing was read or sent.
func writeUsageSummary(e *env, cmd *cobra.Command, path string, msg string) {
	now := time.Now()
	if e.Now != nil {
		now = e.Now()
	}
	name := ""
	if cmd != nil && cmd.HasParent() {
		name = cmd.Name()
	}
	sum := report.NewSummary(name, "", now)
	sum.Error = msg
	sum.Paths.Summary = path
	sum.Finish(now, importer.ExitUsage, "failed")
	var b bytes.Buffer
	if err := sum.WriteJSON(&b); err != nil {
		return
	}
	if path == "-" {
		e.Stdout.Write(b.Bytes())
		return
	}
	if !filepath.IsAbs(path) && e.Dir != "" {
		path = filepath.Join(e.Dir, path)
	}
	if err := replaceFile(path, b.Bytes()); err != nil {
		fmt.Fprintf(e.Stderr, "topo-exclusions: writing --summary %s: %v\n", path, err)
	}
}

// replaceFile writes data to a new file beside path and renames it over
// path: a reader sees the old summary or the new one, never half of one.
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // gone once renamed
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// helpCommand is 'help [COMMAND]': the command's help, or, for a command
// there is none of, a usage error (exit 2) with the suggestions cobra
// would make, not cobra's help of the root and exit 0.
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Help about any command",
		Long:  "Help provides help for any command: topo-exclusions help COMMAND.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, sub := range root.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || target == nil {
				topic := strings.Join(args, " ")
				msg := fmt.Sprintf("no help topic %q", topic)
				if s := root.SuggestionsFor(args[len(args)-1]); len(s) > 0 {
					msg += fmt.Sprintf(": did you mean %s?", strings.Join(s, " or "))
				}
				return errors.New(msg)
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}
