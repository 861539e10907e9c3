package settle

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topotest"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// TestSnapshotDecidesAsLookupsDo: on the same records (permanent, shorter,
// longer, another reason or message, a LinkedIn URL under another email, a
// person held by one key only, two records for a row's two keys) and the
// same rows, a plan decided from the snapshot and one decided by a lookup
// a row give every row the same status and id, under each policy.
func TestSnapshotDecidesAsLookupsDo(t *testing.T) {
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	held := `[
	{"email":"perm@x.co","reason":"OTHER"},
	{"email":"short@x.co","reason":"BAD_TIMING","until":"2026-12-01T23:59:59Z"},
	{"email":"long@x.co","reason":"UNSUBSCRIBED","until":"2099-01-01T00:00:00Z"},
	{"email":"same@x.co","reason":"UNSUBSCRIBED","message":"asked","until":"2030-06-30T23:59:59Z"},
	{"email":"Mixed@X.co","reason":"UNSUBSCRIBED"},
	{"email":"other@x.co","linkedin_url":"https://www.linkedin.com/in/shared","reason":"OTHER"},
	{"linkedin_url":"https://www.linkedin.com/in/only-li","reason":"OTHER"},
	{"email":"two@x.co","reason":"OTHER"},
	{"linkedin_url":"https://www.linkedin.com/in/two","reason":"OTHER"}]`
	if err := srv.Load(strings.NewReader(held)); err != nil {
		t.Fatal(err)
	}
	fields := []rows.Fields{
		{Email: "perm@x.co", Reason: "UNSUBSCRIBED"},
		{Email: "short@x.co", Reason: "UNSUBSCRIBED"},
		{Email: "short@x.co", Reason: "UNSUBSCRIBED", Until: "2026-11-30T23:59:59Z"},
		{Email: "long@x.co", Reason: "UNSUBSCRIBED", Until: "2030-01-01T00:00:00Z"},
		{Email: "same@x.co", Reason: "UNSUBSCRIBED", Message: "asked", Until: "2030-06-30T23:59:59Z"},
		{Email: "mixed@x.co", Reason: "UNSUBSCRIBED"},
		{Email: "me@x.co", LinkedInURL: "https://www.linkedin.com/in/shared", Reason: "OTHER"},
		{Email: "li@x.co", LinkedInURL: "https://www.linkedin.com/in/only-li", Reason: "OTHER"},
		{Email: "two@x.co", LinkedInURL: "https://www.linkedin.com/in/two", Reason: "OTHER"},
		{Email: "new@x.co", Reason: "OTHER"},
		{LinkedInURL: "https://www.linkedin.com/in/new", Reason: "OTHER"},
	}
	client, _ := api.NewClient(srv.URL, topotest.DefaultToken, "test", nil, nil)
	defer client.CloseIdleConnections()
	retrier := &api.Retrier{Pacer: api.NewPacer(0), Retries: 2, Timeout: 5 * time.Second}
	access, err := api.CheckKey(context.Background(), client, retrier, topo.Contacts)
	if err != nil {
		t.Fatal(err)
	}
	remote := Remote{API: client, Retrier: retrier, Kind: topo.Contacts, Access: access}
	idx := NewIndex(time.Now())
	scan := Scan{Remote: remote}
	if _, err := scan.Each(context.Background(), func(ex topo.Exclusion) error { idx.Add(ex); return nil }); err != nil {
		t.Fatal(err)
	}
	if idx.Len() != 9 || idx.Bytes() > 64*9+64*12*256 {
		t.Errorf("index of %d records takes %d bytes", idx.Len(), idx.Bytes())
	}
	plan := func(policy Existing, snapshot *Index) []rows.Outcome {
		src := make(source, len(fields))
		for i, f := range fields {
			src[i] = rows.Row{Num: i + 2, Status: rows.StatusValid, Norm: f}
		}
		var got collect
		r := remote
		r.Snapshot = snapshot
		p := &pipeline.Pass{Rows: &src, Recorder: &got, Workers: pipeline.NewWorkers(2, 2),
			Action: &Planner{Remote: r, Policy: Policy{Existing: policy}}}
		if err := p.Run(context.Background(), context.Background()); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, policy := range []Existing{ExistingExtend, ExistingKeep, ExistingReplace} {
		before := srv.Stats().Requests
		byRow := plan(policy, nil)
		lookups := srv.Stats().Requests - before
		before = srv.Stats().Requests
		bySnapshot := plan(policy, idx)
		if n := srv.Stats().Requests - before; n != 0 || lookups < len(fields) {
			t.Errorf("%s: %d requests with the snapshot, %d without", policy, n, lookups)
		}
		seen := map[rows.Status]bool{}
		for i := range fields {
			a, b := byRow[i], bySnapshot[i]
			seen[a.Status] = true
			if a.Status != b.Status || a.ID != b.ID || fmt.Sprint(a.Previous) != fmt.Sprint(b.Previous) {
				t.Errorf("%s, row %+v: by lookup %s %s %v (%s), by snapshot %s %s %v (%s)", policy, fields[i],
					a.Status, a.ID, a.Previous, a.Err+a.Note, b.Status, b.ID, b.Previous, b.Err+b.Note)
			}
		}
		t.Logf("%s: %v", policy, seen)
	}
}
