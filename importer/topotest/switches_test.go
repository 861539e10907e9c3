package topotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a server clock a test can step.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// filled is a server with n contact exclusions, n contacts and n sequences.
func filled(t *testing.T, n int, opt Options) *Server {
	t.Helper()
	s := NewServer(opt)
	t.Cleanup(s.Close)
	for i := range n {
		if a := post(t, s, `{"reason":"OTHER","email":"p`+strconv.Itoa(i)+`@x.co"}`); a.status != 201 {
			t.Fatalf("create: %d %s", a.status, a.raw)
		}
		s.Workspace(DefaultWorkspace).AddContact(Contact{Email: ptr("p" + strconv.Itoa(i) + "@x.co")})
		s.Workspace(DefaultWorkspace).AddSequence(Sequence{})
	}
	return s
}

var lists = []string{"/v1/contact-exclusions", "/v1/contacts", "/v1/sequences"}

func TestNoTotalAndZeroTotal(t *testing.T) {
	t.Parallel()
	for _, opt := range []Options{{NoTotal: true}, {ZeroTotal: true}} {
		s := filled(t, 15, opt)
		for _, path := range lists {
			a := get(t, s, path+"?size=10", DefaultToken)
			_, hasCount := a.body["total_count"]
			_, hasPages := a.body["total_pages"]
			switch {
			case len(items(t, a)) != 10 || a.body["has_more"] != true:
				t.Errorf("%+v %s: %s", opt, path, a.raw)
			case opt.NoTotal && (hasCount || hasPages):
				t.Errorf("NoTotal %s: %s", path, a.raw)
			case opt.ZeroTotal && (a.body["total_count"] != 0.0 || a.body["total_pages"] != 0.0):
				t.Errorf("ZeroTotal %s: %s", path, a.raw)
			}
		}
	}
}

func TestPageCap(t *testing.T) {
	t.Parallel()
	s := filled(t, 12, Options{PageCap: 5})
	for _, path := range lists {
		a := get(t, s, path+"?size=100&page=2", DefaultToken)
		if len(items(t, a)) != 5 || a.body["total_count"] != 12.0 || a.body["total_pages"] != 3.0 || a.body["has_more"] != true {
			t.Errorf("%s page 2: %s", path, a.raw)
		}
		if a := get(t, s, path+"?size=100&page=3", DefaultToken); len(items(t, a)) != 2 || a.body["has_more"] != false {
			t.Errorf("%s page 3: %s", path, a.raw)
		}
	}
}

func TestIgnorePage(t *testing.T) {
	t.Parallel()
	s := filled(t, 12, Options{IgnorePage: true})
	for _, path := range lists {
		one, two := get(t, s, path+"?size=5&page=1", DefaultToken), get(t, s, path+"?size=5&page=2", DefaultToken)
		if strings.Join(ids(t, one), ",") != strings.Join(ids(t, two), ",") || two.body["has_more"] != true {
			t.Errorf("%s: page 2 %s is not page 1 %s", path, two.raw, one.raw)
		}
	}
	checkError(t, get(t, s, "/v1/contacts?page=0", DefaultToken), 400, "ValidationIssue", "")
}

func TestReadLag(t *testing.T) {
	t.Parallel()
	c := &clock{t: t0}
	s := NewServer(Options{ReadLag: 5 * time.Second, Now: c.now})
	defer s.Close()
	s.Load(strings.NewReader(`[{"email":"old@x.co","reason":"OTHER"}]`))
	a := post(t, s, `{"reason":"OTHER","email":"new@x.co"}`)
	id, _ := a.body["id"].(string)
	checkError(t, get(t, s, "/v1/contact-exclusions/"+id, DefaultToken), 404, "NotFoundIssue", "")
	if l := get(t, s, "/v1/contact-exclusions?email=new@x.co", DefaultToken); l.body["total_count"] != 0.0 {
		t.Errorf("a lagging list sees it: %s", l.raw)
	}
	if l := get(t, s, "/v1/contact-exclusions", DefaultToken); l.body["total_count"] != 1.0 {
		t.Errorf("a loaded record is seen at once: %s", l.raw)
	}
	checkError(t, post(t, s, `{"reason":"OTHER","email":"new@x.co"}`), 409, "CommitIssue", "")
	c.add(5 * time.Second)
	if g := get(t, s, "/v1/contact-exclusions/"+id, DefaultToken); g.status != 200 {
		t.Errorf("after the lag: %d", g.status)
	}
	if l := get(t, s, "/v1/contact-exclusions?email=new@x.co", DefaultToken); l.body["total_count"] != 1.0 {
		t.Errorf("after the lag: %s", l.raw)
	}
}

