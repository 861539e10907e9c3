package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// loaded is a fake Topo holding n records: a quarter with an until, a few
// with a message a spreadsheet would run, the reasons varied.
func loaded(t *testing.T, n int, opt topotest.Options) *topotest.Server {
	t.Helper()
	srv := topotest.NewServer(opt)
	t.Cleanup(srv.Close)
	reasons := []string{"UNSUBSCRIBED", "COMPETITOR", "BOUNCED", "EXCLUDE_FROM_CRM"}
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		until, msg := "null", "null"
		if i%4 == 0 {
			until = `"2099-06-30T12:00:00Z"`
		}
		if i%50 == 0 {
			msg = `"=HYPERLINK(\"x\")"`
		}
		li := "null"
		if i%3 == 0 {
			li = fmt.Sprintf(`"https://www.linkedin.com/in/person-%d"`, i)
		}
		fmt.Fprintf(&b, `{"email":"person.%d@example.com","linkedin_url":%s,"reason":%q,"message":%s,"until":%s,"created_at":%q}`,
			i, li, reasons[i%len(reasons)], msg, until, base.Add(time.Duration(i)*100*time.Millisecond).UTC().Format(time.RFC3339Nano))
	}
	b.WriteString("]")
	if err := srv.Load(strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	return srv
}

// fingerprint is what a record holds that an export must carry.
func fingerprint(r topotest.Exclusion) string {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return strings.Join([]string{s(r.Email), s(r.LinkedInURL), r.Reason, s(r.Message), s(r.Until)}, "|")
}

func holdings(srv *topotest.Server) []string {
	var out []string
	for _, r := range srv.Records() {
		out = append(out, fingerprint(r))
	}
	sort.Strings(out)
	return out
}

// TestExportImportsBackUnchanged: an export of 3,000 records imported into
// an empty Topo makes the same records: keys, reasons, messages, untils.
func TestExportImportsBackUnchanged(t *testing.T) {
	t.Parallel()
	from := loaded(t, 3000, topotest.Options{})
	to := topotest.NewServer(topotest.Options{})
	defer to.Close()
	dir := t.TempDir()
	res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultReadOnlyToken, "TOPO_BASE_URL=" + from.URL},
		"export", "--output", "all.csv", "--summary", "s.json")
	if res.code != 0 || !strings.Contains(readFile(t, dir, "s.json"), `"rows": 3000`) {
		t.Fatalf("export: exit %d\n%s", res.code, res.stderr)
	}
	head := strings.SplitN(readFile(t, dir, "all.csv"), "\n", 2)[0]
	if head != "email,linkedin_url,reason,message,until,id,created_at,updated_at" {
		t.Errorf("header %q", head)
	}
	res = runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + to.URL}, "import", "all.csv")
	if res.code != 0 || strings.Contains(res.stderr, "not read: columns") {
		t.Fatalf("import of the export: exit %d\n%s", res.code, res.stderr)
	}
	a, b := holdings(from), holdings(to)
	if len(a) != len(b) {
		t.Fatalf("%d records became %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("%s came back as %s", a[i], b[i])
			break
		}
	}
	res = runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultReadOnlyToken, "TOPO_BASE_URL=" + from.URL},
		"export", "--format", "jsonl", "--reason", "bounced", "--output", "-")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	var first map[string]any
	if res.code != 0 || len(lines) != 750 || json.Unmarshal([]byte(lines[0]), &first) != nil || first["reason"] != "BOUNCED" {
		t.Errorf("jsonl --reason bounced: exit %d, %d lines\n%s", res.code, len(lines), res.stderr)
	}
	// --since a moment ago: every record was created before it.
	since := time.Now().UTC().Add(time.Minute).Format(time.RFC3339)
	res = runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultReadOnlyToken, "TOPO_BASE_URL=" + from.URL},
		"export", "--since", since, "--output", "later.csv")
	if got := strings.TrimSpace(readFile(t, dir, "later.csv")); res.code != 0 || strings.Contains(got, "\n") {
		t.Errorf("--since %s: exit %d, want the header alone:\n%.300s\n%s", since, res.code, got, res.stderr)
	}
}

