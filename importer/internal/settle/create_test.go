package settle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// script is an httptest server that answers each method from a list of
// handlers, one per request of that method (the last repeats).
type script struct {
	mu      sync.Mutex
	by      map[string][]http.HandlerFunc
	n       map[string]int
	keys    []string
	agents  []string
	patches []string
}

func newScript() *script { return &script{by: map[string][]http.HandlerFunc{}, n: map[string]int{}} }

func (s *script) on(method string, hs ...http.HandlerFunc) *script {
	s.by[method] = append(s.by[method], hs...)
	return s
}

func (s *script) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[method]
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.keys = append(s.keys, r.Header.Get("Authorization"))
	s.agents = append(s.agents, r.Header.Get("User-Agent"))
	hs, i := s.by[r.Method], s.n[r.Method]
	s.n[r.Method]++
	if r.Method == http.MethodPatch {
		b, _ := io.ReadAll(r.Body)
		s.patches = append(s.patches, string(b))
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	s.mu.Unlock()
	if len(hs) == 0 {
		http.Error(w, "no script", http.StatusTeapot)
		return
	}
	hs[min(i, len(hs)-1)](w, r)
}

func answer(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, _ := w.(http.Hijacker).Hijack()
	conn.Close()
}

const (
	newID = "0b7e6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	oldID = "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1b"
)

// record is a record of a@b.co as Topo returns it, created at when.
func record(id, until string, when time.Time) string {
	u := "null"
	if until != "" {
		u = `"` + until + `"`
	}
	return fmt.Sprintf(`{"id":%q,"email":"a@b.co","linkedin_url":null,"reason":"OTHER","message":null,"until":%s,"created_at":%q,"updated_at":%q}`,
		id, u, when.Format(time.RFC3339Nano), when.Format(time.RFC3339Nano))
}

// created answers 201 with a record stamped now.
func created(w http.ResponseWriter, r *http.Request) {
	answer(201, record(newID, "", time.Now()))(w, r)
}

// page answers a lookup with the records made by bodies (stamped now).
func page(bodies ...func() string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		items := make([]string, len(bodies))
		for i, b := range bodies {
			items[i] = b()
		}
		answer(200, fmt.Sprintf(`{"items":[%s],"total_count":%d,"total_pages":1,"has_more":false}`, strings.Join(items, ","), len(items)))(w, r)
	}
}

var (
	hourAgo  = time.Now().Add(-time.Hour)
	existing = func() string { return record(oldID, "", hourAgo) }
	ours     = func() string { return record(newID, "", time.Now()) }
	none     = page()
	conflict = answer(409, `{"status_code":409,"type":"CommitIssue","message":"exists","data":{"id":"`+oldID+`"},"request_id":"req_9"}`)
)

func validRow() rows.Row {
	return rows.Row{Num: 2, Status: rows.StatusValid, Norm: rows.Fields{Email: "a@b.co", Reason: "OTHER"}}
}

// remote is a Remote on url, with fast retries and the access given (and
// the fake API's key when it is one).
func remote(t *testing.T, url string, access api.Access) Remote {
	t.Helper()
	key := "secret-key"
	if access.Total < 0 {
		key = topotest.DefaultToken
	}
	c, err := api.NewClient(url, key, "topo-exclusions/test", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	// A settle delay no test outlasts, passed at once: the look again
	// after it always comes, whatever the machine's speed.
	return Remote{API: c, Kind: topo.Contacts, Access: access, Settle: time.Hour,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }, Retrier: &api.Retrier{
			Pacer: unpaced{}, Retries: 3, Timeout: 5 * time.Second, Backoff: func(int) time.Duration { return time.Millisecond },
		}}
}

// unpaced lets every request go at once: what is tested here is what the
// answers prove, not how fast they come (the pacer has tests of its own).
type unpaced struct{}

func (unpaced) Wait(context.Context) error { return nil }
func (unpaced) Accepted(float64, float64)  {}
func (unpaced) Throttled(float64)          {}