func TestEchoHeaders(t *testing.T) {
	t.Parallel()
	s := filled(t, 1, Options{EchoHeaders: true})
	done := s.Workspace(DefaultWorkspace).AddSequence(Sequence{Status: SequenceCompleted})
	const bearer = "Authorization: Bearer " + DefaultToken
	answers := map[string]answer{
		"400": post(t, s, `{"reason":"nope","email":"a@b.co"}`),
		"404": get(t, s, "/v1/contacts/nope", DefaultToken),
		"409": post(t, s, `{"reason":"OTHER","email":"p0@x.co"}`),
		"422": stop(t, s, done, DefaultToken),
		"403": get(t, s, "/v1/contacts", DefaultWriteOnlyToken),
	}
	for name, a := range answers {
		if a.status != atoi(name) || !strings.Contains(a.body["message"].(string), "Authorization: Bearer ") {
			t.Errorf("%s: %d %s", name, a.status, a.raw)
		}
	}
	if !strings.Contains(answers["409"].raw, bearer) {
		t.Errorf("the key itself is echoed: %s", answers["409"].raw)
	}
	for _, opt := range []Options{{EchoHeaders: true, FailRate: 1}, {EchoHeaders: true, HTML502Rate: 1}, {EchoHeaders: true, HTML404: true}} {
		s := NewServer(opt)
		a := post(t, s, `{"reason":"OTHER","email":"a@b.co"}`)
		if opt.HTML404 {
			a = get(t, s, "/v1/contact-exclusions/nope", DefaultToken)
		}
		s.Close()
		if a.status < 400 || !strings.Contains(a.raw, bearer) {
			t.Errorf("%+v: %d %s", opt, a.status, a.raw)
		}
	}
	if a := post(t, s, `{"reason":"OTHER","email":"fresh@x.co"}`); strings.Contains(a.raw, "Bearer") {
		t.Errorf("a success echoes: %s", a.raw)
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestUpsert(t *testing.T) {
	t.Parallel()
	c := &clock{t: t0}
	s := NewServer(Options{Upsert: true, Now: c.now})
	defer s.Close()
	first := post(t, s, `{"reason":"BAD_TIMING","email":"a@b.co","until":"2026-03-04T00:00:00Z"}`)
	c.add(90 * 24 * time.Hour)
	again := post(t, s, `{"reason":"UNSUBSCRIBED","email":"A@b.co","until":"2030-01-01T00:00:00Z"}`)
	if again.status != 201 || again.body["id"] != first.body["id"] || again.body["created_at"] != "2026-03-01T12:00:00Z" ||
		again.body["reason"] != "BAD_TIMING" || again.body["until"] != "2026-03-04T00:00:00Z" {
		t.Errorf("upsert: %d %s", again.status, again.raw)
	}
	if st := s.Stats(); st.Created != 1 || st.Records != 1 || st.ByStatus["409"] != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestHTML404(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{HTML404: true, NoMe: true})
	defer s.Close()
	for _, a := range []answer{
		get(t, s, "/v1/contact-exclusions/nope", DefaultToken),
		do(t, s, "DELETE", "/v1/contact-exclusions/nope", DefaultToken, "", ""),
		do(t, s, "PATCH", "/v1/account-exclusions/nope", DefaultToken, "application/json", `{"reason":"OTHER"}`),
		get(t, s, "/v1/contacts/nope", DefaultToken),
		stop(t, s, "nope", DefaultToken),
		get(t, s, "/v1/me", DefaultToken),
		get(t, s, "/v2/nothing", DefaultToken),
	} {
		if a.status != 404 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || a.body != nil || !strings.Contains(a.raw, "<html>") {
			t.Errorf("%d %q %s", a.status, a.header.Get("Content-Type"), a.raw)
		}
	}
}

func TestMaintenance200(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Maintenance200: true})
	defer s.Close()
	id := post(t, s, `{"reason":"OTHER","email":"a@b.co"}`).body["id"].(string)
	for _, a := range []answer{
		do(t, s, "DELETE", "/v1/contact-exclusions/"+id, DefaultToken, "", ""),
		do(t, s, "PATCH", "/v1/contact-exclusions/"+id, DefaultToken, "application/json", `{"reason":"COMPETITOR"}`),
	} {
		if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(a.raw, "maintenance") {
			t.Errorf("%d %s", a.status, a.raw)
		}
	}
	if r := s.Records(); len(r) != 1 || r[0].Reason != "OTHER" {
		t.Errorf("maintenance changed the records: %+v", r)
	}
}

