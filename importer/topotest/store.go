package topotest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Exclusion is a contact exclusion, or with Domain set an account
// exclusion, as Topo stores and returns it. Every key of its kind is
// always present in JSON; the nullable ones are pointers.
type Exclusion struct {
	ID          string    `json:"id"`
	Email       *string   `json:"email"`
	LinkedInURL *string   `json:"linkedin_url"`
	Domain      *string   `json:"domain,omitempty"`
	Reason      string    `json:"reason"`
	Message     *string   `json:"message"`
	Until       *string   `json:"until"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// MarshalJSON writes a contact exclusion with all its keys, and an account
// exclusion with its own (no email or linkedin_url).
func (ex *Exclusion) MarshalJSON() ([]byte, error) {
	type plain Exclusion
	if ex.Domain == nil {
		return json.Marshal((*plain)(ex))
	}
	return json.Marshal(struct {
		ID        string    `json:"id"`
		Domain    string    `json:"domain"`
		Reason    string    `json:"reason"`
		Message   *string   `json:"message"`
		Until     *string   `json:"until"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}{ex.ID, *ex.Domain, ex.Reason, ex.Message, ex.Until, ex.CreatedAt, ex.UpdatedAt})
}

// reasons are the API's reason values.
var reasons = []string{
	"BAD_TIMING", "BOUNCED", "COMPETITOR", "CONTACT_REFUSED", "INTERESTED", "MEETING", "OTHER",
	"OUT_OF_OFFICE", "UNKNOWN", "UNSUBSCRIBED", "WRONG_PERSON", "EXCLUDE_FROM_SEARCH",
	"EXCLUDE_FROM_CRM", "REFERRAL", "LEFT_COMPANY",
}

// store holds one kind of exclusions of one workspace. Its keys (email
// and LinkedIn URL, or domain) are unique unless the server was told
// otherwise.
type store struct {
	mu     sync.Mutex
	unique bool
	items  []*Exclusion // in creation order
	byID   map[string]*Exclusion
	byKey  map[string]*Exclusion // "email:…", "linkedin_url:…", "domain:…"
}

func newStore(unique bool) *store {
	return &store{unique: unique, byID: map[string]*Exclusion{}, byKey: map[string]*Exclusion{}}
}

// createRequest is the POST body. Fields are raw JSON so that a wrong type
// is reported against its field, as the API does.
type createRequest struct {
	Reason      json.RawMessage `json:"reason"`
	Email       json.RawMessage `json:"email"`
	LinkedInURL json.RawMessage `json:"linkedin_url"`
	Domain      json.RawMessage `json:"domain"`
	Message     json.RawMessage `json:"message"`
	Until       json.RawMessage `json:"until"`
}

// change is a PATCH: which fields to set, and to what.
type change struct {
	reason, message, until *string
	setMessage, setUntil   bool
}

// parseChange validates a PATCH body as Topo does.
func parseChange(body map[string]json.RawMessage) (change, error) {
	var ch change
	for k := range body {
		switch k {
		case "reason", "message", "until":
		default:
			return ch, &fieldError{k, "cannot be changed (only reason, message and until can)"}
		}
	}
	if raw, ok := body["reason"]; ok {
		var reason string
		if err := json.Unmarshal(raw, &reason); err != nil || !slices.Contains(reasons, reason) {
			return ch, &fieldError{"reason", fmt.Sprintf("must be one of %s", strings.Join(reasons, ", "))}
		}
		ch.reason = &reason
	}
	var err error
	if raw, ok := body["message"]; ok {
		ch.setMessage = true
		if ch.message, err = nullableString("message", raw); err != nil {
			return ch, err
		}
	}
	if raw, ok := body["until"]; ok {
		ch.setUntil = true
		if ch.until, err = nullableString("until", raw); err != nil {
			return ch, err
		}
		if ch.until != nil {
			if _, err := time.Parse(time.RFC3339, *ch.until); err != nil {
				return ch, &fieldError{"until", "must be an RFC 3339 date-time"}
			}
		}
	}
	return ch, nil
}

