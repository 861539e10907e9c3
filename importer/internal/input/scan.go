package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxRecordBytes bounds one record. A longer one is reported as an invalid
// row and skipped, so a file with a runaway quote or a binary blob cannot
// exhaust memory.
const MaxRecordBytes = 1 << 20

// record is one CSV record: its fields, and the spreadsheet row it starts on.
type record struct {
	row    int
	fields []string
	err    error // a malformed record: the row is reported, reading goes on
}

// scanner splits decoded text into CSV records (RFC 4180, plus what Excel
// writes). It is written by hand rather than on encoding/csv because the
// reader must (1) number rows the way a spreadsheet does, counting blank
// lines but not newlines inside quotes, (2) survive a stray quote without
// swallowing the rest of the file, and (3) bound memory per record; and
// because it does so in one pass at a few hundred nanoseconds a row.
type scanner struct {
	in    *bufio.Reader
	delim byte
	max   int

	pending []byte // bytes to read again before in: the tail of a bad record
	held    []byte // the rest of the input's last slice, after a line break
	heldErr error  // what reading that slice returned
	row     int    // spreadsheet row of the next line

	raw  []byte // the current record as read
	cell []byte // its unescaped field contents, back to back
	ends []int  // end offset in cell of each field
	strs []string

	special [256]bool // bytes that end a plain run: delimiter, quote, CR, LF
}

func newScanner(in *bufio.Reader, delim byte, firstRow int) *scanner {
	s := &scanner{in: in, delim: delim, max: MaxRecordBytes, row: firstRow}
	for _, c := range []byte{delim, '"', '\r', '\n'} {
		s.special[c] = true
	}
	return s
}

var errRecordTooLong = fmt.Errorf("row over %d bytes (a cell that large is no list's value): skipped whole, to its end", MaxRecordBytes)

// chunk returns the next piece of input, up to and including a line
// break: from the bytes to read again first, then from the input. A line
// break is LF, CRLF, or a CR alone, as Excel reads them all, so a file
// that mixes them keeps its spreadsheet row numbers. A piece of a line
// longer than the buffer comes without its line break.
func (s *scanner) chunk() ([]byte, error) {
	if len(s.pending) > 0 {
		i := lineEnd(s.pending)
		c := s.pending[:i]
		s.pending = s.pending[i:]
		return c, nil
	}
	if len(s.held) > 0 {
		c, err := s.held, s.heldErr
		s.held, s.heldErr = nil, nil
		return s.split(c, lineEnd(c), err)
	}
	c, err := s.in.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil
		if len(c) > 1 && c[len(c)-1] == '\r' {
			// Perhaps the first half of a CRLF: read it again with what follows.
			_ = s.in.UnreadByte()
			c = c[:len(c)-1]
		}
	}
	// ReadSlice found the slice's one LF, if any, at its end: only a CR
	// before it can end the line sooner.
	lf := len(c) - 1
	if lf < 0 || c[lf] != '\n' {
		lf = -1
	}
	return s.split(c, crBefore(c, lf), err)
}

// split returns c up to i, the end of its first line, and holds the
// rest, which stays valid in the input's buffer until the input is read
// again (it is not, while anything is held).
func (s *scanner) split(c []byte, i int, err error) ([]byte, error) {
	if i == len(c) {
		return c, err
	}
	s.held, s.heldErr = c[i:], err
	return c[:i], nil
}

// lineEnd is the length of b's first line, its break included; len(b)
// when b holds no line break. A CR that ends b is a break of its own:
// chunk never leaves the CR of a CRLF at the end of a piece.
func lineEnd(b []byte) int {
	return crBefore(b, bytes.IndexByte(b, '\n'))
}

// crBefore is lineEnd for b whose first LF is at lf (-1: none).
func crBefore(b []byte, lf int) int {
	lim := lf
	if lf < 0 {
		lim = len(b)
	}
	if cr := bytes.IndexByte(b[:lim], '\r'); cr >= 0 && cr+1 != lf {
		return cr + 1
	}
	if lf < 0 {
		return len(b)
	}
	return lf + 1
}

// line appends the next physical line, line break included, to dst while dst
// stays within the bound. ok is false at the end of input. When the line
// does not fit, rest is the piece that did not (valid until the next
// read), and the rest of the line is still unread.
func (s *scanner) line(dst []byte) (out, rest []byte, ok bool, err error) {
	start := len(dst)
	for {
		c, err := s.chunk()
		if len(c) > 0 {
			if len(dst)+len(c) > s.max {
				return dst, c, true, nil
			}
			dst = append(dst, c...)
		}
		switch {
		case err != nil && errors.Is(err, io.EOF):
			return dst, nil, len(dst) > start, nil
		case err != nil:
			return dst, nil, false, err
		case len(c) > 0 && (c[len(c)-1] == '\n' || c[len(c)-1] == '\r'):
			// chunk ends a piece at a CR only when the CR is a line break.
			return dst, nil, true, nil
		}
	}
}

// next returns the next non-blank record. ok is false at the end of input;
// err is an I/O error, after which reading cannot go on.
func (s *scanner) next() (rec record, ok bool, err error) {
	for {
		rec, blank, ok, err := s.parse()
		if err != nil || !ok {
			return record{}, false, err
		}
		if !blank {
			return rec, true, nil
		}
	}
}

