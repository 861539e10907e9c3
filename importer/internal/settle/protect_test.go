package settle

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// TestReconcileNeverLiftsAnOptOutByAccident: every way a change lets Topo
// contact a person who opted out sooner is refused (protected), allowed
// with --lift-optouts (and said), and planned as would_lift; what lifts
// nothing goes through.
func TestReconcileNeverLiftsAnOptOutByAccident(t *testing.T) {
	t.Parallel()
	const y27, y30 = "2027-12-31T23:59:59Z", "2030-01-01T00:00:00Z"
	row := func(reason, until string) rows.Row {
		return rows.Row{Num: 2, Status: rows.StatusValid, Norm: rows.Fields{Email: "a@b.co", Reason: reason, Until: until}}
	}
	held := func(reason, until string) Held {
		h := Held{ID: oldID, Reason: reason, CreatedAt: hourAgo}
		if until != "" {
			h.Until = at(until)
		}
		return h
	}
	for _, tc := range []struct {
		name     string
		row      rows.Row
		held     Held
		existing Existing
		lift     string // "": lifts nothing
	}{
		{"replace gives a permanent opt-out an until", row("UNSUBSCRIBED", y27), held("UNSUBSCRIBED", ""), ExistingReplace, "give it an until"},
		{"replace shortens an opt-out", row("BOUNCED", y27), held("BOUNCED", y30), ExistingReplace, "shorten it to 2027-12-31"},
		{"replace relabels an opt-out", row("COMPETITOR", ""), held("CONTACT_REFUSED", ""), ExistingReplace, "relabel it COMPETITOR"},
		{"replace relabels and shortens", row("OTHER", y27), held("UNSUBSCRIBED", y30), ExistingReplace, "shorten it to 2027-12-31T23:59:59Z and relabel it OTHER"},
		{"replace with another opt-out, as long: nothing lifted", row("BOUNCED", ""), held("UNSUBSCRIBED", ""), ExistingReplace, ""},
		{"replace lengthens an opt-out: nothing lifted", row("UNSUBSCRIBED", y30), held("UNSUBSCRIBED", y27), ExistingReplace, ""},
		{"replace of what is no opt-out: nothing lifted", row("OTHER", y27), held("COMPETITOR", ""), ExistingReplace, ""},
		{"extend keeps the reason, only lengthens", row("COMPETITOR", y30), held("UNSUBSCRIBED", y27), ExistingExtend, ""},
	} {
		refused := Reconcile(tc.row, tc.held, Policy{Existing: tc.existing}, false)
		allowed := Reconcile(tc.row, tc.held, Policy{Existing: tc.existing, LiftOptOuts: true}, false)
		planned := Reconcile(tc.row, tc.held, Policy{Existing: tc.existing, LiftOptOuts: true}, true)
		if tc.lift == "" {
			if refused.Status == rows.StatusProtected || refused.Change == nil || refused.Lift != "" || allowed.Lift != "" {
				t.Errorf("%s: %+v / %+v, want the change sent, nothing lifted", tc.name, refused, allowed)
			}
			continue
		}
		if refused.Status != rows.StatusProtected || refused.Change != nil || !strings.Contains(refused.Err, tc.held.Reason+" since") ||
			!strings.Contains(refused.Err, "--lift-optouts") || !strings.Contains(refused.Err, tc.lift) {
			t.Errorf("%s: without --lift-optouts %+v, want protected, naming the reason, since when, and %q", tc.name, refused, tc.lift)
		}
		if allowed.Change == nil || !strings.Contains(allowed.Lift, tc.lift) {
			t.Errorf("%s: with --lift-optouts %+v, want the change sent and the lift said", tc.name, allowed)
		}
		if planned.Status != rows.StatusWouldLift {
			t.Errorf("%s: plan says %s, want would_lift", tc.name, planned.Status)
		}
	}
}

