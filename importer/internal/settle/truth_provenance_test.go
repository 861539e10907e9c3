package settle

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// loadOne loads one record into a fake API before a run.
func loadOne(t *testing.T, srv *topotest.Server, email, reason, until string, created time.Time) {
	t.Helper()
	u := "null"
	if until != "" {
		u = fmt.Sprintf("%q", until)
	}
	rec := fmt.Sprintf(`[{"email":%q,"reason":%q,"until":%s,"created_at":%q}]`, email, reason, u, created.UTC().Format(time.RFC3339Nano))
	if err := srv.Load(strings.NewReader(rec)); err != nil {
		t.Fatal(err)
	}
}

// TestA201CarryingAnOlderRecordIsNotCreated: a server that answers a
// repeat create with 201 and the record it already held (Upsert). That
// record is not this run's: it exists, and is reconciled as --existing
// says, with a note; only the server's one record is there at the end.
func TestA201CarryingAnOlderRecordIsNotCreated(t *testing.T) {
	t.Parallel()
	soon := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	const later = "2030-06-30T23:59:59Z"
	for _, tc := range []struct {
		name          string
		reason, until string
		created       time.Duration // ago
		policy        Existing
		want          rows.Status
		patches, then string // PATCHes sent, and the record's until after
	}{
		{"months old, ending in three days; extend", "OTHER", soon, 90 * 24 * time.Hour, ExistingExtend, rows.StatusExtended, "1", later},
		{"months old, ending in three days; keep", "OTHER", soon, 90 * 24 * time.Hour, ExistingKeep, rows.StatusExistsShorter, "0", soon},
		{"months old, ending in three days; replace", "OTHER", soon, 90 * 24 * time.Hour, ExistingReplace, rows.StatusUpdated, "1", later},
		{"months old and permanent: covers", "OTHER", "", 90 * 24 * time.Hour, ExistingExtend, rows.StatusExists, "0", ""},
		{"the row's very record, made 30 minutes ago", "OTHER", later, 30 * time.Minute, ExistingExtend, rows.StatusExists, "0", later},
		{"made a moment ago, with another reason", "COMPETITOR", "", time.Second, ExistingExtend, rows.StatusExists, "0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, r := fake(t, topotest.Options{Upsert: true})
			loadOne(t, srv, "a@b.co", tc.reason, tc.until, time.Now().Add(-tc.created))
			c := &Creator{Remote: r, Policy: Policy{Existing: tc.policy}}
			out := act(t, c, pipeline.Job{Row: contactRow(t, "a@b.co", "", later)})
			recs := srv.Records()
			if out.Status != tc.want || len(recs) != 1 || out.ID != recs[0].ID || !strings.Contains(out.Note+out.Err, "a record it already held") {
				t.Errorf("%s %q (note %q, err %q), %d records: want %s of the record Topo held, said so", out.Status, out.ID, out.Note, out.Err, len(recs), tc.want)
			}
			if got := fmt.Sprint(srv.Stats().ByMethod["PATCH"]); got != tc.patches || topo.Str(recs[0].Until) != tc.then {
				t.Errorf("%s PATCHes, until %q; want %s, %q", got, topo.Str(recs[0].Until), tc.patches, tc.then)
			}
		})
	}
}

// TestProvenanceSurvivesSkew: whether a record is this run's is read from
// the Date on the answers around it, so that a backend stamping another
// zone's time, a Date an hour off or a clock that stepped back never makes
// someone else's 30-minute-old record created (exists, with a note where
// the clocks disagree), and this run's own record, stamped within a few
// seconds of the Date, is always created — from a 201, or from the lookup
// after its answer was lost.
func TestProvenanceSurvivesSkew(t *testing.T) {
	t.Parallel()
	hour := time.Hour
	for _, tc := range []struct {
		name       string
		opt        topotest.Options
		theirs     time.Duration // when someone else's record is stamped, from now (0: none)
		step       time.Duration // the server's clock steps by this before the run
		want       rows.Status
		unprovable bool // the note says the clocks disagree
	}{
		{name: "stamps an hour ahead: someone's record of 30 minutes ago", opt: topotest.Options{StampOffset: hour}, theirs: 30 * time.Minute, want: rows.StatusExists, unprovable: true},
		{name: "Date an hour behind: someone's record of 30 minutes ago", opt: topotest.Options{DateOffset: -hour}, theirs: -30 * time.Minute, want: rows.StatusExists, unprovable: true},
		{name: "the clock stepped back an hour: someone's record of 30 minutes ago", step: -hour, theirs: -30 * time.Minute, want: rows.StatusExists, unprovable: true},
		{name: "clocks agree: someone's record of 30 minutes ago", theirs: -30 * time.Minute, want: rows.StatusExists},
		{name: "Date a second ahead: this run's own", opt: topotest.Options{DateOffset: time.Second}, want: rows.StatusCreated},
		{name: "Date three seconds behind: this run's own", opt: topotest.Options{DateOffset: -3 * time.Second}, want: rows.StatusCreated},
		{name: "stamps three seconds ahead: this run's own", opt: topotest.Options{StampOffset: 3 * time.Second}, want: rows.StatusCreated},
		{name: "stamps three seconds behind: this run's own", opt: topotest.Options{StampOffset: -3 * time.Second}, want: rows.StatusCreated},
		{name: "stamps an hour ahead: this run's own, its age unprovable", opt: topotest.Options{StampOffset: hour}, want: rows.StatusExists, unprovable: true},
	} {
		for _, lost := range []bool{false, true} {
			if tc.theirs != 0 && !lost {
				continue // someone's record: met only through a lookup
			}
			t.Run(fmt.Sprintf("%s/answer lost=%v", tc.name, lost), func(t *testing.T) {
				t.Parallel()
				clock := &serverClock{}
				opt := tc.opt
				opt.Now, opt.NotUnique = clock.now, true
				switch {
				case tc.theirs != 0:
					opt.FailRate = 1 // the POST fails before it commits: only theirs is there
				case lost:
					opt.CommitFirst = 1
				}
				srv, r := fake(t, opt)
				clock.add(tc.step)
				if tc.theirs != 0 {
					loadOne(t, srv, "a@b.co", "OTHER", "", time.Now().Add(tc.theirs))
				}
				out := act(t, &Creator{Remote: r}, pipeline.Job{Row: validRow()})
				recs := srv.Records()
				if out.Status != tc.want || len(recs) != 1 || out.ID != recs[0].ID {
					t.Errorf("%s %q (note %q, err %q), %d records; want %s", out.Status, out.ID, out.Note, out.Err, len(recs), tc.want)
				}
				if tc.unprovable != strings.Contains(out.Note, "cannot be told") {
					t.Errorf("note %q: want the clocks' disagreement said: %v", out.Note, tc.unprovable)
				}
			})
		}
	}
}
