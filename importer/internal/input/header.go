package input

import (
	"fmt"
	"slices"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Field is one of the exclusion columns a list may have.
type Field int

// The exclusion columns, in the order of the dashboard's CSV, then the
// account's domain and a record's id (an export's, a report's).
const (
	FieldEmail Field = iota
	FieldLinkedInURL
	FieldReason
	FieldMessage
	FieldUntil
	FieldDomain
	FieldID
	FieldMaybeSent
	// FieldSourceRow is a failures file's source_row: the row of the
	// spreadsheet the row first came from, carried through every round.
	FieldSourceRow
	numFields
)

// FieldNames are the canonical column names, as the dashboard's CSV and the
// failures file write them.
var FieldNames = [numFields]string{"email", "linkedin_url", "reason", "message", "until", "domain", "id", "maybe_sent", "source_row"}

func (f Field) String() string { return FieldNames[f] }

// ParseField accepts a canonical column name, or any header that would
// match it (so "LinkedIn URL" names linkedin_url).
func ParseField(s string) (Field, error) {
	if f, ok := aliases[headerKey(s)]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("unknown field %q (want one of %s)", s, strings.Join(FieldNames[:], ", "))
}

// aliases maps header keys (see headerKey) to the field they name.
var aliases = map[string]Field{
	"email": FieldEmail, "emailaddress": FieldEmail, "mail": FieldEmail,
	"linkedinurl": FieldLinkedInURL, "linkedin": FieldLinkedInURL,
	"linkedinprofile": FieldLinkedInURL, "linkedinprofileurl": FieldLinkedInURL,
	"linkedinlink": FieldLinkedInURL,
	"reason":       FieldReason, "exclusionreason": FieldReason,
	"message": FieldMessage, "note": FieldMessage, "notes": FieldMessage,
	"comment": FieldMessage, "comments": FieldMessage,
	"until": FieldUntil, "expires": FieldUntil, "expiry": FieldUntil,
	"expiration": FieldUntil, "expiresat": FieldUntil, "expirydate": FieldUntil,
	"expirationdate": FieldUntil, "validuntil": FieldUntil, "excludeuntil": FieldUntil,
	"domain": FieldDomain, "companydomain": FieldDomain, "accountdomain": FieldDomain,
	"website": FieldDomain, "websiteurl": FieldDomain, "companywebsite": FieldDomain,
	"id": FieldID, "exclusionid": FieldID,
	"maybesent": FieldMaybeSent, "sourcerow": FieldSourceRow,
}

// ownColumns are the other columns this tool's reports, failures files
// and exports write: reading one of those files back ignores them without
// a warning. note is the report's, beside its message: an alias of
// message where no message column is, one of these where one is.
var ownColumns = map[string]bool{
	"row": true, "status": true, "error": true, "httpstatus": true, "errortype": true,
	"requestid": true, "attempts": true, "previousreason": true, "previousuntil": true,
	"createdat": true, "updatedat": true, "note": true,
	"heldreason": true, "helduntil": true, "heldmessage": true,
	"outreach": true, "outreachsequences": true,
}

// headerKey folds a header for matching: case, spaces, '_', '-', '.' and
// parentheses do
// not count ("note(s)" is "notes"), nor does a BOM or a formula guard left by a spreadsheet.
func headerKey(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(rows.Unguard(h)) {
		switch r {
		case ' ', '_', '-', '.', '(', ')', '\t', '\ufeff', '\u200b', '\u00a0':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// columns says where each field sits in a record.
type columns struct {
	index   [numFields]int // -1 when the file has no such column
	width   int
	unknown []string // headers no field claims
	// extra are the columns no field claims that are not the tool's own
	// (names, CRM ids): the failures file keeps them, so that every row
	// stays identifiable.
	extra []int
}

func (c columns) has(f Field) bool { return c.index[f] >= 0 }

// mapHeader finds the fields in a header row. explicit (from --map) wins
// over matching by name, and a header that is a field's canonical name
// (message) over one that is an alias of it (note), so the tool's own
// report reads back. It fails when two headers claim one field alike, when
// a --map header is not there, or when the kind's key columns are
// missing; it settles KindAuto into contacts or accounts.
func mapHeader(header []string, explicit map[Field]string, kind *topo.Kind, removal bool) (columns, error) {
	c := columns{width: len(header)}
	for i := range c.index {
		c.index[i] = -1
	}
	claimed := make([]bool, len(header))
	for f, name := range explicit {
		i := slices.IndexFunc(header, func(h string) bool { return strings.TrimSpace(rows.Unguard(h)) == strings.TrimSpace(name) })
		if i < 0 {
			i = slices.IndexFunc(header, func(h string) bool { return headerKey(h) == headerKey(name) })
		}
		if i < 0 && slices.ContainsFunc(header, func(h string) bool { return canonicalField(h) == FieldSourceRow }) {
			// A failures file names its columns by their fields: the --map
			// of the file it came from, given again, means that column.
			i = slices.IndexFunc(header, func(h string) bool { return canonicalField(h) == f })
		}
		if i < 0 {
			return c, fmt.Errorf("--map %s=%q: no such column (the header has %s)", f, name, quoteList(header))
		}
		c.index[f], claimed[i] = i, true
	}
	if err := c.canonical(header, explicit, claimed); err != nil {
		return c, err
	}
	for i, h := range header {
		if claimed[i] {
			continue
		}
		f, ok := aliases[headerKey(h)]
		if ok && c.index[f] >= 0 && canonicalField(header[c.index[f]]) == f {
			ok = false // an alias beside the canonical name: the name wins
		}
		if !ok || explicit[f] != "" {
			if strings.TrimSpace(h) != "" && !ownColumns[headerKey(h)] {
				c.unknown = append(c.unknown, strings.TrimSpace(h))
				c.extra = append(c.extra, i)
			}
			continue
		}
		if j := c.index[f]; j >= 0 {
			return c, fmt.Errorf("columns %q and %q both look like %s: choose one with --map %s=%q", header[j], h, f, f, h)
		}
		c.index[f] = i
	}
	contacts := c.has(FieldEmail) || c.has(FieldLinkedInURL)
	if *kind == topo.KindAuto {
		*kind = topo.Contacts
		if !contacts && c.has(FieldDomain) {
			*kind = topo.Accounts
		}
	}
	switch {
	case removal && c.has(FieldID):
	case *kind == topo.Accounts && !c.has(FieldDomain):
		return c, fmt.Errorf("no domain column for account exclusions (the header has %s): name one with --map domain=\"Column Name\"", quoteList(header))
	case *kind == topo.Contacts && !contacts:
		return c, fmt.Errorf("no email or linkedin_url column (the header has %s): name one with --map email=\"Column Name\"", quoteList(header))
	}
	// The other kind's key columns are not read: say so.
	drop := []Field{FieldDomain}
	if *kind == topo.Accounts {
		drop = []Field{FieldEmail, FieldLinkedInURL}
	}
	for _, f := range drop {
		if i := c.index[f]; i >= 0 {
			c.unknown = append(c.unknown, strings.TrimSpace(header[i]))
			c.extra = append(c.extra, i)
			c.index[f] = -1
		}
	}
	slices.Sort(c.extra)
	return c, nil
}

// extraNames are the headers of the extra columns as the failures file
// writes them: as in the input, unless reading the failures file back
// would take the column for one of its own (a second email column beside
// the one --map chose, the domain column of a contacts list), which is
// then marked "(not read)" and stays a column the reader passes by.
func (c columns) extraNames(header []string) []string {
	names := make([]string, len(c.extra))
	for n, i := range c.extra {
		h := strings.TrimSpace(rows.Unguard(header[i]))
		k := headerKey(h)
		if _, field := aliases[k]; field || canonicalField(h) >= 0 || ownColumns[k] {
			h += " (not read)"
		}
		names[n] = h
	}
	return names
}

// canonical claims the headers that are a field's canonical name, as
// written or in another case, that --map did not settle.
func (c *columns) canonical(header []string, explicit map[Field]string, claimed []bool) error {
	for i, h := range header {
		f := canonicalField(h)
		if claimed[i] || f < 0 || explicit[f] != "" {
			continue
		}
		if j := c.index[f]; j >= 0 {
			return fmt.Errorf("columns %q and %q are both %s: choose one with --map %s=%q", header[j], h, f, f, h)
		}
		c.index[f], claimed[i] = i, true
	}
	return nil
}

// canonicalField is the field whose canonical name h is, or -1.
func canonicalField(h string) Field {
	name := strings.TrimSpace(strings.Trim(rows.Unguard(h), "\ufeff"))
	for f, n := range FieldNames {
		if strings.EqualFold(name, n) {
			return Field(f)
		}
	}
	return -1
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
