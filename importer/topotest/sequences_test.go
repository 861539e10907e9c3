package topotest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sequences adds one sequence per status to the default workspace, for
// contact c1 where i is even and c2 where odd.
func sequences(s *Server, statuses ...string) (ids []string) {
	for i, st := range statuses {
		c := "c1"
		if i%2 == 1 {
			c = "c2"
		}
		ids = append(ids, s.Workspace(DefaultWorkspace).AddSequence(Sequence{ContactID: &c, SequenceTemplateID: "tpl_1", Status: st}))
	}
	return ids
}

func TestSequenceObjectAndGet(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{})
	defer s.Close()
	id := s.Workspace(DefaultWorkspace).AddSequence(Sequence{SequenceTemplateID: "tpl_1", Variables: map[string]any{"first_name": "Ann"}})
	a := get(t, s, "/v1/sequences/"+id, DefaultReadOnlyToken)
	for _, k := range []string{"id", "organization_id", "contact_id", "sequence_template_id", "status", "variables", "source_contact_list_id", "last_step_executed_at", "created_at", "updated_at"} {
		if _, ok := a.body[k]; !ok {
			t.Errorf("sequence lacks %q: %s", k, a.raw)
		}
	}
	if a.body["status"] != "ACTIVE" || a.body["organization_id"] != DefaultWorkspace || a.body["contact_id"] != nil || a.body["variables"].(map[string]any)["first_name"] != "Ann" {
		t.Errorf("%s", a.raw)
	}
	checkError(t, get(t, s, "/v1/sequences/nope", DefaultToken), 404, "NotFoundIssue", "no sequence")
	defer func() {
		if recover() == nil {
			t.Error("an unknown status did not panic")
		}
	}()
	s.Workspace(DefaultWorkspace).AddSequence(Sequence{Status: "PAUSED"})
}

func TestSequenceFilters(t *testing.T) {
	t.Parallel()
	for _, ignore := range []bool{false, true} {
		t.Run("ignore contact_id "+strconv.FormatBool(ignore), func(t *testing.T) {
			t.Parallel()
			s := NewServer(Options{IgnoreSequenceContactFilter: ignore})
			defer s.Close()
			all := sequences(s, "ACTIVE", "ACTIVE", "WAITING_FOR_USER", "COMPLETED", "STOPPED_EARLY")
			list := func(q string) []string { return ids(t, get(t, s, "/v1/sequences?"+q, DefaultToken)) }
			if got := list("status=ACTIVE"); !slices.Equal(got, all[:2]) {
				t.Errorf("status: %v", got)
			}
			want := []string{all[0], all[2], all[4]}
			if ignore {
				want = all
			}
			if got := list("contact_id=c1"); !slices.Equal(got, want) {
				t.Errorf("contact_id: %v, want %v", got, want)
			}
			if got := list("contact_id=c1&status=ACTIVE"); !ignore && !slices.Equal(got, all[:1]) || ignore && !slices.Equal(got, all[:2]) {
				t.Errorf("both: %v", got)
			}
			if got := list("size=2&page=3"); !slices.Equal(got, all[4:]) {
				t.Errorf("paging: %v", got)
			}
			checkError(t, get(t, s, "/v1/sequences?status=PAUSED", DefaultToken), 400, "ValidationIssue", "status")
			checkError(t, get(t, s, "/v1/sequences?size=500", DefaultToken), 400, "ValidationIssue", "")
		})
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Now: func() time.Time { return t0 }})
	defer s.Close()
	ids := sequences(s, "WAITING_FOR_LEAD", "COMPLETED")
	a := stop(t, s, ids[0], DefaultToken)
	if a.status != 200 || a.body["status"] != "STOPPED_EARLY" || a.body["id"] != ids[0] || a.body["updated_at"] != "2026-03-01T12:00:00Z" {
		t.Fatalf("stop: %d %s", a.status, a.raw)
	}
	checkError(t, stop(t, s, ids[0], DefaultToken), 422, "BusinessIssue", "already finished")
	f := stop(t, s, ids[1], DefaultToken)
	checkError(t, f, 422, "BusinessIssue", "COMPLETED")
	if data, _ := f.body["data"].(map[string]any); data["status"] != "COMPLETED" {
		t.Errorf("422 data: %s", f.raw)
	}
	checkError(t, stop(t, s, "nope", DefaultToken), 404, "NotFoundIssue", "")
	checkError(t, do(t, s, "POST", "/v1/sequences/"+ids[0]+"/stop", DefaultToken, "", `{}`), 400, "ValidationIssue", "Content-Type")
	for _, body := range []string{"", "[]", "null", "nope"} {
		checkError(t, do(t, s, "POST", "/v1/sequences/"+ids[0]+"/stop", DefaultToken, "application/json", body), 400, "ValidationIssue", "{}")
	}
	if st := s.Stats(); st.Stops != 1 || st.StopsFinished != 2 {
		t.Errorf("stats %+v", st)
	}
	if q := s.Workspace(DefaultWorkspace).Sequences(); q[0].Status != SequenceStoppedEarly || q[0].Running() || q[1].Status != SequenceCompleted {
		t.Errorf("stored %+v", q)
	}
}

