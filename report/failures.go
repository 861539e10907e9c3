package report

import (
	"io"

	"github.com/gocarina/gocsv"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// The failures file's schemas: the struct tags are the columns. Each has
// the dashboard's columns with the input's own values, the source row,
// why the row still needs action, and whether an attempt may have reached
// Topo (a rerun looks those rows up before sending anything). The reader
// knows every column, so the file goes straight back in.
type (
	failure struct {
		Row         int    `csv:"row"`
		Email       string `csv:"email"`
		LinkedInURL string `csv:"linkedin_url"`
		Reason      string `csv:"reason"`
		Message     string `csv:"message"`
		Until       string `csv:"until"`
		Error       string `csv:"error"`
		MaybeSent   string `csv:"maybe_sent"`
	}
	accountFailure struct {
		Row       int    `csv:"row"`
		Domain    string `csv:"domain"`
		Reason    string `csv:"reason"`
		Message   string `csv:"message"`
		Until     string `csv:"until"`
		Error     string `csv:"error"`
		MaybeSent string `csv:"maybe_sent"`
	}
	removalFailure struct {
		Row         int    `csv:"row"`
		ID          string `csv:"id"`
		Email       string `csv:"email"`
		LinkedInURL string `csv:"linkedin_url"`
		Error       string `csv:"error"`
		MaybeSent   string `csv:"maybe_sent"`
	}
	accountRemovalFailure struct {
		Row       int    `csv:"row"`
		ID        string `csv:"id"`
		Domain    string `csv:"domain"`
		Error     string `csv:"error"`
		MaybeSent string `csv:"maybe_sent"`
	}
)

// FailuresFormat is how the failures file is written: as the input was,
// so that the spreadsheet that made the input opens it in columns.
type FailuresFormat struct {
	Kind topo.Kind
	// Removal writes rows for remove (id and keys) instead of for import.
	Removal bool
	// Delimiter is the input's (',' when zero); BOM starts the file with
	// a UTF-8 byte-order mark, as Excel writes "CSV UTF-8".
	Delimiter byte
	BOM       bool
	// SepLine writes Excel's "sep=;" line (naming Delimiter) before the
	// header, as the input had one: the spreadsheet that needed it to
	// open the input in columns needs it for this file too.
	SepLine bool
}

// Failures writes the rows that still need action. It is the one place
// gocsv marshals: the struct tags above are the file's schema, and the
// rows are few enough that reflection costs nothing that matters (the
// per-row report is written by hand; see the README's design notes).
type Failures struct {
	out    *cellWriter
	format FailuresFormat
	n      int
}

// NewFailures writes the header to w and returns a Failures for the rows.
func NewFailures(w io.Writer, format FailuresFormat) (*Failures, error) {
	if format.Delimiter == 0 {
		format.Delimiter = ','
	}
	if format.BOM {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return nil, err
		}
	}
	if format.SepLine {
		if _, err := io.WriteString(w, "sep="+string(format.Delimiter)+"\n"); err != nil {
			return nil, err
		}
	}
	f := &Failures{out: newCellWriter(w, format.Delimiter), format: format}
	return f, gocsv.MarshalCSV(f.record(rows.Outcome{}, false), batchFlush{f.out})
}

type batchFlush struct{ *cellWriter }

func (batchFlush) Flush() {}

// Write adds o if its row needs action and ignores it otherwise.
func (f *Failures) Write(o rows.Outcome) error {
	if !o.NeedsAction() {
		return nil
	}
	f.n++
	// gocsv flushes after every call; batchFlush keeps that to Flush below.
	return gocsv.MarshalCSVWithoutHeaders(f.record(o, true), batchFlush{f.out})
}

// record is o as a one-row slice of the format's schema (empty: none).
func (f *Failures) record(o rows.Outcome, one bool) any {
	raw, maybe := o.Row.Raw, ""
	if o.MaybeSent {
		maybe = "true"
	}
	acc := f.format.Kind == topo.Accounts
	switch {
	case f.format.Removal && acc:
		return oneOrNone(one, accountRemovalFailure{o.Row.Num, raw.ID, raw.Domain, o.Err, maybe})
	case f.format.Removal:
		return oneOrNone(one, removalFailure{o.Row.Num, raw.ID, raw.Email, raw.LinkedInURL, o.Err, maybe})
	case acc:
		return oneOrNone(one, accountFailure{o.Row.Num, raw.Domain, raw.Reason, raw.Message, raw.Until, o.Err, maybe})
	}
	return oneOrNone(one, failure{o.Row.Num, raw.Email, raw.LinkedInURL, raw.Reason, raw.Message, raw.Until, o.Err, maybe})
}

func oneOrNone[T any](one bool, r T) []T {
	if one {
		return []T{r}
	}
	return []T{}
}

// Len is how many rows were written.
func (f *Failures) Len() int { return f.n }

// Flush writes out buffered rows.
func (f *Failures) Flush() error {
	f.out.Flush()
	return f.out.Error()
}
