package main

import (
	"context"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
)

const planUsage = `Usage: topo-exclusions plan [flags] FILE

A dry run that asks Topo: validates FILE like 'validate', then looks each
valid row up with the list endpoint (exact email and LinkedIn URL filters,
paced like an import) and reports would_create, exists (with the id),
invalid or duplicate. Nothing is written to Topo. The key needs
exclusions:read. With --state, rows known there are answered without a
request.

Examples:
  TOPO_API_KEY=... topo-exclusions plan unsubscribes.csv
  topo-exclusions plan --token-file ~/.topo-key --default-reason unsubscribed --summary plan.json export.csv

Exit codes: 0 every row valid; 1 some rows invalid (or a lookup failed);
2 usage or setup error; 3 the key cannot read exclusions or Topo cannot be
reached; 130 interrupted.

Flags:
`

func runPlan(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "plan", planUsage)
	var rf readFlags
	var sf sendFlags
	rf.register(fs)
	sf.register(fs)
	path, err := parseCommand(fs, args)
	if err != nil {
		return err
	}
	return planFile(ctx, env, path, &rf, &sf)
}

// planFile checks one list against Topo without writing to it.
func planFile(ctx context.Context, env *environment, path string, rf *readFlags, sf *sendFlags) error {
	start := time.Now()
	log, client, err := sf.connect(env, rf)
	if err != nil {
		return err
	}
	var known importer.Known
	if sf.state != "" {
		st, err := importer.ReadState(sf.state)
		if err != nil {
			return &importer.SetupError{Err: err}
		}
		known = st
	}
	sess, err := openSession(env, "plan", path, rf, log)
	if err != nil {
		return err
	}
	defer sess.close()
	pacer := importer.NewPacer(sf.rate, sf.burst)
	canRead, preflightErr := importer.CheckKey(ctx, client, sess.reader.Info().Kind, pacer, sf.retries, sf.timeout)
	if preflightErr == nil && !canRead {
		preflightErr = &importer.AuthError{Status: 403, Message: "the list endpoint refused the key", Scope: "exclusions:read"}
	}
	checker := &importer.Sender{API: client, Pacer: pacer, Retries: sf.retries, Timeout: sf.timeout, CanRead: true}
	im := &importer.Import{Sender: importer.Planner{Sender: checker}, Concurrency: sf.concurrency, Stopped: preflightErr, Known: known}
	runErr := runPool(ctx, env, log, sess, im, countRows(path, rf), rf.quiet)
	elapsed := time.Since(start)
	sess.out.summary().Send = sendSummary(sf, checker, pacer, elapsed, checker.Stats().Lookups)
	return sess.finish(env, log, elapsed, sendExitCode(sess.out.summary(), runErr), runErr)
}
