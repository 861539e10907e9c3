package rows

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/internal/keyset"
)

// Validator normalises and checks rows, and marks later rows that repeat
// an earlier row's email, LinkedIn URL, domain (or, for removal, id) as
// duplicates.
type Validator struct {
	// DefaultReason, already normalised, fills an empty reason.
	DefaultReason string
	// Kind is contacts or accounts.
	Kind topo.Kind
	// Removal checks rows for remove: an id or a key identifies the
	// exclusion; reason and until are not needed.
	Removal bool
	// DateOrder reads the until dates that could be day or month first
	// (--date-order); unset, such a date is invalid.
	DateOrder DateOrder
	now       time.Time
	seen      *keyset.Set
	// converted counts valid rows whose email domain was sent in its
	// ASCII form; atomic, as Normalize may run apart from Dedupe.
	converted atomic.Int64
}

// NewValidator returns a validator that judges expiry dates against now.
func NewValidator(defaultReason string, now time.Time) *Validator {
	return &Validator{DefaultReason: defaultReason, Kind: topo.Contacts, now: now, seen: keyset.New()}
}

// ConvertedDomains is how many valid rows so far had an email domain
// written in Unicode, sent in its ASCII form (EmailDomainForm): for the
// run's summary.
func (v *Validator) ConvertedDomains() int64 { return v.converted.Load() }

// Close releases the duplicate set's memory.
func (v *Validator) Close() { v.seen.Free() }

// Check validates the raw values of spreadsheet row num, duplicates
// included. Rows must be checked in input order.
func (v *Validator) Check(num int, raw Fields) Row {
	r := v.Normalize(num, raw)
	v.Dedupe(&r)
	return r
}

// Normalize checks one row on its own. It reads only v's settings, so rows
// can be normalised ahead of, and apart from, deduplication.
func (v *Validator) Normalize(num int, raw Fields) (r Row) {
	r.Num, r.Raw = num, raw // into the result: a Row is too large to copy twice a row
	if strings.TrimSpace(raw.Reason) == "" && !v.Removal {
		r.Raw.Reason = v.DefaultReason
	}
	var p problems
	if v.Removal {
		v.removal(&r, &p)
	} else {
		v.creation(&r, &p)
	}
	r.Norm.Message = strings.TrimSpace(raw.Message)
	if len(p) > 0 {
		r.Status, r.Err, r.Note, r.unicodeDomain = StatusInvalid, strings.Join(p, "; "), "", false
		return r
	}
	r.Status = StatusValid
	if r.unicodeDomain {
		v.converted.Add(1)
	}
	v.hashKeys(&r)
	return r
}

func (v *Validator) creation(r *Row, p *problems) {
	var err error
	if v.Kind == topo.Accounts {
		if r.Norm.Domain, err = NormalizeDomain(r.Raw.Domain); err != nil {
			p.add("domain", r.Raw.Domain, err.Error())
		}
	} else {
		v.contactKeys(r, p, true)
	}
	if r.Raw.Reason == "" {
		p.add("reason", "", "is empty: fill it in or pass --default-reason")
	} else if r.Norm.Reason, err = NormalizeReason(r.Raw.Reason); err != nil {
		p.add("reason", r.Raw.Reason, err.Error())
	}
	if r.Norm.Until, err = NormalizeUntilOrder(r.Raw.Until, v.now, v.DateOrder); err != nil {
		p.add("until", r.Raw.Until, err.Error())
	}
}

// removal accepts a row that names its exclusion by id, or by a key.
func (v *Validator) removal(r *Row, p *problems) {
	if id := strings.TrimSpace(r.Raw.ID); id != "" {
		if strings.ContainsAny(id, "/?#% \t") {
			p.add("id", r.Raw.ID, "is not an exclusion id")
		}
		r.Norm.ID = id
	}
	var err error
	switch {
	case v.Kind == topo.Accounts && strings.TrimSpace(r.Raw.Domain) != "":
		if r.Norm.Domain, err = NormalizeDomain(r.Raw.Domain); err != nil {
			p.add("domain", r.Raw.Domain, err.Error())
		}
	case v.Kind == topo.Accounts:
		if r.Norm.ID == "" {
			p.add("id", "", "and domain are both empty: a row needs one")
		}
	default:
		v.contactKeys(r, p, r.Norm.ID == "")
	}
}

