package topotest

import (
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestContactObjectAndGet(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{})
	defer s.Close()
	id := s.Workspace(DefaultWorkspace).AddContact(Contact{Email: ptr("Ann@Example.com"), LinkedInURL: ptr("linkedin.com/in/Ann-Lee/"),
		FirstName: ptr("Ann"), CompanyDomain: ptr("example.com"), FirstSeenAt: t0})
	a := get(t, s, "/v1/contacts/"+id, DefaultReadOnlyToken)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	for _, k := range []string{"id", "email", "linkedin_url", "first_name", "last_name", "job_title", "company_name", "company_domain", "first_seen_at", "last_seen_at"} {
		if _, ok := a.body[k]; !ok {
			t.Errorf("contact lacks %q: %s", k, a.raw)
		}
	}
	if a.body["linkedin_url"] != "https://www.linkedin.com/in/ann-lee" || a.body["last_seen_at"] != "2026-03-01T12:00:00Z" || a.body["last_name"] != nil {
		t.Errorf("stored form: %s", a.raw)
	}
	checkError(t, get(t, s, "/v1/contacts/nope", DefaultToken), 404, "NotFoundIssue", "no contact")
	defer func() {
		if recover() == nil {
			t.Error("a taken id did not panic")
		}
	}()
	s.Workspace(DefaultWorkspace).AddContact(Contact{ID: id})
}

func TestContactFilters(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{})
	defer s.Close()
	ws := s.Workspace(DefaultWorkspace)
	ann := ws.AddContact(Contact{Email: ptr("Ann@Example.com"), LinkedInURL: ptr("https://www.linkedin.com/in/ann-lee"), FirstSeenAt: t0, LastSeenAt: t0.Add(48 * time.Hour)})
	bob := ws.AddContact(Contact{Email: ptr("bob@example.com"), LinkedInURL: ptr("https://www.linkedin.com/in/ACoAABcDeF"), FirstSeenAt: t0.Add(time.Hour), LastSeenAt: t0.Add(time.Hour)})
	cy := ws.AddContact(Contact{Email: ptr("cy@other.org"), FirstSeenAt: t0.Add(2 * time.Hour), LastSeenAt: t0.Add(2 * time.Hour)})
	list := func(q string) []string {
		t.Helper()
		a := get(t, s, "/v1/contacts?"+q, DefaultToken)
		if a.status != 200 {
			t.Fatalf("%s: %d %s", q, a.status, a.raw)
		}
		return ids(t, a)
	}
	esc := url.QueryEscape
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{ann, bob, cy}},
		{"email=ann@example.com", []string{ann}},
		{"email=ANN@EXAMPLE.COM", []string{ann}},
		{"email=ann@example", nil},
		{"linkedin_url=" + esc("https://www.linkedin.com/in/ann-lee"), []string{ann}},
		{"linkedin_url=" + esc("linkedin.com/in/ann-lee"), []string{ann}},
		{"linkedin_url=" + esc("http://linkedin.com/in/Ann-Lee/"), []string{ann}},
		{"linkedin_url=" + esc("https://de.linkedin.com/in/ann-lee?originalSubdomain=de"), []string{ann}},
		{"linkedin_url=" + esc("https://m.linkedin.com/in/ann-lee/#top"), []string{ann}},
		{"linkedin_url=" + esc("www.linkedin.com/mwlite/in/ANN-LEE"), []string{ann}},
		{"linkedin_url=" + esc("https://www.linkedin.com/in/ann-lee-2"), nil},
		{"linkedin_url=" + esc("linkedin.com/in/ACoAABcDeF/"), []string{bob}},
		{"linkedin_url=" + esc("linkedin.com/in/acoaabcdef"), nil},
		{"linkedin_url=" + esc("https://example.com/in/ann-lee"), nil},
		{"contact_id=" + bob, []string{bob}},
		{"first_seen_after=" + esc(t0.Format(time.RFC3339)), []string{bob, cy}},
		{"last_seen_after=" + esc(t0.Add(90*time.Minute).Format(time.RFC3339)), []string{ann, cy}},
		{"company_domain=other.org", []string{ann, bob, cy}}, // Topo documents no such filter
		{"sort_by=email&sort_order=desc", []string{cy, bob, ann}},
		{"sort_by=last_seen_at", []string{bob, cy, ann}},
		{"sort_by=first_seen_at&sort_order=desc", []string{cy, bob, ann}},
	}
	for _, tt := range tests {
		if got := list(tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.query, got, tt.want)
		}
	}
	for _, q := range []string{"size=0", "size=101", "page=0", "sort_by=name", "sort_order=up", "first_seen_after=yesterday", "last_seen_after=2026"} {
		checkError(t, get(t, s, "/v1/contacts?"+q, DefaultToken), 400, "ValidationIssue", "")
	}
}

func TestContactTimeFiltersInclusive(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{InclusiveTimeFilters: true})
	defer s.Close()
	id := s.Workspace(DefaultWorkspace).AddContact(Contact{Email: ptr("a@b.co"), FirstSeenAt: t0})
	if got := ids(t, get(t, s, "/v1/contacts?first_seen_after="+url.QueryEscape(t0.Format(time.RFC3339)), DefaultToken)); !slices.Equal(got, []string{id}) {
		t.Errorf("inclusive bound: %v", got)
	}
}

func TestContactPaging(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{})
	defer s.Close()
	for i := range 25 {
		s.Workspace(DefaultWorkspace).AddContact(Contact{Email: ptr("p" + strconv.Itoa(i) + "@x.co"), FirstSeenAt: t0.Add(time.Duration(i) * time.Second)})
	}
	a := get(t, s, "/v1/contacts?page=3&size=10", DefaultToken)
	if a.body["total_count"] != 25.0 || a.body["total_pages"] != 3.0 || a.body["has_more"] != false || len(items(t, a)) != 5 {
		t.Errorf("page 3: %s", a.raw)
	}
	if a := get(t, s, "/v1/contacts?page=1&size=100", DefaultToken); a.body["has_more"] != false || len(items(t, a)) != 25 {
		t.Errorf("one page of 100: %s", a.raw)
	}
	if a := get(t, s, "/v1/contacts?page=9", DefaultToken); len(items(t, a)) != 0 || a.raw == "" || a.body["has_more"] != false {
		t.Errorf("past the end: %s", a.raw)
	}
}