func TestRepeatID(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{RepeatID: true})
	defer s.Close()
	first := post(t, s, `{"reason":"OTHER","email":"a@b.co"}`)
	if strings.Count(first.raw, `"id"`) != 1 {
		t.Errorf("with no other record the id is said once: %s", first.raw)
	}
	second := post(t, s, `{"reason":"OTHER","email":"c@d.co"}`)
	var last struct{ ID string }
	json.Unmarshal([]byte(second.raw), &last)
	recs := s.Records()
	if second.status != 201 || strings.Count(second.raw, `"id"`) != 2 || last.ID != recs[0].ID || !strings.HasPrefix(second.raw, `{"id":"`+recs[1].ID+`"`) {
		t.Errorf("repeat id: %s (records %s, %s)", second.raw, recs[0].ID, recs[1].ID)
	}
}

func TestClockSkew(t *testing.T) {
	t.Parallel()
	c := &clock{t: t0}
	s := NewServer(Options{StampOffset: time.Hour, DateOffset: -time.Hour, Now: c.now})
	defer s.Close()
	a := post(t, s, `{"reason":"OTHER","email":"a@b.co"}`)
	if a.body["created_at"] != "2026-03-01T13:00:00Z" || a.body["updated_at"] != "2026-03-01T13:00:00Z" {
		t.Errorf("stamps: %s", a.raw)
	}
	if d, err := http.ParseTime(a.header.Get("Date")); err != nil || !d.Equal(t0.Add(-time.Hour)) {
		t.Errorf("Date %q", a.header.Get("Date"))
	}
	id := s.Workspace(DefaultWorkspace).AddSequence(Sequence{})
	c.add(-10 * time.Minute) // the server's clock steps back
	if q := stop(t, s, id, DefaultToken); q.body["updated_at"] != "2026-03-01T12:50:00Z" {
		t.Errorf("a stop's stamp: %s", q.raw)
	}
	if d, _ := http.ParseTime(get(t, s, "/v1/me", DefaultToken).header.Get("Date")); !d.Equal(t0.Add(-70 * time.Minute)) {
		t.Errorf("Date after the step back: %v", d)
	}
}

func TestPlusAsSpace(t *testing.T) {
	t.Parallel()
	for _, plus := range []bool{false, true} {
		s := NewServer(Options{PlusAsSpace: plus})
		post(t, s, `{"reason":"OTHER","email":"ann+news@x.co"}`)
		a := get(t, s, "/v1/contact-exclusions?email="+url.QueryEscape("ann+news@x.co"), DefaultToken)
		s.Close()
		if want := map[bool]float64{false: 1, true: 0}[plus]; a.body["total_count"] != want {
			t.Errorf("PlusAsSpace %v: %s", plus, a.raw)
		}
	}
}

