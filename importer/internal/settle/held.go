package settle

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Held is what Topo holds for a row: one record, as a lookup returned it
// or as the snapshot remembers it.
type Held struct {
	ID     string
	Reason string
	// Until is when the exclusion ends; nil when it is permanent.
	Until *time.Time
	// Message is a hash of the record's message (see MessageHash), by
	// which it is compared; Text is the message itself, for the report.
	Message uint32
	Text    string
	// Keys are the record's email, LinkedIn URL and domain, as Topo holds
	// them, where they are known (a lookup's record; the snapshot keeps
	// hashes of them only).
	Keys      [3]string
	CreatedAt time.Time
	// Mismatch, when set, says the record holds another value for one of
	// the row's keys (this LinkedIn URL under another email): the row is
	// not covered, whatever the dates.
	Mismatch string
	// Lacks names a key of the row the record does not have (Topo holds
	// the person by the other one): said in the report's note.
	Lacks string
	// Seen is when the snapshot this comes from was read; zero for a
	// lookup's answer.
	Seen time.Time
}

// MessageHash is how messages are compared: trimmed, empty and null alike.
func MessageHash(s string) uint32 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32() | 1
}

// HeldOf turns a record into what is compared with row, by the one
// key-matching rule (see matchKeys).
func HeldOf(ex topo.Exclusion, row rows.Row) Held {
	text := topo.Str(ex.Message)
	h := Held{ID: ex.ID, Reason: ex.Reason, Message: MessageHash(text), Text: text, CreatedAt: ex.CreatedAt,
		Keys: [3]string{topo.Str(ex.Email), topo.Str(ex.LinkedInURL), topo.Str(ex.Domain)}}
	if u, err := topo.ParseUntil(ex.Until); err == nil {
		h.Until = u
	} else {
		h.Mismatch = fmt.Sprintf("Topo's record %s has an until Topo should not accept (%q)", ex.ID, topo.Str(ex.Until))
	}
	h.matchKeys(row, func(k topo.Key) (keyMatch, string) {
		held := ex.Value(k.Name)
		switch {
		case held == "":
			return keyLacking, ""
		case sameKey(k.Name, held, k.Value):
			return keySame, held
		}
		return keyOther, held
	})
	return h
}

// keyMatch is how a record holds one of a row's keys.
type keyMatch int

const (
	keySame    keyMatch = iota // the row's value
	keyLacking                 // no value of that name
	keyOther                   // another value: another person's
)

// matchKeys is the one rule by which a record (looked up, or remembered
// by the snapshot) is compared with a row's keys. holds says how the
// record holds each key, and the record's value when it knows it. A
// record that holds another value for one of the row's keys (this
// LinkedIn URL under another email) is a mismatch: the row's key is not
// excluded by it, whatever the dates. One that lacks a key of the row
// holds the person by the other.
func (h *Held) matchKeys(row rows.Row, holds func(topo.Key) (keyMatch, string)) {
	for _, k := range row.Keys() {
		switch m, value := holds(k); m {
		case keyLacking:
			h.Lacks = fmt.Sprintf("Topo's record holds this person by another key, without the row's %s", k.Name)
		case keyOther:
			other := "another " + k.Name
			if value != "" {
				other = k.Name + " " + value
			}
			h.Mismatch = fmt.Sprintf("Topo's record %s holds %s, not the row's %s: the row's %s is not excluded by it; fix the row or the record by hand",
				h.ID, other, k.Value, k.Name)
		}
	}
}

// previous is what a record was before a change.
func (h Held) previous() *rows.Previous {
	return &rows.Previous{Reason: h.Reason, Until: untilText(h.Until)}
}

// whole is the record as a delete's intent journals it, message and all:
// a rerun that finds it gone can still say what was deleted.
func (h Held) whole() *rows.Previous {
	return &rows.Previous{Reason: h.Reason, Until: untilText(h.Until), Message: h.Text}
}

// record is the record as the report's held_* columns show it.
func (h Held) record() *rows.Held {
	return &rows.Held{Email: h.Keys[0], LinkedInURL: h.Keys[1], Domain: h.Keys[2], Reason: h.Reason, Until: untilText(h.Until), Message: h.Text}
}
