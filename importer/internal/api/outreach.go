package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Me asks GET /v1/me who the key is: its workspace and exact scopes.
func (c *Client) Me(ctx context.Context) Answer {
	return c.send(ctx, http.MethodGet, "/v1/me", nil)
}

// ContactQuery is GET /v1/contacts' parameters: an exact filter (email,
// case-insensitive; linkedin_url, which Topo normalises) and a page.
// Topo documents no company or domain filter.
type ContactQuery struct {
	Email, LinkedInURL string
	Page, Size         int
}

// Contacts reads one page of GET /v1/contacts.
func (c *Client) Contacts(ctx context.Context, q ContactQuery) Answer {
	v := url.Values{}
	setNonZero(v, "email", q.Email)
	setNonZero(v, "linkedin_url", q.LinkedInURL)
	setPage(v, q.Page, q.Size)
	return c.send(ctx, http.MethodGet, "/v1/contacts?"+v.Encode(), nil)
}

// Contact reads GET /v1/contacts/{id}.
func (c *Client) Contact(ctx context.Context, id string) Answer {
	return c.send(ctx, http.MethodGet, "/v1/contacts/"+url.PathEscape(id), nil)
}

// SequenceQuery is GET /v1/sequences' parameters: a status (one) and a
// contact. Whether Topo honours contact_id is not documented: a caller
// checks every item's contact itself.
type SequenceQuery struct {
	Status, ContactID string
	Page, Size        int
}

// Sequences reads one page of GET /v1/sequences.
func (c *Client) Sequences(ctx context.Context, q SequenceQuery) Answer {
	v := url.Values{}
	setNonZero(v, "status", q.Status)
	setNonZero(v, "contact_id", q.ContactID)
	setPage(v, q.Page, q.Size)
	return c.send(ctx, http.MethodGet, "/v1/sequences?"+v.Encode(), nil)
}

// Sequence reads GET /v1/sequences/{id}.
func (c *Client) Sequence(ctx context.Context, id string) Answer {
	return c.send(ctx, http.MethodGet, "/v1/sequences/"+url.PathEscape(id), nil)
}

// StopSequence sends POST /v1/sequences/{id}/stop with an empty payload
// (the documented body has no fields).
func (c *Client) StopSequence(ctx context.Context, id string) Answer {
	return c.send(ctx, http.MethodPost, "/v1/sequences/"+url.PathEscape(id)+"/stop", struct{}{})
}

func setNonZero(v url.Values, key, value string) {
	if value != "" {
		v.Set(key, value)
	}
}

func setPage(v url.Values, page, size int) {
	if page > 0 {
		v.Set("page", strconv.Itoa(page))
	}
	if size > 0 {
		v.Set("size", strconv.Itoa(size))
	}
}
