package settle

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Each test here proves one rule of what Topo's answers prove; each was
// once broken on purpose (a bug planted) to see it fail.

// TestAnswersThatAreNotTheRowsRecordAreNotCreated: only a 201 whose body
// is a record with a Topo id and the row's key is created; any other 2xx
// is ambiguous, looked up, and sent again only when nothing is found.
func TestAnswersThatAreNotTheRowsRecordAreNotCreated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"a 200 with the row's whole record", record(newID, "", time.Now())},
		{"a 201 whose id is not Topo's", record("42", "", time.Now())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code := 201
			if strings.HasPrefix(tc.name, "a 200") {
				code = 200
			}
			sc := newScript().on("POST", answer(code, tc.body), created).on("GET", none)
			srv := httptest.NewServer(sc)
			defer srv.Close()
			c := &Creator{Remote: remote(t, srv.URL, canRead)}
			out, err := c.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
			// The lookup, the look again after the settle delay, the records
			// created since, and the look for a second record after the 201.
			if err != nil || out.Status != rows.StatusCreated || out.ID != newID || sc.count("POST") != 2 || sc.count("GET") != 4 {
				t.Errorf("%s: %s %q after %d POSTs and %d lookups; want created by the second POST, after four lookups",
					tc.name, out.Status, out.ID, sc.count("POST"), sc.count("GET"))
			}
		})
	}
}

// TestOneWriteBudgetAcrossLookups: --retries 3 is at most 4 POSTs for a
// row, however its 429s and 503s fall between the lookups an unanswered
// attempt calls for (a loop of 429, 429, 429, 503 once sent 16).
func TestOneWriteBudgetAcrossLookups(t *testing.T) {
	t.Parallel()
	for _, first503 := range []int32{4, 1} { // the 503 last or first of each four
		for _, access := range []api.Access{canRead, {}} {
			var n atomic.Int32
			cycle := func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1)%4 == first503%4 {
					answer(503, `{"status_code":503,"type":"ServiceUnavailable","message":"down"}`)(w, r)
					return
				}
				answer(429, `{"status_code":429,"type":"RateLimitIssue","message":"slow"}`, "Retry-After", "0")(w, r)
			}
			sc := newScript().on("POST", cycle).on("GET", none)
			srv := httptest.NewServer(sc)
			c := &Creator{Remote: remote(t, srv.URL, access)}
			out, _ := c.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
			srv.Close()
			if posts := sc.count("POST"); posts != 4 || out.Status.Done() {
				t.Errorf("503 at %d of 4, read %v: %d POSTs (status %s), want at most --retries+1 = 4 and no success",
					first503, access.Read, posts, out.Status)
			}
		}
	}
}

// TestResumedRowMetByA409AfterAnEmptyLookup: an earlier run's attempt
// that the lookups found nothing of (twice, and among the records created
// since) did not take effect, so the record a later 409 reveals is
// someone else's: exists, never created.
func TestResumedRowMetByA409AfterAnEmptyLookup(t *testing.T) {
	t.Parallel()
	sc := newScript().on("POST", conflict).on("GET", none, none, none, page(ours))
	srv := httptest.NewServer(sc)
	defer srv.Close()
	c := &Creator{Remote: remote(t, srv.URL, canRead)}
	job := pipeline.Job{Row: validRow(), Prior: pipeline.Prior{MaybeSent: true, Op: api.OpCreate, At: time.Now().Add(-time.Minute)}}
	out, _ := c.Act(context.Background(), context.Background(), job, nil)
	if out.Status != rows.StatusExists || sc.count("POST") != 1 {
		t.Errorf("%s after %d POSTs: want exists", out.Status, sc.count("POST"))
	}
}

// TestAPatchAnsweredWithAnotherRecordIsNotExtended: the 200 must carry
// the record that was patched.
func TestAPatchAnsweredWithAnotherRecordIsNotExtended(t *testing.T) {
	t.Parallel()
	short := func() string { return record(oldID, "2026-12-01T23:59:59Z", hourAgo) }
	sc := newScript().on("POST", conflict).on("GET", page(short)).on("PATCH", answer(200, record(newID, "", time.Now())))
	srv := httptest.NewServer(sc)
	defer srv.Close()
	c := &Creator{Remote: remote(t, srv.URL, canRead)}
	out, _ := c.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
	if out.Status == rows.StatusExtended || out.Status.Done() {
		t.Errorf("a PATCH answered with record %s was taken as %s for %s", newID, out.Status, oldID)
	}
}

