package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Validator normalises and checks rows, and marks later rows that repeat
// an earlier row's email or LinkedIn URL as duplicates.
type Validator struct {
	// DefaultReason, already normalised, fills an empty reason.
	DefaultReason string
	now           time.Time
	seen          *KeySet
	kind          Kind // contacts unless the reader found accounts
}

// NewValidator returns a validator that judges expiry dates against now.
func NewValidator(defaultReason string, now time.Time) *Validator {
	return &Validator{DefaultReason: defaultReason, now: now, seen: NewKeySet()}
}

// Check validates the raw values of spreadsheet row num, duplicates
// included. Rows must be checked in input order.
func (v *Validator) Check(num int, raw Fields) Row {
	r := v.normalize(num, raw)
	v.dedupe(&r)
	return r
}

// normalize checks one row on its own. It reads only v's settings, so
// rows can be normalised ahead of, and apart from, deduplication.
func (v *Validator) normalize(num int, raw Fields) Row {
	r := Row{Num: num, Raw: raw}
	if strings.TrimSpace(raw.Reason) == "" {
		r.Raw.Reason = v.DefaultReason
	}
	var p problems
	var err error
	if v.kind == KindAccounts {
		if r.Norm.Domain, err = NormalizeDomain(raw.Domain); err != nil {
			p.add("domain", raw.Domain, err.Error())
		}
	} else {
		v.keys(&r, &p)
	}
	if r.Raw.Reason == "" {
		p.add("reason", "", "is empty: fill it in or pass --default-reason")
	} else if r.Norm.Reason, err = NormalizeReason(r.Raw.Reason); err != nil {
		p.add("reason", r.Raw.Reason, err.Error())
	}
	if r.Norm.Until, err = NormalizeUntil(raw.Until, v.now); err != nil {
		p.add("until", raw.Until, err.Error())
	}
	r.Norm.Message = strings.TrimSpace(raw.Message)
	if len(p) > 0 {
		r.Status, r.Err = StatusInvalid, strings.Join(p, "; ")
		return r
	}
	r.Status = StatusValid
	return r
}

// keys checks a contact's email and LinkedIn URL.
func (v *Validator) keys(r *Row, p *problems) {
	raw := r.Raw
	var err error
	email, linkedin := strings.TrimSpace(raw.Email), strings.TrimSpace(raw.LinkedInURL)
	if email == "" && linkedin == "" {
		p.add("email", "", "and linkedin_url are both empty: a row needs at least one")
	}
	if email != "" {
		if r.Norm.Email, err = NormalizeEmail(email); err != nil {
			p.add("email", raw.Email, err.Error())
		}
	}
	if linkedin != "" {
		if r.Norm.LinkedInURL, err = NormalizeLinkedIn(linkedin); err != nil {
			p.add("linkedin_url", raw.LinkedInURL, err.Error())
		}
	}
}

// problems collects what is wrong with a row, one phrase per column.
type problems []string

func (p *problems) add(column, value, why string) {
	if value == "" {
		*p = append(*p, column+" "+why)
		return
	}
	*p = append(*p, column+" "+strconv.Quote(value)+" "+why)
}

// dedupe marks r a duplicate when one of its keys (email, LinkedIn URL,
// or domain) was on an earlier valid row, and otherwise remembers them.
// Invalid rows are never remembered: their fixed versions must be sent.
func (v *Validator) dedupe(r *Row) {
	if r.Status != StatusValid {
		return
	}
	var hashes [2]uint64
	keys := rowKeys(*r)
	for i, k := range keys {
		hashes[i] = v.seen.Hash(k.value)
		if first, ok := v.seen.Lookup(hashes[i]); ok {
			r.Status, r.Err = StatusDuplicate, fmt.Sprintf("duplicate of row %d (same %s)", first, k.field)
			return
		}
	}
	for i := range keys {
		v.seen.Add(hashes[i], r.Num)
	}
}
