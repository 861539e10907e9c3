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

	// seenFrom is when lagging reads first see the record (zero: at once).
	seenFrom time.Time
}

// visible says whether list and get see the record at now.
func (ex *Exclusion) visible(now time.Time) bool {
	return ex.seenFrom.IsZero() || !now.Before(ex.seenFrom)
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

// store holds one kind of exclusions of one workspace. Its keys (email
// and LinkedIn URL, or domain) are unique unless the server was told
// otherwise.
type store struct {
	mu     sync.Mutex
	unique bool
	items  []*Exclusion // in creation order
	byID   map[string]*Exclusion
	byKey  map[string]*Exclusion // "email:…", "linkedin_url:…", "domain:…"
	// held counts the records that hold each key now: more than one only
	// when uniqueness is off, and that is what a duplicate is.
	held map[string]int
}

func newStore(unique bool) *store {
	return &store{unique: unique, byID: map[string]*Exclusion{}, byKey: map[string]*Exclusion{}, held: map[string]int{}}
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

// conflict is a uniqueness violation: a copy of the record that already
// holds the key.
type conflict struct {
	field    string
	existing *Exclusion
}

// create stores ex unless one of its keys is taken, and returns a copy of
// it and whether another record held one of its keys already.
func (s *store) create(ex *Exclusion) (*Exclusion, *conflict, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unique {
		for _, k := range ex.keys() {
			if old := s.byKey[k]; old != nil {
				field, _, _ := strings.Cut(k, ":")
				c := *old
				return nil, &conflict{field, &c}, false
			}
		}
	}
	ex.ID = newUUID()
	dup := s.add(ex)
	out := *ex
	return &out, nil, dup
}

// load adds a record as it was saved, uniqueness unchecked.
func (s *store) load(ex *Exclusion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(ex)
}

// add stores ex and says whether a live record already held one of its
// keys.
func (s *store) add(ex *Exclusion) bool {
	s.items = append(s.items, ex)
	s.byID[ex.ID] = ex
	dup := false
	for _, k := range ex.keys() {
		s.byKey[k] = ex
		dup = dup || s.held[k] > 0
		s.held[k]++
	}
	return dup
}

// otherID is the id of the newest record other than id, or "".
func (s *store) otherID(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ex := range slices.Backward(s.items) {
		if ex.ID != id {
			return ex.ID
		}
	}
	return ""
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

// get returns a copy of the record id, or nil when there is none that
// reads see at now.
func (s *store) get(id string, now time.Time) *Exclusion {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ex := s.byID[id]; ex != nil && ex.visible(now) {
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
		if s.held[k]--; s.held[k] <= 0 {
			delete(s.held, k)
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
	// shuffle, when set, orders the matches at random before they are
	// sorted, so that ties come in a new order every time.
	shuffle func([]*Exclusion)
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

// list returns the page that window picks from the matching exclusions
// that reads see at now, and their total. The page holds copies, made
// under the lock: an update may change a record while the page is being
// written out.
func (s *store) list(f filter, now time.Time, window func(total int) (int, int)) ([]*Exclusion, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Exclusion
	for _, ex := range s.items {
		if ex.visible(now) && f.match(ex) {
			all = append(all, ex)
		}
	}
	if f.shuffle != nil {
		f.shuffle(all)
	}
	slices.SortStableFunc(all, func(a, b *Exclusion) int {
		c := compareBy(f.sortBy, a, b)
		if f.desc {
			return -c
		}
		return c
	})
	start, end := window(len(all))
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

func (s *store) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
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
