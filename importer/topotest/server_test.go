package topotest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, s *Server, method, path, token, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func post(t *testing.T, s *Server, body string) answer {
	t.Helper()
	return do(t, s, "POST", "/v1/contact-exclusions", DefaultToken, "application/json", body)
}

// checkError asserts Topo's error shape.
func checkError(t *testing.T, a answer, status int, typ, msg string) {
	t.Helper()
	if a.status != status || a.body["type"] != typ || a.body["status_code"] != float64(status) {
		t.Fatalf("got %d %s, want %d %s", a.status, a.raw, status, typ)
	}
	if m, _ := a.body["message"].(string); !strings.Contains(m, msg) {
		t.Errorf("message %q does not contain %q", m, msg)
	}
	if id, _ := a.body["request_id"].(string); !strings.HasPrefix(id, "req_") {
		t.Errorf("no request_id in %s", a.raw)
	}
}

func TestAuth(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	body := `{"reason":"OTHER","email":"a@b.co"}`
	checkError(t, do(t, s, "POST", "/v1/contact-exclusions", "", "application/json", body), 401, "UnauthorizedIssue", "API key")
	checkError(t, do(t, s, "POST", "/v1/contact-exclusions", "nope", "application/json", body), 401, "UnauthorizedIssue", "invalid")
	checkError(t, do(t, s, "POST", "/v1/contact-exclusions", DefaultReadOnlyToken, "application/json", body), 403, "UnauthorizedIssue", "exclusions:write")
	checkError(t, do(t, s, "GET", "/v1/contact-exclusions", DefaultWriteOnlyToken, "", ""), 403, "UnauthorizedIssue", "exclusions:read")
	if a := do(t, s, "GET", "/v1/contact-exclusions", DefaultReadOnlyToken, "", ""); a.status != 200 {
		t.Errorf("read-only key cannot list: %d", a.status)
	}
	if s.Stats().Created != 0 {
		t.Error("a refused request created a record")
	}
}

func TestCreateValidation(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	checkError(t, do(t, s, "POST", "/v1/contact-exclusions", DefaultToken, "text/plain", `{}`), 400, "ValidationIssue", "Content-Type")
	tests := []struct{ body, msg string }{
		{`not json`, "not a JSON object"},
		{`{"email":"a@b.co"}`, "reason: is required"},
		{`{"reason":"unsubscribed","email":"a@b.co"}`, "reason: must be one of"},
		{`{"reason":"OTHER"}`, "at least one of email or linkedin_url"},
		{`{"reason":"OTHER","email":null,"linkedin_url":""}`, "at least one of email or linkedin_url"},
		{`{"reason":"OTHER","email":42}`, "email: must be a string"},
		{`{"reason":"OTHER","email":"nope"}`, "email: is not a valid email"},
		{`{"reason":"OTHER","linkedin_url":"https://x.com/in/a"}`, "linkedin_url"},
		{`{"reason":"OTHER","email":"a@b.co","until":"2027-12-31"}`, "until: must be an RFC 3339"},
	}
	for _, tt := range tests {
		checkError(t, post(t, s, tt.body), 400, "ValidationIssue", tt.msg)
	}
	if s.Stats().Records != 0 {
		t.Error("an invalid request created a record")
	}
}