func TestStorePunycode(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{StorePunycode: true})
	defer s.Close()
	a := post(t, s, `{"reason":"OTHER","email":"anna@münchen.de"}`)
	if a.status != 201 || a.body["email"] != "anna@xn--mnchen-3ya.de" || *s.Records()[0].Email != "anna@xn--mnchen-3ya.de" {
		t.Fatalf("stored: %s", a.raw)
	}
	checkError(t, post(t, s, `{"reason":"OTHER","email":"anna@xn--mnchen-3ya.de"}`), 409, "CommitIssue", "email")
	s.Workspace(DefaultWorkspace).AddContact(Contact{Email: ptr("Anna@München.de")})
	for _, path := range []string{"/v1/contact-exclusions", "/v1/contacts"} {
		if l := get(t, s, path+"?email="+url.QueryEscape("anna@münchen.de"), DefaultToken); l.body["total_count"] != 0.0 {
			t.Errorf("%s: the Unicode form matches: %s", path, l.raw)
		}
		if l := get(t, s, path+"?email=anna@xn--mnchen-3ya.de", DefaultToken); l.body["total_count"] != 1.0 {
			t.Errorf("%s: the stored form does not match: %s", path, l.raw)
		}
	}
}

func TestLowerMemberIDs(t *testing.T) {
	t.Parallel()
	const member = "https://www.linkedin.com/in/ACoAABcDeFg"
	s := NewServer(Options{LowerMemberIDs: true})
	defer s.Close()
	if a := post(t, s, `{"reason":"OTHER","linkedin_url":"`+member+`"}`); a.body["linkedin_url"] != strings.ToLower(member) {
		t.Fatalf("stored: %s", a.raw)
	}
	s.Workspace(DefaultWorkspace).AddContact(Contact{LinkedInURL: ptr(member)})
	for _, path := range []string{"/v1/contact-exclusions", "/v1/contacts"} {
		if l := get(t, s, path+"?linkedin_url="+url.QueryEscape(member), DefaultToken); l.body["total_count"] != 0.0 {
			t.Errorf("%s: the member id as written matches: %s", path, l.raw)
		}
		if l := get(t, s, path+"?linkedin_url="+url.QueryEscape(strings.ToLower(member)), DefaultToken); l.body["total_count"] != 1.0 {
			t.Errorf("%s: the stored form does not match: %s", path, l.raw)
		}
	}
}

func TestDuplicateCreatesCountsKeysHeldTwiceAtOnce(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{NotUnique: true})
	defer s.Close()
	id := post(t, s, `{"reason":"OTHER","email":"a@b.co"}`).body["id"].(string)
	do(t, s, "DELETE", "/v1/contact-exclusions/"+id, DefaultToken, "", "")
	post(t, s, `{"reason":"OTHER","email":"a@b.co"}`)
	if st := s.Stats(); st.DuplicateCreates != 0 || s.CreatedCount("email:a@b.co") != 2 {
		t.Errorf("delete then create again: %+v", st)
	}
	post(t, s, `{"reason":"OTHER","email":"A@b.co"}`)
	post(t, s, `{"reason":"OTHER","email":"a@b.co","linkedin_url":"https://www.linkedin.com/in/a"}`)
	if st := s.Stats(); st.DuplicateCreates != 2 || st.Records != 3 {
		t.Errorf("three held at once: %+v", st)
	}
	s.Load(strings.NewReader(`[{"email":"z@b.co","reason":"OTHER"}]`))
	post(t, s, `{"reason":"OTHER","email":"z@b.co"}`)
	if st := s.Stats(); st.DuplicateCreates != 3 {
		t.Errorf("a loaded record holds its key too: %+v", st)
	}
}
