package topotest

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMe(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{})
	defer s.Close()
	tests := []struct {
		token  string
		scopes []string
	}{
		{DefaultToken, []string{"contacts:read", "contacts:write", "exclusions:read", "exclusions:write", "sequences:read", "sequences:write"}},
		{DefaultReadOnlyToken, []string{"account_lists:read", "activities:read", "contact_lists:read", "contacts:read", "exclusions:read", "sequences:read", "tasks:read", "webhooks:read"}},
		{DefaultWriteOnlyToken, []string{"exclusions:write"}},
	}
	for _, tt := range tests {
		a := get(t, s, "/v1/me", tt.token)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.raw)
		}
		for _, k := range []string{"id", "organization_id", "name", "key_prefix", "scopes", "last_used_at", "created_at"} {
			if _, ok := a.body[k]; !ok {
				t.Errorf("/v1/me lacks %q: %s", k, a.raw)
			}
		}
		if a.body["organization_id"] != DefaultWorkspace {
			t.Errorf("organization_id %v", a.body["organization_id"])
		}
		var got []string
		for _, sc := range a.body["scopes"].([]any) {
			got = append(got, sc.(string))
		}
		if !slices.Equal(got, tt.scopes) {
			t.Errorf("scopes %v, want %v", got, tt.scopes)
		}
		prefix, _ := a.body["key_prefix"].(string)
		if prefix == "" || prefix == tt.token || !strings.HasPrefix(tt.token, prefix) || len(prefix) > 8 {
			t.Errorf("key_prefix %q of %q", prefix, tt.token)
		}
		if strings.Contains(a.raw, tt.token) {
			t.Errorf("/v1/me shows the whole key: %s", a.raw)
		}
		if a.body["last_used_at"] != nil {
			t.Errorf("first use, but last_used_at %v", a.body["last_used_at"])
		}
		again := get(t, s, "/v1/me", tt.token)
		if _, err := time.Parse(time.RFC3339, again.body["last_used_at"].(string)); err != nil || again.body["id"] != a.body["id"] {
			t.Errorf("second use: %s", again.raw)
		}
	}
	checkError(t, get(t, s, "/v1/me", "nope"), 401, "UnauthorizedIssue", "invalid")
	checkError(t, get(t, s, "/v1/me", ""), 401, "UnauthorizedIssue", "")
}

func TestKeyPrefixIsNeverTheWholeKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"a", "ab", "abc", "topo_mock_rw_key", "0123456789abcdef0123"} {
		p := keyPrefix(k)
		if p == k || !strings.HasPrefix(k, p) || len(p) > 8 {
			t.Errorf("keyPrefix(%q) = %q", k, p)
		}
	}
}

func TestNoMe(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{NoMe: true})
	defer s.Close()
	checkError(t, get(t, s, "/v1/me", DefaultToken), 404, "NotFoundIssue", "")
	if a := get(t, s, "/v1/contact-exclusions", DefaultToken); a.status != 200 {
		t.Errorf("the rest still works: %d", a.status)
	}
}

func TestScopesPerEndpoint(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Keys: []Key{
		{Token: "no_seq_write", Scopes: []string{ScopeExclusionsRead, ScopeExclusionsWrite, ScopeContactsRead, ScopeSequencesRead}},
		{Token: "nothing_at_all"},
	}})
	defer s.Close()
	seq := s.Workspace(DefaultWorkspace).AddSequence(Sequence{})
	tests := []struct {
		token, method, path, scope string
	}{
		{"no_seq_write", "POST", "/v1/sequences/" + seq + "/stop", "sequences:write"},
		{DefaultReadOnlyToken, "POST", "/v1/sequences/" + seq + "/stop", "sequences:write"},
		{DefaultWriteOnlyToken, "GET", "/v1/contacts", "contacts:read"},
		{DefaultWriteOnlyToken, "GET", "/v1/contacts/x", "contacts:read"},
		{DefaultWriteOnlyToken, "GET", "/v1/sequences", "sequences:read"},
		{DefaultWriteOnlyToken, "GET", "/v1/sequences/" + seq, "sequences:read"},
		{DefaultWriteOnlyToken, "POST", "/v1/sequences/" + seq + "/stop", "sequences:write"},
		{"nothing_at_all", "GET", "/v1/contact-exclusions", "exclusions:read"},
		{"nothing_at_all", "POST", "/v1/contact-exclusions", "exclusions:write"},
		{"nothing_at_all", "DELETE", "/v1/account-exclusions/x", "exclusions:write"},
	}
	for _, tt := range tests {
		a := do(t, s, tt.method, tt.path, tt.token, "application/json", `{}`)
		checkError(t, a, 403, "UnauthorizedIssue", tt.scope)
		if data, _ := a.body["data"].(map[string]any); data["required_scope"] != tt.scope {
			t.Errorf("%s %s: data %v", tt.method, tt.path, a.body["data"])
		}
	}
	for _, path := range []string{"/v1/contacts", "/v1/sequences", "/v1/sequences/" + seq, "/v1/contact-exclusions"} {
		if a := get(t, s, path, "no_seq_write"); a.status != 200 {
			t.Errorf("GET %s: %d %s", path, a.status, a.raw)
		}
	}
	if a := get(t, s, "/v1/me", "nothing_at_all"); a.status != 200 || len(a.body["scopes"].([]any)) != 0 {
		t.Errorf("a key without scopes still has /v1/me: %s", a.raw)
	}
	if q := s.Workspace(DefaultWorkspace).Sequences()[0]; q.Status != SequenceActive || s.Stats().Stops != 0 {
		t.Errorf("a refused stop stopped: %+v", q)
	}
}

