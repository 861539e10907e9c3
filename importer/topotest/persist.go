package topotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// dataFile is the object form of a saved default workspace.
type dataFile struct {
	Exclusions []*Exclusion `json:"exclusions"`
	Contacts   []Contact    `json:"contacts"`
	Sequences  []Sequence   `json:"sequences"`
}

// Load adds records to the default workspace from r: either a JSON array
// of exclusions (those with a domain are account exclusions), or an object
// {"exclusions": [...], "contacts": [...], "sequences": [...]}, each part
// optional, as written by Save. Ids are made where missing; contacts and
// sequences are stored as AddContact and AddSequence store them.
func (s *Server) Load(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var doc dataFile
	if t := bytes.TrimLeft(raw, " \t\r\n\uFEFF"); len(t) > 0 && t[0] == '[' {
		err = json.Unmarshal(t, &doc.Exclusions)
	} else {
		err = decodeDataFile(t, &doc)
	}
	if err != nil {
		return err
	}
	for _, ex := range doc.Exclusions {
		if ex == nil {
			return fmt.Errorf("exclusions: null is not an exclusion")
		}
		if ex.ID == "" {
			ex.ID = newUUID()
		}
		ex.Email, ex.LinkedInURL = s.storedEmail(ex.Email), s.storedLinkedIn(ex.LinkedInURL)
		st := s.def.store
		if ex.Domain != nil {
			st = s.def.accounts
		}
		st.load(ex)
	}
	for i, c := range doc.Contacts {
		if _, err := s.def.addContact(c); err != nil {
			return fmt.Errorf("contacts[%d]: %w", i, err)
		}
	}
	for i, q := range doc.Sequences {
		if _, err := s.def.addSequence(q); err != nil {
			return fmt.Errorf("sequences[%d]: %w", i, err)
		}
	}
	return nil
}

// decodeDataFile reads the object form, refusing keys it does not know so
// that a misspelt "sequence" does not load nothing in silence.
func decodeDataFile(raw []byte, doc *dataFile) error {
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return fmt.Errorf("want a JSON array of exclusions or an object of exclusions, contacts and sequences: %w", err)
	}
	for k := range parts {
		if !slices.Contains([]string{"exclusions", "contacts", "sequences"}, k) {
			return fmt.Errorf("unknown key %q (want exclusions, contacts, sequences)", k)
		}
	}
	for k, v := range map[string]any{"exclusions": &doc.Exclusions, "contacts": &doc.Contacts, "sequences": &doc.Sequences} {
		if p, ok := parts[k]; ok {
			if err := json.Unmarshal(p, v); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	return nil
}

// Save writes the default workspace: its exclusions, contacts then
// accounts, as a JSON array when it holds no contacts and no sequences
// (the form files made before those existed have), otherwise as the
// object that Load reads.
func (s *Server) Save(w io.Writer) error {
	all := append(s.def.store.snapshot(), s.def.accounts.snapshot()...)
	ptrs := make([]*Exclusion, len(all))
	for i := range all {
		ptrs[i] = &all[i]
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	contacts, sequences := s.def.contacts.snapshot(), s.def.sequences.snapshot()
	if len(contacts) == 0 && len(sequences) == 0 {
		return enc.Encode(ptrs)
	}
	return enc.Encode(dataFile{Exclusions: ptrs, Contacts: contacts, Sequences: sequences})
}
