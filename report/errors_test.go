package report

import (
	"testing"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

func TestErrorGroupsBlurParticulars(t *testing.T) {
	g := NewErrorGroups()
	for i, msg := range []string{
		`email "ann@x" has no @`,
		`email "bob@y" has no @`,
		`gave up after 1 attempt: rate limit exceeded`,
		`gave up after 3 attempts: rate limit exceeded`,
		`malformed row: 5 fields where the header has 4`,
		`malformed row: 1 field where the header has 4`,
	} {
		g.Add(rows.Outcome{Row: rows.Row{Num: i + 2}, Status: rows.StatusFailed, Err: msg})
	}
	want := map[string]int{
		`email "…" has no @`:                             2,
		`gave up after N attempts: rate limit exceeded`:  2,
		`malformed row: N fields where the header has N`: 2,
	}
	got := map[string]int{}
	for _, gr := range g.Groups() {
		got[gr.Message] = gr.Count
	}
	if len(got) != len(want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	for m, n := range want {
		if got[m] != n {
			t.Errorf("%q: %d rows, want %d (groups %v)", m, got[m], n, got)
		}
	}
}
