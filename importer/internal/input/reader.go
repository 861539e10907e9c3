package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Options say how to read a list. The zero value detects everything.
type Options struct {
	// Encoding is EncodingAuto (or "") to detect, or one to force.
	Encoding Encoding
	// Delimiter is ',', ';', '\t' or '|'; 0 sniffs it from the header line.
	Delimiter byte
	// Map names the header of a field explicitly (--map field=Header).
	Map map[Field]string
	// DefaultReason fills empty reasons and stands in for a missing
	// reason column. Any spelling NormalizeReason accepts.
	DefaultReason string
	// Now is when expiry dates are judged; zero means time.Now().
	Now time.Time
	// Kind is contacts, accounts, or KindAuto to decide from the header.
	Kind topo.Kind
	// Removal reads rows for remove: an id or a key per row, no reason.
	Removal bool
	// DateOrder reads the dates that could be either way round.
	DateOrder rows.DateOrder
}

// Info describes how the input was read.
type Info struct {
	// Encoding is the text encoding, or "xlsx" for a workbook.
	Encoding  Encoding
	Delimiter byte
	// Sheet is the worksheet read, for a workbook.
	Sheet string
	// Kind is what the list excludes, as decided from the header.
	Kind topo.Kind
	// Columns maps each field found to its header, as written.
	Columns map[Field]string
	// Ignored lists headers no field claims.
	Ignored []string
	// Extra names the input's own other columns (names, CRM ids: not the
	// tool's), as the failures file writes them; each row's Extra holds
	// their cells.
	Extra []string
	// BOM says the text began with a byte-order mark.
	BOM bool
	// SepLine says the text began with Excel's "sep=;" line, which named
	// (or, under --delimiter, gave way to) the delimiter.
	SepLine bool
	// Warnings are what the operator should be told about how the input
	// was read: a hidden sheet read by default, a report's footer left
	// out. Those found while reading (the footer, at the end) are added
	// when found: read Info again after the last row.
	Warnings []string
}

// recordSource yields the records of a list: a CSV scanner or a sheet.
type recordSource interface {
	next() (record, bool, error)
}

// Reader streams the rows of a suppression list, each one validated.
type Reader struct {
	dec      decoded
	src      recordSource
	sheet    *sheetSource // when reading a workbook
	cols     columns
	validate *rows.Validator
	info     Info
	raw      rows.Fields
	maybe    bool     // the row's maybe_sent cell
	source   int      // the row's source_row cell (0: none)
	extras   []string // the block rows' Extra are carved from
	done     bool     // the end of the input was reached
	tail              // records held back while a footer is told from data
	// mu guards info.Warnings, which reading adds to while a run may be
	// asking for Info.
	mu sync.Mutex
}

// NewReader reads the header of r and prepares to stream its rows. Errors
// are *SetupError unless reading itself failed.
func NewReader(r io.Reader, opt Options) (*Reader, error) {
	enc := opt.Encoding
	if enc == "" {
		enc = EncodingAuto
	}
	v, err := validatorFor(opt)
	if err != nil {
		return nil, err
	}
	dec, err := decode(r, enc)
	if err != nil {
		return nil, err
	}
	delim, sep, err := delimiter(dec, opt.Delimiter)
	if err != nil {
		return nil, err
	}
	rd := &Reader{dec: dec, src: newScanner(dec.r, delim, 1), validate: v}
	rd.info = Info{Encoding: dec.encoding, Delimiter: delim, BOM: dec.bom, SepLine: sep}
	if err := rd.readHeader(opt); err != nil {
		return nil, err
	}
	return rd, nil
}

