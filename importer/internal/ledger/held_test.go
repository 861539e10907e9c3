package ledger

import (
	"path/filepath"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// TestJournalKeepsTopoRecord: a resumed run's report shows, for the rows
// an earlier run settled, the record Topo held (held_*) as that run saw
// it; and a delete's intent keeps the record it deletes, message and all,
// so a rerun that finds it gone can still say what went.
func TestJournalKeepsTopoRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	held := &rows.Held{Email: "a@x.co", Reason: "UNSUBSCRIBED", Until: "2030-01-01T00:00:00Z", Message: "asked, twice"}
	if err := j.Record(rows.Outcome{Row: rows.Row{Num: 2}, Status: rows.StatusExists, ID: "id-2", Held: held}); err != nil {
		t.Fatal(err)
	}
	if err := j.Record(rows.Outcome{Row: rows.Row{Num: 3}, Status: rows.StatusNotFound}); err != nil {
		t.Fatal(err)
	}
	deleted := &rows.Previous{Reason: "OTHER", Message: "met at a fair"}
	if err := j.Intend(pipeline.Intent{Row: 4, Op: api.OpDelete, ID: "id-4", Previous: deleted})(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, _ = openJournal(t, path, fpA, false)
	defer j.Close()
	if o, _ := j.Settled(2); o.Held == nil || *o.Held != *held {
		t.Errorf("row 2 held %+v, want %+v", o.Held, held)
	}
	if o, _ := j.Settled(3); o.Held != nil {
		t.Errorf("row 3 held %+v, want none", o.Held)
	}
	if p := j.Prior(4); p.Op != api.OpDelete || p.Previous == nil || *p.Previous != *deleted {
		t.Errorf("row 4 prior %+v, want the deleted record %+v", p, deleted)
	}
}