func TestCreateConflictGetDelete(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	a := post(t, s, `{"reason":"UNSUBSCRIBED","email":"a@b.co","until":"2027-12-31T23:59:59Z"}`)
	if a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	for _, k := range []string{"id", "email", "linkedin_url", "reason", "message", "until", "created_at", "updated_at"} {
		if _, ok := a.body[k]; !ok {
			t.Errorf("created object lacks %q: %s", k, a.raw)
		}
	}
	if a.body["linkedin_url"] != nil || a.body["message"] != nil {
		t.Errorf("absent fields should be null: %s", a.raw)
	}
	if _, err := time.Parse(time.RFC3339, a.body["created_at"].(string)); err != nil {
		t.Errorf("created_at: %v", err)
	}
	id := a.body["id"].(string)
	if len(id) != 36 {
		t.Errorf("id %q is not a uuid", id)
	}
	c := post(t, s, `{"reason":"OTHER","email":"A@B.co"}`)
	checkError(t, c, 409, "CommitIssue", "already exists")
	if data, _ := c.body["data"].(map[string]any); data["id"] != id {
		t.Errorf("409 data %v does not name the existing id %s", c.body["data"], id)
	}
	if g := do(t, s, "GET", "/v1/contact-exclusions/"+id, DefaultReadOnlyToken, "", ""); g.status != 200 || g.body["id"] != id {
		t.Errorf("get: %d %s", g.status, g.raw)
	}
	checkError(t, do(t, s, "GET", "/v1/contact-exclusions/nope", DefaultToken, "", ""), 404, "NotFoundIssue", "no exclusion")
	if d := do(t, s, "DELETE", "/v1/contact-exclusions/"+id, DefaultToken, "", ""); d.status != 204 {
		t.Errorf("delete: %d", d.status)
	}
	checkError(t, do(t, s, "DELETE", "/v1/contact-exclusions/"+id, DefaultToken, "", ""), 404, "NotFoundIssue", "")
	if a := post(t, s, `{"reason":"OTHER","email":"a@b.co"}`); a.status != 201 {
		t.Errorf("re-create after delete: %d", a.status)
	}
}

func TestList(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	for i := range 25 {
		reason := "OTHER"
		if i%5 == 0 {
			reason = "COMPETITOR"
		}
		post(t, s, `{"reason":"`+reason+`","email":"p`+strconv.Itoa(i)+`@x.co","linkedin_url":"https://www.linkedin.com/in/p`+strconv.Itoa(i)+`"}`)
	}
	page := func(q string) answer {
		return do(t, s, "GET", "/v1/contact-exclusions?"+q, DefaultReadOnlyToken, "", "")
	}
	a := page("page=3&size=10")
	if a.body["total_count"] != 25.0 || a.body["total_pages"] != 3.0 || a.body["has_more"] != false || len(a.body["items"].([]any)) != 5 {
		t.Errorf("page 3: %s", a.raw)
	}
	if a := page("page=1&size=10"); a.body["has_more"] != true {
		t.Errorf("page 1 has_more: %s", a.raw)
	}
	if a := page("email=P7@x.co"); a.body["total_count"] != 1.0 {
		t.Errorf("email filter: %s", a.raw)
	}
	if a := page("linkedin_url=https://www.linkedin.com/in/p8"); a.body["total_count"] != 1.0 {
		t.Errorf("linkedin filter: %s", a.raw)
	}
	if a := page("reason=COMPETITOR"); a.body["total_count"] != 5.0 {
		t.Errorf("reason filter: %s", a.raw)
	}
	if a := page("email=nobody@x.co"); a.body["total_count"] != 0.0 || len(a.body["items"].([]any)) != 0 {
		t.Errorf("no match: %s", a.raw)
	}
	if a := page("sort_by=email&sort_order=desc&size=1"); a.body["items"].([]any)[0].(map[string]any)["email"] != "p9@x.co" {
		t.Errorf("sort: %s", a.raw)
	}
	for _, q := range []string{"size=0", "size=101", "page=0", "sort_order=up", "created_at_after=yesterday"} {
		checkError(t, page(q), 400, "ValidationIssue", "")
	}
}

