package rows

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unsafe"
)

const linkedinProfilePrefix = "https://www.linkedin.com/in/"

// NormalizeLinkedIn turns any of the shapes a profile link is pasted in
// (no scheme, http, www, country or mobile hosts, /m/in/, trailing slash,
// tracking query, fragment) into https://www.linkedin.com/in/<slug>. Vanity
// slugs are lower-cased, as LinkedIn treats them; member ids (ACoAA…) are
// kept as they are, since their case may matter. Pages that are not a
// person's profile are errors.
func NormalizeLinkedIn(s string) (string, error) {
	s = strings.TrimSpace(s)
	if l, ok := plainLinkedIn(s); ok {
		return l, nil
	}
	return readLinkedIn(s)
}

// readLinkedIn is NormalizeLinkedIn the long way, for every cell.
func readLinkedIn(s string) (string, error) {
	s, err := cleanKey(s)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("is empty")
	}
	rest := s
	if i := strings.Index(rest, "://"); i >= 0 {
		scheme := strings.ToLower(rest[:i])
		if scheme != "http" && scheme != "https" {
			return "", fmt.Errorf("is not a web address (scheme %q)", rest[:i])
		}
		rest = rest[i+3:]
	} else {
		rest = strings.TrimPrefix(rest, "//")
	}
	end := indexOf(rest, "/?#")
	host, path := rest[:end], rest[end:]
	if err := checkLinkedInHost(host); err != nil {
		return "", err
	}
	path = path[:indexOf(path, "?#")]
	return profileAddress(path)
}

func checkLinkedInHost(host string) error {
	if strings.Contains(host, "@") {
		return errors.New("has a user name before the host")
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i] // a port changes nothing about whose profile it is
	}
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "linkedin.com" {
		return nil
	}
	sub, ok := strings.CutSuffix(h, ".linkedin.com")
	if !ok || sub == "" || len(sub) > 12 || strings.ContainsAny(sub, ".") {
		return fmt.Errorf("is not a linkedin.com address (host %q)", host)
	}
	for _, r := range sub {
		if (r < 'a' || r > 'z') && r != '-' {
			return fmt.Errorf("is not a linkedin.com address (host %q)", host)
		}
	}
	return nil
}

// notPeople names the first path segments of LinkedIn pages that are not a
// person, with the word an error should use for them.
var notPeople = map[string]string{
	"company": "a company page", "school": "a school page", "showcase": "a showcase page",
	"groups": "a group", "jobs": "a job listing", "feed": "a feed", "posts": "a post",
	"pulse": "an article", "events": "an event", "learning": "a course",
}

// plainLinkedIn is NormalizeLinkedIn's answer for an address already in
// the canonical form, perhaps with a trailing slash: the common cell of an
// export, answered without a copy.
func plainLinkedIn(s string) (string, bool) {
	slug, ok := strings.CutPrefix(s, linkedinProfilePrefix)
	if !ok {
		return "", false
	}
	slug = strings.TrimSuffix(slug, "/")
	if slug == "" || len(slug) > 200 {
		return "", false
	}
	for i := 0; i < len(slug); i++ {
		if c := slug[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return s[:len(linkedinProfilePrefix)+len(slug)], true
}

// indexOf is the index of the first byte of s in set, or len(s).
func indexOf(s, set string) int {
	if i := strings.IndexAny(s, set); i >= 0 {
		return i
	}
	return len(s)
}

// profileAddress finds <slug> in /in/<slug>, /m/in/<slug> or
// /mwlite/in/<slug>, ignoring what follows it (/details/..., a locale, a
// trailing slash), and returns the profile's canonical address.
func profileAddress(path string) (string, error) {
	var buf [8]string
	segs := buf[:0]
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return "", fmt.Errorf("has a %q segment in its path: copy the address the browser shows", seg)
		}
		if seg != "" && len(segs) < len(buf) {
			segs = append(segs, seg)
		}
	}
	if len(segs) > 0 {
		if first := strings.ToLower(segs[0]); first == "m" || first == "mwlite" {
			segs = segs[1:]
		}
	}
	if len(segs) == 0 {
		return "", errors.New("is not a profile address: want linkedin.com/in/<name>")
	}
	kind := strings.ToLower(segs[0])
	switch {
	case kind == "in" && len(segs) >= 2:
	case kind == "pub":
		return "", errors.New("is an old /pub/ address: open it and copy the linkedin.com/in/ address")
	case kind == "sales":
		return "", errors.New("is a Sales Navigator address: use the person's linkedin.com/in/ address")
	case notPeople[kind] != "":
		return "", fmt.Errorf("is %s, not a person's profile", notPeople[kind])
	default:
		return "", errors.New("is not a profile address: want linkedin.com/in/<name>")
	}
	return canonicalProfile(segs[1])
}

// canonicalProfile is the canonical address of the profile slug names.
func canonicalProfile(slug string) (string, error) {
	if strings.IndexByte(slug, '%') >= 0 {
		dec, err := url.PathUnescape(slug)
		if err != nil {
			return "", fmt.Errorf("has a broken %%-escape in %q", slug)
		}
		if strings.ContainsAny(dec, "/\\") || dec == "." || dec == ".." {
			return "", fmt.Errorf("has an encoded slash or dot segment in %q: copy the address the browser shows", slug)
		}
		slug = dec
	}
	if len(slug) > 200 {
		return "", errors.New("has a profile name longer than 200 characters")
	}
	plain := true
	for _, r := range slug {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' || r == unicode.ReplacementChar:
			return "", fmt.Errorf("has %q in the profile name", r)
		case r >= 0x80 || !(isAlnum(byte(r)) || r == '-' || r == '_'):
			plain = false
		}
	}
	lower := !strings.HasPrefix(slug, "ACoAA")
	if plain {
		return profileURL(slug, lower), nil
	}
	if lower {
		slug = strings.ToLower(slug)
	}
	return linkedinProfilePrefix + url.PathEscape(slug), nil
}

// profileURL is the canonical address of an ASCII slug, lower-cased or
// not, in one allocation.
func profileURL(slug string, lower bool) string {
	b := make([]byte, len(linkedinProfilePrefix)+len(slug))
	n := copy(b, linkedinProfilePrefix)
	for i := 0; i < len(slug); i++ {
		c := slug[i]
		if lower && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[n+i] = c
	}
	return unsafe.String(&b[0], len(b))
}
