package rows

import (
	"errors"
	"fmt"
	"strings"
	"time"
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

// NormalizeUntil reads an expiry. RFC 3339 with an offset is an instant and
// kept as one (with its offset); a date alone, as Topo's dashboard takes
// it, means the end of that day in UTC. Past instants are errors: such an
// exclusion would exclude nobody. Empty means permanent and gives "".
func NormalizeUntil(s string, now time.Time) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	var t time.Time
	var err error
	if len(s) == len("2006-01-02") {
		t, err = time.Parse(time.DateOnly, s)
		t = t.Add(24*time.Hour - time.Second)
	} else {
		t, err = time.Parse(time.RFC3339, strings.ToUpper(s))
	}
	if err != nil {
		if _, e := time.Parse("2006-01-02T15:04:05", strings.ToUpper(s)); e == nil {
			return "", errors.New("has no time zone: add Z for UTC or an offset such as +01:00")
		}
		return "", errors.New("is not a date: write YYYY-MM-DD (end of that day, UTC) or RFC 3339 with an offset, such as 2027-12-31T18:00:00+01:00")
	}
	if !t.After(now) {
		return "", errors.New("is in the past: such an exclusion would exclude nobody")
	}
	if len(s) == len("2006-01-02") {
		return t.Format(time.RFC3339), nil
	}
	return t.Format(time.RFC3339Nano), nil
}
