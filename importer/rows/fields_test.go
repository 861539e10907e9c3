package rows

import (
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/internal/samples"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"alice@example.com", "alice@example.com", ""},
		{"  Alice@Example.COM \t", "alice@example.com", ""},
		{"mailto:Bob@Example.com", "bob@example.com", ""},
		{"MAILTO: bob@example.com", "bob@example.com", ""},
		{"<carol@example.org>", "carol@example.org", ""},
		{"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk", ""},
		{"o'brien@example.ie", "o'brien@example.ie", ""},
		{"jürgen@münchen.de", "jürgen@xn--mnchen-3ya.de", ""}, // one form of the domain: see TestEmailDomainsInOneForm
		{"", "", "is empty"},
		{"mailto:", "", "is empty"},
		{"alice.example.com", "", "has no @"},
		{"a@b@c.com", "", "has more than one @"},
		{"a@b.com, c@d.com", "", "holds more than one address"},
		{"a@b.com;c@d.com", "", "holds more than one address"},
		{"Alice <alice@example.com>", "", "display name"},
		{"\"alice\"@example.com", "", "display name or quotes"},
		{"alice@example.com (Work)", "", "contains a space"},
		{"@example.com", "", "nothing before the @"},
		{"alice@", "", "nothing after the @"},
		{"alice@localhost", "", "without a dot"},
		{"alice@192.168.1.1", "", "IP address"},
		{"alice@[192.168.1.1]", "", "not allowed in a domain"},
		{"alice@-example.com", "", "starts or ends with -"},
		{"alice@example..com", "", "empty label"},
		{".alice@example.com", "", "misplaced dot"},
		{"al..ice@example.com", "", "misplaced dot"},
		{"al ice@example.com", "", "contains a space"},
		{strings.Repeat("a", 65) + "@example.com", "", "more than 64"},
		{strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com", ""}, // RFC 5321's limit is 64, inclusive
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
		}
	}
}

