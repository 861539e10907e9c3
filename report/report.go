package report

import (
	"io"
	"strconv"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Columns are the report's columns, in order; AccountColumns those of a
// report on account exclusions, where domain stands for email and
// linkedin_url. Columns added later go at the end: scripts that read the
// report by position keep working. held_* are Topo's record as the run
// left it (for removed, the record deleted), next to what the row asked.
var (
	Columns = []string{
		"row", "status", "id", "email", "linkedin_url", "reason", "message", "until",
		"http_status", "error_type", "error", "request_id", "attempts",
		"note", "previous_reason", "previous_until", "maybe_sent", "outreach", "outreach_sequences",
		"held_reason", "held_until", "held_message",
	}
	AccountColumns = []string{
		"row", "status", "id", "domain", "reason", "message", "until",
		"http_status", "error_type", "error", "request_id", "attempts",
		"note", "previous_reason", "previous_until", "maybe_sent", "outreach", "outreach_sequences",
		"held_reason", "held_until", "held_message",
	}
)

// Writer writes the per-row report: one line per data row, in input order,
// with normalised values where the row had them and the input's own where
// it did not (so an invalid cell shows as it was written).
type Writer struct {
	out      *cellWriter
	accounts bool
}

// NewWriter writes the header for a list of kind to w and returns a
// Writer for the rows.
func NewWriter(w io.Writer, kind topo.Kind) (*Writer, error) {
	rw := &Writer{out: newCellWriter(w, ','), accounts: kind == topo.Accounts}
	if rw.accounts {
		return rw, rw.out.Write(AccountColumns)
	}
	return rw, rw.out.Write(Columns)
}

// Write adds one row's outcome.
func (w *Writer) Write(o rows.Outcome) error {
	r := &o.Row
	b := w.out.begin()
	b = strconv.AppendInt(b, int64(r.Num), 10)
	b = appendCell(append(b, ','), string(o.Status))
	b = appendCell(append(b, ','), either(o.ID, r.Raw.ID))
	keys := r.Norm
	if h := o.Held; h != nil && noKey(r) {
		// A row that named its record by id alone: the record's keys, so
		// that what was removed can be made again from the report.
		keys = rows.Fields{Email: h.Email, LinkedInURL: h.LinkedInURL, Domain: h.Domain}
	}
	if w.accounts {
		b = appendCell(append(b, ','), either(keys.Domain, r.Raw.Domain))
	} else {
		b = appendCell(append(b, ','), either(keys.Email, r.Raw.Email))
		b = appendCell(append(b, ','), either(keys.LinkedInURL, r.Raw.LinkedInURL))
	}
	for _, cell := range [...]string{
		either(r.Norm.Reason, r.Raw.Reason), either(r.Norm.Message, r.Raw.Message),
		either(r.Norm.Until, r.Raw.Until),
	} {
		b = appendCell(append(b, ','), cell)
	}
	b = appendPositive(append(b, ','), o.HTTPStatus)
	for _, cell := range [...]string{o.ErrorType, o.Err, o.RequestID} {
		b = appendCell(append(b, ','), cell)
	}
	b = appendPositive(append(b, ','), o.Attempts)
	b = appendCell(append(b, ','), o.Note)
	if p := o.Previous; p != nil {
		b = appendCell(append(b, ','), p.Reason)
		b = appendCell(append(b, ','), orPermanent(p.Until))
	} else {
		b = append(b, ',', ',')
	}
	b = append(b, ',')
	if o.MaybeSent {
		b = append(b, "true"...)
	}
	b = appendCell(append(b, ','), o.Outreach.State)
	b = appendCell(append(b, ','), strings.Join(o.Outreach.Sequences, " "))
	if h := o.Held; h != nil {
		b = appendCell(append(b, ','), h.Reason)
		b = appendCell(append(b, ','), orPermanent(h.Until))
		b = appendCell(append(b, ','), h.Message)
	} else {
		b = append(b, ',', ',', ',')
	}
	return w.out.end(b)
}

// Flush writes out buffered rows; call it at the end, and whenever the
// report on disk should catch up.
func (w *Writer) Flush() error {
	w.out.Flush()
	return w.out.Error()
}

// noKey says the row has no key of its own, as written or normalised.
func noKey(r *rows.Row) bool {
	return strings.TrimSpace(r.Raw.Email+r.Raw.LinkedInURL+r.Raw.Domain) == "" && r.Norm.Email == "" && r.Norm.LinkedInURL == "" && r.Norm.Domain == ""
}

func orPermanent(until string) string {
	if until == "" {
		return "permanent"
	}
	return until
}

func either(norm, raw string) string {
	if norm != "" {
		return norm
	}
	return strings.TrimSpace(raw)
}

func appendPositive(b []byte, n int) []byte {
	if n <= 0 {
		return b
	}
	return strconv.AppendInt(b, int64(n), 10)
}
