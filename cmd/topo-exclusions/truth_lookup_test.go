package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// TestAListWithoutATotalIsNotEmpty: a list answer without total_count, or
// with 0 beside its items, says nothing of what Topo holds: plan does not
// take Topo for empty (no would_create for the 60 rows it holds), and a
// failures file's maybe_sent rows run again on a server without
// uniqueness make no second record.
func TestAListWithoutATotalIsNotEmpty(t *testing.T) {
	t.Parallel()
	for _, opt := range []topotest.Options{{NoTotal: true, NotUnique: true}, {ZeroTotal: true, NotUnique: true}} {
		name := "no total"
		if opt.ZeroTotal {
			name = "a zero total"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := loaded(t, 60, opt)
			dir := t.TempDir()
			var plain, maybe strings.Builder
			plain.WriteString("email,reason\n")
			maybe.WriteString("email,reason,maybe_sent\n")
			for i := range 60 {
				fmt.Fprintf(&plain, "person.%d@example.com,unsubscribed\n", i)
				fmt.Fprintf(&maybe, "person.%d@example.com,unsubscribed,true\n", i)
			}
			os.WriteFile(filepath.Join(dir, "list.csv"), []byte(plain.String()), 0o644)
			os.WriteFile(filepath.Join(dir, "again.csv"), []byte(maybe.String()), 0o644)
			env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
			for _, snap := range []string{"auto", "always"} {
				res := runBinaryEnv(t, dir, "", env, "plan", "--sequences", "off", "--snapshot", snap, "--report", "p.csv", "list.csv")
				if st := statuses(reportRows(t, dir, "p.csv")); res.code != 0 || st["would_create"] != 0 {
					t.Errorf("plan --snapshot %s: exit %d, %v\n%s", snap, res.code, st, res.stderr)
				}
			}
			res := runBinaryEnv(t, dir, "", env, "import", "--sequences", "off", "--report", "r.csv", "again.csv")
			st := statuses(reportRows(t, dir, "r.csv"))
			if res.code != 0 || st["created"] != 0 || len(srv.Records()) != 60 || srv.Stats().ByMethod["POST"] != 0 {
				t.Errorf("import of maybe_sent rows: exit %d, %v, %d records, %d POSTs\n%s", res.code, st, len(srv.Records()), srv.Stats().ByMethod["POST"], res.stderr)
			}
		})
	}
}

// TestTwoRecordsOfARowAreCountedInTheSummary: reads lag writes longer
// than the settle delay, on a server without uniqueness: a row whose
// answer was lost is sent again, and Topo then holds two records of it.
// The row's note names both, and the summary counts it.
func TestTwoRecordsOfARowAreCountedInTheSummary(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var off time.Duration
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(off) }
	srv := topotest.NewServer(topotest.Options{NotUnique: true, CommitFirst: 1, ReadLag: 5 * time.Second, Now: now})
	defer srv.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "list.csv"), []byte("email,reason\nlate@example.com,other\n"), 0o644)
	var out, errb bytes.Buffer
	e := inProcess(t, dir, strings.NewReader(""), &out, &errb, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL})
	const settle = 3 * time.Second
	e.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		off += d // every wait passes on the server's clock, at once
		mu.Unlock()
		return ctx.Err()
	}
	code := run(e, unpaced([]string{"import", "--settle-delay", settle.String(), "--sequences", "off", "--report", "r.csv", "--summary", "s.json", "list.csv"}))
	rows := reportRows(t, dir, "r.csv")
	var sum struct {
		Send struct {
			DuplicatesSeen int `json:"duplicates_seen"`
		} `json:"send"`
	}
	json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum)
	if code != 0 || len(srv.Records()) != 2 || rows[0][1] != "created" || !strings.Contains(strings.Join(rows[0], " "), "Topo holds 2 records") || sum.Send.DuplicatesSeen != 1 {
		t.Errorf("exit %d, %d records, row %q, duplicates_seen %d\n%s", code, len(srv.Records()), rows[0], sum.Send.DuplicatesSeen, errb.String())
	}
	if !strings.Contains(errb.String(), "TWICE:") {
		t.Errorf("the summary on standard error does not say it:\n%s", errb.String())
	}
}
