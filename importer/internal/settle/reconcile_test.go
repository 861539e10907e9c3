package settle

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// TestReconcile is the table of what an import does with a row whose
// person Topo already holds, under each --existing policy.
func TestReconcile(t *testing.T) {
	const (
		dec1 = "2026-12-01T23:59:59Z"
		y27  = "2027-12-31T23:59:59Z"
		y30  = "2030-01-01T00:00:00Z"
	)
	row := func(until string) rows.Row {
		return rows.Row{Num: 2, Status: rows.StatusValid, Norm: rows.Fields{Email: "temp@example.com", Reason: "UNSUBSCRIBED", Until: until}}
	}
	held := func(until string) Held {
		h := Held{ID: oldID, Reason: "BAD_TIMING"}
		if until != "" {
			h.Until = at(until)
		}
		return h
	}
	same := Held{ID: oldID, Reason: "UNSUBSCRIBED", Until: at(y27)}
	tests := []struct {
		name   string
		row    rows.Row
		held   Held
		policy Existing
		dry    bool
		status rows.Status // "" when a change is sent
		then   rows.Status
		err    string
	}{
		{"permanent held covers a permanent row", row(""), held(""), ExistingExtend, false, rows.StatusExists, "", ""},
		{"permanent held covers a dated row", row(y27), held(""), ExistingExtend, false, rows.StatusExists, "", ""},
		{"held longer covers", row(y27), held(y30), ExistingExtend, false, rows.StatusExists, "", ""},
		{"held exactly as long covers", row(y27), held(y27), ExistingExtend, false, rows.StatusExists, "", ""},
		{"extend: held until 1 Dec, row permanent", row(""), held(dec1), ExistingExtend, false, "", rows.StatusExtended, ""},
		{"extend: held shorter, row dated", row(y27), held(dec1), ExistingExtend, false, "", rows.StatusExtended, ""},
		{"extend never shortens", row(y27), held(y30), ExistingExtend, false, rows.StatusExists, "", ""},
		{"plan: would extend", row(""), held(dec1), ExistingExtend, true, rows.StatusWouldExtend, "", ""},
		{"keep: shorter needs action, naming the until", row(""), held(dec1), ExistingKeep, false, rows.StatusExistsShorter, "", "until " + dec1},
		{"keep: covers", row(y27), held(y30), ExistingKeep, false, rows.StatusExists, "", ""},
		{"plan keep: exists_shorter too", row(""), held(dec1), ExistingKeep, true, rows.StatusExistsShorter, "", "sooner than this row asks (permanent)"},
		{"replace: shortens to the row", row(y27), held(y30), ExistingReplace, false, "", rows.StatusUpdated, ""},
		{"replace: another reason", row(y27), Held{ID: oldID, Reason: "OTHER", Until: at(y27)}, ExistingReplace, false, "", rows.StatusUpdated, ""},
		{"replace: equal, nothing to send", row(y27), same, ExistingReplace, false, rows.StatusExists, "", ""},
		{"plan replace: would update", row(y27), held(y30), ExistingReplace, true, rows.StatusWouldUpdate, "", ""},
		{"another email under the LinkedIn URL", row(""), Held{ID: oldID, Mismatch: "holds email x@y.co"}, ExistingExtend, false, rows.StatusFailed, "", "holds email"},
	}
	for _, tt := range tests {
		d := Reconcile(tt.row, tt.held, Policy{Existing: tt.policy}, tt.dry)
		if d.Status != tt.status || d.Then != tt.then || (tt.status == "") != (d.Change != nil) || !strings.Contains(d.Err, tt.err) {
			t.Errorf("%s: %+v", tt.name, d)
		}
		// Extending sends the until alone: the record keeps its reason and
		// message. Replacing sends all three.
		wantReason := ""
		if tt.policy == ExistingReplace {
			wantReason = tt.row.Norm.Reason
		}
		if d.Change != nil && (d.Change.Reason != wantReason || !d.Change.SetUntil || topo.Str(d.Change.Until) != tt.row.Norm.Until ||
			d.Change.SetMessage != (tt.policy == ExistingReplace)) {
			t.Errorf("%s: change %+v does not make the record what the policy asks", tt.name, d.Change)
		}
	}
}

