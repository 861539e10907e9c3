package topotest

import (
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// storedEmail is the form in which the backend keeps an email: as sent,
// under StorePunycode with its domain in IDNA ASCII, under StoreUnicode
// with its domain in Unicode.
func (s *Server) storedEmail(email *string) *string {
	if email == nil || !s.opt.StorePunycode && !s.opt.StoreUnicode {
		return email
	}
	local, domain, ok := strings.Cut(*email, "@")
	if !ok {
		return email
	}
	convert := idna.ToASCII
	if s.opt.StoreUnicode {
		convert = idna.ToUnicode
	}
	stored, err := convert(domain)
	if err != nil {
		return email
	}
	out := local + "@" + stored
	return &out
}

// storedLinkedIn is the form in which the backend keeps a LinkedIn URL:
// as sent, or under LowerMemberIDs lower-cased whole.
func (s *Server) storedLinkedIn(u *string) *string {
	if u == nil || !s.opt.LowerMemberIDs {
		return u
	}
	out := strings.ToLower(*u)
	return &out
}

// linkedInKey is what two LinkedIn URLs of one profile have in common, as
// Topo's contacts filter compares them: "in/<slug>", whatever the scheme,
// host (www., country and mobile subdomains), trailing slash, query or
// fragment; vanity slugs without case, ACoAA… member ids exactly. A URL
// that is not a LinkedIn profile is compared as written ("raw:…").
func linkedInKey(raw string) string {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "raw:" + raw
	}
	host := strings.ToLower(u.Hostname())
	if host != "linkedin.com" && !strings.HasSuffix(host, ".linkedin.com") {
		return "raw:" + raw
	}
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	for len(segs) > 2 && (strings.EqualFold(segs[0], "m") || strings.EqualFold(segs[0], "mwlite")) {
		segs = segs[1:]
	}
	if len(segs) < 2 || !strings.EqualFold(segs[0], "in") {
		return "raw:" + raw
	}
	slug := segs[1]
	if !strings.HasPrefix(slug, "ACoAA") {
		slug = strings.ToLower(slug)
	}
	return "in/" + slug
}

// canonicalLinkedIn is the form Topo returns a contact's LinkedIn URL in.
func canonicalLinkedIn(raw string) string {
	slug, ok := strings.CutPrefix(linkedInKey(raw), "in/")
	if !ok {
		return raw
	}
	return "https://www.linkedin.com/in/" + url.PathEscape(slug)
}
