package rows

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail turns what a list holds into the address Topo should get:
// trimmed, without invisible format characters, in NFKC, without a
// mailto: prefix, lower-cased. It accepts one plain
// address (dot-atom local part, a domain with a dot) and nothing else, so a
// display name, a list of addresses or an IP literal is an error that says
// what to fix.
func NormalizeEmail(s string) (string, error) {
	s, ascii, err := cleanKeyASCII(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if !ascii {
		// Full-width letters (ｃｏｍ), ligatures and the like become the
		// characters the person's real address has.
		s = strings.TrimSpace(norm.NFKC.String(s))
	}
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = strings.TrimSpace(s[7:])
	}
	if s == "" {
		return "", errors.New("is empty")
	}
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") && strings.Count(s, "<") == 1 {
		s = s[1 : len(s)-1]
	}
	s = strings.ToLower(s) // no allocation when already lower case
	// One pass over the address for what the checks below branch on.
	var ats, at int
	var list, quote, space bool
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '@':
			if ats++; ats == 1 {
				at = i
			}
		case ',', ';':
			list = true
		case '<', '>', '"':
			quote = true
		case ' ', '\t', '\r', '\n':
			space = true
		}
	}
	switch {
	case ats == 0:
		return "", errors.New("has no @")
	case ats > 1 && (list || space):
		return "", errors.New("holds more than one address: give one per row")
	case ats > 1:
		return "", errors.New("has more than one @")
	case quote:
		return "", errors.New("has a display name or quotes: keep only the address")
	case space:
		return "", errors.New("contains a space: keep only the address")
	}
	if err := checkLocal(s[:at]); err != nil {
		return "", err
	}
	if err := checkDomain(s[at+1:]); err != nil {
		return "", err
	}
	return s, nil
}

func checkLocal(local string) error {
	switch {
	case local == "":
		return errors.New("has nothing before the @")
	case len(local) > 64:
		return errors.New("has more than 64 characters before the @")
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return errors.New("has a misplaced dot before the @")
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c >= utf8.RuneSelf || atext[c] {
			continue
		}
		if c == ' ' || c == '\t' {
			return errors.New("contains a space")
		}
		return fmt.Errorf("contains %q before the @", c)
	}
	if !utf8.ValidString(local) {
		return errors.New("is not valid text")
	}
	return nil
}

// atext marks the ASCII bytes allowed in a dot-atom local part.
var atext = func() (t [256]bool) {
	for c := 0; c < 128; c++ {
		t[c] = isAlnum(byte(c)) || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", byte(c)) >= 0
	}
	return t
}()

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
}

// checkDomain accepts a host name with at least two labels and a TLD that is
// not a number (so no IP addresses). Non-ASCII domains are checked in their
// IDNA form and kept as written.
func checkDomain(domain string) error {
	if domain == "" {
		return errors.New("has nothing after the @")
	}
	ascii := domain
	for i := 0; i < len(domain); i++ {
		if domain[i] >= utf8.RuneSelf {
			a, err := idna.Lookup.ToASCII(domain)
			if err != nil {
				return fmt.Errorf("has an invalid domain %q", domain)
			}
			ascii = a
			break
		}
	}
	if len(ascii) > 253 {
		return errors.New("has a domain longer than 253 characters")
	}
	dot := strings.LastIndexByte(ascii, '.')
	if dot < 0 {
		return fmt.Errorf("has a domain without a dot (%q)", domain)
	}
	labels := 0
	for label := range strings.SplitSeq(ascii, ".") {
		if err := checkLabel(label); err != nil {
			return fmt.Errorf("has an invalid domain %q: %v", domain, err)
		}
		labels++
	}
	tld := ascii[dot+1:]
	allDigits := true
	for i := 0; i < len(tld); i++ {
		if tld[i] < '0' || tld[i] > '9' {
			allDigits = false
			break
		}
	}
	if allDigits {
		return fmt.Errorf("has an IP address or numeric domain %q", domain)
	}
	return nil
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return errors.New("empty label")
	case len(label) > 63:
		return errors.New("label longer than 63 characters")
	case label[0] == '-' || label[len(label)-1] == '-':
		return errors.New("label starts or ends with -")
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; !isAlnum(c) && c != '-' {
			return fmt.Errorf("%q is not allowed in a domain", c)
		}
	}
	return nil
}
