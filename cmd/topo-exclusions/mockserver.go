package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/topo-io/topo-exclusions/importer/topotest"

	"github.com/topo-io/topo-exclusions/importer"
)

func mockServerCommand(e *env) *cobra.Command {
	var opt topotest.Options
	var addr, data string
	c := &cobra.Command{
		Use:   "mock-server [flags]",
		Short: "Serve a local stand-in for Topo's API, faults and all",
		Long: `Serves a local stand-in for Topo's exclusion API (create, list with
filters and sorting, get, update, delete; Topo's scopes, rules and error
shapes), with optional rate limits, latency and faults, so that an import
can be rehearsed before it meets production. It prints the base URL and key
to use, and stops cleanly on Ctrl-C or SIGTERM. GET /__stats shows request
counts and whether any key was created twice.`,
		Example: `  topo-exclusions mock-server
  topo-exclusions mock-server --rate 20 --burst 5 --latency 100ms --jitter 50ms
  topo-exclusions mock-server --fail-after-commit 0.2 --reset-rate 0.05 --seed 7
  topo-exclusions mock-server --rate 20 --storm 2s            # 429s only, for 2 s
  topo-exclusions mock-server --data rehearsal.json   # keep records across runs`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			for name, p := range map[string]float64{"fail-rate": opt.FailRate, "fail-after-commit": opt.FailAfterCommit, "reset-rate": opt.ResetRate, "html-502-rate": opt.HTML502Rate} {
				if p < 0 || p > 1 || math.IsNaN(p) {
					return fmt.Errorf("--%s %v: want a share from 0 to 1", name, p)
				}
			}
			if opt.Rate < 0 || math.IsNaN(opt.Rate) || math.IsInf(opt.Rate, 0) || opt.Latency < 0 || opt.Jitter < 0 || opt.PublishLimit < 0 {
				return errors.New("--rate, --latency, --jitter and --publish-limit want 0 or more")
			}
			return serveMock(e, opt, addr, data)
		},
	}
	fs := c.Flags()
	fs.StringVar(&addr, "addr", "127.0.0.1:8765", "listen `address` (loopback unless you say otherwise; port 0 picks a free one)")
	fs.StringVar(&opt.Token, "token", topotest.DefaultToken, "key with every scope: exclusions, contacts and sequences, read and write")
	fs.StringVar(&opt.ReadOnlyToken, "readonly-token", topotest.DefaultReadOnlyToken, "key with the read scopes only")
	fs.StringVar(&opt.WriteOnlyToken, "writeonly-token", topotest.DefaultWriteOnlyToken, "key with exclusions:write only")
	fs.Float64Var(&opt.Rate, "rate", 0, "per-key limit in requests/s, answered with 429 and Retry-After (0: none)")
	fs.IntVar(&opt.Burst, "burst", 1, "per-key burst above --rate")
	fs.BoolVar(&opt.HideLimit, "hide-limit", false, "send no X-RateLimit-* headers (Topo does not promise them)")
	fs.IntVar(&opt.PublishLimit, "publish-limit", 0, "announce this X-RateLimit-Limit instead of the real --rate, as a lying header (0: the real one)")
	fs.DurationVar(&opt.Storm, "storm", 0, "answer every request 429 for this long after the first one (negative: forever)")
	fs.DurationVar(&opt.Latency, "latency", 0, "delay before every answer")
	fs.DurationVar(&opt.Jitter, "jitter", 0, "random ± spread around --latency")
	fs.Float64Var(&opt.FailRate, "fail-rate", 0, "share of writes answered 503 without doing anything")
	fs.Float64Var(&opt.FailAfterCommit, "fail-after-commit", 0, "share of writes that take effect, then answer 503")
	fs.Float64Var(&opt.ResetRate, "reset-rate", 0, "share of requests whose connection is closed without an answer (half of the writes after taking effect)")
	fs.Float64Var(&opt.HTML502Rate, "html-502-rate", 0, "share of requests answered by a proxy-style HTML 502")
	fs.Uint64Var(&opt.Seed, "seed", 1, "seed for the faults, so a run can be repeated")
	fs.BoolVar(&opt.NotUnique, "not-unique", false, "do not enforce unique email / LinkedIn URL (create duplicates instead of 409)")
	fs.StringVar(&data, "data", "", "JSON `file` to load at start and save on a clean stop: an array of exclusions, or {\"exclusions\": [...], \"contacts\": [...], \"sequences\": [...]} to rehearse with people in sequences")
	// What a hostile network, a proxy or an older Topo does to a client.
	fs.BoolVar(&opt.NoMe, "no-me", false, "answer 404 to GET /v1/me, as an older deployment")
	fs.BoolVar(&opt.IgnoreSequenceContactFilter, "ignore-contact-filter", false, "let GET /v1/sequences ignore contact_id (return every sequence)")
	fs.BoolVar(&opt.NoTotal, "no-total", false, "leave total_count and total_pages out of list answers")
	fs.IntVar(&opt.PageCap, "page-cap", 0, "answer at most this many items a page, whatever size asks (0: none)")
	fs.BoolVar(&opt.IgnorePage, "ignore-page", false, "answer every list request with its first page, as a cache keyed on the path")
	fs.DurationVar(&opt.ReadLag, "read-lag", 0, "let reads miss exclusions created less than this long ago")
	fs.BoolVar(&opt.EchoHeaders, "echo-headers", false, "echo the request's headers, Authorization included, in error bodies, as a debug proxy")
	fs.BoolVar(&opt.Upsert, "upsert", false, "answer a create for a key already held with 201 and the record it had")
	fs.BoolVar(&opt.HTML404, "html-404", false, "answer every 404 with a proxy's HTML page")
	fs.DurationVar(&opt.StampOffset, "stamp-offset", 0, "stamp records this far off the server's clock")
	fs.DurationVar(&opt.DateOffset, "date-offset", 0, "send a Date header this far off")
	fs.BoolVar(&opt.ZeroTotal, "zero-total", false, "answer total_count and total_pages 0 while items exist")
	fs.BoolVar(&opt.Maintenance200, "maintenance-200", false, "answer every DELETE and PATCH with 200 and an HTML maintenance page, doing nothing")
	fs.BoolVar(&opt.RepeatID, "repeat-id", false, "repeat the \"id\" key in a 201's JSON, the second value another record's")
	fs.BoolVar(&opt.PlusAsSpace, "plus-as-space", false, "read + in a query as a space even where %2B was sent, as behind a proxy")
	fs.BoolVar(&opt.StorePunycode, "store-punycode", false, "store email domains in punycode, and match filters only in that form")
	fs.BoolVar(&opt.StoreUnicode, "store-unicode", false, "store email domains in Unicode, and match filters only in that form")
	fs.BoolVar(&opt.LowerMemberIDs, "lower-member-ids", false, "store LinkedIn URLs lower-cased, member ids included")
	fs.BoolVar(&opt.ShuffleTies, "shuffle-ties", false, "answer records that share their sort field in a random order")
	fs.IntVar(&opt.RepeatPage, "repeat-page", 0, "answer list request N with the answer before it, as a stale cache (0: never)")
	fs.IntVar(&opt.CommitFirst, "commit-first", 0, "let the first N writes take effect, then answer 503")
	fs.BoolVar(&opt.StopFinishedConflict, "stop-finished-conflict", false, "answer the stop of a finished sequence 409 instead of 422")
	group(fs, "Faults", "no-me", "ignore-contact-filter", "no-total", "page-cap", "ignore-page", "read-lag", "echo-headers", "upsert", "html-404", "stamp-offset", "date-offset",
		"zero-total", "maintenance-200", "repeat-id", "plus-as-space", "store-punycode", "store-unicode", "lower-member-ids", "shuffle-ties", "repeat-page", "commit-first", "stop-finished-conflict")
	return c
}