// fieldError is a validation failure naming its field.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// nullableString decodes a string-or-null field; empty strings count as null.
func nullableString(field string, raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, &fieldError{field, "must be a string or null"}
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return &s, nil
}

// validate turns a request into an exclusion, with the same rules as the
// real API: reason required and in the enum (upper case), at least one of
// email and linkedin_url, until an RFC 3339 date-time.
func (req *createRequest) validate(now time.Time, account bool) (*Exclusion, error) {
	var reason string
	if len(req.Reason) == 0 || string(req.Reason) == "null" {
		return nil, &fieldError{"reason", "is required"}
	}
	if err := json.Unmarshal(req.Reason, &reason); err != nil {
		return nil, &fieldError{"reason", "must be a string"}
	}
	if !slices.Contains(reasons, reason) {
		return nil, &fieldError{"reason", fmt.Sprintf("must be one of %s", strings.Join(reasons, ", "))}
	}
	ex := &Exclusion{Reason: reason, CreatedAt: now, UpdatedAt: now}
	var err error
	if ex.Message, err = nullableString("message", req.Message); err != nil {
		return nil, err
	}
	if ex.Until, err = nullableString("until", req.Until); err != nil {
		return nil, err
	}
	if ex.Until != nil {
		if _, err := time.Parse(time.RFC3339, *ex.Until); err != nil {
			return nil, &fieldError{"until", "must be an RFC 3339 date-time"}
		}
	}
	if account {
		return ex, ex.validateAccount(req)
	}
	return ex, ex.validateContact(req)
}

func (ex *Exclusion) validateAccount(req *createRequest) error {
	var err error
	if ex.Domain, err = nullableString("domain", req.Domain); err != nil {
		return err
	}
	if ex.Domain == nil {
		return &fieldError{"domain", "is required"}
	}
	if d := *ex.Domain; !strings.Contains(d, ".") || strings.ContainsAny(d, "/@: ") {
		return &fieldError{"domain", "is not a domain name"}
	}
	return nil
}

func (ex *Exclusion) validateContact(req *createRequest) error {
	var err error
	if ex.Email, err = nullableString("email", req.Email); err != nil {
		return err
	}
	if ex.LinkedInURL, err = nullableString("linkedin_url", req.LinkedInURL); err != nil {
		return err
	}
	if ex.Email == nil && ex.LinkedInURL == nil {
		return &fieldError{"email", "at least one of email or linkedin_url is required"}
	}
	if ex.Email != nil && !strings.Contains(*ex.Email, "@") {
		return &fieldError{"email", "is not a valid email address"}
	}
	if ex.LinkedInURL != nil && !strings.Contains(*ex.LinkedInURL, "linkedin.com/") {
		return &fieldError{"linkedin_url", "is not a LinkedIn URL"}
	}
	return nil
}

// keys are what make an exclusion unique: "email:…", "linkedin_url:…" or
// "domain:…", emails and domains compared without case.
func (ex *Exclusion) keys() []string {
	var keys []string
	if ex.Email != nil {
		keys = append(keys, "email:"+strings.ToLower(*ex.Email))
	}
	if ex.LinkedInURL != nil {
		keys = append(keys, "linkedin_url:"+*ex.LinkedInURL)
	}
	if ex.Domain != nil {
		keys = append(keys, "domain:"+strings.ToLower(*ex.Domain))
	}
	return keys
}

// conflict is a uniqueness violation: the record that already holds the key.
type conflict struct {
	field    string
	existing *Exclusion
}

// create stores ex unless one of its keys is taken.
func (s *store) create(ex *Exclusion) (*Exclusion, *conflict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unique {
		for _, k := range ex.keys() {
			if old := s.byKey[k]; old != nil {
				field, _, _ := strings.Cut(k, ":")
				return nil, &conflict{field, old}
			}
		}
	}
	ex.ID = newUUID()
	s.add(ex)
	return ex, nil
}

