package topotest

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestStoreUnicode(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{StoreUnicode: true})
	defer s.Close()
	a := post(t, s, `{"reason":"OTHER","email":"anna@xn--mnchen-3ya.de"}`)
	if a.status != 201 || a.body["email"] != "anna@münchen.de" || *s.Records()[0].Email != "anna@münchen.de" {
		t.Fatalf("stored: %s", a.raw)
	}
	checkError(t, post(t, s, `{"reason":"OTHER","email":"anna@münchen.de"}`), 409, "CommitIssue", "email")
	if l := get(t, s, "/v1/contact-exclusions?email=anna@xn--mnchen-3ya.de", DefaultToken); l.body["total_count"] != 0.0 {
		t.Errorf("the ASCII form matches: %s", l.raw)
	}
	if l := get(t, s, "/v1/contact-exclusions?email="+url.QueryEscape("anna@münchen.de"), DefaultToken); l.body["total_count"] != 1.0 {
		t.Errorf("the stored form does not match: %s", l.raw)
	}
}

// TestShuffleTies: records sharing created_at come in a new order on each
// request; the sort itself still holds.
func TestShuffleTies(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{ShuffleTies: true, Seed: 3})
	defer s.Close()
	var b strings.Builder
	b.WriteString(`[{"email":"first@x.co","reason":"OTHER","created_at":"2026-01-01T00:00:00Z"}`)
	for i := range 30 {
		b.WriteString(`,{"email":"t` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `@x.co","reason":"OTHER","created_at":"2026-01-02T00:00:00Z"}`)
	}
	b.WriteString(`]`)
	if err := s.Load(strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	const path = "/v1/contact-exclusions?sort_by=created_at&size=100"
	first, second := ids(t, get(t, s, path, DefaultToken)), ids(t, get(t, s, path, DefaultToken))
	if first[0] != second[0] || first[0] != s.Records()[0].ID {
		t.Errorf("the record stamped first is not first: %v", first[:2])
	}
	if slices.Equal(first, second) {
		t.Error("two answers gave the ties in one order")
	}
}

// TestRepeatPage: the list request of that number gets the answer before
// it, once.
func TestRepeatPage(t *testing.T) {
	t.Parallel()
	s := filled(t, 30, Options{RepeatPage: 3})
	var got [][]string
	for page := range 4 {
		got = append(got, ids(t, get(t, s, "/v1/contact-exclusions?size=10&page="+string(rune('1'+page)), DefaultToken)))
	}
	if !slices.Equal(got[2], got[1]) || slices.Equal(got[3], got[2]) || slices.Equal(got[1], got[0]) {
		t.Errorf("pages %v: want the third the same as the second, and no other repeat", got)
	}
}

// TestCommitFirst: the first writes commit and answer 503; later ones are
// answered.
func TestCommitFirst(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{CommitFirst: 1, NotUnique: true})
	defer s.Close()
	if a := post(t, s, `{"reason":"OTHER","email":"a@x.co"}`); a.status != 503 || len(s.Records()) != 1 {
		t.Fatalf("first write: %d, %d records", a.status, len(s.Records()))
	}
	if a := post(t, s, `{"reason":"OTHER","email":"a@x.co"}`); a.status != 201 || len(s.Records()) != 2 {
		t.Fatalf("second write: %d, %d records", a.status, len(s.Records()))
	}
}
