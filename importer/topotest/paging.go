package topotest

import (
	"errors"
	"math"
	"net/http"
	"net/url"
)

// paging is a list request's page and size, after the switches that
// change them behind the client's back.
type paging struct{ page, size int }

// pagingOf reads page (1 and up, default 1) and size (1..100, default 10)
// as Topo does, then applies IgnorePage and PageCap.
func (s *Server) pagingOf(q url.Values) (paging, error) {
	page, err1 := intParam(q.Get("page"), 1, 1, math.MaxInt32)
	size, err2 := intParam(q.Get("size"), 10, 1, 100)
	if err := errors.Join(err1, err2); err != nil {
		return paging{}, err
	}
	if s.opt.IgnorePage {
		page = 1
	}
	if s.opt.PageCap > 0 {
		size = min(size, s.opt.PageCap)
	}
	return paging{page, size}, nil
}

// window is the slice [start, end) of total items that the page holds.
func (p paging) window(total int) (int, int) {
	start := min((p.page-1)*p.size, total)
	return start, min(start+p.size, total)
}

// envelope is the shape of every list answer.
type envelope struct {
	Items      any  `json:"items"`
	TotalCount *int `json:"total_count,omitempty"`
	TotalPages *int `json:"total_pages,omitempty"`
	HasMore    bool `json:"has_more"`
}

// writePage answers a list request: items (never null) of total matches.
// NoTotal and ZeroTotal change what the envelope says of the total, never
// has_more.
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T, total int, p paging) {
	s.reply(w, r, http.StatusOK, envelopeOf(s, items, total, p))
}

// envelopeOf is the list answer of items, total matches in all.
func envelopeOf[T any](s *Server, items []T, total int, p paging) envelope {
	if items == nil {
		items = []T{} // an empty page is [], never null
	}
	pages := (total + p.size - 1) / p.size
	env := envelope{Items: items, HasMore: p.page < pages}
	switch {
	case s.opt.NoTotal:
	case s.opt.ZeroTotal:
		env.TotalCount, env.TotalPages = new(int), new(int)
	default:
		env.TotalCount, env.TotalPages = &total, &pages
	}
	return env
}

// stalePage is what RepeatPage makes of an exclusion list's answer: the
// answer before it, for the request of that number; env otherwise.
func (s *Server) stalePage(env envelope) envelope {
	if s.opt.RepeatPage <= 0 {
		return env
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	if s.lists == s.opt.RepeatPage && s.lastList != nil {
		return *s.lastList
	}
	s.lastList = &env
	return env
}