// TestRemoveKeepsAnOptOut: a removal by key or by id leaves an opt-out
// (protected) unless --lift-optouts, and then says it deleted it.
func TestRemoveKeepsAnOptOut(t *testing.T) {
	t.Parallel()
	optOut := func() string { return strings.Replace(record(oldID, "", hourAgo), `"OTHER"`, `"UNSUBSCRIBED"`, 1) }
	for _, tc := range []struct {
		name string
		id   string
		lift bool
		want rows.Status
	}{
		{"by key", "", false, rows.StatusProtected},
		{"by id", oldID, false, rows.StatusProtected},
		{"by key, --lift-optouts", "", true, rows.StatusRemoved},
		{"by id, --lift-optouts", oldID, true, rows.StatusRemoved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := newScript().on("GET", byPath(answer(200, optOut()), page(optOut))).on("DELETE", answer(204, ""))
			srv := httptest.NewServer(sc)
			defer srv.Close()
			r := &Remover{Remote: remote(t, srv.URL, canRead), LiftOptOuts: tc.lift}
			row := validRow()
			row.Norm.ID = tc.id
			out, _ := r.Act(context.Background(), context.Background(), pipeline.Job{Row: row}, nil)
			deletes := sc.count("DELETE")
			switch {
			case out.Status != tc.want:
				t.Errorf("%s (%s), want %s", out.Status, out.Err, tc.want)
			case !tc.lift && (deletes != 0 || !strings.Contains(out.Err, "UNSUBSCRIBED since")):
				t.Errorf("%d DELETEs, error %q: want none, and the opt-out named", deletes, out.Err)
			case tc.lift && (deletes != 1 || !strings.Contains(out.Lifted, "deleted UNSUBSCRIBED record")):
				t.Errorf("%d DELETEs, lifted %q: want one, said", deletes, out.Lifted)
			}
		})
	}
}

// TestRemoveByIDChecksTheRecordIsTheRows: a report's id must name a
// record of the row's person; another person's is never deleted.
func TestRemoveByIDChecksTheRecordIsTheRows(t *testing.T) {
	t.Parallel()
	someoneElse := strings.Replace(record(oldID, "", hourAgo), "a@b.co", "someone@else.co", 1)
	sc := newScript().on("GET", answer(200, someoneElse)).on("DELETE", answer(204, ""))
	srv := httptest.NewServer(sc)
	defer srv.Close()
	r := &Remover{Remote: remote(t, srv.URL, canRead)}
	row := validRow()
	row.Norm.ID = oldID
	out, _ := r.Act(context.Background(), context.Background(), pipeline.Job{Row: row}, nil)
	if out.Status != rows.StatusFailed || sc.count("DELETE") != 0 || !strings.Contains(out.Err, "someone@else.co") {
		t.Errorf("%s %q after %d DELETEs: want failed, naming whose record it is, and nothing deleted", out.Status, out.Err, sc.count("DELETE"))
	}
}

// TestExtendSendsTheUntilAlone: lengthening a record changes its until
// and nothing else (it once relabelled an UNSUBSCRIBED record with the
// row's reason).
func TestExtendSendsTheUntilAlone(t *testing.T) {
	t.Parallel()
	short := func() string {
		return strings.Replace(record(oldID, "2026-12-01T23:59:59Z", hourAgo), `"OTHER"`, `"UNSUBSCRIBED"`, 1)
	}
	patched := func(w http.ResponseWriter, r *http.Request) {
		var ch map[string]any
		json.NewDecoder(r.Body).Decode(&ch)
		answer(200, strings.Replace(record(oldID, "", hourAgo), `"OTHER"`, `"UNSUBSCRIBED"`, 1))(w, r)
	}
	sc := newScript().on("POST", conflict).on("GET", page(short)).on("PATCH", patched)
	srv := httptest.NewServer(sc)
	defer srv.Close()
	c := &Creator{Remote: remote(t, srv.URL, canRead)}
	row := validRow()
	row.Norm.Reason = "COMPETITOR"
	out, _ := c.Act(context.Background(), context.Background(), pipeline.Job{Row: row}, nil)
	if out.Status != rows.StatusExtended || len(sc.patches) != 1 || sc.patches[0] != `{"until":null}` {
		t.Errorf("%s, PATCHes %q: want extended by {\"until\":null} alone", out.Status, sc.patches)
	}
}
