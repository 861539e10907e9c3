package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// tiedList is n records of which tied share one created_at, the others a
// tenth of a second apart, all from start.
func tiedList(n, tied int, start time.Time) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		at := start.Add(time.Duration(i) * 100 * time.Millisecond)
		if i < tied {
			at = start
		}
		fmt.Fprintf(&b, `{"email":"p%d@example.com","reason":"OTHER","created_at":%q}`, i, at.UTC().Format(time.RFC3339Nano))
	}
	b.WriteString("]")
	return b.String()
}

// exportSummary is what these tests read of an export's summary.
type exportSummary struct {
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	Rows     int    `json:"rows"`
	Partial  bool   `json:"partial"`
	Missing  string `json:"missing"`
	Send     struct {
		Requests int `json:"requests"`
	} `json:"send"`
}

func readSummary(t *testing.T, path string) exportSummary {
	t.Helper()
	var s exportSummary
	raw, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(raw, &s)
	}
	if err != nil {
		t.Fatalf("summary: %v", err)
	}
	return s
}

// exportedIDs reads an export's CSV: how many times each id is in it.
func exportedIDs(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "id" {
			col = i
		}
	}
	ids := map[string]int{}
	for _, r := range recs[1:] {
		ids[r[col]]++
	}
	return ids
}

// TestExportOfAHostileListIsCompleteOrPartial: an export is every record
// once, or a .partial file with the summary saying so and a non-zero
// exit — never a short file called complete. Against a server that caps
// its pages at 50, gives no totals, orders 250 records sharing a stamp
// at random and answers one request from a stale cache; one whose Date is
// an hour behind its stamps; and one that ignores page numbers, where the
// 250 cannot all be read.
func TestExportOfAHostileListIsCompleteOrPartial(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		opt      topotest.Options
		n, tied  int
		complete bool
	}{
		{"capped, no totals, ties at random, a stale answer", topotest.Options{PageCap: 50, NoTotal: true, ShuffleTies: true, RepeatPage: 6, Seed: 9}, 350, 250, true},
		{"Date an hour behind the stamps", topotest.Options{DateOffset: -time.Hour}, 270, 0, true},
		{"page numbers ignored, 250 sharing a stamp", topotest.Options{IgnorePage: true}, 350, 250, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := topotest.NewServer(tc.opt)
			defer srv.Close()
			if err := srv.Load(strings.NewReader(tiedList(tc.n, tc.tied, time.Now().Add(-time.Minute)))); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultReadOnlyToken, "TOPO_BASE_URL=" + srv.URL},
				"export", "--output", "out.csv", "--summary", "s.json")
			sum := readSummary(t, filepath.Join(dir, "s.json"))
			_, errFinal := os.Stat(filepath.Join(dir, "out.csv"))
			_, errPartial := os.Stat(filepath.Join(dir, "out.partial.csv"))
			if !tc.complete {
				if res.code == 0 || errFinal == nil || errPartial != nil || sum.Status == "completed" || !sum.Partial || sum.Send.Requests > 60 {
					t.Fatalf("exit %d, out.csv there: %v, .partial there: %v, summary %+v; want a partial file, said so, non-zero, within 60 requests\n%s",
						res.code, errFinal == nil, errPartial == nil, sum, res.stderr)
				}
				return
			}
			if res.code != 0 || errFinal != nil || errPartial == nil || sum.Status != "completed" {
				t.Fatalf("exit %d, summary %+v\n%s", res.code, sum, res.stderr)
			}
			ids := exportedIDs(t, filepath.Join(dir, "out.csv"))
			for _, r := range srv.Records() {
				if ids[r.ID] != 1 {
					t.Errorf("%s exported %d times", *r.Email, ids[r.ID])
				}
			}
			if len(ids) != tc.n || sum.Rows != tc.n {
				t.Errorf("%d records exported (summary %d), want %d", len(ids), sum.Rows, tc.n)
			}
		})
	}
}

// TestExportStoppedBySignalIsPartial: SIGINT or SIGTERM during an export
// leaves what was read as out.partial.csv, never under the final name,
// and the summary says the run did not complete.
func TestExportStoppedBySignalIsPartial(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			srv := topotest.NewServer(topotest.Options{Latency: 200 * time.Millisecond})
			defer srv.Close()
			if err := srv.Load(strings.NewReader(tiedList(1500, 0, time.Now().Add(-time.Hour)))); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			cmd := process(t, dir, []string{"TOPO_API_KEY=" + topotest.DefaultReadOnlyToken, "TOPO_BASE_URL=" + srv.URL},
				"export", "--output", "out.csv", "--summary", "s.json")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(time.Minute); srv.Stats().ByMethod["GET"] < 6 && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond) // the key check and a few pages
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
				t.Fatalf("exit %v, want 130", err)
			}
			sum := readSummary(t, filepath.Join(dir, "s.json"))
			if _, err := os.Stat(filepath.Join(dir, "out.csv")); err == nil || sum.Status == "completed" || !sum.Partial || sum.ExitCode != 130 {
				t.Fatalf("out.csv in place: %v, summary %+v: want only a partial file, said so", err == nil, sum)
			}
			ids := exportedIDs(t, filepath.Join(dir, "out.partial.csv"))
			if len(ids) == 0 || len(ids) >= 1500 || sum.Rows != len(ids) || !strings.Contains(sum.Missing, "out.partial.csv") {
				t.Errorf("the partial file holds %d records, summary %+v", len(ids), sum)
			}
		})
	}
}
