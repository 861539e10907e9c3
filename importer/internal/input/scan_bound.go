package input

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// oversize finishes a record that grew past the bound: s.raw holds its
// first bytes and rest the piece that did not fit. What follows is read
// on to the record's real end, tracking quotes but keeping nothing, so a
// quoted cell's text never becomes rows whatever its size, in bounded
// memory. A quote that is then never closed leaves the rest of the input
// as that one cell, as spreadsheets read it.
func (s *scanner) oversize(rec record, rest []byte) (record, bool, bool, error) {
	b := boundary{delim: s.delim, fieldStart: true}
	b.scan(s.raw)
	done := b.scan(rest)
	skipped := int64(len(s.raw) + len(rest))
	for !done {
		c, err := s.chunk()
		skipped += int64(len(c))
		done = b.scan(c)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rec, false, false, err
		}
	}
	rec.err = errRecordTooLong
	if !done && b.inQuotes {
		rec.err = fmt.Errorf("a quoted cell opened on this row runs past %d bytes and is never closed: the rest of the file (%d bytes) is that one cell", s.max, skipped)
	}
	rec.fields = s.glimpse()
	return rec, false, true, nil
}

// glimpse is the cells of the bound's worth of a record that was too
// long, each cut to a few hundred bytes: enough for the report to show
// which row it was.
func (s *scanner) glimpse() []string {
	s.cell, s.ends = s.cell[:0], s.ends[:0]
	var st parseState
	st.feed(s, 0)
	if st.inQuotes {
		s.ends = append(s.ends, len(s.cell))
	}
	fields := s.fields()
	for i, f := range fields {
		if len(f) > glimpseBytes {
			fields[i] = strings.ToValidUTF8(f[:glimpseBytes], "") + "…"
		}
	}
	return fields
}

const glimpseBytes = 200

// boundary follows where a record ends, as the parser does, without
// keeping its text.
type boundary struct {
	delim                            byte
	inQuotes, afterQuote, fieldStart bool
}

// scan reads p and reports whether the record ended at its newline.
func (b *boundary) scan(p []byte) bool {
	for _, c := range p {
		switch {
		case b.inQuotes:
			if c == '"' {
				b.inQuotes, b.afterQuote = false, true
			}
			continue
		case c == '"' && b.afterQuote: // "" inside a quoted field
			b.inQuotes, b.afterQuote = true, false
		case c == '"' && b.fieldStart:
			b.inQuotes = true
		case c == b.delim:
			b.fieldStart, b.afterQuote = true, false
			continue
		case c == '\n' || c == '\r':
			// A piece ends at its line break: a CR here is one.
			return true
		default:
			b.afterQuote = false
		}
		b.fieldStart = false
	}
	return false
}
