package topotest

import (
	"net/http"
	"slices"
	"time"
)

// meAnswer is GET /v1/me: the key's own record.
type meAnswer struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	Name           string     `json:"name"`
	KeyPrefix      string     `json:"key_prefix"`
	Scopes         []string   `json:"scopes"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	CreatedAt      time.Time  `json:"created_at"`
}

// me answers any valid key with its workspace and exact scopes.
// last_used_at is the use before this request (null the first time).
func (s *Server) me(w http.ResponseWriter, r *http.Request, req *request) {
	k := req.key
	scopes := slices.Clone(k.scopes)
	if scopes == nil {
		scopes = []string{}
	}
	s.reply(w, r, http.StatusOK, meAnswer{ID: k.id, OrganizationID: k.ws.id, Name: k.name,
		KeyPrefix: keyPrefix(k.token), Scopes: scopes, LastUsedAt: req.lastUsed, CreatedAt: k.createdAt})
}

// keyPrefix is how a key is named where it may be seen: at most 8 bytes,
// and never more than half of it, so that it is never the whole key.
func keyPrefix(token string) string {
	return token[:min(8, len(token)/2)]
}
