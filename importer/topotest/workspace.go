package topotest

import "fmt"

// Workspace is one organization's data: its exclusions, contacts and
// sequences, seen only through its own keys.
type Workspace struct {
	id        string
	srv       *Server
	store     *store // contact exclusions
	accounts  *store // account exclusions
	contacts  *contactStore
	sequences *sequenceStore
}

func newWorkspace(s *Server, id string) *Workspace {
	return &Workspace{
		id:        id,
		srv:       s,
		store:     newStore(!s.opt.NotUnique),
		accounts:  newStore(!s.opt.NotUnique),
		contacts:  newContactStore(),
		sequences: newSequenceStore(),
	}
}

// ID is the workspace's organization id.
func (w *Workspace) ID() string { return w.id }

// Records returns every contact exclusion in creation order.
func (w *Workspace) Records() []Exclusion { return w.store.snapshot() }

// Accounts returns every account exclusion in creation order.
func (w *Workspace) Accounts() []Exclusion { return w.accounts.snapshot() }

// Contacts returns every contact, as stored, in creation order.
func (w *Workspace) Contacts() []Contact { return w.contacts.snapshot() }

// Sequences returns every sequence in creation order.
func (w *Workspace) Sequences() []Sequence { return w.sequences.snapshot() }

// CreatedCount returns how many records this workspace's creates made for
// a key, in the form Server.CreatedCount takes.
func (w *Workspace) CreatedCount(key string) int { return w.srv.stats.createdCount(w.id, key) }

// AddContact stores c as the backend would (its id made when empty, its
// LinkedIn URL in canonical form, the storage switches applied) and
// returns its id. It panics when the id is taken.
func (w *Workspace) AddContact(c Contact) string {
	id, err := w.addContact(c)
	if err != nil {
		panic("topotest: AddContact: " + err.Error())
	}
	return id
}

func (w *Workspace) addContact(c Contact) (string, error) {
	if c.ID == "" {
		c.ID = newUUID()
	}
	now := w.srv.stamp()
	if c.FirstSeenAt.IsZero() {
		c.FirstSeenAt = now
	}
	if c.LastSeenAt.IsZero() {
		c.LastSeenAt = c.FirstSeenAt
	}
	c.Email = w.srv.storedEmail(c.Email)
	if c.LinkedInURL != nil {
		u := canonicalLinkedIn(*c.LinkedInURL)
		c.LinkedInURL = w.srv.storedLinkedIn(&u)
	}
	if !w.contacts.add(&c) {
		return "", fmt.Errorf("contact id %q is taken", c.ID)
	}
	return c.ID, nil
}

// AddSequence stores q in this workspace (its id made when empty, its
// organization id set to the workspace's, status ACTIVE when empty, stamps
// the server's clock when zero) and returns its id. It panics when the id
// is taken or the status is not one of Topo's.
func (w *Workspace) AddSequence(q Sequence) string {
	id, err := w.addSequence(q)
	if err != nil {
		panic("topotest: AddSequence: " + err.Error())
	}
	return id
}

func (w *Workspace) addSequence(q Sequence) (string, error) {
	if q.ID == "" {
		q.ID = newUUID()
	}
	if q.Status == "" {
		q.Status = SequenceActive
	}
	if !knownStatus(q.Status) {
		return "", fmt.Errorf("sequence %s: status %q is not one of Topo's", q.ID, q.Status)
	}
	q.OrganizationID = w.id
	now := w.srv.stamp()
	if q.CreatedAt.IsZero() {
		q.CreatedAt = now
	}
	if q.UpdatedAt.IsZero() {
		q.UpdatedAt = q.CreatedAt
	}
	if q.Variables == nil {
		q.Variables = map[string]any{}
	}
	if !w.sequences.add(&q) {
		return "", fmt.Errorf("sequence id %q is taken", q.ID)
	}
	return q.ID, nil
}
