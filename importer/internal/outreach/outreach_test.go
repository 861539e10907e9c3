package outreach

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// people is a fake Topo with contacts in sequences: who is in which, by
// the keys a list may name them by.
type people struct {
	srv *topotest.Server
	ws  *topotest.Workspace
	seq map[string][]string // a name → its sequences' ids
}

func str(s string) *string { return &s }

func newPeople(t *testing.T, opt topotest.Options) *people {
	t.Helper()
	srv := topotest.NewServer(opt)
	t.Cleanup(srv.Close)
	p := &people{srv: srv, ws: srv.Workspace(topotest.DefaultWorkspace), seq: map[string][]string{}}
	add := func(name string, c topotest.Contact, statuses ...string) {
		id := p.ws.AddContact(c)
		for _, st := range statuses {
			p.seq[name] = append(p.seq[name], p.ws.AddSequence(topotest.Sequence{ContactID: &id, SequenceTemplateID: "tpl", Status: st}))
		}
	}
	add("ann", topotest.Contact{Email: str("Ann.Lee@Example.com")}, topotest.SequenceActive, topotest.SequenceCompleted)
	add("bob", topotest.Contact{LinkedInURL: str("https://www.linkedin.com/in/bob-martin")}, topotest.SequenceWaitingForLead)
	add("cat", topotest.Contact{Email: str("cat@eu.acme.com")}, topotest.SequenceWaitingForUser)
	add("dan", topotest.Contact{Email: str("dan@other.io"), CompanyDomain: str("acme.com")}, topotest.SequenceFound)
	add("eve", topotest.Contact{Email: str("eve@nowhere.org")}, topotest.SequenceActive) // not on the list
	add("fay", topotest.Contact{Email: str("fay@example.com")}, topotest.SequenceStoppedEarly, topotest.SequenceSucceeded)
	return p
}

func (p *people) checker(t *testing.T, stop bool) *Checker {
	t.Helper()
	c, err := api.NewClient(p.srv.URL, topotest.DefaultToken, "test", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	r := &api.Retrier{Pacer: api.NewPacer(0), Retries: 3, Timeout: 5 * time.Second, Backoff: func(int) time.Duration { return time.Millisecond }}
	return &Checker{Remote: Remote{API: c, Retrier: r}, Stop: stop}
}

func excluded(num int, f rows.Fields) rows.Outcome {
	return rows.Outcome{Row: rows.Row{Num: num, Status: rows.StatusValid, Norm: f}, Status: rows.StatusExists}
}

// list is rows naming ann (by another case), bob (by his profile in
// another shape), acme.com (cat and dan work there), fay (finished
// sequences only), and someone Topo has no contact for.
var list = []rows.Outcome{
	excluded(2, rows.Fields{Email: "ann.lee@example.com"}),
	excluded(3, rows.Fields{LinkedInURL: "https://www.linkedin.com/in/bob-martin"}),
	excluded(4, rows.Fields{Domain: "acme.com"}),
	excluded(5, rows.Fields{Email: "fay@example.com"}),
	excluded(6, rows.Fields{Email: "nobody@example.com"}),
}

// TestFindsWhoIsStillContacted: by the index and row by row, the same
// people are found: email in any case, a LinkedIn profile, a domain's
// people under it or working for it; finished sequences and people not on
// the list are not; and with a sequences endpoint that ignores
// contact_id, the row lookups fall back to the index instead of taking
// everyone's sequences.
func TestFindsWhoIsStillContacted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opt    topotest.Options
		index  bool
		domain bool // the domain row is answered (rows alone cannot)
	}{
		{"by the index", topotest.Options{}, true, true},
		{"row by row", topotest.Options{}, false, true},
		{"row by row, contact_id ignored", topotest.Options{IgnoreSequenceContactFilter: true}, false, true},
		{"by the index, contact_id ignored", topotest.Options{IgnoreSequenceContactFilter: true}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPeople(t, tc.opt)
			c := p.checker(t, false)
			if tc.index {
				x, err := c.Remote.Build(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				c.Index = x
			}
			want := map[int][]string{2: p.seq["ann"][:1], 3: p.seq["bob"], 4: append(slices.Clone(p.seq["cat"]), p.seq["dan"]...)}
			for _, o := range list {
				got, err := c.Check(context.Background(), context.Background(), o)
				if err != nil {
					t.Fatal(err)
				}
				w := want[o.Row.Num]
				state := rows.OutreachNone
				if len(w) > 0 {
					state = rows.OutreachRunning
				}
				slices.Sort(w)
				slices.Sort(got.Outreach.Sequences)
				if got.Outreach.State != state || !slices.Equal(got.Outreach.Sequences, w) {
					t.Errorf("row %d: %s %v (%s), want %s %v", o.Row.Num, got.Outreach.State, got.Outreach.Sequences, got.Outreach.Why, state, w)
				}
				if state == rows.OutreachRunning && !got.NeedsAction() {
					t.Errorf("row %d: a person still contacted must need action", o.Row.Num)
				}
			}
			if st := p.srv.Stats(); st.Stops != 0 {
				t.Errorf("report mode stopped %d sequences", st.Stops)
			}
		})
	}
}

