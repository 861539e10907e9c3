package settle

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// The tests here run against the fake API with uniqueness off
// (NotUnique), where a second POST of a row is a second record: they
// count the records at the server, not the requests.

// serverClock is a fake API's clock: the real time, off by an offset a
// test moves (a settle delay that passes, a clock that steps).
type serverClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *serverClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *serverClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// fake is a fake API with opt and a Remote on it whose key reads and
// writes, learnt of the server's clock by one answer.
func fake(t *testing.T, opt topotest.Options) (*topotest.Server, Remote) {
	t.Helper()
	srv := topotest.NewServer(opt)
	t.Cleanup(srv.Close)
	r := remote(t, srv.URL, api.Access{Read: true, Total: -1})
	r.API.List(context.Background(), topo.Contacts, api.Query{Size: 1})
	return srv, r
}

// contactRow is a valid row as the validator makes it from these cells.
func contactRow(t *testing.T, email, linkedin, until string) rows.Row {
	t.Helper()
	row := rows.Row{Num: 2, Status: rows.StatusValid, Raw: rows.Fields{Email: email, LinkedInURL: linkedin, Reason: "OTHER", Until: until},
		Norm: rows.Fields{Reason: "OTHER", Until: until}}
	var err error
	if email != "" {
		if row.Norm.Email, err = rows.NormalizeEmail(email); err != nil {
			t.Fatal(err)
		}
	}
	if linkedin != "" {
		if row.Norm.LinkedInURL, err = rows.NormalizeLinkedIn(linkedin); err != nil {
			t.Fatal(err)
		}
	}
	return row
}

func act(t *testing.T, c *Creator, job pipeline.Job) rows.Outcome {
	t.Helper()
	out, err := c.Act(context.Background(), context.Background(), job, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLookupAfterALostAnswerFindsEveryForm: the first POST commits and
// its answer is lost; Topo holds the record in a form this tool does not
// send (the email's domain in Unicode, a member id lower-cased), or the
// lookup's filter is mangled on the way (a + read as a space): the lookup
// still finds it, the row is created once, and nothing is sent again.
// With a crowd of other records created in the seconds before, the
// records created since the attempt are too many to read, and the
// lookups of every form must find it alone (a mangled filter cannot).
func TestLookupAfterALostAnswerFindsEveryForm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		opt             topotest.Options
		email, linkedin string
		mangled         bool
	}{
		{"a backend that keeps the domain in Unicode", topotest.Options{StoreUnicode: true}, "Anna@München.de", "", false},
		{"a backend that lower-cases member ids", topotest.Options{LowerMemberIDs: true}, "", "linkedin.com/in/ACoAABcDeFgHiJ", false},
		{"both", topotest.Options{StoreUnicode: true, LowerMemberIDs: true}, "ann@bücher.example", "https://www.linkedin.com/in/ACoAAXyZ123/", false},
		{"a proxy that reads %2B as a space", topotest.Options{PlusAsSpace: true}, "ann+news@example.com", "", true},
		{"all three", topotest.Options{StoreUnicode: true, LowerMemberIDs: true, PlusAsSpace: true}, "ann+news@bücher.example", "https://www.linkedin.com/in/ACoAAXyZ123/", true},
	} {
		for _, crowd := range []bool{false, true} {
			if crowd && tc.mangled {
				continue
			}
			t.Run(fmt.Sprintf("%s/crowd=%v", tc.name, crowd), func(t *testing.T) {
				t.Parallel()
				// A copy: the crowd=false and crowd=true subtests share tc
				// and run at once.
				opt := tc.opt
				opt.NotUnique, opt.CommitFirst = true, 1
				srv, r := fake(t, opt)
				if crowd {
					others := crowdOf(windowPages*PageSize + 50)
					if err := srv.Load(strings.NewReader(others)); err != nil {
						t.Fatal(err)
					}
				}
				out := act(t, &Creator{Remote: r}, pipeline.Job{Row: contactRow(t, tc.email, tc.linkedin, "")})
				var mine []topotest.Exclusion
				for _, rec := range srv.Records() {
					if !strings.HasPrefix(topo.Str(rec.Email), "crowd") {
						mine = append(mine, rec)
					}
				}
				if len(mine) != 1 || out.Status != rows.StatusCreated || out.ID != mine[0].ID {
					t.Errorf("%s %q (%s %s); the server holds %d records of the row, want the one this run created", out.Status, out.ID, out.Err, out.Note, len(mine))
				}
				if st := srv.Stats(); st.ByMethod["POST"] != 1 {
					t.Errorf("%d POSTs, want 1", st.ByMethod["POST"])
				}
			})
		}
	}
}