func TestRateLimit(t *testing.T) {
	s := NewServer(Options{Rate: 0.5, Burst: 2})
	defer s.Close()
	var last answer
	for i := range 3 {
		last = post(t, s, `{"reason":"OTHER","email":"r`+strconv.Itoa(i)+`@x.co"}`)
		if i < 2 && (last.status != 201 || last.header.Get("X-RateLimit-Limit") != "1" || last.header.Get("X-RateLimit-Remaining") == "") {
			t.Fatalf("request %d: %d, headers %v", i, last.status, last.header)
		}
	}
	checkError(t, last, 429, "RateLimitIssue", "rate limit")
	if ra, err := strconv.Atoi(last.header.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Errorf("Retry-After %q", last.header.Get("Retry-After"))
	}
	if last.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("X-RateLimit-Remaining %q on a 429", last.header.Get("X-RateLimit-Remaining"))
	}
	if other := do(t, s, "GET", "/v1/contact-exclusions", DefaultReadOnlyToken, "", ""); other.status != 200 {
		t.Errorf("the limit is per key, but another key got %d", other.status)
	}
}

func TestFaults(t *testing.T) {
	t.Run("fail-rate answers 503 and commits nothing", func(t *testing.T) {
		s := NewServer(Options{FailRate: 1})
		defer s.Close()
		checkError(t, post(t, s, `{"reason":"OTHER","email":"a@b.co"}`), 503, "ServiceUnavailable", "")
		if s.Stats().Records != 0 {
			t.Error("committed")
		}
	})
	t.Run("fail-after-commit answers 503 but commits", func(t *testing.T) {
		s := NewServer(Options{FailAfterCommit: 1})
		defer s.Close()
		checkError(t, post(t, s, `{"reason":"OTHER","email":"a@b.co"}`), 503, "ServiceUnavailable", "")
		checkError(t, post(t, s, `{"reason":"OTHER","email":"a@b.co"}`), 409, "CommitIssue", "")
		if st := s.Stats(); st.Records != 1 || st.RepeatPosts != 1 || st.RepeatedKeys != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("reset closes the connection", func(t *testing.T) {
		s := NewServer(Options{ResetRate: 1, Seed: 3})
		defer s.Close()
		req, _ := http.NewRequest("POST", s.URL+"/v1/contact-exclusions", strings.NewReader(`{"reason":"OTHER","email":"a@b.co"}`))
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got an answer %d, want a dropped connection", resp.StatusCode)
		}
		if s.Stats().ByStatus["reset"] != 1 {
			t.Errorf("stats %+v", s.Stats())
		}
	})
	t.Run("html 502 from a proxy", func(t *testing.T) {
		s := NewServer(Options{HTML502Rate: 1})
		defer s.Close()
		a := post(t, s, `{"reason":"OTHER","email":"a@b.co"}`)
		if a.status != 502 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(a.raw, "<html>") {
			t.Errorf("got %d %q %s", a.status, a.header.Get("Content-Type"), a.raw)
		}
	})
	t.Run("latency delays every answer", func(t *testing.T) {
		s := NewServer(Options{Latency: 50 * time.Millisecond})
		defer s.Close()
		start := time.Now()
		do(t, s, "GET", "/v1/contact-exclusions", DefaultToken, "", "")
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Errorf("answered after %v, before the latency", d)
		}
	})
	t.Run("the same seed gives the same faults", func(t *testing.T) {
		outcomes := func() string {
			s := NewServer(Options{FailRate: 0.5, Seed: 42})
			defer s.Close()
			var b strings.Builder
			for i := range 20 {
				b.WriteString(strconv.Itoa(post(t, s, `{"reason":"OTHER","email":"s`+strconv.Itoa(i)+`@x.co"}`).status))
			}
			return b.String()
		}
		if a, b := outcomes(), outcomes(); a != b {
			t.Errorf("%s != %s", a, b)
		}
	})
}

