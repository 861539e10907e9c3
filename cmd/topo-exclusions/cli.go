package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const topUsage = `topo-exclusions loads suppression lists (people who must not be contacted)
into Topo's contact exclusions, and checks them first.

Usage:
  topo-exclusions validate [flags] FILE    check a list, send nothing
  topo-exclusions import [flags] FILE      check a list and send it to Topo
  topo-exclusions import --dry-run FILE    the same as validate
  topo-exclusions plan [flags] FILE        ask Topo which rows it already has; write nothing
  topo-exclusions mock-server [flags]      serve a local stand-in for Topo's API
  topo-exclusions version                  print the version and build info

FILE is a CSV or tab-separated export (UTF-8, UTF-16 or Windows-1252;
comma, semicolon or tab), or - for standard input.
Run 'topo-exclusions COMMAND --help' for a command's flags and examples.

Exit codes:
  0    every row valid (and, when sending, created or already excluded)
  1    some rows invalid or failed (see the report and the failures file)
  2    usage or setup error: bad flag, unreadable file, unusable header
  3    the run was aborted (auth refused, too many failures)
  130  interrupted
`

// run is the whole program: main only wires the process to it, so tests
// can call it directly.
//
// ctx is the first stop (drain); hard, the second (stop now).
func run(ctx, hard context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	env := &environment{stdin: stdin, stdout: stdout, stderr: stderr, hard: hard}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "validate":
		err = runValidate(ctx, env, "validate", rest)
	case "import":
		err = runImport(ctx, env, rest)
	case "plan":
		err = runPlan(ctx, env, rest)
	case "mock-server":
		err = runMockServer(ctx, env, rest)
	case "version", "--version":
		err = runVersion(env, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	default:
		err = usagef("unknown command %q (want validate, import, plan, mock-server or version; see --help)", cmd)
	}
	var done exitError
	if errors.As(err, &done) {
		return int(done)
	}
	return exitCode(err, stderr)
}

// exitError ends a command that has already said what it had to say.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// environment is the process's streams, handed to every command.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	hard           context.Context
}

// logger logs to stderr as text (for people: no timestamps, schedulers
// stamp their own) or JSON (for log pipelines: with them).
func (env *environment) logger(quiet bool, format string) *slog.Logger {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelError
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(env.stderr, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func runVersion(env *environment, args []string) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintf(env.stdout, "topo-exclusions %s\n", version)
	if info, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(env.stdout, "go: %s\nmodule: %s %s\n", info.GoVersion, info.Main.Path, info.Main.Version)
		for _, s := range info.Settings {
			if strings.HasPrefix(s.Key, "vcs.") || s.Key == "GOOS" || s.Key == "GOARCH" {
				fmt.Fprintf(env.stdout, "%s: %s\n", s.Key, s.Value)
			}
		}
	}
	return nil
}

// parseArgs parses flags that may come before or after the positional
// arguments ("validate list.csv --report r.csv" works), as people type them.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