// crowdOf is n records of other people, created in the five seconds
// before now.
func crowdOf(n int) string {
	var b strings.Builder
	b.WriteString("[")
	start := time.Now().Add(-5 * time.Second)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"email":"crowd%d@example.com","reason":"OTHER","created_at":%q}`, i, start.Add(time.Duration(i)*4*time.Millisecond).Format(time.RFC3339Nano))
	}
	b.WriteString("]")
	return b.String()
}

// TestPlanFindsARecordHeldAsTheRowWroteIt: a record made elsewhere with
// the LinkedIn URL as someone pasted it, or a member id lower-cased, is
// the row's: plan says exists, not would_create.
func TestPlanFindsARecordHeldAsTheRowWroteIt(t *testing.T) {
	t.Parallel()
	srv, r := fake(t, topotest.Options{})
	if err := srv.Load(strings.NewReader(`[{"linkedin_url":"linkedin.com/in/Anna-B/?trk=x","reason":"OTHER"},{"linkedin_url":"https://www.linkedin.com/in/acoaabcdefg","reason":"OTHER"}]`)); err != nil {
		t.Fatal(err)
	}
	p := &Planner{Remote: r}
	for _, cell := range []string{"linkedin.com/in/Anna-B/?trk=x", "https://www.linkedin.com/in/ACoAABcDeFg"} {
		out, err := p.Act(context.Background(), context.Background(), pipeline.Job{Row: contactRow(t, "", cell, "")}, nil)
		if err != nil || out.Status != rows.StatusExists {
			t.Errorf("%s: %s (%v %s), want exists", cell, out.Status, err, out.Err)
		}
	}
}

// TestLookupWaitsForReadsThatLag: Topo's list shows a record 2 s after
// it was created. The answer to the create is lost; the lookup right
// after finds nothing, the one after the settle delay finds it: no second
// POST, one record. Without the second look, the row is sent again.
func TestLookupWaitsForReadsThatLag(t *testing.T) {
	t.Parallel()
	clock := &serverClock{}
	srv, r := fake(t, topotest.Options{NotUnique: true, CommitFirst: 1, ReadLag: DefaultSettle, Now: clock.now})
	r.Settle = 0 // the default
	var slept atomic.Int64
	r.Sleep = func(_ context.Context, d time.Duration) error {
		slept.Add(int64(d))
		clock.add(d) // the delay passes on the server's clock, at once
		return nil
	}
	out := act(t, &Creator{Remote: r}, pipeline.Job{Row: contactRow(t, "late@example.com", "", "")})
	if recs := srv.Records(); len(recs) != 1 || out.Status != rows.StatusCreated || out.ID != recs[0].ID {
		t.Errorf("%s %q (%s %s); the server holds %d records", out.Status, out.ID, out.Err, out.Note, len(recs))
	}
	// The delay counts from the attempt: what is left of it, once.
	if w := time.Duration(slept.Load()); w <= DefaultSettle-time.Second || w > DefaultSettle {
		t.Errorf("waited %v, want what is left of the settle delay, once", w)
	}
}

// TestASecondRecordIsSaid: reads lag longer than the settle delay, so the
// lookups find nothing and the row is sent again; the look after that
// re-send finds the first attempt's record: the row is created (by the
// re-send), its note names both records, and the count is kept.
func TestASecondRecordIsSaid(t *testing.T) {
	t.Parallel()
	clock := &serverClock{}
	srv, r := fake(t, topotest.Options{NotUnique: true, CommitFirst: 1, ReadLag: 5 * time.Second, Now: clock.now})
	r.Settle = 3 * time.Second
	r.Sleep = func(_ context.Context, d time.Duration) error { clock.add(d); return nil }
	var dups atomic.Int32
	c := &Creator{Remote: r, OnDuplicate: func() { dups.Add(1) }}
	out := act(t, c, pipeline.Job{Row: contactRow(t, "late@example.com", "", "")})
	recs := srv.Records()
	if len(recs) != 2 || out.Status != rows.StatusCreated || out.ID != recs[1].ID {
		t.Fatalf("%s %q (%s); the server holds %d records", out.Status, out.ID, out.Note, len(recs))
	}
	if !strings.Contains(out.Note, "Topo holds 2 records") || !strings.Contains(out.Note, recs[0].ID) || dups.Load() != 1 {
		t.Errorf("note %q, %d duplicates counted: want both records named and one counted", out.Note, dups.Load())
	}
}

// TestAbsentNeverOverridesMaybeSent: a snapshot that holds nothing of a
// row an earlier run may have sent decides nothing: the row is looked up,
// and the record that run made is found, not sent again.
func TestAbsentNeverOverridesMaybeSent(t *testing.T) {
	t.Parallel()
	srv, r := fake(t, topotest.Options{NotUnique: true})
	r.Snapshot = NewIndex(time.Now()) // Topo held nothing when it was read
	defer r.Snapshot.Free()
	if err := srv.Load(strings.NewReader(fmt.Sprintf(`[{"email":"a@b.co","reason":"OTHER","created_at":%q}]`, time.Now().Format(time.RFC3339Nano)))); err != nil {
		t.Fatal(err)
	}
	c := &Creator{Remote: r}
	job := pipeline.Job{Row: validRow(), Prior: pipeline.Prior{MaybeSent: true, Op: api.OpCreate, At: time.Now().Add(-time.Minute)}}
	if _, ok := c.Local(job); ok {
		t.Fatal("the snapshot decided a row an earlier run may have sent")
	}
	out := act(t, c, job)
	if out.Status != rows.StatusCreated || len(srv.Records()) != 1 || srv.Stats().ByMethod["POST"] != 0 {
		t.Errorf("%s (%s); %d records, %d POSTs: want the earlier run's record found, nothing sent", out.Status, out.Err, len(srv.Records()), srv.Stats().ByMethod["POST"])
	}
}
