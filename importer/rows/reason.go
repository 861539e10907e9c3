package rows

import (
	"errors"
	"fmt"
	"strings"
)

// Reasons are the values Topo's API accepts for reason, in its order.
var Reasons = []string{
	"BAD_TIMING", "BOUNCED", "COMPETITOR", "CONTACT_REFUSED", "INTERESTED", "MEETING", "OTHER",
	"OUT_OF_OFFICE", "UNKNOWN", "UNSUBSCRIBED", "WRONG_PERSON", "EXCLUDE_FROM_SEARCH",
	"EXCLUDE_FROM_CRM", "REFERRAL", "LEFT_COMPANY",
}

// reasonByte is what NormalizeReason makes of each byte: letters in upper
// case, '_' for the separators (space, tab, '-', '_'), others as they are.
var reasonByte = func() (t [256]byte) {
	for i := range t {
		c := byte(i)
		switch {
		case c == ' ' || c == '-' || c == '_' || c == '\t':
			c = '_'
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		t[i] = c
	}
	return t
}()

// reasonNamed is the reason b spells, found by the compiler's search over
// constant strings: quicker than hashing b for a map, once for every row.
// TestReasonNamed keeps it equal to Reasons.
func reasonNamed(b []byte) (string, bool) {
	switch string(b) {
	case "BAD_TIMING":
		return "BAD_TIMING", true
	case "BOUNCED":
		return "BOUNCED", true
	case "COMPETITOR":
		return "COMPETITOR", true
	case "CONTACT_REFUSED":
		return "CONTACT_REFUSED", true
	case "INTERESTED":
		return "INTERESTED", true
	case "MEETING":
		return "MEETING", true
	case "OTHER":
		return "OTHER", true
	case "OUT_OF_OFFICE":
		return "OUT_OF_OFFICE", true
	case "UNKNOWN":
		return "UNKNOWN", true
	case "UNSUBSCRIBED":
		return "UNSUBSCRIBED", true
	case "WRONG_PERSON":
		return "WRONG_PERSON", true
	case "EXCLUDE_FROM_SEARCH":
		return "EXCLUDE_FROM_SEARCH", true
	case "EXCLUDE_FROM_CRM":
		return "EXCLUDE_FROM_CRM", true
	case "REFERRAL":
		return "REFERRAL", true
	case "LEFT_COMPANY":
		return "LEFT_COMPANY", true
	}
	return "", false
}

// NormalizeReason maps what a person or a dashboard export writes
// ("unsubscribed", "Exclude from CRM", "out-of-office") to the API's enum.
// Case does not matter; runs of spaces, '-' and '_' count as one '_'.
func NormalizeReason(s string) (string, error) {
	var buf [32]byte // longer than any reason: a longer cell is none
	n, sep := 0, false
	for i := 0; i < len(s) && n < len(buf); i++ {
		c := reasonByte[s[i]]
		if c == '_' {
			sep = n > 0
			continue
		}
		if sep {
			buf[n], sep = '_', false
			if n++; n == len(buf) {
				break
			}
		}
		buf[n] = c
		n++
	}
	b := buf[:n]
	if r, ok := reasonNamed(b); ok {
		return r, nil
	}
	if strings.TrimSpace(s) == "" {
		return "", errors.New("is empty")
	}
	return "", fmt.Errorf("is not one of %s", strings.Join(Reasons, ", "))
}
