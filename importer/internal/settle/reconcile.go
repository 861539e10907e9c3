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

// Policy is what an import may do to a record Topo already holds.
type Policy struct {
	Existing Existing
	// LiftOptOuts lets a change lift an opt-out (see ProtectedReasons):
	// without it such a row is left as Topo holds it, protected.
	LiftOptOuts bool
}

// Decision is what reconciling a row with what Topo holds decides.
type Decision struct {
	// Status is the row's outcome, or "" when Change must be sent first;
	// Then is the outcome once it was.
	Status rows.Status
	Change *topo.Change
	Then   rows.Status
	Err    string
	// Lift, when set, says how the change lifts an opt-out (allowed by
	// --lift-optouts): the summary, the run page and the journal list it.
	Lift string
}

// Reconcile decides what to do with row, which Topo holds as held, under
// policy. A record covers the row when it holds all of the row's keys and
// lasts at least as long: permanent covers everything, otherwise its until
// must not be before the row's. Extending sends the until alone, so the
// record keeps its reason and message; replacing sends all three. A change
// that would lift an opt-out is protected unless the policy allows it. dry
// gives plan's statuses (would_extend, would_update, would_lift) instead
// of a change to send.
func Reconcile(row rows.Row, held Held, policy Policy, dry bool) Decision {
	if held.Mismatch != "" {
		return Decision{Status: rows.StatusFailed, Err: held.Mismatch}
	}
	want, _ := rowUntil(row)
	covers := held.Until == nil || (want != nil && !held.Until.Before(*want))
	ch := changeFor(row, policy)
	switch {
	case policy.Existing == ExistingReplace && sameAs(row, held, want):
		return Decision{Status: rows.StatusExists, Err: held.Lacks}
	case policy.Existing == ExistingReplace:
		return decideChange(held, &ch, policy, rows.StatusUpdated, rows.StatusWouldUpdate, dry)
	case covers:
		return Decision{Status: rows.StatusExists, Err: held.Lacks}
	case policy.Existing == ExistingKeep:
		return Decision{Status: rows.StatusExistsShorter, Err: fmt.Sprintf(
			"Topo holds it until %s, sooner than this row asks (%s), and --existing keep left it so: import with --existing extend to lengthen it",
			untilText(held.Until), describeUntil(row.Norm.Until))}
	}
	return decideChange(held, &ch, policy, rows.StatusExtended, rows.StatusWouldExtend, dry)
}

func decideChange(held Held, ch *topo.Change, policy Policy, then, would rows.Status, dry bool) Decision {
	lift := lifts(held, ch)
	switch {
	case lift != "" && !policy.LiftOptOuts:
		return Decision{Status: rows.StatusProtected, Err: protectedErr(held, "--existing replace", lift)}
	case lift != "" && dry:
		return Decision{Status: rows.StatusWouldLift, Lift: lift}
	case dry:
		return Decision{Status: would}
	}
	return Decision{Change: ch, Then: then, Lift: lift}
}

// changeFor is the change policy sends to make a record the row's: the
// until alone (extend), or reason, message and until (replace).
func changeFor(row rows.Row, policy Policy) topo.Change {
	until := topo.Nullable(row.Norm.Until)
	if policy.Existing == ExistingReplace {
		return topo.Change{Reason: row.Norm.Reason, Until: until, SetUntil: true, Message: topo.Nullable(row.Norm.Message), SetMessage: true}
	}
	return topo.Change{Until: until, SetUntil: true}
}

// took says whether the record an update was answered with holds what the
// change asked: its until, and its reason and message where it set them.
func took(ch topo.Change, got Held) bool {
	if ch.SetUntil {
		want, _ := topo.ParseUntil(ch.Until)
		if (want == nil) != (got.Until == nil) || want != nil && !want.Equal(*got.Until) {
			return false
		}
	}
	if ch.Reason != "" && got.Reason != ch.Reason {
		return false
	}
	return !ch.SetMessage || got.Message == MessageHash(topo.Str(ch.Message))
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
