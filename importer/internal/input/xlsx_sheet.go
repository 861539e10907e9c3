package input

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// sheetSource yields the non-empty rows of one worksheet.
type sheetSource struct {
	wb   *workbook
	name string
	r    io.ReadCloser
	d    *xml.Decoder
	max  int // bound on a row's text, as on a CSV record

	row   int  // the number of the last <row> met: one without r= follows it
	high  int  // the highest row number met
	read  int  // the last row read to its end, for messages
	ended bool // </sheetData> was met: the rows are all read
	cells []string
}

func (s *sheetSource) close() error {
	err := s.r.Close()
	if cerr := s.wb.close(); err == nil {
		err = cerr
	}
	return err
}

// next returns the next row with a non-blank cell, or one that could
// not be read truly (its cells may look blank for that).
func (s *sheetSource) next() (record, bool, error) {
	for {
		rec, ok, err := s.readRow()
		if err != nil || !ok {
			return record{}, false, err
		}
		if rec.err != nil {
			return rec, true, nil
		}
		for _, c := range rec.fields {
			if strings.TrimSpace(c) != "" {
				return rec, true, nil
			}
		}
	}
}

// cell is the <c> being read.
type cell struct {
	col   int
	ref   string // as written, or made from the column and row
	typ   string
	value strings.Builder
	big   bool // its text went past the bound: only a glimpse is kept
}

// readRow reads one <row>: each cell at its column (from its reference,
// or after the last), its value the shared string, the inline string or
// the stored value (a formula's cached result). A row the sheet numbers
// out of order, a cell that cannot be read truly, or more text than a
// record may hold make rec.err; the row is read to its end all the same.
func (s *sheetSource) readRow() (rec record, ok bool, err error) {
	var (
		inRow, inValue, inInline bool
		phonetic, text           int
		c                        cell
	)
	if s.ended {
		return record{}, false, nil
	}
	s.cells = s.cells[:0]
	c.col = -1
	for {
		tok, err := s.d.RawToken()
		if err != nil {
			return record{}, false, s.failed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				inRow, c.col = true, -1
				rec = record{row: s.number(t)}
				rec.err = s.order(rec.row)
			case "c":
				c.start(t, rec.row)
			case "v":
				inValue = true
			case "is":
				inInline = true
			case "rPh":
				phonetic++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inValue = false
			case "is":
				inInline = false
			case "rPh":
				phonetic--
			case "c":
				v, err := s.cellValue(&c, text)
				if err != nil && rec.err == nil {
					rec.err = err
				}
				s.put(c.col, v)
			case "row":
				if inRow {
					if text > s.max {
						s.glimpse()
					}
					s.read, rec.fields = rec.row, s.cells
					return rec, true, nil
				}
			case "sheetData":
				s.ended = true
				return record{}, false, nil
			}
		case xml.CharData:
			if inValue || inInline && phonetic == 0 {
				text += len(t)
				c.add(t, text > s.max)
			}
		case xml.ProcInst:
			if t.Target == cutTarget && (inValue || inInline && phonetic == 0) {
				c.big = true // the guard cut this text short
			}
		}
	}
}

// failed is what an error reading the sheet means: never the end of the
// list. The end of the file before </sheetData> is a sheet cut short.
func (s *sheetSource) failed(err error) error {
	var bomb *BombError
	switch {
	case errors.As(err, &bomb):
		return err
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s, sheet %q: the sheet's data ends early, %s, without its closing </sheetData>: the workbook is cut short or damaged, and what followed is lost (save it again from Excel)", s.wb.path, s.name, s.where())
	}
	return fmt.Errorf("%s, sheet %q, %s: %w", s.wb.path, s.name, s.where(), err)
}

func (s *sheetSource) where() string {
	if s.read == 0 {
		return "before its first row"
	}
	return fmt.Sprintf("after row %d", s.read)
}

// number is the row's number: its r=, or the one after the last row's.
func (s *sheetSource) number(t xml.StartElement) int {
	num := s.row + 1
	if n, err := strconv.Atoi(attr(t, "r")); err == nil && n > 0 {
		num = n
	}
	s.row = num
	return num
}

// order refuses a row number already used or lower than one used: the
// journal knows rows by their numbers, and Excel writes them ascending.
func (s *sheetSource) order(num int) error {
	switch {
	case num > s.high:
		s.high = num
		return nil
	case num == s.high:
		return fmt.Errorf("the sheet numbers a second row %d: this one is not read (the workbook was not saved by Excel, or is damaged)", num)
	}
	return fmt.Errorf("the sheet numbers this row %d, after row %d: rows out of order are not read (the workbook was not saved by Excel, or is damaged)", num, s.high)
}

func (c *cell) start(t xml.StartElement, row int) {
	c.col++
	c.ref = attr(t, "r")
	if col, _, ok := cellRef(c.ref); ok {
		c.col = col
	} else {
		c.ref = columnName(c.col) + strconv.Itoa(row)
	}
	c.typ = attr(t, "t")
	c.value.Reset()
	c.big = false
}

// add appends text to the value while the row's text stays within the
// bound; past it only a glimpse is kept.
func (c *cell) add(t []byte, over bool) {
	if over {
		c.big = true
	}
	if c.big {
		if room := glimpseBytes - c.value.Len(); room > 0 {
			c.value.Write(t[:min(len(t), room)])
		}
		return
	}
	c.value.Write(t)
}

// cellValue is c's value: the text, or the shared string it points to.
// text is how much text the row held up to its end.
func (s *sheetSource) cellValue(c *cell, text int) (string, error) {
	v := c.value.String()
	if c.big {
		if len(v) > glimpseBytes {
			v = v[:glimpseBytes]
		}
		v = strings.ToValidUTF8(v, "") + "…"
		if text > s.max {
			return v, fmt.Errorf("row over %d bytes (cell %s takes it past; a cell that large is no list's value): not read", s.max, c.ref)
		}
		return v, fmt.Errorf("cell %s holds more than %d bytes (a cell that large is no list's value): the row is not read", c.ref, s.max)
	}
	if c.typ != "s" || strings.TrimSpace(v) == "" {
		return v, nil
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return "", fmt.Errorf("cell %s: %q is no shared-string index (the workbook is damaged; save it again from Excel)", c.ref, v)
	}
	str, ok := s.wb.strings.get(i)
	if !ok {
		return "", fmt.Errorf("cell %s refers to shared string %d, which the workbook does not have (its table holds %d): the workbook is damaged; save it again from Excel", c.ref, i, s.wb.strings.len())
	}
	return str, nil
}

// glimpse cuts the cells of a row too long to read to a few hundred
// bytes each: enough for the report to show which row it was.
func (s *sheetSource) glimpse() {
	for i, v := range s.cells {
		if len(v) > glimpseBytes {
			s.cells[i] = strings.ToValidUTF8(v[:glimpseBytes], "") + "…"
		}
	}
}

// put places a cell's value at its column.
func (s *sheetSource) put(col int, v string) {
	if col < 0 || col >= 16384 {
		return // past Excel's last column
	}
	for len(s.cells) <= col {
		s.cells = append(s.cells, "")
	}
	s.cells[col] = v
}

// columnName is the letters of a 0-based column: 0 is A, 26 is AA.
func columnName(c int) string {
	var b []byte
	for c++; c > 0; c = (c - 1) / 26 {
		b = append([]byte{byte('A' + (c-1)%26)}, b...)
	}
	return string(b)
}
