package topotest

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Stats is what the server has seen, over every workspace: enough to
// prove that a client sent nothing twice, created nothing twice and
// stopped every sequence once.
type Stats struct {
	Requests int `json:"requests"`
	// ByStatus counts answers by HTTP status; "reset" counts connections
	// closed without an answer.
	ByStatus map[string]int `json:"by_status"`
	// ByMethod counts requests by method.
	ByMethod map[string]int `json:"by_method"`
	// Posts counts POSTs that passed validation; Created, records made.
	Posts   int `json:"posts"`
	Created int `json:"created"`
	// Records is how many exclusions (contacts and accounts) are stored now.
	Records int `json:"records"`
	// RepeatPosts counts valid POSTs of an email or LinkedIn URL that an
	// earlier POST already carried; RepeatedKeys, the keys concerned.
	RepeatPosts  int `json:"repeat_posts"`
	RepeatedKeys int `json:"repeated_keys"`
	// DuplicateCreates counts records created for a key that another
	// record held at that moment (a key deleted and created again is not
	// a duplicate): always 0 unless uniqueness is off.
	DuplicateCreates int `json:"duplicate_creates"`
	// Stops counts stops that took effect (a running sequence became
	// STOPPED_EARLY, whatever the answer); StopsFinished, stops of a
	// sequence that had already finished (answered 422 or 409, unless a
	// reset dropped the answer).
	Stops         int `json:"stops"`
	StopsFinished int `json:"stops_finished"`
}

type stats struct {
	mu      sync.Mutex
	s       Stats
	posts   map[string]int // by workspace and key
	creates map[string]int
}

func newStats() *stats {
	return &stats{
		s:       Stats{ByStatus: map[string]int{}, ByMethod: map[string]int{}},
		posts:   map[string]int{},
		creates: map[string]int{},
	}
}

// count records one answer (status 0: the connection was dropped).
func (st *stats) count(r *http.Request, status int) {
	if strings.HasPrefix(r.URL.Path, "/__") {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Requests++
	st.s.ByMethod[r.Method]++
	key := "reset"
	if status != 0 {
		key = strconv.Itoa(status)
	}
	st.s.ByStatus[key]++
}

func (st *stats) posted(ws string, ex *Exclusion) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Posts++
	repeat := false
	for _, k := range ex.keys() {
		k = ws + "\x00" + k
		st.posts[k]++
		if st.posts[k] == 2 {
			st.s.RepeatedKeys++
		}
		repeat = repeat || st.posts[k] > 1
	}
	if repeat {
		st.s.RepeatPosts++
	}
}

// created records a record made; dup says another record held one of its
// keys at the time.
func (st *stats) created(ws string, ex *Exclusion, dup bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Created++
	for _, k := range ex.keys() {
		st.creates[ws+"\x00"+k]++
	}
	if dup {
		st.s.DuplicateCreates++
	}
}

func (st *stats) createdCount(ws, key string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.creates[ws+"\x00"+key]
}

func (st *stats) stopped() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Stops++
}

func (st *stats) stopFinished() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.StopsFinished++
}

// Stats returns a copy of the server's counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	out := s.stats.s
	out.ByStatus = maps.Clone(out.ByStatus)
	out.ByMethod = maps.Clone(out.ByMethod)
	s.stats.mu.Unlock()
	for _, w := range s.workspaces {
		out.Records += w.store.len() + w.accounts.len()
	}
	return out
}

// CreatedCount returns how many records were created in the default
// workspace for an email, a LinkedIn URL or a domain ("email:a@b.co",
// "linkedin_url:https://…", "domain:example.com"), in the form stored.
func (s *Server) CreatedCount(key string) int { return s.def.CreatedCount(key) }
