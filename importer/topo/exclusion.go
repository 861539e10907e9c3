package topo

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Kind is what an exclusion blocks: a person (Contacts, by email or
// LinkedIn URL) or a whole company (Accounts, by domain). The zero value,
// KindAuto, is not Topo's: it lets a reader decide from a file's header.
type Kind int

// The kinds of exclusion.
const (
	KindAuto Kind = iota
	Contacts
	Accounts
)

func (k Kind) String() string {
	switch k {
	case Contacts:
		return "contacts"
	case Accounts:
		return "accounts"
	}
	return "auto"
}

// Key is one identifying value of an exclusion, named as the list
// endpoint's exact filter names it: email, linkedin_url or domain.
type Key struct{ Name, Value string }

// Exclusion is a record as Topo holds and returns it.
type Exclusion struct {
	ID          string    `json:"id"`
	Email       *string   `json:"email"`
	LinkedInURL *string   `json:"linkedin_url"`
	Domain      *string   `json:"domain"`
	Reason      string    `json:"reason"`
	Message     *string   `json:"message"`
	Until       *string   `json:"until"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Value returns the record's value for a key name ("" when it has none).
func (ex *Exclusion) Value(name string) string {
	var p *string
	switch name {
	case "email":
		p = ex.Email
	case "linkedin_url":
		p = ex.LinkedInURL
	case "domain":
		p = ex.Domain
	}
	if p == nil {
		return ""
	}
	return *p
}

// Str is a nullable string's value, "" for null.
func Str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Nullable is s, or null when it is empty.
func Nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsUUID reports whether id has the shape of the ids Topo gives records.
func IsUUID(id string) bool { return uuidRE.MatchString(id) }

// Draft is the body of a create request: a contact exclusion (email,
// linkedin_url) or, for accounts, a domain.
type Draft struct {
	Email       *string `json:"email,omitempty"`
	LinkedInURL *string `json:"linkedin_url,omitempty"`
	Domain      *string `json:"domain,omitempty"`
	Reason      string  `json:"reason"`
	Message     *string `json:"message"`
	Until       *string `json:"until"`
}

// Change is the body of an update (PATCH): only the fields it sets are
// sent, so an update that lengthens a record leaves its reason and its
// message as Topo holds them.
type Change struct {
	// Reason, when not empty, replaces the record's reason.
	Reason string
	// Until, when SetUntil, replaces the record's until (nil: permanent).
	Until    *string
	SetUntil bool
	// Message, when SetMessage, replaces the record's message (nil: none).
	Message    *string
	SetMessage bool
}

// MarshalJSON writes the fields the change sets, and no others.
func (c Change) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if c.Reason != "" {
		m["reason"] = c.Reason
	}
	if c.SetUntil {
		m["until"] = c.Until
	}
	if c.SetMessage {
		m["message"] = c.Message
	}
	return json.Marshal(m)
}

// Page is one page of a list endpoint (exclusions, contacts, sequences).
// The totals and has_more are pointers: a proxy or an older deployment
// may leave them out, and a missing total is not a zero.
type Page[T any] struct {
	Items      []T   `json:"items"`
	TotalCount *int  `json:"total_count"`
	TotalPages *int  `json:"total_pages"`
	HasMore    *bool `json:"has_more"`
}

// Total is the page's total_count, and whether it gave one.
func (p *Page[T]) Total() (int, bool) {
	if p.TotalCount == nil {
		return 0, false
	}
	return *p.TotalCount, true
}

// ParseUntil reads an until value: nil (permanent) for null or empty.
func ParseUntil(s *string) (*time.Time, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(*s))
	if err != nil {
		return nil, err
	}
	return &t, nil
}
