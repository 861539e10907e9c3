package topotest

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Stats is what the server has seen: enough to prove that a client sent
// nothing twice and created nothing twice.
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
	// DuplicateCreates counts records created for a key that an earlier
	// record already had: always 0 unless uniqueness is off.
	DuplicateCreates int `json:"duplicate_creates"`
}

type stats struct {
	mu      sync.Mutex
	s       Stats
	posts   map[string]int
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

func (st *stats) posted(ex *Exclusion) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Posts++
	repeat := false
	for _, k := range ex.keys() {
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

func (st *stats) created(ex *Exclusion) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Created++
	dup := false
	for _, k := range ex.keys() {
		st.creates[k]++
		dup = dup || st.creates[k] > 1
	}
	if dup {
		st.s.DuplicateCreates++
	}
}

// Stats returns a copy of the server's counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	out := s.stats.s
	out.ByStatus = maps.Clone(out.ByStatus)
	out.ByMethod = maps.Clone(out.ByMethod)
	s.stats.mu.Unlock()
	out.Records = len(s.store.snapshot()) + len(s.accounts.snapshot())
	return out
}

// CreatedCount returns how many records were created for an email, a
// LinkedIn URL or a domain ("email:a@b.co", "linkedin_url:https://…",
// "domain:example.com").
func (s *Server) CreatedCount(key string) int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.creates[key]
}
