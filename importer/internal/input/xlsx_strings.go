package input

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/topo-io/topo-exclusions/internal/slab"
)

// sharedStrings is a workbook's shared-strings table, kept as one block of
// text and the offsets into it, outside the Go heap: a million distinct
// emails cost their bytes and 4 bytes each, not a Go string apiece and
// the collector's headroom on top.
type sharedStrings struct {
	part string
	text []byte   // used: text[:used]
	offs []uint32 // string i is text[offs[i]:offs[i+1]]
	used int
	n    int
	// frees release the slabs.
	freeText, freeOffs func()
}

func (s *sharedStrings) get(i int) (string, bool) {
	if s == nil || i < 0 || i >= s.n {
		return "", false
	}
	return string(s.text[s.offs[i]:s.offs[i+1]]), true
}

// len is how many strings the table holds.
func (s *sharedStrings) len() int {
	if s == nil {
		return 0
	}
	return s.n
}

func (s *sharedStrings) free() {
	if s.freeText != nil {
		s.freeText()
	}
	if s.freeOffs != nil {
		s.freeOffs()
	}
	*s = sharedStrings{}
}

// loadStrings reads the shared-strings table, refusing one that is far
// larger than the cells could use, compresses like no text does, or holds
// more than the limits.
func (wb *workbook) loadStrings() error {
	ss := wb.strings
	if ss == nil || wb.files[ss.part] == nil {
		wb.strings = nil
		return nil
	}
	f := wb.files[ss.part]
	if f.UncompressedSize64 > 16<<20 && f.UncompressedSize64 > maxStringsRatio*max(f.CompressedSize64, 1) {
		return &BombError{Reason: fmt.Sprintf("its shared strings decompress %d to 1 (%d KiB to %d MiB), far more than text does",
			f.UncompressedSize64/max(f.CompressedSize64, 1), f.CompressedSize64>>10, f.UncompressedSize64>>20)}
	}
	limit := int64(maxStrings)
	if cells := wb.cells(); cells >= 0 {
		limit = min(limit, 2*cells+spareStrings)
	}
	ss.text, ss.freeText = slab.Bytes(int(min(f.UncompressedSize64, maxStringBytes)))
	ss.offs, ss.freeOffs = slab.Uint32s(1 << 16)
	r, err := f.Open()
	if err != nil {
		return setupErrorf("the workbook's shared strings: %v", err)
	}
	defer r.Close()
	if err := ss.read(r, limit); err != nil {
		var bomb *BombError
		if errors.As(err, &bomb) {
			return err
		}
		return setupErrorf("the workbook's shared strings: %v", err)
	}
	return nil
}

// read parses the table: one entry a <si>, its text the <t> elements in
// it (rich text has several), phonetic guides (<rPh>) left out.
func (ss *sharedStrings) read(r io.Reader, limit int64) error {
	d := xml.NewDecoder(r)
	var inSI, inT bool
	phonetic := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				if int64(ss.n) >= limit {
					return &BombError{Reason: fmt.Sprintf("its shared-strings table has more than %d entries, more than its cells could use", limit)}
				}
				inSI = true
				ss.grow()
				ss.offs[ss.n] = uint32(ss.used)
			case "t":
				inT = inSI && phonetic == 0
			case "rPh":
				phonetic++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "rPh":
				phonetic--
			case "si":
				inSI = false
				ss.n++
				ss.offs[ss.n] = uint32(ss.used)
			}
		case xml.CharData:
			if !inT {
				continue
			}
			if ss.used+len(t) > len(ss.text) {
				return &BombError{Reason: fmt.Sprintf("its shared strings hold more than %d MiB of text", len(ss.text)>>20)}
			}
			ss.used += copy(ss.text[ss.used:], t)
		}
	}
}

// grow makes room for one more entry's offsets.
func (ss *sharedStrings) grow() {
	if ss.n+2 <= len(ss.offs) {
		return
	}
	bigger, free := slab.Uint32s(2 * len(ss.offs))
	copy(bigger, ss.offs[:ss.n+1])
	ss.freeOffs()
	ss.offs, ss.freeOffs = bigger, free
}
