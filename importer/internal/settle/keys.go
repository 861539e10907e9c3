package settle

import (
	"slices"
	"strings"

	"golang.org/x/net/idna"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// A key Topo holds may not be in the form this tool sends it: a backend
// may keep an email's domain in Unicode, a record made elsewhere may hold
// a LinkedIn URL as someone pasted it, and a member id (ACoAA…) may have
// been lower-cased on the way. Lookups ask for every such form, and
// records are compared with a row by one rule (sameKey), so that a record
// of the row is never taken for none.

const linkedInPrefix = "https://www.linkedin.com/in/"

// forms are the values of a row's key to look up: as normalised (what
// this tool sends), an email's or a domain's name the other way (Unicode
// for the ASCII form sent), and a LinkedIn URL as the row wrote it and, a
// member id, in lower case. The normalised form comes first.
func forms(row rows.Row, k topo.Key) []topo.Key {
	out := []topo.Key{k}
	add := func(v string) {
		if v != "" && !slices.ContainsFunc(out, func(f topo.Key) bool { return f.Value == v }) {
			out = append(out, topo.Key{Name: k.Name, Value: v})
		}
	}
	switch k.Name {
	case "email":
		if local, domain, ok := strings.Cut(k.Value, "@"); ok {
			if u, err := idna.ToUnicode(domain); err == nil && u != domain {
				add(local + "@" + u)
			}
		}
	case "domain":
		if u, err := idna.ToUnicode(k.Value); err == nil && u != k.Value {
			add(u)
		}
	case "linkedin_url":
		add(strings.TrimSpace(row.Raw.LinkedInURL))
		if isMemberID(k.Value) {
			add(strings.ToLower(k.Value))
		}
	}
	return out
}

// sameKey says whether Topo's value held for a key is the row's value
// want: equal once both are normalised as the rows are, a LinkedIn member
// id without regard to case (a backend that lower-cased it still holds
// the same person).
func sameKey(name, held, want string) bool {
	if held == "" || want == "" {
		return false
	}
	h, w := rows.NormalizeKey(name, held), rows.NormalizeKey(name, want)
	if h == w {
		return true
	}
	return name == "linkedin_url" && isMemberID(h) && isMemberID(w) && strings.EqualFold(h, w)
}

// indexKey is the form in which the snapshot hashes a key: normalised,
// and a LinkedIn member id folded to lower case, so that it finds what
// sameKey calls the same.
func indexKey(name, value string) string {
	n := rows.NormalizeKey(name, value)
	if name == "linkedin_url" && isMemberID(n) {
		return strings.ToLower(n)
	}
	return n
}

// isMemberID says whether a canonical LinkedIn URL names its profile by
// member id (ACoAA…), in any case.
func isMemberID(canonical string) bool {
	slug, ok := strings.CutPrefix(canonical, linkedInPrefix)
	return ok && len(slug) > 5 && strings.EqualFold(slug[:5], "acoaa")
}

// holdsKey says whether a record holds one of the row's keys.
func holdsKey(ex topo.Exclusion, row rows.Row) bool {
	for _, k := range row.Keys() {
		if sameKey(k.Name, ex.Value(k.Name), k.Value) {
			return true
		}
	}
	return false
}
