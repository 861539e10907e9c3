package report

import (
	"io"

	"github.com/gocarina/gocsv"

	"github.com/topo-io/topo-exclusions/importer"
)

// failure is one line of the failures file: the dashboard's five columns
// with the input's own values, and why the row still needs action. The
// reader ignores the error column, so the file goes straight back in.
type failure struct {
	Email       string `csv:"email"`
	LinkedInURL string `csv:"linkedin_url"`
	Reason      string `csv:"reason"`
	Message     string `csv:"message"`
	Until       string `csv:"until"`
	Error       string `csv:"error"`
}

// accountFailure is the same for account exclusions: the dashboard's
// domain column in place of email and linkedin_url.
type accountFailure struct {
	Domain  string `csv:"domain"`
	Reason  string `csv:"reason"`
	Message string `csv:"message"`
	Until   string `csv:"until"`
	Error   string `csv:"error"`
}

// Failures writes the rows that still need action. It is the one place
// gocsv marshals: the struct tags above are the file's schema, and the
// rows are few enough that reflection costs nothing that matters (the
// per-row report is written by hand; see the README's design notes).
type Failures struct {
	out      *cellWriter
	accounts bool
	n        int
}

// NewFailures writes the header for a list of kind to w and returns a
// Failures for the rows.
func NewFailures(w io.Writer, kind importer.Kind) (*Failures, error) {
	f := &Failures{out: newCellWriter(w), accounts: kind == importer.KindAccounts}
	if f.accounts {
		return f, gocsv.MarshalCSV([]accountFailure{}, batchFlush{f.out})
	}
	return f, gocsv.MarshalCSV([]failure{}, batchFlush{f.out})
}

type batchFlush struct{ *cellWriter }

func (batchFlush) Flush() {}

// Write adds o if its row needs action and ignores it otherwise.
func (f *Failures) Write(o importer.Outcome) error {
	if !o.Status.NeedsAction() {
		return nil
	}
	raw := o.Row.Raw
	f.n++
	// gocsv flushes after every call; batchFlush keeps that to Flush below.
	if f.accounts {
		return gocsv.MarshalCSVWithoutHeaders([]accountFailure{{Domain: raw.Domain, Reason: raw.Reason,
			Message: raw.Message, Until: raw.Until, Error: o.Err}}, batchFlush{f.out})
	}
	return gocsv.MarshalCSVWithoutHeaders([]failure{{Email: raw.Email, LinkedInURL: raw.LinkedInURL,
		Reason: raw.Reason, Message: raw.Message, Until: raw.Until, Error: o.Err}}, batchFlush{f.out})
}

// Len is how many rows were written.
func (f *Failures) Len() int { return f.n }

// Flush writes out buffered rows.
func (f *Failures) Flush() error {
	f.out.Flush()
	return f.out.Error()
}
