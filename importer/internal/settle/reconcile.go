package settle

import (
	"fmt"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Existing is what an import does with a row whose person (or domain)
// Topo already holds.
type Existing int

const (
	// ExistingExtend (the default) lengthens a record that ends sooner
	// than the row asks, and never shortens one.
	ExistingExtend Existing = iota
	// ExistingKeep changes nothing: a record that ends sooner is
	// exists_shorter, which needs action.
	ExistingKeep
	// ExistingReplace makes the record equal to the row, even shorter.
	ExistingReplace
)

// ExistingPolicies are --existing's values, in order.
var ExistingPolicies = []string{"extend", "keep", "replace"}

func (e Existing) String() string { return ExistingPolicies[e] }

// ParseExisting reads --existing.
func ParseExisting(s string) (Existing, error) {
	for i, p := range ExistingPolicies {
		if strings.EqualFold(strings.TrimSpace(s), p) {
			return Existing(i), nil
		}
	}
	return 0, fmt.Errorf("unknown policy %q (want extend, keep or replace)", s)
}

// Decision is what reconciling a row with what Topo holds decides.
type Decision struct {
	// Status is the row's outcome, or "" when Change must be sent first;
	// Then is the outcome once it was.
	Status rows.Status
	Change *topo.Change
	Then   rows.Status
	Err    string
}

// Reconcile decides what to do with row, which Topo holds as held, under
// policy. A record covers the row when it holds all of the row's keys and
// lasts at least as long: permanent covers everything, otherwise its until
// must not be before the row's. dry gives plan's statuses (would_extend,
// would_update) instead of a change to send.
func Reconcile(row rows.Row, held Held, policy Existing, dry bool) Decision {
	if held.Mismatch != "" {
		return Decision{Status: rows.StatusFailed, Err: held.Mismatch}
	}
	want, _ := rowUntil(row)
	covers := held.Until == nil || (want != nil && !held.Until.Before(*want))
	change := &topo.Change{Reason: row.Norm.Reason, Message: topo.Nullable(row.Norm.Message), Until: topo.Nullable(row.Norm.Until)}
	switch {
	case policy == ExistingReplace && sameAs(row, held, want):
		return Decision{Status: rows.StatusExists, Err: held.Lacks}
	case policy == ExistingReplace:
		return decideChange(change, rows.StatusUpdated, rows.StatusWouldUpdate, dry)
	case covers:
		return Decision{Status: rows.StatusExists, Err: held.Lacks}
	case policy == ExistingKeep:
		return Decision{Status: rows.StatusExistsShorter, Err: fmt.Sprintf(
			"Topo holds it until %s, sooner than this row asks (%s), and --existing keep left it so: import with --existing extend to lengthen it",
			untilText(held.Until), describeUntil(row.Norm.Until))}
	}
	return decideChange(change, rows.StatusExtended, rows.StatusWouldExtend, dry)
}

func decideChange(ch *topo.Change, then, would rows.Status, dry bool) Decision {
	if dry {
		return Decision{Status: would}
	}
	return Decision{Change: ch, Then: then}
}

func sameAs(row rows.Row, held Held, want *time.Time) bool {
	sameUntil := (want == nil) == (held.Until == nil) && (want == nil || want.Equal(*held.Until))
	return sameUntil && held.Reason == row.Norm.Reason && held.Message == MessageHash(row.Norm.Message)
}

// rowUntil is the row's until as a time; nil when permanent.
func rowUntil(row rows.Row) (*time.Time, error) {
	return topo.ParseUntil(topo.Nullable(row.Norm.Until))
}

func untilText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func describeUntil(s string) string {
	if s == "" {
		return "permanent"
	}
	return "until " + s
}
