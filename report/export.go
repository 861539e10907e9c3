package report

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/gocarina/gocsv"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// The export's schemas: the dashboard's import columns, then the record's
// id and times, so that an export imports back unchanged (the id, created_at
// and updated_at columns are read back without a warning, and remove takes
// an export as its input).
type (
	exportContact struct {
		Email       string `csv:"email"`
		LinkedInURL string `csv:"linkedin_url"`
		Reason      string `csv:"reason"`
		Message     string `csv:"message"`
		Until       string `csv:"until"`
		ID          string `csv:"id"`
		CreatedAt   string `csv:"created_at"`
		UpdatedAt   string `csv:"updated_at"`
	}
	exportAccount struct {
		Domain    string `csv:"domain"`
		Reason    string `csv:"reason"`
		Message   string `csv:"message"`
		Until     string `csv:"until"`
		ID        string `csv:"id"`
		CreatedAt string `csv:"created_at"`
		UpdatedAt string `csv:"updated_at"`
	}
)

// Export writes the records Topo holds: CSV in the dashboard's columns
// (reasons in its lower case; cells a spreadsheet would run guarded, as in
// every file this tool writes), or one JSON object a line as Topo returns
// it.
type Export struct {
	csv   *cellWriter
	json  *json.Encoder
	kind  topo.Kind
	flush func() error
}

// NewExport writes the header (CSV) to w and returns the writer.
func NewExport(w io.Writer, kind topo.Kind, jsonLines bool) (*Export, error) {
	if jsonLines {
		bw := newCellWriter(w, ',') // only for its buffer
		return &Export{json: json.NewEncoder(bw.w), kind: kind, flush: func() error { bw.Flush(); return bw.Error() }}, nil
	}
	e := &Export{csv: newCellWriter(w, ','), kind: kind}
	e.flush = func() error { e.csv.Flush(); return e.csv.Error() }
	if kind == topo.Accounts {
		return e, gocsv.MarshalCSV([]exportAccount{}, batchFlush{e.csv})
	}
	return e, gocsv.MarshalCSV([]exportContact{}, batchFlush{e.csv})
}

// Write adds one record.
func (e *Export) Write(ex topo.Exclusion) error {
	if e.json != nil {
		return e.json.Encode(ex)
	}
	reason, until := strings.ToLower(ex.Reason), topo.Str(ex.Until)
	created, updated := stamp(ex.CreatedAt), stamp(ex.UpdatedAt)
	if e.kind == topo.Accounts {
		return gocsv.MarshalCSVWithoutHeaders([]exportAccount{{topo.Str(ex.Domain), reason, topo.Str(ex.Message), until, ex.ID, created, updated}}, batchFlush{e.csv})
	}
	return gocsv.MarshalCSVWithoutHeaders([]exportContact{{topo.Str(ex.Email), topo.Str(ex.LinkedInURL), reason, topo.Str(ex.Message), until, ex.ID, created, updated}}, batchFlush{e.csv})
}

// Flush writes out what is buffered.
func (e *Export) Flush() error { return e.flush() }

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// batchFlush lets gocsv (the export writer) flush only when told: it
// flushes after every call otherwise.
type batchFlush struct{ *cellWriter }

func (batchFlush) Flush() {}
