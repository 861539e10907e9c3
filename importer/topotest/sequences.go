package topotest

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Sequence statuses. The first four are still running (or about to); the
// others are finished. Topo has no PAUSED.
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

func runningStatus(status string) bool {
	switch status {
	case SequenceActive, SequenceWaitingForLead, SequenceWaitingForUser, SequenceFound:
		return true
	}
	return false
}

func knownStatus(status string) bool {
	switch status {
	case SequenceSucceeded, SequenceCompleted, SequenceFailed, SequenceStoppedEarly, SequenceRefused:
		return true
	}
	return runningStatus(status)
}

// Sequence is one contact's live run of a sequence template, as
// GET /v1/sequences returns it. ContactID is nil when the contact was
// deleted.
type Sequence struct {
	ID                  string         `json:"id"`
	OrganizationID      string         `json:"organization_id"`
	ContactID           *string        `json:"contact_id"`
	SequenceTemplateID  string         `json:"sequence_template_id"`
	Status              string         `json:"status"`
	Variables           map[string]any `json:"variables"`
	SourceContactListID *string        `json:"source_contact_list_id"`
	LastStepExecutedAt  *time.Time     `json:"last_step_executed_at"`
	CreatedAt           time.Time      `json:"created_at"`
	UpdatedAt           time.Time      `json:"updated_at"`
}

// Running says whether the sequence may still send steps: ACTIVE,
// WAITING_FOR_LEAD, WAITING_FOR_USER or FOUND.
func (q Sequence) Running() bool { return runningStatus(q.Status) }

// sequenceStore holds one workspace's sequences.
type sequenceStore struct {
	mu    sync.Mutex
	items []*Sequence // in creation order
	byID  map[string]*Sequence
}

func newSequenceStore() *sequenceStore { return &sequenceStore{byID: map[string]*Sequence{}} }

// copyOf is a copy the caller may keep: the store changes Status and
// UpdatedAt of its own, and nothing else.
func copyOf(q *Sequence) Sequence {
	out := *q
	out.Variables = maps.Clone(q.Variables)
	return out
}

func (s *sequenceStore) add(q *Sequence) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[q.ID] != nil {
		return false
	}
	s.items = append(s.items, q)
	s.byID[q.ID] = q
	return true
}

func (s *sequenceStore) get(id string) (Sequence, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.byID[id]; q != nil {
		return copyOf(q), true
	}
	return Sequence{}, false
}

func (s *sequenceStore) snapshot() []Sequence {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Sequence, len(s.items))
	for i, q := range s.items {
		out[i] = copyOf(q)
	}
	return out
}

// list returns the page that window picks from the sequences of that
// status and contact (each "" for any), in creation order, and their
// total.
func (s *sequenceStore) list(status, contactID string, window func(total int) (int, int)) ([]Sequence, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := slices.DeleteFunc(slices.Clone(s.items), func(q *Sequence) bool {
		return status != "" && q.Status != status ||
			contactID != "" && (q.ContactID == nil || *q.ContactID != contactID)
	})
	start, end := window(len(all))
	out := make([]Sequence, 0, end-start)
	for _, q := range all[start:end] {
		out = append(out, copyOf(q))
	}
	return out, len(all)
}

// stopOutcome is what a stop found.
type stopOutcome int

const (
	stopUnknown  stopOutcome = iota // no such sequence
	stopFinished                    // it had finished already: nothing done
	stopDone                        // it was running and is now STOPPED_EARLY
)

// stop ends the sequence id if it is running, in one step under the lock,
// so that of many concurrent stops exactly one takes effect.
func (s *sequenceStore) stop(id string, now time.Time) (Sequence, stopOutcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.byID[id]
	switch {
	case q == nil:
		return Sequence{}, stopUnknown
	case !q.Running():
		return copyOf(q), stopFinished
	}
	q.Status, q.UpdatedAt = SequenceStoppedEarly, now
	return copyOf(q), stopDone
}

// listSequences is GET /v1/sequences: status (one value) and contact_id
// filters; IgnoreSequenceContactFilter drops the latter.
func (s *Server) listSequences(w http.ResponseWriter, r *http.Request, req *request) {
	q := r.URL.Query()
	p, err := s.pagingOf(q)
	status := q.Get("status")
	if status != "" && !knownStatus(status) {
		err = errors.Join(err, errors.New("status must be one of ACTIVE, WAITING_FOR_LEAD, WAITING_FOR_USER, FOUND, SUCCEEDED, COMPLETED, FAILED, STOPPED_EARLY, REFUSED"))
	}
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", err.Error(), nil)
		return
	}
	contactID := q.Get("contact_id")
	if s.opt.IgnoreSequenceContactFilter {
		contactID = ""
	}
	items, total := req.ws.sequences.list(status, contactID, p.window)
	writePage(s, w, r, items, total, p)
}

// getSequence is GET /v1/sequences/{id}.
func (s *Server) getSequence(w http.ResponseWriter, r *http.Request, req *request) {
	q, ok := req.ws.sequences.get(r.PathValue("id"))
	if !ok {
		s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no sequence with this id", nil)
		return
	}
	s.reply(w, r, http.StatusOK, q)
}

// stopSequence is POST /v1/sequences/{id}/stop with a JSON object (Topo
// shows no fields: {}). A running sequence becomes STOPPED_EARLY and is
// answered 200; a finished one 422 BusinessIssue, or 409 CommitIssue under
// StopFinishedConflict. It is a write for the faults.
func (s *Server) stopSequence(w http.ResponseWriter, r *http.Request, req *request) {
	if !jsonBody(s, w, r) {
		return
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil || body == nil {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", "the body must be a JSON object, such as {}", nil)
		return
	}
	q, outcome := req.ws.sequences.stop(r.PathValue("id"), s.stamp())
	switch outcome {
	case stopUnknown:
		s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no sequence with this id", nil)
	case stopFinished:
		s.stats.stopFinished()
		if req.reset {
			s.drop(w, r)
			return
		}
		status, typ := http.StatusUnprocessableEntity, "BusinessIssue"
		if s.opt.StopFinishedConflict {
			status, typ = http.StatusConflict, "CommitIssue"
		}
		s.fail(w, r, status, typ, "the sequence has already finished ("+q.Status+")",
			map[string]any{"id": q.ID, "status": q.Status})
	case stopDone:
		s.stats.stopped()
		if !s.afterCommit(w, r, req) {
			s.reply(w, r, http.StatusOK, q)
		}
	}
}
