package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

func outreachSummary(running, unknown int) *Summary {
	return &Summary{Command: "import", Status: "completed", ExitCode: 1, Started: time.Unix(0, 0), Finished: time.Unix(1, 0),
		Counts: map[rows.Status]int{}, Outreach: &OutreachSummary{Mode: "report",
			People: map[string]int{rows.OutreachRunning: running, rows.OutreachUnknown: unknown, rows.OutreachNone: 7}, Running: running}}
}

// TestOutreachOnThePage: the run page says how many people are still in
// a running sequence, and says nothing of it when nobody is.
func TestOutreachOnThePage(t *testing.T) {
	for _, tc := range []struct {
		running, unknown int
		want, not        []string
	}{
		{3, 0, []string{`id="outreach-running">3 people on this list are still in a running sequence`, `data-outreach="running">3<`}, []string{`id="outreach-unknown"`}},
		{1, 2, []string{`1 person on this list is still`, `id="outreach-unknown">For 2 people`}, nil},
		{0, 0, []string{`data-outreach="none">7<`}, []string{`id="outreach-running"`, `id="outreach-unknown"`}},
	} {
		var b bytes.Buffer
		if err := WritePage(&b, Page{Summary: outreachSummary(tc.running, tc.unknown)}); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%d running, %d unknown: page lacks %q", tc.running, tc.unknown, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(b.String(), n) {
				t.Errorf("%d running, %d unknown: page has %q", tc.running, tc.unknown, n)
			}
		}
	}
}

// TestOutreachMetrics: the people still contacted are a gauge a
// scheduler can alert on.
func TestOutreachMetrics(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMetrics(&b, outreachSummary(3, 1)); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`topo_exclusions_last_run_people_outreach{command="import",outreach="running"} 3`,
		`topo_exclusions_last_run_people_outreach{command="import",outreach="unknown"} 1`,
		`topo_exclusions_last_run_sequences_stopped{command="import"} 0`,
		`topo_exclusions_last_run_lifted_optouts{command="import"} 0`,
	} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("metrics lack %q:\n%s", w, b.String())
		}
	}
}

// TestBadgeFollowsTheExitCode: a run that completed with rows needing
// action (exit 1) is not shown as a green "completed".
func TestBadgeFollowsTheExitCode(t *testing.T) {
	for _, tc := range []struct {
		status string
		code   int
		want   string
	}{{"completed", 0, `class="badge completed"`}, {"completed", 1, `class="badge action" id="status" data-run-status="completed">needs action<`},
		{"interrupted", 130, `class="badge interrupted"`}} {
		s := outreachSummary(0, 0)
		s.Status, s.ExitCode = tc.status, tc.code
		var b bytes.Buffer
		if err := WritePage(&b, Page{Summary: s}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s, exit %d: page lacks %q", tc.status, tc.code, tc.want)
		}
	}
}
