package rows

import (
	"fmt"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Fields are the columns of an exclusion, as text: a contact exclusion
// has an email and/or a LinkedIn URL, an account exclusion a domain. ID is
// a record's id, when the list names one (an export, a report).
type Fields struct {
	ID          string
	Email       string
	LinkedInURL string
	Domain      string
	Reason      string
	Message     string
	Until       string
}

// ParseKind reads --kind: auto, contacts or accounts.
func ParseKind(s string) (topo.Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return topo.KindAuto, nil
	case "contacts", "contact":
		return topo.Contacts, nil
	case "accounts", "account":
		return topo.Accounts, nil
	}
	return 0, fmt.Errorf("unknown kind %q (want auto, contacts or accounts)", s)
}

// Status is what became of a row. Validation gives valid, invalid and
// duplicate; the others are Topo's answers (or the lack of one).
type Status string

// The statuses a row can end with, as written in the report.
const (
	StatusValid     Status = "valid"
	StatusInvalid   Status = "invalid"
	StatusDuplicate Status = "duplicate"

	// StatusCreated: this run's create was answered 201 with the record,
	// or a lookup after this run's unanswered attempt found a record
	// created after that attempt was sent.
	StatusCreated Status = "created"
	// StatusExists: Topo already held an exclusion that covers the row
	// (as long as it asks, or longer).
	StatusExists Status = "exists"
	// StatusExtended: Topo held the person for less long than the row
	// asks; this run extended the record (--existing extend).
	StatusExtended Status = "extended"
	// StatusUpdated: this run made the record equal to the row
	// (--existing replace).
	StatusUpdated Status = "updated"
	// StatusExistsShorter: Topo holds the person, but for less long than
	// the row asks, and --existing keep left it so: needs action.
	StatusExistsShorter Status = "exists_shorter"
	// StatusKnown: an earlier run settled the row, as the cron state
	// (--state) remembers: not asked again. Memory, not Topo's word.
	StatusKnown Status = "known"
	// StatusProtected: Topo holds an opt-out (UNSUBSCRIBED,
	// CONTACT_REFUSED, BOUNCED) that what the row asks would lift; it was
	// left unchanged (--lift-optouts allows it): needs action.
	StatusProtected Status = "protected"
	// StatusRemoved: this run deleted the record (remove).
	StatusRemoved Status = "removed"
	// StatusNotFound: Topo holds no such exclusion (remove): as asked.
	StatusNotFound Status = "not_found"

	StatusFailed Status = "failed"
	// StatusUnknown: an attempt may have reached Topo and no answer says
	// what it did; a rerun looks the row up before sending anything.
	StatusUnknown      Status = "unknown"
	StatusNotAttempted Status = "not_attempted"

	// What a dry run against Topo (plan) would do.
	StatusWouldCreate Status = "would_create"
	StatusWouldExtend Status = "would_extend"
	StatusWouldUpdate Status = "would_update"
	StatusWouldRemove Status = "would_remove"
	// StatusWouldLift: the change would lift an opt-out, which
	// --lift-optouts allows.
	StatusWouldLift Status = "would_lift"
)

// Statuses lists every status in the order summaries show them.
var Statuses = []Status{
	StatusValid, StatusInvalid, StatusDuplicate,
	StatusWouldCreate, StatusWouldExtend, StatusWouldUpdate, StatusWouldRemove, StatusWouldLift,
	StatusCreated, StatusExists, StatusKnown, StatusExtended, StatusUpdated, StatusExistsShorter, StatusProtected,
	StatusRemoved, StatusNotFound,
	StatusFailed, StatusUnknown, StatusNotAttempted,
}

// NeedsAction reports whether a row with this status belongs in the
// failures file: feeding that file back in must finish the job.
func (s Status) NeedsAction() bool {
	switch s {
	case StatusInvalid, StatusFailed, StatusUnknown, StatusNotAttempted, StatusExistsShorter, StatusProtected:
		return true
	}
	return false
}

// Excluded says the row ends with Topo excluding its person (by Topo's
// answer, or, for known, by an earlier run's): whose running sequences
// are then looked for.
func (s Status) Excluded() bool {
	switch s {
	case StatusCreated, StatusExists, StatusKnown, StatusExtended, StatusUpdated:
		return true
	}
	return false
}

// Done reports whether Topo's own answer proved the row settled as asked.
func (s Status) Done() bool {
	switch s {
	case StatusCreated, StatusExists, StatusExtended, StatusUpdated, StatusRemoved, StatusNotFound:
		return true
	}
	return false
}