func TestNormalizeLinkedIn(t *testing.T) {
	const want = "https://www.linkedin.com/in/jane-doe"
	same := []string{
		"https://www.linkedin.com/in/jane-doe",
		"https://www.linkedin.com/in/jane-doe/",
		"http://www.linkedin.com/in/jane-doe",
		"www.linkedin.com/in/jane-doe",
		"linkedin.com/in/jane-doe",
		"LinkedIn.com/IN/Jane-Doe",
		"https://fr.linkedin.com/in/jane-doe/",
		"https://m.linkedin.com/in/jane-doe",
		"https://www.linkedin.com/m/in/jane-doe/",
		"https://www.linkedin.com/mwlite/in/jane-doe",
		"https://www.linkedin.com/in/jane-doe?trk=public_profile&originalSubdomain=fr",
		"https://www.linkedin.com/in/jane-doe#experience",
		"https://www.linkedin.com/in/jane-doe/details/experience/",
		"//www.linkedin.com/in/jane-doe",
		"  https://www.linkedin.com:443/in/jane-doe  ",
		"https://www.linkedin.com./in/jane-doe",
	}
	for _, in := range same {
		if got, err := NormalizeLinkedIn(in); err != nil || got != want {
			t.Errorf("NormalizeLinkedIn(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	tests := []struct{ in, want, err string }{
		{"https://www.linkedin.com/in/ACoAAB12xYz", "https://www.linkedin.com/in/ACoAAB12xYz", ""},
		{"https://www.linkedin.com/in/s%C3%B8ren", "https://www.linkedin.com/in/s%C3%B8ren", ""},
		{"https://www.linkedin.com/in/søren", "https://www.linkedin.com/in/s%C3%B8ren", ""},
		{"https://www.linkedin.com/in/S%C3%B8ren", "https://www.linkedin.com/in/s%C3%B8ren", ""},
		{"https://www.linkedin.com/company/acme", "", "company page"},
		{"https://www.linkedin.com/school/mit/", "", "school page"},
		{"https://www.linkedin.com/pub/jane-doe/1/2/3", "", "old /pub/"},
		{"https://www.linkedin.com/sales/lead/ACwAA", "", "Sales Navigator"},
		{"https://www.linkedin.com/in/", "", "not a profile address"},
		{"https://www.linkedin.com/", "", "not a profile address"},
		{"https://linkedin.com.evil.com/in/jane", "", "not a linkedin.com address"},
		{"https://www.linkedin.com.evil.io/in/jane", "", "not a linkedin.com address"},
		{"www.linkedin.com.evil.io/in/jane", "", "not a linkedin.com address"},
		{"https://notlinkedin.com/in/jane", "", "not a linkedin.com address"},
		{"https://twitter.com/jane", "", "not a linkedin.com address"},
		{"https://user@www.linkedin.com/in/jane", "", "user name"},
		{"ftp://www.linkedin.com/in/jane", "", "not a web address"},
		{"jane-doe", "", "not a linkedin.com address"},
		{"https://www.linkedin.com/in/bad%zz", "", "%-escape"},
		{"https://www.linkedin.com/in/a%20b", "", "in the profile name"},
	}
	for _, tt := range tests {
		got, err := NormalizeLinkedIn(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("NormalizeLinkedIn(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("NormalizeLinkedIn(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
		}
	}
}

func TestNormalizeReason(t *testing.T) {
	tests := []struct{ in, want string }{
		{"unsubscribed", "UNSUBSCRIBED"},
		{"UNSUBSCRIBED", "UNSUBSCRIBED"},
		{" Contact_Refused ", "CONTACT_REFUSED"},
		{"exclude from crm", "EXCLUDE_FROM_CRM"},
		{"Exclude-From-Search", "EXCLUDE_FROM_SEARCH"},
		{"out  of - office", "OUT_OF_OFFICE"},
		{"left_company", "LEFT_COMPANY"},
	}
	for _, tt := range tests {
		if got, err := NormalizeReason(tt.in); err != nil || got != tt.want {
			t.Errorf("NormalizeReason(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, r := range Reasons {
		if got, err := NormalizeReason(strings.ToLower(r)); err != nil || got != r {
			t.Errorf("NormalizeReason(%q) = %q, %v", strings.ToLower(r), got, err)
		}
	}
	if _, err := NormalizeReason("spam"); err == nil || !strings.Contains(err.Error(), "UNSUBSCRIBED") {
		t.Errorf("NormalizeReason(spam) error %v should list the valid reasons", err)
	}
	for _, in := range []string{"", "  ", "-"} {
		if _, err := NormalizeReason(in); err == nil {
			t.Errorf("NormalizeReason(%q) accepted", in)
		}
	}
}

// TestReasonNamed: the switch knows exactly the API's reasons.
func TestReasonNamed(t *testing.T) {
	for _, r := range Reasons {
		if got, ok := reasonNamed([]byte(r)); !ok || got != r {
			t.Errorf("reasonNamed(%q) = %q, %v", r, got, ok)
		}
	}
	for _, s := range []string{"", "SPAM", "unsubscribed", "BOUNCED_"} {
		if got, ok := reasonNamed([]byte(s)); ok {
			t.Errorf("reasonNamed(%q) = %q", s, got)
		}
	}
}

func TestNormalizeUntil(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct{ in, want, err string }{
		{"", "", ""},
		{"  ", "", ""},
		{"2026-12-31", "2026-12-31T23:59:59Z", ""},
		{"2026-06-01", "2026-06-01T23:59:59Z", ""}, // later today still counts
		{"2026-12-31T18:00:00+01:00", "2026-12-31T18:00:00+01:00", ""},
		{"2026-12-31t18:00:00z", "2026-12-31T18:00:00Z", ""},
		{"2026-12-31T18:00:00.5Z", "2026-12-31T18:00:00.5Z", ""},
		{"2026-05-31", "", "in the past"},
		{"2026-06-01T11:00:00Z", "", "in the past"},
		{"2026-12-31T18:00:00", "", "no time zone"},
		{"31/12/2027", "2027-12-31T23:59:59Z", ""}, // the other shapes: TestDatesAsToolsWriteThem
		{"2027/12/31", "", "not a date"},
		{"2027-13-01", "", "not a date"},
		{"tomorrow", "", "not a date"},
	}
	for _, tt := range tests {
		got, err := NormalizeUntil(tt.in, now)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("NormalizeUntil(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("NormalizeUntil(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
		}
	}
}

// TestKeysThatCouldNeverMatch is the character table: invisible format
// characters are removed and full-width letters folded, so the key
// matches the real person (and duplicates are found on it); characters
// no key can hold make the cell invalid, named with their position.
func TestKeysThatCouldNeverMatch(t *testing.T) {
	tests := []struct {
		name, in, want, err string
		normalize           func(string) (string, error)
	}{
		{"zero-width space", "ann\u200b@example.com", "ann@example.com", "", NormalizeEmail},
		{"zero-width joiner and non-joiner", "a\u200dn\u200cn@example.com", "ann@example.com", "", NormalizeEmail},
		{"soft hyphen", "ann@exam\u00adple.com", "ann@example.com", "", NormalizeEmail},
		{"byte-order mark in front", "\ufeffann@example.com", "ann@example.com", "", NormalizeEmail},
		{"bidi marks", "\u200eann@example.com\u200f", "ann@example.com", "", NormalizeEmail},
		{"full-width letters", "ann@example.ｃｏｍ", "ann@example.com", "", NormalizeEmail},
		{"full-width at sign", "ann＠example.com", "", "FULLWIDTH COMMERCIAL AT", NormalizeEmail}, // see TestEmailsAsPasted
		{"upper-case full-width", "ＡＮＮ@example.com", "ann@example.com", "", NormalizeEmail},
		{"replacement character", "j\ufffdrgen@example.de", "", "U+FFFD at character 2", NormalizeEmail},
		{"bytes that are not UTF-8", "j\xe9rgen@example.de", "", "not text (0xE9) at character 2", NormalizeEmail},
		{"a lone surrogate (CESU-8)", "ann\xed\xa0\x80@example.com", "", "not text (0xED) at character 4", NormalizeEmail},
		{"a control character", "ann\x07@example.com", "", "control character U+0007 at character 4", NormalizeEmail},
		{"linkedin: zero-width space", "linkedin.com/in/jane\u200b-doe", "https://www.linkedin.com/in/jane-doe", "", NormalizeLinkedIn},
		{"linkedin: replacement character", "linkedin.com/in/j\ufffdrgen", "", "U+FFFD at character 18", NormalizeLinkedIn},
		{"linkedin: .. segment", "https://www.linkedin.com/in/../company/acme", "", `".." segment`, NormalizeLinkedIn},
		{"linkedin: . segment", "https://www.linkedin.com/in/./jane", "", `"." segment`, NormalizeLinkedIn},
		{"linkedin: encoded slash", "https://www.linkedin.com/in/jane%2Fdoe", "", "encoded slash", NormalizeLinkedIn},
		{"linkedin: encoded dots", "https://www.linkedin.com/in/%2e%2e", "", "dot segment", NormalizeLinkedIn},
		{"domain: zero-width space", "acme\u200b.com", "acme.com", "", NormalizeDomain},
		{"domain: replacement character", "acm\ufffd.com", "", "U+FFFD at character 4", NormalizeDomain},
	}
	for _, tt := range tests {
		got, err := tt.normalize(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%s: %q → %q, %v; want %q", tt.name, tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: %q → %q, %v; want an error containing %q", tt.name, tt.in, got, err, tt.err)
		}
	}
	// The cleaned key is the one duplicates are found on.
	v := NewValidator("OTHER", time.Now())
	first := v.Check(2, Fields{Email: "ann@example.com", Reason: "other"})
	again := v.Check(3, Fields{Email: "ann\u200b@example.ｃｏｍ", Reason: "other"})
	if first.Status != StatusValid || again.Status != StatusDuplicate || again.Norm.Email != "ann@example.com" {
		t.Errorf("the invisible variant came out %s %q, want a duplicate of row 2", again.Status, again.Norm.Email)
	}
}

// FuzzNormalize checks the validators on any text: no panics, and what
// they accept is a fixed point (normalising twice changes nothing).
func FuzzNormalize(f *testing.F) {
	for _, s := range samples.Contents(f) {
		for line := range strings.Lines(s) {
			for cell := range strings.SplitSeq(line, ",") {
				f.Add(cell)
			}
		}
	}
	f.Add("https://fr.linkedin.com/in/Søren%20K")
	f.Add("ann\u200b@example.ｃｏｍ")
	f.Add("https://www.linkedin.com/in/../company/acme")
	for _, seed := range []string{
		"“greg@example.com”", "(“greg@example.com”)", "[mailto:Greg@Example.com]", "＜a@b.com＞", "«a@b.com»",
		"sean.o’brien@obrien.ie", "ann＠example．com", "anna@münchen.de", "anna@xn--mnchen-3ya.de", "“anna@MÜNCHEN.de”",
		"ann\u00a0lee@example.com", "ﬁnance@example.com", "\"'a@b.com'\"",
		"Person.1@Example1.com", "mailto:person.2@example2.com", "https://www.linkedin.com/in/person-1/", "a@xn--b.com",
		"31/12/2027", "12/31/2027", "03/04/2027", "1.2.2027", "29-02-2028", "05/05/2027",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		// The fast paths answer as the long way would.
		trimmed := strings.TrimSpace(s)
		if a, ok := plainEmail(trimmed); ok {
			if e, err := parseEmail(trimmed); err != nil || e.Address != a || e.Note() != "" {
				t.Errorf("email %q: fast %q, long way %q (note %q), %v", s, a, e.Address, e.Note(), err)
			}
		}
		if l, ok := plainLinkedIn(trimmed); ok {
			if long, err := readLinkedIn(trimmed); err != nil || long != l {
				t.Errorf("linkedin %q: fast %q, long way %q, %v", s, l, long, err)
			}
		}
		if e, err := NormalizeEmail(s); err == nil {
			if again, err := NormalizeEmail(e); err != nil || again != e {
				t.Errorf("email %q → %q → %q, %v", s, e, again, err)
			}
		}
		if l, err := NormalizeLinkedIn(s); err == nil {
			if again, err := NormalizeLinkedIn(l); err != nil || again != l {
				t.Errorf("linkedin %q → %q → %q, %v", s, l, again, err)
			}
			if !strings.HasPrefix(l, linkedinProfilePrefix) {
				t.Errorf("linkedin %q → %q lacks the canonical prefix", s, l)
			}
		}
		if r, err := NormalizeReason(s); err == nil {
			if again, err := NormalizeReason(r); err != nil || again != r {
				t.Errorf("reason %q → %q → %q, %v", s, r, again, err)
			}
		}
		if d, err := NormalizeDomain(s); err == nil {
			if again, err := NormalizeDomain(d); err != nil || again != d {
				t.Errorf("domain %q → %q → %q, %v", s, d, again, err)
			}
		}
		for _, order := range []DateOrder{DateOrderUnset, DayFirst, MonthFirst} {
			if u, err := NormalizeUntilOrder(s, now, order); err == nil && u != "" {
				if again, err := NormalizeUntil(u, now); err != nil || again != u {
					t.Errorf("until %q (%v) → %q → %q, %v", s, order, u, again, err)
				}
			}
		}
	})
}

func TestNormalizeDomain(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"example.com", "example.com", ""},
		{" Example.COM ", "example.com", ""},
		{"www.example.com", "example.com", ""},
		{"https://www.Example.com/about?x=1#top", "example.com", ""},
		{"http://example.com:8080/", "example.com", ""},
		{"example.co.uk", "example.co.uk", ""},
		{"eu.example.com", "eu.example.com", ""},
		{"münchen.de", "xn--mnchen-3ya.de", ""},
		{"xn--mnchen-3ya.de", "xn--mnchen-3ya.de", ""},
		{"example.com.", "example.com", ""},
		{"", "", "is empty"},
		{"alice@example.com", "", "email address"},
		{"localhost", "", "no dot"},
		{"co.uk", "", "public suffix"},
		{"com", "", "no dot"},
		{"192.168.1.1", "", "IP address"},
		{"-bad-.com", "", "not a domain name"},
		{"exa mple.com", "", "not a domain"},
	}
	for _, tt := range tests {
		got, err := NormalizeDomain(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
		}
	}
}
