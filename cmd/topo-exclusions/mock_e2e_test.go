package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startMock runs the built binary's mock-server on a free port and returns
// its base URL and key; the server is stopped with SIGINT at cleanup.
func startMock(t *testing.T, args ...string) (url, key string, stop func() error) {
	t.Helper()
	cmd := process(t, "", nil, append([]string{"mock-server", "--addr", "127.0.0.1:0"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "TOPO_BASE_URL":
			url = v
		case "TOPO_API_KEY":
			key = v
		}
		if url != "" && key != "" {
			break
		}
	}
	if url == "" || key == "" {
		cmd.Process.Kill()
		t.Fatalf("mock-server printed no URL and key")
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			return <-done
		}
	}
	t.Cleanup(func() { stop() })
	return url, key, stop
}

func TestMockServerCommand(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "records.json")
	url, key, stop := startMock(t, "--data", data)
	req, _ := http.NewRequest("POST", url+"/v1/contact-exclusions", strings.NewReader(`{"reason":"OTHER","email":"a@b.co"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("mock-server did not stop cleanly: %v", err)
	}
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(b, &recs); err != nil || len(recs) != 1 || recs[0]["email"] != "a@b.co" {
		t.Fatalf("saved data %s (%v)", b, err)
	}
	// A second run loads what the first saved.
	url, key, _ = startMock(t, "--data", data)
	req, _ = http.NewRequest("GET", url+"/v1/contact-exclusions?email=a@b.co", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		TotalCount int `json:"total_count"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || page.TotalCount != 1 {
		t.Fatalf("reloaded data: %+v %v", page, err)
	}
}

func TestMockServerFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--fail-rate", "2"}, {"--addr", "nowhere:-1"}, {"extra"}} {
		res := runBinary(t, "", "", append([]string{"mock-server"}, args...)...)
		if res.code != 2 || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, res.code, res.stderr)
		}
	}
}

// TestMockServerHostileSwitches: each of mock-server's switches for what
// a proxy, an older Topo or a limiter in a bad mood does reaches the fake
// it serves.
func TestMockServerHostileSwitches(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, url, key, path string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodGet, url+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
		return resp.StatusCode, resp.Header, b.String()
	}
	for _, tc := range []struct {
		args  []string
		path  string
		check func(code int, h http.Header, body string) bool
	}{
		{[]string{"--no-me"}, "/v1/me", func(code int, _ http.Header, _ string) bool { return code == 404 }},
		{[]string{"--no-total"}, "/v1/contact-exclusions", func(code int, _ http.Header, body string) bool {
			return code == 200 && !strings.Contains(body, "total_count")
		}},
		{[]string{"--html-404"}, "/v1/contact-exclusions/00000000-0000-4000-8000-000000000000", func(code int, _ http.Header, body string) bool {
			return code == 404 && strings.Contains(strings.ToLower(body), "<html")
		}},
		// A storm without end: 429 and a Retry-After, with no limit set.
		{[]string{"--storm", "-1s"}, "/v1/contact-exclusions", func(code int, h http.Header, body string) bool {
			return code == 429 && h.Get("Retry-After") == "1" && strings.Contains(body, "RateLimitIssue")
		}},
		{[]string{"--rate", "5", "--publish-limit", "1000"}, "/v1/contact-exclusions", func(code int, h http.Header, _ string) bool {
			return code == 200 && h.Get("X-RateLimit-Limit") == "1000"
		}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			url, key, stop := startMock(t, tc.args...)
			defer stop()
			if code, h, body := get(t, url, key, tc.path); !tc.check(code, h, body) {
				t.Errorf("mock-server %v: GET %s answered %d %v %s", tc.args, tc.path, code, h, body)
			}
		})
	}
}