// Row is one data row of the input after validation.
type Row struct {
	// Num is the spreadsheet row: the header is row 1.
	Num int
	// Raw holds the input's own values (decoded to UTF-8), or, where the
	// column was missing and a default applied, that default.
	Raw Fields
	// Norm holds the normalised values; complete only when Status is valid.
	Norm   Fields
	Status Status
	// Err says why the row is invalid or a duplicate.
	Err string
	// Note says what validation changed on a valid row that the report
	// should show (quotes removed from around an email, its domain sent
	// in ASCII); "" for most rows.
	Note string
	// MaybeSent says an earlier run's attempt may have reached Topo (the
	// failures file's maybe_sent column): look it up before sending.
	MaybeSent bool
	// SourceRow is the row of the spreadsheet this row first came from,
	// when the input is a failures file (its source_row); 0: Num is.
	SourceRow int
	// Extra holds the cells of the input's other columns (names, CRM
	// ids), which the failures file keeps; nil when there are none.
	Extra []string

	hashes        [2]uint64 // of its keys, for the duplicate set (Validator)
	nhashes       uint8     // how many of hashes are set
	unicodeDomain bool      // its email's domain was converted (Validator)
}

// Source is the row of the spreadsheet the row first came from: its
// source_row, through every round of failures files, or its own number.
func (r Row) Source() int {
	if r.SourceRow > 0 {
		return r.SourceRow
	}
	return r.Num
}

// Keys are what identify the row in Topo: its email and LinkedIn URL, or
// its domain. Values of different names never collide (a URL has no @, a
// domain neither @ nor /), so one set holds them all.
func (r Row) Keys() []topo.Key {
	keys := make([]topo.Key, 0, 2)
	if r.Norm.Email != "" {
		keys = append(keys, topo.Key{Name: "email", Value: r.Norm.Email})
	}
	if r.Norm.LinkedInURL != "" {
		keys = append(keys, topo.Key{Name: "linkedin_url", Value: r.Norm.LinkedInURL})
	}
	if r.Norm.Domain != "" {
		keys = append(keys, topo.Key{Name: "domain", Value: r.Norm.Domain})
	}
	return keys
}

// Outcome is the final word on one row: what the report writes.
type Outcome struct {
	Row        Row
	Status     Status
	ID         string
	HTTPStatus int
	// ErrorType, Err and RequestID say what went wrong; they are empty on
	// rows that are settled as asked. Note explains those where it helps.
	ErrorType string
	Err       string
	RequestID string
	Note      string
	// Attempts counts the requests this run sent for the row.
	Attempts int
	// Previous holds what the record was before this run changed it
	// (extended, updated).
	Previous *Previous
	// Held is Topo's record of the row as the run left it, from Topo's own
	// answers (the create's, the update's, a lookup's, the snapshot's): for
	// removed, the record that was deleted, so that the removal can be
	// undone from the report. nil where no answer showed one (not_found, a
	// key that cannot read, rows never sent).
	Held *Held
	// Lifted says how this run lifted an opt-out (--lift-optouts): the
	// summary lists it.
	Lifted string
	// Outreach is what the run found of the person still being contacted
	// (--sequences): zero when it did not look.
	Outreach Outreach
	// MaybeSent says an attempt may have reached Topo without an answer
	// saying what it did: the failures file marks the row, and feeding it
	// back looks the row up before sending.
	MaybeSent bool
}

// NeedsAction reports whether the row belongs in the failures file: its
// status needs action, or its person may still be contacted.
func (o Outcome) NeedsAction() bool {
	return o.Status.NeedsAction() || o.Outreach.State == OutreachRunning || o.Outreach.State == OutreachUnknown
}

// Outreach is what a run found of a row's person still being contacted:
// their running sequences in Topo (which an exclusion does not stop).
type Outreach struct {
	// State is none, running, stopped or unknown; "" when not looked for.
	State string
	// Sequences are the ids of the person's running sequences (stopped
	// ones, when State is stopped).
	Sequences []string
	// Why says why it is unknown, or what a stop met.
	Why string
}

// The outreach states, as the report's outreach column writes them.
const (
	// OutreachNone: no running sequence of the person.
	OutreachNone = "none"
	// OutreachRunning: still in a running sequence (--sequences report):
	// needs action.
	OutreachRunning = "running"
	// OutreachStopped: every running sequence was stopped, on Topo's word.
	OutreachStopped = "stopped"
	// OutreachUnknown: could not be checked or settled (Why says why): the
	// person may still be contacted; needs action.
	OutreachUnknown = "unknown"
)

// Previous is a record's reason and until before a change ("" until:
// permanent). Message is kept only where the record itself goes (a
// journaled delete), for the report to show what was deleted.
type Previous struct{ Reason, Until, Message string }

// Held is an exclusion as Topo holds it: the report's held_reason,
// held_until ("" permanent) and held_message, and its keys (which the
// report shows for a row that named the record by its id alone).
type Held struct{ Email, LinkedInURL, Domain, Reason, Until, Message string }

// Checked is the outcome of a row that validation alone decides; the
// row's Note goes into the outcome's.
func Checked(r Row) Outcome {
	if r.Status == StatusDuplicate {
		return Outcome{Row: r, Status: r.Status, Note: JoinNotes(r.Err, r.Note)}
	}
	return Outcome{Row: r, Status: r.Status, Err: r.Err, Note: r.Note}
}

// JoinNotes joins the notes that are not empty with "; ": for a run
// that adds its own note to a row's.
func JoinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