// serveMock runs the fake API until the first stop. Its errors have
// been said, and carry their exit code.
func serveMock(e *env, opt topotest.Options, addr, data string) error {
	fail := func(code int, err error) error {
		fmt.Fprintf(e.Stderr, "topo-exclusions: mock-server: %v\n", err)
		return &importer.ExitError{Code: code, Err: err}
	}
	if data != "" && !filepath.IsAbs(data) {
		data = filepath.Join(e.Dir, data)
	}
	srv := topotest.NewUnstartedServer(opt)
	if data != "" {
		if err := loadData(srv, data); err != nil {
			return fail(importer.ExitUsage, err)
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(importer.ExitUsage, fmt.Errorf("--addr %s: %w", addr, err))
	}
	srv.Start(l)
	fmt.Fprintf(e.Stdout, "TOPO_BASE_URL=%s\nTOPO_API_KEY=%s\n", srv.URL, opt.Token)
	fmt.Fprintf(e.Stderr, "topo mock API on %s (read-only key %s, write-only key %s); Ctrl-C stops it\n",
		srv.URL, opt.ReadOnlyToken, opt.WriteOnlyToken)
	<-e.soft.Done()
	srv.Close()
	st := srv.Stats()
	fmt.Fprintf(e.Stderr, "mock stopped: %d requests, %d created, %d records\n", st.Requests, st.Created, st.Records)
	if data != "" {
		if err := saveData(srv, data); err != nil {
			return fail(importer.ExitStopped, fmt.Errorf("saving %s: %w", data, err))
		}
	}
	return nil
}

func loadData(srv *topotest.Server, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // first run: it is created on the way out
	}
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	defer f.Close()
	if err := srv.Load(f); err != nil {
		return fmt.Errorf("--data %s: %w", path, err)
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
