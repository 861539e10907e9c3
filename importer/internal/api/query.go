package api

import (
	"net/url"
	"strconv"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// kindPath is the collection a kind of exclusion lives at.
func kindPath(k topo.Kind) string {
	if k == topo.Accounts {
		return "/v1/account-exclusions"
	}
	return "/v1/contact-exclusions"
}

// Query is the list endpoint's parameters. Zero values are left out.
type Query struct {
	Page, Size    int
	SortBy        string // created_at, updated_at, email, reason
	Desc          bool
	Key           topo.Key // an exact filter
	Reason        string
	CreatedBefore time.Time
	CreatedAfter  time.Time
}

func (q Query) values() url.Values {
	v := url.Values{}
	if q.Page > 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.Size > 0 {
		v.Set("size", strconv.Itoa(q.Size))
	}
	if q.SortBy != "" {
		v.Set("sort_by", q.SortBy)
		v.Set("sort_order", "asc")
		if q.Desc {
			v.Set("sort_order", "desc")
		}
	}
	if q.Key.Name != "" {
		v.Set(q.Key.Name, q.Key.Value)
	}
	if q.Reason != "" {
		v.Set("reason", q.Reason)
	}
	if !q.CreatedBefore.IsZero() {
		v.Set("created_at_before", q.CreatedBefore.UTC().Format(time.RFC3339Nano))
	}
	if !q.CreatedAfter.IsZero() {
		v.Set("created_at_after", q.CreatedAfter.UTC().Format(time.RFC3339Nano))
	}
	return v
}