// TestRemove: by ids (an export as the input), by keys, under faults on a
// server that accepts duplicates; not found is what it says; off a
// terminal it refuses without --yes.
func TestRemove(t *testing.T) {
	t.Parallel()
	srv := loaded(t, 200, topotest.Options{FailAfterCommit: 0.2, ResetRate: 0.05, HTML502Rate: 0.05, Seed: 4})
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	res := runBinaryEnv(t, dir, "", env, "export", "--retries", "10", "--output", "all.csv")
	if res.code != 0 {
		t.Fatalf("export: %d\n%s", res.code, res.stderr)
	}
	// The first 100 records, by id.
	all := strings.Split(strings.TrimSpace(readFile(t, dir, "all.csv")), "\n")
	os.WriteFile(filepath.Join(dir, "ids.csv"), []byte(strings.Join(all[:101], "\n")+"\n"), 0o644)
	res = runBinaryEnv(t, dir, "", env, "remove", "ids.csv")
	if res.code != 2 || !strings.Contains(res.stderr, "pass --yes") || len(srv.Records()) != 200 {
		t.Fatalf("off a terminal without --yes: exit %d, %d records\n%s", res.code, len(srv.Records()), res.stderr)
	}
	// A wrong upload, opt-outs and all: --lift-optouts (without it the
	// UNSUBSCRIBED and BOUNCED records would stay; TestRemoveKeepsOptOuts).
	res = runBinaryEnv(t, dir, "", env, "remove", "--yes", "--lift-optouts", "--retries", "10", "--summary", "s.json", "ids.csv")
	rows := reportRows(t, dir, "ids.removal.csv")
	if res.code != 0 || statuses(rows)["removed"] != 100 || len(srv.Records()) != 100 {
		t.Fatalf("by id: exit %d, %v, %d left\n%s", res.code, statuses(rows), len(srv.Records()), res.stderr)
	}
	// By keys: 50 held ones and 2 Topo never held.
	keys := "email,linkedin_url\n"
	for i := 100; i < 150; i++ {
		keys += fmt.Sprintf("person.%d@example.com,\n", i)
	}
	keys += "nobody@example.com,\n,https://www.linkedin.com/in/nobody\n"
	os.WriteFile(filepath.Join(dir, "keys.csv"), []byte(keys), 0o644)
	res = runBinaryEnv(t, dir, "", env, "remove", "-y", "--lift-optouts", "--retries", "10", "keys.csv")
	st := statuses(reportRows(t, dir, "keys.removal.csv"))
	if res.code != 0 || st["removed"] != 50 || st["not_found"] != 2 || len(srv.Records()) != 50 {
		t.Errorf("by key: exit %d, %v, %d left\n%s", res.code, st, len(srv.Records()), res.stderr)
	}
	// The same ids again: the records are gone, as asked. (A row whose
	// first DELETE met a proxy fault and the next a 404 is removed: the
	// unanswered attempt may have been what deleted it.)
	res = runBinaryEnv(t, dir, "", env, "remove", "-y", "--lift-optouts", "--force", "--report", "again.csv", "ids.csv")
	if st := statuses(reportRows(t, dir, "again.csv")); res.code != 0 || st["not_found"]+st["removed"] != 100 || st["not_found"] < 80 {
		t.Errorf("again: exit %d, %v\n%s", res.code, st, res.stderr)
	}
	for _, args := range [][]string{{"remove", "--dry-run", "keys.csv"}, {"plan", "--remove", "--report", "p.csv", "keys.csv"}} {
		res = runBinaryEnv(t, dir, "", env, args...)
		if res.code != 0 || !strings.Contains(res.stderr, "would remove 0, not found 52") {
			t.Errorf("%v: exit %d\n%s", args, res.code, res.stderr)
		}
	}
}

