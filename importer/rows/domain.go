package rows

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// NormalizeDomain turns what a list holds for a company (a bare domain, a
// website address, a domain with www.) into the domain Topo should block:
// lower case, no scheme, no www., no path or port, non-ASCII names in
// punycode. It must be a registrable domain (example.com, example.co.uk)
// or a name under one (eu.example.com, kept as written); a public suffix
// alone (co.uk), a single label, an IP address or an email address is
// an error.
func NormalizeDomain(s string) (string, error) {
	s, err := cleanKey(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("is empty")
	}
	if strings.Contains(s, "@") && !strings.Contains(s, "/") {
		return "", errors.New("is an email address: put the part after the @")
	}
	rest := s
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	rest = rest[:indexOf(rest, "/?#")]
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:] // user@host in a URL
	}
	if host, _, err := net.SplitHostPort(rest); err == nil {
		rest = host
	}
	rest = strings.TrimSuffix(strings.ToLower(rest), ".")
	if net.ParseIP(strings.Trim(rest, "[]")) != nil {
		return "", errors.New("is an IP address, not a domain")
	}
	ascii, err := idna.Lookup.ToASCII(rest)
	if err != nil || ascii == "" {
		return "", fmt.Errorf("is not a domain name")
	}
	ascii = strings.TrimPrefix(ascii, "www.")
	if !strings.Contains(ascii, ".") {
		return "", errors.New("has no dot: want a domain such as example.com")
	}
	for label := range strings.SplitSeq(ascii, ".") {
		if err := checkLabel(label); err != nil {
			return "", fmt.Errorf("is not a domain name: %v", err)
		}
	}
	if _, err := publicsuffix.EffectiveTLDPlusOne(ascii); err != nil {
		return "", fmt.Errorf("is a public suffix (%s), not a company's domain", ascii)
	}
	return ascii, nil
}