// validatorFor checks the options every reader shares.
func validatorFor(opt Options) (*rows.Validator, error) {
	var defReason string
	if opt.DefaultReason != "" {
		var err error
		if defReason, err = rows.NormalizeReason(opt.DefaultReason); err != nil {
			return nil, setupErrorf("--default-reason %q %v", opt.DefaultReason, err)
		}
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	v := rows.NewValidator(defReason, now)
	v.Removal = opt.Removal
	v.DateOrder = opt.DateOrder
	return v, nil
}

// readHeader reads the first record and maps its columns.
func (rd *Reader) readHeader(opt Options) error {
	header, ok, err := rd.src.next()
	switch {
	case err != nil:
		// Nothing was sent: whatever stopped it, it is the file's.
		return &SetupError{Err: fmt.Errorf("reading the header: %w", err)}
	case !ok:
		return setupErrorf("the file is empty: it needs a header row (email, linkedin_url, reason, message, until)")
	case header.err != nil:
		return setupErrorf("header row %d: %v", header.row, header.err)
	}
	rd.last = header.row
	names := append([]string(nil), header.fields...)
	kind := opt.Kind
	if rd.cols, err = mapHeader(names, opt.Map, &kind, opt.Removal); err != nil {
		return &SetupError{Err: err}
	}
	rd.info.Kind, rd.validate.Kind = kind, kind
	if !rd.cols.has(FieldReason) && rd.validate.DefaultReason == "" && !opt.Removal {
		return setupErrorf("no reason column (the header has %s): name one with --map reason=\"Column Name\", or pass --default-reason (for example --default-reason unsubscribed)", quoteList(names))
	}
	rd.info.Columns, rd.info.Ignored, rd.info.Extra = map[Field]string{}, rd.cols.unknown, rd.cols.extraNames(names)
	for f, i := range rd.cols.index {
		if i >= 0 {
			rd.info.Columns[Field(f)] = strings.TrimSpace(names[i])
		}
	}
	return nil
}

// Done reports whether every row of the input was read.
func (r *Reader) Done() bool { return r.done }

// Info says how the input is being read.
func (r *Reader) Info() Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	info := r.info
	info.Warnings = slices.Clone(r.info.Warnings)
	return info
}

// warn adds a warning for Info.
func (r *Reader) warn(w string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.info.Warnings = append(r.info.Warnings, w)
}

// Close releases what the reader holds: the duplicate set, and a
// workbook's temporary files.
func (r *Reader) Close() error {
	r.validate.Close()
	if r.sheet != nil {
		return r.sheet.close()
	}
	return nil
}

// ConvertedDomains counts the valid rows so far whose email domain was
// written in Unicode and is sent in ASCII (rows.EmailDomainForm).
func (r *Reader) ConvertedDomains() int64 { return r.validate.ConvertedDomains() }

// FallbackBytes counts bytes of a UTF-8 input that were not UTF-8 and were
// read as Windows-1252.
func (r *Reader) FallbackBytes() int64 {
	if r.dec.fallback == nil {
		return 0
	}
	return *r.dec.fallback
}

// Next returns the next data row, validated. It returns io.EOF after the
// last row; any other error means the input could not be read further.
func (r *Reader) Next() (rows.Row, error) {
	row, err := r.read()
	if err == nil {
		r.validate.Dedupe(&row)
	}
	return row, err
}

// read returns the next row checked on its own, before deduplication.
func (r *Reader) read() (rows.Row, error) {
	rec, ok, err := r.record()
	if err != nil {
		return rows.Row{}, fmt.Errorf("reading on after row %d: %w", r.last, err)
	}
	if !ok {
		r.done = true
		return rows.Row{}, io.EOF
	}
	r.fill(rec.fields)
	var row rows.Row
	switch {
	case rec.err != nil:
		row = rows.Row{Num: rec.row, Raw: r.raw, Status: rows.StatusInvalid, Err: "malformed row: " + rec.err.Error()}
	case r.sheet == nil && len(rec.fields) != r.cols.width:
		// A sheet leaves trailing empty cells out; only CSV has a fixed width.
		row = rows.Row{Num: rec.row, Raw: r.raw, Status: rows.StatusInvalid, Err: fmt.Sprintf(
			"malformed row: %d fields where the header has %d (a value with an unquoted %s?)",
			len(rec.fields), r.cols.width, delimiterWord(r.info.Delimiter))}
	default:
		row = r.validate.Normalize(rec.row, r.raw)
	}
	row.MaybeSent, row.SourceRow = r.maybe, r.source
	if n := len(r.cols.extra); n > 0 {
		// Carved from a block a few hundred rows long: one allocation per
		// block, not per row (the cells are substrings of the record).
		if len(r.extras)+n > cap(r.extras) {
			r.extras = make([]string, 0, n*extraBlockRows)
		}
		start := len(r.extras)
		for _, i := range r.cols.extra {
			cell := ""
			if i < len(rec.fields) {
				cell = rows.Unguard(rec.fields[i])
			}
			r.extras = append(r.extras, cell)
		}
		row.Extra = r.extras[start:len(r.extras):len(r.extras)]
	}
	return row, nil
}