func TestConcurrentPostsOfOneEmail(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	var wg sync.WaitGroup
	statuses := make(chan int, 32)
	for range 32 {
		wg.Go(func() { statuses <- post(t, s, `{"reason":"OTHER","email":"same@x.co"}`).status })
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[201] != 1 || count[409] != 31 {
		t.Errorf("statuses %v, want one 201 and 31 409s", count)
	}
	if st := s.Stats(); st.DuplicateCreates != 0 || st.Created != 1 || st.RepeatPosts != 31 {
		t.Errorf("stats %+v", st)
	}
}

func TestNotUniqueCountsDuplicateCreates(t *testing.T) {
	s := NewServer(Options{NotUnique: true})
	defer s.Close()
	post(t, s, `{"reason":"OTHER","email":"a@b.co"}`)
	post(t, s, `{"reason":"OTHER","email":"a@b.co"}`)
	if st := s.Stats(); st.DuplicateCreates != 1 || st.Records != 2 || s.CreatedCount("email:a@b.co") != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestStatsEndpointAndPersistence(t *testing.T) {
	s := NewServer(Options{})
	post(t, s, `{"reason":"OTHER","email":"a@b.co","message":"hi"}`)
	a := do(t, s, "GET", "/__stats", "", "", "")
	if a.status != 200 || a.body["created"] != 1.0 || a.body["by_status"].(map[string]any)["201"] != 1.0 {
		t.Errorf("/__stats: %s", a.raw)
	}
	var saved bytes.Buffer
	if err := s.Save(&saved); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := NewServer(Options{})
	defer s2.Close()
	if err := s2.Load(&saved); err != nil {
		t.Fatal(err)
	}
	recs := s2.Records()
	if len(recs) != 1 || *recs[0].Message != "hi" {
		t.Fatalf("loaded %+v", recs)
	}
	checkError(t, post(t, s2, `{"reason":"OTHER","email":"a@b.co"}`), 409, "CommitIssue", "")
}

func TestAccountExclusions(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	postAccount := func(body string) answer {
		return do(t, s, "POST", "/v1/account-exclusions", DefaultToken, "application/json", body)
	}
	a := postAccount(`{"domain":"example.com","reason":"COMPETITOR","message":"rival"}`)
	if a.status != 201 || a.body["domain"] != "example.com" || a.body["id"] == nil {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	for _, k := range []string{"email", "linkedin_url"} {
		if _, ok := a.body[k]; ok {
			t.Errorf("an account exclusion carries %q: %s", k, a.raw)
		}
	}
	for _, k := range []string{"message", "until", "created_at", "updated_at"} {
		if _, ok := a.body[k]; !ok {
			t.Errorf("an account exclusion lacks %q: %s", k, a.raw)
		}
	}
	c := postAccount(`{"domain":"EXAMPLE.com","reason":"OTHER"}`)
	checkError(t, c, 409, "CommitIssue", "domain")
	if data, _ := c.body["data"].(map[string]any); data["id"] != a.body["id"] {
		t.Errorf("409 does not name the existing id: %s", c.raw)
	}
	checkError(t, postAccount(`{"reason":"OTHER"}`), 400, "ValidationIssue", "domain: is required")
	checkError(t, postAccount(`{"domain":"https://x.com/","reason":"OTHER"}`), 400, "ValidationIssue", "domain")
	checkError(t, postAccount(`{"domain":"x.com","reason":"nope"}`), 400, "ValidationIssue", "reason")
	l := do(t, s, "GET", "/v1/account-exclusions?domain=example.com", DefaultReadOnlyToken, "", "")
	if l.body["total_count"] != 1.0 {
		t.Errorf("list by domain: %s", l.raw)
	}
	if post(t, s, `{"reason":"OTHER","email":"a@example.com"}`).status != 201 || len(s.Accounts()) != 1 || len(s.Records()) != 1 {
		t.Error("contacts and accounts are not kept apart")
	}
	if s.CreatedCount("domain:example.com") != 1 {
		t.Errorf("created count for the domain: %d", s.CreatedCount("domain:example.com"))
	}
	var saved bytes.Buffer
	s.Save(&saved)
	s2 := NewServer(Options{})
	defer s2.Close()
	if err := s2.Load(&saved); err != nil || len(s2.Accounts()) != 1 || len(s2.Records()) != 1 {
		t.Errorf("save/load: %v, %d accounts, %d contacts", err, len(s2.Accounts()), len(s2.Records()))
	}
}
