package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// reportByColumn reads a report as one map a row, by column name: the
// held_* columns are read by name, as scripts are told to.
func reportByColumn(t *testing.T, dir, name string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(readFile(t, dir, name))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, col := range recs[0] {
			m[col] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// heldOf is what the report's held_* columns should say of a record.
func heldOf(r topotest.Exclusion) [3]string {
	until := "permanent"
	if r.Until != nil {
		until = *r.Until
	}
	msg := ""
	if r.Message != nil {
		msg = *r.Message
	}
	return [3]string{r.Reason, until, msg}
}

func heldCells(row map[string]string) [3]string {
	return [3]string{row["held_reason"], row["held_until"], row["held_message"]}
}

// TestReportShowsWhatTopoHolds is the case: a row asking
// COMPETITOR with a message of its own, whose person Topo holds as
// UNSUBSCRIBED with another message, is exists, and its held_* columns
// say what Topo holds, not what the row asked. The same for created (the
// 201's record), extended (the PATCH's answer: the record keeps its
// reason and message, with the row's until), with the rows decided by
// lookups and by the snapshot alike; and every held_* matches the record
// Topo holds after the run.
func TestReportShowsWhatTopoHolds(t *testing.T) {
	t.Parallel()
	const held = `[
	{"id":"0b3e5b0e-4a4f-4a1e-9d61-1f1f5a0c0001","email":"held@example.com","reason":"UNSUBSCRIBED","message":"asked by phone, twice","created_at":"2026-01-05T10:00:00Z"},
	{"id":"0b3e5b0e-4a4f-4a1e-9d61-1f1f5a0c0002","email":"short@example.com","reason":"BAD_TIMING","message":"call in Q1","until":"2027-01-31T23:59:59Z","created_at":"2026-02-05T10:00:00Z"}]`
	const list = "email,reason,message,until\n" +
		"held@example.com,competitor,from the CRM,\n" +
		"short@example.com,bad timing,,2027-12-31\n" +
		"new@example.com,unsubscribed,\"signed up, then left\",2030-06-30\n"
	for _, snapshot := range []string{"never", "always"} {
		t.Run("snapshot "+snapshot, func(t *testing.T) {
			t.Parallel()
			srv := topotest.NewServer(topotest.Options{})
			defer srv.Close()
			if err := srv.Load(strings.NewReader(held)); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "l.csv"), []byte(list), 0o644)
			res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
				"import", "--rate", "0", "--snapshot", snapshot, "--report", "r.csv", "--failures", "f.csv", "l.csv")
			if res.code != 0 {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			byID := map[string]topotest.Exclusion{}
			for _, r := range srv.Records() {
				byID[r.ID] = r
			}
			want := []struct {
				status string
				held   [3]string
			}{
				{"exists", [3]string{"UNSUBSCRIBED", "permanent", "asked by phone, twice"}},
				{"extended", [3]string{"BAD_TIMING", "2027-12-31T23:59:59Z", "call in Q1"}},
				{"created", [3]string{"UNSUBSCRIBED", "2030-06-30T23:59:59Z", "signed up, then left"}},
			}
			rows := reportByColumn(t, dir, "r.csv")
			for i, w := range want {
				row := rows[i]
				if row["status"] != w.status || heldCells(row) != w.held {
					t.Errorf("row %d: %s, held %q; want %s, held %q", i+2, row["status"], heldCells(row), w.status, w.held)
				}
				if rec, ok := byID[row["id"]]; !ok || heldOf(rec) != heldCells(row) {
					t.Errorf("row %d: held %q, but Topo holds %q (id %s)", i+2, heldCells(row), heldOf(rec), row["id"])
				}
			}
			// What the row asked stays beside it.
			if rows[0]["reason"] != "COMPETITOR" || rows[0]["message"] != "from the CRM" || rows[1]["previous_until"] != "2027-01-31T23:59:59Z" {
				t.Errorf("the row's own values changed: %q, %q", rows[0], rows[1])
			}
		})
	}
}

// TestRemovalReportUndoesItself: a removal by email and one by id each
// record the record they deleted (reason, until, message), also for an
// opt-out lifted on purpose; importing the removal report's held_*
// columns as a list makes Topo hold the same records again.
func TestRemovalReportUndoesItself(t *testing.T) {
	t.Parallel()
	const held = `[
	{"id":"0b3e5b0e-4a4f-4a1e-9d61-1f1f5a0c0011","email":"byemail@example.com","reason":"UNSUBSCRIBED","message":"unsubscribed in the footer","created_at":"2026-01-05T10:00:00Z"},
	{"id":"0b3e5b0e-4a4f-4a1e-9d61-1f1f5a0c0012","email":"byid@example.com","reason":"COMPETITOR","until":"2028-03-31T23:59:59Z","created_at":"2026-02-05T10:00:00Z"},
	{"id":"0b3e5b0e-4a4f-4a1e-9d61-1f1f5a0c0013","linkedin_url":"https://www.linkedin.com/in/by-url","reason":"OTHER","message":"met at a fair","created_at":"2026-02-05T10:00:00Z"}]`
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	if err := srv.Load(strings.NewReader(held)); err != nil {
		t.Fatal(err)
	}
	before := map[string][3]string{}
	for _, r := range srv.Records() {
		before[r.ID] = heldOf(r)
	}
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	os.WriteFile(filepath.Join(dir, "gone.csv"), []byte("id,email,linkedin_url\n"+
		",byemail@example.com,\n"+
		"0b3e5b0e-4a4f-4a1e-9d61-1f1f5a0c0012,,\n"+
		",,https://linkedin.com/in/by-url/\n"+
		",nobody@example.com,\n"), 0o644)
	res := runBinaryEnv(t, dir, "", env, "remove", "--yes", "--lift-optouts", "--rate", "0", "--report", "gone.removal.csv", "gone.csv")
	if res.code != 0 || len(srv.Records()) != 0 {
		t.Fatalf("exit %d, %d records left\n%s", res.code, len(srv.Records()), res.stderr)
	}
	rows := reportByColumn(t, dir, "gone.removal.csv")
	for i, row := range rows[:3] {
		if row["status"] != "removed" || heldCells(row) != before[row["id"]] {
			t.Errorf("row %d: %s %s, held %q; want removed, held %q", i+2, row["status"], row["id"], heldCells(row), before[row["id"]])
		}
	}
	if rows[3]["status"] != "not_found" || heldCells(rows[3]) != [3]string{} {
		t.Errorf("not_found row holds %q", heldCells(rows[3]))
	}

	// The undo: the report's keys and held_* columns as an import list.
	var undo strings.Builder
	w := csv.NewWriter(&undo)
	w.Write([]string{"email", "linkedin_url", "reason", "message", "until"})
	for _, row := range rows[:3] {
		w.Write([]string{row["email"], row["linkedin_url"], row["held_reason"], row["held_message"], row["held_until"]})
	}
	w.Flush()
	os.WriteFile(filepath.Join(dir, "undo.csv"), []byte(undo.String()), 0o644)
	if res := runBinaryEnv(t, dir, "", env, "import", "--rate", "0", "undo.csv"); res.code != 0 {
		t.Fatalf("undo: exit %d\n%s\n%s", res.code, res.stderr, readFile(t, dir, "undo.report.csv"))
	}
	var again [][3]string
	for _, r := range srv.Records() {
		again = append(again, heldOf(r))
	}
	for _, want := range before {
		found := false
		for _, got := range again {
			found = found || got == want
		}
		if !found {
			t.Errorf("after the undo Topo does not hold %q again (holds %q)", want, again)
		}
	}
}
