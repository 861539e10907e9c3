package settle

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// preload fills srv with n records, many sharing a created_at (bulk
// imports stamp hundreds in one second), and returns their ids.
func preload(t *testing.T, srv *topotest.Server, n int) map[string]bool {
	t.Helper()
	var b strings.Builder
	b.WriteString("[")
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		at := base.Add(time.Duration(i/250) * time.Second) // 250 records a second
		if i%7 == 0 {
			at = at.Add(time.Duration(i%1000) * time.Millisecond)
		}
		fmt.Fprintf(&b, `{"email":"p%d@example.com","reason":"OTHER","created_at":%q}`, i, at.Format(time.RFC3339Nano))
	}
	b.WriteString("]")
	if err := srv.Load(strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range srv.Records() {
		ids[r.ID] = true
	}
	return ids
}

// TestScanReadsEveryRecordOnceWhileOthersWrite: 3,000 records stamped 250
// to a second, a page edge in the middle of every second, and another
// client creating records all the while: every record that existed at the
// start is read exactly once, with the API's time filters strict or
// inclusive, in one slice or in parallel slices.
func TestScanReadsEveryRecordOnceWhileOthersWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		inclusive bool
		parallel  int
	}{{false, 1}, {true, 1}, {false, 6}, {true, 6}} {
		inclusive := tc.inclusive
		t.Run(fmt.Sprintf("inclusive=%v/parallel=%d", inclusive, tc.parallel), func(t *testing.T) {
			t.Parallel()
			srv := topotest.NewServer(topotest.Options{InclusiveTimeFilters: inclusive, Latency: time.Millisecond})
			defer srv.Close()
			before := preload(t, srv, 3000)
			client, _ := api.NewClient(srv.URL, topotest.DefaultToken, "test", nil, nil)
			defer client.CloseIdleConnections()
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { // another client, creating records during the scan
				for i := 0; ctx.Err() == nil; i++ {
					client.Create(ctx, topo.Contacts, topo.Draft{Email: topo.Nullable(fmt.Sprintf("new%d@example.com", i)), Reason: "OTHER"})
				}
			})
			retrier := &api.Retrier{Pacer: api.NewPacer(0), Retries: 3, Timeout: 5 * time.Second}
			client.List(context.Background(), topo.Contacts, api.Query{Size: 1}) // learn the server's clock
			scan := Scan{Remote: Remote{API: client, Retrier: retrier, Kind: topo.Contacts}, Parallel: tc.parallel}
			got := map[string]int{}
			st, err := scan.Each(context.Background(), func(ex topo.Exclusion) error { got[ex.ID]++; return nil })
			stop()
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			for id := range before {
				if got[id] != 1 {
					t.Errorf("record %s read %d times", id, got[id])
				}
			}
			for id, n := range got {
				if n != 1 {
					t.Errorf("record %s read %d times", id, n)
				}
			}
			if created := len(srv.Records()) - len(before); created == 0 {
				t.Error("the other client created nothing during the scan: the test proves little")
			}
			t.Logf("%d records in %d pages; %d created meanwhile, %d of them read", st.Records, st.Pages, len(srv.Records())-len(before), st.Records-len(before))
		})
	}
}

// TestScanSinceAndReason: --since keeps records created after it, --reason
// those with that reason.
func TestScanSinceAndReason(t *testing.T) {
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	old, recent := time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	srv.Load(strings.NewReader(fmt.Sprintf(`[{"email":"a@x.co","reason":"OTHER","created_at":%q},{"email":"b@x.co","reason":"BOUNCED","created_at":%q},{"email":"c@x.co","reason":"OTHER","created_at":%q}]`,
		old.Format(time.RFC3339), recent.Format(time.RFC3339), recent.Format(time.RFC3339))))
	client, _ := api.NewClient(srv.URL, topotest.DefaultToken, "test", nil, nil)
	defer client.CloseIdleConnections()
	retrier := &api.Retrier{Pacer: api.NewPacer(0), Retries: 1, Timeout: time.Second}
	scan := Scan{Remote: Remote{API: client, Retrier: retrier, Kind: topo.Contacts}, Since: time.Now().Add(-24 * time.Hour), Reason: "OTHER"}
	var emails []string
	if _, err := scan.Each(context.Background(), func(ex topo.Exclusion) error { emails = append(emails, topo.Str(ex.Email)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(emails) != 1 || emails[0] != "c@x.co" {
		t.Errorf("got %v, want only c@x.co", emails)
	}
}
