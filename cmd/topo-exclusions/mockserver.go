package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

const mockUsage = `Usage: topo-exclusions mock-server [flags]

Serves a local stand-in for Topo's contact-exclusion API (create, list, get,
delete, Topo's error shapes), with optional rate limits, latency and faults,
so that an import can be rehearsed before it meets production. It prints
the base URL and keys to use, and stops cleanly on Ctrl-C or SIGTERM.
GET /__stats shows request counts and whether any key was created twice.

Examples:
  topo-exclusions mock-server
  topo-exclusions mock-server --rate 20 --burst 5 --latency 100ms --jitter 50ms
  topo-exclusions mock-server --fail-after-commit 0.2 --reset-rate 0.05 --seed 7
  topo-exclusions mock-server --data rehearsal.json   # keep records across runs

Flags:
`

func runMockServer(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "mock-server", mockUsage)
	var opt topotest.Options
	addr := fs.String("addr", "127.0.0.1:8765", "listen `address` (loopback unless you say otherwise; port 0 picks a free one)")
	fs.StringVar(&opt.Token, "token", topotest.DefaultToken, "key with exclusions:read and exclusions:write")
	fs.StringVar(&opt.ReadOnlyToken, "readonly-token", topotest.DefaultReadOnlyToken, "key with exclusions:read only")
	fs.StringVar(&opt.WriteOnlyToken, "writeonly-token", topotest.DefaultWriteOnlyToken, "key with exclusions:write only")
	fs.Float64Var(&opt.Rate, "rate", 0, "per-key limit in requests/s, answered with 429 and Retry-After (0: none)")
	fs.IntVar(&opt.Burst, "burst", 1, "per-key burst above --rate")
	fs.DurationVar(&opt.Latency, "latency", 0, "delay before every answer")
	fs.DurationVar(&opt.Jitter, "jitter", 0, "random ± spread around --latency")
	fs.Float64Var(&opt.FailRate, "fail-rate", 0, "share of POSTs answered 503 without creating anything")
	fs.Float64Var(&opt.FailAfterCommit, "fail-after-commit", 0, "share of POSTs that create the record, then answer 503")
	fs.Float64Var(&opt.ResetRate, "reset-rate", 0, "share of requests whose connection is closed without an answer")
	fs.Float64Var(&opt.HTML502Rate, "html-502-rate", 0, "share of requests answered by a proxy-style HTML 502")
	fs.Uint64Var(&opt.Seed, "seed", 1, "seed for the faults, so a run can be repeated")
	fs.BoolVar(&opt.NotUnique, "not-unique", false, "do not enforce unique email / LinkedIn URL (create duplicates instead of 409)")
	data := fs.String("data", "", "JSON `file` of records to load at start and save on a clean stop")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(fs, err)
	}
	if len(pos) > 0 {
		return usagef("mock-server takes no arguments (see --help)")
	}
	for name, p := range map[string]float64{"fail-rate": opt.FailRate, "fail-after-commit": opt.FailAfterCommit, "reset-rate": opt.ResetRate, "html-502-rate": opt.HTML502Rate} {
		if p < 0 || p > 1 {
			return usagef("--%s %v: want a share from 0 to 1", name, p)
		}
	}
	srv := topotest.NewUnstartedServer(opt)
	if *data != "" {
		if err := loadData(srv, *data); err != nil {
			return err
		}
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return usagef("--addr %s: %v", *addr, err)
	}
	srv.Start(l)
	fmt.Fprintf(env.stdout, "TOPO_BASE_URL=%s\nTOPO_API_KEY=%s\n", srv.URL, opt.Token)
	fmt.Fprintf(env.stderr, "topo mock API on %s (read-only key %s, write-only key %s); Ctrl-C stops it\n",
		srv.URL, opt.ReadOnlyToken, opt.WriteOnlyToken)
	<-ctx.Done()
	srv.Close()
	st := srv.Stats()
	fmt.Fprintf(env.stderr, "mock stopped: %d requests, %d created, %d records\n", st.Requests, st.Created, st.Records)
	if *data != "" {
		return saveData(srv, *data)
	}
	return nil
}

func loadData(srv *topotest.Server, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // first run: it is created on the way out
	}
	if err != nil {
		return usagef("--data: %v", err)
	}
	defer f.Close()
	if err := srv.Load(f); err != nil {
		return usagef("--data %s: %v", path, err)
	}
	return nil
}

// saveData writes the records through a temporary file and a rename, so a
// crash mid-write leaves the previous file whole.
func saveData(srv *topotest.Server, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mock-data-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := srv.Save(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