var canRead = api.Access{Read: true}

// TestCreatorOutcomes: each answer (or its lack) and the row's status.
// Where an attempt may have taken effect and the lookup finds nothing,
// the row is looked up again after the settle delay and the records
// created since are read (three GETs) before it is sent again, and after
// that re-send's 201 Topo is asked once more for a second record.
func TestCreatorOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		posts    []http.HandlerFunc
		lookups  []http.HandlerFunc
		access   api.Access
		status   rows.Status
		id       string
		attempts int
		http     int
		errType  string
		err      string
		note     string
		maybe    bool
		fatal    bool
	}{
		{name: "201 with the record", posts: []http.HandlerFunc{created}, status: rows.StatusCreated, id: newID, attempts: 1, http: 201},
		{name: "409: looked up, covers", posts: []http.HandlerFunc{conflict}, lookups: []http.HandlerFunc{page(existing)}, access: canRead,
			status: rows.StatusExists, id: oldID, attempts: 2, http: 409},
		{name: "409 and a key that cannot read: exists, said so", posts: []http.HandlerFunc{conflict},
			status: rows.StatusExists, id: oldID, attempts: 1, http: 409, note: "cannot read"},
		{name: "400 is the row's fault, not retried", posts: []http.HandlerFunc{answer(400, `{"status_code":400,"type":"ValidationIssue","message":"until: bad","request_id":"req_1"}`), created},
			status: rows.StatusFailed, attempts: 1, http: 400, errType: "ValidationIssue", err: "until: bad"},
		{name: "429 then 201", posts: []http.HandlerFunc{answer(429, `{"status_code":429,"type":"RateLimitIssue","message":"slow"}`, "Retry-After", "0"), created},
			status: rows.StatusCreated, id: newID, attempts: 2, http: 201},
		{name: "html 502, nothing found, then 201", posts: []http.HandlerFunc{answer(502, "<html>bad gateway</html>"), created},
			lookups: []http.HandlerFunc{none}, access: canRead, status: rows.StatusCreated, id: newID, attempts: 6, http: 201},
		{name: "503 after commit: found, created since the attempt", posts: []http.HandlerFunc{answer(503, `{"status_code":503,"type":"X","message":"later"}`)},
			lookups: []http.HandlerFunc{page(ours)}, access: canRead, status: rows.StatusCreated, id: newID, attempts: 2},
		{name: "503, found a record from before the run: exists", posts: []http.HandlerFunc{answer(503, `{}`)},
			lookups: []http.HandlerFunc{page(existing)}, access: canRead, status: rows.StatusExists, id: oldID, attempts: 2},
		{name: "reset, key cannot read: a 409 settles it, exists", posts: []http.HandlerFunc{hangUp, conflict},
			status: rows.StatusExists, id: oldID, attempts: 2, http: 409, note: "perhaps from this run's unanswered attempt"},
		{name: "200 {} proves nothing; nothing found; sent again", posts: []http.HandlerFunc{answer(200, `{}`), created},
			lookups: []http.HandlerFunc{none}, access: canRead, status: rows.StatusCreated, id: newID, attempts: 6, http: 201},
		{name: "201 without an id proves nothing", posts: []http.HandlerFunc{answer(201, `{"email":"a@b.co"}`), created},
			lookups: []http.HandlerFunc{none}, access: canRead, status: rows.StatusCreated, id: newID, attempts: 6, http: 201},
		{name: "201 for another key proves nothing", posts: []http.HandlerFunc{answer(201, strings.Replace(record(newID, "", time.Now()), "a@b.co", "z@b.co", 1)), created},
			lookups: []http.HandlerFunc{none}, access: canRead, status: rows.StatusCreated, id: newID, attempts: 6, http: 201},
		{name: "301: the row fails naming the address", posts: []http.HandlerFunc{answer(301, "", "Location", "https://api2.topo.io/v1/contact-exclusions")},
			status: rows.StatusFailed, attempts: 1, http: 301, err: "Topo answered 301 https://api2.topo.io/v1/contact-exclusions"},
		{name: "503s until the retries run out, nothing found: failed", posts: []http.HandlerFunc{answer(503, `{"status_code":503,"type":"ServiceUnavailable","message":"down","request_id":"req_5"}`)},
			lookups: []http.HandlerFunc{none}, access: canRead, status: rows.StatusFailed, attempts: 16, http: 503, errType: "ServiceUnavailable", err: "gave up after 4 attempts: down"},
		{name: "503s, key cannot read: unknown, maybe sent", posts: []http.HandlerFunc{answer(500, "<html>oops</html>")},
			status: rows.StatusUnknown, attempts: 4, http: 500, err: "answer is not JSON: <html>oops</html>", maybe: true},
		{name: "401 stops the run", posts: []http.HandlerFunc{answer(401, `{"status_code":401,"type":"UnauthorizedIssue","message":"bad key","request_id":"r"}`)},
			status: rows.StatusFailed, attempts: 1, http: 401, errType: "UnauthorizedIssue", err: "bad key", fatal: true},
		{name: "403 stops the run", posts: []http.HandlerFunc{answer(403, `{"status_code":403,"type":"UnauthorizedIssue","message":"scope","request_id":"r"}`)},
			status: rows.StatusFailed, attempts: 1, http: 403, errType: "UnauthorizedIssue", err: "scope", fatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := newScript().on("POST", tt.posts...).on("GET", tt.lookups...)
			srv := httptest.NewServer(sc)
			defer srv.Close()
			c := &Creator{Remote: remote(t, srv.URL, tt.access)}
			out, err := c.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
			var auth *api.AuthError
			if tt.fatal != errors.As(err, &auth) {
				t.Fatalf("error %v, fatal %v", err, tt.fatal)
			}
			if out.Status != tt.status || out.ID != tt.id || out.Attempts != tt.attempts || out.HTTPStatus != tt.http || out.MaybeSent != tt.maybe {
				t.Errorf("got %s id=%q attempts=%d http=%d maybe=%v; want %s id=%q attempts=%d http=%d maybe=%v (err %q)",
					out.Status, out.ID, out.Attempts, out.HTTPStatus, out.MaybeSent, tt.status, tt.id, tt.attempts, tt.http, tt.maybe, out.Err)
			}
			if out.ErrorType != tt.errType || !strings.Contains(out.Err, tt.err) || !strings.Contains(out.Note, tt.note) {
				t.Errorf("error_type %q error %q note %q; want %q, %q, %q", out.ErrorType, out.Err, out.Note, tt.errType, tt.err, tt.note)
			}
			if out.Status.Done() && (out.Err != "" || out.ErrorType != "" || out.RequestID != "") {
				t.Errorf("a success row carries error fields: %+v", out)
			}
			for i, k := range sc.keys {
				if k != "Bearer secret-key" || sc.agents[i] != "topo-exclusions/test" {
					t.Errorf("request %d sent Authorization %q, User-Agent %q", i, k, sc.agents[i])
				}
			}
			if strings.Contains(fmt.Sprintf("%+v %v", out, err), "secret-key") {
				t.Error("the key leaked into an outcome or error")
			}
		})
	}
}