// extraBlockRows is how many rows' other cells one block holds.
const extraBlockRows = 512

func delimiterWord(d byte) string {
	switch d {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	case '|':
		return "pipe"
	}
	return fmt.Sprintf("%q", d)
}

// fill copies the mapped cells of a record into r.raw.
func (r *Reader) fill(rec []string) {
	cell := func(f Field) string {
		if i := r.cols.index[f]; i >= 0 && i < len(rec) {
			return rows.Unguard(rec[i])
		}
		return ""
	}
	r.raw = rows.Fields{
		ID: cell(FieldID), Email: cell(FieldEmail), LinkedInURL: cell(FieldLinkedInURL), Domain: cell(FieldDomain),
		Reason: cell(FieldReason), Message: cell(FieldMessage), Until: cell(FieldUntil),
	}
	r.maybe = isTrue(cell(FieldMaybeSent))
	r.source = 0
	if r.cols.has(FieldSourceRow) {
		if n, err := strconv.Atoi(strings.TrimSpace(cell(FieldSourceRow))); err == nil && n > 0 {
			r.source = n
		}
	}
	if r.sheet != nil {
		r.raw.Until = r.sheet.date(r.raw.Until)
	}
	if strings.TrimSpace(r.raw.Reason) == "" {
		// Also for malformed rows, so the failures file carries the reason
		// the run used and works without the flag.
		r.raw.Reason = r.validate.DefaultReason
	}
}

// isTrue reads a yes/no cell as a spreadsheet or a person writes it.
func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1", "x":
		return true
	}
	return false
}

// delimiters are the bytes a list may be separated by, the ones
// --delimiter accepts; sniffing prefers the earlier of a tie.
var delimiters = []byte{',', ';', '\t', '|'}

// delimiter honours a forced delimiter, Excel's "sep=;" first line, or
// sniffs the header line for the most frequent of the delimiters outside
// quotes. sep says whether there was a sep= line (dropped from the text).
func delimiter(dec decoded, forced byte) (delim byte, sep bool, err error) {
	head, err := dec.r.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && len(head) == 0 {
		return 0, false, fmt.Errorf("reading the input: %w", err)
	}
	first := head[:lineEnd(head)]
	line := bytes.TrimRight(first, "\r\n")
	if len(line) >= 4 && bytes.EqualFold(line[:4], []byte("sep=")) {
		sep = true
		_, _ = dec.r.Discard(len(first))
		named := line[4:]
		switch {
		case forced != 0:
			// --delimiter decides, whatever the line says.
		case len(named) == 1 && bytes.IndexByte(delimiters, named[0]) >= 0:
			forced = named[0]
		case len(named) == 0:
			return 0, true, setupErrorf("the first line %q names no delimiter: write sep=, sep=; or sep=| (or a tab after sep=), or pass --delimiter", line)
		default:
			return 0, true, setupErrorf("the first line %q names %q as the delimiter, which is not one this tool reads (, ; tab or |): fix the line, or pass --delimiter", line, named)
		}
	}
	if forced != 0 {
		return forced, sep, nil
	}
	return sniffDelimiter(first), sep, nil
}

// sniffDelimiter is the delimiter found most often outside quotes in the
// header line, ',' when none is.
func sniffDelimiter(line []byte) byte {
	var counts [256]int
	inQuotes := false
	for _, c := range line {
		switch {
		case c == '"':
			inQuotes = !inQuotes
		case !inQuotes:
			counts[c]++
		}
	}
	best := delimiters[0]
	for _, c := range delimiters[1:] {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// CountRows counts the data rows of a list in a quick pass, without
// validating them (a report's footer is left out, as reading does), for
// progress displays.
func CountRows(r io.Reader, opt Options) (int, error) {
	rd, err := NewReader(r, opt)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	n := 0
	for {
		_, ok, err := rd.record()
		if err != nil {
			return 0, err
		}
		if !ok {
			return n, nil
		}
		n++
	}
}
