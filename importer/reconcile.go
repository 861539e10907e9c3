package importer

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

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

// Held is what Topo holds for a row: one record, as a lookup returned it
// or as the snapshot remembers it.
type Held struct {
	ID     string
	Reason string
	// Until is when the exclusion ends; nil when it is permanent.
	Until *time.Time
	// Message is a hash of the record's message (see MessageHash), which
	// is all the snapshot keeps of it.
	Message   uint32
	CreatedAt time.Time
	// Mismatch, when set, says the record holds another value for one of
	// the row's keys (this LinkedIn URL under another email): the row is
	// not covered, whatever the dates.
	Mismatch string
	// Lacks names a key of the row the record does not have (Topo holds
	// the person by the other one): said in the report's note.
	Lacks string
	// Seen is when the snapshot this comes from was read; zero for a
	// lookup's answer.
	Seen time.Time
}

// MessageHash is how messages are compared: trimmed, empty and null alike.
func MessageHash(s string) uint32 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32() | 1
}

// HeldOf turns a record into what is compared with row. A record that
// holds another value for one of the row's keys (the same LinkedIn URL
// under another email) is a mismatch; one that lacks a key of the row
// holds the person by the other.
func HeldOf(ex topo.Exclusion, row Row) Held {
	h := Held{ID: ex.ID, Reason: ex.Reason, Message: MessageHash(topo.Str(ex.Message)), CreatedAt: ex.CreatedAt}
	if u, err := topo.ParseUntil(ex.Until); err == nil {
		h.Until = u
	} else {
		h.Mismatch = fmt.Sprintf("Topo's record %s has an until Topo should not accept (%q)", ex.ID, topo.Str(ex.Until))
	}
	for _, k := range row.Keys() {
		held := ex.Value(k.Name)
		switch {
		case held == "":
			h.Lacks = fmt.Sprintf("Topo's record holds this person by another key, without the row's %s", k.Name)
		case NormalizeKey(k.Name, held) != k.Value:
			h.Mismatch = fmt.Sprintf("Topo's record %s holds %s %s, not the row's %s: the row's %s is not excluded by it; fix the row or the record by hand",
				ex.ID, k.Name, held, k.Value, k.Name)
		}
	}
	return h
}

// NormalizeKey is a key value as the rows' normalisers would write it, so
// that a record Topo holds compares with a row ("" stays "").
func NormalizeKey(name, value string) string {
	if value == "" {
		return ""
	}
	var (
		n   string
		err error
	)
	switch name {
	case "email":
		n, err = NormalizeEmail(value)
	case "linkedin_url":
		n, err = NormalizeLinkedIn(value)
	case "domain":
		n, err = NormalizeDomain(value)
	default:
		return value
	}
	if err != nil {
		return strings.ToLower(strings.TrimSpace(value))
	}
	return n
}

// Decision is what reconciling a row with what Topo holds decides.
type Decision struct {
	// Status is the row's outcome, or "" when Change must be sent first;
	// Then is the outcome once it was.
	Status Status
	Change *topo.Change
	Then   Status
	Err    string
}

// Reconcile decides what to do with row, which Topo holds as held, under
// policy. A record covers the row when it holds all of the row's keys and
// lasts at least as long: permanent covers everything, otherwise its until
// must not be before the row's. dry gives plan's statuses (would_extend,
// would_update) instead of a change to send.
func Reconcile(row Row, held Held, policy Existing, dry bool) Decision {
	if held.Mismatch != "" {
		return Decision{Status: StatusFailed, Err: held.Mismatch}
	}
	want, _ := rowUntil(row)
	covers := held.Until == nil || (want != nil && !held.Until.Before(*want))
	change := &topo.Change{Reason: row.Norm.Reason, Message: topo.Nullable(row.Norm.Message), Until: topo.Nullable(row.Norm.Until)}
	switch {
	case policy == ExistingReplace && sameAs(row, held, want):
		return Decision{Status: StatusExists, Err: held.Lacks}
	case policy == ExistingReplace:
		return decideChange(change, StatusUpdated, StatusWouldUpdate, dry)
	case covers:
		return Decision{Status: StatusExists, Err: held.Lacks}
	case policy == ExistingKeep:
		return Decision{Status: StatusExistsShorter, Err: fmt.Sprintf(
			"Topo holds it until %s, sooner than this row asks (%s), and --existing keep left it so: import with --existing extend to lengthen it",
			untilText(held.Until), describeUntil(row.Norm.Until))}
	}
	return decideChange(change, StatusExtended, StatusWouldExtend, dry)
}

func decideChange(ch *topo.Change, then, would Status, dry bool) Decision {
	if dry {
		return Decision{Status: would}
	}
	return Decision{Change: ch, Then: then}
}

func sameAs(row Row, held Held, want *time.Time) bool {
	sameUntil := (want == nil) == (held.Until == nil) && (want == nil || want.Equal(*held.Until))
	return sameUntil && held.Reason == row.Norm.Reason && held.Message == MessageHash(row.Norm.Message)
}

// rowUntil is the row's until as a time; nil when permanent.
func rowUntil(row Row) (*time.Time, error) {
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

// previous is what a record was before a change.
func (h Held) previous() *Previous {
	return &Previous{Reason: h.Reason, Until: untilText(h.Until)}
}
