package report

import (
	"io"
	"strconv"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// The failures file's columns, by the list they are for: the source row
// and the row of the file read, the dashboard's columns with the input's
// own values, why the row still needs action, and whether an attempt may
// have reached Topo (a rerun looks those rows up before sending anything).
// The input's other columns follow. The reader knows every one of these,
// so the file goes straight back in.
var (
	failureColumns               = []string{"row", "source_row", "email", "linkedin_url", "reason", "message", "until", "error", "maybe_sent"}
	accountFailureColumns        = []string{"row", "source_row", "domain", "reason", "message", "until", "error", "maybe_sent"}
	removalFailureColumns        = []string{"row", "source_row", "id", "email", "linkedin_url", "error", "maybe_sent"}
	accountRemovalFailureColumns = []string{"row", "source_row", "id", "domain", "error", "maybe_sent"}
)

// FailuresFormat is how the failures file is written.
type FailuresFormat struct {
	Kind topo.Kind
	// Removal writes rows for remove (id and keys) instead of for import.
	Removal bool
	// Spreadsheet writes the file as every Excel opens it in columns, with
	// every character right, whatever its locale's list separator: UTF-16LE
	// with a byte-order mark, tab-separated (Excel reads such a file as
	// Unicode text and splits it on tabs). UTF-8 with a BOM is
	// comma-separated for some locales and semicolon-separated for others,
	// and Excel drops the BOM when a sep= line names the delimiter. Without
	// it (standard output, a program reading), the file is UTF-8,
	// comma-separated, without a BOM.
	Spreadsheet bool
	// Extra names the input's other columns (input.Info.Extra): each row's
	// Row.Extra goes under them, after the file's own columns.
	Extra []string
}

// Failures writes the rows that still need action, as the rows of the
// list they came from, so that the file can be fixed in a spreadsheet and
// run again.
type Failures struct {
	out    *cellWriter
	utf16  *utf16Writer // nil unless Spreadsheet
	format FailuresFormat
	n      int
	cells  []string
}

// NewFailures writes the header to w and returns a Failures for the rows.
func NewFailures(w io.Writer, format FailuresFormat) (*Failures, error) {
	f := &Failures{format: format}
	delim := byte(',')
	if format.Spreadsheet {
		f.utf16, delim = newUTF16Writer(w), '\t'
		w = f.utf16
	}
	f.out = newCellWriter(w, delim)
	return f, f.out.Write(append(append([]string(nil), f.columns()...), format.Extra...))
}

func (f *Failures) columns() []string {
	switch acc := f.format.Kind == topo.Accounts; {
	case f.format.Removal && acc:
		return accountRemovalFailureColumns
	case f.format.Removal:
		return removalFailureColumns
	case acc:
		return accountFailureColumns
	}
	return failureColumns
}

// Write adds o if its row needs action and ignores it otherwise.
func (f *Failures) Write(o rows.Outcome) error {
	if !o.NeedsAction() {
		return nil
	}
	f.n++
	raw, maybe := o.Row.Raw, ""
	if o.MaybeSent {
		maybe = "true"
	}
	c := append(f.cells[:0], strconv.Itoa(o.Row.Num), strconv.Itoa(o.Row.Source()))
	switch acc := f.format.Kind == topo.Accounts; {
	case f.format.Removal && acc:
		c = append(c, raw.ID, raw.Domain)
	case f.format.Removal:
		c = append(c, raw.ID, raw.Email, raw.LinkedInURL)
	case acc:
		c = append(c, raw.Domain, raw.Reason, raw.Message, raw.Until)
	default:
		c = append(c, raw.Email, raw.LinkedInURL, raw.Reason, raw.Message, raw.Until)
	}
	c = append(c, o.Err, maybe)
	for i := range f.format.Extra {
		cell := ""
		if i < len(o.Row.Extra) {
			cell = o.Row.Extra[i]
		}
		c = append(c, cell)
	}
	f.cells = c
	return f.out.Write(c)
}

// Len is how many rows were written.
func (f *Failures) Len() int { return f.n }

// Flush writes out buffered rows.
func (f *Failures) Flush() error {
	f.out.Flush()
	return f.out.Error()
}
