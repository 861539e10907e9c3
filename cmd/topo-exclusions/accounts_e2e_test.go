package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// TestImportAccountsUnderFaults imports domains end to end against a
// faulty fake API that would accept duplicates: every valid domain ends
// created, none twice, and the run says it imported account exclusions.
func TestImportAccountsUnderFaults(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("domain,reason\n")
	for i := range 120 {
		fmt.Fprintf(&b, "https://www.company%d.com/,competitor\n", i)
		if i%10 == 0 {
			fmt.Fprintf(&b, "COMPANY%d.com,competitor\n", i) // a duplicate once normalised
		}
	}
	input := filepath.Join(t.TempDir(), "domains.csv")
	os.WriteFile(input, []byte(b.String()), 0o644)
	srv := topotest.NewServer(topotest.Options{NotUnique: true, FailAfterCommit: 0.2, ResetRate: 0.05, Seed: 9})
	defer srv.Close()
	res, rows, _ := importRun(t, srv, topotest.DefaultToken, input, "--retries", "8")
	st := statuses(rows)
	if res.code != 0 || st["created"] != 120 || st["duplicate"] != 12 || !strings.Contains(res.stderr, "account exclusions by domain") {
		t.Fatalf("exit %d, statuses %v\n%s", res.code, st, res.stderr)
	}
	if stats := srv.Stats(); stats.DuplicateCreates != 0 || len(srv.Accounts()) != 120 || len(srv.Records()) != 0 {
		t.Errorf("server: %+v, %d accounts, %d contacts", stats, len(srv.Accounts()), len(srv.Records()))
	}
	for _, r := range rows {
		if r[1] == "created" && srv.CreatedCount("domain:"+r[3]) != 1 {
			t.Errorf("%s created %d times", r[3], srv.CreatedCount("domain:"+r[3]))
		}
	}
}

func TestKindAccountsOverridesDetection(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	input := filepath.Join(t.TempDir(), "crm.csv")
	os.WriteFile(input, []byte("Email,Company Domain,Reason\nann@acme.com,acme.com,competitor\nbob@acme.com,acme.com,competitor\n"), 0o644)
	res, rows, _ := importRun(t, srv, topotest.DefaultToken, input, "--kind", "accounts")
	if res.code != 0 || statuses(rows)["created"] != 1 || statuses(rows)["duplicate"] != 1 || len(srv.Accounts()) != 1 {
		t.Fatalf("--kind accounts: exit %d, statuses %v\n%s", res.code, statuses(rows), res.stderr)
	}
	res, rows, _ = importRun(t, srv, topotest.DefaultWriteOnlyToken, input, "--kind", "accounts", "--force")
	if res.code != 0 || statuses(rows)["exists"] != 1 || rows[0][2] == "" {
		t.Errorf("again with a write-only key: exit %d, rows %q\n%s", res.code, rows, res.stderr)
	}
	res, rows, _ = importRun(t, srv, topotest.DefaultToken, input)
	if res.code != 0 || statuses(rows)["created"] != 2 || len(srv.Records()) != 2 {
		t.Errorf("auto with emails: exit %d, statuses %v\n%s", res.code, statuses(rows), res.stderr)
	}
}

func TestPlanAccounts(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	srv.Load(strings.NewReader(`[{"id":"id-acme","domain":"acme.com","reason":"COMPETITOR"}]`))
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultReadOnlyToken, "TOPO_BASE_URL=" + srv.URL}
	res := runBinaryEnv(t, dir, "", env, "plan", "--rate", "0", "--report", "p.csv", "--failures", "pf.csv", sample(t, "accounts.csv"))
	rows := reportRows(t, dir, "p.csv")
	if res.code != 1 || rows[0][1] != "exists" || rows[0][2] != "id-acme" || statuses(rows)["would_create"] != 4 || srv.Stats().ByMethod["POST"] != 0 {
		t.Errorf("exit %d, statuses %v\n%s", res.code, statuses(rows), res.stderr)
	}
}