// TestRemoveKeepsOptOuts: removing a list that names opt-outs leaves
// them in Topo, protected (exit 1, the failures file names them), and
// removes the rest; --lift-optouts removes them too, and says so.
func TestRemoveKeepsOptOuts(t *testing.T) {
	t.Parallel()
	srv := loaded(t, 8, topotest.Options{}) // reasons in turn: UNSUBSCRIBED, COMPETITOR, BOUNCED, EXCLUDE_FROM_CRM
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	var keys strings.Builder
	keys.WriteString("email\n")
	for i := range 8 {
		fmt.Fprintf(&keys, "person.%d@example.com\n", i)
	}
	os.WriteFile(filepath.Join(dir, "keys.csv"), []byte(keys.String()), 0o644)
	res := runBinaryEnv(t, dir, "", env, "remove", "-y", "--summary", "s.json", "keys.csv")
	st := statuses(reportRows(t, dir, "keys.removal.csv"))
	if res.code != 1 || st["protected"] != 4 || st["removed"] != 4 || len(srv.Records()) != 4 {
		t.Fatalf("without --lift-optouts: exit %d, %v, %d left\n%s", res.code, st, len(srv.Records()), res.stderr)
	}
	for _, r := range srv.Records() {
		if r.Reason != "UNSUBSCRIBED" && r.Reason != "BOUNCED" {
			t.Errorf("%s record left, want only the opt-outs", r.Reason)
		}
	}
	if f := readFile(t, dir, "keys.removal.failures.csv"); strings.Count(f, "lifts an opt-out") != 4 {
		t.Errorf("the failures file should name the 4 opt-outs kept:\n%s", f)
	}
	res = runBinaryEnv(t, dir, "", env, "remove", "-y", "--lift-optouts", "--summary", "s2.json", "--report", "r2.csv", "--failures", "f2.csv", "keys.removal.failures.csv")
	sum := readFile(t, dir, "s2.json")
	if res.code != 0 || len(srv.Records()) != 0 || !strings.Contains(sum, `"lifted_rows": 4`) || !strings.Contains(res.stderr, "LIFTED:   4 rows") {
		t.Errorf("with --lift-optouts: exit %d, %d left\n%s\n%s", res.code, len(srv.Records()), res.stderr, sum)
	}
}

