// Package report writes what happened to every row of a suppression list:
// the per-row report, the failures file that can be fed back in, and the
// run's summary. It writes to the io.Writers it is given and opens nothing.
package report

import (
	"bufio"
	"io"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// cellWriter writes CSV records (one delimiter, LF, RFC 4180 quoting) with
// every cell that a spreadsheet would run as a formula prefixed by ', so
// opening a report in Excel runs nothing (OWASP CSV injection). The reader
// strips that guard again. It implements gocsv.CSVWriter.
type cellWriter struct {
	w       *bufio.Writer
	delim   byte
	special *[256]bool // the bytes that make a cell need quotes
	err     error
}

func newCellWriter(w io.Writer, delim byte) *cellWriter {
	c := &cellWriter{w: bufio.NewWriterSize(w, 64<<10), delim: delim, special: &commaSpecial}
	if delim != ',' {
		t := commaSpecial
		t[delim] = true
		c.special = &t
	}
	return c
}

// Write writes one record.
func (c *cellWriter) Write(cells []string) error {
	b := c.begin()
	for i, s := range cells {
		if i > 0 {
			b = append(b, c.delim)
		}
		b = appendCellWith(b, s, c.special)
	}
	return c.end(b)
}

// begin returns the writer's free buffer to append one record to; end
// writes it out, without a copy when it fitted.
func (c *cellWriter) begin() []byte { return c.w.AvailableBuffer() }

func (c *cellWriter) end(b []byte) error {
	if c.err == nil {
		_, c.err = c.w.Write(append(b, '\n'))
	}
	return c.err
}

// Flush writes out what is buffered.
func (c *cellWriter) Flush() {
	if c.err == nil {
		c.err = c.w.Flush()
	}
}

// Error is the first error met writing.
func (c *cellWriter) Error() error { return c.err }

// commaSpecial marks the bytes that make a comma-separated cell need quotes.
var commaSpecial = [256]bool{',': true, '"': true, '\r': true, '\n': true}

func needsQuotes(s string, special *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if special[s[i]] {
			return true
		}
	}
	return false
}

// appendCell appends one comma-separated cell.
func appendCell(b []byte, s string) []byte { return appendCellWith(b, s, &commaSpecial) }

// appendCellWith appends one cell, quoted when a byte special marks is
// in it, guarded when a spreadsheet would run it.
func appendCellWith(b []byte, s string, special *[256]bool) []byte {
	guard := rows.NeedsGuard(s)
	if !guard && !needsQuotes(s, special) {
		return append(b, s...)
	}
	b = append(b, '"')
	if guard {
		b = append(b, '\'')
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
