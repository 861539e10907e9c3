package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/topo-io/topo-exclusions/importer"
)

// version is set at build time with -ldflags "-X main.version=..." (make
// build, make dist); see versionOf for 'go install ...@latest'.
var version = "dev"

// versionOf is the version to show: the one embedded, or, in a binary
// built without one by 'go install module@v1.2.3', the module version Go
// recorded in it.
func versionOf(embedded string) string {
	if embedded != "dev" {
		return embedded
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return embedded
}

// env is the process as a command sees it: the run's surroundings (its
// streams, environment, folders, collaborators), and the first stop.
// main hands in the process's; the tests that call run in-process their
// own.
type env struct {
	importer.Env
	// soft is the first stop (SIGINT, SIGTERM, SIGHUP); Env.Hard and
	// Env.Cut hold the second and the third.
	soft context.Context
}

// run is the whole program: main only wires the process to it, so tests
// call it directly. It returns the exit code: a run's own, decided by
// the engine, or ExitUsage for a command line that cannot be parsed.
func run(e *env, args []string) int {
	if e.soft == nil {
		e.soft = context.Background()
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	e.StateDir, e.CacheDir = userDirs(e.Getenv)
	e.UserAgent = "topo-exclusions/" + versionOf(version)
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.Stdin)
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	cmd, err := root.ExecuteC()
	var exit *importer.ExitError
	if err == nil || errors.As(err, &exit) {
		return importer.ExitCode(err) // the run said what happened
	}
	if path := summaryAsked(args); path != "" {
		writeUsageSummary(e, cmd, path, strings.TrimSpace(strings.TrimPrefix(err.Error(), "Error: ")))
	}
	return usageFailure(e, cmd, err, jsonLogsAsked(args))
}

// jsonLogsAsked says whether the command line asks for JSON logs, read
// before (and whatever) the flags fail to parse: a scheduler that reads
// JSON lines must get its usage errors as JSON too.
func jsonLogsAsked(args []string) bool {
	for i, a := range args {
		switch {
		case a == "--":
			return false
		case a == "--log-format=json", a == "--log-format" && i+1 < len(args) && args[i+1] == "json":
			return true
		}
	}
	return false
}

// usageFailure says what was wrong with the command line, in one line
// (unknown commands add their suggestions), and exits 2.
func usageFailure(e *env, cmd *cobra.Command, err error, jsonLogs bool) int {
	msg := strings.TrimSpace(strings.TrimPrefix(err.Error(), "Error: "))
	hint := fmt.Sprintf("see '%s --help'", cmd.CommandPath())
	unknown := strings.HasPrefix(msg, "unknown command") && !cmd.HasParent() || cmd.Name() == "help"
	if unknown {
		hint = "run 'topo-exclusions --help' for the commands"
	}
	if jsonLogs {
		// One line, suggestions and all.
		e.logger(e.Stderr, false, true).Error(strings.Join(strings.Fields(msg), " "), "command", cmd.CommandPath(), "hint", hint, "exit_code", importer.ExitUsage)
		return importer.ExitUsage
	}
	if unknown {
		fmt.Fprintf(e.Stderr, "topo-exclusions: %s\n", msg)
		fmt.Fprintln(e.Stderr, "Run 'topo-exclusions --help' for the commands.")
		return importer.ExitUsage
	}
	fmt.Fprintf(e.Stderr, "topo-exclusions: %s: %s (%s)\n", cmd.Name(), msg, hint)
	return importer.ExitUsage
}

const rootLong = `topo-exclusions loads suppression lists (people, or whole company domains,
that must not be contacted) into Topo's exclusions, checks them first, and
exports or removes what Topo holds.

FILE is a CSV or tab-separated export (UTF-8, UTF-16 or Windows-1252; comma,
semicolon, tab or pipe), an Excel workbook (.xlsx, .xlsm), or - for
standard input.

Exit codes:
  0    every row settled as asked (created, exists, extended…), or nothing to do
  1    some rows need action: see the failures file
  2    usage or setup error: bad flag, file or base URL; nothing was sent
  3    aborted: the key was refused, Topo unreachable, --max-failures reached
  4    stopped after requests went out (journal or report not writable)
  130  interrupted
After 3, 4 or 130, run the same command again: it resumes and sends nothing twice.`

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "topo-exclusions",
		Short:         "Load suppression lists into Topo's exclusions",
		Long:          rootLong,
		Version:       versionOf(version),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(c *cobra.Command, _ []string) error {
			return c.Help()
		},
	}
	root.SetVersionTemplate("topo-exclusions {{.Version}}\n")
	root.SetUsageFunc(groupedUsage)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	root.SetHelpCommand(helpCommand(root))
	root.AddCommand(
		validateCommand(e), importCommand(e), planCommand(e), removeCommand(e), exportCommand(e),
		mockServerCommand(e), versionCommand(), manCommand(),
	)
	return root
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			w := c.OutOrStdout()
			fmt.Fprintf(w, "topo-exclusions %s\n", versionOf(version))
			if info, ok := debug.ReadBuildInfo(); ok {
				fmt.Fprintf(w, "go: %s\nmodule: %s %s\n", info.GoVersion, info.Main.Path, info.Main.Version)
				for _, s := range info.Settings {
					if strings.HasPrefix(s.Key, "vcs.") || s.Key == "GOOS" || s.Key == "GOARCH" {
						fmt.Fprintf(w, "%s: %s\n", s.Key, s.Value)
					}
				}
			}
			return nil
		},
	}
}

// logger logs to stderr as text (for people: no timestamps, schedulers
// stamp their own) or JSON (for log pipelines: with them).
func (e *env) logger(w io.Writer, quiet, jsonLogs bool) *slog.Logger {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelError
	}
	if jsonLogs {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// userDirs are where a user's runs are recorded (XDG_STATE_HOME) and what
// was learnt of Topo's pace kept (XDG_CACHE_HOME).
func userDirs(getenv func(string) string) (state, cache string) {
	home := getenv("HOME")
	state, cache = getenv("XDG_STATE_HOME"), getenv("XDG_CACHE_HOME")
	if state == "" && home != "" {
		state = filepath.Join(home, ".local", "state")
	}
	if cache == "" && home != "" {
		cache = filepath.Join(home, ".cache")
	}
	if state != "" {
		state = filepath.Join(state, "topo-exclusions", "runs")
	}
	if cache != "" {
		cache = filepath.Join(cache, "topo-exclusions")
	}
	return state, cache
}

// oneFile is the arguments of a command that reads a list.
func oneFile(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return errors.New("needs exactly one FILE, or - for standard input")
	}
	return nil
}

// noArgs is the arguments of a command that takes none.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments (got %q)", args[0])
	}
	return nil
}
