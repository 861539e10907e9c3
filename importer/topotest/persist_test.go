package topotest

import (
	"bytes"
	"strings"
	"testing"
)

func TestLoadObjectFormAndSave(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{})
	defer s.Close()
	err := s.Load(strings.NewReader(`{
		"exclusions": [{"email":"a@b.co","reason":"OTHER"}, {"domain":"acme.com","reason":"COMPETITOR"}],
		"contacts": [{"id":"c1","email":"ann@x.co","linkedin_url":"linkedin.com/in/Ann/"}, {"email":"bob@x.co"}],
		"sequences": [{"id":"s1","contact_id":"c1","status":"ACTIVE","sequence_template_id":"t"}, {"contact_id":"c1","status":"COMPLETED","organization_id":"org_other"}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	ws := s.Workspace(DefaultWorkspace)
	if len(s.Records()) != 1 || len(s.Accounts()) != 1 || len(ws.Contacts()) != 2 || len(ws.Sequences()) != 2 {
		t.Fatalf("loaded %d, %d, %d, %d", len(s.Records()), len(s.Accounts()), len(ws.Contacts()), len(ws.Sequences()))
	}
	c, q := ws.Contacts(), ws.Sequences()
	if c[1].ID == "" || *c[0].LinkedInURL != "https://www.linkedin.com/in/ann" || q[1].ID == "" || q[1].OrganizationID != DefaultWorkspace || q[1].Variables == nil {
		t.Errorf("contacts %+v, sequences %+v", c, q)
	}
	if a := get(t, s, "/v1/sequences?contact_id=c1&status=ACTIVE", DefaultToken); a.body["total_count"] != 1.0 {
		t.Errorf("served: %s", a.raw)
	}
	var saved bytes.Buffer
	if err := s.Save(&saved); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(saved.String(), "{") {
		t.Fatalf("with contacts, Save writes the object form: %s", saved.String())
	}
	s2 := NewServer(Options{})
	defer s2.Close()
	if err := s2.Load(bytes.NewReader(saved.Bytes())); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := s2.Save(&again); err != nil || again.String() != saved.String() {
		t.Errorf("round trip differs (%v):\n%s\n%s", err, saved.String(), again.String())
	}
}

func TestSaveKeepsTheArrayFormWithoutContactsOrSequences(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`[{"email":"a@b.co","reason":"OTHER"}]`, `{"exclusions":[{"email":"a@b.co","reason":"OTHER"}]}`} {
		s := NewServer(Options{})
		if err := s.Load(strings.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		var saved bytes.Buffer
		s.Save(&saved)
		s.Close()
		if !strings.HasPrefix(saved.String(), "[") || len(s.Records()) != 1 {
			t.Errorf("%s saved as %s", data, saved.String())
		}
	}
}

func TestLoadRefusesMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct{ data, msg string }{
		{`{"sequence":[]}`, `unknown key "sequence"`},
		{`{"sequences":[{"status":"PAUSED"}]}`, "sequences[0]"},
		{`{"contacts":[{"id":"c"},{"id":"c"}]}`, "contacts[1]"},
		{`{"sequences":[{"id":"s"},{"id":"s"}]}`, "taken"},
		{`{"contacts":{}}`, "contacts"},
		{`[null]`, "null"},
		{`nope`, "JSON"},
	}
	for _, tt := range tests {
		s := NewUnstartedServer(Options{})
		err := s.Load(strings.NewReader(tt.data))
		s.Close()
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want %q", tt.data, err, tt.msg)
		}
	}
}