// TestRemoveResumesAfterKill: kill -9 while deleting, run the same command
// again: every record named is gone, each removed once, and the report
// says removed for each (a 404 after this run's journaled delete is
// removed, not not_found).
func TestRemoveResumesAfterKill(t *testing.T) {
	t.Parallel()
	srv := loaded(t, 300, topotest.Options{Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond})
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	if res := runBinaryEnv(t, dir, "", env, "export", "--output", "all.csv"); res.code != 0 {
		t.Fatal(res.stderr)
	}
	for kills := 0; kills < 3; kills++ {
		cmd := process(t, dir, env, "remove", "--yes", "--lift-optouts", "--rate", "0", "--concurrency", "8", "all.csv")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for n := len(srv.Records()); len(srv.Records()) > n-40 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	res := runBinaryEnv(t, dir, "", env, "remove", "--yes", "--lift-optouts", "all.csv")
	st := statuses(reportRows(t, dir, "all.removal.csv"))
	if res.code != 0 || st["removed"] != 300 || len(srv.Records()) != 0 {
		t.Errorf("after the kills: exit %d, %v, %d records left\n%s", res.code, st, len(srv.Records()), res.stderr)
	}
	if d := srv.Stats().ByStatus["204"]; d != 300 {
		t.Errorf("%d deletes took effect, want each of the 300 once", d)
	}
}

// TestSnapshotSettlesAReuploadWithoutARequestARow: re-uploading a list Topo
// mostly holds reads Topo's list once (a page a hundred records) instead
// of a request or two a row, and decides the same.
func TestSnapshotSettlesAReuploadWithoutARequestARow(t *testing.T) {
	t.Parallel()
	srv := loaded(t, 900, topotest.Options{})
	dir := t.TempDir()
	var list strings.Builder
	list.WriteString("email,reason,until\n")
	for i := range 1000 { // 900 held (a quarter of them for less long), 100 new
		fmt.Fprintf(&list, "person.%d@example.com,unsubscribed,\n", i)
	}
	os.WriteFile(filepath.Join(dir, "again.csv"), []byte(list.String()), 0o644)
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	var plans []string
	for _, mode := range []string{"never", "auto"} {
		before := srv.Stats().Requests
		// The outreach of the list's people is what BenchmarkOutreach
		// counts: here, the exclusions alone.
		res := runBinaryEnv(t, dir, "", env, "plan", "--sequences", "off", "--snapshot", mode, "--report", mode+".csv", "--summary", mode+".json", "again.csv")
		if res.code != 0 {
			t.Fatalf("plan --snapshot %s: exit %d\n%s", mode, res.code, res.stderr)
		}
		requests := srv.Stats().Requests - before
		t.Logf("plan --snapshot %s: %d requests", mode, requests)
		// The key check (2), the newest record's stamp, which bounds the
		// read (1), and 10 pages: each starts at the last stamp of the one
		// before, so that records sharing it cannot be lost.
		if mode == "auto" && (requests > 13 || !strings.Contains(readFile(t, dir, "auto.json"), `"rows_without_request": 1000`)) {
			t.Errorf("with the snapshot: %d requests\n%s", requests, readFile(t, dir, "auto.json"))
		}
		var rows []string
		for _, r := range reportRows(t, dir, mode+".csv") {
			rows = append(rows, r[1]+" "+r[2])
		}
		plans = append(plans, strings.Join(rows, "\n"))
	}
	if plans[0] != plans[1] {
		t.Error("the snapshot decided otherwise than lookups")
	}
	res := runBinaryEnv(t, dir, "", env, "import", "--report", "r.csv", "--summary", "s.json", "again.csv")
	st := statuses(reportRows(t, dir, "r.csv"))
	if res.code != 0 || st["created"] != 100 || st["extended"] != 225 || st["exists"] != 675 {
		t.Errorf("import: exit %d, %v\n%s", res.code, st, res.stderr)
	}
	var sum struct {
		Send struct {
			ByOp map[string]int `json:"by_op"`
		} `json:"send"`
	}
	json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum)
	if sum.Send.ByOp["create"] != 100 || sum.Send.ByOp["update"] != 225 || sum.Send.ByOp["lookup"] != 0 || sum.Send.ByOp["page"] != 11 {
		t.Errorf("requests by kind: %v", sum.Send.ByOp)
	}
}

// TestRemoveAsksOnATerminal: on a terminal, remove shows how many rows
// and asks; anything but yes removes nothing.
func TestRemoveAsksOnATerminal(t *testing.T) {
	t.Parallel()
	srv := loaded(t, 10, topotest.Options{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "few.csv"), []byte("email\nperson.1@example.com\nperson.2@example.com\n"), 0o644)
	extra := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	for _, tc := range []struct {
		answer string
		code   int
		left   int
	}{{"no\n", 2, 10}, {"\n", 2, 10}, {"yes\n", 0, 8}} {
		var out, errb strings.Builder
		e := inProcess(t, dir, strings.NewReader(tc.answer), &out, &errb, extra)
		e.StdinTTY, e.StderrTTY = true, true
		code := run(e, []string{"remove", "--rate", "0", "--lift-optouts", "--force", "few.csv"})
		if code != tc.code || len(srv.Records()) != tc.left || !strings.Contains(errb.String(), "Remove the exclusions that 2 rows of few.csv name") {
			t.Errorf("answer %q: exit %d, %d records left\n%s", tc.answer, code, len(srv.Records()), errb.String())
		}
	}
}
