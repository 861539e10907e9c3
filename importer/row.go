package importer

import (
	"fmt"
	"strings"
)

// Fields are the columns of an exclusion, as text: a contact exclusion
// has an email and/or a LinkedIn URL, an account exclusion a domain.
type Fields struct {
	Email       string
	LinkedInURL string
	Domain      string
	Reason      string
	Message     string
	Until       string
}

// Kind is what a list excludes: people or whole companies.
type Kind int

// The kinds of exclusion. KindAuto decides from the header: a domain
// column and no email or LinkedIn column means accounts.
const (
	KindAuto Kind = iota
	KindContacts
	KindAccounts
)

func (k Kind) String() string {
	return [...]string{"auto", "contacts", "accounts"}[k]
}

// ParseKind reads --kind.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return KindAuto, nil
	case "contacts", "contact", "people":
		return KindContacts, nil
	case "accounts", "account", "domains", "companies":
		return KindAccounts, nil
	}
	return 0, fmt.Errorf("unknown kind %q (want auto, contacts or accounts)", s)
}

// Status is what became of a row. Validation gives the first three; the
// sender gives the rest.
type Status string

// The statuses a row can end with, as written in the report.
const (
	StatusValid        Status = "valid"
	StatusInvalid      Status = "invalid"
	StatusDuplicate    Status = "duplicate"
	StatusCreated      Status = "created"
	StatusExists       Status = "exists"
	StatusFailed       Status = "failed"
	StatusNotAttempted Status = "not_attempted"
	// StatusWouldCreate is plan's word for a valid row Topo does not have.
	StatusWouldCreate Status = "would_create"
)

// Statuses lists every status in the order summaries show them.
var Statuses = []Status{
	StatusValid, StatusInvalid, StatusDuplicate, StatusWouldCreate,
	StatusCreated, StatusExists, StatusFailed, StatusNotAttempted,
}

// NeedsAction reports whether a row with this status belongs in the
// failures file: feeding that file back in must finish the job.
func (s Status) NeedsAction() bool {
	return s == StatusInvalid || s == StatusFailed || s == StatusNotAttempted
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
}

// Outcome is the final word on one row: what the report writes.
type Outcome struct {
	Row        Row
	Status     Status
	ID         string
	HTTPStatus int
	ErrorType  string
	Err        string
	RequestID  string
	Attempts   int
}

// Checked is the outcome of a row that validation alone decides.
func Checked(r Row) Outcome {
	return Outcome{Row: r, Status: r.Status, Err: r.Err}
}
