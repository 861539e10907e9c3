package topotest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func get(t *testing.T, s *Server, path, token string) answer {
	t.Helper()
	return do(t, s, "GET", path, token, "", "")
}

func stop(t *testing.T, s *Server, id, token string) answer {
	t.Helper()
	return do(t, s, "POST", "/v1/sequences/"+id+"/stop", token, "application/json", `{}`)
}

// try is do for goroutines: it reports a failure instead of ending the test.
func try(s *Server, method, path, token, body string) (int, error) {
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// items returns a list answer's items.
func items(t *testing.T, a answer) []map[string]any {
	t.Helper()
	raw, ok := a.body["items"].([]any)
	if !ok {
		t.Fatalf("not a list answer: %d %s", a.status, a.raw)
	}
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i] = it.(map[string]any)
	}
	return out
}

// ids returns the ids of a list answer's items, in order.
func ids(t *testing.T, a answer) []string {
	t.Helper()
	var out []string
	for _, it := range items(t, a) {
		out = append(out, fmt.Sprint(it["id"]))
	}
	return out
}

func ptr(s string) *string { return &s }
