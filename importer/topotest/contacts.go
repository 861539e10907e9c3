package topotest

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Contact is a person Topo knows, as GET /v1/contacts returns it. Every
// key is always present in JSON; the nullable ones are pointers.
type Contact struct {
	ID            string    `json:"id"`
	Email         *string   `json:"email"`
	LinkedInURL   *string   `json:"linkedin_url"`
	FirstName     *string   `json:"first_name"`
	LastName      *string   `json:"last_name"`
	JobTitle      *string   `json:"job_title"`
	CompanyName   *string   `json:"company_name"`
	CompanyDomain *string   `json:"company_domain"`
	FirstSeenAt   time.Time `json:"first_seen_at"`
	LastSeenAt    time.Time `json:"last_seen_at"`
}

// contactStore holds one workspace's contacts. Contacts are never changed
// once stored, so copies may share their strings.
type contactStore struct {
	mu    sync.Mutex
	items []*Contact // in creation order
	byID  map[string]*Contact
}

func newContactStore() *contactStore { return &contactStore{byID: map[string]*Contact{}} }

// add stores c unless its id is taken.
func (s *contactStore) add(c *Contact) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[c.ID] != nil {
		return false
	}
	s.items = append(s.items, c)
	s.byID[c.ID] = c
	return true
}

func (s *contactStore) get(id string) *Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byID[id]; c != nil {
		out := *c
		return &out
	}
	return nil
}

func (s *contactStore) snapshot() []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Contact, len(s.items))
	for i, c := range s.items {
		out[i] = *c
	}
	return out
}

// contactFilter is the contacts list's query.
type contactFilter struct {
	email, linkedinKey, id string
	firstSeenAfter         time.Time
	lastSeenAfter          time.Time
	inclusive              bool
	sortBy                 string
	desc                   bool
}

func (f contactFilter) match(c *Contact) bool {
	after := func(t, bound time.Time) bool {
		return bound.IsZero() || t.After(bound) || f.inclusive && t.Equal(bound)
	}
	switch {
	case f.email != "" && (c.Email == nil || !strings.EqualFold(*c.Email, f.email)):
		return false
	case f.linkedinKey != "" && (c.LinkedInURL == nil || linkedInKey(*c.LinkedInURL) != f.linkedinKey):
		return false
	case f.id != "" && c.ID != f.id:
		return false
	}
	return after(c.FirstSeenAt, f.firstSeenAfter) && after(c.LastSeenAt, f.lastSeenAfter)
}

func (f contactFilter) compare(a, b *Contact) int {
	var c int
	switch f.sortBy {
	case "last_seen_at":
		c = a.LastSeenAt.Compare(b.LastSeenAt)
	case "email":
		c = cmp.Compare(deref(a.Email), deref(b.Email))
	default:
		c = a.FirstSeenAt.Compare(b.FirstSeenAt)
	}
	if f.desc {
		return -c
	}
	return c
}

// list returns the page that window picks from the matching contacts, and
// their total.
func (s *contactStore) list(f contactFilter, window func(total int) (int, int)) ([]Contact, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Contact
	for _, c := range s.items {
		if f.match(c) {
			all = append(all, c)
		}
	}
	slices.SortStableFunc(all, f.compare)
	start, end := window(len(all))
	out := make([]Contact, 0, end-start)
	for _, c := range all[start:end] {
		out = append(out, *c)
	}
	return out, len(all)
}

// listContacts is GET /v1/contacts, with the filters Topo documents and no
// others: there is no company or domain filter.
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, req *request) {
	q := r.URL.Query()
	p, err1 := s.pagingOf(q)
	f := contactFilter{email: q.Get("email"), id: q.Get("contact_id"), sortBy: q.Get("sort_by"), inclusive: s.opt.InclusiveTimeFilters}
	if u := q.Get("linkedin_url"); u != "" {
		f.linkedinKey = linkedInKey(u)
	}
	var err2, err3, err4 error
	f.firstSeenAfter, err2 = timeParam(q.Get("first_seen_after"))
	f.lastSeenAfter, err3 = timeParam(q.Get("last_seen_after"))
	f.desc, err4 = sortOrder(q.Get("sort_order"))
	switch f.sortBy {
	case "", "first_seen_at", "last_seen_at", "email":
	default:
		err1 = errors.Join(err1, errors.New("sort_by must be first_seen_at, last_seen_at or email"))
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", err.Error(), nil)
		return
	}
	items, total := req.ws.contacts.list(f, p.window)
	writePage(s, w, r, items, total, p)
}

// getContact is GET /v1/contacts/{id}.
func (s *Server) getContact(w http.ResponseWriter, r *http.Request, req *request) {
	c := req.ws.contacts.get(r.PathValue("id"))
	if c == nil {
		s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no contact with this id", nil)
		return
	}
	s.reply(w, r, http.StatusOK, c)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
