package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// TestWorkspacePin: --workspace runs only with a key of that workspace,
// and refuses to run unchecked where Topo has no /v1/me; without
// /v1/me the run goes on, saying once that the key is not known.
func TestWorkspacePin(t *testing.T) {
	t.Parallel()
	other := topotest.Key{Token: "topo_other_workspace_key", Workspace: "org_other", Scopes: []string{
		topotest.ScopeExclusionsRead, topotest.ScopeExclusionsWrite}}
	list := sample(t, "dashboard.csv")
	for _, tc := range []struct {
		name   string
		noMe   bool // Topo without /v1/me
		key    string
		args   []string
		code   int
		stderr string
	}{
		{"the key's workspace", false, topotest.DefaultToken, []string{"--workspace", topotest.DefaultWorkspace}, 0, "belongs to workspace " + topotest.DefaultWorkspace},
		{"another workspace", false, other.Token, []string{"--workspace", topotest.DefaultWorkspace}, 2, "belongs to workspace org_other, not " + topotest.DefaultWorkspace},
		{"no /v1/me, pinned", true, topotest.DefaultToken, []string{"--workspace", topotest.DefaultWorkspace}, 2, "Topo has no /v1/me"},
		{"no /v1/me", true, topotest.DefaultToken, nil, 0, "Topo answered 404 to GET /v1/me"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A server each: the subtests run side by side, and each counts
			// its own POSTs.
			srv := topotest.NewServer(topotest.Options{Keys: []topotest.Key{other}, NoMe: tc.noMe})
			defer srv.Close()
			dir := t.TempDir()
			args := append([]string{"import", "--sequences", "off", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json"}, tc.args...)
			res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + tc.key, "TOPO_BASE_URL=" + srv.URL}, append(args, list)...)
			if res.code != tc.code || strings.Count(res.stderr, tc.stderr) != 1 {
				t.Fatalf("exit %d, want %d and %q once\n%s", res.code, tc.code, tc.stderr, res.stderr)
			}
			if posts := srv.Stats().ByMethod["POST"]; tc.code == 2 && posts != 0 {
				t.Errorf("refused, yet %d POSTs", posts)
			}
			var sum struct {
				ExitCode  int    `json:"exit_code"`
				Workspace string `json:"workspace"`
				KeyPrefix string `json:"key_prefix"`
			}
			if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.ExitCode != tc.code {
				t.Errorf("summary exit_code %d", sum.ExitCode)
			}
			switch {
			case !tc.noMe && tc.code == 0 && (sum.Workspace != topotest.DefaultWorkspace || sum.KeyPrefix == "" || !strings.HasPrefix(tc.key, sum.KeyPrefix)):
				t.Errorf("summary says workspace %q, key prefix %q", sum.Workspace, sum.KeyPrefix)
			case tc.noMe && tc.code == 0 && !strings.HasPrefix(sum.Workspace, "key:"):
				t.Errorf("without /v1/me the workspace is %q, want the key's fingerprint", sum.Workspace)
			}
			if strings.Contains(readFile(t, dir, "s.json"), tc.key) || strings.Contains(res.stderr, tc.key) {
				t.Error("the key itself was written")
			}
		})
	}
}

// TestOptOutsNeverLiftedByAccident: --existing replace would make a
// permanent UNSUBSCRIBED record end, or relabel it: refused (protected,
// exit 1, Topo unchanged) unless --lift-optouts, which the summary then
// lists.
func TestOptOutsNeverLiftedByAccident(t *testing.T) {
	t.Parallel()
	const held = `[{"id":"9f8e7d6c-5b4a-4392-8171-605f4e3d2c1b","email":"gone@example.com","reason":"UNSUBSCRIBED","until":null,"created_at":"2026-11-01T10:00:00Z"}]`
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	if err := srv.Load(strings.NewReader(held)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "l.csv"), []byte("email,reason,until\ngone@example.com,bad timing,2099-01-31\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	args := []string{"import", "--existing", "replace", "--sequences", "off", "--force", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json"}

	res := runBinaryEnv(t, dir, "", env, append(args, "l.csv")...)
	r := reportRows(t, dir, "r.csv")[0]
	if res.code != 1 || r[1] != "protected" || !strings.Contains(r[10], "UNSUBSCRIBED") || !strings.Contains(r[10], "--lift-optouts") {
		t.Errorf("without --lift-optouts: exit %d, row %q", res.code, r)
	}
	if rec := srv.Records()[0]; rec.Reason != "UNSUBSCRIBED" || rec.Until != nil {
		t.Errorf("Topo's record changed: %+v", rec)
	}
	if len(reportRows(t, dir, "f.csv")) != 1 {
		t.Error("a protected row needs action: it belongs in the failures file")
	}

	res = runBinaryEnv(t, dir, "", env, append(args, "--lift-optouts", "l.csv")...)
	r = reportRows(t, dir, "r.csv")[0]
	if res.code != 0 || r[1] != "updated" {
		t.Errorf("with --lift-optouts: exit %d, row %q\n%s", res.code, r, res.stderr)
	}
	if rec := srv.Records()[0]; rec.Reason != "BAD_TIMING" || rec.Until == nil {
		t.Errorf("Topo's record not replaced: %+v", rec)
	}
	var sum struct {
		Lifted []struct {
			Row     int
			ID, How string
		} `json:"lifted"`
		LiftedRows int `json:"lifted_rows"`
	}
	if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.LiftedRows != 1 || len(sum.Lifted) != 1 || sum.Lifted[0].Row != 2 || sum.Lifted[0].ID != "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1b" {
		t.Errorf("summary's lifts: %+v", sum)
	}
}
