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

var reasonSet = func() map[string]string {
	m := make(map[string]string, len(Reasons))
	for _, r := range Reasons {
		m[r] = r
	}
	return m
}()

// NormalizeReason maps what a person or a dashboard export writes
// ("unsubscribed", "Exclude from CRM", "out-of-office") to the API's enum.
// Case does not matter; runs of spaces, '-' and '_' count as one '_'.
func NormalizeReason(s string) (string, error) {
	var buf [64]byte
	b := buf[:0]
	sep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '_' || c == '\t':
			sep = len(b) > 0
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		if sep {
			b = append(b, '_')
			sep = false
		}
		if len(b) == cap(b) {
			break
		}
		b = append(b, c)
	}
	if r, ok := reasonSet[string(b)]; ok {
		return r, nil
	}
	if strings.TrimSpace(s) == "" {
		return "", errors.New("is empty")
	}
	return "", fmt.Errorf("is not one of %s", strings.Join(Reasons, ", "))
}
