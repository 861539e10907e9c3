package rows

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// EmailDomainForm says in which form an email's domain is sent to Topo
// and compared for duplicates, for the run's summary to quote.
const EmailDomainForm = "ASCII (IDNA, punycode: münchen.de is sent as xn--mnchen-3ya.de), as account domains are"

// NormalizeEmail turns what a list holds into the address Topo should get:
// trimmed, without invisible format characters, without a mailto: prefix
// or the quotes or brackets pasted around it, width variants of letters
// folded (NFKC), lower-cased, and its domain in its ASCII (IDNA) form. It
// accepts one plain address (dot-atom local part, a domain with a dot)
// and nothing else, so a display name, a list of addresses, an IP literal
// or a typographic character inside the address (’ for ', ＠ for @) is an
// error that says what to fix.
//
// The domain is sent in one form so that anna@münchen.de and
// anna@xn--mnchen-3ya.de are one person to the duplicate check, to the
// comparison with Topo's records (NormalizeKey) and to Topo, whichever way
// a row spells it. The ASCII form is the one every system can carry (mail
// that does not use SMTPUTF8 must) and the one account domains are sent
// in; the form does not depend on which row came first. See ParseEmail
// for what the report says about it.
func NormalizeEmail(s string) (string, error) {
	e, err := ParseEmail(s)
	return e.Address, err
}

// Email is an address as NormalizeEmail reads it, with what reading it
// changed that the report should say.
type Email struct {
	// Address is what Topo gets: NormalizeEmail's result.
	Address string
	// Unwrapped lists the quotes or brackets removed from around the
	// address, outermost first, such as “…”.
	Unwrapped []string
	// UnicodeDomain is the domain as written when it was not in its ASCII
	// form (münchen.de); "" otherwise.
	UnicodeDomain string
}

// Note says what became of the cell on its way to Address, "" when
// nothing worth a word: for the report's note column.
func (e Email) Note() string {
	var notes []string
	if len(e.Unwrapped) > 0 {
		notes = append(notes, "removed "+strings.Join(e.Unwrapped, " and ")+" from around the email")
	}
	if e.UnicodeDomain != "" {
		_, ascii, _ := strings.Cut(e.Address, "@")
		notes = append(notes, "email domain "+e.UnicodeDomain+" sent in its ASCII form "+ascii)
	}
	return strings.Join(notes, "; ")
}

// ParseEmail reads an address as NormalizeEmail does, and says what it
// removed or converted.
func ParseEmail(s string) (Email, error) {
	s = strings.TrimSpace(s)
	if a, ok := plainEmail(s); ok {
		return Email{Address: a}, nil
	}
	return parseEmail(s)
}

// parseEmail is ParseEmail the long way, for every cell.
func parseEmail(s string) (Email, error) {
	s, ascii, err := cleanKeyASCII(s)
	if err != nil {
		return Email{}, err
	}
	var e Email
	s, e.Unwrapped = peel(s)
	if !ascii && !isASCII(s) {
		if err := checkTypography(s); err != nil {
			return Email{}, err
		}
		// Full-width letters (ｃｏｍ), ligatures and the like become the
		// characters the person's real address has.
		s = strings.TrimSpace(norm.NFKC.String(s))
	}
	if s == "" {
		return Email{}, errors.New("is empty")
	}
	s = strings.ToLower(s) // no allocation when already lower case
	at, err := checkShape(s)
	if err != nil {
		return Email{}, err
	}
	if err := checkLocal(s[:at]); err != nil {
		return Email{}, err
	}
	domain, err := checkDomain(s[at+1:])
	if err != nil {
		return Email{}, err
	}
	if domain != s[at+1:] {
		e.UnicodeDomain = s[at+1:]
		s = s[:at+1] + domain
	}
	e.Address = s
	return e, nil
}

// plainEmail is ParseEmail's answer for the common cell, found in one pass
// over it: a valid ASCII address (or mailto: and one), nothing to peel,
// no punycode to check. ok is false for anything else, which takes the
// long way and gets its error there.
func plainEmail(s string) (string, bool) {
	if len(s) > 7 && (s[0] == 'm' || s[0] == 'M') && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	var seen uint8 // the classes of all of s's bytes: one branch-free pass
	for i := 0; i < len(s); i++ {
		seen |= emailByte[s[i]]
	}
	at := strings.IndexByte(s, '@')
	if seen&notAtext != 0 || at <= 0 || at > 64 || strings.LastIndexByte(s, '@') != at ||
		s[0] == '.' || s[at-1] == '.' || !plainDomain(s[at+1:]) || strings.Contains(s[:at], "..") {
		return "", false
	}
	if seen&upperCase != 0 {
		return lowerASCII(s), true
	}
	return s, true
}

// emailByte classes the bytes for plainEmail: an upper-case letter, or a
// byte a dot-atom address cannot hold (@ is counted apart).
var emailByte = func() (t [256]uint8) {
	for c := range t {
		switch {
		case 'A' <= c && c <= 'Z':
			t[c] = upperCase
		case !atext[c] && c != '@':
			t[c] = notAtext
		}
	}
	return t
}()

const (
	upperCase = 1 << iota
	notAtext
)

// plainDomain says an ASCII domain passes checkDomain as it is: labels of
// letters, digits and inner hyphens, none punycode, a dot, a TLD that is
// not a number.
func plainDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	start, dots, digits := 0, 0, true
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !isAlnum(c) && c != '-' {
				return false
			}
			digits = digits && '0' <= c && c <= '9'
			continue
		}
		label := d[start:i]
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' || len(label) >= 4 && label[2] == '-' && label[3] == '-' {
			return false // empty, too long, misplaced hyphen, or maybe punycode (xn--): the long way says
		}
		if i < len(d) {
			dots++
			start, digits = i+1, true
		}
	}
	return dots > 0 && !digits
}

// lowerASCII is strings.ToLower for ASCII, in one allocation.
func lowerASCII(s string) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return unsafe.String(&b[0], len(b))
}

// checkShape finds the @ of a lower-cased address, in one pass over it for
// what the errors branch on.
func checkShape(s string) (at int, err error) {
	var ats int
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
		return 0, errors.New("has no @")
	case ats > 1 && (list || space):
		return 0, errors.New("holds more than one address: give one per row")
	case ats > 1:
		return 0, errors.New("has more than one @")
	case quote:
		return 0, errors.New("has a display name or quotes: keep only the address")
	case space:
		return 0, errors.New("contains a space: keep only the address")
	}
	return at, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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
// not a number (so no IP addresses), and returns it in its ASCII form:
// non-ASCII names in punycode (IDNA), punycode labels checked.
func checkDomain(domain string) (string, error) {
	if domain == "" {
		return "", errors.New("has nothing after the @")
	}
	ascii := domain
	if !isASCII(domain) || strings.Contains(domain, "xn--") {
		a, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			return "", fmt.Errorf("has an invalid domain %q", domain)
		}
		ascii = a
	}
	if len(ascii) > 253 {
		return "", errors.New("has a domain longer than 253 characters")
	}
	dot := strings.LastIndexByte(ascii, '.')
	if dot < 0 {
		return "", fmt.Errorf("has a domain without a dot (%q)", domain)
	}
	for label := range strings.SplitSeq(ascii, ".") {
		if err := checkLabel(label); err != nil {
			return "", fmt.Errorf("has an invalid domain %q: %v", domain, err)
		}
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
		return "", fmt.Errorf("has an IP address or numeric domain %q", domain)
	}
	return ascii, nil
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