// TestCreatorNeverSendsBlind: after an unanswered attempt, a lookup that
// itself fails must not lead to a second POST; the lookup is asked again.
func TestCreatorNeverSendsBlind(t *testing.T) {
	var lookups atomic.Int32
	sc := newScript().on("POST", answer(503, `{}`), created).on("GET", func(w http.ResponseWriter, r *http.Request) {
		if lookups.Add(1) < 3 {
			answer(502, "<html>proxy</html>")(w, r)
			return
		}
		page(ours)(w, r)
	})
	srv := httptest.NewServer(sc)
	defer srv.Close()
	c := &Creator{Remote: remote(t, srv.URL, canRead)}
	out, err := c.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
	if err != nil || out.Status != rows.StatusCreated || out.ID != newID || sc.count("POST") != 1 {
		t.Fatalf("outcome %+v (err %v) after %d POSTs, want created by the first", out, err, sc.count("POST"))
	}
}

// TestCreatorAfterAResume: a row an earlier run may have sent is looked
// up first; the record is this run's (created) only when it was made
// after the journaled intent.
func TestCreatorAfterAResume(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   func() string
		at     time.Time
		status rows.Status
	}{
		{"created after the intent", ours, time.Now().Add(-time.Minute), rows.StatusCreated},
		{"there before the intent", existing, time.Now().Add(-time.Minute), rows.StatusExists},
		{"intent of unknown time (maybe_sent from a failures file)", ours, time.Time{}, rows.StatusExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScript().on("POST", created).on("GET", page(tc.body))
			srv := httptest.NewServer(sc)
			defer srv.Close()
			c := &Creator{Remote: remote(t, srv.URL, canRead)}
			job := pipeline.Job{Row: validRow(), Prior: pipeline.Prior{MaybeSent: true, Op: api.OpCreate, At: tc.at}}
			// One answer first, so the client knows the server's clock.
			c.API.List(context.Background(), topo.Contacts, api.Query{Size: 1})
			out, _ := c.Act(context.Background(), context.Background(), job, nil)
			if out.Status != tc.status || sc.count("POST") != 0 {
				t.Errorf("%s after %d POSTs, want %s and none", out.Status, sc.count("POST"), tc.status)
			}
		})
	}
}

