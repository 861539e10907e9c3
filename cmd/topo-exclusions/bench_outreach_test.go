//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// BenchmarkOutreach is issue 17's cost target: re-uploading 2,000 rows
// Topo already holds, in a workspace of 300 contacts of whom 60 are in a
// running sequence (60 more in finished ones), with default flags, costs
// at most 150 requests in all; --sequences stop stops exactly those 60.
func BenchmarkOutreach(b *testing.B) {
	const rows, contacts, running = 2000, 300, 60
	dir := b.TempDir()
	var list, held strings.Builder
	list.WriteString("email,reason\n")
	held.WriteString("[")
	stamp := time.Now().Add(-time.Hour).UTC()
	for i := range rows {
		fmt.Fprintf(&list, "person.%d@example.com,unsubscribed\n", i)
		if i > 0 {
			held.WriteString(",")
		}
		fmt.Fprintf(&held, `{"email":"person.%d@example.com","reason":"UNSUBSCRIBED","until":null,"created_at":%q}`, i,
			stamp.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano))
	}
	held.WriteString("]")
	input := filepath.Join(dir, "again.csv")
	if err := os.WriteFile(input, []byte(list.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	world := func() (*topotest.Server, []string) {
		srv := topotest.NewServer(topotest.Options{})
		if err := srv.Load(strings.NewReader(held.String())); err != nil {
			b.Fatal(err)
		}
		ws := srv.Workspace(topotest.DefaultWorkspace)
		var seqs []string
		for i := range contacts {
			email := fmt.Sprintf("person.%d@example.com", i*rows/contacts) // spread over the list
			id := ws.AddContact(topotest.Contact{Email: &email})
			switch {
			case i < running:
				seqs = append(seqs, ws.AddSequence(topotest.Sequence{ContactID: &id}))
			case i < 2*running:
				ws.AddSequence(topotest.Sequence{ContactID: &id, Status: topotest.SequenceCompleted})
			}
		}
		return srv, seqs
	}
	run := func(srv *topotest.Server, flags ...string) (requests int, stopped int) {
		home := b.TempDir()
		out := b.TempDir()
		args := append([]string{"import", "--quiet", "--report", filepath.Join(out, "r.csv"), "--failures", filepath.Join(out, "f.csv"),
			"--summary", filepath.Join(out, "s.json"), "--journal", filepath.Join(out, "j")}, flags...)
		cmd := exec.Command(binary, append(args, input)...)
		cmd.Env = append(os.Environ(), "TOPO_API_KEY="+topotest.DefaultToken, "TOPO_BASE_URL="+srv.URL, "HOME="+home,
			"XDG_CACHE_HOME="+filepath.Join(home, "cache"), "XDG_STATE_HOME="+filepath.Join(home, "state"))
		if o, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() != 1 {
			b.Fatalf("%v\n%s", err, o)
		}
		var sum struct {
			Send struct {
				Requests int `json:"requests"`
			} `json:"send"`
			Outreach struct {
				Stopped int `json:"sequences_stopped"`
			} `json:"outreach"`
		}
		s, err := os.ReadFile(filepath.Join(out, "s.json"))
		if err == nil {
			err = json.Unmarshal(s, &sum)
		}
		if err != nil {
			b.Fatal(err)
		}
		return sum.Send.Requests, sum.Outreach.Stopped
	}
	for b.Loop() {
		srv, _ := world()
		reported, _ := run(srv)
		srv.Close()
		srv, seqs := world()
		stopping, stopped := run(srv, "--sequences", "stop")
		st := srv.Stats()
		srv.Close()
		if stopped != running || st.Stops != running || st.StopsFinished != 0 || len(seqs) != running {
			b.Errorf("--sequences stop: %d stopped (server: %d, %d of finished ones), want %d", stopped, st.Stops, st.StopsFinished, running)
		}
		b.ReportMetric(float64(reported), "report-requests")
		b.ReportMetric(float64(stopping), "stop-requests")
		b.ReportMetric(float64(st.Stops), "stopped")
	}
}
