package topotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"
)

const maxBody = 1 << 20

// exclusions is the workspace's store of one kind of exclusion.
func (req *request) exclusions(account bool) *store {
	if account {
		return req.ws.accounts
	}
	return req.ws.store
}

func (s *Server) create(account bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request, req *request) {
		s.createIn(req.exclusions(account), account, w, r, req)
	}
}

func (s *Server) createIn(st *store, account bool, w http.ResponseWriter, r *http.Request, req *request) {
	if !jsonBody(s, w, r) {
		return
	}
	var body createRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&body); err != nil {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", "the body is not a JSON object: "+err.Error(), nil)
		return
	}
	ex, err := body.validate(s.stamp(), account)
	if err != nil {
		var fe *fieldError
		errors.As(err, &fe)
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", err.Error(), map[string]any{"field": fe.field})
		return
	}
	ex.Email, ex.LinkedInURL = s.storedEmail(ex.Email), s.storedLinkedIn(ex.LinkedInURL)
	if s.opt.ReadLag > 0 {
		ex.seenFrom = s.now().Add(s.opt.ReadLag)
	}
	s.stats.posted(req.ws.id, ex)
	created, c, dup := st.create(ex)
	if c != nil && req.reset {
		s.drop(w, r)
		return
	}
	if c != nil && s.opt.Upsert {
		s.writeCreated(w, r, st, c.existing)
		return
	}
	if c != nil {
		s.fail(w, r, http.StatusConflict, "CommitIssue",
			fmt.Sprintf("an exclusion with this %s already exists", c.field),
			map[string]any{"id": c.existing.ID, "field": c.field})
		return
	}
	s.stats.created(req.ws.id, created, dup)
	if !s.afterCommit(w, r, req) {
		s.writeCreated(w, r, st, created)
	}
}

// writeCreated answers 201 with ex; under RepeatID its JSON names "id"
// twice, the second time with another record's id.
func (s *Server) writeCreated(w http.ResponseWriter, r *http.Request, st *store, ex *Exclusion) {
	other := ""
	if s.opt.RepeatID {
		other = st.otherID(ex.ID)
	}
	if other == "" {
		s.reply(w, r, http.StatusCreated, ex)
		return
	}
	b, err := json.Marshal(ex)
	if err != nil {
		panic(err)
	}
	id, _ := json.Marshal(other)
	b = append(append(append(b[:len(b)-1], `,"id":`...), id...), "}\n"...)
	s.stats.count(r, http.StatusCreated)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
}

// jsonBody refuses a body that does not say it is JSON, as Topo does.
func jsonBody(s *Server, w http.ResponseWriter, r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", "Content-Type must be application/json", nil)
		return false
	}
	return true
}

func (s *Server) list(account bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request, req *request) {
		s.listIn(req.exclusions(account), w, r)
	}
}

func (s *Server) listIn(st *store, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err1 := s.pagingOf(q)
	f := filter{email: q.Get("email"), linkedin: q.Get("linkedin_url"), domain: q.Get("domain"), reason: q.Get("reason"), sortBy: q.Get("sort_by"),
		inclusive: s.opt.InclusiveTimeFilters}
	var err2, err3, err4 error
	f.createdBefore, err3 = timeParam(q.Get("created_at_before"))
	f.createdAf, err4 = timeParam(q.Get("created_at_after"))
	f.desc, err2 = sortOrder(q.Get("sort_order"))
	switch f.sortBy {
	case "", "created_at", "updated_at", "email", "reason":
	default:
		err1 = errors.Join(err1, errors.New("sort_by must be created_at, updated_at, email or reason"))
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		s.fail(w, r, http.StatusBadRequest, "ValidationIssue", err.Error(), nil)
		return
	}
	if s.opt.ShuffleTies {
		f.shuffle = s.shuffle
	}
	items, total := st.list(f, s.now(), p.window)
	s.reply(w, r, http.StatusOK, s.stalePage(envelopeOf(s, items, total, p)))
}

func (s *Server) get(account bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request, req *request) {
		ex := req.exclusions(account).get(r.PathValue("id"), s.now())
		if ex == nil {
			s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no exclusion with this id", nil)
			return
		}
		s.reply(w, r, http.StatusOK, ex)
	}
}

func (s *Server) delete(account bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request, req *request) {
		if !req.exclusions(account).delete(r.PathValue("id")) {
			s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no exclusion with this id", nil)
			return
		}
		if s.afterCommit(w, r, req) {
			return
		}
		s.stats.count(r, http.StatusNoContent)
		w.WriteHeader(http.StatusNoContent)
	}
}

// update is PATCH: any of reason, message and until (null until makes the
// exclusion permanent), answered 200 with the whole record. The record's
// keys are not among the mutable fields.
func (s *Server) update(account bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request, req *request) {
		if !jsonBody(s, w, r) {
			return
		}
		var body map[string]json.RawMessage
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil {
			s.fail(w, r, http.StatusBadRequest, "ValidationIssue", "the body is not a JSON object: "+err.Error(), nil)
			return
		}
		ch, err := parseChange(body)
		if err != nil {
			var fe *fieldError
			errors.As(err, &fe)
			s.fail(w, r, http.StatusBadRequest, "ValidationIssue", err.Error(), map[string]any{"field": fe.field})
			return
		}
		ex := req.exclusions(account).update(r.PathValue("id"), ch, s.stamp())
		if ex == nil {
			s.fail(w, r, http.StatusNotFound, "NotFoundIssue", "no exclusion with this id", nil)
			return
		}
		if s.afterCommit(w, r, req) {
			return
		}
		s.reply(w, r, http.StatusOK, ex)
	}
}

// sortOrder reads sort_order: asc (the default) or desc.
func sortOrder(v string) (desc bool, err error) {
	switch v {
	case "", "asc":
		return false, nil
	case "desc":
		return true, nil
	}
	return false, errors.New("sort_order must be asc or desc")
}

func intParam(s string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q must be a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}

func timeParam(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%q is not an RFC 3339 date-time", s)
	}
	return t, nil
}
