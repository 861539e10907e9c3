package rows

import "strings"

// NormalizeKey is a key value as the rows' normalisers would write it, so
// that a record Topo holds compares with a row ("" stays "").
func NormalizeKey(name, value string) string {
	if value == "" {
		return ""
	}
	var (
		n   string
		err error
	)
	switch name {
	case "email":
		n, err = NormalizeEmail(value)
	case "linkedin_url":
		n, err = NormalizeLinkedIn(value)
	case "domain":
		n, err = NormalizeDomain(value)
	default:
		return value
	}
	if err != nil {
		return strings.ToLower(strings.TrimSpace(value))
	}
	return n
}