// TestBestIsTheRecordThatLastsLongest: of two records holding a row (a
// server without uniqueness), the one that excludes longest decides.
func TestBestIsTheRecordThatLastsLongest(t *testing.T) {
	t.Parallel()
	at := func(id, until string) topo.Exclusion {
		return topo.Exclusion{ID: id, Email: topo.Nullable("a@b.co"), Reason: "OTHER", Until: topo.Nullable(until)}
	}
	row := validRow()
	for _, tc := range []struct {
		name string
		recs []topo.Exclusion
		want string
	}{
		{"the later until", []topo.Exclusion{at("short", "2030-01-01T00:00:00Z"), at("long", "2031-01-01T00:00:00Z")}, "long"},
		{"the later until, listed first", []topo.Exclusion{at("long", "2031-01-01T00:00:00Z"), at("short", "2030-01-01T00:00:00Z")}, "long"},
		{"permanent over any until", []topo.Exclusion{at("short", "2030-01-01T00:00:00Z"), at("perm", "")}, "perm"},
	} {
		if got := best(tc.recs, row).ID; got != tc.want {
			t.Errorf("%s: best is %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestLookupsKeepOnlyRecordsHoldingTheKey: a proxy that drops the filter
// answers with everyone's records; removing by key deletes only the
// row's.
func TestLookupsKeepOnlyRecordsHoldingTheKey(t *testing.T) {
	t.Parallel()
	other := func() string { return strings.Replace(record(oldID, "", hourAgo), "a@b.co", "someone@else.co", 1) }
	sc := newScript().on("GET", page(other, ours)).on("DELETE", answer(204, ""))
	srv := httptest.NewServer(sc)
	defer srv.Close()
	r := &Remover{Remote: remote(t, srv.URL, canRead)}
	out, _ := r.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
	if out.Status != rows.StatusRemoved || out.ID != newID || sc.count("DELETE") != 1 {
		t.Errorf("%s %s after %d DELETEs: want the row's record removed, and no other", out.Status, out.ID, sc.count("DELETE"))
	}
}

// TestRemoveByAVanishedIDLooksForAnotherRecord: "not found" only when no
// record holds the row's key either.
func TestRemoveByAVanishedIDLooksForAnotherRecord(t *testing.T) {
	t.Parallel()
	gone := answer(404, `{"status_code":404,"type":"NotFoundIssue","message":"no such id"}`)
	sc := newScript().on("DELETE", gone).on("GET", byPath(gone, page(existing)))
	srv := httptest.NewServer(sc)
	defer srv.Close()
	r := &Remover{Remote: remote(t, srv.URL, canRead)}
	row := validRow()
	row.Norm.ID = newID
	out, _ := r.Act(context.Background(), context.Background(), pipeline.Job{Row: row}, nil)
	if out.Status != rows.StatusFailed || !strings.Contains(out.Err, oldID) || sc.count("GET") == 0 {
		t.Errorf("%s %q: want failed, naming %s, which holds the row's email", out.Status, out.Err, oldID)
	}
}

// byPath answers a GET of one record with one, a lookup with the other.
func byPath(record, lookup http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.Count(r.URL.Path, "/") > 2 {
			record(w, r)
			return
		}
		lookup(w, r)
	}
}

// TestResumedRemoveByKeyIsRemoved: an earlier run's DELETE went out with
// no outcome recorded; the record is gone now: it was this row's removal.
func TestResumedRemoveByKeyIsRemoved(t *testing.T) {
	t.Parallel()
	sc := newScript().on("GET", none)
	srv := httptest.NewServer(sc)
	defer srv.Close()
	r := &Remover{Remote: remote(t, srv.URL, canRead)}
	job := pipeline.Job{Row: validRow(), Prior: pipeline.Prior{MaybeSent: true, Op: api.OpDelete, ID: oldID}}
	out, _ := r.Act(context.Background(), context.Background(), job, nil)
	if out.Status != rows.StatusRemoved || out.ID != oldID {
		t.Errorf("%s %s, want removed %s", out.Status, out.ID, oldID)
	}
}

// TestAResumedRowCostsItsLookupsOnly: a row an earlier run may have sent
// (its attempt a minute old: the settle delay long past), with Topo's
// whole list read since: one lookup of its key, then the send — no wait,
// no second look, no pages of records created since, which a resume of
// hundreds of rows once paid a row at a time.
func TestAResumedRowCostsItsLookupsOnly(t *testing.T) {
	t.Parallel()
	sc := newScript().on("POST", created).on("GET", none)
	srv := httptest.NewServer(sc)
	defer srv.Close()
	r := remote(t, srv.URL, canRead)
	r.Settle = DefaultSettle
	var waits atomic.Int64
	r.Sleep = func(ctx context.Context, _ time.Duration) error { waits.Add(1); return ctx.Err() }
	r.Snapshot = NewIndex(time.Now())
	defer r.Snapshot.Free()
	job := pipeline.Job{Row: validRow(), Prior: pipeline.Prior{MaybeSent: true, Op: api.OpCreate, At: time.Now().Add(-time.Minute)}}
	out, _ := (&Creator{Remote: r}).Act(context.Background(), context.Background(), job, nil)
	if out.Status != rows.StatusCreated || sc.count("GET") != 1 || sc.count("POST") != 1 || waits.Load() != 0 {
		t.Errorf("%s after %d lookups, %d POSTs and %d waits: want created after one lookup, no wait", out.Status, sc.count("GET"), sc.count("POST"), waits.Load())
	}
}
