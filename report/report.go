package report

import (
	"io"
	"strconv"
	"strings"

	"github.com/topo-io/topo-exclusions/importer"
)

// Columns are the report's columns, in order.
var Columns = []string{
	"row", "status", "id", "email", "linkedin_url", "reason", "message", "until",
	"http_status", "error_type", "error", "request_id", "attempts",
}

// Writer writes the per-row report: one line per data row, in input order,
// with normalised values where the row had them and the input's own where
// it did not (so an invalid cell shows as it was written).
type Writer struct {
	out   *cellWriter
	cells []string
}

// NewWriter writes the header to w and returns a Writer for the rows.
func NewWriter(w io.Writer) (*Writer, error) {
	rw := &Writer{out: newCellWriter(w), cells: make([]string, len(Columns))}
	return rw, rw.out.Write(Columns)
}

// Write adds one row's outcome.
func (w *Writer) Write(o importer.Outcome) error {
	r := o.Row
	c := w.cells
	c[0] = strconv.Itoa(r.Num)
	c[1] = string(o.Status)
	c[2] = o.ID
	c[3] = either(r.Norm.Email, r.Raw.Email)
	c[4] = either(r.Norm.LinkedInURL, r.Raw.LinkedInURL)
	c[5] = either(r.Norm.Reason, r.Raw.Reason)
	c[6] = either(r.Norm.Message, r.Raw.Message)
	c[7] = either(r.Norm.Until, r.Raw.Until)
	c[8] = positive(o.HTTPStatus)
	c[9] = o.ErrorType
	c[10] = o.Err
	c[11] = o.RequestID
	c[12] = positive(o.Attempts)
	return w.out.Write(c)
}

// Flush writes out buffered rows; call it at the end, and whenever the
// report on disk should catch up.
func (w *Writer) Flush() error {
	w.out.Flush()
	return w.out.Error()
}

func either(norm, raw string) string {
	if norm != "" {
		return norm
	}
	return strings.TrimSpace(raw)
}

func positive(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}