func TestStopFinishedConflict(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{StopFinishedConflict: true})
	defer s.Close()
	ids := sequences(s, "REFUSED")
	checkError(t, stop(t, s, ids[0], DefaultToken), 409, "CommitIssue", "REFUSED")
}

func TestConcurrentStopsOfOneSequence(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{})
	defer s.Close()
	id := sequences(s, "ACTIVE")[0]
	var wg sync.WaitGroup
	statuses := make(chan int, 32)
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			st, err := try(s, "POST", "/v1/sequences/"+id+"/stop", DefaultToken, `{}`)
			statuses <- st
			errs <- err
		})
	}
	wg.Wait()
	close(statuses)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[200] != 1 || count[422] != 31 {
		t.Errorf("statuses %v, want one 200 and 31 422s", count)
	}
	if st := s.Stats(); st.Stops != 1 || st.StopsFinished != 31 {
		t.Errorf("stats %+v", st)
	}
}

func TestStopFaults(t *testing.T) {
	t.Parallel()
	t.Run("fail-rate answers 503 and stops nothing", func(t *testing.T) {
		t.Parallel()
		s := NewServer(Options{FailRate: 1})
		defer s.Close()
		id := sequences(s, "ACTIVE")[0]
		checkError(t, stop(t, s, id, DefaultToken), 503, "ServiceUnavailable", "")
		if q := s.Workspace(DefaultWorkspace).Sequences()[0]; q.Status != "ACTIVE" || s.Stats().Stops != 0 {
			t.Errorf("stopped: %+v", q)
		}
		if a := get(t, s, "/v1/sequences/"+id, DefaultToken); a.status != 200 {
			t.Errorf("reads do not fail: %d", a.status)
		}
	})
	t.Run("fail-after-commit stops, then answers 503", func(t *testing.T) {
		t.Parallel()
		s := NewServer(Options{FailAfterCommit: 1})
		defer s.Close()
		id := sequences(s, "ACTIVE")[0]
		checkError(t, stop(t, s, id, DefaultToken), 503, "ServiceUnavailable", "")
		if a := get(t, s, "/v1/sequences/"+id, DefaultToken); a.body["status"] != "STOPPED_EARLY" {
			t.Errorf("after the 503: %s", a.raw)
		}
		checkError(t, stop(t, s, id, DefaultToken), 422, "BusinessIssue", "")
		if st := s.Stats(); st.Stops != 1 || st.StopsFinished != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("resets drop stops, half of them after taking effect", func(t *testing.T) {
		t.Parallel()
		s := NewServer(Options{ResetRate: 1, Seed: 7})
		defer s.Close()
		ids := sequences(s, slices.Repeat([]string{"ACTIVE"}, 20)...)
		for _, id := range ids {
			if st, err := try(s, "POST", "/v1/sequences/"+id+"/stop", DefaultToken, `{}`); err == nil {
				t.Fatalf("got an answer %d, want a dropped connection", st)
			}
		}
		stopped := 0
		for _, q := range s.Workspace(DefaultWorkspace).Sequences() {
			if q.Status == SequenceStoppedEarly {
				stopped++
			}
		}
		if st := s.Stats(); stopped == 0 || stopped == 20 || st.Stops != stopped || st.ByStatus["reset"] != 20 {
			t.Errorf("%d of 20 stopped, stats %+v", stopped, st)
		}
	})
	t.Run("html 502 from a proxy", func(t *testing.T) {
		t.Parallel()
		s := NewServer(Options{HTML502Rate: 1})
		defer s.Close()
		id := sequences(s, "ACTIVE")[0]
		for _, a := range []answer{stop(t, s, id, DefaultToken), get(t, s, "/v1/contacts", DefaultToken), get(t, s, "/v1/me", DefaultToken)} {
			if a.status != 502 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
				t.Errorf("got %d %s", a.status, a.raw)
			}
		}
		if s.Stats().Stops != 0 {
			t.Error("a proxy's 502 stopped the sequence")
		}
	})
	t.Run("latency delays stops and reads", func(t *testing.T) {
		t.Parallel()
		s := NewServer(Options{Latency: 30 * time.Millisecond})
		defer s.Close()
		id := sequences(s, "ACTIVE")[0]
		start := time.Now()
		stop(t, s, id, DefaultToken)
		get(t, s, "/v1/me", DefaultToken)
		if d := time.Since(start); d < 60*time.Millisecond {
			t.Errorf("two answers after %v, before the latency", d)
		}
	})
}

func TestRateLimitCoversStopsAndReads(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Rate: 0.01, Burst: 1})
	defer s.Close()
	id := sequences(s, "ACTIVE")[0]
	if a := get(t, s, "/v1/me", DefaultToken); a.status != 200 {
		t.Fatalf("first: %d", a.status)
	}
	for _, a := range []answer{
		stop(t, s, id, DefaultToken), get(t, s, "/v1/contacts", DefaultToken),
		get(t, s, "/v1/sequences", DefaultToken), get(t, s, "/v1/me", DefaultToken),
	} {
		checkError(t, a, http.StatusTooManyRequests, "RateLimitIssue", "")
		if a.header.Get("Retry-After") == "" {
			t.Errorf("no Retry-After: %v", a.header)
		}
	}
	if s.Stats().Stops != 0 {
		t.Error("a 429 stopped the sequence")
	}
}
