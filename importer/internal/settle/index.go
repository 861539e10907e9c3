package settle

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/internal/keyset"
)

// Index is a snapshot of what Topo holds of one kind, compact enough to
// keep whole: for each record its id, reason, until, creation time and
// message (40 bytes, the message's text kept once however many records
// share it), and each of its keys in a KeySet (12 bytes a slot) pointing
// at it. It answers, for a row, what a lookup would have found, record
// and all, so that a re-upload of a list Topo mostly holds costs a page
// request a hundred records instead of requests a row, and its report
// still shows what Topo holds.
type Index struct {
	keys *keyset.Set
	recs []indexRec
	// odd holds the ids that are not UUIDs (Topo's are), by record.
	odd map[uint32]string
	// texts holds each distinct message once, as its length (uvarint)
	// and its bytes; textAt finds a message's text by its 64-bit hash.
	// spilt holds, by record, the texts of records added once texts
	// reached 4 GiB (which references cannot point past).
	texts  []byte
	textAt map[uint64]uint32
	spilt  map[uint32]string
	// textCap is how far texts may grow (the reach of a reference; less
	// in tests).
	textCap int
	// Taken is when the snapshot was read.
	Taken time.Time
}

// recBytes is the size of an indexRec (a test holds it to it).
const recBytes = 40

type indexRec struct {
	id      [16]byte
	until   int64  // Unix seconds; 0 permanent
	created int64  // Unix nanoseconds
	message uint32 // 1 + where its text starts in texts; 0: none; spilt: in spilt
	reason  uint8
	flags   uint8
}

const (
	hasEmail = 1 << iota
	hasLinkedIn
	badUntil
)

// reasonCodes numbers Topo's reasons for the index (0: another value).
var reasonCodes = func() map[string]uint8 {
	m := map[string]uint8{}
	for i, r := range rows.Reasons {
		m[r] = uint8(i + 1)
	}
	return m
}()

// NewIndex returns an empty index of a snapshot read at taken.
func NewIndex(taken time.Time) *Index {
	return &Index{keys: keyset.New(), odd: map[uint32]string{}, textAt: map[uint64]uint32{}, spilt: map[uint32]string{}, textCap: spilt, Taken: taken}
}

// Add remembers a record.
func (x *Index) Add(ex topo.Exclusion) {
	n := uint32(len(x.recs))
	rec := indexRec{message: x.keepText(n, topo.Str(ex.Message)), reason: reasonCodes[ex.Reason]}
	if !ex.CreatedAt.IsZero() {
		rec.created = ex.CreatedAt.UnixNano()
	}
	if b, err := hex.DecodeString(strings.ReplaceAll(ex.ID, "-", "")); err == nil && len(b) == 16 && topo.IsUUID(ex.ID) {
		copy(rec.id[:], b)
	} else {
		x.odd[n] = ex.ID
	}
	if u, err := topo.ParseUntil(ex.Until); err != nil {
		rec.flags |= badUntil
	} else if u != nil {
		rec.until = u.Unix()
	}
	for _, k := range []topo.Key{{Name: "email", Value: ex.Value("email")}, {Name: "linkedin_url", Value: ex.Value("linkedin_url")}, {Name: "domain", Value: ex.Value("domain")}} {
		if k.Value == "" {
			continue
		}
		switch k.Name {
		case "email":
			rec.flags |= hasEmail
		case "linkedin_url":
			rec.flags |= hasLinkedIn
		}
		h := x.keys.Hash(indexKey(k.Name, k.Value))
		if _, ok := x.keys.Lookup(h); !ok { // a second record of a key (no uniqueness): the first stands
			x.keys.Add(h, n)
		}
	}
	x.recs = append(x.recs, rec)
}

// keepText stores a message's text once and returns its reference (0 for
// none). Messages repeat ("Unsubscribed via form") far more than they
// differ; two texts that share a 64-bit hash are both kept.
func (x *Index) keepText(n uint32, text string) uint32 {
	if text == "" {
		return 0
	}
	f := fnv.New64a()
	f.Write([]byte(text))
	h := f.Sum64()
	if at, ok := x.textAt[h]; ok && x.text(n, at) == text {
		return at
	}
	if len(x.texts)+len(text)+binary.MaxVarintLen64 >= x.textCap {
		x.spilt[n] = text
		return spilt
	}
	at := uint32(len(x.texts)) + 1
	x.texts = binary.AppendUvarint(x.texts, uint64(len(text)))
	x.texts = append(x.texts, text...)
	if _, ok := x.textAt[h]; !ok {
		x.textAt[h] = at
	}
	return at
}

// spilt is the reference of a text kept in Index.spilt.
const spilt = math.MaxUint32

// text is the message record n's reference points at.
func (x *Index) text(n, at uint32) string {
	switch at {
	case 0:
		return ""
	case spilt:
		return x.spilt[n]
	}
	b := x.texts[at-1:]
	size, w := binary.Uvarint(b)
	return string(b[w : w+int(size)])
}

// Len is the number of records.
func (x *Index) Len() int { return len(x.recs) }

// Bytes is the memory the index takes.
func (x *Index) Bytes() int {
	return cap(x.recs)*recBytes + x.keys.Bytes() + cap(x.texts) + len(x.textAt)*16
}

// Free releases the index's memory.
func (x *Index) Free() { x.keys.Free(); x.recs, x.texts, x.textAt, x.spilt = nil, nil, nil, nil }

// Decide says what Topo held of row when the snapshot was taken: the
// record holding its first key that any record holds (as a lookup would
// find it), or absent.
func (x *Index) Decide(row rows.Row) (*Held, bool) {
	keys := row.Keys()
	for _, k := range keys {
		n, ok := x.keys.Lookup(x.keys.Hash(indexKey(k.Name, k.Value)))
		if !ok {
			continue
		}
		h := x.held(uint32(n))
		h.matchKeys(row, func(other topo.Key) (keyMatch, string) {
			switch m, holds := x.keys.Lookup(x.keys.Hash(indexKey(other.Name, other.Value))); {
			case holds && m == n:
				return keySame, ""
			case x.recs[n].flags&flagOf(other.Name) == 0:
				return keyLacking, ""
			}
			return keyOther, "" // the snapshot keeps hashes, not the values
		})
		return h, false
	}
	return nil, true
}

func flagOf(name string) uint8 {
	switch name {
	case "email":
		return hasEmail
	case "linkedin_url":
		return hasLinkedIn
	}
	return 0
}

func (x *Index) held(n uint32) *Held {
	r := x.recs[n]
	text := x.text(n, r.message)
	h := &Held{Message: MessageHash(text), Text: text, Seen: x.Taken}
	if r.created != 0 {
		h.CreatedAt = time.Unix(0, r.created).UTC()
	}
	if id, ok := x.odd[n]; ok {
		h.ID = id
	} else {
		b := r.id[:]
		h.ID = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	}
	if r.reason > 0 {
		h.Reason = rows.Reasons[r.reason-1]
	}
	if r.until != 0 {
		t := time.Unix(r.until, 0).UTC()
		h.Until = &t
	}
	if r.flags&badUntil != 0 {
		h.Mismatch = fmt.Sprintf("Topo's record %s has an until Topo should not accept", h.ID)
	}
	return h
}