// parse reads one record: a blank line, a good record, or a malformed one.
func (s *scanner) parse() (rec record, blank bool, ok bool, err error) {
	s.raw = s.raw[:0]
	s.cell = s.cell[:0]
	s.ends = s.ends[:0]
	rec.row = s.row
	s.row++

	raw, rest, ok, err := s.line(s.raw)
	s.raw = raw
	if err != nil || !ok {
		return rec, false, false, err
	}
	if rest != nil {
		return s.oversize(rec, rest)
	}
	firstLineEnd := len(s.raw)
	if isBlank(s.raw) {
		return rec, true, true, nil
	}

	var st parseState
	pos := 0
	for {
		pos = st.feed(s, pos)
		if !st.inQuotes {
			break
		}
		// The quoted field runs on to the next physical line.
		more, rest, ok, err := s.line(s.raw)
		if err != nil {
			return rec, false, false, err
		}
		s.raw = more
		if rest != nil {
			return s.oversize(rec, rest)
		}
		if !ok {
			st.err = errors.New("a quoted field is never closed (stray \"?)")
			break
		}
	}
	if st.err != nil && len(s.raw) > firstLineEnd {
		// Only the first line is blamed; what follows it is read again as
		// records of its own, so one stray quote costs one row, not the file.
		s.pending = append(append([]byte(nil), s.raw[firstLineEnd:]...), s.pending...)
		s.raw = s.raw[:firstLineEnd]
		s.cell, s.ends = s.cell[:0], s.ends[:0]
		var again parseState
		again.feed(s, 0)
		if again.inQuotes {
			s.cell = bytes.TrimRight(s.cell, "\r\n")
			s.ends = append(s.ends, len(s.cell))
		}
	}
	rec.err = st.err
	rec.fields = s.fields()
	return rec, false, true, nil
}

// isBlank reports whether a physical line holds nothing at all (a line of
// only spaces or delimiters is a record of empty cells).
func isBlank(line []byte) bool {
	switch string(line) {
	case "", "\n", "\r\n", "\r":
		return true
	}
	return false
}

// fields turns the unescaped cells into strings sharing one allocation.
func (s *scanner) fields() []string {
	all := string(s.cell)
	s.strs = s.strs[:0]
	prev := 0
	for _, end := range s.ends {
		s.strs = append(s.strs, all[prev:end])
		prev = end
	}
	return s.strs
}

// parseState carries a record's parse across physical lines.
type parseState struct {
	inQuotes   bool // inside a quoted field
	quoted     bool // the current field began with a quote
	afterQuote bool // the last byte closed (or escaped) a quote
	err        error
}

// feed parses s.raw from pos to its end and returns where it stopped.
func (st *parseState) feed(s *scanner, pos int) int {
	raw := s.raw
	col := len(s.ends) + 1
	for ; pos < len(raw); pos++ {
		c := raw[pos]
		if st.inQuotes {
			if c != '"' && c != '\r' {
				end := pos + 1
				for end < len(raw) && raw[end] != '"' && raw[end] != '\r' {
					end++
				}
				s.cell = append(s.cell, raw[pos:end]...)
				pos = end - 1
				continue
			}
			if c == '"' {
				st.inQuotes = false
				st.afterQuote = true
				continue
			}
			if c == '\r' && pos+1 < len(raw) && raw[pos+1] == '\n' {
				continue // CRLF inside a cell becomes LF, as Excel shows it
			}
			s.cell = append(s.cell, '\n') // and so does a CR alone
			continue
		}
		switch {
		case c == s.delim:
			s.ends = append(s.ends, len(s.cell))
			col++
			st.quoted, st.afterQuote = false, false
		case c == '\n' || (c == '\r' && (pos+1 == len(raw) || raw[pos+1] == '\n')):
			s.ends = append(s.ends, len(s.cell))
			return len(raw)
		case c == '"' && st.afterQuote:
			// "" inside a quoted field: a literal quote.
			s.cell = append(s.cell, '"')
			st.inQuotes, st.afterQuote = true, false
		case c == '"' && !st.quoted && s.fieldEmpty():
			st.inQuotes, st.quoted = true, true
		case c == '"':
			st.setErr(fmt.Errorf("stray \" in column %d", col))
			s.cell = append(s.cell, c)
		default:
			if st.afterQuote {
				st.setErr(fmt.Errorf("text after a closing \" in column %d", col))
				st.afterQuote = false
			}
			// Copy the plain run up to the next byte that means something.
			end := pos + 1
			for end < len(raw) && !s.special[raw[end]] {
				end++
			}
			s.cell = append(s.cell, raw[pos:end]...)
			pos = end - 1
		}
	}
	if !st.inQuotes {
		s.ends = append(s.ends, len(s.cell)) // last line without a newline
	}
	return pos
}

func (st *parseState) setErr(err error) {
	if st.err == nil {
		st.err = err
	}
}

func (s *scanner) fieldEmpty() bool {
	start := 0
	if n := len(s.ends); n > 0 {
		start = s.ends[n-1]
	}
	return len(s.cell) == start
}