// contactKeys checks a contact's email and LinkedIn URL; need says one of
// them is required.
func (v *Validator) contactKeys(r *Row, p *problems, need bool) {
	raw := r.Raw
	var err error
	email, linkedin := strings.TrimSpace(raw.Email), strings.TrimSpace(raw.LinkedInURL)
	if email == "" && linkedin == "" && need {
		p.add("email", "", "and linkedin_url are both empty: a row needs at least one")
	}
	if email != "" {
		e, err := ParseEmail(email)
		if err != nil {
			p.add("email", raw.Email, err.Error())
		}
		r.Norm.Email, r.Note, r.unicodeDomain = e.Address, e.Note(), e.UnicodeDomain != ""
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

// Dedupe marks r a duplicate when one of its keys (or, removing by id, its
// id) was on an earlier valid row, and otherwise remembers them. Invalid
// rows are never remembered: their fixed versions must be sent.
func (v *Validator) Dedupe(r *Row) {
	if r.Status != StatusValid {
		return
	}
	row := uint32(min(r.Num, 1<<32-1))
	if r.nhashes == 1 { // most rows: one probe looks and remembers
		if first, ok := v.seen.Put(r.hashes[0], row); ok {
			v.duplicate(r, first, 0)
		}
		return
	}
	for i := range r.nhashes {
		if first, ok := v.seen.Lookup(r.hashes[i]); ok {
			v.duplicate(r, first, i)
			return
		}
	}
	for i := range r.nhashes {
		v.seen.Add(r.hashes[i], row)
	}
}

// DedupeAll is Dedupe on every row of batch, in order. It first asks the
// duplicate set for where all their keys live, so that the memory is
// fetched for many rows at once rather than waited for row by row: the
// set is far larger than the processor's caches.
func (v *Validator) DedupeAll(batch []Row) {
	for i := range batch {
		if r := &batch[i]; r.Status == StatusValid {
			for _, h := range r.hashes[:r.nhashes] {
				v.seen.Prefetch(h)
			}
		}
	}
	for i := range batch {
		v.Dedupe(&batch[i])
	}
}

func (v *Validator) duplicate(r *Row, first int, key uint8) {
	keys, _ := v.dedupeKeys(r)
	r.Status, r.Err = StatusDuplicate, fmt.Sprintf("duplicate of row %d (same %s)", first, keys[key].Name)
}

// dedupeKeys are the keys a row is deduplicated on (n of them); their
// hashes are in r.hashes, computed by Normalize (on the reading side of
// the pipeline). It allocates nothing: it runs for every row.
func (v *Validator) dedupeKeys(r *Row) (keys [2]topo.Key, n uint8) {
	if v.Removal && r.Norm.ID != "" {
		keys[0] = topo.Key{Name: "id", Value: r.Norm.ID}
		return keys, 1
	}
	for _, k := range [...]topo.Key{{Name: "email", Value: r.Norm.Email}, {Name: "linkedin_url", Value: r.Norm.LinkedInURL}, {Name: "domain", Value: r.Norm.Domain}} {
		if k.Value != "" && n < 2 {
			keys[n] = k
			n++
		}
	}
	return keys, n
}

// hashKeys fills r.hashes for Dedupe, with the keys dedupeKeys names, in
// its order. Values of different names never collide (an email has an @,
// a URL a /, a domain neither, an id no dot), so one set holds them all.
func (v *Validator) hashKeys(r *Row) {
	if v.Removal && r.Norm.ID != "" {
		r.hashes[0], r.nhashes = v.seen.Hash(r.Norm.ID), 1
		return
	}
	n := uint8(0)
	for _, k := range [...]string{r.Norm.Email, r.Norm.LinkedInURL, r.Norm.Domain} {
		if k != "" && n < 2 {
			r.hashes[n] = v.seen.Hash(k)
			n++
		}
	}
	r.nhashes = n
}
