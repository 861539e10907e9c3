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
	w     *bufio.Writer
	delim byte
	err   error
}

func newCellWriter(w io.Writer, delim byte) *cellWriter {
	return &cellWriter{w: bufio.NewWriterSize(w, 64<<10), delim: delim}
}

// Write writes one record.
func (c *cellWriter) Write(cells []string) error {
	b := c.begin()
	for i, s := range cells {
		if i > 0 {
			b = append(b, c.delim)
		}
		b = appendCellWith(b, s, c.delim)
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

// needsQuotes reports whether s holds a byte that makes a cell need
// quotes: the delimiter, a comma (whatever the delimiter, as before), a
// quote, CR or LF. It looks at eight bytes at a time, since it reads
// every byte of every report.
func needsQuotes(s string, delim byte) bool {
	d := ones * uint64(delim)
	for len(s) >= 8 {
		v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if zeroByte(v^d)|zeroByte(v^(ones*','))|zeroByte(v^(ones*'"'))|zeroByte(v^(ones*'\r'))|zeroByte(v^(ones*'\n')) != 0 {
			return true
		}
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case delim, ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

const ones = 0x0101010101010101

// zeroByte is not 0 when one of v's bytes is (Hacker's Delight's test).
func zeroByte(v uint64) uint64 { return (v - ones) &^ v & (ones << 7) }

// appendCell appends one comma-separated cell.
func appendCell(b []byte, s string) []byte { return appendCellWith(b, s, ',') }

// appendCellWith appends one cell, quoted when needsQuotes says so,
// guarded when a spreadsheet would run it.
func appendCellWith(b []byte, s string, delim byte) []byte {
	if s == "" {
		return b // most of a report's cells, on every row
	}
	guard := rows.NeedsGuard(s)
	if !guard && !needsQuotes(s, delim) {
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