// TestCreatorExtends runs the three policies against a record held until
// 1 December, for a row asking for a permanent exclusion: extend PATCHes
// until to null (and says what it was), keep changes nothing and needs
// action, replace makes the record the row.
func TestCreatorExtends(t *testing.T) {
	short := func() string {
		return strings.Replace(record(oldID, "2026-12-01T23:59:59Z", hourAgo), `"reason":"OTHER"`, `"reason":"BAD_TIMING"`, 1)
	}
	patched := func(w http.ResponseWriter, r *http.Request) {
		var ch map[string]any
		json.NewDecoder(r.Body).Decode(&ch)
		until, _ := ch["until"].(string)
		reason, ok := ch["reason"].(string)
		if !ok {
			reason = "BAD_TIMING" // not sent: the record keeps its own
		}
		answer(200, strings.Replace(record(oldID, until, hourAgo), `"reason":"OTHER"`, `"reason":"`+reason+`"`, 1))(w, r)
	}
	row := rows.Row{Num: 2, Status: rows.StatusValid, Norm: rows.Fields{Email: "a@b.co", Reason: "UNSUBSCRIBED"}}
	for _, tc := range []struct {
		policy  Existing
		status  rows.Status
		patches int
		patch   string
		err     string
	}{
		{ExistingExtend, rows.StatusExtended, 1, `{"until":null}`, ""},
		{ExistingKeep, rows.StatusExistsShorter, 0, "", "until 2026-12-01T23:59:59Z"},
		{ExistingReplace, rows.StatusUpdated, 1, `{"message":null,"reason":"UNSUBSCRIBED","until":null}`, ""},
	} {
		t.Run(tc.policy.String(), func(t *testing.T) {
			sc := newScript().on("POST", conflict).on("GET", page(short)).on("PATCH", answer(503, "{}"), patched)
			srv := httptest.NewServer(sc)
			defer srv.Close()
			c := &Creator{Remote: remote(t, srv.URL, canRead), Policy: Policy{Existing: tc.policy}}
			out, err := c.Act(context.Background(), context.Background(), pipeline.Job{Row: row}, nil)
			if err != nil || out.Status != tc.status || out.ID != oldID || !strings.Contains(out.Err, tc.err) {
				t.Fatalf("%+v (err %v)", out, err)
			}
			if sc.count("PATCH") != 2*tc.patches {
				t.Errorf("%d PATCHes, want %d (a 503, then the one that took)", sc.count("PATCH"), 2*tc.patches)
			}
			if tc.patches > 0 && (sc.patches[len(sc.patches)-1] != tc.patch || out.Previous == nil ||
				out.Previous.Reason != "BAD_TIMING" || out.Previous.Until != "2026-12-01T23:59:59Z") {
				t.Errorf("PATCH %q, previous %+v", sc.patches, out.Previous)
			}
			if out.Status == rows.StatusExistsShorter && !out.Status.NeedsAction() {
				t.Error("exists_shorter must need action")
			}
		})
	}
}

// TestCreatorRefusesAPatchThatDidNotTake: a 200 whose record is not what
// was asked is Topo's own word that the row is not covered.
func TestCreatorRefusesAPatchThatDidNotTake(t *testing.T) {
	short := func() string { return record(oldID, "2026-12-01T23:59:59Z", hourAgo) }
	sc := newScript().on("POST", conflict).on("GET", page(short)).on("PATCH", answer(200, short()))
	srv := httptest.NewServer(sc)
	defer srv.Close()
	c := &Creator{Remote: remote(t, srv.URL, canRead)}
	out, _ := c.Act(context.Background(), context.Background(), pipeline.Job{Row: validRow()}, nil)
	if out.Status != rows.StatusFailed || !strings.Contains(out.Err, "holds reason OTHER until 2026-12-01") {
		t.Errorf("%+v", out)
	}
}
