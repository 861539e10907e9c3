package main

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// secretKey is a key as long as real ones, so that it is scrubbed by value.
const secretKey = "tk_live_7f3a9c2e5b8d4f1a6e0c93d2"

// echoed is the request's headers as a WAF or a debugging proxy prints
// them into an error body.
func echoed(r *http.Request) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		parts = append(parts, name+": "+strings.Join(r.Header[name], ", "))
	}
	return strings.Join(parts, "; ")
}

// waf stands in front of srv: it answers the POSTs of some emails itself,
// echoing the request's headers (400 and 422 in Topo's shape, a 502 page
// of its own), and passes everything else on.
func waf(t *testing.T, srv *topotest.Server) *httptest.Server {
	t.Helper()
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			topoError := func(status int, typ string) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"status_code":%d,"type":%q,"message":%q,"request_id":"req_echo"}`, status, typ, "blocked; request headers: "+echoed(r))
			}
			switch {
			case bytes.Contains(body, []byte("refused400@")):
				topoError(http.StatusBadRequest, "ValidationIssue")
				return
			case bytes.Contains(body, []byte("refused422@")):
				topoError(http.StatusUnprocessableEntity, "BusinessIssue")
				return
			case bytes.Contains(body, []byte("proxy502@")):
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprintf(w, "<html><body><h1>502 Bad Gateway</h1><pre>%s</pre></body></html>", html.EscapeString(echoed(r)))
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return front
}

// leaks lists where the key, or a bearer token of any key, appears in the
// files under dirs or in the texts.
func leaks(t *testing.T, dirs []string, texts map[string]string) []string {
	t.Helper()
	bearer := regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/=-]{6,}`)
	var found []string
	check := func(where, text string) {
		if strings.Contains(text, secretKey) || strings.Contains(text, html.EscapeString(secretKey)) {
			found = append(found, where+": the key")
		}
		if m := bearer.FindString(text); m != "" {
			found = append(found, where+": "+m)
		}
	}
	for name, text := range texts {
		check(name, text)
	}
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			raw, err := os.ReadFile(path)
			if err == nil {
				check(path, string(raw))
			}
			return nil
		})
	}
	return found
}

// TestTheKeyNeverLeavesInEchoedHeaders: a server or WAF that echoes the
// request's headers, Authorization included, into its 400, 422, HTML 502,
// 401 and 403 bodies: the key, or a bearer token, is in none of the
// report, failures file, journal, summary, metrics, run page or logs.
func TestTheKeyNeverLeavesInEchoedHeaders(t *testing.T) {
	t.Parallel()
	all := []string{topotest.ScopeExclusionsRead, topotest.ScopeExclusionsWrite, topotest.ScopeContactsRead, topotest.ScopeSequencesRead}
	for _, tc := range []struct {
		name string
		opt  topotest.Options
		key  string
		code int
	}{
		{"400, 422 and an HTML 502 echo the headers", topotest.Options{EchoHeaders: true, Keys: []topotest.Key{{Token: secretKey, Scopes: all}}}, secretKey, 1},
		{"401 echoes the headers of a key it refuses", topotest.Options{EchoHeaders: true}, secretKey, 3},
		{"403 echoes the headers of a key without the scope", topotest.Options{EchoHeaders: true, NoMe: true, Keys: []topotest.Key{{Token: secretKey, Scopes: []string{topotest.ScopeExclusionsRead}}}}, secretKey, 3},
	} {
		for _, logs := range []string{"text", "json"} {
			t.Run(tc.name+"/"+logs, func(t *testing.T) {
				t.Parallel()
				srv := topotest.NewServer(tc.opt)
				defer srv.Close()
				front := waf(t, srv)
				dir := t.TempDir()
				in := filepath.Join(dir, "list.csv")
				os.WriteFile(in, []byte("email,reason\nrefused400@example.com,other\nrefused422@example.com,other\nproxy502@example.com,other\nfine@example.com,other\n"), 0o644)
				res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + tc.key, "TOPO_BASE_URL=" + front.URL},
					"import", "--log-format", logs, "--retries", "1", "--report", "r.csv", "--failures", "f.csv", "--journal", "j.journal",
					"--summary", "s.json", "--metrics", "m.prom", "--html", "run.html", "--sequences", "off", in)
				if res.code != tc.code {
					t.Fatalf("exit %d, want %d\n%s", res.code, tc.code, res.stderr)
				}
				if bad := leaks(t, []string{dir, home(t)}, map[string]string{"stdout": res.stdout, "stderr": res.stderr}); len(bad) > 0 {
					t.Errorf("the key left:\n%s", strings.Join(bad, "\n"))
				}
				if tc.code == 1 && !strings.Contains(readFile(t, dir, "r.csv"), "[redacted]") {
					t.Errorf("the echoed headers are not in the report, scrubbed: the test proves little\n%s", readFile(t, dir, "r.csv"))
				}
			})
		}
	}
}
