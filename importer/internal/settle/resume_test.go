package settle

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// source yields the given rows.
type source []rows.Row

func (s *source) Next() (rows.Row, error) {
	if len(*s) == 0 {
		return rows.Row{}, io.EOF
	}
	r := (*s)[0]
	*s = (*s)[1:]
	return r, nil
}

type collect []rows.Outcome

func (c *collect) Record(o rows.Outcome) error { *c = append(*c, o); return nil }

// TestResumeAfterACrashAroundTheUpdate: an import looked the row up, found
// temp@example.com held as BAD_TIMING until 1 December, journaled the
// update it was about to send, and died: before the PATCH reached Topo,
// or after. Run again, it reports extended (with what the record was) in
// both cases, and Topo ends holding the person for good, patched once.
func TestResumeAfterACrashAroundTheUpdate(t *testing.T) {
	for _, applied := range []bool{false, true} {
		name := "the update never left"
		if applied {
			name = "the update took effect"
		}
		t.Run(name, func(t *testing.T) {
			srv := topotest.NewServer(topotest.Options{})
			defer srv.Close()
			created := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
			if err := srv.Load(strings.NewReader(`[{"id":"` + oldID + `","email":"temp@example.com","reason":"BAD_TIMING","until":"2026-12-01T23:59:59Z","created_at":"` + created + `"}]`)); err != nil {
				t.Fatal(err)
			}
			client, err := api.NewClient(srv.URL, topotest.DefaultToken, "test", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer client.CloseIdleConnections()
			if applied {
				client.Update(context.Background(), topo.Contacts, oldID, topo.Change{SetUntil: true}) // extend: permanent
			}

			path := filepath.Join(t.TempDir(), "list.journal")
			fp := ledger.Fingerprint{Input: "sha256:list", Settings: "sha256:s"}
			j, _, err := ledger.OpenJournal(path, fp, false, ledger.Durability{})
			if err != nil {
				t.Fatal(err)
			}
			j.Intend(pipeline.Intent{Row: 2, Op: api.OpCreate, At: time.Now().Add(-time.Second)})()
			j.Intend(pipeline.Intent{Row: 2, Op: api.OpUpdate, ID: oldID, At: time.Now(),
				Previous: &rows.Previous{Reason: "BAD_TIMING", Until: "2026-12-01T23:59:59Z"}})()
			j.Close() // the crash

			j, st, err := ledger.OpenJournal(path, fp, false, ledger.Durability{})
			if err != nil || st != ledger.JournalResumed {
				t.Fatalf("reopening: %v, %v", st, err)
			}
			defer j.Close()
			retrier := &api.Retrier{Pacer: api.NewPacer(0), Retries: 3, Timeout: 5 * time.Second}
			access, err := api.CheckKey(context.Background(), client, retrier, topo.Contacts)
			if err != nil {
				t.Fatal(err)
			}
			src := source{{Num: 2, Status: rows.StatusValid, Norm: rows.Fields{Email: "temp@example.com", Reason: "UNSUBSCRIBED"}}}
			var got collect
			p := &pipeline.Pass{
				Rows: &src, Recorder: &got, Workers: pipeline.NewWorkers(2, 2), Ledger: j,
				Action: &Creator{Remote: Remote{API: client, Retrier: retrier, Kind: topo.Contacts, Access: access}},
			}
			if err := p.Run(context.Background(), context.Background()); err != nil {
				t.Fatal(err)
			}
			o := got[0]
			if o.Status != rows.StatusExtended || o.ID != oldID || o.Previous == nil || o.Previous.Until != "2026-12-01T23:59:59Z" || o.Previous.Reason != "BAD_TIMING" {
				t.Errorf("resumed row: %+v", o)
			}
			recs := srv.Records()
			if len(recs) != 1 || recs[0].Until != nil || recs[0].Reason != "BAD_TIMING" {
				t.Errorf("Topo holds %+v, want the one record, permanent, its reason kept", recs)
			}
			if n := srv.Stats().ByMethod[http.MethodPatch]; n != 1 {
				t.Errorf("%d PATCHes in all, want 1", n)
			}
			if n := srv.Stats().ByMethod[http.MethodPost]; n != 0 {
				t.Errorf("%d POSTs: the record was there to be found", n)
			}
		})
	}
}
