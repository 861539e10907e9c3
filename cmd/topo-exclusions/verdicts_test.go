package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// TestRedirectStopsBeforeAnythingIsSent: a 301 or 302 in front of the
// API used to turn every POST into a GET of the list page and every row
// into "created". Now the key check meets the redirect and the run stops
// with exit 2, naming where it points; nothing is sent, no journal or
// report is left.
func TestRedirectStopsBeforeAnythingIsSent(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 307, 308} {
		var posts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				posts.Add(1)
			}
			http.Redirect(w, r, "https://api.topo.example/v1/contact-exclusions", status)
		}))
		dir := t.TempDir()
		res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=k", "TOPO_BASE_URL=" + srv.URL},
			"import", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json", sample(t, "dashboard.csv"))
		srv.Close()
		if res.code != 2 || !strings.Contains(res.stderr, "Topo answered") || !strings.Contains(res.stderr, "set --base-url to that address (https://api.topo.example)") {
			t.Errorf("%d: exit %d\n%s", status, res.code, res.stderr)
		}
		if posts.Load() != 0 {
			t.Errorf("%d: %d POSTs", status, posts.Load())
		}
		for _, name := range []string{"r.csv", "f.csv", "r.journal"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Errorf("%d: %s was left behind", status, name)
			}
		}
		if s := readFile(t, dir, "s.json"); !strings.Contains(s, `"exit_code": 2`) || !strings.Contains(s, `"status": "failed"`) {
			t.Errorf("%d: the summary was not written on exit 2:\n%s", status, s)
		}
	}
}

// TestBaseURLMustBeTheHostOnly: a path, query, fragment or password in
// --base-url is exit 2 before any request, with the host-only form as
// the hint, and the password in no output.
func TestBaseURLMustBeTheHostOnly(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	host := srv.URL
	for _, tc := range []struct{ url, want string }{
		{host + "/v1", "use " + host},
		{host + "/api", "use " + host},
		{host + "?x=1", "use " + host},
		{host + "/#frag", "use " + host},
		{strings.Replace(host, "http://", "http://user:hunter2@", 1), "user name or password"},
		{"http://api.topo.io", "plain http"},
	} {
		dir := t.TempDir()
		res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=k"}, "import", "--base-url", tc.url, "--summary", "s.json", sample(t, "dashboard.csv"))
		summary := readFile(t, dir, "s.json")
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
			t.Errorf("%s: exit %d\n%s", tc.url, res.code, res.stderr)
		}
		if strings.Contains(res.stderr+summary, "hunter2") {
			t.Errorf("%s: the password appears in stderr or the summary", tc.url)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached the API", n)
	}
}

// TestExistingPolicies is the example: temp@example.com held as
// BAD_TIMING until 1 December 2026, imported again as unsubscribed with
// no until (permanent).
func TestExistingPolicies(t *testing.T) {
	t.Parallel()
	input := filepath.Join(t.TempDir(), "again.csv")
	os.WriteFile(input, []byte("email,reason\ntemp@example.com,unsubscribed\nnew@example.com,unsubscribed\n"), 0o644)
	const held = `[{"id":"9f8e7d6c-5b4a-4392-8171-605f4e3d2c1b","email":"temp@example.com","reason":"BAD_TIMING","until":"2026-12-01T23:59:59Z","created_at":"2026-11-01T10:00:00Z"}]`
	for _, tc := range []struct {
		cmd, policy      string
		code             int
		status, previous string
		until            string // what Topo holds after
		text             string
	}{
		{"plan", "extend", 0, "would_extend", "BAD_TIMING", "2026-12-01T23:59:59Z", "would extend 1"},
		{"plan", "keep", 1, "exists_shorter", "BAD_TIMING", "2026-12-01T23:59:59Z", "excluded for less long 1"},
		{"import", "extend", 0, "extended", "BAD_TIMING", "", "1 extended"},
		{"import", "keep", 1, "exists_shorter", "BAD_TIMING", "2026-12-01T23:59:59Z", "1 exists_shorter"},
		{"import", "replace", 0, "updated", "BAD_TIMING", "", "1 updated"},
	} {
		t.Run(tc.cmd+" "+tc.policy, func(t *testing.T) {
			srv := topotest.NewServer(topotest.Options{})
			defer srv.Close()
			if err := srv.Load(strings.NewReader(held)); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
				tc.cmd, "--existing", tc.policy, "--report", "r.csv", "--failures", "f.csv", input)
			rows := reportRows(t, dir, "r.csv")
			if res.code != tc.code || rows[0][1] != tc.status || rows[0][14] != tc.previous || !strings.Contains(res.stderr, tc.text) {
				t.Fatalf("exit %d, row %q\n%s", res.code, rows[0], res.stderr)
			}
			if tc.status == "exists_shorter" && (!strings.Contains(rows[0][10], "until 2026-12-01T23:59:59Z") || len(reportRows(t, dir, "f.csv")) != 1) {
				t.Errorf("exists_shorter should name the until and need action: %q", rows[0])
			}
			if got := srv.Records()[0].Until; (got == nil) != (tc.until == "") || got != nil && *got != tc.until {
				t.Errorf("Topo holds until %v, want %q", got, tc.until)
			}
		})
	}
}
