package settle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// listOf is n records stamped a tenth of a second apart from start, then
// tied more records sharing one stamp in the middle of them.
func listOf(n, tied int, start time.Time) string {
	return spacedList(n, tied, start, 100*time.Millisecond)
}

// spacedList is listOf with the records gap apart.
func spacedList(n, tied int, start time.Time, gap time.Duration) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n + tied {
		if i > 0 {
			b.WriteString(",")
		}
		at := start.Add(time.Duration(i) * gap)
		if i >= n {
			at = start.Add(time.Duration(n/2)*gap + gap/2)
		}
		fmt.Fprintf(&b, `{"email":"p%d@example.com","reason":"OTHER","created_at":%q}`, i, at.UTC().Format(time.RFC3339Nano))
	}
	b.WriteString("]")
	return b.String()
}

// scanned reads srv's whole list with parallel slices and returns how
// many times each record was read.
func scanned(t *testing.T, srv *topotest.Server, r Remote, parallel int) (map[string]int, ScanStats, error) {
	t.Helper()
	got := map[string]int{}
	s := Scan{Remote: r, Parallel: parallel}
	st, err := s.Each(context.Background(), func(ex topo.Exclusion) error { got[ex.ID]++; return nil })
	return got, st, err
}

// everyOnce says what is wrong with a scan that should have read each of
// srv's records exactly once ("" when nothing).
func everyOnce(srv *topotest.Server, got map[string]int) string {
	var bad []string
	recs := srv.Records()
	for _, rec := range recs {
		if got[rec.ID] != 1 {
			bad = append(bad, fmt.Sprintf("%s read %d times", topo.Str(rec.Email), got[rec.ID]))
		}
	}
	if len(got) != len(recs) || len(bad) > 0 {
		return fmt.Sprintf("%d records read of %d; %s", len(got), len(recs), strings.Join(bad[:min(len(bad), 5)], ", "))
	}
	return ""
}

// TestScanReadsEveryRecordOfAHostileList: a server that caps its pages,
// leaves its totals out or zero, orders ties at random, repeats an answer
// from a stale cache, ignores the page number, or stamps its records an
// hour ahead of its Date: every record is read exactly once, one slice at
// a time or six at once, in a bounded number of requests.
func TestScanReadsEveryRecordOfAHostileList(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		opt       topotest.Options
		n, tied   int
		ahead     bool          // stamped an hour ahead of the server's clock
		gap       time.Duration // between two records' stamps (0: a tenth of a second)
		maxPages  int
		maxSlices int
	}{
		{name: "pages capped at 50", opt: topotest.Options{PageCap: 50}, n: 350, maxPages: 14},
		{name: "no total", opt: topotest.Options{NoTotal: true}, n: 350, maxPages: 8},
		{name: "a zero total", opt: topotest.Options{ZeroTotal: true}, n: 350, maxPages: 8},
		{name: "250 records sharing a stamp, ties in random order", opt: topotest.Options{ShuffleTies: true, Seed: 7}, n: 100, tied: 250, maxPages: 16},
		{name: "the 3rd answer repeats the 2nd", opt: topotest.Options{RepeatPage: 3}, n: 350, maxPages: 10},
		{name: "the 5th answer repeats the 4th", opt: topotest.Options{RepeatPage: 5}, n: 350, maxPages: 10},
		{name: "the 5th answer repeats the 4th, stamps a millisecond apart", opt: topotest.Options{RepeatPage: 5}, n: 350, gap: time.Millisecond, maxPages: 10},
		{name: "page numbers ignored", opt: topotest.Options{IgnorePage: true}, n: 350, maxPages: 10, maxSlices: 1},
		{name: "stamps an hour ahead of the Date", n: 270, ahead: true, maxPages: 8},
		{name: "all of it at once", opt: topotest.Options{PageCap: 50, NoTotal: true, ShuffleTies: true, RepeatPage: 4, Seed: 3}, n: 700, tied: 180, maxPages: 40},
		{name: "a long list", n: 5000, maxPages: 60},
	} {
		for _, parallel := range []int{1, 6} {
			t.Run(fmt.Sprintf("%s/parallel=%d", tc.name, parallel), func(t *testing.T) {
				t.Parallel()
				srv, r := fake(t, tc.opt)
				start := time.Now().Add(-time.Hour).Truncate(time.Second) // dense stamps in one second
				if tc.ahead {
					start = time.Now().Add(time.Hour - time.Duration(tc.n)*100*time.Millisecond)
				}
				gap := tc.gap
				if gap == 0 {
					gap = 100 * time.Millisecond
				}
				if err := srv.Load(strings.NewReader(spacedList(tc.n, tc.tied, start, gap))); err != nil {
					t.Fatal(err)
				}
				before := srv.Stats().ByMethod["GET"]
				got, st, err := scanned(t, srv, r, parallel)
				if err != nil {
					t.Fatal(err)
				}
				if why := everyOnce(srv, got); why != "" {
					t.Error(why)
				}
				if pages := srv.Stats().ByMethod["GET"] - before; pages > tc.maxPages || pages != st.Pages {
					t.Errorf("%d requests (%d counted), want at most %d", pages, st.Pages, tc.maxPages)
				}
				if tc.maxSlices > 0 && st.Slices > tc.maxSlices {
					t.Errorf("%d slices, want at most %d", st.Slices, tc.maxSlices)
				}
				t.Logf("%d records in %d requests, %d slices", st.Records, st.Pages, st.Slices)
			})
		}
	}
}

// TestScanStopsWhereItCannotReadEverything: records sharing a stamp
// beyond a page on a server that ignores the page number cannot all be
// read: the scan ends with an error after a bounded number of requests,
// never with a short list called complete.
func TestScanStopsWhereItCannotReadEverything(t *testing.T) {
	t.Parallel()
	for _, parallel := range []int{1, 6} {
		srv, r := fake(t, topotest.Options{IgnorePage: true})
		if err := srv.Load(strings.NewReader(listOf(100, 250, time.Now().Add(-time.Hour)))); err != nil {
			t.Fatal(err)
		}
		got, st, err := scanned(t, srv, r, parallel)
		var se *ScanError
		if !errors.As(err, &se) || st.Pages > 40 {
			t.Errorf("parallel %d: %v after %d requests, %d records: want a ScanError within 40 requests", parallel, err, st.Pages, len(got))
		}
	}
}

// TestScanBoundIsTheNewestRecord: records created while a scan runs are
// left out, wherever the server's clock stands: the bound is the newest
// record's own stamp when the scan began.
func TestScanBoundIsTheNewestRecord(t *testing.T) {
	t.Parallel()
	srv, r := fake(t, topotest.Options{StampOffset: time.Hour})
	if err := srv.Load(strings.NewReader(listOf(150, 0, time.Now().Add(30*time.Minute)))); err != nil {
		t.Fatal(err)
	}
	newest := srv.Records()[149].CreatedAt
	s := Scan{Remote: r}
	n := 0
	st, err := s.Each(context.Background(), func(ex topo.Exclusion) error {
		if n++; n == 1 { // another client creates a record meanwhile, stamped an hour ahead
			r.API.Create(context.Background(), topo.Contacts, topo.Draft{Email: topo.Nullable("new@example.com"), Reason: "OTHER"})
		}
		return nil
	})
	if err != nil || n != 150 || !st.Bound.Equal(newest) {
		t.Errorf("%d records, bound %v (err %v): want the 150 there at the start, bound %v", n, st.Bound, err, newest)
	}
}
