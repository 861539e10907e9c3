package topo

import (
	"slices"
	"time"
)

// Me is an API key as GET /v1/me describes it: its workspace and its
// exact scopes. The key itself is never in it, only a short prefix.
type Me struct {
	ID             string   `json:"id"`
	OrganizationID string   `json:"organization_id"`
	Name           string   `json:"name"`
	KeyPrefix      string   `json:"key_prefix"`
	Scopes         []string `json:"scopes"`
}

// The scopes a run may need.
const (
	ScopeExclusionsRead  = "exclusions:read"
	ScopeExclusionsWrite = "exclusions:write"
	ScopeContactsRead    = "contacts:read"
	ScopeSequencesRead   = "sequences:read"
	ScopeSequencesWrite  = "sequences:write"
)

// Has says whether the key has scope.
func (m *Me) Has(scope string) bool { return slices.Contains(m.Scopes, scope) }

// Contact is a person Topo knows, as GET /v1/contacts returns one.
// LinkedInURL is Topo's canonical form.
type Contact struct {
	ID            string  `json:"id"`
	Email         *string `json:"email"`
	LinkedInURL   *string `json:"linkedin_url"`
	CompanyDomain *string `json:"company_domain"`
}

// Sequence is one contact's run of a sequence template. ContactID is nil
// when the contact was deleted.
type Sequence struct {
	ID                 string    `json:"id"`
	ContactID          *string   `json:"contact_id"`
	SequenceTemplateID string    `json:"sequence_template_id"`
	Status             string    `json:"status"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// The statuses of a sequence: still running (or about to), then finished.
// Topo has no PAUSED: WAITING_FOR_LEAD resumes by itself.
const (
	SequenceActive         = "ACTIVE"
	SequenceWaitingForLead = "WAITING_FOR_LEAD"
	SequenceWaitingForUser = "WAITING_FOR_USER"
	SequenceFound          = "FOUND"
	SequenceSucceeded      = "SUCCEEDED"
	SequenceCompleted      = "COMPLETED"
	SequenceFailed         = "FAILED"
	SequenceStoppedEarly   = "STOPPED_EARLY"
	SequenceRefused        = "REFUSED"
)

// RunningStatuses are the statuses in which a sequence may still send
// steps to its contact.
var RunningStatuses = []string{SequenceActive, SequenceWaitingForLead, SequenceWaitingForUser, SequenceFound}

// Running says whether a sequence in this status may still contact its
// person. An unknown status is taken as running: when in doubt, the
// person may still be contacted.
func Running(status string) bool {
	switch status {
	case SequenceSucceeded, SequenceCompleted, SequenceFailed, SequenceStoppedEarly, SequenceRefused:
		return false
	}
	return true
}
