package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// throttleWrites answers every write 429 (Retry-After: 1) while on, as a
// Topo in a storm that never ends would; reads pass.
type throttleWrites struct{ on atomic.Bool }

func (tw *throttleWrites) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet || !tw.on.Load() {
		return http.DefaultTransport.RoundTrip(r)
	}
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body := `{"type":"RateLimitIssue","message":"too many requests"}`
	return &http.Response{StatusCode: 429, Status: "429 Too Many Requests", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Retry-After": {"1"}, "Content-Type": {"application/json"}},
		Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

// TestGiveUpAfter: against a Topo that answers every write 429, the run
// stops once none was accepted for --give-up-after: exit 3, every row
// not_attempted, the reason said; the same command resumes once Topo
// accepts writes again, sending each row once.
func TestGiveUpAfter(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	dir := t.TempDir()
	input := generated(t, 50)
	storm := &throttleWrites{}
	storm.on.Store(true)
	run1 := func(args ...string) result {
		var out, errb bytes.Buffer
		e := inProcess(t, dir, strings.NewReader(""), &out, &errb, []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL})
		e.HTTP = &http.Client{Transport: storm}
		return result{run(e, args), out.String(), errb.String()}
	}
	args := []string{"import", "--rate", "0", "--retries", "100", "--sequences", "off", "--give-up-after", "2s",
		"--report", "r.csv", "--failures", "f.csv", "--summary", "s.json", input}
	res := run1(args...)
	var sum struct {
		Status string         `json:"status"`
		Error  string         `json:"error"`
		Counts map[string]int `json:"counts"`
	}
	json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum)
	valid := 50 - sum.Counts["invalid"] - sum.Counts["duplicate"]
	if res.code != 3 || !strings.Contains(sum.Error, "--give-up-after 2s") || sum.Counts["not_attempted"] != valid {
		t.Fatalf("in a storm without end: exit %d, %+v\n%s", res.code, sum, res.stderr)
	}
	if srv.Stats().Posts != 0 {
		t.Fatalf("the fake saw %d POSTs through a transport that answers them all", srv.Stats().Posts)
	}
	storm.on.Store(false)
	res = run1(args...)
	if st := statuses(reportRows(t, dir, "r.csv")); res.code != 1 || st["created"] != valid || srv.Stats().RepeatPosts != 0 {
		t.Errorf("resumed after the storm: exit %d, %v, %d repeated POSTs\n%s", res.code, st, srv.Stats().RepeatPosts, res.stderr)
	}
}