// TestCreatorUnderFaultsTellsCreatedFromExists is the proof: with
// 40 records that existed before the run and half of the answers lost or
// replaced by proxy pages, exactly the rows the server created this run
// are created, and the 40 exists.
func TestCreatorUnderFaultsTellsCreatedFromExists(t *testing.T) {
	srv := topotest.NewServer(topotest.Options{HTML502Rate: 0.3, FailAfterCommit: 0.3, ResetRate: 0.1, Seed: 5})
	defer srv.Close()
	var before strings.Builder
	before.WriteString("[")
	for i := range 40 {
		if i > 0 {
			before.WriteString(",")
		}
		fmt.Fprintf(&before, `{"email":"old%d@example.com","reason":"OTHER","created_at":%q}`, i, hourAgo.Format(time.RFC3339))
	}
	before.WriteString("]")
	if err := srv.Load(strings.NewReader(before.String())); err != nil {
		t.Fatal(err)
	}
	c := &Creator{Remote: remote(t, srv.URL, api.Access{Read: true, Total: -1})}
	c.Retrier.Retries = 10
	if _, err := api.CheckKey(context.Background(), c.API.(*api.Client), c.Retrier, topo.Contacts); err != nil {
		t.Fatal(err)
	}
	got := map[rows.Status]int{}
	for i := range 80 {
		email := fmt.Sprintf("new%d@example.com", i)
		if i < 40 {
			email = fmt.Sprintf("old%d@example.com", i)
		}
		row := rows.Row{Num: i + 2, Status: rows.StatusValid, Norm: rows.Fields{Email: email, Reason: "OTHER"}}
		out, err := c.Act(context.Background(), context.Background(), pipeline.Job{Row: row}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got[out.Status]++
		want := rows.StatusCreated
		if i < 40 {
			want = rows.StatusExists
		}
		if out.Status != want {
			t.Errorf("%s: %s (%s %s), want %s", email, out.Status, out.Err, out.Note, want)
		}
	}
	if st := srv.Stats(); st.DuplicateCreates != 0 || st.Created != got[rows.StatusCreated] {
		t.Errorf("server created %d (%d twice); report says %v", st.Created, st.DuplicateCreates, got)
	}
}
