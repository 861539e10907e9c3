package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// outreachWorld is a workspace where some of the people on a list are
// still in a running sequence: person.i@example.com for i < n, those
// with i%3 == 0 in a running sequence, those with i%3 == 1 in one that
// finished; outsider@example.com, not on the list, in a running one.
type outreachWorld struct {
	srv      *topotest.Server
	list     string            // the list's path
	running  map[string]string // sequence id → email, of listed people
	outsider string            // the outsider's sequence
}

func newOutreachWorld(t *testing.T, dir string, n int, opt topotest.Options) *outreachWorld {
	t.Helper()
	w := &outreachWorld{srv: topotest.NewServer(opt), running: map[string]string{}}
	t.Cleanup(w.srv.Close)
	ws := w.srv.Workspace(topotest.DefaultWorkspace)
	var list strings.Builder
	list.WriteString("email,reason\n")
	for i := range n {
		email := fmt.Sprintf("person.%d@example.com", i)
		fmt.Fprintf(&list, "%s,unsubscribed\n", strings.ToUpper(email[:1])+email[1:]) // as written, not as stored
		if i%3 == 2 {
			continue
		}
		id := ws.AddContact(topotest.Contact{Email: &email})
		status := topotest.SequenceActive
		if i%3 == 1 {
			status = topotest.SequenceCompleted
		}
		seq := ws.AddSequence(topotest.Sequence{ContactID: &id, Status: status})
		if status == topotest.SequenceActive {
			w.running[seq] = email
		}
	}
	out := "outsider@example.com"
	oid := ws.AddContact(topotest.Contact{Email: &out})
	w.outsider = ws.AddSequence(topotest.Sequence{ContactID: &oid})
	w.list = filepath.Join(dir, "list.csv")
	if err := os.WriteFile(w.list, []byte(list.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *outreachWorld) env() []string {
	return []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + w.srv.URL}
}

// status is a sequence's status at the server now.
func (w *outreachWorld) status(id string) string {
	for _, q := range w.srv.Workspace(topotest.DefaultWorkspace).Sequences() {
		if q.ID == id {
			return q.Status
		}
	}
	return "missing"
}

type outreachSummary struct {
	Outreach struct {
		Mode      string         `json:"mode"`
		People    map[string]int `json:"people"`
		Running   int            `json:"sequences_running"`
		Stopped   int            `json:"sequences_stopped"`
		WouldStop int            `json:"would_stop"`
	} `json:"outreach"`
}

func readOutreach(t *testing.T, dir, name string) outreachSummary {
	t.Helper()
	var s outreachSummary
	if err := json.Unmarshal([]byte(readFile(t, dir, name)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOutreachReported: by default an import looks for the people it
// excluded in running sequences and stops none; a person still running
// needs action (failures file, exit 1), whatever the list's case.
func TestOutreachReported(t *testing.T) {
	t.Parallel()
	for _, per := range []struct {
		name string
		n    int // 3 people: looked up one by one; 30: read whole
		opt  topotest.Options
	}{{"per row", 3, topotest.Options{}}, {"read whole", 30, topotest.Options{}},
		{"filter ignored", 30, topotest.Options{IgnoreSequenceContactFilter: true}},
		{"filter ignored per row", 3, topotest.Options{IgnoreSequenceContactFilter: true}}} {
		t.Run(per.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			w := newOutreachWorld(t, dir, per.n, per.opt)
			res := runBinaryEnv(t, dir, "", w.env(), "import", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json", w.list)
			if res.code != 1 || !strings.Contains(res.stderr, "still in a running sequence") {
				t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
			}
			recs := reportRows(t, dir, "r.csv")
			want := map[string]string{}
			for seq, email := range w.running {
				want[email] = seq
			}
			for _, r := range recs {
				seq, running := want[r[3]]
				switch {
				case r[1] != "created":
					t.Errorf("row %s: %s, want created", r[0], r[1])
				case running && (r[17] != "running" || r[18] != seq):
					t.Errorf("row %s (%s): outreach %q %q, want running %s", r[0], r[3], r[17], r[18], seq)
				case !running && (r[17] != "none" || r[18] != ""):
					t.Errorf("row %s (%s): outreach %q %q, want none", r[0], r[3], r[17], r[18])
				}
			}
			if got := len(reportRows(t, dir, "f.csv")); got != len(w.running) {
				t.Errorf("failures file: %d rows, want the %d people still running", got, len(w.running))
			}
			s := readOutreach(t, dir, "s.json")
			if s.Outreach.Mode != "report" || s.Outreach.People["running"] != len(w.running) || s.Outreach.Running != len(w.running) || s.Outreach.Stopped != 0 {
				t.Errorf("summary: %+v", s.Outreach)
			}
			if st := w.srv.Stats(); st.Stops != 0 || st.StopsFinished != 0 {
				t.Errorf("--sequences report stopped sequences: %+v", st)
			}
			// Read whole, the check costs a few pages, not a request or
			// two a person.
			var sum struct {
				Send struct {
					ByOp map[string]int `json:"by_op"`
				} `json:"send"`
			}
			json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum)
			if cost := sum.Send.ByOp["contacts"] + sum.Send.ByOp["sequences"]; per.n > 3 && cost > 8 {
				t.Errorf("looking for %d people cost %d requests: %v", per.n, cost, sum.Send.ByOp)
			}
		})
	}
}

// TestOutreachStopped: --sequences stop stops every running sequence of a
// listed person once, and nothing else; a rerun stops nothing again.
func TestOutreachStopped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w := newOutreachWorld(t, dir, 30, topotest.Options{})
	args := []string{"import", "--sequences", "stop", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json"}
	res := runBinaryEnv(t, dir, "", w.env(), append(args, w.list)...)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	stopped := 0
	for _, r := range reportRows(t, dir, "r.csv") {
		if r[17] == "stopped" {
			stopped++
		}
	}
	for seq := range w.running {
		if st := w.status(seq); st != topotest.SequenceStoppedEarly {
			t.Errorf("sequence %s of a listed person: %s", seq, st)
		}
	}
	if st := w.status(w.outsider); st != topotest.SequenceActive {
		t.Errorf("the outsider's sequence: %s, want it untouched", st)
	}
	st := w.srv.Stats()
	if stopped != len(w.running) || st.Stops != len(w.running) || st.StopsFinished != 0 {
		t.Errorf("%d rows stopped, server saw %d stops (%d of finished ones); want %d each", stopped, st.Stops, st.StopsFinished, len(w.running))
	}
	if s := readOutreach(t, dir, "s.json"); s.Outreach.Stopped != len(w.running) {
		t.Errorf("summary: %+v", s.Outreach)
	}
	res = runBinaryEnv(t, dir, "", w.env(), append(args, "--force", w.list)...)
	if after := w.srv.Stats(); res.code != 0 || after.Stops != st.Stops || after.StopsFinished != 0 {
		t.Errorf("rerun: exit %d, stops %d → %d (finished %d)\n%s", res.code, st.Stops, after.Stops, after.StopsFinished, res.stderr)
	}
}

// TestOutreachPlan: plan says who is still running and counts what a
// stop would stop, writing nothing.
func TestOutreachPlan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w := newOutreachWorld(t, dir, 30, topotest.Options{})
	res := runBinaryEnv(t, dir, "", w.env(), "plan", "--report", "p.csv", "--failures", "pf.csv", "--summary", "s.json", w.list)
	s := readOutreach(t, dir, "s.json")
	if s.Outreach.WouldStop != len(w.running) || s.Outreach.People["running"] != len(w.running) {
		t.Errorf("plan: exit %d, %+v\n%s", res.code, s.Outreach, res.stderr)
	}
	if st := w.srv.Stats(); st.ByMethod["POST"] != 0 || st.Stops != 0 {
		t.Errorf("plan wrote: %+v", st)
	}
	if res := runBinaryEnv(t, dir, "", w.env(), "plan", "--sequences", "stop", w.list); res.code != 2 {
		t.Errorf("plan --sequences stop: exit %d, want 2", res.code)
	}
}

// TestOutreachScopes: a key that may not read sequences gets the
// exclusions and one warning by default, and is refused up front when a
// mode is asked for that needs what it lacks.
func TestOutreachScopes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exclusionsOnly := topotest.Key{Token: "topo_exclusions_only_key", Scopes: []string{topotest.ScopeExclusionsRead, topotest.ScopeExclusionsWrite}}
	readSequences := topotest.Key{Token: "topo_read_sequences_key", Scopes: []string{topotest.ScopeExclusionsRead, topotest.ScopeExclusionsWrite,
		topotest.ScopeContactsRead, topotest.ScopeSequencesRead}}
	w := newOutreachWorld(t, dir, 6, topotest.Options{Keys: []topotest.Key{exclusionsOnly, readSequences}})
	env := func(key string) []string { return []string{"TOPO_API_KEY=" + key, "TOPO_BASE_URL=" + w.srv.URL} }

	res := runBinaryEnv(t, dir, "", env(exclusionsOnly.Token), "import", "--report", "a.csv", "--failures", "af.csv", w.list)
	if res.code != 0 || strings.Count(res.stderr, "running sequences are not looked for: the key lacks contacts:read") != 1 {
		t.Errorf("default without the scopes: exit %d\n%s", res.code, res.stderr)
	}
	for _, r := range reportRows(t, dir, "a.csv") {
		if r[17] != "" {
			t.Errorf("row %s: outreach %q though nobody looked", r[0], r[17])
		}
	}
	posts := w.srv.Stats().ByMethod["POST"]
	res = runBinaryEnv(t, dir, "", env(readSequences.Token), "import", "--force", "--sequences", "stop", w.list)
	if res.code != 2 || !strings.Contains(res.stderr, "sequences:write") || w.srv.Stats().ByMethod["POST"] != posts {
		t.Errorf("--sequences stop without sequences:write: exit %d, POSTs %d → %d\n%s", res.code, posts, w.srv.Stats().ByMethod["POST"], res.stderr)
	}
}

// TestOutreachStopKillAndResume: --sequences stop against a Topo whose
// stops take effect and then answer 503 or drop the connection, killed
// at random moments and run again: at the end every running sequence of
// a listed person is stopped, none was stopped twice, and the report
// says stopped for each of those people.
func TestOutreachStopKillAndResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w := newOutreachWorld(t, dir, 90, topotest.Options{FailAfterCommit: 0.2, ResetRate: 0.05,
		Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: 7})
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("TOPO_CHAOS_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("TOPO_CHAOS_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	kills, completed := 0, false
	for runs := 1; ; runs++ {
		if runs > 30 {
			t.Fatalf("no clean finish after %d runs and %d kills", runs, kills)
		}
		cmd := importCmd(t, dir, w.list, w.srv, "--quiet", "--sequences", "stop")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if kills < 6 {
			// Every other kill lands among the stops: once one to four
			// more have taken effect, the answer to the last perhaps
			// still on its way.
			kill := time.After(time.Duration(40+rng.IntN(400)) * time.Millisecond)
			if kills%2 == 1 {
				kill = afterStops(w.srv, w.srv.Stats().Stops+1+rng.IntN(4), exited)
			}
			select {
			case err := <-exited:
				// A run that completed leaves nothing to kill: later runs
				// only say it already ran (on a busy machine this can come
				// before the sixth kill).
				t.Logf("run %d finished before its kill: %v", runs, err)
				if _, serr := os.Stat(filepath.Join(dir, "r.csv")); err == nil && serr == nil {
					if kills < 2 {
						t.Fatalf("the run completed after %d kills: too few to prove anything", kills)
					}
					completed = true
				}
			case <-kill:
				cmd.Process.Signal(syscall.SIGKILL)
				<-exited
				kills++
				t.Logf("killed run %d with %d stops taken effect", runs, w.srv.Stats().Stops)
				continue
			}
		} else if err := <-exited; err != nil {
			t.Fatalf("final run: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "r.csv")); err == nil && (kills >= 6 || completed) {
			break
		}
	}
	st := w.srv.Stats()
	t.Logf("%d kills; server: %+v", kills, st)
	for seq := range w.running {
		if s := w.status(seq); s != topotest.SequenceStoppedEarly {
			t.Errorf("sequence %s of a listed person: %s after the kills", seq, s)
		}
	}
	if s := w.status(w.outsider); s != topotest.SequenceActive {
		t.Errorf("the outsider's sequence: %s", s)
	}
	if st.Stops != len(w.running) || st.StopsFinished != 0 {
		t.Errorf("%d stops took effect, %d were sent to finished sequences; want %d and none", st.Stops, st.StopsFinished, len(w.running))
	}
	running := map[string]bool{}
	for _, email := range w.running {
		running[email] = true
	}
	for _, r := range reportRows(t, dir, "r.csv") {
		if want := map[bool]string{true: "stopped", false: "none"}[running[r[3]]]; r[17] != want {
			t.Errorf("row %s (%s): outreach %q, want %s (%s)", r[0], r[3], r[17], want, r[10])
		}
	}
}

// afterStops fires once the server has seen n stops take effect, or
// never if the run exits first.
func afterStops(srv *topotest.Server, n int, exited <-chan error) <-chan time.Time {
	fire := make(chan time.Time, 1)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for now := range tick.C {
			if srv.Stats().Stops >= n {
				fire <- now
				return
			}
			if len(exited) > 0 {
				return
			}
		}
	}()
	return fire
}