// TestStopsEveryRunningSequenceOnce: under faults (a stop that takes
// effect and then answers 503, resets, 429s), every running sequence of a
// listed person is stopped exactly once and said stopped; finished ones
// and other people's are untouched; run again (an earlier run's journal),
// nothing is stopped twice and the rows still say stopped.
func TestStopsEveryRunningSequenceOnce(t *testing.T) {
	t.Parallel()
	p := newPeople(t, topotest.Options{FailAfterCommit: 0.4, ResetRate: 0.1, Rate: 50, Burst: 2, Seed: 3})
	j := &memJournal{stops: map[int]map[string]string{}}
	for run := range 2 {
		c := p.checker(t, true)
		c.Journal = j
		for _, o := range list {
			got, err := c.Check(context.Background(), context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			wantStopped := map[int]bool{2: true, 3: true, 4: true}[o.Row.Num]
			switch {
			case wantStopped && got.Outreach.State != rows.OutreachStopped:
				t.Errorf("run %d, row %d: %s (%s), want stopped", run, o.Row.Num, got.Outreach.State, got.Outreach.Why)
			case !wantStopped && got.Outreach.State != rows.OutreachNone:
				t.Errorf("run %d, row %d: %s, want none", run, o.Row.Num, got.Outreach.State)
			}
		}
	}
	st := p.srv.Stats()
	for _, q := range p.ws.Sequences() {
		owner := ""
		for name, ids := range p.seq {
			if slices.Contains(ids, q.ID) {
				owner = name
			}
		}
		listed := owner == "ann" || owner == "bob" || owner == "cat" || owner == "dan"
		if q.Running() && listed {
			t.Errorf("%s's sequence %s is still %s", owner, q.ID, q.Status)
		}
		if owner == "eve" && q.Status != topotest.SequenceActive {
			t.Errorf("eve is not on the list: her sequence is %s", q.Status)
		}
	}
	if st.Stops != 4 {
		t.Errorf("%d stops took effect, want the 4 running sequences of listed people, each once (%d stops of finished ones)", st.Stops, st.StopsFinished)
	}
}

// memJournal is a journal of stops in memory.
type memJournal struct {
	stops map[int]map[string]string
}

func (j *memJournal) Intend(in pipeline.Intent) func() error {
	if in.Op == api.OpStop {
		if j.stops[in.Row] == nil {
			j.stops[in.Row] = map[string]string{}
		}
		if _, ok := j.stops[in.Row][in.ID]; !ok {
			j.stops[in.Row][in.ID] = ""
		}
	}
	return func() error { return nil }
}

func (j *memJournal) RecordStop(row int, seq, result string) error {
	j.stops[row][seq] = result
	return nil
}

func (j *memJournal) Stops(row int) map[string]string {
	out := map[string]string{}
	for k, v := range j.stops[row] {
		out[k] = v
	}
	return out
}

// TestAStopAnsweredUnclearlyIsLookedUp: a stop that took effect but whose
// answer was a 503 is stopped once a read of the sequence shows it; a
// sequence that finished by itself (422) is not a failure.
func TestAStopAnsweredUnclearlyIsLookedUp(t *testing.T) {
	t.Parallel()
	p := newPeople(t, topotest.Options{FailAfterCommit: 1})
	c := p.checker(t, true)
	got, _ := c.Check(context.Background(), context.Background(), list[0])
	if got.Outreach.State != rows.OutreachStopped || p.srv.Stats().Stops != 1 {
		t.Errorf("%s (%s) after %d stops: want stopped, by the one stop", got.Outreach.State, got.Outreach.Why, p.srv.Stats().Stops)
	}
	res, why, _, err := c.Remote.Stop(context.Background(), context.Background(), p.seq["fay"][0], false)
	if res != Finished || err != nil || !strings.Contains(why, "STOPPED_EARLY") {
		t.Errorf("stopping a finished sequence: %s %q %v, want finished", res, why, err)
	}
}

// TestABigWorkspaceIsReadWhole: the index reads running sequences a page
// of 100 at a time and their contacts by id, and stays cheap.
func TestABigWorkspaceIsReadWhole(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	ws := srv.Workspace(topotest.DefaultWorkspace)
	for i := range 300 {
		id := ws.AddContact(topotest.Contact{Email: str(fmt.Sprintf("p%d@x.co", i))})
		if i%5 == 0 {
			ws.AddSequence(topotest.Sequence{ContactID: &id, SequenceTemplateID: "t", Status: topotest.SequenceActive})
		}
	}
	c := (&people{srv: srv}).checker(t, false)
	x, err := c.Remote.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Running(rows.Row{Norm: rows.Fields{Email: "p5@x.co"}}); len(got) != 1 {
		t.Errorf("p5: %v", got)
	}
	// 4 statuses (one page each) + the contacts (3 pages beat 60 GETs) + the first contacts page.
	if x.Requests > 4+1+3 {
		t.Errorf("building the index took %d requests", x.Requests)
	}
}