func TestWorkspacesAreApart(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Keys: []Key{
		{Token: "key_b", Workspace: "org_b", Name: "B's key", Scopes: []string{ScopeExclusionsRead, ScopeExclusionsWrite, ScopeContactsRead, ScopeSequencesRead, ScopeSequencesWrite}},
	}})
	defer s.Close()
	b := s.Workspace("org_b")
	if b == nil || b.ID() != "org_b" || s.Workspace("org_nope") != nil {
		t.Fatal("workspaces")
	}
	if a := get(t, s, "/v1/me", "key_b"); a.body["organization_id"] != "org_b" || a.body["name"] != "B's key" {
		t.Errorf("/v1/me: %s", a.raw)
	}
	body := `{"reason":"OTHER","email":"a@b.co"}`
	if a := do(t, s, "POST", "/v1/contact-exclusions", "key_b", "application/json", body); a.status != 201 {
		t.Fatalf("create in B: %d %s", a.status, a.raw)
	}
	if a := post(t, s, body); a.status != 201 {
		t.Errorf("the same email in the default workspace: %d %s", a.status, a.raw)
	}
	if len(b.Records()) != 1 || len(s.Records()) != 1 || b.CreatedCount("email:a@b.co") != 1 || s.CreatedCount("email:a@b.co") != 1 {
		t.Errorf("records: %d in B, %d in default", len(b.Records()), len(s.Records()))
	}
	if st := s.Stats(); st.DuplicateCreates != 0 || st.RepeatPosts != 0 || st.Records != 2 {
		t.Errorf("one email in two workspaces is no duplicate: %+v", st)
	}
	id := b.Records()[0].ID
	checkError(t, get(t, s, "/v1/contact-exclusions/"+id, DefaultToken), 404, "NotFoundIssue", "")
	checkError(t, do(t, s, "DELETE", "/v1/contact-exclusions/"+id, DefaultToken, "", ""), 404, "NotFoundIssue", "")
	c := b.AddContact(Contact{Email: ptr("p@x.co")})
	q := b.AddSequence(Sequence{ContactID: &c})
	if a := get(t, s, "/v1/contacts", DefaultToken); a.body["total_count"] != 0.0 {
		t.Errorf("default sees B's contacts: %s", a.raw)
	}
	checkError(t, get(t, s, "/v1/sequences/"+q, DefaultToken), 404, "NotFoundIssue", "")
	checkError(t, stop(t, s, q, DefaultToken), 404, "NotFoundIssue", "")
	if a := get(t, s, "/v1/sequences/"+q, "key_b"); a.body["organization_id"] != "org_b" || a.body["status"] != "ACTIVE" {
		t.Errorf("B's sequence: %s", a.raw)
	}
	if a := stop(t, s, q, "key_b"); a.status != 200 {
		t.Errorf("B stops its own: %d %s", a.status, a.raw)
	}
}

func TestKeysReplaceDefaultsAndRefuseMistakes(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Keys: []Key{{Token: DefaultToken, Workspace: "org_x", Scopes: []string{ScopeExclusionsRead}}}})
	defer s.Close()
	if a := get(t, s, "/v1/me", DefaultToken); a.body["organization_id"] != "org_x" || len(a.body["scopes"].([]any)) != 1 {
		t.Errorf("a declared key replaces the default one: %s", a.raw)
	}
	for _, keys := range [][]Key{{{Token: "k"}, {Token: "k"}}, {{Workspace: "org_x"}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("keys %+v: no panic", keys)
				}
			}()
			NewUnstartedServer(Options{Keys: keys})
		}()
	}
}