func (s *store) add(ex *Exclusion) {
	s.items = append(s.items, ex)
	s.byID[ex.ID] = ex
	for _, k := range ex.keys() {
		s.byKey[k] = ex
	}
}

// update applies ch to the record id and returns a copy of it, or nil.
func (s *store) update(id string, ch change, now time.Time) *Exclusion {
	s.mu.Lock()
	defer s.mu.Unlock()
	ex := s.byID[id]
	if ex == nil {
		return nil
	}
	if ch.reason != nil {
		ex.Reason = *ch.reason
	}
	if ch.setMessage {
		ex.Message = ch.message
	}
	if ch.setUntil {
		ex.Until = ch.until
	}
	ex.UpdatedAt = now
	out := *ex
	return &out
}

// get returns a copy of the record id, or nil.
func (s *store) get(id string) *Exclusion {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ex := s.byID[id]; ex != nil {
		out := *ex
		return &out
	}
	return nil
}

func (s *store) delete(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ex := s.byID[id]
	if ex == nil {
		return false
	}
	delete(s.byID, id)
	for _, k := range ex.keys() {
		if s.byKey[k] == ex {
			delete(s.byKey, k)
		}
	}
	s.items = slices.DeleteFunc(s.items, func(e *Exclusion) bool { return e == ex })
	return true
}

// filter is the list endpoint's query.
type filter struct {
	email, linkedin, reason  string
	domain                   string
	createdBefore, createdAf time.Time
	sortBy                   string
	desc                     bool
	inclusive                bool
}

func (f filter) match(ex *Exclusion) bool {
	switch {
	case f.email != "" && (ex.Email == nil || !strings.EqualFold(*ex.Email, f.email)):
		return false
	case f.linkedin != "" && (ex.LinkedInURL == nil || *ex.LinkedInURL != f.linkedin):
		return false
	case f.domain != "" && (ex.Domain == nil || !strings.EqualFold(*ex.Domain, f.domain)):
		return false
	case f.reason != "" && ex.Reason != f.reason:
		return false
	case !f.createdBefore.IsZero() && (ex.CreatedAt.After(f.createdBefore) || !f.inclusive && ex.CreatedAt.Equal(f.createdBefore)):
		return false
	case !f.createdAf.IsZero() && (ex.CreatedAt.Before(f.createdAf) || !f.inclusive && ex.CreatedAt.Equal(f.createdAf)):
		return false
	}
	return true
}

// list returns one page of the matching exclusions and their total. The
// page holds copies, made under the lock: an update may change a record
// while the page is being written out.
func (s *store) list(f filter, page, size int) ([]*Exclusion, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Exclusion
	for _, ex := range s.items {
		if f.match(ex) {
			all = append(all, ex)
		}
	}
	slices.SortStableFunc(all, func(a, b *Exclusion) int {
		c := compareBy(f.sortBy, a, b)
		if f.desc {
			return -c
		}
		return c
	})
	start := min((page-1)*size, len(all))
	end := min(start+size, len(all))
	out := make([]*Exclusion, 0, end-start)
	for _, ex := range all[start:end] {
		c := *ex
		out = append(out, &c)
	}
	return out, len(all)
}

func compareBy(field string, a, b *Exclusion) int {
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	switch field {
	case "updated_at":
		return a.UpdatedAt.Compare(b.UpdatedAt)
	case "email":
		return strings.Compare(deref(a.Email), deref(b.Email))
	case "reason":
		return strings.Compare(a.Reason, b.Reason)
	}
	return a.CreatedAt.Compare(b.CreatedAt)
}

// snapshot copies every record, in creation order.
func (s *store) snapshot() []Exclusion {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Exclusion, len(s.items))
	for i, ex := range s.items {
		out[i] = *ex
	}
	return out
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
