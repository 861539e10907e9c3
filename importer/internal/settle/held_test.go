package settle

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// TestRemovalKeepsWhatItDeleted: the row of a removal names the record it
// deleted (held_*), so that it can be undone: when two records held the
// row's keys, the note names the other one; when an opt-out was kept, the
// error names the record that went; and when an earlier run's delete went
// unanswered, what its intent journaled.
func TestRemovalKeepsWhatItDeleted(t *testing.T) {
	t.Parallel()
	optOut := func() string {
		return strings.Replace(strings.Replace(record(newID, "", hourAgo), `"OTHER"`, `"UNSUBSCRIBED"`, 1), `"message":null`, `"message":"footer link"`, 1)
	}
	withUntil := func() string { return record(oldID, "2030-01-01T00:00:00Z", hourAgo) }

	t.Run("two records", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(newScript().on("GET", page(withUntil, optOut)).on("DELETE", answer(204, "")))
		defer srv.Close()
		r := &Remover{Remote: remote(t, srv.URL, canRead), LiftOptOuts: true}
		out, _ := r.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
		want := rows.Held{Email: "a@b.co", Reason: "UNSUBSCRIBED", Message: "footer link"}
		if out.Status != rows.StatusRemoved || out.ID != newID || out.Held == nil || *out.Held != want {
			t.Fatalf("%s %s held %+v, want removed %s held %+v", out.Status, out.ID, out.Held, newID, want)
		}
		if !strings.Contains(out.Note, oldID+", OTHER, until 2030-01-01T00:00:00Z") {
			t.Errorf("note %q does not name the other record deleted", out.Note)
		}
	})
	t.Run("an opt-out kept", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(newScript().on("GET", page(withUntil, optOut)).on("DELETE", answer(204, "")))
		defer srv.Close()
		r := &Remover{Remote: remote(t, srv.URL, canRead)}
		out, _ := r.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
		if out.Status != rows.StatusProtected || out.ID != newID || out.Held == nil || out.Held.Reason != "UNSUBSCRIBED" {
			t.Fatalf("%s %s held %+v, want protected, holding the opt-out", out.Status, out.ID, out.Held)
		}
		if !strings.Contains(out.Err, "1 other record of this row's keys removed: "+oldID+", OTHER, until 2030-01-01T00:00:00Z") {
			t.Errorf("error %q does not name the record deleted", out.Err)
		}
	})
	t.Run("an earlier run's delete", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(newScript().on("GET", none))
		defer srv.Close()
		r := &Remover{Remote: remote(t, srv.URL, canRead)}
		prior := pipeline.Prior{MaybeSent: true, Op: api.OpDelete, ID: oldID, Previous: &rows.Previous{Reason: "OTHER", Until: "2030-01-01T00:00:00Z", Message: "fair"}}
		out, _ := r.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow(), Prior: prior}, nil)
		want := rows.Held{Reason: "OTHER", Until: "2030-01-01T00:00:00Z", Message: "fair"}
		if out.Status != rows.StatusRemoved || out.Held == nil || *out.Held != want {
			t.Errorf("%s held %+v, want removed, held %+v", out.Status, out.Held, want)
		}
	})
}

// TestIndexSpillsPastItsReach: once the texts reach what a reference can
// point at, later messages are still kept whole.
func TestIndexSpillsPastItsReach(t *testing.T) {
	t.Parallel()
	x := NewIndex(time.Now())
	x.textCap = 30
	for i, m := range []string{"first message", "second message", "first message"} {
		email := string(rune('a'+i)) + "@x.co"
		x.Add(topo.Exclusion{ID: "odd-" + email, Email: &email, Reason: "OTHER", Message: &m})
	}
	for i, want := range []string{"first message", "second message", "first message"} {
		h, _ := x.Decide(rows.Row{Norm: rows.Fields{Email: string(rune('a'+i)) + "@x.co"}})
		if h == nil || h.Text != want {
			t.Errorf("record %d: %+v, want message %q", i, h, want)
		}
	}
	if len(x.spilt) != 1 {
		t.Errorf("%d texts spilt, want the one past the reach", len(x.spilt))
	}
}

// TestIndexKeepsMessagesAndCreation: the snapshot gives a row's record
// as a lookup would, message text and creation time included; a message
// shared by many records is stored once, and texts that differ stay apart.
func TestIndexKeepsMessagesAndCreation(t *testing.T) {
	t.Parallel()
	if n := unsafe.Sizeof(indexRec{}); n != recBytes {
		t.Errorf("an index record is %d bytes, recBytes says %d", n, recBytes)
	}
	created := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	x := NewIndex(time.Now())
	msgs := []string{"from the form", "from the form", "asked by phone", "", "from the form"}
	for i, m := range msgs {
		email := string(rune('a'+i)) + "@x.co"
		x.Add(topo.Exclusion{ID: newID[:len(newID)-1] + string(rune('0'+i)), Email: &email, Reason: "UNSUBSCRIBED", Message: topo.Nullable(m), CreatedAt: created})
	}
	if len(x.texts) != 1+len("from the form")+1+len("asked by phone") {
		t.Errorf("texts take %d bytes: a repeated message is stored more than once", len(x.texts))
	}
	for i, m := range msgs {
		row := rows.Row{Norm: rows.Fields{Email: string(rune('a'+i)) + "@x.co"}}
		h, _ := x.Decide(row)
		if h == nil || h.Text != m || h.Message != MessageHash(m) || !h.CreatedAt.Equal(created) {
			t.Errorf("record %d: %+v, want message %q created %s", i, h, m, created)
		}
	}
}
