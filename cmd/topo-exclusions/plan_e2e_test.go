package main

import (
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// TestPlanAnswersEachRowAndWritesNothing pre-loads the fake API with two
// of the sample's people (one by email, one by LinkedIn URL only) and
// checks plan's answer for every row, and that it sent no POST.
func TestPlanAnswersEachRowAndWritesNothing(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	preload := `[{"id":"id-alice","email":"alice@example.com","reason":"OTHER"},
	{"id":"id-carol","linkedin_url":"https://www.linkedin.com/in/carol-diaz","reason":"OTHER"}]`
	if err := srv.Load(strings.NewReader(preload)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultReadOnlyToken, "TOPO_BASE_URL=" + srv.URL}
	res := runBinaryEnv(t, dir, "", env, "plan", "--rate", "0", "--report", "p.csv", "--failures", "pf.csv", sample(t, "dashboard.csv"))
	if res.code != 0 || !strings.Contains(res.stderr, "would create 5, would extend 0, would update 0, already excluded 2,") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	want := map[string][2]string{
		"2": {"exists", "id-alice"}, "3": {"would_create", ""}, "4": {"exists", "id-carol"},
		"5": {"would_create", ""}, "6": {"would_create", ""}, "7": {"would_create", ""}, "8": {"would_create", ""},
	}
	for _, r := range reportRows(t, dir, "p.csv") {
		if w := want[r[0]]; r[1] != w[0] || r[2] != w[1] {
			t.Errorf("row %s: %s %q, want %s %q", r[0], r[1], r[2], w[0], w[1])
		}
	}
	if st := srv.Stats(); st.ByMethod["POST"] != 0 || st.ByMethod["DELETE"] != 0 || st.Records != 2 {
		t.Errorf("plan wrote to Topo: %+v", st)
	}
	if len(reportRows(t, dir, "pf.csv")) != 0 {
		t.Error("plan put valid rows in the failures file")
	}
}

func TestPlanNeedsReadScope(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultWriteOnlyToken, "TOPO_BASE_URL=" + srv.URL}
	res := runBinaryEnv(t, dir, "", env, "plan", "--report", "p.csv", "--failures", "pf.csv", sample(t, "dashboard.csv"))
	if res.code != 2 || !strings.Contains(res.stderr, "lacks the scope exclusions:read, which plan needs") {
		t.Errorf("write-only key: exit %d\n%s", res.code, res.stderr)
	}
}

// TestPlanNeverAnswersFromState: --state is an import's memory, not
// Topo's word, so plan has no --state: it asks Topo about every row.
func TestPlanNeverAnswersFromState(t *testing.T) {
	t.Parallel()
	res := runBinary(t, t.TempDir(), "", "plan", "--state", "s.state", sample(t, "dashboard.csv"))
	if res.code != 2 || !strings.Contains(res.stderr, "unknown flag: --state") {
		t.Errorf("plan --state: exit %d\n%s", res.code, res.stderr)
	}
}
